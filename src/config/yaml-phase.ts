/**
 * The YAML phase of loading: parse with the YAML 1.2 core schema, then report what YAML
 * allows but a vars file must not contain. That is duplicate keys, tab indentation, YAML
 * 1.1, merge keys, alias expansion beyond a small cap, and a root that is not a mapping.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  visit,
  type YAMLError,
  type YAMLMap,
} from "yaml";
import type { Diagnostic } from "./diagnostics.js";
import { textPosition } from "./field-path.js";
import { findIndentationSlip, type IndentationSlip } from "./indentation.js";
import { type FieldPath, formatPath, VarsSource } from "./source.js";
import { YAML11_BOOLEAN_WORDS } from "./yaml11.js";

/**
 * Aliases a vars file may contain. Real files use a handful (a shared namespace list);
 * the cap keeps alias bombs (nested aliases that expand exponentially) from using
 * unbounded time or memory.
 */
export const MAX_ALIASES = 50;

export interface YamlPhaseResult {
  source: VarsSource;
  /** The document as plain data; undefined when it cannot be used (syntax errors, alias limit). */
  data: unknown;
  diagnostics: Diagnostic[];
}

export function parseVarsYaml(text: string, file: string): YamlPhaseResult {
  const nul = text.indexOf("\u0000");
  if (nul >= 0) return notTextResult(text, file, nul, NUL_MESSAGE);
  // Decoding puts U+FFFD where the bytes are not UTF-8, so it stands for a byte that was lost.
  const replaced = text.indexOf("\uFFFD");
  if (replaced >= 0) return notTextResult(text, file, replaced, NOT_UTF8_MESSAGE);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    version: "1.2",
    schema: "core",
    merge: false,
    prettyErrors: false,
    keepSourceTokens: false,
    // The yaml package prints some problems, such as a mapping used as a key, as
    // process warnings. The rules report them as diagnostics instead.
    logLevel: "error",
  });
  const source = new VarsSource(file, text, document, lineCounter);
  const diagnostics: Diagnostic[] = [];

  const parserFound = parserDiagnostics(source, document.errors);
  // After a tab or a syntax error the parser misreads the lines around it. An indented block
  // can become one key that spans the rest of the file, and a key indented too little becomes
  // a key of the enclosing mapping. Checks of keys, tags and aliases on that tree report problems
  // the file does not have, such as a key "duplicated" in a mapping it was never in. So only
  // the parser's errors are reported until they are fixed. The %YAML directive comes before
  // any node, so its error stands.
  const misread = parserFound.length > 0;
  // A loop, not push(...list): spreading a list of 100k or more diagnostics (a damaged
  // file of 20k lines can give them) exceeds the call stack.
  for (const found of [
    versionDiagnostics(source, document),
    parserFound,
    ...(misread
      ? []
      : [
          duplicateKeyDiagnostics(source, document),
          mergeKeyDiagnostics(source, document),
          tagDiagnostics(source, document),
        ]),
  ]) {
    for (const diagnostic of found) diagnostics.push(diagnostic);
  }
  if (misread) return { source, data: undefined, diagnostics };

  const aliasProblem = aliasLimitProblem(document);
  if (aliasProblem !== undefined) {
    diagnostics.push(
      source.diagnostic(
        "error",
        "yaml-alias-limit",
        [],
        `${aliasProblem}; write the values out instead of using anchors and aliases`,
      ),
    );
    return { source, data: undefined, diagnostics };
  }
  const { data, diagnostic } = toData(source, document);
  if (diagnostic) diagnostics.push(diagnostic);
  else if (data !== undefined && !isMap(document.contents)) {
    diagnostics.push(notMappingDiagnostic(source, document));
    return { source, data: undefined, diagnostics };
  }
  return { source, data, diagnostics };
}

function toData(source: VarsSource, document: Document): { data: unknown; diagnostic?: Diagnostic } {
  if (document.contents === null) {
    return { data: undefined, diagnostic: notMappingDiagnostic(source, document) };
  }
  try {
    // The yaml package's own check (maxAliasCount) counts an anchored node as one of its uses,
    // so it rejects 50 aliases of one anchor. It is off because aliasLimitProblem has already
    // bounded the expanded data to MAX_ALIASES + 1 times the size of the document.
    return { data: document.toJS({ maxAliasCount: -1 }) };
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const alias = unresolvedAlias(document);
    const position = alias?.range ? { position: source.positionOfOffset(alias.range[0]) } : {};
    const message =
      alias === undefined
        ? `${error.message}; define the anchor (&name) before the alias (*name) that uses it`
        : `the alias *${alias.source} refers to no anchor &${alias.source} before it; define the anchor ` +
          `before the alias, or write the value out`;
    return {
      data: undefined,
      diagnostic: source.diagnostic("error", "yaml-syntax", [], message, position),
    };
  }
}

/** Returns the first alias, in document order, with no anchor of its name before it. */
function unresolvedAlias(document: Document): Alias | undefined {
  const anchors = new Set<string>();
  let found: Alias | undefined;
  visit(document, {
    Alias(_key, alias) {
      if (anchors.has(alias.source)) return undefined;
      found = alias;
      return visit.BREAK;
    },
    Node(_key, node) {
      if (node.anchor !== undefined) anchors.add(node.anchor);
      return undefined;
    },
  });
  return found;
}

function notMappingDiagnostic(source: VarsSource, document: Document): Diagnostic {
  const contents = document.contents;
  const kind = contents === null ? "empty" : isSeq(contents) ? "a list" : "a single value";
  return source.diagnostic(
    "error",
    "yaml-not-mapping",
    [],
    `the file is ${kind}; a vars file is a mapping with keys environment, region, kubeflow, gitops and users`,
  );
}

function versionDiagnostics(source: VarsSource, document: Document): Diagnostic[] {
  const directive = document.directives?.yaml;
  if (!directive?.explicit || directive.version === "1.2") return [];
  const offset = source.text.search(/^%YAML/m);
  return [
    source.diagnostic(
      "error",
      "yaml-version",
      [],
      `the %YAML ${directive.version} directive makes words such as "no" and "on" booleans; remove the directive (vars files are YAML 1.2)`,
      { position: source.positionOfOffset(Math.max(offset, 0)) },
    ),
  ];
}

/** Maps the parser's own errors; duplicate keys are reported by `duplicateKeyDiagnostics` with both lines. */
function parserDiagnostics(source: VarsSource, errors: readonly YAMLError[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  // A file indented with tabs has one on most lines: the first is reported, with the count of the others.
  const tabLines = new Set(
    errors
      .filter((error) => error.code === "TAB_AS_INDENT")
      .map((error) => source.positionOfOffset(error.pos[0]).line),
  );
  let tabReported = false;
  let unexpected = 0;
  let unclosedReported = false;
  // The layout scan of the file, run once, when the first indentation error needs it.
  let scan: { slip: IndentationSlip | undefined } | undefined;
  // A file nested too deep for the parser cannot be read at all, and the rest follows from that.
  const tooDeep = errors.find((error) => error.message.includes("Maximum call stack size exceeded"));
  for (const error of tooDeep === undefined ? errors : [tooDeep]) {
    if (error.code === "DUPLICATE_KEY") continue;
    // After one token the parser cannot place, it reports most tokens that follow: those
    // errors are left out, since they go away with the first.
    if (error.code === "UNEXPECTED_TOKEN" && unexpected++ > 0) continue;
    // An unclosed quote or bracket swallows the closing brackets after it. The lists and
    // mappings around it then read as unclosed too (`[{a: b]` reports both the `{` and the
    // `[`), and the lines after it read out of place. Errors after the first such error are
    // left out, since they go away with its fix.
    if (unclosedReported) break;
    const tab = error.code === "TAB_AS_INDENT";
    const offset = tab ? error.pos[0] : faultOffset(source.text, error);
    const position = source.positionOfOffset(offset);
    // A tab breaks the structure around it, and most of the parser's other errors follow from
    // it. They are left out until the tabs are gone, so the one real fix is reported alone.
    if (!tab && tabLines.size > 0) continue;
    if (tab && tabReported) continue;
    tabReported ||= tab;

    // The parser can report one fault several times, under different codes, at the same place.
    // After an indentation slip it also reads the lines that follow out of place, so their
    // errors, on lines that are right, are left out until the first one is fixed.
    const key = `${tab}:${position.line}:${position.column}`;
    if (seen.has(key) || (isIndentationError(error) && seen.has("indentation"))) continue;
    seen.add(key);
    if (isIndentationError(error)) seen.add("indentation");

    unclosedReported = !tab && isUnclosed(error);
    const dash = tab ? undefined : dashWithoutSpace(source.text, offset);
    // The parser notices a slip up to a few lines from it, so the slip the layout shows names
    // the line to fix. Further off, the slip the scan finds is likely another problem.
    // The first key of a file indented past the next one ends the document early, so the next
    // line reads as text after it.
    const slipMayCause =
      !tab &&
      dash === undefined &&
      (isIndentationError(error) || isKeyWithoutValue(error) || error.code === "UNEXPECTED_TOKEN");
    if (slipMayCause && scan === undefined) scan = { slip: findIndentationSlip(source.text) };
    const slip = slipMayCause ? slipNear(scan?.slip, position.line) : undefined;
    const reason =
      dash !== undefined
        ? DASH_WITHOUT_SPACE
        : (slip?.reason ?? `${parserReason(error, source.text)}${syntaxHint(error)}`);
    diagnostics.push(
      tab || slip?.tab
        ? source.diagnostic(
            "error",
            "yaml-tab-indent",
            [],
            `a tab is used for indentation${tabLines.size > 1 ? ` here and on ${tabLines.size - 1} more lines` : ""}; indent with spaces`,
            { position: slip?.tab ? { line: slip.line, column: slip.column } : position },
          )
        : source.diagnostic("error", "yaml-syntax", [], `invalid YAML: ${reason}`, {
            // The caret goes under the dash that needs the space, also where the parser reports the value.
            position:
              dash !== undefined
                ? source.positionOfOffset(dash)
                : slip !== undefined
                  ? { line: slip.line, column: slip.column }
                  : position,
          }),
    );
  }
  return diagnostics;
}

/** Lines between the parser's error and a slip that the layout scan finds, at most, for the slip to stand for the error. */
const MAX_SLIP_DISTANCE = 3;

/** Returns `slip` when it is within `MAX_SLIP_DISTANCE` lines of `line`. */
function slipNear(slip: IndentationSlip | undefined, line: number): IndentationSlip | undefined {
  return slip !== undefined && Math.abs(slip.line - line) <= MAX_SLIP_DISTANCE ? slip : undefined;
}

const DASH_WITHOUT_SPACE =
  'this line starts with "-" and no space, so it reads as a key or a value instead of a list entry; write a space after the "-"';

/**
 * Returns the offset of the dash when the line at `offset` starts with a `-` that has no space
 * after it (`-email: x`) and is a list entry. It is one when the next line is indented deeper,
 * as the keys of an entry are, or when the nearest line in its column above or below starts an
 * entry with `- `. YAML starts an entry only at a `-` followed by a space, so the parser reads
 * the line as a key or a value and speaks of indentation or keys. It reports the dash, or the
 * value on that line for the first entry of a list.
 */
function dashWithoutSpace(text: string, offset: number): number | undefined {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  let dash = lineStart;
  while (text[dash] === " ") dash++;
  if (text[dash] !== "-" || dash + 1 >= text.length || /^-[-\s]/.test(text.slice(dash, dash + 2))) {
    return undefined;
  }
  const column = dash - lineStart;
  const next = contentLines(text, lineStart, 1).next();
  if (!next.done && next.value.indent > column) return dash;
  return startsEntry(contentLines(text, lineStart, -1), column) ||
    startsEntry(contentLines(text, lineStart, 1), column)
    ? dash
    : undefined;
}

/** A line with text that is not a comment, with its indentation. */
interface ContentLine {
  indent: number;
  text: string;
}

/**
 * Yields the lines with text, other than comments, after (`step` 1) or before (`step` -1) the
 * line that starts at `lineStart`, nearest first. Lazy, because most callers stop at the first.
 */
function* contentLines(text: string, lineStart: number, step: 1 | -1): Generator<ContentLine> {
  let start = lineStart;
  for (;;) {
    if (step === 1) {
      const end = text.indexOf("\n", start);
      if (end === -1) return;
      start = end + 1;
    } else {
      if (start === 0) return;
      // `start - 1` is the line break that ends the line before.
      const previousEnd = start - 1;
      start = previousEnd === 0 ? 0 : text.lastIndexOf("\n", previousEnd - 1) + 1;
    }
    const end = text.indexOf("\n", start);
    const line = text.slice(start, end === -1 ? text.length : end);
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    yield { indent: line.length - line.trimStart().length, text: trimmed };
  }
}

/** True when the first of `lines` not indented deeper than `column` is a list entry in that column. */
function startsEntry(lines: Iterable<ContentLine>, column: number): boolean {
  for (const line of lines) {
    if (line.indent > column) continue;
    return line.indent === column && line.text.startsWith("- ");
  }
  return false;
}

/**
 * Returns `offset` moved past the indentation it falls in, to the line's first character.
 * The parser reports a wrongly indented line at its start, and the caret belongs under the
 * key that is out of place. When blank lines come before that line, the parser reports the
 * first blank line, so an offset on a blank line moves on to the next line with text.
 */
function pastIndentation(text: string, offset: number): number {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  let end = lineStart;
  while (text[end] === " ") end++;
  const blank = end >= text.length || text[end] === "\n" || text[end] === "\r";
  if (!blank) return offset >= lineStart && offset < end ? end : offset;
  while (end < text.length && (text[end] === " " || text[end] === "\n" || text[end] === "\r")) end++;
  return end < text.length ? end : offset;
}

/**
 * Returns where the fault of a parser error is. The parser notices an unclosed quote or flow
 * list where the text ends or the next key starts; the fix belongs where it opens.
 */
function faultOffset(text: string, error: YAMLError): number {
  const at = error.pos[0];
  if (error.code === "MISSING_CHAR" && /closing "quote/.test(error.message)) return lastQuote(text, at, '"');
  if (error.code === "MISSING_CHAR" && /closing 'quote/.test(error.message)) return lastQuote(text, at, "'");
  if (error.code === "BAD_INDENT" && /Flow sequence .* end with a \]/.test(error.message)) {
    return unmatchedOpener(text, at, "[", "]") ?? pastIndentation(text, at);
  }
  if (error.code === "BAD_INDENT" && /Flow map(ping)? .* end with a \}/.test(error.message)) {
    return unmatchedOpener(text, at, "{", "}") ?? pastIndentation(text, at);
  }
  return pastIndentation(text, at);
}

/** Returns the offset of the last `quote` before `end` that is not escaped, or `end` when there is none. */
function lastQuote(text: string, end: number, quote: '"' | "'"): number {
  for (let index = end - 1; index >= 0; index--) {
    if (text[index] !== quote) continue;
    // Inside double quotes a quote is escaped with a backslash, inside single quotes by doubling it.
    if (quote === '"' && text[index - 1] === "\\") continue;
    if (quote === "'" && (text[index - 1] === "'" || text[index + 1] === "'")) continue;
    return index;
  }
  return end;
}

/**
 * Returns the offset of the last `open` before `end` that no `close` after it matches. Quoted
 * brackets count too, so a quoted one can move the caret, but not the message.
 */
function unmatchedOpener(text: string, end: number, open: string, close: string): number | undefined {
  let depth = 0;
  for (let index = end - 1; index >= 0; index--) {
    if (text[index] === close) depth++;
    else if (text[index] === open) {
      if (depth === 0) return index;
      depth--;
    }
  }
  return undefined;
}

/** Returns the parser's reason in the words of a vars file. */
function parserReason(error: YAMLError, text: string): string {
  if (error.code === "MULTIPLE_DOCS") {
    return "the file holds more than one YAML document (a --- line starts another); a vars file is one document, so remove the --- line";
  }
  // The parser's recursion gives out on thousands of nested brackets or mappings.
  if (error.message.includes("Maximum call stack size exceeded")) {
    return "the values are nested too deep to read; a vars file needs only a few levels";
  }
  if (error.code === "MISSING_CHAR" && /closing ["']quote/.test(error.message)) {
    return "this quoted value is not closed; add the closing quote where the value ends";
  }
  const flow =
    /^Flow (sequence|map|mapping) in block collection must be sufficiently indented and end with a ([\]}])/.exec(
      error.message,
    );
  if (flow !== null) {
    const collection = flow[1] === "sequence" ? "list in brackets" : "mapping in braces";
    return `this ${collection} is not closed, or its next line is not indented past its key; add the closing ${flow[2]}`;
  }
  if (error.code === "MISSING_CHAR" && /^Sequence item without - indicator/.test(error.message)) {
    return "this line is indented differently from the keys of its list entry, so it reads as a list item without its -";
  }
  if (isKeyWithoutValue(error)) {
    return "this line reads as a key without a value: write a colon after the key (key: value)";
  }
  if (isSecondKeyOnLine(error, text)) {
    return 'this value contains ": " and reads as a second key on the line; quote the value';
  }
  // The ": " is on a line after the value, which is indented past the keys and so continues it.
  if (
    error.code === "BLOCK_AS_IMPLICIT_KEY" &&
    /^Nested mappings are not allowed in compact mappings/.test(error.message)
  ) {
    return "the line after this value is indented past the keys above it, so it reads as part of the value; indent it like those keys";
  }
  if (
    error.code === "BLOCK_AS_IMPLICIT_KEY" &&
    /^A block sequence may not be used as an implicit map key/.test(error.message)
  ) {
    return "this list entry starts in another column than the entries before it; start its - in their column";
  }
  if (error.code === "BAD_INDENT" && /^All mapping items must start at the same column/.test(error.message)) {
    return "this key does not start in the column of the keys before it";
  }
  if (error.code === "UNEXPECTED_TOKEN" && / at node end$/.test(error.message.split("\n")[0] ?? "")) {
    return "this text follows a value that ended before it (at a closing bracket, brace or quote); remove it, or move it inside the brackets or quotes";
  }
  const token = /^Unexpected \S+ token in YAML stream: (".*")/.exec(error.message);
  if (token !== null) {
    return `${token[1]} cannot stand here (quote the whole value if it belongs to it); the rest of the file is read once this is fixed`;
  }
  return error.message.split("\n")[0] ?? error.message;
}

/**
 * These parser errors mostly come from an indentation slip. The parser notices the fault where
 * the structure stops making sense, which can be a line after or before the one indented wrongly.
 */
const INDENTATION_ERRORS = new Set(["BAD_INDENT", "BLOCK_AS_IMPLICIT_KEY", "MULTILINE_IMPLICIT_KEY"]);

/** True for a parser error that mostly comes from an indentation slip (see `INDENTATION_ERRORS`). */
function isIndentationError(error: YAMLError): boolean {
  // A key indented less than the keys of its list entry reads as a new item without its `-`,
  // and the lines after a slip can read as a key without its value.
  const misread =
    error.code === "MISSING_CHAR" &&
    /^(Sequence item without - indicator|Implicit map keys need to be followed by map values)/.test(
      error.message,
    );
  return (
    (INDENTATION_ERRORS.has(error.code) || misread) &&
    !/^Flow (sequence|map|mapping) in block/.test(error.message)
  );
}

/** True for a parser error about an unclosed quote, list in brackets or mapping in braces. */
function isUnclosed(error: YAMLError): boolean {
  return (
    (error.code === "MISSING_CHAR" && /closing ["']quote/.test(error.message)) ||
    /^Flow (sequence|map|mapping) in block collection must be sufficiently indented and end with a/.test(
      error.message,
    )
  );
}

/**
 * True for a value with `: ` on its own line (`username: a: b`), which reads as a mapping inside
 * the value. A plain value continued on a line indented past its key gives the same error with
 * the `: ` on the next line, which is an indentation slip instead.
 */
function isSecondKeyOnLine(error: YAMLError, text: string): boolean {
  if (error.code !== "BLOCK_AS_IMPLICIT_KEY") return false;
  if (!/^Nested mappings are not allowed in compact mappings/.test(error.message)) return false;
  const lineEnd = text.indexOf("\n", error.pos[0]);
  return /: /.test(text.slice(error.pos[0], lineEnd < 0 ? text.length : lineEnd));
}

/** True for a line that reads as a key with no value: a missing colon, or a line after a slip. */
function isKeyWithoutValue(error: YAMLError): boolean {
  return (
    (error.code === "MISSING_CHAR" &&
      /^Implicit map keys need to be followed by map values/.test(error.message)) ||
    (error.code === "MULTILINE_IMPLICIT_KEY" &&
      /^Implicit keys need to be on a single line/.test(error.message))
  );
}

/** Returns the fix to suggest after a parser error's own message. */
function syntaxHint(error: YAMLError): string {
  // An unclosed flow collection and the misreadings that `parserReason` words get their own fix there.
  if (!isIndentationError(error) || error.code === "BLOCK_AS_IMPLICIT_KEY" || isKeyWithoutValue(error))
    return "";
  return "; check the indentation of this line and the lines around it (the keys of one mapping start in the same column)";
}

/**
 * Reports duplicate keys, alias keys, list and mapping keys, and keys that read as null, a
 * number or a boolean. The last three are removed from the document, so the schema and the rules, which would see them
 * converted (`010` as "10", `null` as ""), report nothing more about them.
 */
function duplicateKeyDiagnostics(source: VarsSource, document: Document): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const nonStringKeys: { map: YAMLMap; pair: Pair }[] = [];
  walk(document.contents, [], (node, path) => {
    if (!isMap(node)) return;
    const firstByKey = new Map<string, Scalar>();
    for (const pair of node.items) {
      if (isAlias(pair.key)) {
        // An alias key escapes the comparison of keys below and the parser's own, and the later
        // of two equal keys wins. `*r : [cake-admin]` after `&r roles: [cake-user]` would make a
        // user a cake-admin while the file reads "roles: [cake-user]".
        diagnostics.push(
          source.diagnostic(
            "error",
            "yaml-alias-key",
            [...path, `*${pair.key.source}`],
            `the key *${pair.key.source} is an alias; write the key itself, so that a reader sees which key it is`,
            { position: source.positionOfOffset(pair.key.range?.[0] ?? 0) },
          ),
        );
        continue;
      }
      if (isMap(pair.key) || isSeq(pair.key)) {
        // A complex key (`? [a, b]`) names no field, and toJS() would stringify it, so the
        // schema would place its error on the first key of the mapping.
        const written = source.text
          .slice(pair.key.range?.[0] ?? 0, pair.key.range?.[1] ?? 0)
          .replace(/\s+/g, " ")
          .trim();
        diagnostics.push(
          source.diagnostic(
            "error",
            "wrong-type",
            [...path, written],
            `the key ${written} is a ${isMap(pair.key) ? "mapping" : "list"}, but every key of a vars file is a ` +
              `string; write a plain key, or quote it (${JSON.stringify(written)}) if it is meant as text`,
            { position: source.positionOfOffset(pair.key.range?.[0] ?? 0) },
          ),
        );
        nonStringKeys.push({ map: node, pair });
        continue;
      }
      if (!isScalar(pair.key)) continue;
      if (typeof pair.key.value !== "string") {
        // Every key of a vars file is a string. A label key written `010` or `true` would load
        // as "10" or "true", silently changed.
        const written = source.text.slice(pair.key.range?.[0] ?? 0, pair.key.range?.[1] ?? 0).trim();
        const kind = pair.key.value === null ? "null" : `a ${typeof pair.key.value}`;
        diagnostics.push(
          source.diagnostic(
            "error",
            "wrong-type",
            [...path, written],
            `the key ${written || "(empty)"} reads as ${kind}; quote it: "${written}"`,
            { position: source.positionOfOffset(pair.key.range?.[0] ?? 0) },
          ),
        );
        nonStringKeys.push({ map: node, pair });
        continue;
      }
      const name = String(pair.key.value);
      const first = firstByKey.get(name);
      if (!first) {
        firstByKey.set(name, pair.key);
        continue;
      }
      const line = source.positionOfOffset(pair.key.range?.[0] ?? 0);
      const firstLine = source.positionOfOffset(first.range?.[0] ?? 0).line;
      const where = path.length === 0 ? "the top level" : formatPath(path);
      diagnostics.push(
        source.diagnostic(
          "error",
          "yaml-duplicate-key",
          [...path, name],
          `duplicate key "${name}" in ${where} at line ${line.line} (first at line ${firstLine}); keep one and delete the other`,
          { position: line },
        ),
      );
    }
  });
  for (const { map, pair } of nonStringKeys) map.items.splice(map.items.indexOf(pair), 1);
  return diagnostics;
}

/** The explicit tags of the YAML 1.2 core schema, which only restate what a value is. */
const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((name) => `tag:yaml.org,2002:${name}`),
);

/**
 * Reports explicit tags other than the core schema's, and core tags that do not fit their
 * value (`!!float platform-admin`). The yaml package drops an unknown tag with a warning
 * and loads the plain value, and it reads YAML 1.1 tags such as `!!timestamp` and `!!set`,
 * while another tool reading the file (`!vault` for Ansible) gives it another meaning.
 */
function tagDiagnostics(source: VarsSource, document: Document): Diagnostic[] {
  // Tags the yaml package could not apply, by the offset where each is written.
  const unresolved = new Map<number, string>();
  for (const warning of document.warnings) {
    if (warning.code === "TAG_RESOLVE_FAILED") {
      unresolved.set(warning.pos[0], source.text.slice(warning.pos[0], warning.pos[1]));
    }
  }
  const diagnostics: Diagnostic[] = [];
  const report = (path: FieldPath, offset: number, tag: string, problem: string): void => {
    diagnostics.push(
      source.diagnostic(
        "error",
        "yaml-tag",
        path,
        `the tag ${tag} ${problem}; remove it (and quote the value to keep it a string)`,
        { position: source.positionOfOffset(offset) },
      ),
    );
  };
  walk(document.contents, [], (node, path) => {
    if (node.tag === undefined) return;
    // The node's range starts at its value; the tag is written before it.
    const start = node.range?.[0] ?? 0;
    const tagStart = /!\S*\s*$/.exec(source.text.slice(Math.max(0, start - 256), start));
    const offset = tagStart === null ? start : start - tagStart[0].length;
    const written = unresolved.get(offset);
    unresolved.delete(offset);
    if (written !== undefined && CORE_TAGS.has(node.tag)) {
      report([...path], offset, written, "does not fit the value");
    } else if (!CORE_TAGS.has(node.tag)) {
      const tagText = written ?? node.tag.replace(/^tag:yaml\.org,2002:/, "!!");
      report([...path], offset, tagText, "is not one vars files use");
    }
  });
  // A tag on a key, which `walk` does not visit.
  for (const [offset, tag] of unresolved) report([], offset, tag, "is not one vars files use");
  return diagnostics;
}

function mergeKeyDiagnostics(source: VarsSource, document: Document): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  walk(document.contents, [], (node, path) => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      if (!isScalar(pair.key) || pair.key.value !== "<<" || pair.key.type !== Scalar.PLAIN) continue;
      diagnostics.push(
        source.diagnostic(
          "error",
          "yaml-merge-key",
          [...path, "<<"],
          "merge keys (<<) are not part of YAML 1.2 and tools disagree on them; write the keys out",
          { position: source.positionOfOffset(pair.key.range?.[0] ?? 0) },
        ),
      );
    }
  });
  return diagnostics;
}

/**
 * Returns why the aliases of a document exceed `MAX_ALIASES`, or undefined when they do not.
 * Aliases are counted as if each were replaced by the value it stands for, so an alias inside
 * an anchored value counts again each time an alias repeats that value. Nested aliases that
 * double at each level thus reach the limit after a few levels, whatever the size of the file.
 */
function aliasLimitProblem(document: Document): string | undefined {
  const targets = aliasTargets(document);
  if (targets.size === 0) return undefined;

  const expanded = new Map<Node, number>();
  const inProgress = new Set<Node>();
  let cyclic: Alias | undefined;
  const over = MAX_ALIASES + 1;

  // Returns the expanded alias count of `node`'s subtree, capped at `over`.
  const countIn = (node: unknown): number => {
    if (isAlias(node)) {
      const target = targets.get(node);
      if (target === undefined) return 1;
      if (inProgress.has(target)) {
        cyclic ??= node;
        return over;
      }
      let inner = expanded.get(target);
      if (inner === undefined) {
        inProgress.add(target);
        inner = countIn(target);
        inProgress.delete(target);
        expanded.set(target, inner);
      }
      return Math.min(1 + inner, over);
    }
    let count = 0;
    if (isMap(node)) {
      for (const pair of node.items) count += countIn(pair.key) + countIn(pair.value);
    } else if (isSeq(node)) {
      for (const item of node.items) count += countIn(item);
    }
    return Math.min(count, over);
  };

  // An alias inside its own anchored value makes the value contain itself.
  const total = countIn(document.contents);
  if (cyclic !== undefined) {
    return `the alias *${cyclic.source} is inside the value it refers to, so it expands without end`;
  }
  if (total <= MAX_ALIASES) return undefined;
  if (targets.size > MAX_ALIASES) return `the file uses ${targets.size} aliases (limit ${MAX_ALIASES})`;
  return (
    `the file's ${targets.size} aliases count as more than ${MAX_ALIASES} (the limit), because an alias ` +
    "inside an anchored value counts each time an alias repeats that value"
  );
}

/**
 * Returns the anchored node each alias refers to: the last node before the alias, in document
 * order, that has its anchor, as the yaml package resolves it. An alias without one maps to
 * undefined, and `toData` reports it.
 */
function aliasTargets(document: Document): Map<Alias, Node | undefined> {
  const targets = new Map<Alias, Node | undefined>();
  const anchored = new Map<string, Node>();
  visit(document, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchored.get(node.source));
      else if (node.anchor) anchored.set(node.anchor, node);
    },
  });
  return targets;
}

/**
 * Warns on unquoted words that YAML 1.1 reads as booleans (`no`, `on`, `y`, any case).
 * YAML 1.2 loads them as strings, but other tools reading the same file may not.
 */
export function yaml11BooleanDiagnostics(source: VarsSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  walk(source.document?.contents, [], (node, path) => {
    if (!isScalar(node) || node.type !== Scalar.PLAIN || typeof node.value !== "string") return;
    if (!YAML11_BOOLEAN_WORDS.test(node.value) || path.length === 0) return;
    const meaning = /^(y|yes|on)$/i.test(node.value) ? "true" : "false";
    diagnostics.push(
      source.diagnostic(
        "warning",
        "yaml11-boolean",
        path,
        `unquoted "${node.value}" is ${meaning} for YAML 1.1 tools; quote it: "${node.value}"`,
        { position: source.positionOfOffset(node.range?.[0] ?? 0) },
      ),
    );
  });
  return diagnostics;
}

/**
 * Visits every value node with its field path; keys are not visited, aliases are not followed.
 * The path array is reused while walking, so a visitor copies it to keep it.
 */
function walk(
  node: unknown,
  path: (string | number)[],
  visitor: (node: Node, path: FieldPath) => void,
): void {
  if (node === null || node === undefined || isAlias(node)) return;
  visitor(node as Node, path);
  if (isMap(node)) {
    for (const pair of node.items) {
      path.push(isScalar(pair.key) ? String(pair.key.value) : "?");
      walk(pair.value, path, visitor);
      path.pop();
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      path.push(index);
      walk(item, path, visitor);
      path.pop();
    }
  }
}

const NUL_MESSAGE =
  "the file contains NUL characters, so it is not UTF-8 text (it may be UTF-16, or binary); save it as UTF-8";

export const NOT_UTF8_MESSAGE =
  "the file contains bytes that are not UTF-8 (shown as U+FFFD), such as an é saved as Latin-1 or " +
  "Windows-1252; save the file as UTF-8, because emails and names are compared byte for byte";

/**
 * A file with a NUL character is not UTF-8 text: UTF-16 has one in every ASCII character, and a
 * binary file has them anywhere. A file with bytes that are not UTF-8 lost them in decoding.
 * Parsing either would only report noise, so one error names the problem.
 */
function notTextResult(text: string, file: string, offset: number, message: string): YamlPhaseResult {
  const lineCounter = new LineCounter();
  const document = parseDocument("", { lineCounter });
  const source = new VarsSource(file, text, document, lineCounter);
  const position = textPosition(text, offset);
  const diagnostic = source.diagnostic("error", "yaml-syntax", [], message, { position });
  return { source, data: undefined, diagnostics: [diagnostic] };
}
