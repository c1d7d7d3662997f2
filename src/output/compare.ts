/**
 * The step of planning that each rendered file goes through: compare it with the disk and,
 * when it must change and the plan is staged, write it to a temporary file. Both the main
 * thread and the render workers run it, so a file's outcome never depends on the thread.
 */
import { closeSync, fstatSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { markerLines, mayHaveMarkersOfAnySize } from "../repo/merge-conflict.js";
import { tempPath } from "./atomic.js";
import { type FileStamp, stampOf } from "./cache.js";
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
  /**
   * For an unchanged file: its stamp as it was read, which the cache records. A later edit,
   * even one during this run, then changes the stamp, so the next run compares the file again.
   */
  stamp?: FileStamp;
  /** For a staged file: the stamp of its temporary file, taken before the rename (see `writeCache`). */
  tempStamp?: FileStamp;
  /** Set when the file on disk has git merge conflict markers, which this run replaces. */
  conflictMarkers?: true;
  /**
   * Set when the file on disk has a line that starts like a conflict marker of another size than
   * git's default: its `conflict-marker-size` attribute decides (see `markersOfOtherSize`).
   */
  unknownMarkerSize?: true;
}

/** Compares the rendered `bytes` of `file` with the disk, and stages them when `target.stage` is set. */
export function compareAndStage(target: CompareTarget, file: string, bytes: Buffer): CompareResult {
  const sha = sha256(bytes);
  const { outcome, stamp, conflictMarkers, unknownMarkerSize } = compareWithDisk(target, file, bytes);
  if (outcome === "unchanged") return { sha256: sha, outcome, ...(stamp === undefined ? {} : { stamp }) };
  if (outcome === "conflict") return { sha256: sha, outcome };
  const marked = conflictMarkers ? { conflictMarkers } : unknownMarkerSize ? { unknownMarkerSize } : {};
  if (!target.stage) return { sha256: sha, outcome, bytes, ...marked };

  const temp = tempPath(target.folder);
  writeFileSync(temp, bytes, { flag: "wx" });
  return { sha256: sha, outcome, temp: path.basename(temp), tempStamp: stampOf(statSync(temp)), ...marked };
}

function compareWithDisk(
  target: CompareTarget,
  file: string,
  bytes: Buffer,
): { outcome: FileOutcome; stamp?: FileStamp; conflictMarkers?: true; unknownMarkerSize?: true } {
  if (!target.onDisk.has(file)) return { outcome: "create" };

  // The stamp is taken from the open file before it is read, so it is never newer than the bytes compared.
  const descriptor = openSync(path.join(target.folder, file), "r");
  let current: Buffer;
  let stamp: FileStamp;
  try {
    stamp = stampOf(fstatSync(descriptor));
    current = readFileSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  if (current.equals(bytes)) return { outcome: "unchanged", stamp };
  const asCommitted = withLineFeeds(current);
  if (asCommitted.equals(bytes)) return { outcome: "unchanged", stamp };

  const text = current.toString("utf8");
  const recorded = target.recorded[file];
  if (recorded === undefined && !hasGeneratedHeader(text)) return { outcome: "conflict" };
  const outcome = recorded !== undefined && recorded !== sha256(asCommitted) ? "restore" : "update";
  if (markerLines(text).length > 0) return { outcome, conflictMarkers: true };
  return mayHaveMarkersOfAnySize(text) ? { outcome, unknownMarkerSize: true } : { outcome };
}

/**
 * Returns `bytes` with each CRLF line ending turned into LF. With `core.autocrlf=true`, which
 * the Git for Windows installer sets by default, git checks out the LF files cake writes with
 * CRLF and turns them back into LF when it stages them. A file that differs only so is what
 * cake wrote.
 */
function withLineFeeds(bytes: Buffer): Buffer {
  if (!bytes.includes("\r\n")) return bytes;
  return Buffer.from(bytes.toString("latin1").replaceAll("\r\n", "\n"), "latin1");
}
