/**
 * A misspelled, missing or empty `users.deploy_namespaces` gives one error for the key, not one
 * `unknown-namespace` error per grant. The grants are checked once the key has a list.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type LoadResult, loadVarsText } from "../../src/config/load.js";
import { cake, makeRepo, readVars, snapshot } from "../edit/repo.js";
import { codes, positionOf, usersYaml, userYaml, varsYaml } from "./helpers.js";

const GRANTS = [
  userYaml({
    email: "alice@example.com",
    username: "alice",
    roles: "[cake-user]",
    allowed_namespaces: "[team-a, team-b]",
  }),
  userYaml({
    email: "bob@example.com",
    username: "bob",
    roles: "[cake-user]",
    allowed_namespaces: "[team-a]",
  }),
];

function withNamespacesBlock(block: string): string {
  return varsYaml({ users: usersYaml(block, GRANTS) });
}

function loadBoth(text: string): { full: LoadResult; fast: LoadResult } {
  const options = { file: "vars/prod-us-east-1.yaml", outputPath: "deployments/prod-us-east-1" };
  return { full: loadVarsText(text, options), fast: loadVarsText(text, { ...options, fast: true }) };
}

describe("deploy_namespaces key", () => {
  it("misspelled key gives only unknown-key", () => {
    const text = withNamespacesBlock("  deploy_namespace: [team-a, team-b]\n");

    for (const result of Object.values(loadBoth(text))) {
      expect(codes(result)).toEqual(["unknown-key"]);
      expect(result.diagnostics[0]).toMatchObject({
        path: "users.deploy_namespace",
        ...positionOf(text, "deploy_namespace"),
      });
      expect(result.diagnostics[0]?.message).toContain('did you mean "deploy_namespaces"?');
    }
  });

  it("misspelled older key gives only unknown-key", () => {
    const text = withNamespacesBlock("  deployment: [team-a, team-b]\n");

    for (const result of Object.values(loadBoth(text))) {
      expect(codes(result)).toEqual(["unknown-key"]);
      expect(result.diagnostics[0]?.message).toContain('did you mean "deployments"?');
    }
  });

  it("missing key gives one missing-key", () => {
    const text = withNamespacesBlock("");

    for (const result of Object.values(loadBoth(text))) {
      expect(codes(result)).toEqual(["missing-key"]);
      expect(result.diagnostics[0]).toMatchObject({
        path: "users.deploy_namespaces",
        ...positionOf(text, "users:"),
      });
      expect(result.diagnostics[0]?.message).toContain(
        "3 grants name 2 undeclared namespaces (team-a, team-b)",
      );
    }
  });

  it("missing key names ten namespaces", () => {
    const names = Array.from({ length: 12 }, (_, index) => `ns-${String(index).padStart(2, "0")}`);
    const user = userYaml({
      email: "alice@example.com",
      username: "alice",
      roles: "[cake-user]",
      allowed_namespaces: `[${names.join(", ")}]`,
    });
    const text = varsYaml({ users: usersYaml("", [user]) });

    const result = loadVarsText(text, { file: "vars/prod-us-east-1.yaml", outputPath: "deployments/x" });

    expect(codes(result)).toEqual(["missing-key"]);
    expect(result.diagnostics[0]?.message).toContain(`(${names.slice(0, 10).join(", ")} and 2 more)`);
  });

  it("empty key value gives only wrong-type", () => {
    const text = withNamespacesBlock("  deploy_namespaces:\n");

    for (const result of Object.values(loadBoth(text))) {
      expect(codes(result)).toEqual(["wrong-type"]);
      expect(result.diagnostics[0]?.path).toBe("users.deploy_namespaces");
    }
  });

  it("missing key without grants is valid", () => {
    const text = varsYaml({
      users: usersYaml("", [
        userYaml({ email: "alice@example.com", username: "alice", roles: "[cake-user]" }),
      ]),
    });

    for (const result of Object.values(loadBoth(text))) {
      expect(result.diagnostics).toEqual([]);
      expect(result.deployment).toBeDefined();
    }
  });

  it("present key still reports undeclared grants", () => {
    const text = withNamespacesBlock("  deploy_namespaces: [team-a]\n");

    for (const result of Object.values(loadBoth(text))) {
      expect(codes(result)).toEqual(["unknown-namespace"]);
      expect(result.diagnostics[0]?.path).toBe("users.users[0].allowed_namespaces[1]");
    }
  });

  it("misspelled key beside the real key checks grants", () => {
    const text = withNamespacesBlock("  deploy_namespaces: [team-a]\n  deploy_namespace: [team-b]\n");

    for (const result of Object.values(loadBoth(text))) {
      expect(codes(result).sort()).toEqual(["unknown-key", "unknown-namespace"]);
    }
  });
});

describe("misspelled deploy_namespaces in commands", () => {
  async function repoWithTypo(): Promise<string> {
    const repo = await makeRepo(["dev-eu-west-1.yaml"]);
    const text = await readVars(repo);
    expect(text).toContain("  deploy_namespaces:\n");
    await writeFile(
      path.join(repo, "vars", "dev-eu-west-1.yaml"),
      text.replace("  deploy_namespaces:\n", "  deploy_namespace:\n"),
    );
    return repo;
  }

  it("reconcile reports only the key", async () => {
    const repo = await repoWithTypo();
    const before = await snapshot(repo);

    const result = await cake(repo, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('[unknown-key] users.deploy_namespace: unknown key "deploy_namespace"');
    expect(result.stderr).not.toContain("unknown-namespace");
    expect(result.stderr).toContain("1 error, ");
    expect(await snapshot(repo)).toEqual(before);
  });

  it("user add reports only the key", async () => {
    const repo = await repoWithTypo();
    const before = await snapshot(repo);
    const add = ["user", "add", "--deployment", "dev-eu-west-1", "--email", "erin@example.com"];

    const result = await cake(repo, ...add, "--role", "cake-user");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[unknown-key] users.deploy_namespace");
    expect(result.stderr).not.toContain("unknown-namespace");
    expect(await snapshot(repo)).toEqual(before);
  });
});
