import { describe, expect, it } from "vitest";
import { VarsDocument } from "../../src/edit/document.js";
import { EditError } from "../../src/edit/errors.js";
import {
  addUser,
  grantNamespace,
  removeUser,
  revokeNamespace,
  setRoles,
  setUserDisabled,
} from "../../src/edit/users.js";
import { expectValid, lineDiff, readFixture } from "./helpers.js";

const commented = readFixture("dev-eu-west-1.yaml");
const flow = readFixture("qa-us-east-1.yaml");

function expectEditError(edit: () => string, code: string): void {
  try {
    edit();
  } catch (error) {
    expect(error).toBeInstanceOf(EditError);
    expect((error as EditError).code).toBe(code);
    return;
  }
  throw new Error(`expected an EditError with code ${code}`);
}

describe("vars document round trip", () => {
  it("unedited document equals its source", () => {
    for (const text of [commented, flow, commented.replace(/\n/g, "\r\n")]) {
      expect(String(new VarsDocument(text))).toBe(text);
    }
  });

  it("no-op edits return the same text", () => {
    expect(setUserDisabled(commented, { username: "cwu" }, true)).toBe(commented);
    expect(setUserDisabled(commented, { username: "bjones" }, false)).toBe(commented);
    expect(grantNamespace(commented, { username: "asmith" }, { namespace: "ml-prod", access: "edit" })).toBe(
      commented,
    );
    expect(setRoles(commented, { username: "divanov" }, ["cake-admin", "cake-user"])).toBe(commented);
  });
});

describe("addUser", () => {
  it("appends after the last user in block style", () => {
    const after = addUser(commented, {
      email: "erin@example.com",
      username: "erin",
      roles: ["cake-user"],
      grants: [
        { namespace: "ml-staging", access: "edit" },
        { namespace: "ml-prod", access: "view" },
      ],
    });
    expect(lineDiff(commented, after)).toEqual({
      removed: [],
      added: [
        "56: ",
        "57:     - email: erin@example.com",
        "58:       username: erin",
        "59:       roles: [cake-user]",
        "60:       allowed_namespaces: [ml-staging, {name: ml-prod, access: view}]",
      ],
    });
    const deployment = expectValid(after);
    expect(deployment.users.find((user) => user.username === "erin")?.allowedNamespaces).toEqual([
      { namespace: "ml-prod", access: "view" },
      { namespace: "ml-staging", access: "edit" },
    ]);
  });

  it("appends a flow entry to an indentless list", () => {
    const after = addUser(flow, {
      email: "cy@example.com",
      username: "cy",
      roles: ["cake-admin"],
      grants: [],
    });
    expect(lineDiff(flow, after)).toEqual({
      removed: [],
      added: ["15:   - {email: cy@example.com, username: cy, roles: [cake-admin], allowed_namespaces: []}"],
    });
    expectValid(after, "vars/qa-us-east-1.yaml");
  });

  it("copies the email byte for byte", () => {
    const after = addUser(commented, {
      email: "Zoe.Ng+ML@Example.com",
      username: "zng",
      roles: ["cake-user"],
      grants: [],
    });
    const deployment = expectValid(after);
    expect(deployment.users.map((user) => user.email)).toContain("Zoe.Ng+ML@Example.com");
  });

  it("quotes a username YAML 1.1 reads as boolean", () => {
    const after = addUser(commented, {
      email: "no@example.com",
      username: "no",
      roles: ["cake-user"],
      grants: [],
    });
    expect(after).toContain('username: "no"');
    expectValid(after);
  });

  it("rejects duplicates and unknown namespaces", () => {
    const base = { roles: ["cake-user"], grants: [] };
    expectEditError(
      () => addUser(commented, { ...base, email: "bob@example.com", username: "bob2" }),
      "duplicate-email",
    );
    expectEditError(
      () => addUser(commented, { ...base, email: "alice.smith@example.com", username: "as2" }),
      "duplicate-email",
    );
    expectEditError(
      () => addUser(commented, { ...base, email: "new@example.com", username: "cwu" }),
      "duplicate-username",
    );
    expectEditError(
      () =>
        addUser(commented, {
          ...base,
          email: "new@example.com",
          username: "new",
          grants: [{ namespace: "nope", access: "edit" }],
        }),
      "unknown-namespace",
    );
  });
});

describe("setUserDisabled", () => {
  it("sets an existing false to true", () => {
    const after = setUserDisabled(commented, { email: "bob@example.com" }, true);
    expect(lineDiff(commented, after)).toEqual({
      removed: ["47:       disabled: false"],
      added: ["47:       disabled: true"],
    });
    expect(expectValid(after).users.find((user) => user.username === "bjones")?.disabled).toBe(true);
  });

  it("adds the key after the last one", () => {
    const after = setUserDisabled(commented, { username: "asmith" }, true);
    expect(lineDiff(commented, after)).toEqual({ removed: [], added: ["32:       disabled: true"] });
    expectValid(after);
  });

  it("adds the key to a flow entry", () => {
    const after = setUserDisabled(flow, { username: "ben" }, true);
    expect(lineDiff(flow, after)).toEqual({
      removed: [
        "14:   - {email: ben@example.com, username: ben, roles: [cake-user], allowed_namespaces: []}   # new hire",
      ],
      added: [
        "14:   - {email: ben@example.com, username: ben, roles: [cake-user], allowed_namespaces: [], disabled: true}   # new hire",
      ],
    });
    expectValid(after, "vars/qa-us-east-1.yaml");
  });

  it("enabling removes the key with its comment", () => {
    const after = setUserDisabled(commented, { username: "cwu" }, false);
    expect(lineDiff(commented, after)).toEqual({
      removed: ["54:       disabled: true              # on leave: profile and data kept"],
      added: [],
    });
    expect(expectValid(after).users.find((user) => user.username === "cwu")?.disabled).toBe(false);
  });

  it("unknown user suggests the case variant", () => {
    expectEditError(
      () => setUserDisabled(commented, { email: "alice.smith@example.com" }, true),
      "unknown-user",
    );
    expect(() => setUserDisabled(commented, { email: "alice.smith@example.com" }, true)).toThrow(
      /Alice\.Smith@example\.com/,
    );
  });

  it("unknown user names the code points of a Unicode form variant", () => {
    const composed = addUser(commented, {
      email: "jos\u00e9@example.com",
      username: "jose",
      roles: [],
      grants: [],
    });
    expect(() => setUserDisabled(composed, { email: "jose\u0301@example.com" }, true)).toThrow(
      "another Unicode form: U+00E9 in the file, U+0065 U+0301 given",
    );
  });
});

describe("removeUser", () => {
  it("removes a block entry and one blank line", () => {
    const after = removeUser(commented, { username: "bjones" });
    expect(lineDiff(commented, after)).toEqual({
      removed: [
        "43:     - email: bob@example.com",
        "44:       username: bjones",
        "45:       roles:",
        "46:         - cake-user",
        "47:       disabled: false",
        "48:       allowed_namespaces:",
        "49:         - team-a",
        "50: ",
      ],
      added: [],
    });
    expectValid(after);
  });

  it("refuses an entry whose anchor another entry uses", () => {
    const shared = commented
      .replace("      roles: [cake-admin]", "      roles: &admins [cake-admin]")
      .replace(
        "      username: bjones\n      roles:\n        - cake-user",
        "      username: bjones\n      roles: *admins",
      );
    expect(shared).toContain("*admins");
    expectValid(shared);

    expect(() => removeUser(shared, { username: "asmith" })).toThrow(EditError);
    expect(() => removeUser(shared, { username: "asmith" })).toThrow(
      "this change would remove the anchor &admins (line 30), which the alias *admins at line 45 uses; " +
        "replace *admins at line 45 with the value it stands for, then run the command again.",
    );
    expectValid(removeUser(shared, { username: "bjones" }));
  });

  it("keeps the comment lines above the entry", () => {
    const after = removeUser(commented, { email: "Alice.Smith@example.com" });
    expect(after).toContain("    # Platform team\n");
    expect(lineDiff(commented, after).removed).toEqual([
      "28:     - email: Alice.Smith@example.com      # exactly what the IdP sends",
      "29:       username: asmith",
      "30:       roles: [cake-admin]",
      "31:       allowed_namespaces: [ml-staging, ml-prod]   # flow list",
      "32: ",
    ]);
    expectValid(after);
  });

  it("removes the last entry before a trailing comment", () => {
    const after = removeUser(commented, { username: "cwu" });
    expect(lineDiff(commented, after)).toEqual({
      removed: [
        "50: ",
        "51:     - email: carol@example.com",
        "52:       username: cwu",
        "53:       roles: [cake-user]",
        "54:       disabled: true              # on leave: profile and data kept",
        "55:       allowed_namespaces: [ml-staging, {name: team-a, access: view}]",
      ],
      added: [],
    });
    expectValid(after);
  });

  it("removes a flow entry line", () => {
    const after = removeUser(flow, { username: "ann" });
    expect(lineDiff(flow, after)).toEqual({
      removed: [
        "13:   - {email: ann@example.com, username: ann, roles: [cake-user], allowed_namespaces: [ml-staging]}",
      ],
      added: [],
    });
    expectValid(after, "vars/qa-us-east-1.yaml");
  });
});

describe("grantNamespace", () => {
  it("appends to a flow list before its comment", () => {
    const after = grantNamespace(commented, { username: "asmith" }, { namespace: "team-a", access: "edit" });
    expect(lineDiff(commented, after)).toEqual({
      removed: ["31:       allowed_namespaces: [ml-staging, ml-prod]   # flow list"],
      added: ["31:       allowed_namespaces: [ml-staging, ml-prod, team-a]   # flow list"],
    });
    expectValid(after);
  });

  it("appends a block mapping for view access", () => {
    const after = grantNamespace(commented, { username: "bjones" }, { namespace: "ml-prod", access: "view" });
    expect(lineDiff(commented, after)).toEqual({
      removed: [],
      added: ["50:         - name: ml-prod", "51:           access: view"],
    });
    expectValid(after);
  });

  it("turns a plain entry into an object for view", () => {
    const after = grantNamespace(commented, { username: "bjones" }, { namespace: "team-a", access: "view" });
    expect(lineDiff(commented, after)).toEqual({
      removed: ["49:         - team-a"],
      added: ["49:         - name: team-a", "50:           access: view"],
    });
    const user = expectValid(after).users.find((each) => each.username === "bjones");
    expect(user?.allowedNamespaces).toEqual([{ namespace: "team-a", access: "view" }]);
  });

  it("changes access in place and keeps its comment", () => {
    const after = grantNamespace(
      commented,
      { username: "divanov" },
      { namespace: "ml-prod", access: "edit" },
    );
    expect(lineDiff(commented, after)).toEqual({
      removed: ["39:           access: view            # read only"],
      added: ["39:           access: edit            # read only"],
    });
    expectValid(after);
  });

  it("changes a flow entry to an object", () => {
    const after = grantNamespace(commented, { username: "asmith" }, { namespace: "ml-prod", access: "view" });
    expect(lineDiff(commented, after).added).toEqual([
      "31:       allowed_namespaces: [ml-staging, {name: ml-prod, access: view}]   # flow list",
    ]);
    expectValid(after);
  });

  it("fills an empty flow list", () => {
    const after = grantNamespace(flow, { username: "ben" }, { namespace: "ml-prod", access: "edit" });
    expect(lineDiff(flow, after).added).toEqual([
      "14:   - {email: ben@example.com, username: ben, roles: [cake-user], allowed_namespaces: [ml-prod]}   # new hire",
    ]);
    expectValid(after, "vars/qa-us-east-1.yaml");
  });

  it("rejects an undeclared namespace", () => {
    expectEditError(
      () => grantNamespace(commented, { username: "asmith" }, { namespace: "ml-dev", access: "edit" }),
      "unknown-namespace",
    );
  });
});

describe("revokeNamespace", () => {
  it("removes a block mapping entry", () => {
    const after = revokeNamespace(commented, { username: "divanov" }, "ml-prod");
    expect(lineDiff(commented, after)).toEqual({
      removed: ["38:         - name: ml-prod", "39:           access: view            # read only"],
      added: [],
    });
    expectValid(after);
  });

  it("leaves [] after the only block entry", () => {
    const after = revokeNamespace(commented, { username: "bjones" }, "team-a");
    expect(lineDiff(commented, after)).toEqual({
      removed: ["48:       allowed_namespaces:", "49:         - team-a"],
      added: ["48:       allowed_namespaces: []"],
    });
    expectValid(after);
  });

  it("removes flow entries with their separators", () => {
    const first = revokeNamespace(commented, { username: "cwu" }, "ml-staging");
    expect(lineDiff(commented, first).added).toEqual([
      "55:       allowed_namespaces: [{name: team-a, access: view}]",
    ]);
    const last = revokeNamespace(commented, { username: "cwu" }, "team-a");
    expect(lineDiff(commented, last).added).toEqual(["55:       allowed_namespaces: [ml-staging]"]);
    const both = revokeNamespace(first, { username: "cwu" }, "team-a");
    expect(lineDiff(commented, both).added).toEqual(["55:       allowed_namespaces: []"]);
    expectValid(both);
  });

  it("rejects a namespace not granted", () => {
    expectEditError(() => revokeNamespace(commented, { username: "asmith" }, "team-a"), "not-granted");
  });
});

describe("setRoles", () => {
  it("replaces block roles without emptying", () => {
    const after = setRoles(commented, { username: "bjones" }, ["cake-admin"]);
    expect(lineDiff(commented, after)).toEqual({
      removed: ["46:         - cake-user"],
      added: ["46:         - cake-admin"],
    });
    expectValid(after);
  });

  it("adds to a flow list", () => {
    const after = setRoles(commented, { username: "asmith" }, ["cake-admin", "cake-user"]);
    expect(lineDiff(commented, after)).toEqual({
      removed: ["30:       roles: [cake-admin]"],
      added: ["30:       roles: [cake-admin, cake-user]"],
    });
    expectValid(after);
  });
});

describe("line endings", () => {
  it("CRLF files keep CRLF in new lines", () => {
    const crlf = commented.replace(/\n/g, "\r\n");
    const after = addUser(crlf, {
      email: "erin@example.com",
      username: "erin",
      roles: ["cake-user"],
      grants: [],
    });
    expect(after.replace(/\r\n/g, "")).not.toContain("\n");
    expect(after.startsWith(crlf.slice(0, crlf.indexOf("  # end of users")))).toBe(true);
  });
});

/** The lines of a vars file up to its `users:` key, for the flow list tests. */
const SETTINGS_LINES = [
  "environment: dev",
  "region: eu-west-1",
  "kubeflow:",
  "  profile_owner: kubeflow-platform@example.com",
  "gitops:",
  "  repo_url: https://git.example.com/platform/ops.git",
  "users:",
];

describe("flow lists written one item a line", () => {
  const oneALine = [
    ...SETTINGS_LINES,
    "  deploy_namespaces: [ml-staging, ml-prod, team-a]",
    "  users: [",
    "    {email: ann@example.com, username: ann, roles: [cake-admin]},   # on-call lead",
    "    {email: bob@example.com, username: bob, roles: [cake-user], allowed_namespaces: [",
    "        ml-staging,   # churn model",
    "        ml-prod,      # temporary: expires 2027-01-31",
    "        team-a        # owner of team-a",
    "      ]},",
    "    {email: cy@example.com, username: cy, roles: [cake-user]}     # contractor",
    "  ]",
    "",
  ].join("\n");
  const file = "vars/dev-eu-west-1.yaml";

  it("removes the last item with its comment, and the separator before it", () => {
    const after = removeUser(oneALine, { username: "cy" });
    expect(lineDiff(oneALine, after)).toEqual({
      removed: [
        "15:       ]},",
        "16:     {email: cy@example.com, username: cy, roles: [cake-user]}     # contractor",
      ],
      added: ["15:       ]}"],
    });
    const grants = revokeNamespace(oneALine, { username: "bob" }, "team-a");
    expect(lineDiff(oneALine, grants)).toEqual({
      removed: [
        "13:         ml-prod,      # temporary: expires 2027-01-31",
        "14:         team-a        # owner of team-a",
      ],
      added: ["13:         ml-prod       # temporary: expires 2027-01-31"],
    });
    expectValid(after, file);
    expectValid(grants, file);
  });

  it("removes an item in the middle with its own comment", () => {
    const after = revokeNamespace(oneALine, { username: "bob" }, "ml-prod");
    expect(lineDiff(oneALine, after)).toEqual({
      removed: ["13:         ml-prod,      # temporary: expires 2027-01-31"],
      added: [],
    });
    const first = removeUser(oneALine, { username: "ann" });
    expect(lineDiff(oneALine, first).removed).toEqual([
      "10:     {email: ann@example.com, username: ann, roles: [cake-admin]},   # on-call lead",
    ]);
    expectValid(after, file);
    expectValid(first, file);
  });

  it("appends an item on a line of its own, after the last item's comment", () => {
    const revoked = revokeNamespace(oneALine, { username: "bob" }, "team-a");
    const after = grantNamespace(revoked, { username: "bob" }, { namespace: "team-a", access: "edit" });
    expect(lineDiff(oneALine, after)).toEqual({
      removed: ["14:         team-a        # owner of team-a"],
      added: ["14:         team-a"],
    });
    const added = addUser(oneALine, {
      email: "dee@example.com",
      username: "dee",
      roles: ["cake-user"],
      grants: [],
    });
    expect(lineDiff(oneALine, added)).toEqual({
      removed: ["16:     {email: cy@example.com, username: cy, roles: [cake-user]}     # contractor"],
      added: [
        "16:     {email: cy@example.com, username: cy, roles: [cake-user]},    # contractor",
        "17:     {email: dee@example.com, username: dee, roles: [cake-user]}",
      ],
    });
    expectValid(after, file);
    expectValid(added, file);
  });
});

describe("flow lists with brackets on the item lines", () => {
  const bracketed = [
    ...SETTINGS_LINES,
    "  deploy_namespaces: [ml-prod, team-a, team-b, ml-staging]",
    "  users:",
    "    - email: ann@example.com",
    "      username: ann",
    "      roles: [cake-user]",
    "      allowed_namespaces: [ml-prod,   # on-call only",
    "        team-a,    # contractor",
    "        team-b]    # reviewer",
    "",
  ].join("\n");
  const file = "vars/dev-eu-west-1.yaml";

  it("removes the last item before ]", () => {
    const after = revokeNamespace(bracketed, { username: "ann" }, "team-b");
    expect(lineDiff(bracketed, after)).toEqual({
      removed: ["14:         team-a,    # contractor", "15:         team-b]    # reviewer"],
      added: ["14:         team-a]    # contractor"],
    });
    expectValid(after, file);
  });

  it("removes the first item after [", () => {
    const after = revokeNamespace(bracketed, { username: "ann" }, "ml-prod");
    expect(lineDiff(bracketed, after)).toEqual({
      removed: ["13:       allowed_namespaces: [ml-prod,   # on-call only"],
      added: ["13:       allowed_namespaces: ["],
    });
    expectValid(after, file);
  });

  it("appends an item before ]", () => {
    const after = grantNamespace(bracketed, { username: "ann" }, { namespace: "ml-staging", access: "edit" });
    expect(lineDiff(bracketed, after)).toEqual({
      removed: ["15:         team-b]    # reviewer"],
      added: ["15:         team-b,    # reviewer", "16:         ml-staging]"],
    });
    expectValid(after, file);
  });
});

describe("flow lists with trailing commas and lone brackets", () => {
  const withGrants = (list: string) =>
    [
      ...SETTINGS_LINES,
      "  deploy_namespaces: [a, b, c]",
      "  users:",
      "    - email: ann@example.com",
      "      username: ann",
      "      roles: [cake-user]",
      `      allowed_namespaces: ${list}`,
      "",
    ].join("\n");
  const ann = { username: "ann" };
  const file = "vars/dev-eu-west-1.yaml";
  const grantsOf = (text: string) => text.split("\n").slice(12).join("\n");

  it.each([
    ["the last item before ,]", "[a,  # c1\n        b,]  # c2", "b", "allowed_namespaces: [a,]  # c1\n"],
    ["the only item of [c,]", "[c,]", "c", "allowed_namespaces: []\n"],
    ["the only item on the [ line", "[a,  # c1\n        ]", "a", "allowed_namespaces: [\n        ]\n"],
    [
      "every item, first to last",
      "[a,  # c1\n        b,  # c2\n        c]  # c3",
      "a b c",
      "allowed_namespaces: [\n        ]\n",
    ],
  ])("revoking %s keeps no comment of a removed item", (_name, list, namespaces, expected) => {
    let text = withGrants(list);
    for (const namespace of namespaces.split(" ")) text = revokeNamespace(text, ann, namespace);

    expect(grantsOf(text).trimStart()).toBe(expected);
    expectValid(text, file);
  });

  it("appends after ,] with the list's trailing comma", () => {
    const after = grantNamespace(withGrants("[a,  # c1\n        b,]  # c2"), ann, {
      namespace: "c",
      access: "edit",
    });

    expect(grantsOf(after).trimStart()).toBe(
      "allowed_namespaces: [a,  # c1\n        b,  # c2\n        c,]\n",
    );
    expectValid(after, file);
  });
});
