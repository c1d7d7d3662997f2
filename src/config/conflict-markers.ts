/**
 * Loads of vars files whose git conflict markers have the size a `conflict-marker-size`
 * attribute sets. Such markers are YAML errors to the plain load, so a file with errors is
 * loaded again with its attribute's size, and that load counts when it finds merge conflicts.
 */
import type { LoadOptions, LoadResult } from "./load.js";

/** A vars file as loaded with markers of the default size. */
interface LoadedText {
  /** Path relative to the repo root. */
  file: string;
  outputPath: string;
  result: LoadResult;
}

/** Returns true when `result` has errors that markers of another size may cause. */
function mayBeMisread(file: string, result: LoadResult): boolean {
  return (
    result.text !== undefined &&
    !file.startsWith("/") &&
    result.diagnostics.some((item) => item.severity === "error" && item.code !== "merge-conflict")
  );
}

/** Returns `result`, or the load of its text with markers of `size` when that finds merge conflicts. */
async function reloaded(entry: LoadedText, size: number | undefined): Promise<LoadResult> {
  const text = entry.result.text;
  if (size === undefined || text === undefined) return entry.result;
  const { loadVarsText } = await import("./load.js");
  const options: LoadOptions = { file: entry.file, outputPath: entry.outputPath, conflictMarkerSize: size };
  const load = loadVarsText(text, options);
  if (!load.diagnostics.some((item) => item.code === "merge-conflict")) return entry.result;
  return entry.result.varsSha256 === undefined ? load : { ...load, varsSha256: entry.result.varsSha256 };
}

/**
 * Returns the results of `loaded`, each file with errors loaded again with the marker size its
 * attribute sets (see the file comment). Files without errors start no git, and one git call
 * reads the attribute of all the others.
 */
export async function withAttributeMarkerSizes<T extends LoadedText>(
  root: string,
  loaded: T[],
): Promise<T[]> {
  const failed = loaded.filter(({ file, result }) => mayBeMisread(file, result));
  if (failed.length === 0) return loaded;
  const { markerSizesIn } = await import("../repo/marker-sizes.js");
  const sizes = await markerSizesIn(
    root,
    failed.map(({ file }) => file),
  );
  if (sizes.size === 0) return loaded;
  return Promise.all(
    loaded.map(async (entry) => ({ ...entry, result: await reloaded(entry, sizes.get(entry.file)) })),
  );
}

/** Returns `result` of one vars file, loaded again as `withAttributeMarkerSizes` does when it has errors. */
export async function withAttributeMarkerSize(root: string, entry: LoadedText): Promise<LoadResult> {
  if (!mayBeMisread(entry.file, entry.result)) return entry.result;
  const { markerSizesIn } = await import("../repo/marker-sizes.js");
  const sizes = await markerSizesIn(root, [entry.file]);
  return reloaded(entry, sizes.get(entry.file));
}
