import { describe, expect, it } from "vitest";
import { checkIdentity } from "../../src/identity/check.js";
import { parseIdpUsers } from "../../src/identity/idp.js";
import { loadUsers } from "./vars.js";

const USERS = [
  { email: "alice.smith@example.com", username: "asmith" },
  { email: "Bob.Jones@example.com", username: "bjones" },
  { email: "carol.wu@example.com", username: "cwu", disabled: true },
  { email: "dmitri.ivanov@example.com", username: "divanov" },
  { email: "erin.oconnor@example.com", username: "erin" },
];

describe("checkIdentity conventions", () => {
  it("warns on a departing username", () => {
    const { deployment, document, text } = loadUsers(USERS);
    const diagnostics = checkIdentity(deployment, document, { text });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      severity: "warning",
      code: "username-convention",
      path: "users.users[4].username",
      line: 26,
      column: 17,
    });
    expect(diagnostics[0]?.message).toContain('"eoconnor"');
  });

  it("no warning without a majority", () => {
    const { deployment, document } = loadUsers(USERS.slice(0, 4));
    expect(checkIdentity(deployment, document)).toEqual([]);
  });

  it("parses the document for diagnostics only", () => {
    const { deployment, document, text } = loadUsers(USERS.slice(0, 4));
    let parses = 0;
    const documentOf = () => {
      parses++;
      return document;
    };
    expect(checkIdentity(deployment, documentOf, { text })).toEqual([]);
    expect(parses).toBe(0);

    const departing = loadUsers(USERS);
    const diagnostics = checkIdentity(
      departing.deployment,
      () => {
        parses++;
        return departing.document;
      },
      { text: departing.text },
    );
    expect(diagnostics.map((diagnostic) => diagnostic.line)).toEqual([26]);
    expect(parses).toBe(1);
  });

  it("pattern groups replace inference", () => {
    const { deployment, document } = loadUsers(USERS, '  username_pattern: "(?<first>[a-z])(?<last>[a-z]+)"');
    const diagnostics = checkIdentity(deployment, document);
    expect(diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path])).toEqual([
      ["username-pattern", "users.users[4].username"],
    ]);
  });
});

describe("checkIdentity with IdP users", () => {
  it("suggests the entry differing in case", () => {
    const { deployment, document, text } = loadUsers(USERS);
    const idpUsers = [
      "alice.smith@example.com",
      "bob.jones@example.com",
      "dmitri.ivanov@example.com",
      "erin.oconnor@example.com",
    ];
    const diagnostics = checkIdentity(deployment, document, { idpUsers, text }).filter(
      (item) => item.code !== "username-convention",
    );
    expect(diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "idp-email-case",
        path: "users.users[1].email",
        line: 15,
      }),
    ]);
    expect(diagnostics[0]?.message).toContain('"bob.jones@example.com"');
  });

  it("matches any case when the IdP lower-cases emails", () => {
    const lowerCase = USERS.map((user) => ({ ...user, email: user.email.toLowerCase() }));
    const { deployment, document } = loadUsers(lowerCase, "  lowercase_emails: true");
    const idpUsers = ["alice.smith@example.com", "BOB.JONES@example.com", "dmitri.ivanov@example.com"];
    const codes = checkIdentity(deployment, document, { idpUsers })
      .filter((item) => item.code.startsWith("idp-"))
      .map((item) => [item.code, item.path]);
    // Bob matches despite the case; only erin is missing from the list.
    expect(codes).toEqual([["idp-unknown-email", "users.users[4].email"]]);
  });

  it("warns on an unknown email", () => {
    const { deployment, document } = loadUsers(USERS);
    const idpUsers = ["alice.smith@example.com", "Bob.Jones@example.com", "erin.oconnor@example.com"];
    const codes = checkIdentity(deployment, document, { idpUsers })
      .filter((item) => item.code !== "username-convention")
      .map((item) => [item.code, item.path]);
    expect(codes).toEqual([["idp-unknown-email", "users.users[3].email"]]);
  });

  it("skips disabled users", () => {
    const { deployment, document } = loadUsers(USERS);
    const idpUsers = USERS.filter((user) => !user.disabled).map((user) => user.email);
    expect(
      checkIdentity(deployment, document, { idpUsers }).filter((item) => item.code.startsWith("idp-")),
    ).toEqual([]);
  });
});

describe("parseIdpUsers", () => {
  it("reads a CSV email column", () => {
    expect(
      parseIdpUsers('name,Email\n"Smith, Alice",Alice@example.com\nBob,bob@example.com\n', "idp.csv"),
    ).toEqual(["Alice@example.com", "bob@example.com"]);
  });

  it("reads JSON strings and objects", () => {
    expect(parseIdpUsers('["a@example.com"]', "idp.json")).toEqual(["a@example.com"]);
    expect(parseIdpUsers('[{"email": "b@example.com", "name": "B"}]', "idp.json")).toEqual(["b@example.com"]);
  });

  it("rejects files without emails", () => {
    expect(() => parseIdpUsers("name\nAlice\n", "idp.csv")).toThrow(/"email" column/);
    expect(() => parseIdpUsers("[1]", "idp.json")).toThrow(/entry \[0\]/);
    expect(() => parseIdpUsers("[", "idp.json")).toThrow(/invalid JSON/);
  });

  it("rejects text that is not UTF-8 rather than report its emails as unknown", () => {
    expect(() => parseIdpUsers("email\njos\uFFFD@example.com\n", "idp.csv")).toThrow(
      'idp.csv:2: the file is not UTF-8 (an "é" saved as Latin-1, say); save it as UTF-8.',
    );
    expect(() => parseIdpUsers("\uFEFFe\u0000m\u0000a\u0000i\u0000l\u0000", "idp.csv")).toThrow(
      /NUL characters/,
    );
  });

  it("rejects a row whose unquoted comma moves the email column", () => {
    expect(() => parseIdpUsers("name,email\nJones, Bob,bob@example.com\n", "idp.csv")).toThrow(
      "idp.csv: row 2 has 3 fields where the header has 2; quote a value that contains a comma.",
    );
  });

  it("trims JSON emails as it trims CSV ones", () => {
    expect(parseIdpUsers('[" bob@example.com", {"email": "ann@example.com "}]', "idp.json")).toEqual([
      "bob@example.com",
      "ann@example.com",
    ]);
  });

  it("rejects a JSON object as JSON", () => {
    expect(() => parseIdpUsers('{"email": "a@example.com"}', "idp.json")).toThrow(
      /idp\.json: expected a JSON array of emails or of objects with an "email" field/,
    );
  });
});
