/**
 * Renders new YAML nodes in the style of the document they join: indentation step,
 * whether block sequences are indented under their key, and padding inside flow
 * brackets. Scalars are quoted only when a plain scalar would change meaning.
 */
import { Document, isCollection, isMap, isPair, isScalar, isSeq, type Node, Scalar, visit } from "yaml";
import type { VarsDocument } from "./document.js";

export interface DocumentStyle {
  /** Spaces per nesting level of block mappings. */
  indentStep: number;
  /** True when block sequence items are indented under their key (`key:\n  - a`). */
  indentSeq: boolean;
  /** True when flow collections have spaces inside their brackets (`[ a, b ]`). */
  flowPadding: boolean;
}

/**
 * Words that YAML 1.1 tools read as booleans. Under the YAML 1.2 core schema they
 * are strings, but the loader warns when they are unquoted, so new scalars quote them.
 */
const YAML11_BOOLEAN = /^(y|yes|n|no|true|false|on|off)$/i;

/** How many nodes of a document show each choice of style; `detectStyle` takes the majority. */
export interface StyleCounts {
  /** Block mappings by the indentation step of their first key. */
  steps: Map<number, number>;
  indentedSeqs: number;
  flatSeqs: number;
  padded: number;
  unpadded: number;
}

/** Detects the style most of the document follows; documents without examples get the common one. */
export function detectStyle(vars: VarsDocument): DocumentStyle {
  return styleOf(countStyle(vars));
}

export function styleOf(counts: StyleCounts): DocumentStyle {
  const commonStep = [...counts.steps.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 2;
  return {
    indentStep: commonStep,
    indentSeq: counts.indentedSeqs >= counts.flatSeqs,
    flowPadding: counts.padded > counts.unpadded,
  };
}

/** Returns `total` with `part` added (`sign` 1) or taken away (`sign` -1). */
export function addStyleCounts(total: StyleCounts, part: StyleCounts, sign: 1 | -1): StyleCounts {
  const steps = new Map(total.steps);
  for (const [step, count] of part.steps) steps.set(step, (steps.get(step) ?? 0) + sign * count);
  return {
    steps: new Map([...steps].filter(([, count]) => count > 0)),
    indentedSeqs: total.indentedSeqs + sign * part.indentedSeqs,
    flatSeqs: total.flatSeqs + sign * part.flatSeqs,
    padded: total.padded + sign * part.padded,
    unpadded: total.unpadded + sign * part.unpadded,
  };
}

export function countStyle(vars: VarsDocument): StyleCounts {
  const steps = new Map<number, number>();
  let indentedSeqs = 0;
  let flatSeqs = 0;
  let padded = 0;
  let unpadded = 0;
  const { lines, text } = vars;

  visit(vars.document, {
    Pair(_key, pair) {
      if (!isPair(pair) || !isScalar(pair.key) || !pair.key.range) return;
      const keyColumn = lines.columnOf(pair.key.range[0]);
      const value = pair.value;
      if (isMap(value) && !value.flow && value.items[0] && isScalar(value.items[0].key)) {
        const childRange = value.items[0].key.range;
        if (childRange && lines.lineOf(childRange[0]) > lines.lineOf(pair.key.range[0])) {
          const step = lines.columnOf(childRange[0]) - keyColumn;
          if (step > 0) steps.set(step, (steps.get(step) ?? 0) + 1);
        }
      }
      if (isSeq(value) && !value.flow && value.range) {
        const dashColumn = lines.columnOf(dashOffset(text, value.range[0]));
        if (dashColumn > keyColumn) indentedSeqs++;
        else flatSeqs++;
      }
    },
    Seq(_key, seq) {
      countPadding(seq);
    },
    Map(_key, map) {
      countPadding(map);
    },
  });

  function countPadding(node: Node): void {
    if (!isCollection(node) || !node.flow || !node.range) return;
    const inner = text[node.range[0] + 1];
    const close = text[node.range[1] - 1];
    if (inner === "]" || inner === "}" || (close !== "]" && close !== "}")) return;
    if (inner === " ") padded++;
    else unpadded++;
  }

  return { steps, indentedSeqs, flatSeqs, padded, unpadded };
}

/**
 * Offset of the `-` of a block sequence item whose value starts at `valueStart`. The node's
 * range leaves out its properties, so an anchor or a tag (`- &a name`, `- !!str 123`) may
 * come between the `-` and the value.
 */
export function dashOffset(text: string, valueStart: number): number {
  let offset = valueStart;
  if (text[offset] === "-") return offset;
  offset--;
  for (;;) {
    while (offset >= 0 && isSpace(text[offset])) offset--;
    if (text[offset] === "-") return offset;
    let tokenStart = offset;
    while (tokenStart > 0 && !isSpace(text[tokenStart - 1])) tokenStart--;
    if (offset < 0 || (text[tokenStart] !== "&" && text[tokenStart] !== "!")) return valueStart;
    offset = tokenStart - 1;
  }
}

/**
 * Offset where a block sequence item's content starts: its first property or its value on the
 * line of the `-`, else `valueStart` (the value is on the lines under a lone `-`).
 */
export function itemContentOffset(text: string, valueStart: number): number {
  const dash = dashOffset(text, valueStart);
  if (dash === valueStart) return valueStart;
  let offset = dash + 1;
  while (text[offset] === " " || text[offset] === "\t") offset++;
  return text[offset] === "\n" || text[offset] === "\r" || text[offset] === "#" ? valueStart : offset;
}

function isSpace(char: string | undefined): boolean {
  return char === " " || char === "\t" || char === "\n" || char === "\r";
}

/** Creates a string scalar, quoted when a plain scalar could be misread. */
export function stringScalar(value: string, type?: Scalar.Type): Scalar<string> {
  const scalar = new Scalar(value);
  if (type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE) scalar.type = type;
  else if (YAML11_BOOLEAN.test(value)) scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}

function renderOptions(style: DocumentStyle) {
  return {
    indent: style.indentStep,
    indentSeq: style.indentSeq,
    flowCollectionPadding: style.flowPadding,
    lineWidth: 0,
    minContentWidth: 0,
  };
}

/** Renders a node on one line, as flow YAML (or a scalar). */
export function renderFlow(node: Node, style: DocumentStyle): string {
  if (isCollection(node)) node.flow = true;
  const document = new Document(node);
  return document.toString(renderOptions(style)).replace(/\n$/, "");
}

/** Renders a node as block YAML lines, without indentation; flow children keep their flow style. */
export function renderBlock(node: Node, style: DocumentStyle): string[] {
  if (!style.indentSeq) return renderIndentless(node, style);
  const document = new Document(node);
  return document.toString(renderOptions(style)).replace(/\n$/, "").split("\n");
}

/**
 * Renders block lines with each block sequence in the column of its key. The `yaml` package
 * (checked with 2.9.1) does so only for an indentation step of 2: with `indent: 4` and
 * `indentSeq: false` it writes the items 2 columns right of their key.
 */
function renderIndentless(node: Node, style: DocumentStyle): string[] {
  const indent = (lines: string[], width: number): string[] =>
    lines.map((line) => (line === "" ? line : `${" ".repeat(width)}${line}`));

  if (isMap(node) && !node.flow) {
    return node.items.flatMap((pair) => {
      const key = renderFlow(pair.key as Node, style);
      const value = pair.value as Node | null;
      if (value === null) return [`${key}:`];
      if (isCollection(value) && !value.flow && value.items.length > 0) {
        const width = isMap(value) ? style.indentStep : 0;
        return [`${key}:`, ...indent(renderIndentless(value, style), width)];
      }
      return [`${key}: ${renderFlow(value, style)}`];
    });
  }
  if (isSeq(node) && !node.flow) {
    return (node.items as Node[]).flatMap((item) => {
      const [first = "", ...rest] = renderIndentless(item, style);
      return [`- ${first}`, ...indent(rest, 2)];
    });
  }
  return [renderFlow(node, style)];
}
