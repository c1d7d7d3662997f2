/**
 * Renders the files a plan needs on several threads. Building and serializing a large
 * deployment takes about 1.2 s of a 2.8 s full generation at 10k users (2-core machine), and
 * comparing and staging the bytes most of the rest. So each worker does both for its share
 * of the files. Output does not depend on the thread: every thread runs the same generators
 * and `compareAndStage`.
 *
 * Workers pay for their startup (about 50 ms), so they are used only for many files. The
 * `CAKE_RENDER_WORKERS` environment variable sets their number; 0 renders on the main thread.
 * `CAKE_RENDER_WORKER_MB` caps each worker's heap. A worker that fails, by running out of
 * memory or otherwise, leaves its share to the main thread.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { UsageError } from "../errors.js";
import type { Deployment } from "../model/types.js";
import { TEMP_PREFIX } from "./atomic.js";
import { type CompareResult, type CompareTarget, compareAndStage } from "./compare.js";
import type { DesiredFile } from "./writer.js";

/** The work of one render worker. */
export interface RenderJob {
  deployment: Deployment;
  /** Files of the deployment folder to render, relative to it. */
  paths: string[];
  target: CompareTarget;
}

/** Below this many files, starting a worker costs more than it saves. */
const MIN_FILES_FOR_WORKERS = 1000;
const MAX_WORKERS = 3;
/** Each worker keeps a copy of the model (one cost about 300 MB at 50k users in the benchmark), so more only costs memory. */
const MAX_CONFIGURED_WORKERS = 16;

/**
 * The compiled worker beside this module. Run from the TypeScript sources (as in unit tests)
 * there is none, and every file is rendered on the main thread.
 */
const WORKER_URL = new URL("./render-worker.js", import.meta.url);

/**
 * Renders `files`, compares each with the disk and stages it (see `compareAndStage`), and
 * returns the results in the order of `files`. With `deployment`, the model the files come
 * from, a share of the files may be rendered by worker threads.
 */
export async function renderAndCompare(
  files: readonly DesiredFile[],
  target: CompareTarget,
  deployment: Deployment | undefined,
): Promise<CompareResult[]> {
  const workers = deployment === undefined ? 0 : workerCount(files.length);
  if (workers === 0 || deployment === undefined) {
    return files.map((file) => compareAndStage(target, file.path, bytesOf(file)));
  }

  // Files are dealt round robin, so that each thread gets its share of the large namespace
  // files and of the small user files. Share 0 stays on the main thread.
  const shares = workers + 1;
  const running: Promise<CompareResult[] | undefined>[] = [];
  const failures: string[] = [];
  for (let share = 1; share < shares; share++) {
    const paths = files.filter((_, index) => index % shares === share).map((file) => file.path);
    // A worker that fails (out of memory, say) leaves its share to the main thread.
    running.push(
      runWorker({ deployment, paths, target }).catch((error: unknown) => {
        failures.push(error instanceof Error ? error.message : String(error));
        return undefined;
      }),
    );
  }
  // Started before the main thread's share, so the workers boot while it renders.
  const results: CompareResult[] = new Array(files.length);
  files.forEach((file, index) => {
    if (index % shares === 0) results[index] = compareAndStage(target, file.path, bytesOf(file));
  });

  const fromWorkers = await Promise.all(running);
  fromWorkers.forEach((share, worker) => {
    share?.forEach((result, position) => {
      results[position * shares + worker + 1] = withBuffer(result);
    });
  });
  if (!fromWorkers.includes(undefined)) return results;

  // The writer has no output stream of its own, and a failed worker is rare enough to go straight to stderr.
  process.stderr.write(
    `cake: a render worker failed (${failures.join("; ")}); the main thread rendered its files instead.\n`,
  );
  // Every other share is in `results` now, so any temporary file they do not name is a failed worker's.
  if (target.stage) deleteUnknownTemps(target.folder, results);
  fromWorkers.forEach((share, worker) => {
    if (share !== undefined) return;
    files.forEach((file, index) => {
      if (index % shares === worker + 1) results[index] = compareAndStage(target, file.path, bytesOf(file));
    });
  });
  return results;
}

/**
 * Deletes the temporary files a failed worker staged: every temporary file in the folder that
 * no result names. Only this run writes there, because it holds the repo lock.
 */
function deleteUnknownTemps(folder: string, results: readonly (CompareResult | undefined)[]): void {
  const known = new Set(results.flatMap((result) => (result?.temp === undefined ? [] : [result.temp])));
  for (const name of readdirSync(folder)) {
    if (name.startsWith(TEMP_PREFIX) && !known.has(name)) rmSync(path.join(folder, name), { force: true });
  }
}

function bytesOf(file: DesiredFile): Buffer {
  return Buffer.from("content" in file ? file.content : file.render());
}

/** Returns how many workers to start for `fileCount` files. */
function workerCount(fileCount: number): number {
  if (!existsSync(fileURLToPath(WORKER_URL))) return 0;
  const configured = renderSettings().workers;
  if (configured !== undefined) return Math.min(configured, fileCount);
  if (fileCount < MIN_FILES_FOR_WORKERS) return 0;
  return Math.max(0, Math.min(os.availableParallelism() - 1, MAX_WORKERS));
}

/**
 * Reads `CAKE_RENDER_WORKERS` and `CAKE_RENDER_WORKER_MB`; unset or empty means the default.
 * Reconcile calls it before it writes anything, so a bad value stops the run with no trace.
 */
export function renderSettings(): { workers?: number; workerHeapMb?: number } {
  const workers = wholeNumberSetting(
    "CAKE_RENDER_WORKERS",
    0,
    `a whole number of worker threads from 0 to ${MAX_CONFIGURED_WORKERS}`,
    MAX_CONFIGURED_WORKERS,
  );
  const workerHeapMb = wholeNumberSetting("CAKE_RENDER_WORKER_MB", 1, "a whole number of MB, 1 or more");
  return {
    ...(workers === undefined ? {} : { workers }),
    ...(workerHeapMb === undefined ? {} : { workerHeapMb }),
  };
}

function wholeNumberSetting(
  name: string,
  minimum: number,
  expected: string,
  maximum = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === "") return undefined;
  // Digits only: Number() would also take "0x10", "1e1" and " 2".
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < minimum || number > maximum) {
    throw new UsageError(`invalid ${name} "${value}": set it to ${expected}, or unset it.`);
  }
  return number;
}

function runWorker(job: RenderJob): Promise<CompareResult[]> {
  const heapMb = renderSettings().workerHeapMb;
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, {
      workerData: job,
      ...(heapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: heapMb } }),
    });
    let settled = false;
    worker.once("message", (results: CompareResult[]) => {
      settled = true;
      resolve(results);
    });
    worker.once("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`render worker exited with code ${code} before sending its results`));
    });
  });
}

/** Structured cloning turns a Buffer into a plain Uint8Array; the writer expects a Buffer. */
function withBuffer(result: CompareResult): CompareResult {
  if (result.bytes === undefined) return result;
  const bytes = result.bytes as Uint8Array;
  return { ...result, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
