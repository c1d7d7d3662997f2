/**
 * Loads one vars file in phases: YAML, schema, rules, then the deployment model. Every
 * problem of the file is reported together; nothing here throws on bad input.
 */
import { readFile } from "node:fs/promises";
import type { Document } from "yaml";
import type { Deployment } from "../model/types.js";
import { deploymentNameOfFile } from "../repo/vars-files.js";
import { type Diagnostic, hasErrors, sortDiagnostics } from "./diagnostics.js";
import { fastParse, fastResultStands } from "./fast-load.js";
import { normalizeVars } from "./normalize.js";
import { buildView } from "./rules/context.js";
import { RULES } from "./rules/index.js";
import { checkSchema } from "./schema-phase.js";
import { parseVarsYaml, yaml11BooleanDiagnostics } from "./yaml-phase.js";

export interface LoadResult {
  /** Present only when the file has no errors (warnings allowed). */
  deployment?: Deployment;
  /** Sorted by line and column. */
  diagnostics: Diagnostic[];
  /** The parsed document, with comments and positions, when the file could be parsed. */
  document?: Document;
  /** The text that was loaded, for source excerpts; absent when the file could not be read. */
  text?: string;
}

export interface LoadOptions {
  /** Path shown in diagnostics, verbatim (usually relative to the repo root). */
  file: string;
  /** Output folder of the deployment, stored in `Deployment.outputPath`. */
  outputPath: string;
  /** Deployment name the file must declare; defaults to the file's basename without `.yaml`/`.yml`. */
  expectedName?: string;
  /**
   * Take the fast path where it cannot change the result (see `fast-load.ts`). Its warnings
   * carry no position (line and column 0) and it returns no document, so only callers that
   * need the model, such as reconcile, set it.
   */
  fast?: boolean;
}

export function loadVarsText(text: string, options: LoadOptions): LoadResult {
  if (options.fast) {
    const fast = fastLoad(text, options);
    if (fast !== undefined) return fast;
  }

  const expectedName = options.expectedName ?? deploymentNameOfFile(options.file);
  const { source, data, diagnostics } = parseVarsYaml(text, options.file);
  const document = source.document;
  if (data === undefined)
    return { diagnostics: sortDiagnostics(diagnostics), text, ...(document ? { document } : {}) };

  const schema = checkSchema(source, data);
  append(diagnostics, schema.diagnostics);

  const context = { source, view: buildView(data), expectedName };
  for (const rule of RULES) append(diagnostics, rule.check(context));

  // A YAML 1.1 word in a field that is not a string is already an error of its own.
  const errorPaths = new Set(
    diagnostics.filter((item) => item.severity === "error").map((item) => item.path),
  );
  append(
    diagnostics,
    yaml11BooleanDiagnostics(source).filter((item) => !errorPaths.has(item.path)),
  );

  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted) || !schema.vars)
    return { diagnostics: sorted, text, ...(document ? { document } : {}) };
  return {
    deployment: normalizeVars(schema.vars, options),
    diagnostics: sorted,
    text,
    ...(document ? { document } : {}),
  };
}

/** Loads through `fastParse`, or returns undefined when the full load must run. */
function fastLoad(text: string, options: LoadOptions): LoadResult | undefined {
  const parsed = fastParse(text, options.file);
  if (parsed === undefined) return undefined;

  const expectedName = options.expectedName ?? deploymentNameOfFile(options.file);
  const schema = checkSchema(parsed.source, parsed.data);
  const diagnostics: Diagnostic[] = [];
  append(diagnostics, schema.diagnostics);
  const context = { source: parsed.source, view: buildView(parsed.data), expectedName };
  for (const rule of RULES) append(diagnostics, rule.check(context));
  if (!fastResultStands(diagnostics) || !schema.vars) return undefined;

  return { deployment: normalizeVars(schema.vars, options), diagnostics: sortDiagnostics(diagnostics), text };
}

export async function loadVarsFile(
  absolutePath: string,
  options: Omit<LoadOptions, "expectedName">,
): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(absolutePath, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing = code === "ENOENT";
    return {
      diagnostics: [
        {
          severity: "error",
          code: missing ? "file-not-found" : "file-unreadable",
          file: options.file,
          line: 0,
          column: 0,
          path: "",
          message: missing
            ? `vars file ${absolutePath} not found; check the path`
            : `vars file ${absolutePath} cannot be read (${code ?? (error as Error).message}); check its permissions`,
        },
      ],
    };
  }
  return loadVarsText(text, options);
}

export { deploymentNameOfFile };

/**
 * Appends `items` in a loop: `push(...items)` passes every item as an argument, and a damaged
 * file with 100k+ diagnostics overflows the call stack.
 */
function append(target: Diagnostic[], items: readonly Diagnostic[]): void {
  for (const item of items) target.push(item);
}
