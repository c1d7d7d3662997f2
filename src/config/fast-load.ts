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

/** A key that reads as null, a boolean or a number, up to its `:`. */
const NON_STRING_KEY =
  /(null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[-+]?\.?[0-9][-+._0-9a-fA-FxXoO]*) *:( |\r?$)/m;
const NON_STRING_KEY_START = /[-+.~0-9nNtTfF]/;
const DASH = 0x2d;

/**
 * Text that sends a file to the full load. Tabs, `%` directives, merge keys, anchors,
 * aliases and tags are checked or reported there. The unquoted YAML 1.1 words need the
 * full load's `yaml11-boolean` warning. Document markers would make js-yaml and the
 * `yaml` package disagree on how many documents there are. U+FFFD marks bytes that were not
 * UTF-8, which the full load reports.
 */
const NEEDS_FULL_LOAD = [
  /\t/,
  // A CR that ends no CRLF: js-yaml reads it as a line break, the yaml package as text.
  /\r(?!\n)/,
  // A flow collection as a key: js-yaml joins it into a string, the yaml package writes it as YAML.
  /[\]}] *:(\s|$)/m,
  /\uFFFD/,
  /^%/m,
  /<</,
  /[&*!]/,
  /^(---|\.\.\.)/m,
  // A YAML 1.1 word as a whole plain value: after a space, a line start, a flow indicator or a
  // JSON-like key's colon. `kim-y` and `lee-on` are other words, which must not cost a full load.
  /(^|[\s:[{,])(y|yes|n|no|on|off)\s*($|[#,\]}])/im,
  // Numbers js-yaml's core schema reads that the YAML 1.2 core schema keeps as strings (binary,
  // signed hex and octal) or reads as a number where js-yaml does not (`+.5`), and `-0`. Measured
  // with js-yaml 4 against yaml 2: `0b11` is 3 in one and the string "0b11" in the other. The last
  // alternative, a hexadecimal or octal number (`0x10`, `0o10`), loads alike in both, but the
  // quantity rule rejects it with the text as written, which only the full load keeps. One
  // pattern for both scans a 10k-user file in about 2 ms, two patterns in about 4.
  /(^|[\s[{,])([-+]?0[bB]|[-+]0[xXoO]|\+\.|0[xo][0-9a-fA-F])/m,
  /(^|[\s[{,])-0(\.0*)?\s*($|[#,\]}])/m,
  // `-.5` is a number to the yaml package and a string to js-yaml; `9E990` the reverse (Infinity).
  /(^|[\s[{,])-\.[0-9]/m,
  /(^|[\s[{,])[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]{3}/m,
  // A long number (16 digits and a point, or 17 digits) may load as another, as
  // `1.0000000000000000001` loads as 1. The quantity rule reports it with the text as written,
  // which only the full load keeps.
  /(^|[\s[{,])[-+]?(?=[0-9.]{17})[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?\s*($|[#,\]}])/m,
  // A flow mapping key that reads as null, a number or a boolean (see `hasNonStringKey`).
  new RegExp(`[{,] *${NON_STRING_KEY.source}`, "m"),
  // `?` starts an explicit key.
  /(^|[\s[{,])\?(\s|$)/m,
];

/** Returns true when `text` uses a YAML feature that only the full load handles. */
export function needsFullLoad(text: string): boolean {
  return (
    NEEDS_FULL_LOAD.some((pattern) => pattern.test(text)) || hasMisindentedFlow(text) || hasNonStringKey(text)
  );
}

/**
 * Returns true when a block mapping key of `text` reads as null, a number or a boolean. The
 * full load reports such a key; js-yaml turns it into a string (a null key into "null", where
 * the yaml package gives ""). Only lines whose key starts with a character such a key can start
 * with are matched, which costs a tenth of a regular expression over the whole text.
 */
function hasNonStringKey(text: string): boolean {
  const key = new RegExp(NON_STRING_KEY.source, "y");
  let start = 0;
  while (start < text.length) {
    let at = start;
    while (
      text.charCodeAt(at) === SPACE ||
      (text.charCodeAt(at) === DASH && text.charCodeAt(at + 1) === SPACE)
    )
      at++;
    if (NON_STRING_KEY_START.test(text[at] ?? "")) {
      key.lastIndex = at;
      if (key.test(text)) return true;
    }
    const end = text.indexOf("\n", at);
    if (end < 0) return false;
    start = end + 1;
  }
  return false;
}

const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;
const HASH = 0x23;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const BACKSLASH = 0x5c;

/**
 * Returns true when a flow collection (`[...]`, `{...}`) continues on a line that is not
 * indented past the node that contains it, or on a blank line, or its brackets never balance.
 * js-yaml reads such lines, which the `yaml` package rejects. A collection continued on lines
 * indented far enough stays on the fast path. Quoted scalars are skipped, because they may
 * contain brackets and `#`. A quoted scalar that spans lines sends the file to the full load.
 */
function hasMisindentedFlow(text: string): boolean {
  let balance = 0;
  // Lines that continue the open collection must be indented past this column.
  let limit = 0;
  let lineStart = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === DOUBLE_QUOTE || code === SINGLE_QUOTE) {
      // A quote inside a plain scalar (`it's`) is text; one where a scalar starts opens it.
      if (!startsScalar(text, lineStart, index)) continue;
      const end = quoteEnd(text, index);
      if (end < 0) return true;
      index = end;
    } else if (code === OPEN_SQUARE || code === OPEN_CURLY) {
      if (balance === 0) limit = ownerColumn(text, lineStart, index);
      balance++;
    } else if (code === CLOSE_SQUARE || code === CLOSE_CURLY) {
      balance--;
      if (balance < 0) return true;
    } else if (
      code === HASH &&
      (index === 0 || text.charCodeAt(index - 1) === SPACE || text.charCodeAt(index - 1) === NEWLINE)
    ) {
      // A comment runs to the end of the line.
      const end = text.indexOf("\n", index);
      index = (end < 0 ? text.length : end) - 1;
    } else if (code === NEWLINE) {
      lineStart = index + 1;
      if (balance === 0) continue;
      let indent = 0;
      while (text.charCodeAt(lineStart + indent) === SPACE) indent++;
      const first = text.charCodeAt(lineStart + indent);
      if (indent <= limit || first === NEWLINE || first === CARRIAGE_RETURN || Number.isNaN(first))
        return true;
    }
  }
  return balance !== 0;
}

/** Returns true when the character at `index` starts a scalar: after indentation, `- `, `: `, `[`, `{`, `,` or `? `. */
function startsScalar(text: string, lineStart: number, index: number): boolean {
  let before = index - 1;
  while (before >= lineStart && text.charCodeAt(before) === SPACE) before--;
  if (before < lineStart) return true;
  const previous = text[before];
  if (previous === "[" || previous === "{" || previous === ",") return true;
  return (previous === "-" || previous === ":" || previous === "?") && before < index - 1;
}

/**
 * Returns the offset of the quote that closes the quoted scalar opened at `open`, or -1 when it
 * does not close on the same line. A double-quoted scalar escapes with a backslash, a
 * single-quoted one by doubling the quote.
 */
function quoteEnd(text: string, open: number): number {
  const quote = text.charCodeAt(open);
  for (let index = open + 1; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === NEWLINE || code === CARRIAGE_RETURN) return -1;
    if (quote === DOUBLE_QUOTE && code === BACKSLASH) {
      index++;
    } else if (code === quote) {
      if (quote === SINGLE_QUOTE && text.charCodeAt(index + 1) === SINGLE_QUOTE) index++;
      else return index;
    }
  }
  return -1;
}

/**
 * Returns the column that lines continuing a flow collection opened at offset `opener` must be
 * indented past, as the `yaml` package requires. That is the column of the key that owns the
 * collection (after any `- ` on the line), or of the `-` of the sequence item that is the
 * collection. An opener first on its line has its owner on an earlier line, so it gets
 * infinity, and a continued collection takes the full load.
 */
function ownerColumn(text: string, lineStart: number, opener: number): number {
  const before = text.slice(lineStart, opener).trimEnd();
  if (before.endsWith(":")) {
    let column = 0;
    while (before.charCodeAt(column) === SPACE) column++;
    while (before.startsWith("- ", column)) {
      column += 2;
      while (before.charCodeAt(column) === SPACE) column++;
    }
    return column;
  }
  if (before.endsWith("-")) return before.length - 1;
  return Number.POSITIVE_INFINITY;
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
