/**
 * Positions of values in a parsed vars document: maps a field path such as
 * `["users", "users", 3, "email"]` to the 1-based line and column of its node.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import type { Diagnostic, DiagnosticCode, Severity } from "./diagnostics.js";

export type FieldPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

/** Formats a field path the way diagnostics show it: `users.users[3].email`. */
export function formatPath(path: FieldPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text;
}

export class VarsSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly document: Document | undefined,
    readonly lineCounter: LineCounter,
  ) {}

  positionOfOffset(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /**
   * Finds the node of a value, or of its nearest existing parent when the value is missing.
   * With `exact: true` a missing value gives undefined instead of a parent.
   */
  nodeAt(path: FieldPath, options: { key?: boolean; exact?: boolean } = {}): Node | undefined {
    const fallback = (parent: unknown) => (options.exact ? undefined : (parent as Node | undefined));
    let node: unknown = this.document?.contents;
    for (const [index, segment] of path.entries()) {
      node = this.resolve(node);
      const last = index === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) return fallback(node);
        if (last && options.key && isScalar(pair.key)) return pair.key;
        if (pair.value === null) return fallback(pair.key ?? node);
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment];
        if (item === undefined || item === null) return fallback(node);
        node = item;
      } else {
        return fallback(node);
      }
    }
    return node as Node | undefined;
  }

  /** Returns the position of a value (or of its key with `key: true`); the parent's when it is missing. */
  positionOf(path: FieldPath, options: { key?: boolean } = {}): Position {
    const node = this.nodeAt(path, options);
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    return this.positionOfOffset(offset);
  }

  /** Returns the source text of a scalar value as written (`007`, not `7`), or undefined. */
  sourceTextOf(path: FieldPath): string | undefined {
    const node = this.resolve(this.nodeAt(path, { exact: true }));
    if (!isScalar(node) || !node.range) return undefined;
    return this.text.slice(node.range[0], node.range[1]).trim();
  }

  /** Returns the source line (without its line break) for a 1-based line number. */
  lineText(line: number): string {
    const starts = this.lineCounter.lineStarts;
    const start = starts[line - 1];
    if (start === undefined) return "";
    const end = starts[line] ?? this.text.length;
    return this.text.slice(start, end).replace(/\r?\n$/, "");
  }

  /** Builds a diagnostic positioned at the node of `path`. */
  diagnostic(
    severity: Severity,
    code: DiagnosticCode,
    path: FieldPath,
    message: string,
    options: { key?: boolean; position?: Position } = {},
  ): Diagnostic {
    const position = options.position ?? this.positionOf(path, options);
    return {
      severity,
      code,
      file: this.file,
      line: position.line,
      column: position.column,
      path: formatPath(path),
      message,
    };
  }

  private resolve(node: unknown): unknown {
    if (isPair(node)) return node.value;
    if (isAlias(node) && this.document) return node.resolve(this.document);
    return node;
  }
}
