import { describe, expect, it } from "vitest";
import type { ImportRow } from "../../src/edit/import-rows.js";
import {
  givenUsernameProblem,
  type ImportDeployment,
  shareUsernames,
} from "../../src/edit/import-usernames.js";
import { expectValid, readFixture } from "./helpers.js";

const base = expectValid(readFixture("dev-eu-west-1.yaml"));

/** Returns a deployment named `name` whose users are the given email and username pairs. */
function deploymentOf(name: string, users: [string, string][]): ImportDeployment {
  return {
    name,
    deployment: {
      ...base,
      name,
      users: users.map(([email, username]) => ({
        email,
        username,
        roles: ["cake-user"],
        disabled: false,
        allowedNamespaces: [],
      })),
    },
    removed: {},
  };
}

/** Five users named by first initial and last name, as `asmith`. */
const INITIAL_LAST: [string, string][] = [
  ["alice.smith@example.com", "asmith"],
  ["bob.jones@example.com", "bjones"],
  ["carol.wu@example.com", "cwu"],
  ["dan.ross@example.com", "dross"],
  ["eve.lang@example.com", "elang"],
];

/** Five users named by first and last name, as `alice-smith`. */
const FIRST_LAST: [string, string][] = INITIAL_LAST.map(([email]) => [
  email,
  (email.split("@")[0] as string).replace(".", "-"),
]);

function row(line: number, email: string, username = ""): ImportRow {
  const position = { line, column: 1 };
  return {
    line,
    email,
    username,
    roles: ["cake-user"],
    grants: [],
    positions: { email: position, username: position, roles: position, namespaces: position },
  };
}

describe("shareUsernames", () => {
  it("agreeing proposals need no note", () => {
    const deployments = [deploymentOf("a", INITIAL_LAST), deploymentOf("b", INITIAL_LAST)];

    const shared = shareUsernames([row(2, "nina.park@example.com")], deployments, new Set());

    expect(shared.get(2)).toEqual({ username: "npark" });
  });

  it("most deployments' convention wins", () => {
    const deployments = [
      deploymentOf("a", INITIAL_LAST),
      deploymentOf("b", FIRST_LAST),
      deploymentOf("c", FIRST_LAST),
    ];

    const shared = shareUsernames([row(2, "nina.park@example.com")], deployments, new Set());

    expect(shared.get(2)).toMatchObject({ username: "nina-park" });
  });

  it("first deployment breaks a tie", () => {
    const deployments = [deploymentOf("a", INITIAL_LAST), deploymentOf("b", FIRST_LAST)];

    const shared = shareUsernames([row(2, "nina.park@example.com")], deployments, new Set());

    expect(shared.get(2)).toMatchObject({ username: "npark" });
  });

  it("later rows avoid earlier choices", () => {
    const deployments = [
      deploymentOf("a", [...INITIAL_LAST, ["ann@example.com", "ann"]]),
      deploymentOf("b", INITIAL_LAST),
    ];
    const rows = [row(2, "ann@example.org"), row(3, "ann@example.net")];

    const shared = shareUsernames(rows, deployments, new Set());

    expect(shared.get(2)).toMatchObject({ username: "ann-2" });
    expect(shared.get(3)).toMatchObject({ username: "ann-3" });
  });

  it("rejects differing existing usernames", () => {
    const deployments = [
      deploymentOf("a", [["nina.park@example.com", "npark"]]),
      deploymentOf("b", [["nina.park@example.com", "nina"]]),
      deploymentOf("c", []),
    ];

    const shared = shareUsernames([row(2, "nina.park@example.com")], deployments, new Set());

    expect(shared.get(2)).toEqual({
      problem:
        'nina.park@example.com already has different usernames ("npark" in a, "nina" in b), so cake ' +
        'cannot choose one for c; give one of them, "npark" or "nina", as the username, and run the command ' +
        "for c alone (--deployment c), so that no deployment adds another",
      reportIn: "c",
    });
  });

  it("reports a conflict in one deployment", () => {
    // nina.park@example.com is "npark" in a; b and c both add her, and "npark" is taken in c.
    const deployments = [
      deploymentOf("a", [["nina.park@example.com", "npark"]]),
      deploymentOf("b", []),
      deploymentOf("c", [["noah.park@example.com", "npark"]]),
    ];

    const shared = shareUsernames([row(2, "nina.park@example.com")], deployments, new Set());

    expect(shared.get(2)).toMatchObject({ reportIn: "c" });
  });

  it("conflict fix leads to one username", () => {
    const deployments = [
      deploymentOf("a", [["nina.park@example.com", "npark"]]),
      deploymentOf("b", [["noah.park@example.com", "npark"]]),
    ];

    const shared = shareUsernames([row(2, "nina.park@example.com")], deployments, new Set());

    const problem = (shared.get(2) as { problem: string }).problem;
    expect(problem).toContain(
      "give noah.park@example.com another username in b, or first give nina.park@example.com",
    );
    expect(problem).toContain("a username that is free in every deployment, in a.");
    expect(problem).not.toContain("alone");
  });

  it("keeps a username from another deployment", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const other = deploymentOf("b", [["nina.park@example.com", "nina"]]);

    const shared = shareUsernames([row(2, "nina.park@example.com")], [target], new Set(), [other]);

    expect(shared.get(2)).toEqual({
      username: "nina",
      note: "the username nina.park@example.com has in b",
      kept: true,
    });
  });

  it("matches a person ignoring case", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const other = deploymentOf("b", [["nina.park@example.com", "nina"]]);

    const shared = shareUsernames([row(2, "Nina.Park@example.com")], [target], new Set(), [other]);

    expect(shared.get(2)).toEqual({
      username: "nina",
      note: "the username nina.park@example.com has in b",
      kept: true,
    });
  });

  it("avoids another person's name elsewhere", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const other = deploymentOf("b", [["noah.park@example.com", "npark"]]);

    const shared = shareUsernames([row(2, "nina.park@example.com")], [target], new Set(), [other]);

    expect(shared.get(2)).toEqual({
      username: "npark-2",
      note: 'a name free in every deployment ("npark" is the username of noah.park@example.com in b)',
    });
  });

  it("avoids a deploy namespace kept elsewhere", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const other = { ...deploymentOf("b", []), removed: { npark: null } };

    const shared = shareUsernames([row(2, "nina.park@example.com")], [target], new Set(), [other]);

    expect(shared.get(2)).toEqual({
      username: "npark-2",
      note:
        'a name free in every deployment ("npark" is the Profile of a removed deploy namespace, ' +
        "which Argo CD keeps in b)",
    });
  });

  it("gives back the person's own kept Profile", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const other = { ...deploymentOf("b", []), removed: { npark: "Nina.Park@example.com" } };

    const shared = shareUsernames([row(2, "nina.park@example.com")], [target], new Set(), [other]);

    expect(shared.get(2)).toEqual({ username: "npark" });
  });

  it("rejects a given name of another person elsewhere", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const other = deploymentOf("b", [["noah.park@example.com", "npark"]]);

    const shared = shareUsernames([row(2, "nina.park@example.com", "npark")], [target], new Set(), [other]);

    expect(shared.get(2)).toEqual({
      problem:
        '"npark" is the username of noah.park@example.com in b; a username names one person in every ' +
        "deployment, so choose another, or leave the username empty to get one chosen",
      reportIn: "a",
    });
  });

  it("rejects a given name unlike one elsewhere", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const other = deploymentOf("b", [["nina.park@example.com", "nina"]]);

    const shared = shareUsernames([row(2, "nina.park@example.com", "npark")], [target], new Set(), [other]);

    expect(shared.get(2)).toMatchObject({
      problem: expect.stringMatching(
        /^nina\.park@example\.com has username "nina" in b; .* so use "nina", or leave/,
      ),
    });
  });

  it("accepts one of several existing names", () => {
    const target = deploymentOf("a", INITIAL_LAST);
    const others = [
      deploymentOf("b", [["nina.park@example.com", "nina"]]),
      deploymentOf("c", [["nina.park@example.com", "npark"]]),
    ];

    const shared = shareUsernames([row(2, "nina.park@example.com", "npark")], [target], new Set(), others);

    expect(shared.size).toBe(0);
  });

  it("skips rows with a bad email", () => {
    const deployments = [deploymentOf("a", INITIAL_LAST), deploymentOf("b", FIRST_LAST)];

    const shared = shareUsernames([row(2, "nina.park@example.com")], deployments, new Set([2]));

    expect(shared.size).toBe(0);
  });
});

describe("givenUsernameProblem", () => {
  const kim: [string, string] = ["kim@example.com", "kim"];
  const other: [string, string] = ["other@example.com", "kim"];

  it("accepts the person's own username", () => {
    const deployments = [deploymentOf("a", [kim]), deploymentOf("b", [])];

    expect(givenUsernameProblem("kim@example.com", "kim", deployments)).toBeUndefined();
  });

  it("names the username the person has", () => {
    const deployments = [deploymentOf("a", [kim]), deploymentOf("b", [])];

    expect(givenUsernameProblem("kim@example.com", "kim2", deployments)).toMatch(
      /^kim@example\.com has username "kim" in a; .* so use "kim", or leave --username out$/,
    );
  });

  it("names the deployment where the name is taken", () => {
    const deployments = [deploymentOf("a", [kim]), deploymentOf("b", [other])];

    expect(givenUsernameProblem("kim@example.com", "kim", deployments)).toMatch(
      /^kim@example\.com has username "kim" in a, but in b "kim" is already used by other@example\.com\. /,
    );
  });

  it("checks the name against other deployments", () => {
    const target = [deploymentOf("a", [])];

    expect(givenUsernameProblem("kim@example.com", "kim2", target, [deploymentOf("b", [kim])])).toMatch(
      /^kim@example\.com has username "kim" in b; /,
    );
    expect(givenUsernameProblem("new@example.com", "kim", target, [deploymentOf("b", [kim])])).toMatch(
      /^"kim" is the username of kim@example\.com in b; /,
    );
  });

  it("accepts one of several existing names", () => {
    const others = [deploymentOf("b", [kim]), deploymentOf("c", [["kim@example.com", "kimberly"]])];

    expect(
      givenUsernameProblem("kim@example.com", "kimberly", [deploymentOf("a", [])], others),
    ).toBeUndefined();
    expect(givenUsernameProblem("kim@example.com", "kim2", [deploymentOf("a", [])], others)).toMatch(
      /has usernames "kim" in b, "kimberly" in c; .* so use one of them, "kim" or "kimberly"$/,
    );
  });
});
