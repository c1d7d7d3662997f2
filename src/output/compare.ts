/**
 * The step of planning that each rendered file goes through: compare it with the disk and,
 * when it must change and the plan is staged, write it to a temporary file. Both the main
 * thread and the render workers run it, so a file's outcome never depends on the thread.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { tempPath } from "./atomic.js";
import { sha256 } from "./manifest.js";
import { hasGeneratedHeader } from "./serialize.js";
import type { FileAction } from "./writer.js";

/** The action a rendered file needs, or `conflict` when a file cake did not generate is in its place. */
export type FileOutcome = Exclude<FileAction, "remove"> | "conflict";

/** The deployment folder being planned; structured-cloneable, so it can go to a worker. */
export interface CompareTarget {
  /** Absolute path of the deployment folder. */
  folder: string;
  /** Files in the folder, relative to it. */
  onDisk: ReadonlySet<string>;
  /** sha256 of each file, as the previous manifest records it. */
  recorded: Readonly<Record<string, string>>;
  /** Write every file that must change to a temporary file at once. */
  stage: boolean;
}

export interface CompareResult {
  sha256: string;
  outcome: FileOutcome;
  /** Name of the temporary file in the folder, when the file was staged. */
  temp?: string;
  /** The new bytes, when the file must change and the plan is not staged. */
  bytes?: Buffer;
}

/** Compares the rendered `bytes` of `file` with the disk, and stages them when `target.stage` is set. */
export function compareAndStage(target: CompareTarget, file: string, bytes: Buffer): CompareResult {
  const sha = sha256(bytes);
  const outcome = compareWithDisk(target, file, bytes);
  if (outcome === "conflict" || outcome === "unchanged") return { sha256: sha, outcome };
  if (!target.stage) return { sha256: sha, outcome, bytes };

  const temp = tempPath(target.folder);
  writeFileSync(temp, bytes, { flag: "wx" });
  return { sha256: sha, outcome, temp: path.basename(temp) };
}

function compareWithDisk(target: CompareTarget, file: string, bytes: Buffer): FileOutcome {
  if (!target.onDisk.has(file)) return "create";

  const current = readFileSync(path.join(target.folder, file));
  if (current.equals(bytes)) return "unchanged";

  const recorded = target.recorded[file];
  if (recorded === undefined && !hasGeneratedHeader(current.toString("utf8"))) return "conflict";
  return recorded !== undefined && recorded !== sha256(current) ? "restore" : "update";
}
