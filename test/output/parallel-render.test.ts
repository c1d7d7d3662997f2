import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { makeTempDir } from "./tree.js";

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

describe("render workers", () => {
  // Worker threads run the build (dist/), so this test runs it in a child process.
  it("delete what a worker staged before it failed", async () => {
    const folder = path.join(await makeTempDir(), "out");
    const script = path.join(root, "test/fixtures/scripts/worker-failure.mjs");
    const vars = path.join(root, "examples/ops/vars/prod-us-east-1.yaml");

    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [script, path.join(root, "dist"), folder, vars],
      { env: { ...process.env, CAKE_RENDER_WORKERS: "1" } },
    );
    const report = JSON.parse(stdout) as { files: number; results: number; named: string[]; left: string[] };

    expect(stderr).toContain(
      "a render worker failed (render worker: extra.yaml is not a file of prod-us-east-1)",
    );
    expect(report.results).toBe(report.files);
    expect(report.named).toHaveLength(report.files);
    // Only the main thread's staged files remain: the worker's half-done share was deleted.
    expect(report.left).toEqual(report.named);
  });
});
