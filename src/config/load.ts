/**
 * Loads one vars file in phases: YAML, schema, rules, then the deployment model. Every
 * problem of the file is reported together; nothing here throws on bad input.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Document } from "yaml";
import type { Deployment } from "../model/types.js";
import { type Diagnostic, hasErrors, sortDiagnostics } from "./diagnostics.js";
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
}

export function loadVarsText(text: string, options: LoadOptions): LoadResult {
  const expectedName = options.expectedName ?? deploymentNameOfFile(options.file);
  const { source, data, diagnostics } = parseVarsYaml(text, options.file);
  const document = source.document;
  if (data === undefined)
    return { diagnostics: sortDiagnostics(diagnostics), text, ...(document ? { document } : {}) };

  const schema = checkSchema(source, data);
  diagnostics.push(...schema.diagnostics);

  const context = { source, view: buildView(data), expectedName };
  for (const rule of RULES) diagnostics.push(...rule.check(context));

  // A YAML 1.1 word in a field that is not a string is already an error of its own.
  const errorPaths = new Set(
    diagnostics.filter((item) => item.severity === "error").map((item) => item.path),
  );
  diagnostics.push(...yaml11BooleanDiagnostics(source).filter((item) => !errorPaths.has(item.path)));

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

/** Returns the deployment name a vars file's name implies: `vars/prod-us-east-1.yaml` gives `prod-us-east-1`. */
export function deploymentNameOfFile(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, "");
}
