/** Temporary folders and snapshots of file trees, for tests that check what was or was not written. */
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { LOCAL_STATE_DIR } from "../../src/output/cache.js";

export async function makeTempDir(prefix = "cake-output-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Writes `files` (paths relative to `root`, `/` separators), creating folders. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

export interface FileSnapshot {
  content: string;
  mtimeMs: number;
}

/**
 * Returns every file under `root` with its content and mtime, keyed by relative path. The
 * local state folder (the output cache) is left out: it records mtimes, so touching a file
 * legitimately changes it, and it is not part of the output.
 */
export async function snapshotTree(root: string): Promise<Record<string, FileSnapshot>> {
  const snapshot: Record<string, FileSnapshot> = {};
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(root, absolute).split(path.sep).join("/");
    if (relative.split("/").includes(LOCAL_STATE_DIR)) continue;
    const [content, info] = await Promise.all([readFile(absolute, "utf8"), stat(absolute)]);
    snapshot[relative] = { content, mtimeMs: info.mtimeMs };
  }
  return snapshot;
}

/** Returns the relative paths of every file under `root`, sorted. */
export async function listTree(root: string): Promise<string[]> {
  return Object.keys(await snapshotTree(root)).sort();
}
