import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { parseImportCsv } from "../../src/edit/import.js";
import { expectValid, lineDiff, readFixture } from "./helpers.js";
import { cake, makeRepo, readVars, snapshot } from "./repo.js";

const original = readFixture("dev-eu-west-1.yaml");

let repo: string;
beforeEach(async () => {
  repo = await makeRepo();
});

async function writeCsv(text: string): Promise<string> {
  const file = path.join(repo, "users.csv");
  await writeFile(file, text);
  return file;
}

const GOOD = [
  "email,username,roles,namespaces",
  'erin@example.com,erin,cake-user,"ml-staging;ml-prod:view"',
  "bob@example.com,,cake-admin;cake-user,ml-prod:view",
  "carol@example.com,cwu,,",
  "",
].join("\n");

describe("parseImportCsv", () => {
  it("parses roles and grants", () => {
    expect(parseImportCsv(GOOD, "users.csv")).toEqual([
      {
        row: 2,
        email: "erin@example.com",
        username: "erin",
        roles: ["cake-user"],
        grants: [
          { namespace: "ml-staging", access: "edit" },
          { namespace: "ml-prod", access: "view" },
        ],
      },
      {
        row: 3,
        email: "bob@example.com",
        username: "",
        roles: ["cake-admin", "cake-user"],
        grants: [{ namespace: "ml-prod", access: "view" }],
      },
      { row: 4, email: "carol@example.com", username: "cwu", roles: [], grants: [] },
    ]);
  });

  it("accepts columns in any order", () => {
    const rows = parseImportCsv("roles,namespaces,email,username\ncake-user,,a@example.com,a\n", "f.csv");
    expect(rows[0]?.email).toBe("a@example.com");
  });

  const bad: [string, string, RegExp][] = [
    ["missing column", "email,roles,namespaces\na@example.com,cake-user,\n", /row 1: .*missing: username/],
    [
      "bad role",
      "email,username,roles,namespaces\na@example.com,a,cake-user,\nb@example.com,b,admin,\n",
      /row 3: invalid role/,
    ],
    ["field count", "email,username,roles,namespaces\na@example.com,a,cake-user\n", /row 2: 3 fields/],
    [
      "repeated email",
      "email,username,roles,namespaces\na@x.io,a,cake-user,\na@x.io,b,cake-user,\n",
      /row 3: .*row 2/,
    ],
    [
      "bad access",
      "email,username,roles,namespaces\na@x.io,a,cake-user,ml-prod:admin\n",
      /row 2: invalid access/,
    ],
    ["unclosed quote", 'email,username,roles,namespaces\n"a@x.io,a,cake-user,\n', /row 2: /],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => parseImportCsv(text, "f.csv")).toThrow(message);
    });
  }

  it("names every bad row at once", () => {
    const text = [
      "email,username,roles,namespaces",
      "a@x.io,a,admin,",
      "b@x.io,b,cake-user,",
      ",c,cake-user,",
      "d@x.io,d,cake-user,ml-prod:admin",
      "",
    ].join("\n");

    expect(() => parseImportCsv(text, "f.csv")).toThrow(
      "3 rows have problems, so nothing was imported:\n" +
        '  f.csv: row 2: invalid role "admin"; use one of: cake-admin, cake-user\n' +
        "  f.csv: row 4: the email is empty\n" +
        '  f.csv: row 5: invalid access "admin"',
    );
  });
});

describe("cake user import", () => {
  it("dry run prints the plan and writes nothing", async () => {
    const file = await writeCsv(GOOD);
    const before = await snapshot(repo);
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file, "--dry-run");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/row 2: add erin@example.com \(username erin\)/);
    expect(result.stdout).toMatch(/row 3: update bob@example.com/);
    expect(result.stdout).toMatch(/row 4: unchanged carol@example.com/);
    expect(result.stdout).toMatch(/dry run/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("adds and updates users", async () => {
    const file = await writeCsv(GOOD);
    const result = await cake(
      repo,
      "user",
      "import",
      "--deployment",
      "dev-eu-west-1",
      file,
      "--no-reconcile",
    );
    expect(result.code).toBe(0);
    const after = await readVars(repo);
    const deployment = expectValid(after);
    const bob = deployment.users.find((user) => user.username === "bjones");
    expect(bob?.roles).toEqual(["cake-admin", "cake-user"]);
    expect(bob?.allowedNamespaces).toEqual([
      { namespace: "ml-prod", access: "view" },
      { namespace: "team-a", access: "edit" },
    ]);
    expect(deployment.users.find((user) => user.username === "erin")?.email).toBe("erin@example.com");
    // Lines of users the import did not name stay as they were.
    expect(lineDiff(original, after).removed).toEqual([]);
  });

  it("one bad row changes nothing", async () => {
    const file = await writeCsv(`${GOOD}dan@example.com,dan,cake-user,ml-dev\n`);
    const before = await snapshot(repo);
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/row 5: .*ml-dev/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("names every row the vars file rejects", async () => {
    const file = await writeCsv(
      `${GOOD}dan@example.com,dan,cake-user,ml-dev\nfay@example.com,fay,cake-user,\ndmitri.ivanov@example.com,dmitri,cake-user,\n`,
    );
    const before = await snapshot(repo);

    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/2 rows have problems, so nothing was imported:/);
    expect(result.stderr).toMatch(/users\.csv: row 5: .*ml-dev/);
    expect(result.stderr).toMatch(/users\.csv: row 7: .*never renames/);
    expect(result.stderr).not.toMatch(/row 6/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("names CSV and vars problems together", async () => {
    const file = await writeCsv(`${GOOD}dan@example.com,dan,cake-user,ml-dev\nfay@example.com,fay,admin,\n`);
    const before = await snapshot(repo);

    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/2 rows have problems, so nothing was imported:/);
    expect(result.stderr).toMatch(/users\.csv: row 5: .*ml-dev[^\n]*\n[^\n]*users\.csv: row 6: invalid role/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("escapes control characters in its errors", async () => {
    const file = await writeCsv("email,username,roles,namespaces\nx@example.com,x,cake-\u001b[31muser,\n");

    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid role "cake-\\x1b[31muser"');
    expect(result.stderr).not.toContain("\u001b");
  });

  it("invalid email row changes nothing", async () => {
    const file = await writeCsv("email,username,roles,namespaces\nnot-an-email,x,cake-user,\n");
    const before = await snapshot(repo);
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/row 2: .*email/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("renaming an existing user is refused", async () => {
    const file = await writeCsv("email,username,roles,namespaces\nbob@example.com,bob,cake-user,\n");
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/row 2: .*never renames/);
    expect(await readVars(repo)).toBe(original);
  });

  it("missing file is a usage error", async () => {
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", "nope.csv");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /cannot read .*nope\.csv: no such file or folder \(ENOENT\); check the path\./,
    );
  });
});
