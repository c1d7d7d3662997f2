import { writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { ImportError, parseImportCsv, readImportCsv } from "../../src/edit/import.js";
import { MAX_LISTED_PROBLEMS } from "../../src/edit/import-rows.js";
import { expectValid, lineDiff, readFixture } from "./helpers.js";
import { addQaUserByHand, cake, makeRepo, readVars, snapshot } from "./repo.js";

const original = readFixture("dev-eu-west-1.yaml");

let repo: string;
beforeEach(async () => {
  repo = await makeRepo();
});

/** The import command line up to its file argument. */
const IMPORT = ["user", "import", "--deployment", "dev-eu-west-1"];

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
    const rows = parseImportCsv(GOOD, "users.csv").map(({ positions: _, ...row }) => row);

    expect(rows).toEqual([
      {
        line: 2,
        email: "erin@example.com",
        username: "erin",
        roles: ["cake-user"],
        grants: [
          { namespace: "ml-staging", access: "edit" },
          { namespace: "ml-prod", access: "view" },
        ],
      },
      {
        line: 3,
        email: "bob@example.com",
        username: "",
        roles: ["cake-admin", "cake-user"],
        grants: [{ namespace: "ml-prod", access: "view" }],
      },
      { line: 4, email: "carol@example.com", username: "cwu", roles: [], grants: [] },
    ]);
  });

  it("accepts columns in any order", () => {
    const rows = parseImportCsv("roles,namespaces,email,username\ncake-user,,a@example.com,a\n", "f.csv");
    expect(rows[0]?.email).toBe("a@example.com");
  });

  it("accepts column names in any case", () => {
    const rows = parseImportCsv("Email,Username,Roles,Namespaces\na@example.com,a,cake-user,\n", "f.csv");
    expect(rows[0]).toMatchObject({ email: "a@example.com", username: "a" });
  });

  const bad: [string, string, RegExp][] = [
    [
      "missing column",
      "email,roles,namespaces\na@example.com,cake-user,\n",
      /^f\.csv:1: .*missing: username/,
    ],
    ["repeated column", "email,username,roles,namespaces,email\n", /^f\.csv:1: .*repeated: email/],
    [
      "trailing comma in the header",
      "email,username,roles,namespaces,\n",
      /^f\.csv:1: .*unknown: "" \(an empty column name: a trailing comma/,
    ],
    [
      "bad role",
      "email,username,roles,namespaces\na@example.com,a,cake-user,\nb@example.com,b,admin,\n",
      /f\.csv:3:17: error \[invalid-value\] roles: invalid role "admin"/,
    ],
    [
      "field count",
      "email,username,roles,namespaces\na@example.com,a,cake-user\n",
      /f\.csv:2:1: error \[field-count\] 3 fields/,
    ],
    [
      "repeated email",
      "email,username,roles,namespaces\na@x.io,a,cake-user,\na@x.io,b,cake-user,\n",
      /f\.csv:3:1: error \[duplicate-email\] email: .*on line 2/,
    ],
    [
      "bad access",
      "email,username,roles,namespaces\na@x.io,a,cake-user,ml-prod:admin\n",
      /f\.csv:2:20: error \[invalid-value\] namespaces: invalid access "admin" in "ml-prod:admin"/,
    ],
    [
      "unclosed quote",
      'email,username,roles,namespaces\na@x.io,"a,cake-user,\n',
      /^f\.csv:2:8: a quoted field is not closed/,
    ],
    [
      "Latin-1 bytes",
      Buffer.from("email,username,roles,namespaces\nren\u00e9@x.io,rene,cake-user,\n", "latin1").toString(
        "utf8",
      ),
      /^f\.csv:2:4: the file contains bytes that are not UTF-8 .*save the CSV as UTF-8/,
    ],
    [
      "UTF-16",
      Buffer.from("\ufeffemail,username,roles,namespaces\nann@x.io,ann,cake-user,\n", "utf16le").toString(
        "utf8",
      ),
      /^f\.csv: the file contains NUL bytes, so it may be UTF-16; save the CSV as UTF-8/,
    ],
    [
      "semicolons",
      "email;username;roles;namespaces\nann@x.io;ann;cake-user;\n",
      /^f\.csv:1: the columns are separated by ";", and cake reads commas; export the file with commas/,
    ],
    [
      "semicolons with a quoted field",
      'email;username;roles;namespaces\nann@x.io;;cake-user;"ml-staging;ml-prod:view"\n',
      /^f\.csv:1: the columns are separated by ";"/,
    ],
    [
      "tabs",
      "email\tusername\troles\tnamespaces\nann@x.io\tann\tcake-user\t\n",
      /^f\.csv:1: the columns are separated by tabs/,
    ],
    [
      "lone CR line ends",
      "email,username,roles,namespaces\rann@x.io,ann,cake-user,\r",
      /^f\.csv:1: the lines end in a CR alone, so the file reads as one line/,
    ],
  ];
  for (const [name, text, message] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => parseImportCsv(text, "f.csv")).toThrow(message);
    });
  }

  it("shortens a huge value in a problem", () => {
    const text = `email,username,roles,namespaces\na@example.com,a,${"x".repeat(100_000)},\n`;

    let message = "";
    try {
      parseImportCsv(text, "f.csv");
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toContain("characters left out]");
    expect(message.length).toBeLessThan(2000);
    expect(message).toContain("use one of: cake-admin, cake-user");
  });

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
      "f.csv: 3 problems in 3 rows, so nothing was imported:\n" +
        '  f.csv:2:10: error [invalid-value] roles: invalid role "admin"; use one of: cake-admin, cake-user. ' +
        'Did you mean "cake-admin"?\n' +
        "  f.csv:4:1: error [missing-value] email: the email is empty; every row needs the user's email\n" +
        '  f.csv:5:20: error [invalid-value] namespaces: invalid access "admin" in "ml-prod:admin"',
    );
  });

  it("role in other case suggests the role", () => {
    const text = "email,username,roles,namespaces\na@x.io,a,Cake-User,\n";

    expect(() => parseImportCsv(text, "f.csv")).toThrow(
      'roles: invalid role "Cake-User"; use one of: cake-admin, cake-user. Did you mean "cake-user"?',
    );
  });

  it("access near miss suggests the grant", () => {
    const text = "email,username,roles,namespaces\na@x.io,a,cake-user,ml-prod:veiw\n";

    expect(() => parseImportCsv(text, "f.csv")).toThrow(
      'namespaces: invalid access "veiw" in "ml-prod:veiw"; use one of: edit, view, or write the namespace ' +
        'alone for edit. Did you mean "ml-prod:view"?',
    );
  });

  it("reports every problem of a row", () => {
    const text = "email,username,roles,namespaces\n,a,admin;cake-user;root,ml-prod:admin;team-a:own\n";

    const { rows, problems } = readImportCsv(text, "f.csv");

    expect(problems.map(({ line, field, code }) => [line, field, code])).toEqual([
      [2, "email", "missing-value"],
      [2, "roles", "invalid-value"],
      [2, "roles", "invalid-value"],
      [2, "namespaces", "invalid-value"],
      [2, "namespaces", "invalid-value"],
    ]);
    expect(problems[2]?.message).toContain('"root"');
    expect(problems[4]?.message).toContain('"team-a:own"');
    expect(rows[0]?.roles).toEqual(["cake-user"]);
  });

  it("orders problems by line, then column", () => {
    // The header lists namespaces before roles, so their problems come first in a row.
    const text = "namespaces,email,roles,username\nml-prod:admin,,admin,x\nteam-a:own,b@x.io,root,y\n";

    let thrown: unknown;
    try {
      parseImportCsv(text, "f.csv");
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ImportError);
    const problems = (thrown as ImportError).problems;
    expect(problems.map(({ line, field }) => `${line} ${field}`)).toEqual([
      "2 namespaces",
      "2 email",
      "2 roles",
      "3 namespaces",
      "3 roles",
    ]);
  });

  it("multi-line field keeps first line", () => {
    const text = [
      "email,username,roles,namespaces",
      '"a@x.io",a,cake-user,"ml-prod;',
      'team-a"',
      'b@x.io,"b',
      '",admin,',
      "c@x.io,c,root,",
      "",
    ].join("\n");

    const { rows, problems } = readImportCsv(text, "f.csv");

    expect(rows.map((row) => row.line)).toEqual([2, 4, 6]);
    expect(problems.map(({ line, field }) => `${line} ${field}`)).toEqual(["4 roles", "6 roles"]);
    // The roles of the row on line 4 start after the username's line break, on line 5.
    expect(problems.map(({ position }) => `${position.line}:${position.column}`)).toEqual(["5:3", "6:10"]);
  });

  it("places each column of a row", () => {
    const text = 'email,username,roles,namespaces\n a@x.io,"a,b",,"ml-prod;\nteam-a"\n';

    const { rows } = readImportCsv(text, "f.csv");

    expect(rows[0]?.positions).toEqual({
      email: { line: 2, column: 1 },
      username: { line: 2, column: 9 },
      roles: { line: 2, column: 15 },
      namespaces: { line: 2, column: 16 },
    });
  });

  it("namespace listed twice in a row", () => {
    const text = 'email,username,roles,namespaces\na@x.io,a,cake-user,"ml-prod;team-a;ml-prod:view"\n';

    const { rows, problems } = readImportCsv(text, "f.csv");

    expect(rows[0]?.grants).toEqual([
      { namespace: "ml-prod", access: "edit" },
      { namespace: "team-a", access: "edit" },
    ]);
    expect(problems).toMatchObject([{ line: 2, field: "namespaces", code: "duplicate-grant" }]);
    expect(problems[0]?.message).toContain('"ml-prod" and "ml-prod:view"');
  });

  it("namespace repeated as written", () => {
    const text = 'email,username,roles,namespaces\na@x.io,a,cake-user,"ml-prod;ml-prod"\n';

    const { problems } = readImportCsv(text, "f.csv");

    expect(problems[0]?.message).toBe('namespace "ml-prod" is listed twice; remove one');
  });

  it("byte order mark keeps header", () => {
    const text = "\uFEFFemail,username,roles,namespaces\na@x.io,a,admin,\n";

    const { rows, problems } = readImportCsv(text, "f.csv");

    expect(rows[0]?.email).toBe("a@x.io");
    expect(problems).toMatchObject([{ line: 2, field: "roles", code: "invalid-value" }]);
    expect(problems[0]?.position).toEqual({ line: 2, column: 10 });
  });

  it("CRLF line endings count once", () => {
    const text = 'email,username,roles,namespaces\r\na@x.io,"a\r\nb",cake-user,\r\nb@x.io,b,admin,\r\n';

    const { rows, problems } = readImportCsv(text, "f.csv");

    expect(rows.map((row) => [row.line, row.email])).toEqual([
      [2, "a@x.io"],
      [4, "b@x.io"],
    ]);
    expect(problems).toMatchObject([{ line: 4, field: "roles" }]);
    expect(problems[0]?.position).toEqual({ line: 4, column: 10 });
  });

  it("lists at most the cap", () => {
    const lines = Array.from(
      { length: MAX_LISTED_PROBLEMS + 30 },
      (_, index) => `u${index}@x.io,u${index},admin,`,
    );
    const text = ["email,username,roles,namespaces", ...lines, ""].join("\n");

    let message = "";
    try {
      parseImportCsv(text, "f.csv");
    } catch (error) {
      message = (error as Error).message;
    }

    const listed = message.split("\n").filter((line) => line.startsWith("  f.csv:"));
    expect(listed).toHaveLength(MAX_LISTED_PROBLEMS);
    expect(message).toMatch(/^f\.csv: 130 problems in 130 rows,/);
    expect(message).toMatch(/\n {2}and 30 more problems, not listed$/);
  });
});

/** Reconciles the repo, then removes bjones with their Profile, which the manifest then records as removed. */
async function removeBjonesProfile(): Promise<void> {
  expect((await cake(repo, "reconcile")).code).toBe(0);
  const args = ["--deployment", "dev-eu-west-1", "--username", "bjones", "--delete-profile"];
  const removal = await cake(repo, "user", "remove", ...args);
  expect(removal.code).toBe(0);
}

describe("cake user import", () => {
  it("dry run prints the plan and writes nothing", async () => {
    const file = await writeCsv(GOOD);
    const before = await snapshot(repo);
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file, "--dry-run");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/line 2: add erin@example.com \(username erin\)/);
    expect(result.stdout).toMatch(/line 3: update bob@example.com/);
    expect(result.stdout).toMatch(/line 4: unchanged carol@example.com/);
    expect(result.stdout).toContain(
      "dry run, nothing written: 3 rows read: 1 user added, 1 updated, 1 unchanged\n",
    );
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
    expect(result.stderr).toMatch(/users\.csv:5:31: error \[unknown-namespace\] namespaces: .*"ml-dev"/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("names every row the vars file rejects", async () => {
    const file = await writeCsv(
      `${GOOD}dan@example.com,dan,cake-user,ml-dev\nfay@example.com,fay,cake-user,\ndmitri.ivanov@example.com,dmitri,cake-user,\n`,
    );
    const before = await snapshot(repo);

    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/users\.csv: 2 problems in 2 rows, so nothing was imported:/);
    expect(result.stderr).toMatch(/users\.csv:5:31: error \[unknown-namespace\] namespaces: .*ml-dev/);
    expect(result.stderr).toMatch(/users\.csv:7:27: error \[username-change\] username: .*never renames/);
    expect(result.stderr).not.toMatch(/users\.csv:6/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("names CSV and vars problems together", async () => {
    const file = await writeCsv(`${GOOD}dan@example.com,dan,cake-user,ml-dev\nfay@example.com,fay,admin,\n`);
    const before = await snapshot(repo);

    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/users\.csv: 2 problems in 2 rows, so nothing was imported:/);
    expect(result.stderr).toMatch(
      /users\.csv:5:31: [^\n]*ml-dev[^\n]*\n[^\n]*users\.csv:6:21: [^\n]*invalid role/,
    );
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
    expect(result.stderr).toMatch(/users\.csv:2:1: error \[invalid-email\] email: .*"not-an-email"/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("renaming an existing user is refused", async () => {
    const file = await writeCsv("email,username,roles,namespaces\nbob@example.com,bob,cake-user,\n");
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/users\.csv:2:17: error \[username-change\] username: .*never renames/);
    expect(await readVars(repo)).toBe(original);
  });

  it("reports every problem of a row", async () => {
    await writeCsv("email,username,roles,namespaces\nnot-an-email,x,admin,nope;ml-prod:own\n");
    const before = await snapshot(repo);

    const result = await cake(repo, ...IMPORT, "users.csv");

    expect(result.code).toBe(1);
    const listed = result.stderr.split("\n").filter((line) => line.startsWith("  users.csv:"));
    expect(
      listed.map((line) => /^ {2}(users\.csv:\d+:\d+): error \[([a-z-]+)\] (\w+):/.exec(line)?.slice(1)),
    ).toEqual([
      ["users.csv:2:1", "invalid-email", "email"],
      ["users.csv:2:16", "invalid-value", "roles"],
      ["users.csv:2:22", "invalid-value", "namespaces"],
      ["users.csv:2:22", "unknown-namespace", "namespaces"],
    ]);
    expect(result.stderr).toMatch(/^cake: users\.csv: 4 problems in 1 row, so nothing was imported:/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("refused rows name their line", async () => {
    await writeCsv(
      [
        "email,username,roles,namespaces",
        "erin@example.com,erin,cake-user,ml-dev",
        "fay@example.com,divanov,cake-user,",
        "Bob@Example.com,,cake-user,",
        "",
      ].join("\n"),
    );

    const result = await cake(repo, ...IMPORT, "users.csv");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /\n {2}users\.csv:2:33: error \[unknown-namespace\] namespaces: namespace "ml-dev"/,
    );
    expect(result.stderr).toMatch(
      /\n {2}users\.csv:3:17: error \[duplicate-username\] username: username "divanov"/,
    );
    expect(result.stderr).toMatch(
      /\n {2}users\.csv:4:1: error \[duplicate-email\] email: email "Bob@Example\.com"/,
    );
  });

  it("profile handover row names its line", async () => {
    await removeBjonesProfile();
    await writeCsv(`${GOOD}eve@example.com,bjones,cake-user,\ngil@example.com,bjones,root,nope\n`);
    const before = await snapshot(repo);

    const result = await cake(repo, ...IMPORT, "users.csv");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /\n {2}users\.csv:5:17: error \[profile-handover\] username: Profile "bjones" was the private profile of bob@example\.com/,
    );
    // A row with other bad values still gets the handover check.
    const listed = result.stderr.split("\n").filter((line) => line.startsWith("  users.csv:6:"));
    expect(listed.map((line) => /\[([a-z-]+)\] (\w+):/.exec(line)?.slice(1))).toEqual([
      ["profile-handover", "username"],
      ["invalid-value", "roles"],
      ["unknown-namespace", "namespaces"],
    ]);
    expect(result.stderr).toMatch(/4 problems in 2 rows/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("checks the username of a row without email", async () => {
    await writeCsv(
      [
        "email,username,roles,namespaces",
        ',divanov,,"nope;ml-prod:owner"',
        ",Bad_Name,cake-user,",
        ",ml-prod,,",
        ",fresh-name,,",
        "",
      ].join("\n"),
    );

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(1);
    const listed = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("  users.csv:"))
      .map((line) => /^ {2}users\.csv:(\d+:\d+): error \[([a-z0-9-]+)\] (\w+):/.exec(line)?.slice(1));
    expect(listed).toEqual([
      ["2:1", "missing-value", "email"],
      ["2:2", "duplicate-username", "username"],
      ["2:11", "invalid-value", "namespaces"],
      ["2:11", "unknown-namespace", "namespaces"],
      ["3:1", "missing-value", "email"],
      ["3:2", "invalid-dns-label", "username"],
      ["4:1", "missing-value", "email"],
      ["4:2", "username-is-namespace", "username"],
      ["5:1", "missing-value", "email"],
    ]);
    expect(result.stderr).toContain(
      'username "divanov" is already used by dmitri.ivanov@example.com; write that email to update their access',
    );
  });

  it("suggests a boolean-word username plainly", async () => {
    // The import writes such a word in quotes itself, so the advice names only the value.
    await writeCsv(["email,username,roles,namespaces", "yes@example.com,Yes,cake-user,", ""].join("\n"));

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('it names the user\'s Profile and namespace; use "yes"\n');
  });

  it("reports a username of an earlier left-out row", async () => {
    await writeCsv(
      [
        "email,username,roles,namespaces",
        ",fresh-name,cake-user,",
        ",fresh-name,cake-user,",
        "not-an-email,other-name,cake-user,",
        ",other-name,cake-user,",
        ",third-name,cake-user,",
        "",
      ].join("\n"),
    );

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'users.csv:3:2: error [duplicate-username] username: username "fresh-name" is also on line 2; ' +
        "each user needs their own username, so choose another, or keep one row when both are the same person",
    );
    expect(result.stderr).toContain(
      'users.csv:5:2: error [duplicate-username] username: username "other-name" is also on line 4;',
    );
    expect(result.stderr).not.toContain("users.csv:2:2:");
    expect(result.stderr).not.toContain("users.csv:6:2:");
  });

  it("names the earlier line of a case twin", async () => {
    await writeCsv(
      "email,username,roles,namespaces\nzoe@example.com,,cake-user,\nZoe@example.com,,cake-user,\n",
    );

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'users.csv:3:1: error [duplicate-email] email: email "Zoe@example.com" differs only in case from "zoe@example.com" on line 2',
    );
  });

  it("lists the code points of row twins", async () => {
    await writeCsv(
      "email,username,roles,namespaces\n" +
        "zo\u00eb@example.com,,cake-user,\nzoe\u0308@example.com,,cake-user,\nZOE\u0308@example.com,,cake-user,\n",
    );

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `users.csv:3:1: error [duplicate-email] email: email "zoe\u0308@example.com" differs only in Unicode form ` +
        `from "zo\u00eb@example.com" on line 2 (U+0065 U+0308 where line 2 has U+00EB); `,
    );
    expect(result.stderr).toContain(
      `users.csv:4:1: error [duplicate-email] email: email "ZOE\u0308@example.com" differs only in case and ` +
        `Unicode form from "zo\u00eb@example.com" on line 2 (U+0045 U+0308 where line 2 has U+00EB); `,
    );
  });

  it("names the existing user of a Unicode twin", async () => {
    const composed = "zo\u00eb@example.com";
    const added = await cake(
      repo,
      ...["user", "add", "--deployment", "dev-eu-west-1", "--email", composed, "--role", "cake-user"],
      "--no-reconcile",
    );
    expect(added.code).toBe(0);
    await writeCsv(`email,username,roles,namespaces\nzoe\u0308@example.com,,cake-user,\n`);

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `users.csv:2:1: error [duplicate-email] email: email "zoe\u0308@example.com" differs only in Unicode form ` +
        `from the existing user "${composed}" (U+0065 U+0308 where the existing email has U+00EB)`,
    );
    expect(result.stderr).not.toContain("users.users[");
  });

  it("says when an updated user is disabled", async () => {
    const csv = await writeCsv("email,username,roles,namespaces\ncarol@example.com,,,ml-prod:view\n");
    const elsewhere = path.dirname(repo);
    const flags = ["--repo", path.basename(repo)];

    const result = await cake(elsewhere, ...IMPORT, ...flags, csv, "--dry-run");

    expect(result.code).toBe(0);
    const enable = `cake user enable ${flags.join(" ")} --deployment dev-eu-west-1 --email carol@example.com`;
    expect(result.stdout).toContain(`(the user is disabled; the change takes effect with "${enable}")`);
    const enabled = await cake(elsewhere, ...enable.split(" ").slice(1), "--no-reconcile");
    expect(enabled.code).toBe(0);
    expect(enabled.stdout).toContain("enabled user carol@example.com");
  });

  it("reports case twin of a bad row", async () => {
    await writeCsv(
      "email,username,roles,namespaces\nZed.New@example.com,,admin,\nzed.new@example.com,,cake-user,\n",
    );

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("users.csv:2:22: error [invalid-value] roles");
    expect(result.stderr).toContain(
      'users.csv:3:1: error [duplicate-email] email: email "zed.new@example.com" differs only in case from "Zed.New@example.com" on line 2',
    );
  });

  it("proposes no removed Profile name", async () => {
    await removeBjonesProfile();
    await writeCsv("email,username,roles,namespaces\nbjones@example.com,,cake-user,\n");

    const imported = await cake(repo, ...IMPORT, "users.csv", "--dry-run");
    const added = await cake(
      repo,
      "user",
      "add",
      "--deployment",
      "dev-eu-west-1",
      "--email",
      "bjones@example.com",
      "--role",
      "cake-user",
      "--no-reconcile",
    );

    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("add bjones@example.com (username bjones-2)");
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('username "bjones-2" was chosen');
  });

  it("proposes distinct usernames for one local part", async () => {
    await writeCsv(
      "email,username,roles,namespaces\nnina.park@example.com,,cake-user,\nnina.park@example.org,,cake-user,\n",
    );

    const imported = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(imported.code).toBe(0);
    const proposed = [
      ...imported.stdout.matchAll(/add nina\.park@example\.(?:com|org) \(username ([a-z0-9-]+)\)/g),
    ];
    expect(proposed.map((match) => match[1])).toEqual([proposed[0]?.[1], `${proposed[0]?.[1]}-2`]);
  });

  it("dry run reports the same problems", async () => {
    await writeCsv(`${GOOD}dan@example.com,dan,admin,ml-dev\n`);
    const before = await snapshot(repo);

    const real = await cake(repo, ...IMPORT, "users.csv");
    const dry = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(dry.code).toBe(1);
    expect(dry.code).toBe(real.code);
    expect(dry.stderr).toBe(real.stderr);
    expect(dry.stderr).toMatch(/users\.csv:5:21: error \[invalid-value\] roles:/);
    expect(dry.stdout).not.toMatch(/line \d+: add/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("line numbers follow multi-line fields", async () => {
    // CRLF endings, a byte order mark and a quoted username over two lines.
    await writeCsv(
      '\uFEFFemail,username,roles,namespaces\r\nerin@example.com,"erin\r\n",cake-user,\r\nfay@example.com,fay,cake-user,ml-dev\r\n',
    );

    const result = await cake(repo, ...IMPORT, "users.csv");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\n {2}users\.csv:4:31: error \[unknown-namespace\] namespaces:/);
    expect(result.stderr).toMatch(/1 problem in 1 row/);
  });

  it("imports CRLF file with byte order mark", async () => {
    await writeCsv(`\uFEFF${GOOD.replaceAll("\n", "\r\n")}`);

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/line 2: add erin@example\.com \(username erin\)/);
    expect(result.stdout).toMatch(/line 4: unchanged carol@example\.com\r?\n/);
  });

  /** Writes a CSV of `count` new users whose emails have upper-case letters: one warning each. */
  async function writeUpperCaseUsers(count: number): Promise<void> {
    const rows = Array.from(
      { length: count },
      (_, index) => `New.User${index}@example.com,newuser${index},cake-user,`,
    );
    await writeCsv(["email,username,roles,namespaces", ...rows, ""].join("\n"));
  }

  it("lists ten added warnings and counts the rest", async () => {
    await writeUpperCaseUsers(15);

    const result = await cake(repo, ...IMPORT, "users.csv", "--no-reconcile");

    expect(result.code).toBe(0);
    expect(result.stderr.match(/warning \[email-uppercase\]/g)).toHaveLength(10);
    expect(result.stderr).toContain('5 more warnings not shown; run "cake validate" to list every warning.');
    expect(result.stderr).not.toContain("lines are those of the edited file");
  });

  it("dry run names where its warnings are", async () => {
    await writeUpperCaseUsers(15);

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^warnings the change would add \(lines are those of the edited file\):\n/);
    expect(result.stderr).toContain(
      '5 more warnings not shown; run the command without --dry-run, then "cake validate", to list them.',
    );
  });

  it("missing file is a usage error", async () => {
    const result = await cake(repo, "user", "import", "--deployment", "dev-eu-west-1", "nope.csv");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /cannot read .*nope\.csv: no such file or folder \(ENOENT\); check the path\./,
    );
  });
});

describe("cake user import --deployment all", () => {
  const ALL = ["user", "import", "--deployment", "all", "users.csv", "--no-reconcile"];

  /** Returns the username of `email` in a deployment's vars file, or undefined. */
  async function usernameIn(name: string, email: string): Promise<string | undefined> {
    const deployment = expectValid(await readVars(repo, name), `vars/${name}.yaml`);
    return deployment.users.find((user) => user.email === email)?.username;
  }

  it("gives a new user one username", async () => {
    // qa-us-east-1 has ann@example.com as "ann", so its own proposal would be "ann-2".
    await writeCsv("email,username,roles,namespaces\nann@example.org,,cake-user,\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(0);
    expect(await usernameIn("dev-eu-west-1", "ann@example.org")).toBe("ann-2");
    expect(await usernameIn("qa-us-east-1", "ann@example.org")).toBe("ann-2");
    expect(result.stdout).toContain("(username ann-2, free in every deployment that gets the user)");
  });

  it("keeps an existing user's username", async () => {
    // bob@example.com is "bjones" in dev-eu-west-1 and new in qa-us-east-1.
    await writeCsv("email,username,roles,namespaces\nbob@example.com,,cake-user,\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(0);
    expect(await usernameIn("qa-us-east-1", "bob@example.com")).toBe("bjones");
    expect(result.stdout).toContain(
      "add bob@example.com (username bjones, the username bob@example.com has in dev-eu-west-1)",
    );
  });

  it("rejects a username taken elsewhere", async () => {
    // carol@example.com is "cwu" in dev-eu-west-1.
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");
    await writeCsv("email,username,roles,namespaces\ncarol@example.com,,cake-user,\n");
    const before = await snapshot(repo);

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'users.csv:2:19: error [username-differs] username: carol@example.com has username "cwu" in ' +
        'dev-eu-west-1, but in qa-us-east-1 "cwu" is already used by chen.wu@example.com. A person needs ' +
        "one username, which names their Profile, in every deployment, so give chen.wu@example.com another " +
        "username in qa-us-east-1, or first give carol@example.com a username that is free in every " +
        "deployment, in dev-eu-west-1.",
    );
    expect(result.stderr).toMatch(/no deployment was changed/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it("reports a conflict once", async () => {
    // A third deployment without carol@example.com, who is "cwu" in dev-eu-west-1 only.
    const third = readFixture("qa-us-east-1.yaml").replace("environment: qa", "environment: uat");
    await writeFile(path.join(repo, "vars", "uat-us-east-1.yaml"), third);
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");
    await writeCsv("email,username,roles,namespaces\ncarol@example.com,,cake-user,\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr.match(/username-differs/g)).toHaveLength(1);
    expect(result.stderr).toContain("cake: users.csv: 1 problem in 1 row");
    expect(result.stderr).not.toContain("uat-us-east-1");
  });

  it("lists a problem of the CSV once", async () => {
    const third = readFixture("qa-us-east-1.yaml").replace("environment: qa", "environment: uat");
    await writeFile(path.join(repo, "vars", "uat-us-east-1.yaml"), third);
    await writeCsv("email,username,roles,namespaces\nzed@example.com,,admin,\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "cake: users.csv: 1 problem in 1 row, so nothing was imported:\n" +
        '  users.csv:2:18: error [invalid-value] roles: invalid role "admin"; use one of: cake-admin, cake-user. ' +
        'Did you mean "cake-admin"?\n' +
        "no deployment was changed.\n",
    );
  });

  it("lists a broken vars rule once", async () => {
    await writeCsv("email,username,roles,namespaces\ngrace@example,,cake-user,\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "cake: users.csv: 1 problem in 1 row, so nothing was imported:\n" +
        '  users.csv:2:1: error [invalid-email] email: "grace@example" is not an email address; write the ' +
        "address exactly as the identity provider sends it (local@domain.tld)\n" +
        "no deployment was changed.\n",
    );
  });

  it("names the deployments of a problem", async () => {
    // qa-us-east-1 and uat-us-east-1 declare no team-a, which dev-eu-west-1 declares.
    const third = readFixture("qa-us-east-1.yaml").replace("environment: qa", "environment: uat");
    await writeFile(path.join(repo, "vars", "uat-us-east-1.yaml"), third);
    await writeCsv("email,username,roles,namespaces\nzed@example.com,,,team-a\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^cake: users\.csv: 2 problems in 1 row, so nothing was imported:\n/);
    expect(result.stderr).toContain(
      "  users.csv:2:18: error [missing-value] roles: new user zed@example.com needs at least one role; ",
    );
    expect(result.stderr).toContain(
      '  users.csv:2:19: error [unknown-namespace] namespaces: in qa-us-east-1 and uat-us-east-1: namespace "team-a" ',
    );
    expect(result.stderr).toContain(
      "it is a deploy namespace of dev-eu-west-1, so to grant it there, rerun with --deployment dev-eu-west-1. " +
        "To grant it in this deployment, add it with `cake namespace add` first\n",
    );
    expect(result.stderr.match(/unknown-namespace/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/\nno deployment was changed\.\n$/);
  });

  it("names the deployment beside an invalid one", async () => {
    // qa-us-east-1 declares no team-a, and dev-eu-west-1 cannot be opened.
    await writeFile(path.join(repo, "vars", "dev-eu-west-1.yaml"), `${original}\nbogus: 1\n`);
    await writeCsv("email,username,roles,namespaces\nzed@example.com,,cake-user,team-a\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'users.csv:2:28: error [unknown-namespace] namespaces: in qa-us-east-1: namespace "team-a" ',
    );
    expect(result.stderr).toContain("\ndev-eu-west-1: vars/dev-eu-west-1.yaml is invalid; ");
  });

  it("reports an email in other case once", async () => {
    // qa-us-east-1 has ann@example.com as "ann", which dev-eu-west-1 would give ANN@example.com too.
    await writeCsv("email,username,roles,namespaces\nANN@example.com,,cake-user,\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^cake: users\.csv: 1 problem in 1 row, so nothing was imported:\n/);
    expect(result.stderr).toContain(
      'users.csv:2:1: error [duplicate-email] email: in qa-us-east-1: email "ANN@example.com" differs only ' +
        'in case from the existing user "ann@example.com"',
    );
    expect(result.stderr).not.toContain("duplicate-username");
    // dev-eu-west-1 would take the row, but nothing was written, so it has no line to warn about.
    expect(result.stderr).not.toContain("email-uppercase");
  });

  it("prints no unchanged deployment on failure", async () => {
    // The row changes nothing in dev-eu-west-1 and fails in qa-us-east-1, which declares no team-a.
    await writeCsv("email,username,roles,namespaces\nbob@example.com,,,team-a\n");

    const result = await cake(repo, ...ALL);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no deployment was changed");
    expect(result.stdout).toBe("");
  });
});

describe("cake user import into one deployment", () => {
  it("names the deployment declaring the namespace", async () => {
    // dev-eu-west-1 declares team-a, and qa-us-east-1 does not.
    await writeCsv("email,username,roles,namespaces\nzed@example.com,,cake-user,team-a\n");

    const result = await cake(repo, "user", "import", "--deployment", "qa-us-east-1", "users.csv");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'namespace "team-a" is not a deploy namespace of this deployment (declared deploy namespaces: ' +
        "ml-staging, ml-prod); it is a deploy namespace of dev-eu-west-1, so to grant it there, rerun with " +
        "--deployment dev-eu-west-1. To grant it in this deployment, add it with " +
        "`cake namespace add --deployment qa-us-east-1 team-a` first\n",
    );
  });

  it("names the deployment to add the namespace to", async () => {
    await writeCsv("email,username,roles,namespaces\nzed@example.com,,cake-user,team-z\n");

    const result = await cake(repo, "user", "import", "--deployment", "qa-us-east-1", "users.csv");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "add it with `cake namespace add --deployment qa-us-east-1 team-z` first\n",
    );
    expect(result.stderr).not.toContain("rerun with");
  });

  it("keeps the username from another deployment", async () => {
    // bob@example.com is "bjones" in dev-eu-west-1, whose convention qa-us-east-1 does not follow.
    await writeCsv("email,username,roles,namespaces\nbob@example.com,,cake-user,\n");

    const result = await cake(
      repo,
      "user",
      "import",
      "--deployment",
      "qa-us-east-1",
      "users.csv",
      "--dry-run",
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "line 2: add bob@example.com (username bjones, the username bob@example.com has in dev-eu-west-1)",
    );
  });

  it("avoids another person's username elsewhere", async () => {
    // qa-us-east-1 has ann@example.com as "ann".
    await writeCsv("email,username,roles,namespaces\nann@example.org,,cake-user,\n");

    const result = await cake(repo, ...IMPORT, "users.csv", "--dry-run");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'line 2: add ann@example.org (username ann-2, a name free in every deployment ("ann" is the ' +
        "username of ann@example.com in qa-us-east-1)): roles cake-user",
    );
  });

  it("avoids a Profile kept elsewhere", async () => {
    // Removing carol@example.com ("cwu") from dev-eu-west-1 keeps her Profile there.
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const remove = [
      "user",
      "remove",
      "--deployment",
      "dev-eu-west-1",
      "--username",
      "cwu",
      "--delete-profile",
    ];
    expect((await cake(repo, ...remove)).code).toBe(0);
    await writeCsv("email,username,roles,namespaces\ncwu@example.org,,cake-user,\n");

    const result = await cake(
      repo,
      "user",
      "import",
      "--deployment",
      "qa-us-east-1",
      "users.csv",
      "--dry-run",
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'line 2: add cwu@example.org (username cwu-2, a name free in every deployment ("cwu" is a Profile ' +
        "Argo CD keeps for carol@example.com in dev-eu-west-1)): roles cake-user",
    );
  });

  it("rejects a username unlike the one elsewhere", async () => {
    await writeCsv("email,username,roles,namespaces\nbob@example.com,bob,cake-user,\n");

    const result = await cake(
      repo,
      "user",
      "import",
      "--deployment",
      "qa-us-east-1",
      "users.csv",
      "--dry-run",
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'users.csv:2:17: error [username-differs] username: bob@example.com has username "bjones" in ' +
        "dev-eu-west-1; a person needs one username, which names their Profile, in every deployment, so " +
        'use "bjones", or leave the username empty to get one chosen',
    );
  });

  it("rejects a conflict with the username elsewhere", async () => {
    // carol@example.com is "cwu" in dev-eu-west-1.
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");
    await writeCsv("email,username,roles,namespaces\ncarol@example.com,,cake-user,\n");

    const result = await cake(
      repo,
      "user",
      "import",
      "--deployment",
      "qa-us-east-1",
      "users.csv",
      "--dry-run",
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error [username-differs] username: carol@example.com has username "cwu" in dev-eu-west-1, but in ' +
        'qa-us-east-1 "cwu" is already used by chen.wu@example.com.',
    );
  });

  it("reports a taken username once", async () => {
    // "cwu" is carol@example.com's in dev-eu-west-1 and chen.wu@example.com's in qa-us-east-1.
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");
    await writeCsv("email,username,roles,namespaces\nzed@example.com,cwu,cake-user,\n");

    const result = await cake(
      repo,
      "user",
      "import",
      "--deployment",
      "qa-us-east-1",
      "users.csv",
      "--dry-run",
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("users.csv: 1 problem in 1 row");
    expect(result.stderr).toContain(
      'users.csv:2:17: error [username-differs] username: "cwu" is the username of carol@example.com in ' +
        "dev-eu-west-1;",
    );
    expect(result.stderr).not.toContain("duplicate-username");
  });

  it("asks for one of several usernames", async () => {
    // carol@example.com is "cwu" in dev-eu-west-1; a third deployment has her as "carol".
    const third = readFixture("qa-us-east-1.yaml")
      .replace("environment: qa", "environment: uat")
      .replace("ben@example.com", "carol@example.com")
      .replace("username: ben", "username: carol");
    await writeFile(path.join(repo, "vars", "uat-us-east-1.yaml"), third);
    await writeCsv("email,username,roles,namespaces\ncarol@example.com,,cake-user,\n");
    const qa = ["user", "import", "--deployment", "qa-us-east-1", "users.csv", "--dry-run"];

    const result = await cake(repo, ...qa);
    await writeCsv("email,username,roles,namespaces\ncarol@example.com,carol,cake-user,\n");
    const chosen = await cake(repo, ...qa);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'carol@example.com already has different usernames ("cwu" in dev-eu-west-1, "carol" in ' +
        'uat-us-east-1), so cake cannot choose one for qa-us-east-1; give one of them, "cwu" or "carol", ' +
        "as the username, so that no deployment adds another",
    );
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toContain("line 2: add carol@example.com (username carol)");
  });
});
