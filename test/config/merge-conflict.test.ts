import { describe, expect, it } from "vitest";
import { loadVarsText } from "../../src/config/load.js";
import { varsYaml } from "./helpers.js";

const SETTINGS = `environment: prod
region: us-east-1
deploy_namespaces:
  - name: fraud-scoring
users:
  users:
    - email: alice@example.com
      username: alice
      roles: [cake-user]
`;

const CONFLICTED = `${SETTINGS}<<<<<<< HEAD
    - email: zed@example.com
      username: zed
=======
    - email: yan@example.com
      username: yan
>>>>>>> topic
`;

describe("vars files with git merge conflict markers", () => {
  for (const fast of [false, true]) {
    it(`reports each conflict alone${fast ? " (fast path)" : ""}`, () => {
      const result = loadVarsText(CONFLICTED, {
        file: "vars/prod-us-east-1.yaml",
        outputPath: "deployments/prod-us-east-1",
        fast,
      });
      expect(result.deployment).toBeUndefined();
      expect(
        result.diagnostics.map(({ code, line, column, path }) => ({ code, line, column, path })),
      ).toEqual([{ code: "merge-conflict", line: 10, column: 1, path: "" }]);
      expect(result.diagnostics[0]?.message).toContain("(lines 10 to 16)");
    });
  }

  it("reports a conflict after a snapshot", () => {
    const options = {
      file: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/prod-us-east-1",
      fast: true,
    };
    const text = varsYaml();
    const clean = loadVarsText(text, { ...options, snapshot: true });
    expect(clean.snapshot).toBeDefined();
    const previous = { text, snapshot: clean.snapshot as NonNullable<typeof clean.snapshot> };
    const lines = text.split("\n");
    const entry = lines.findIndex((line) => line.startsWith("    - email:"));
    const user = ["    - email: zed@example.com", "      username: zed", "      roles: [cake-user]"];
    lines.splice(entry, 0, "<<<<<<< HEAD", ...user, "=======", ">>>>>>> topic");

    const result = loadVarsText(lines.join("\n"), { ...options, snapshot: true, previous });

    expect(result.diagnostics.map(({ code }) => code)).toEqual(["merge-conflict"]);
    expect(result.deployment).toBeUndefined();
  });

  it("reports each stray marker", () => {
    const text = CONFLICTED.replace("<<<<<<< HEAD\n", "");
    const result = loadVarsText(text, {
      file: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/prod-us-east-1",
    });
    expect(result.diagnostics.map(({ code, line }) => [code, line])).toEqual([
      ["merge-conflict", 12],
      ["merge-conflict", 15],
    ]);
    expect(result.diagnostics[1]?.message).toContain('(">>>>>>> topic") was left behind');
  });
});
