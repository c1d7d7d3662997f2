/**
 * The fast paths of loading, which reconcile takes for large vars files: an incremental load
 * from the previous one (see `incremental.ts`), then a js-yaml load (see `fast-load.ts`). This
 * module does not load the `yaml` package; the full load in `load.ts` does, and reconcile
 * imports it only when a file needs it.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { readFailureReason } from "../errors.js";
import { mayHaveConflictMarkers } from "../repo/merge-conflict.js";
import { deploymentNameOfFile } from "../repo/vars-files.js";
import { appendDiagnostics, type Diagnostic, fileError, sortDiagnostics } from "./diagnostics.js";
import { fastParse, fastResultStands } from "./fast-load.js";
import { createSnapshot, loadIncrementally, snapshotApplies } from "./incremental.js";
import type { LoadOptions, LoadResult } from "./load.js";
import { normalizeVars } from "./normalize.js";
import { buildView } from "./rules/context.js";
import { RULES } from "./rules/index.js";
import { checkSchema } from "./schema-phase.js";
import { withTextPositions } from "./text-positions.js";

/**
 * Loads `text` incrementally from `options.previous`, or through js-yaml. Returns undefined
 * when neither can give the full load's result; the caller then runs the full load.
 */
export function loadFast(text: string, options: LoadOptions): LoadResult | undefined {
  // The full load reports merge conflicts alone; the incremental path must never read a side.
  if (mayHaveConflictMarkers(text)) return undefined;
  const { previous } = options;
  const expectedName = options.expectedName ?? deploymentNameOfFile(options.file);
  const target = { file: options.file, outputPath: options.outputPath, expectedName };
  if (previous !== undefined && snapshotApplies(previous.snapshot, target)) {
    const incremental = loadIncrementally(previous.text, previous.snapshot, text);
    if (incremental !== undefined) {
      return {
        deployment: incremental.deployment,
        diagnostics: sortDiagnostics(withTextPositions(text, incremental.warnings, incremental.snapshot)),
        text,
        ...(options.snapshot ? { snapshot: incremental.snapshot } : {}),
        affectedProfiles: incremental.affectedProfiles,
      };
    }
  }
  return fastLoad(text, options);
}

/** Returns true when `positioned` requests positions that the fast path's result lacks. */
export function unplaced(result: LoadResult, options: LoadOptions): boolean {
  return options.positioned === true && result.diagnostics.some((diagnostic) => diagnostic.line === 0);
}

/**
 * Returns the fast path's result `fast` with the diagnostics of `full`, the full load of the
 * same text, so that every diagnostic has the full load's position while the snapshot and the
 * affected profiles of the fast path are kept. When the two loads found different problems,
 * which the fast path's tests rule out, the full load's result is returned instead.
 */
export function placedBy(fast: LoadResult, full: LoadResult): LoadResult {
  const problems = (result: LoadResult) =>
    result.diagnostics.map((item) => `${item.severity} ${item.code} ${item.path}`).sort();
  const same =
    full.deployment !== undefined && JSON.stringify(problems(fast)) === JSON.stringify(problems(full));
  return same ? { ...fast, diagnostics: full.diagnostics } : full;
}

/** Loads through `fastParse`, or returns undefined when the full load must run. */
function fastLoad(text: string, options: LoadOptions): LoadResult | undefined {
  const parsed = fastParse(text, options.file);
  if (parsed === undefined) return undefined;

  const expectedName = options.expectedName ?? deploymentNameOfFile(options.file);
  const schema = checkSchema(parsed.source, parsed.data);
  const diagnostics: Diagnostic[] = [];
  appendDiagnostics(diagnostics, schema.diagnostics);
  const context = { source: parsed.source, view: buildView(parsed.data), expectedName };
  for (const rule of RULES) appendDiagnostics(diagnostics, rule.check(context));
  if (!fastResultStands(diagnostics) || !schema.vars) return undefined;

  const deployment = normalizeVars(schema.vars, options);
  const snapshot = options.snapshot
    ? createSnapshot(text, parsed.data, deployment, {
        file: options.file,
        outputPath: options.outputPath,
        expectedName,
      })
    : undefined;
  const sorted = sortDiagnostics(withTextPositions(text, diagnostics, snapshot));
  return { deployment, diagnostics: sorted, text, ...(snapshot ? { snapshot } : {}) };
}

/**
 * Reads a vars file, or returns the diagnostic of a file that is missing or unreadable. The
 * sha256 is of the bytes read, so the output records the very text that was loaded even when
 * someone saves the file while reconcile runs.
 */
export async function readVarsFile(
  absolutePath: string,
  file: string,
): Promise<{ text: string; sha256: string } | { diagnostics: Diagnostic[] }> {
  try {
    // Reading a named pipe would block forever, and a device might never end.
    const info = await stat(absolutePath);
    if (!info.isFile()) {
      const message = `vars file ${absolutePath} is not a regular file (a folder, a named pipe or a device); replace it with a file`;
      return { diagnostics: [fileError("file-unreadable", file, message)] };
    }
    const bytes = await readFile(absolutePath);
    return { text: bytes.toString("utf8"), sha256: createHash("sha256").update(bytes).digest("hex") };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === "ENOENT";
    const message = missing
      ? `vars file ${absolutePath} not found; check the path`
      : `vars file ${absolutePath} cannot be read: ${readFailureReason(error)}`;
    return { diagnostics: [fileError(missing ? "file-not-found" : "file-unreadable", file, message)] };
  }
}
