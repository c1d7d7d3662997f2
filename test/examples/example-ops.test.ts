/**
 * The bundled example ops repo: its committed output must be current, and reconciling it
 * again must be a byte-for-byte and mtime-for-mtime no-op.
 */
import { cp, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { makeTempDir, snapshotTree } from "../output/tree.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/ops", import.meta.url));

async function cake(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await run({
    argv,
    cwd: EXAMPLE,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe("examples/ops", () => {
  it("committed output is current", async () => {
    const result = await cake("reconcile", "--check", "--repo", EXAMPLE);

    expect(result.stdout).toContain("prod-us-east-1: up to date");
    expect(result.stdout).toContain("staging-europe-west1: up to date");
    expect(result.code).toBe(0);
  });

  it("vars files point at a schema inside the example", async () => {
    const varsDir = path.join(EXAMPLE, "vars");
    for (const name of await readdir(varsDir)) {
      const first = (await readFile(path.join(varsDir, name), "utf8")).split("\n")[0] ?? "";
      const schema = /^# yaml-language-server: \$schema=(\S+)$/.exec(first)?.[1] ?? "";
      const target = path.resolve(varsDir, schema);

      expect(schema, name).not.toBe("");
      expect(target.startsWith(`${EXAMPLE}${path.sep}`), name).toBe(true);
      expect((await stat(target)).isFile(), name).toBe(true);
    }
  });

  it("validates with warnings only", async () => {
    const result = await cake("validate", "--repo", EXAMPLE, "--format", "json");
    const { diagnostics } = JSON.parse(result.stdout) as { diagnostics: { severity: string }[] };

    expect(result.code).toBe(0);
    expect(diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  });

  it("second reconcile changes no byte or mtime", async () => {
    const copy = path.join(await makeTempDir("cake-example-"), "ops");
    await cp(EXAMPLE, copy, { recursive: true });
    await cake("reconcile", "--repo", copy);
    const before = await snapshotTree(copy);

    const second = await cake("reconcile", "--repo", copy);
    const after = await snapshotTree(copy);

    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^prod-us-east-1: 0 written, \d+ unchanged, 0 removed$/m);
    expect(second.stdout).toMatch(/^staging-europe-west1: 0 written, \d+ unchanged, 0 removed$/m);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    for (const [file, snapshot] of Object.entries(before)) {
      expect(after[file]?.content, file).toBe(snapshot.content);
      expect(after[file]?.mtimeMs, file).toBe(snapshot.mtimeMs);
    }
  });
});
