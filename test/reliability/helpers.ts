/**
 * Helpers for the reliability tests: a private build of the CLI, real `cake`
 * processes, and byte snapshots of file trees.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
export const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A build of the CLI in a folder of its own, with a copy of `bin/cake.js`. */
export interface BuiltCli {
  /** Path of the `cake.js` entry script to run with node. */
  bin: string;
  remove(): Promise<void>;
}

/**
 * Compiles `src` as `npm run build` does, but into a new folder under
 * `node_modules/.cache`, so tests never race another process that rebuilds
 * `dist/` and the build still finds the project's dependencies.
 */
export async function buildCli(): Promise<BuiltCli> {
  const cache = path.join(PROJECT_ROOT, "node_modules", ".cache");
  await mkdir(cache, { recursive: true });
  const folder = await mkdtemp(path.join(cache, "cake-reliability-"));
  const tsc = path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");
  const tsconfig = path.join(PROJECT_ROOT, "tsconfig.build.json");
  try {
    await execFileAsync(process.execPath, [tsc, "-p", tsconfig, "--outDir", path.join(folder, "dist")]);
  } catch (error) {
    // tsc still emits JavaScript when a type check fails elsewhere in the tree; only a missing entry is fatal.
    if (!existsSync(path.join(folder, "dist", "cli", "main.js"))) throw error;
  }

  // The CLI reads its version from the package.json next to dist/.
  await copyFile(path.join(PROJECT_ROOT, "package.json"), path.join(folder, "package.json"));
  await mkdir(path.join(folder, "bin"));
  const bin = path.join(folder, "bin", "cake.js");
  await copyFile(path.join(PROJECT_ROOT, "bin", "cake.js"), bin);
  return { bin, remove: () => rm(folder, { recursive: true, force: true }) };
}

export interface CakeRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `node <bin> ...args` in `cwd`; the returned child is already running. */
export function startCake(
  bin: string,
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CakeRun> } {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const done = new Promise<CakeRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `node <bin> ...args` in `cwd` to the end. */
export function runCake(bin: string, args: readonly string[], cwd: string): Promise<CakeRun> {
  return startCake(bin, args, cwd).done;
}

/** Returns every file under `root` as bytes, keyed by its path relative to `root` with `/` separators. */
export async function snapshotBytes(root: string): Promise<Map<string, Buffer>> {
  const snapshot = new Map<string, Buffer>();
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return snapshot;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const absolute = path.join(entry.parentPath, entry.name);
    const relative = path.relative(root, absolute).split(path.sep).join("/");
    snapshot.set(relative, await readFile(absolute));
  }
  return snapshot;
}

/** Writes `files` (paths relative to `root`, `/` separators), creating folders. */
export async function writeFiles(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/** Returns true when `text` looks like a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+:\d+:\d+\)?/.test(text);
}
