/**
 * Positions for the fast path's diagnostics, found in the text by its layout instead of a parsed
 * document. The fast path takes only plain block-style files (no tabs, anchors or document
 * markers), where a key's line is the one that starts with `key:` (or the key quoted) at its
 * mapping's indent. Three path shapes are located: `users.users[N].key`,
 * `users.deploy_namespaces[N].key` and `section.key`; an entry may be a block mapping or a flow
 * mapping (`- {email: a@example.com}`). A diagnostic whose path is found nowhere, such as one
 * in a flow list of entries, keeps line and column 0. Callers that print diagnostics then ask
 * the full load for positions (`LoadOptions.positioned`).
 */
import type { Diagnostic } from "./diagnostics.js";
import { findFlowKey } from "./flow-key.js";
import { type EntryLayout, indentOf, scanEntries } from "./incremental.js";

const ENTRY_FIELD = /^users\.(users|deploy_namespaces)\[(\d+)\]\.([A-Za-z_]+)$/;
const SECTION_FIELD = /^([A-Za-z_]+)\.([A-Za-z_]+)$/;

/** A located value: the offset of its line's start, and its 1-based column. */
interface Found {
  lineStart: number;
  column: number;
}

/**
 * Returns `diagnostics` with the line and column of each position-less one that the text
 * locates. `knownLayout`, the entries of `users.users` when the caller knows them, saves a scan.
 */
export function withTextPositions(
  source: string,
  diagnostics: readonly Diagnostic[],
  knownLayout?: EntryLayout,
): Diagnostic[] {
  if (diagnostics.every((diagnostic) => diagnostic.line > 0)) return diagnostics.map(withoutKeyMark);
  // A CR ends a line only before LF, so lines and columns are the same without it. Offsets in
  // a given layout are offsets of the CRLF text, so it is scanned again.
  const crlf = source.includes("\r\n");
  const text = crlf ? source.replace(/\r\n/g, "\n") : source;
  const layout = crlf ? undefined : knownLayout;
  const layouts = new Map<string, EntryLayout | undefined>(layout ? [["users", layout]] : []);
  const entryLayout = (sequence: "users" | "deploy_namespaces"): EntryLayout | undefined => {
    if (!layouts.has(sequence)) layouts.set(sequence, scanEntries(text, sequence));
    return layouts.get(sequence);
  };

  const found = diagnostics.map((diagnostic) =>
    diagnostic.line > 0 ? undefined : locate(text, diagnostic, entryLayout),
  );
  const lines = lineNumbers(
    text,
    found.flatMap((item) => (item === undefined ? [] : [item.lineStart])),
  );
  return diagnostics.map((diagnostic, index) => {
    const item = found[index];
    if (item === undefined) return withoutKeyMark(diagnostic);
    return {
      ...withoutKeyMark(diagnostic),
      line: (lines.get(item.lineStart) as number) + 1,
      column: item.column,
    };
  });
}

/** Drops `atKey`, which only this module reads. */
function withoutKeyMark(diagnostic: Diagnostic): Diagnostic {
  if (diagnostic.atKey === undefined) return diagnostic;
  const { atKey: _atKey, ...rest } = diagnostic;
  return rest;
}

function locate(
  text: string,
  { path, atKey }: Diagnostic,
  entryLayout: (sequence: "users" | "deploy_namespaces") => EntryLayout | undefined,
): Found | undefined {
  const entry = ENTRY_FIELD.exec(path);
  if (entry !== null) {
    const layout = entryLayout(entry[1] as "users" | "deploy_namespaces");
    const index = Number(entry[2]);
    const start = layout?.itemStarts[index];
    if (layout === undefined || start === undefined) return undefined;
    const end = layout.itemStarts[index + 1] ?? layout.sequenceEnd;
    const open = flowEntryStart(text, start, end, layout.itemIndent);
    if (open !== undefined) return flowKeyPosition(text, open, end, entry[3] as string, atKey === true);
    const keyColumn = entryKeyColumn(text, start, end, layout.itemIndent);
    if (keyColumn === undefined) return undefined;
    return findKey(text, { start, end, key: entry[3] as string, keyColumn, afterDash: true }, atKey === true);
  }

  const section = SECTION_FIELD.exec(path);
  if (section === null) return undefined;
  const header = new RegExp(`^(?:${section[1]}|"${section[1]}"|'${section[1]}') *:(?: |$)`, "m").exec(text);
  if (header === null) return undefined;
  const start = text.indexOf("\n", header.index) + 1;
  if (start === 0) return undefined;
  // The section ends at the next line that starts at column 0 with something other than a comment.
  const next = /^[^\s#]/m.exec(text.slice(start));
  const end = next === null ? text.length : start + next.index;
  const child = /^( +)[^\s#]/m.exec(text.slice(start, end));
  if (child === null) return undefined;
  const keyColumn = (child[1] as string).length;
  return findKey(
    text,
    { start, end, key: section[2] as string, keyColumn, afterDash: false },
    atKey === true,
  );
}

/** Returns the offset of the `{` of an entry written as a flow mapping after its dash, or undefined. */
function flowEntryStart(text: string, start: number, end: number, itemIndent: number): number | undefined {
  const first = lineAt(text, start, end);
  let column = itemIndent + 1;
  while (first[column] === " ") column++;
  return first[column] === "{" ? start + column : undefined;
}

/** Finds the value of a key (or with `atKey`, the key itself) in the flow mapping whose `{` is at `open`. */
function flowKeyPosition(
  text: string,
  open: number,
  end: number,
  key: string,
  atKey: boolean,
): Found | undefined {
  const found = findFlowKey(text, open, end, key);
  if (found === undefined) return undefined;
  const offset = atKey ? found.key : found.value;
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return { lineStart, column: offset - lineStart + 1 };
}

/**
 * Returns the column of the keys of the entry whose `-` (at `itemIndent`) starts the line at
 * `start`: the first key follows the dash on its line, or starts the next line with content.
 * Returns undefined for an entry that is not a block mapping.
 */
function entryKeyColumn(text: string, start: number, end: number, itemIndent: number): number | undefined {
  const first = lineAt(text, start, end);
  let column = itemIndent + 1;
  while (first[column] === " ") column++;
  if (column < first.length && first[column] !== "#")
    return /^[{[]/.test(first.slice(column)) ? undefined : column;
  const next = nextContentLine(text, nextLineStart(text, start, end), end);
  return next === undefined ? undefined : indentOf(next.line);
}

/** A key search: the text between `start` and `end` (both at line starts) and the key's layout. */
interface KeySearch {
  start: number;
  end: number;
  key: string;
  /** Column where the mapping's keys start. */
  keyColumn: number;
  /** True when the first line starts with an entry's dash, so its key follows the dash. */
  afterDash: boolean;
}

/**
 * Finds the value of a key (or with `atKey`, the key itself). The key may be quoted, and the
 * value may start on a later line.
 */
function findKey(text: string, search: KeySearch, atKey: boolean): Found | undefined {
  const { start, end, key, keyColumn, afterDash } = search;
  for (let lineStart = start; lineStart < end; lineStart = nextLineStart(text, lineStart, end)) {
    const line = lineAt(text, lineStart, end);
    if (!(afterDash && lineStart === start) && indentOf(line) !== keyColumn) continue;
    const colon = keyEnd(line, keyColumn, key);
    if (colon === undefined) continue;
    if (atKey) return { lineStart, column: keyColumn + 1 };
    let column = colon;
    while (line[column] === " ") column++;
    if (column < line.length && line[column] !== "#") return { lineStart, column: column + 1 };
    // The value starts on a later line, indented past the key or, for a list, in its column.
    const next = nextContentLine(text, nextLineStart(text, lineStart, end), end);
    if (next === undefined) return undefined;
    const indent = indentOf(next.line);
    const listItem = indent === keyColumn && /^-(?: |$)/.test(next.line.slice(indent));
    return indent > keyColumn || listItem ? { lineStart: next.lineStart, column: indent + 1 } : undefined;
  }
  return undefined;
}

/** Returns the offset just past the colon of `key` at `column` of `line`, plain or quoted, or undefined. */
function keyEnd(line: string, column: number, key: string): number | undefined {
  for (const spelling of [key, `"${key}"`, `'${key}'`]) {
    if (!line.startsWith(spelling, column)) continue;
    let colon = column + spelling.length;
    while (line[colon] === " ") colon++;
    if (line[colon] === ":" && (colon + 1 === line.length || line[colon + 1] === " ")) return colon + 1;
  }
  return undefined;
}

/** Returns the first line at or after `lineStart` (before `end`) that is neither blank nor a comment. */
function nextContentLine(
  text: string,
  lineStart: number,
  end: number,
): { lineStart: number; line: string } | undefined {
  for (let offset = lineStart; offset < end; offset = nextLineStart(text, offset, end)) {
    const line = lineAt(text, offset, end);
    const trimmed = line.trimStart();
    if (trimmed !== "" && !trimmed.startsWith("#")) return { lineStart: offset, line };
  }
  return undefined;
}

/** Returns the line that starts at `lineStart`, without its line break, cut at `end`. */
function lineAt(text: string, lineStart: number, end: number): string {
  const newline = text.indexOf("\n", lineStart);
  return text.slice(lineStart, newline === -1 || newline > end ? end : newline);
}

/** Returns the start of the line after the one at `lineStart`, or `end` when there is none before it. */
function nextLineStart(text: string, lineStart: number, end: number): number {
  const newline = text.indexOf("\n", lineStart);
  return newline === -1 || newline >= end ? end : newline + 1;
}

/** Returns the 0-based line number of each offset, counting line breaks once over the text. */
function lineNumbers(text: string, offsets: readonly number[]): Map<number, number> {
  const sorted = [...new Set(offsets)].sort((a, b) => a - b);
  const result = new Map<number, number>();
  let line = 0;
  let position = 0;
  for (const offset of sorted) {
    for (
      let next = text.indexOf("\n", position);
      next !== -1 && next < offset;
      next = text.indexOf("\n", position)
    ) {
      line++;
      position = next + 1;
    }
    result.set(offset, line);
  }
  return result;
}
