/**
 * Splices that add, replace and remove entries of YAML sequences and mappings, for
 * both block and flow style. Each returns the splices to apply to the original text;
 * lines outside them are untouched.
 */
import { isAlias, isCollection, isScalar, isSeq, type Node, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { keyScalar, quotedKeyType, type VarsDocument } from "./document.js";
import { EditError } from "./errors.js";
import { type DocumentStyle, dashOffset, itemContentOffset, renderBlock, renderFlow } from "./style.js";
import type { Splice } from "./text.js";

type AnyPair = Pair<Node, Node | null>;

function rangeOf(node: Node): [number, number] {
  if (!node.range) throw new Error("node without a source range");
  return [node.range[0], node.range[1]];
}

/**
 * Rejects a value shared through a YAML anchor or alias: changing it in one place would
 * change every entry that refers to it, so such a file is edited by hand.
 */
export function assertNotShared(key: string, value: Node | null | undefined): void {
  if (value && (isAlias(value) || ("anchor" in value && value.anchor))) {
    throw new EditError(
      "unsupported-layout",
      `the value of "${key}" is shared through a YAML anchor or alias, so cake does not change it; edit the file by hand.`,
    );
  }
}

/** Returns the line span of a block sequence item: from its `-` line to its last line. */
export function blockItemLines(
  vars: VarsDocument,
  item: Node,
): { first: number; last: number; dash: number } {
  const dash = dashOffset(vars.text, rangeOf(item)[0]);
  const first = vars.lines.lineOf(dash);
  const last = vars.lines.blockEnd(first, vars.lines.columnOf(dash));
  return { first, last, dash };
}

/**
 * Returns the line span of a block mapping pair: from its key line to its last line. The
 * value's own end counts too, because the items of an indentless sequence (`roles:` with
 * `- cake-user` in the key's column, as Go encoders write it) are not deeper than the key.
 */
function blockPairLines(vars: VarsDocument, pair: AnyPair): { first: number; last: number } {
  const keyStart = rangeOf(pair.key)[0];
  const first = vars.lines.lineOf(keyStart);
  const deeper = vars.lines.blockEnd(first, vars.lines.columnOf(keyStart));
  const valueEnd = pair.value?.range ? vars.lines.lineOf(Math.max(pair.value.range[1] - 1, keyStart)) : first;
  return { first, last: Math.max(deeper, valueEnd) };
}

/**
 * Removes whole lines. A blank line next to the cut is removed too when the cut would
 * otherwise leave two blank lines together, or a blank line right under a key.
 */
export function removeLines(vars: VarsDocument, first: number, last: number, underKey = true): Splice {
  const { lines } = vars;
  let start = lines.start(first);
  let end = lines.end(last);
  const before = first - 1;
  const after = last + 1;
  const blankBefore = before >= 0 && lines.isBlank(before);
  const blankAfter = after < lines.count && lines.isBlank(after);
  const atEnd = after >= lines.count || (!lines.isBlank(after) && lines.indent(after) < lines.indent(first));
  // A key or a comment line right above the cut heads what now follows it, with no blank line between.
  const heading =
    before >= 0 &&
    lines.indent(before) <= lines.indent(first) &&
    (lines.isComment(before) || /:\s*(#.*)?$/.test(lines.content(before)));
  if (blankBefore && (blankAfter || atEnd)) start = lines.start(before);
  else if (underKey && heading && blankAfter) end = lines.end(after);
  return { start, end, text: "" };
}

/** Text of new lines to insert after `line`, with the file's line breaks. */
function linesAfter(vars: VarsDocument, line: number, newLines: string[]): Splice {
  const { lines } = vars;
  const at = lines.end(line);
  const body = newLines.join(lines.eol) + lines.eol;
  const prefix = at === lines.text.length && lines.lacksFinalBreak ? lines.eol : "";
  return { start: at, end: at, text: prefix + body };
}

/** Indents rendered block lines as a sequence item whose `-` sits at `dashColumn`. */
function asSeqItem(rendered: string[], dashColumn: number, contentColumn: number): string[] {
  const gap = " ".repeat(Math.max(1, contentColumn - dashColumn - 1));
  return rendered.map((line, index) =>
    index === 0
      ? `${" ".repeat(dashColumn)}-${gap}${line}`
      : line === ""
        ? ""
        : `${" ".repeat(contentColumn)}${line}`,
  );
}

/** Offset just after the `:` that follows a mapping key. */
function colonEnd(vars: VarsDocument, pair: AnyPair): number {
  const colon = vars.text.indexOf(":", rangeOf(pair.key)[1]);
  return colon + 1;
}

/**
 * Appends `item` to the sequence under `pair`. A block sequence gets a block item in
 * the column of its neighbours, a flow sequence a flow item. An empty or missing
 * sequence becomes `[item]` for a scalar item and a block sequence otherwise.
 */
export function appendToSequence(
  vars: VarsDocument,
  pair: AnyPair,
  item: Node,
  style: DocumentStyle,
): Splice[] {
  const value = pair.value;
  assertNotShared(String(pair.key), value);
  const keyStart = rangeOf(pair.key)[0];
  const keyColumn = vars.lines.columnOf(keyStart);

  if (isSeq(value) && !value.flow && value.items.length > 0) {
    const items = value.items as Node[];
    const lastItem = items[items.length - 1] as Node;
    const span = blockItemLines(vars, lastItem);
    const dashColumn = vars.lines.columnOf(span.dash);
    const contentColumn = vars.lines.columnOf(itemContentOffset(vars.text, rangeOf(lastItem)[0]));
    const newLines = asSeqItem(renderBlock(item, style), dashColumn, contentColumn);
    // Items separated by blank lines keep being separated by one.
    if (items.length > 1 && vars.lines.isBlank(span.first - 1)) newLines.unshift("");
    return [linesAfter(vars, span.last, newLines)];
  }

  if (isSeq(value) && value.flow && value.items.length > 0) {
    const ranges = (value.items as Node[]).map(rangeOf);
    const last = ranges.length - 1;
    const lastRange = ranges[last] as [number, number];
    const end = lastRange[1];
    const own = ownLines(vars, ranges, last);
    if (own === undefined || (own.opens && !own.comma)) {
      return [{ start: end, end, text: `, ${renderFlow(item, style)}` }];
    }
    // A list written one item a line gets the new item on a line of its own, after the last
    // item's comment, so that comment keeps labelling that item alone.
    const indent = " ".repeat(vars.lines.columnOf(lastRange[0]));
    const after = vars.lines.end(own.last);
    if (own.closes) {
      // `item]  # comment` becomes `item,  # comment`, and the new item closes the list (with
      // the trailing comma the list ends its items with, if any).
      const bracket = vars.text.indexOf("]", end);
      const eol = vars.lines.lacksFinalBreak && after === vars.text.length ? vars.lines.eol : "";
      const close = own.comma ? ",]" : "]";
      return [
        { start: bracket, end: bracket + 1, text: own.comma ? "" : "," },
        {
          start: after,
          end: after,
          text: `${eol}${indent}${renderFlow(item, style)}${close}${vars.lines.eol}`,
        },
      ];
    }
    const line = `${indent}${renderFlow(item, style)}${own.comma ? "," : ""}${vars.lines.eol}`;
    // The comma takes a space before an aligned comment, so the comment keeps its column.
    const spaceTaken = /^ {2,}#/.test(vars.text.slice(end, vars.lines.end(own.last))) ? 1 : 0;
    return [
      ...(own.comma ? [] : [{ start: end, end: end + spaceTaken, text: "," }]),
      { start: after, end: after, text: line },
    ];
  }

  const emptyFlow = isSeq(value) && value.flow;
  const writtenNull =
    isScalar(value) && value.value === null && value.range && value.range[1] > value.range[0];
  if (!isCollection(item) && (emptyFlow || writtenNull)) {
    const [start, end] = rangeOf(value as Node);
    const sequence = new YAMLSeq<Node>();
    sequence.items = [item];
    return [{ start, end, text: renderFlow(sequence, style) }];
  }

  // No items yet: a block sequence on the lines under the key.
  const splices: Splice[] = [];
  if (value?.range && value.range[1] > value.range[0]) {
    const [start, end] = rangeOf(value);
    const from = colonEnd(vars, pair);
    splices.push({ start: from, end, text: vars.text.slice(from, start).replace(/ +$/, "") });
  }
  const dashColumn = style.indentSeq ? keyColumn + style.indentStep : keyColumn;
  const newLines = asSeqItem(renderBlock(item, style), dashColumn, dashColumn + 2);
  splices.push(linesAfter(vars, vars.lines.lineOf(keyStart), newLines));
  return splices;
}

/** Removes one item of the sequence under `pair`; the last item leaves `[]`. */
export function removeFromSequence(vars: VarsDocument, pair: AnyPair, item: Node): Splice[] {
  const sequence = pair.value;
  assertNotShared(String(pair.key), sequence);
  if (!isSeq(sequence)) throw new Error("not a sequence");
  const items = sequence.items as Node[];
  const index = items.indexOf(item);
  if (index < 0) throw new Error("item not in sequence");

  if (sequence.flow) return removeFlowItem(vars, items.map(rangeOf), index);

  const span = blockItemLines(vars, item);
  if (items.length === 1) {
    const at = colonEnd(vars, pair);
    // The key keeps its line and gets `[]`, so the blank line after the list stays.
    return [{ start: at, end: at, text: " []" }, removeLines(vars, span.first, span.last, false)];
  }
  return [removeLines(vars, span.first, span.last)];
}

/**
 * Removes item `index` of a flow sequence. An item on lines of its own goes with those lines,
 * its comment included, so that no comment moves to a neighbour. Any other item goes as in
 * `removeFlowEntry`.
 */
function removeFlowItem(vars: VarsDocument, ranges: [number, number][], index: number): Splice[] {
  const own = ownLines(vars, ranges, index);
  const previous = ranges[index - 1];
  if (own?.opens) {
    // `[item,  # comment` keeps its `[` and loses the rest of the line.
    const [start] = ranges[index] as [number, number];
    return [{ start, end: vars.lines.start(own.last) + vars.lines.content(own.last).length, text: "" }];
  }
  if (own?.closes && previous) {
    // `item]  # comment` goes whole, and the item before it takes the `]` after its `,`, or in
    // its place when the list has no trailing comma.
    const comma = /^[ \t]*,/.exec(vars.text.slice(previous[1]));
    if (comma === null) return [removeFlowEntry(ranges, index, vars.text)];
    const at = previous[1] + comma[0].length - 1;
    return [
      { start: at, end: at + 1, text: own.comma ? ",]" : "]" },
      { start: vars.lines.start(own.first), end: vars.lines.end(own.last), text: "" },
    ];
  }
  if (own?.closes) {
    // The only item left, on the `]` line: the line keeps its `]` and loses the item and comment.
    const eol = vars.lines.end(own.last) > vars.lines.start(own.last) + vars.lines.content(own.last).length;
    return [
      {
        start: vars.lines.start(own.first),
        end: vars.lines.end(own.last),
        text: `${closingLine(vars, own.first)}${eol ? vars.lines.eol : ""}`,
      },
    ];
  }
  if (own === undefined || own.opens || own.closes) return [removeFlowEntry(ranges, index, vars.text)];
  const splices: Splice[] = [{ start: vars.lines.start(own.first), end: vars.lines.end(own.last), text: "" }];
  // The last item gone, the one before it loses its separator, unless the list ends each item with one.
  if (previous && index === ranges.length - 1 && !own.comma) {
    const comma = /^([ \t]*),( *#)?/.exec(vars.text.slice(previous[1]));
    // Before a comment, a space takes the comma's place, so the comment keeps its column.
    const end = previous[1] + (comma?.[1]?.length ?? 0) + 1;
    if (comma) splices.push({ start: previous[1], end, text: `${comma[1]}${comma[2] ? " " : ""}` });
  }
  return splices;
}

/**
 * Returns the lines of flow item `index` when it has them to itself. Only blanks come before
 * it on its first line, at most a `,` and a comment after it on its last line, and its
 * neighbours are on other lines. `comma` is true when a `,` follows it.
 */
function ownLines(
  vars: VarsDocument,
  ranges: readonly [number, number][],
  index: number,
): { first: number; last: number; comma: boolean; opens: boolean; closes: boolean } | undefined {
  const [start, end] = ranges[index] as [number, number];
  const first = vars.lines.lineOf(start);
  const last = vars.lines.lineOf(Math.max(start, end - 1));
  const before = vars.text.slice(vars.lines.start(first), start);
  // The first item may share its line with the `[` that opens the list, the last one with the `]`.
  const opens = index === 0 && /\[[ \t]*$/.test(before);
  if (!opens && before.trim() !== "") return undefined;
  const rest = /^[ \t]*(,)?[ \t]*(\])?[ \t]*(#.*)?\r?\n?$/.exec(vars.text.slice(end, vars.lines.end(last)));
  if (rest === null) return undefined;
  const closes = rest[2] === "]";
  if (closes && (opens || index !== ranges.length - 1)) return undefined;
  const previous = ranges[index - 1];
  const next = ranges[index + 1];
  if (previous && vars.lines.lineOf(previous[1]) >= first) return undefined;
  if (next && vars.lines.lineOf(next[0]) <= last) return undefined;
  return { first, last, comma: rest[1] === ",", opens, closes };
}

/** Returns the `[` line's leading spaces and `]`, for a list whose last item goes. */
function closingLine(vars: VarsDocument, line: number): string {
  const content = vars.lines.content(line);
  return `${content.slice(0, content.length - content.trimStart().length)}]`;
}

/** Removes entry `index` of a flow collection with its separator. */
function removeFlowEntry(ranges: [number, number][], index: number, text?: string): Splice {
  const current = ranges[index] as [number, number];
  const previous = ranges[index - 1];
  const next = ranges[index + 1];
  if (previous) return { start: previous[1], end: current[1], text: "" };
  if (next) return { start: current[0], end: next[0], text: "" };
  // The only entry: a trailing comma (`[a,]`) goes with it, or `[,]` would be left.
  const comma = text === undefined ? null : /^[ \t]*,/.exec(text.slice(current[1]));
  return { start: current[0], end: current[1] + (comma?.[0].length ?? 0), text: "" };
}

/** Replaces a node written in flow style or as a scalar with `replacement` rendered in flow style. */
export function replaceFlowNode(node: Node, replacement: Node, style: DocumentStyle): Splice {
  const [start, end] = rangeOf(node);
  return { start, end, text: renderFlow(replacement, style) };
}

/** Replaces a scalar's text, keeping its quoting style where the new value allows it. */
export function replaceScalar(node: Scalar, value: string, style: DocumentStyle): Splice {
  const [start, end] = rangeOf(node);
  const scalar = new Scalar(value);
  if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) scalar.type = node.type;
  return { start, end, text: renderFlow(scalar, style) };
}

/**
 * Replaces a block sequence item with a block mapping, such as a plain namespace
 * name with `name: x` and `access: view`. The first line keeps the item's `-`.
 */
export function replaceBlockItemWithMap(
  vars: VarsDocument,
  item: Node,
  map: YAMLMap,
  style: DocumentStyle,
): Splice {
  const [start, end] = rangeOf(item);
  const contentColumn = vars.lines.columnOf(start);
  const rendered = renderBlock(map, style);
  const text = rendered
    .map((line, index) => (index === 0 ? line : `${" ".repeat(contentColumn)}${line}`))
    .join(vars.lines.eol);
  return { start, end, text };
}

/** Adds `key: value` as the last pair of a mapping, in its style. */
export function addPair(
  vars: VarsDocument,
  map: YAMLMap,
  key: string,
  value: Node,
  style: DocumentStyle,
): Splice {
  const pairs = map.items as AnyPair[];
  const lastPair = pairs[pairs.length - 1];
  if (!lastPair) throw new Error("cannot add a key to an empty mapping");

  if (map.flow) {
    const end = rangeOf(lastPair.value ?? lastPair.key)[1];
    return {
      start: end,
      end,
      text: `, ${renderFlow(pairMap(key, value, quotedKeyType(map)), style).replace(/^\{ ?|\s?\}$/g, "")}`,
    };
  }

  const keyStart = rangeOf(lastPair.key)[0];
  const keyColumn = vars.lines.columnOf(keyStart);
  const span = blockPairLines(vars, lastPair);
  const rendered = renderBlock(pairMap(key, value, quotedKeyType(map)), style).map((line) =>
    line === "" ? "" : `${" ".repeat(keyColumn)}${line}`,
  );
  return linesAfter(vars, span.last, rendered);
}

function pairMap(key: string, value: Node, keyType: Scalar.Type | undefined): YAMLMap {
  const map = new YAMLMap();
  map.items.push(new Pair(keyScalar(key, keyType), value));
  return map;
}

/** Removes a pair from a mapping; the mapping keeps at least one pair. */
export function removePair(vars: VarsDocument, map: YAMLMap, pair: AnyPair): Splice {
  const pairs = map.items as AnyPair[];
  const index = pairs.indexOf(pair);
  if (index < 0) throw new Error("pair not in mapping");

  if (map.flow) {
    const ranges = pairs.map((each): [number, number] => [
      rangeOf(each.key)[0],
      rangeOf(each.value ?? each.key)[1],
    ]);
    return removeFlowEntry(ranges, index);
  }

  const span = blockPairLines(vars, pair);
  const keyStart = rangeOf(pair.key)[0];
  const lineStart = vars.lines.start(span.first);
  const onDashLine = vars.text.slice(lineStart, keyStart).trim() !== "";
  const next = pairs[index + 1];
  if (onDashLine && next) {
    // The pair shares its line with the item's `-`: pull the next key up to it.
    return { start: keyStart, end: rangeOf(next.key)[0], text: "" };
  }
  return removeLines(vars, span.first, span.last);
}
