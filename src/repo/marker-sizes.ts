/**
 * The `conflict-marker-size` attribute of files that failed to parse or look conflicted. It is
 * read only then, because it takes a git call, and git is imported only then too.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_MARKER_SIZE, markerLines } from "./merge-conflict.js";

/**
 * Returns the marker length that `.gitattributes` sets for each of `files` (relative to
 * `folder`) when it is not git's default of 7, by one git call. Returns an empty map when
 * `folder` is in no git work tree, git is missing, or git rejects the repository: markers of
 * the default size are all cake can find there.
 */
export async function markerSizesIn(folder: string, files: readonly string[]): Promise<Map<string, number>> {
  const { conflictMarkerSizes, GitError, mayBeInRepo } = await import("../git/git.js");
  if (files.length === 0 || !mayBeInRepo(folder)) return new Map();
  try {
    const sizes = await conflictMarkerSizes(folder, files);
    return new Map([...sizes].filter(([, size]) => size !== DEFAULT_MARKER_SIZE));
  } catch (error) {
    if (error instanceof GitError) return new Map();
    throw error;
  }
}

/** Returns the marker length for `file` (relative to `folder`), git's default of 7 unless an attribute sets another. */
export async function attributeMarkerSize(folder: string, file: string): Promise<number> {
  return (await markerSizesIn(folder, [file])).get(file) ?? DEFAULT_MARKER_SIZE;
}

/**
 * Returns those of `files` (relative to `folder`) that have conflict markers of the size their
 * `conflict-marker-size` attribute sets, when that is not the default. Files without the
 * attribute, or without such markers, are left out.
 */
export async function markersOfOtherSize(folder: string, files: readonly string[]): Promise<string[]> {
  const sizes = await markerSizesIn(folder, files);
  const marked: string[] = [];
  for (const [file, size] of sizes) {
    const text = await readFile(path.join(folder, file), "utf8");
    if (markerLines(text, size).length > 0) marked.push(file);
  }
  return marked;
}
