import { describe, expect, it } from "vitest";
import {
  compileUsernamePattern,
  emailParts,
  inferConvention,
  mismatchedGroups,
  proposeUsername,
  USERNAME_CONVENTIONS,
} from "../../src/identity/convention.js";
import { loadUsers } from "./vars.js";

const INITIAL_LAST = [
  { email: "alice.smith@example.com", username: "asmith" },
  { email: "bob.jones@example.com", username: "bjones" },
  { email: "carol.wu@example.com", username: "cwu" },
  { email: "dmitri.ivanov@example.com", username: "divanov" },
  { email: "erin.oconnor@example.com", username: "erin" },
];

/** Users of which no convention reaches 60%: two follow initial-last and two first-last. */
const MIXED = [
  ...INITIAL_LAST.slice(0, 2),
  { email: "carol.wu@example.com", username: "carol-wu" },
  { email: "dmitri.ivanov@example.com", username: "dmitri-ivanov" },
  { email: "erin.oconnor@example.com", username: "erin" },
];

describe("conventions", () => {
  const table: [string, string, Record<string, string | undefined>][] = [
    [
      "Alice.B.Smith+ml@Example.com",
      "words",
      {
        "local-hyphenated": "alice-b-smith-ml",
        "first-last": "alice-smith",
        "initial-last": "asmith",
        "local-joined": "alicebsmithml",
        "first-name": "alice",
      },
    ],
    [
      "first_last@example.com",
      "underscore",
      {
        "local-hyphenated": "first-last",
        "first-last": "first-last",
        "initial-last": "flast",
        "local-joined": "firstlast",
        "first-name": "first",
      },
    ],
    [
      "bob@example.com",
      "single word",
      {
        "local-hyphenated": "bob",
        "first-last": undefined,
        "initial-last": undefined,
        "local-joined": "bob",
        "first-name": "bob",
      },
    ],
  ];
  for (const [email, name, expected] of table) {
    it(`derives names from ${name}`, () => {
      const parts = emailParts(email);
      for (const convention of USERNAME_CONVENTIONS) {
        expect(convention.derive(parts), convention.id).toBe(expected[convention.id]);
      }
    });
  }
});

describe("inferConvention", () => {
  it("infers a clear majority", () => {
    const inferred = inferConvention(INITIAL_LAST);
    expect(inferred?.convention.id).toBe("initial-last");
    expect(inferred?.followers).toBe(4);
  });

  it("needs at least five users", () => {
    expect(inferConvention(INITIAL_LAST.slice(0, 4))).toBeUndefined();
  });

  it("needs at least 60 percent", () => {
    expect(inferConvention(MIXED)).toBeUndefined();
  });
});

describe("proposeUsername", () => {
  it("follows the inferred convention", () => {
    const { deployment } = loadUsers(INITIAL_LAST);
    const proposal = proposeUsername("frank.miller@example.com", deployment);
    expect(proposal.username).toBe("fmiller");
    expect(proposal.reason).toMatch(/4 of 5/);
  });

  it("says when the convention does not apply", () => {
    const { deployment } = loadUsers(INITIAL_LAST);
    const proposal = proposeUsername("nora@example.com", deployment);

    expect(proposal.username).toBe("nora");
    expect(proposal.reason).toMatch(
      /^the convention 4 of 5 users follow, .* does not apply to this email's local part/,
    );
  });

  it("says when too few users to infer", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));
    const proposal = proposeUsername("nora.ng@example.com", deployment);

    expect(proposal.username).toBe("nora-ng");
    expect(proposal.reason).toBe(
      "it is the email's local part hyphenated (cake infers a convention from 5 users or more, and this deployment has 2)",
    );
  });

  it("says when no convention has a majority", () => {
    const { deployment } = loadUsers(MIXED);
    const proposal = proposeUsername("nora.ng@example.com", deployment);

    expect(proposal.reason).toBe(
      "it is the email's local part hyphenated (no convention is followed by most users)",
    );
  });

  it("reads fullwidth letters as the letters", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));
    const proposal = proposeUsername("\uFF42ob@example.com", deployment);

    expect(proposal.username).toBe("bob");
    expect(proposal.reason).not.toContain("leaves out");
  });

  it("names the letters a username leaves out", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));
    const proposal = proposeUsername("jürgen.weiß@example.com", deployment);

    expect(proposal.username).toBe("j-rgen-wei");
    expect(proposal.reason).toMatch(
      /; a username holds only a-z, 0-9 and -, so it leaves out "ü", "ß" of the email$/,
    );
  });

  it("never proposes a reserved name", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));
    const proposal = proposeUsername("default@example.com", deployment);

    expect(proposal.username).toBe("default-2");
    expect(proposal.reason).toContain('"default" was taken, reserved or too long');
  });

  it("puts a reserved prefix behind user-", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));

    expect(proposeUsername("kube-x@example.com", deployment).username).toBe("user-kube-x");
    expect(proposeUsername("istio.ops@example.com", deployment).username).toBe("user-istio-ops");
    expect(proposeUsername("kubeflow@example.com", deployment).username).toBe("user-kubeflow");
  });

  it("lengthens a name to fit the GCP service account id minimum", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));
    const gcp = {
      ...deployment,
      cloud: {
        provider: "gcp" as const,
        identityNamespace: "cake-cloud-identity",
        gcp: { projectId: "cake-dev-123456", serviceAccountPrefix: "", defaultRoles: [] },
      },
    };

    expect(proposeUsername("bo@example.com", gcp).username).toBe("bo-user");
    expect(proposeUsername("nora.jones@example.com", gcp).username).toBe("nora-jones");
  });

  it("shortens a name to fit the IAM role name", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));
    const aws = { provider: "aws" as const, identityNamespace: "cake-cloud-identity" };
    const withRole = {
      ...deployment,
      cloud: {
        ...aws,
        aws: {
          accountId: "123456789012",
          oidcProvider: "x",
          roleNamePrefix: "dev-eu-west-1-",
          defaultPolicyArns: [],
        },
      },
    };

    const proposal = proposeUsername(`${"a".repeat(70)}@example.com`, withRole);

    expect(proposal.username).toBe("a".repeat(64 - "dev-eu-west-1-".length));
  });

  it("says when the local part gives no name", () => {
    const { deployment } = loadUsers(INITIAL_LAST);

    const proposal = proposeUsername("._@example.com", deployment);

    expect(proposal.username).toBe("user");
    expect(proposal.reason).toBe(
      'the email\'s local part has no letters or digits a username can use, so it is "user"',
    );
  });

  it("defaults to the hyphenated local part", () => {
    const { deployment } = loadUsers(INITIAL_LAST.slice(0, 2));
    expect(proposeUsername("Frank.Miller+ML@example.com", deployment).username).toBe("frank-miller-ml");
  });

  it("adds a suffix to a taken name", () => {
    const { deployment } = loadUsers(INITIAL_LAST);
    expect(proposeUsername("a.smith@example.org", deployment).username).toBe("asmith-2");
    expect(
      proposeUsername("ml.staging@example.org", loadUsers(INITIAL_LAST.slice(0, 1)).deployment).username,
    ).toBe("ml-staging-2");
  });

  it("follows the username pattern", () => {
    const { deployment } = loadUsers(
      INITIAL_LAST.slice(0, 2),
      '  username_pattern: "(?<first>[a-z])(?<last>[a-z]+)"',
    );
    expect(proposeUsername("frank.miller@example.com", deployment).username).toBe("fmiller");
  });
});

describe("username pattern groups", () => {
  const compiled = compileUsernamePattern("(?<first>[a-z])(?<last>[a-z]+)");
  if (!compiled) throw new Error("the test pattern must compile");
  const pattern = compiled;

  it("accepts an initial and the last name", () => {
    expect(mismatchedGroups(pattern, "alice.smith@example.com", "asmith")).toEqual([]);
  });

  it("reports a group that differs", () => {
    expect(mismatchedGroups(pattern, "alice.smith@example.com", "ajones")).toEqual([
      { group: "last", captured: "jones", expected: "smith" },
    ]);
  });

  it("local group compares hyphenated", () => {
    const local = compileUsernamePattern("(?<local>[a-z0-9-]+)");
    expect(local).toBeDefined();
    expect(
      mismatchedGroups(local as NonNullable<typeof local>, "Alice.Smith@example.com", "alice-smith"),
    ).toEqual([]);
  });

  it("invalid pattern compiles to nothing", () => {
    expect(compileUsernamePattern("(")).toBeUndefined();
  });
});
