/**
 * A fast path for loading large, plain vars files. The `yaml` Document API keeps every
 * node with its position and comments, which costs about a second and a few hundred MB
 * for a 10k-user file (measured on a 2-core machine). `js-yaml` builds the same plain data
 * several times faster.
 *
 * The fast path is taken only when its result cannot differ from the full load. The text
 * must use none of the YAML features the full load reports or treats specially, js-yaml
 * must read it without error, and the schema and rules must find no error. Anything else
 * falls back to the full load, which reports every problem with its position. */
import jsyaml from "js-yaml";
import type { Diagnostic } from "./diagnostics.js";
import { DiagnosticSource } from "./field-path.js";

/**
 * Text that sends a file to the full load. Tabs, `%` directives, merge keys, anchors,
 * aliases and tags are checked or reported there. The unquoted YAML 1.1 words need the
 * full load's `yaml11-boolean` warning. Document markers would make js-yaml and the
 * `yaml` package disagree on how many documents there are. U+FFFD marks bytes that were not
 * UTF-8, which the full load reports.
 */
const NEEDS_FULL_LOAD = [
  /\t/,
  /\uFFFD/,
  /^%/m,
  /<</,
  /[&*!]/,
  /^(---|\.\.\.)/m,
  /(^|[\s:[{,-])(y|yes|n|no|on|off)\s*($|[#,\]}])/im,
];

/** Returns true when `text` uses a YAML feature that only the full load handles. */
export function needsFullLoad(text: string): boolean {
  return NEEDS_FULL_LOAD.some((pattern) => pattern.test(text)) || hasMultilineFlow(text);
}

const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;
const HASH = 0x23;
const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * Returns true when a line has more opening than closing brackets or the reverse, which a
 * flow collection continued on the next line has. js-yaml reads continuation lines that the
 * `yaml` package rejects as not indented enough, so such files take the full load. Brackets
 * in quoted scalars or plain words count too, which only sends a file to the full load.
 */
function hasMultilineFlow(text: string): boolean {
  let balance = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === OPEN_SQUARE || code === OPEN_CURLY) balance++;
    else if (code === CLOSE_SQUARE || code === CLOSE_CURLY) balance--;
    else if (
      code === HASH &&
      (index === 0 || text.charCodeAt(index - 1) === SPACE || text.charCodeAt(index - 1) === NEWLINE)
    ) {
      // A comment runs to the end of the line.
      const end = text.indexOf("\n", index);
      index = (end < 0 ? text.length : end) - 1;
    } else if (code === NEWLINE) {
      if (balance !== 0) return true;
    }
  }
  return balance !== 0;
}

/**
 * Returns the plain data of `text` and a position-less source, or undefined when the file
 * needs the full load.
 */
export function fastParse(
  text: string,
  file: string,
): { source: DiagnosticSource; data: unknown } | undefined {
  if (needsFullLoad(text)) return undefined;

  let data: unknown;
  try {
    // CORE_SCHEMA resolves the same scalars as the YAML 1.2 core schema; duplicate keys throw.
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, filename: file });
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  return { source: new DiagnosticSource(file, text, data), data };
}

/** Returns true when the fast path's diagnostics allow its result to stand. */
export function fastResultStands(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.every((diagnostic) => diagnostic.severity !== "error");
}
