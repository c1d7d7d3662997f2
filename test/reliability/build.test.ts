import { execFile } from "node:child_process";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./helpers.js";

const execFileAsync = promisify(execFile);
const DIST = path.join(PROJECT_ROOT, "dist");

/** Builds dist/ with `npm run build`; tsc still emits when files elsewhere have type errors. */
async function build(): Promise<void> {
  await execFileAsync("npm", ["run", "build"], { cwd: PROJECT_ROOT }).catch((error: { code?: number }) => {
    if (error.code !== 2) throw error;
  });
}

/** Returns the modification time of every file under dist/, by path. */
async function modificationTimes(): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  for (const entry of await readdir(DIST, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    times[path.relative(DIST, file)] = (await stat(file)).mtimeMs;
  }
  return times;
}

describe("npm run build", () => {
  it("rewrites no unchanged file", async () => {
    // A cake command running beside the build loads modules from dist/ on demand; a file
    // that is truncated and rewritten can be read empty. The rebuild must leave each as it is.
    await build();
    const before = await modificationTimes();

    await build();

    expect(Object.keys(before)).toContain(path.join("cli", "main.js"));
    expect(await modificationTimes()).toEqual(before);
  }, 180_000);
});
