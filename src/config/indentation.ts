/**
 * Finds the line of a block-style vars file whose indentation slipped. The `yaml` parser reports
 * an indentation slip where the structure stops making sense. That can be the line before the
 * slip, since a key one space in reads as the continuation of the value above it. It can also be
 * the line after it, as for the first key of a mapping indented less than the keys below it. This
 * scan compares each line with the lines it should line up with, and names the line that differs.
 *
 * The scan covers plain block mappings and lists, which is what vars files are written in. It
 * gives up (returns undefined) on lines it cannot place, such as a plain value continued on the
 * next line or a quoted value that spans lines, so that the parser's own error is reported there.
 */

/** The line that slipped and why, with 1-based line and column. */
export interface IndentationSlip {
  line: number;
  column: number;
  reason: string;
  /** True when the line is indented with a tab, which `reason` does not describe. */
  tab?: boolean;
}

/** One line with text, other than a comment, as the scan reads it. */
interface LayoutLine {
  /** 1-based line number. */
  line: number;
  indent: number;
  /** A list entry (`- ...`) or a key (`key: ...`). */
  kind: "entry" | "key";
  /** The column of the key written after an entry's `- `, as in `- email: a`. */
  inlineKey?: number;
  /** The column that lines inside this line's value must be indented past, when the value is on the next lines. */
  opensPast?: number;
  /** True when the value is a block scalar (`|` or `>`), whose lines are text and not keys. */
  blockScalar: boolean;
  /** True when the value opens a list or mapping in brackets that is not closed on this line. */
  openFlow: boolean;
  /** True when a tab follows the spaces of the indentation; the scan stops at such a line. */
  tab?: boolean;
}

/** Lines at one column that belong to one mapping (keys) or one list (entries). */
interface Frame {
  column: number;
  kind: "entry" | "key";
  /** The line of the first and of the latest member, 1-based. */
  first: number;
  last: number;
  /** True for the keys of a list entry, the first of which is written after the entry's `- `. */
  inline: boolean;
}

/**
 * Returns the line whose indentation slipped, the first one the scan finds in `text`, or
 * undefined when every line lines up or the scan cannot tell.
 */
export function findIndentationSlip(text: string): IndentationSlip | undefined {
  const lines = layoutLines(text);

  const frames: Frame[] = [];
  // The column the next line must be indented past to be inside the previous line's value.
  let openedPast: number | undefined;
  let openedByKey = false;
  // The columns allowed before each line, for deciding whether that line or a later one slipped.
  const allowedBefore = new Map<number, { openedPast?: number; columns: number[] }>();

  for (const [index, current] of lines.entries()) {
    if (current.tab) return { line: current.line, column: current.indent + 1, reason: "", tab: true };
    allowedBefore.set(current.line, {
      ...(openedPast === undefined ? {} : { openedPast }),
      columns: frames.map((frame) => frame.column),
    });
    const opened = openedPast;
    const byKey = openedByKey;
    openedPast = current.opensPast;
    openedByKey = current.kind === "key";

    // A line inside the value that the previous line opened starts a new mapping or list. A list
    // may also start in the column of its key (`key:` then `- a`), as YAML allows.
    if (
      index === 0 ||
      (opened !== undefined &&
        (current.indent > opened || (byKey && current.kind === "entry" && current.indent === opened)))
    ) {
      pushLine(frames, current);
      continue;
    }

    const popped: Frame[] = [];
    while ((frames.at(-1)?.column ?? -1) > current.indent) popped.push(frames.pop() as Frame);
    // A key in the column of a list that is in the column of its own key (`key:` then `- a`)
    // ends the list.
    const top = frames.at(-1);
    if (
      top !== undefined &&
      top.column === current.indent &&
      top.kind !== current.kind &&
      frames.at(-2)?.column === current.indent
    ) {
      popped.push(frames.pop() as Frame);
    }

    const sibling = frames.at(-1);
    if (sibling !== undefined && sibling.column === current.indent && sibling.kind === current.kind) {
      sibling.last = current.line;
      if (current.inlineKey !== undefined) frames.push(frameOf(current, "key", current.inlineKey, true));
      continue;
    }
    return classifySlip(lines, index, { frames, popped }, allowedBefore);
  }
  return undefined;
}

/** Adds the frame that `line` starts, and the frame of its inline key (`- email: a`). */
function pushLine(frames: Frame[], line: LayoutLine): void {
  frames.push(frameOf(line, line.kind, line.indent, false));
  if (line.inlineKey !== undefined) frames.push(frameOf(line, "key", line.inlineKey, true));
}

function frameOf(line: LayoutLine, kind: Frame["kind"], column: number, inline: boolean): Frame {
  return { column, kind, first: line.line, last: line.line, inline };
}

/**
 * Decides which line slipped when `lines[index]` does not line up with the frames around it.
 * The line is compared with the nearest frame of its own kind (keys with keys, entries with
 * entries) that was open before it. A frame of one line, which a later line agrees with, is
 * the slip instead. So is the line before, indented less than a line that a later line agrees
 * with. Two lines with nothing else to tell them apart are both named.
 */
function classifySlip(
  lines: readonly LayoutLine[],
  index: number,
  stack: { frames: readonly Frame[]; popped: readonly Frame[] },
  allowedBefore: ReadonlyMap<number, { openedPast?: number; columns: number[] }>,
): IndentationSlip | undefined {
  const current = lines[index] as LayoutLine;
  const after = lines.slice(index + 1);
  // The frames the line left, nearest to it first, then the frames still open, innermost first.
  const candidates = [...[...stack.popped].reverse(), ...[...stack.frames].reverse()];
  const reference = referenceFrame(current, after[0], candidates);
  if (reference === undefined || reference.column === current.indent) return undefined;

  // The next line outside this line's value, and the next one back in the reference's column or left of it.
  const nextSibling = after.find((line) => line.indent <= current.indent);
  const nextAgrees = nextSibling?.indent === current.indent && nextSibling.kind === current.kind;
  const nextOfReference = after.find((line) => line.indent <= reference.column);
  const nextFollowsReference =
    nextOfReference?.indent === reference.column && nextOfReference.kind === current.kind;
  // The keys of an entry start in the column of the key after its `- `. When the next key inside
  // the entry is elsewhere, the dash moved and not the keys.
  const child = after[0];
  const ownKeysDisagree =
    current.inlineKey !== undefined &&
    child?.kind === "key" &&
    child.indent > reference.column &&
    child.indent !== current.inlineKey;
  const deeper = current.indent > reference.column;
  const direction = deeper ? "more" : "less";
  const spaces = Math.abs(current.indent - reference.column);

  // Indented past the line above, which itself is indented less than the lines that follow.
  const previous = lines[index - 1];
  if (
    deeper &&
    nextAgrees &&
    previous !== undefined &&
    previous.indent < current.indent &&
    !ownKeysDisagree
  ) {
    const allowed = allowedBefore.get(previous.line);
    const previousFits =
      allowed !== undefined &&
      ((allowed.openedPast !== undefined && current.indent > allowed.openedPast) ||
        allowed.columns.includes(current.indent));
    if (previousFits) {
      return slipAt(
        previous,
        current.indent - previous.indent,
        "less",
        nounOf(current.kind),
        "below",
        current.line,
      );
    }
  }

  const single = reference.first === reference.last && !reference.inline;
  if (single && nextAgrees && !ownKeysDisagree) {
    const slipped = lines.find((line) => line.line === reference.first);
    if (slipped !== undefined) {
      const opposite = deeper ? "less" : "more";
      return slipAt(slipped, spaces, opposite, nounOf(current.kind), "below", current.line);
    }
  }
  if (single && !nextFollowsReference && !ownKeysDisagree) return unsureSlip(current, reference);
  return slipAt(current, spaces, direction, nounOf(reference.kind), "above", reference.last);
}

/**
 * Returns the frame that `current` should line up with, among `candidates`: one of its own kind.
 * For an entry whose keys follow on the next line (`child`), that is the frame in whose column
 * the entry's keys would line up. Otherwise it is the nearest in column, and of two equally near,
 * the one that comes first in `candidates`.
 */
function referenceFrame(
  current: LayoutLine,
  child: LayoutLine | undefined,
  candidates: readonly Frame[],
): Frame | undefined {
  const sameKind = candidates.filter((frame) => frame.kind === current.kind);
  if (current.inlineKey !== undefined && child?.kind === "key") {
    const keyOffset = current.inlineKey - current.indent;
    const fitting = sameKind.find((frame) => frame.column + keyOffset === child.indent);
    if (fitting !== undefined) return fitting;
  }
  let nearest: Frame | undefined;
  for (const frame of sameKind) {
    const distance = Math.abs(frame.column - current.indent);
    if (nearest === undefined || distance < Math.abs(nearest.column - current.indent)) nearest = frame;
  }
  return nearest;
}

function nounOf(kind: Frame["kind"]): string {
  return kind === "key" ? "keys" : "list entries";
}

function slipAt(
  line: LayoutLine,
  spaces: number,
  direction: "more" | "less",
  noun: string,
  where: "above" | "below",
  reference: number,
): IndentationSlip {
  const amount = spaces === 1 ? "1 space" : `${spaces} spaces`;
  return {
    line: line.line,
    column: line.indent + 1,
    reason: `this line is indented ${amount} ${direction} than the ${noun} ${where} it (line ${reference}); indent it like them`,
  };
}

/** Two lines of one mapping or list that disagree, with no third line to tell which one slipped. */
function unsureSlip(line: LayoutLine, other: Frame): IndentationSlip {
  const members = line.kind === "key" ? "keys of one mapping" : "entries of one list";
  return {
    line: line.line,
    column: line.indent + 1,
    reason:
      `this line starts in column ${line.indent + 1} and line ${other.first} above it in column ${other.column + 1}, ` +
      `but they read as ${members}; indent them alike`,
  };
}

/** A key up to its `:`: plain, or quoted. */
const KEY = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#"'[\]{},?&*!|>%@`-][^#]*?|-[^\s#][^#]*?)\s*:(?=\s|$)/;

/**
 * Returns the lines of `text` that hold more than a comment. The list stops before the first
 * line that is neither a key nor a list entry, or whose quoted value spans lines, because the
 * scan cannot place that line or the ones after it. Lines of a block scalar, and of a bracketed
 * list or mapping continued on later lines, are left out: they are not keys or entries.
 */
function layoutLines(text: string): LayoutLine[] {
  const lines: LayoutLine[] = [];
  // A byte-order mark is not indentation.
  const rows = text.replace(/^\uFEFF/, "").split("\n");
  // Lines inside a block scalar are indented past this column.
  let scalarPast: number | undefined;
  let flowDepth = 0;
  for (const [index, raw] of rows.entries()) {
    const row = raw.replace(/\r$/, "");
    const content = row.trimStart();
    const indent = row.length - content.length;
    if (scalarPast !== undefined) {
      if (content === "" || indent > scalarPast) continue;
      scalarPast = undefined;
    }
    if (flowDepth > 0) {
      flowDepth += bracketBalance(content);
      if (flowDepth < 0) break;
      continue;
    }
    if (content === "" || content.startsWith("#")) continue;
    // The scan covers the one document of a vars file, so it leaves directives and markers to the parser.
    if (/^(%|---|\.\.\.)/.test(content)) break;
    // A tab after the spaces of the indentation, which the parser reports as a misplaced key.
    const spaces = row.length - row.replace(/^ +/, "").length;
    if (row[spaces] === "\t") {
      lines.push({
        line: index + 1,
        indent: spaces,
        kind: "key",
        blockScalar: false,
        openFlow: false,
        tab: true,
      });
      break;
    }

    const parsed = parseLine(content, indent, index + 1);
    if (parsed === undefined) break;
    lines.push(parsed);
    if (parsed.blockScalar) scalarPast = parsed.inlineKey ?? indent;
    if (parsed.openFlow) flowDepth = bracketBalance(content);
  }
  return lines;
}

/** Reads one line with text that starts at column `indent`. */
function parseLine(content: string, indent: number, line: number): LayoutLine | undefined {
  if (content === "-" || content.startsWith("- ")) {
    const rest = content.slice(1).trimStart();
    const restColumn = indent + content.length - rest.length;
    if (rest === "" || rest.startsWith("#")) {
      return { line, indent, kind: "entry", opensPast: indent, blockScalar: false, openFlow: false };
    }
    // A list inside an entry on the same line (`- - a`) is not used in vars files.
    if (rest === "-" || rest.startsWith("- ")) return undefined;
    const key = KEY.exec(rest);
    if (key === null) {
      const value = valueShape(rest);
      if (value === undefined) return undefined;
      return { line, indent, kind: "entry", blockScalar: value.blockScalar, openFlow: value.openFlow };
    }
    const value = valueShape(rest.slice(key[0].length).trim());
    if (value === undefined) return undefined;
    return {
      line,
      indent,
      kind: "entry",
      inlineKey: restColumn,
      ...(value.empty ? { opensPast: restColumn } : {}),
      blockScalar: value.blockScalar,
      openFlow: value.openFlow,
    };
  }
  const key = KEY.exec(content);
  if (key === null) return undefined;
  const value = valueShape(content.slice(key[0].length).trim());
  if (value === undefined) return undefined;
  return {
    line,
    indent,
    kind: "key",
    ...(value.empty ? { opensPast: indent } : {}),
    blockScalar: value.blockScalar,
    openFlow: value.openFlow,
  };
}

/**
 * Returns what a value written after a key or `- ` is: empty (its lines follow), a block scalar,
 * a bracketed collection left open, or a plain or quoted value on this line. Returns undefined
 * for a quoted value that is not closed on this line.
 */
function valueShape(value: string): { empty: boolean; blockScalar: boolean; openFlow: boolean } | undefined {
  const empty = value === "" || value.startsWith("#");
  if (empty) return { empty, blockScalar: false, openFlow: false };
  if (/^[|>][-+0-9]*\s*(#.*)?$/.test(value)) return { empty: false, blockScalar: true, openFlow: false };
  if (value.startsWith('"') && !/^"(?:[^"\\]|\\.)*"/.test(value)) return undefined;
  if (value.startsWith("'") && !/^'(?:[^']|'')*'/.test(value)) return undefined;
  const openFlow = (value.startsWith("[") || value.startsWith("{")) && bracketBalance(value) > 0;
  return { empty: false, blockScalar: false, openFlow };
}

/** Returns the count of opening brackets and braces minus closing ones, outside quotes and comments. */
function bracketBalance(content: string): number {
  let balance = 0;
  let quote: string | undefined;
  for (let index = 0; index < content.length; index++) {
    const character = content[index];
    if (quote !== undefined) {
      if (quote === '"' && character === "\\") index++;
      else if (character === quote) quote = undefined;
    } else if (
      (character === '"' || character === "'") &&
      /^$|[\s[{,:]$/.test(content.slice(0, index).slice(-1))
    ) {
      // A quote inside a plain value (`it's`) is text; one where a value starts opens it.
      quote = character;
    } else if (character === "#" && (index === 0 || content[index - 1] === " ")) {
      break;
    } else if (character === "[" || character === "{") {
      balance++;
    } else if (character === "]" || character === "}") {
      balance--;
    }
  }
  return balance;
}
