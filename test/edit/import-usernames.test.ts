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
        "cannot choose one for c; run the command for each of those alone (--deployment NAME) with the username you choose",
    });
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
      /^kim@example\.com has username "kim" in a; .* so pass --username kim or leave --username out$/,
    );
  });

  it("names the deployment where the name is taken", () => {
    const deployments = [deploymentOf("a", [kim]), deploymentOf("b", [other])];

    expect(givenUsernameProblem("kim@example.com", "kim", deployments)).toMatch(
      /^"kim" is already used by other@example\.com in b; .* run the command for b alone \(--deployment b\)/,
    );
  });
});
