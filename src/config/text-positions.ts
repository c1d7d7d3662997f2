/**
 * Positions for the fast path's diagnostics, found in the text by its layout instead of a parsed
 * document. The fast path takes only plain block-style files (no tabs, anchors or document
 * markers), where a key's line is the one that starts with `key:` at its mapping's indent. Three
 * path shapes are located: `users.users[N].key`, `users.deploy_namespaces[N].key` and
 * `section.key`. A diagnostic whose path is found nowhere keeps line and column 0.
 */
import type { Diagnostic } from "./diagnostics.js";
import { type EntryLayout, scanEntries } from "./incremental.js";

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
    // The entry's keys: the first after `- ` on its first line, the others two columns deeper.
    const first = `${" ".repeat(layout.itemIndent)}- `;
    const rest = " ".repeat(layout.itemIndent + 2);
    const prefixOf = (lineStart: number) => (lineStart === start ? first : rest);
    return findKey(text, start, end, entry[3] as string, prefixOf, atKey === true);
  }

  const section = SECTION_FIELD.exec(path);
  if (section === null) return undefined;
  const header = new RegExp(`^${section[1]}:`, "m").exec(text);
  if (header === null) return undefined;
  const start = text.indexOf("\n", header.index) + 1;
  if (start === 0) return undefined;
  // The section ends at the next line that starts at column 0 with something other than a comment.
  const next = /^[^\s#]/m.exec(text.slice(start));
  const end = next === null ? text.length : start + next.index;
  const child = /^( +)[^\s#]/m.exec(text.slice(start, end));
  if (child === null) return undefined;
  const indent = child[1] as string;
  return findKey(text, start, end, section[2] as string, () => indent, atKey === true);
}

/**
 * Finds the value of `key` (or with `atKey`, the key itself) in the text between `start` and
 * `end` (both at line starts), on a line that starts with `prefixOf(lineStart)` followed by
 * `key:`. A value on the lines below its key is not located.
 */
function findKey(
  text: string,
  start: number,
  end: number,
  key: string,
  prefixOf: (lineStart: number) => string,
  atKey: boolean,
): Found | undefined {
  let lineStart = start;
  while (lineStart < end) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 || newline > end ? end : newline;
    const line = text.slice(lineStart, lineEnd);
    const prefix = prefixOf(lineStart);
    const keyStart = `${prefix}${key}:`;
    if (line.startsWith(keyStart)) {
      if (atKey) return { lineStart, column: prefix.length + 1 };
      let column = keyStart.length;
      while (line[column] === " ") column++;
      return column < line.length ? { lineStart, column: column + 1 } : undefined;
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  return undefined;
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
