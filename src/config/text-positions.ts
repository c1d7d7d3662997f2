/**
 * Positions for the fast path's diagnostics, found in the text by its layout instead of a parsed
 * document. The fast path takes only plain block-style files (no tabs, anchors or document
 * markers), where a key's line is the one that starts with `key:` at its mapping's indent. Two
 * path shapes are located: `users.users[N].key` and `section.key`. A diagnostic whose path is
 * found nowhere keeps line and column 0.
 */
import type { Diagnostic } from "./diagnostics.js";
import { scanEntries } from "./incremental.js";

const USER_FIELD = /^users\.users\[(\d+)\]\.([A-Za-z_]+)$/;
const SECTION_FIELD = /^([A-Za-z_]+)\.([A-Za-z_]+)$/;

/** Returns `diagnostics` with the line and column of each position-less one that the text locates. */
export function withTextPositions(text: string, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  if (diagnostics.every((diagnostic) => diagnostic.line > 0)) return [...diagnostics];
  const lines = text.split("\n");
  const entries = lazy(() => scanEntries(text));
  const entryLines = lazy(() => {
    const layout = entries();
    if (layout === undefined) return undefined;
    return { starts: linesOfOffsets(text, layout.itemStarts), end: lines.length, indent: layout.itemIndent };
  });

  return diagnostics.map((diagnostic) => {
    if (diagnostic.line > 0) return diagnostic;
    const position = locate(diagnostic.path, lines, entryLines);
    return position === undefined ? diagnostic : { ...diagnostic, ...position };
  });
}

function locate(
  path: string,
  lines: readonly string[],
  entryLines: () => { starts: number[]; end: number; indent: number } | undefined,
): { line: number; column: number } | undefined {
  const user = USER_FIELD.exec(path);
  if (user !== null) {
    const layout = entryLines();
    const index = Number(user[1]);
    const start = layout?.starts[index];
    if (layout === undefined || start === undefined) return undefined;
    const end = layout.starts[index + 1] ?? layout.end;
    // The entry's keys: the first after `- ` on its first line, the others two columns deeper.
    const first = `${" ".repeat(layout.indent)}- `;
    const rest = " ".repeat(layout.indent + 2);
    return findKey(lines, start, end, user[2] as string, (line) => (line === start ? first : rest));
  }

  const section = SECTION_FIELD.exec(path);
  if (section === null) return undefined;
  const start = lines.findIndex((line) => line.startsWith(`${section[1]}:`));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^[^\s#]/.test(lines[end] as string)) end++;
  const child = lines.slice(start + 1, end).find((line) => /^ +[^\s#]/.test(line));
  if (child === undefined) return undefined;
  const indent = " ".repeat(child.length - child.trimStart().length);
  return findKey(lines, start + 1, end, section[2] as string, () => indent);
}

/**
 * Returns the 1-based position of the value of `key` in the lines [start, end), on the line that
 * starts with `prefixOf(line)` followed by `key:`.
 */
function findKey(
  lines: readonly string[],
  start: number,
  end: number,
  key: string,
  prefixOf: (line: number) => string,
): { line: number; column: number } | undefined {
  for (let index = start; index < end; index++) {
    const line = lines[index] as string;
    const keyStart = `${prefixOf(index)}${key}:`;
    if (!line.startsWith(keyStart)) continue;
    let column = keyStart.length;
    while (line[column] === " ") column++;
    return column < line.length ? { line: index + 1, column: column + 1 } : undefined;
  }
  return undefined;
}

/** Returns the 0-based line of each of the sorted `offsets`, in one pass over the text. */
function linesOfOffsets(text: string, offsets: readonly number[]): number[] {
  const result: number[] = [];
  let line = 0;
  let lineStart = 0;
  for (const offset of offsets) {
    for (
      let next = text.indexOf("\n", lineStart);
      next !== -1 && next < offset;
      next = text.indexOf("\n", lineStart)
    ) {
      line++;
      lineStart = next + 1;
    }
    result.push(line);
  }
  return result;
}

function lazy<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}
