/**
 * Positions of values in a parsed vars document: maps a field path such as
 * `["users", "users", 3, "email"]` to the 1-based line and column of its node.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { DiagnosticSource, type FieldPath, type Position } from "./field-path.js";

export { type FieldPath, formatPath, type Position } from "./field-path.js";

/** A vars file parsed by the `yaml` package: diagnostics get the line and column of their node. */
export class VarsSource extends DiagnosticSource {
  readonly #document: Document | undefined;

  constructor(
    file: string,
    text: string,
    document: Document | undefined,
    readonly lineCounter: LineCounter,
  ) {
    super(file, text);
    this.#document = document;
  }

  override get document(): Document | undefined {
    return this.#document;
  }

  override positionOfOffset(offset: number): Position {
    const { line, col } = this.lineCounter.linePos(offset);
    // The parser counts a byte-order mark as a character of line 1; editors show none there.
    const bom = line === 1 && col > 1 && this.text.startsWith("\uFEFF") ? 1 : 0;
    return { line, column: col - bom };
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
  override positionOf(path: FieldPath, options: { key?: boolean } = {}): Position {
    const node = this.nodeAt(path, options);
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    return this.positionOfOffset(offset);
  }

  /** Returns the source text of a scalar value as written (`007`, not `7`), or undefined. */
  override sourceTextOf(path: FieldPath): string | undefined {
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

  override copiesOf(path: FieldPath): { value: unknown; position: Position }[] {
    const map = this.resolve(this.nodeAt(path.slice(0, -1), { exact: true }));
    if (!isMap(map)) return [];
    const name = String(path.at(-1));
    const copies = map.items.filter((pair) => isScalar(pair.key) && String(pair.key.value) === name);
    if (copies.length < 2) return [];
    return copies.map((pair) => {
      const node = (isScalar(pair.value) ? pair.value : pair.key) as Node;
      return {
        value: isScalar(pair.value) ? pair.value.value : undefined,
        position: this.positionOfOffset(node.range?.[0] ?? 0),
      };
    });
  }

  override mappingHasKey(path: FieldPath, key: string): boolean {
    const node = this.resolve(this.nodeAt(path, { exact: true }));
    return isMap(node) && node.has(key);
  }

  private resolve(node: unknown): unknown {
    if (isPair(node)) return node.value;
    if (isAlias(node) && this.document) return node.resolve(this.document);
    return node;
  }
}
