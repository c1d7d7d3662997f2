/**
 * An index of the keys of a parsed vars document, with the block mappings around each key, for
 * the checks that find keys an indentation slip moved into another mapping.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import { type FieldPath, formatPath, type Position } from "./field-path.js";
import type { VarsSource } from "./source.js";

/** A block mapping of the document, with its field path and the position of its first key. */
export interface MappingAt {
  map: YAMLMap;
  path: FieldPath;
  /** 1-based column of its keys. */
  column: number;
  /** The line of its first key. */
  line: number;
  /** For an entry of a block list: the 1-based column of the list's `-`. */
  dashColumn?: number;
}

/** A key of the document, with the mappings around it. */
export interface KeyAt {
  name: string;
  /** The key's index in the mapping that contains it. */
  index: number;
  position: Position;
  /** The mapping that contains the key, then its ancestors, innermost first. */
  mappings: MappingAt[];
}

export function containerOf(key: KeyAt): MappingAt {
  return key.mappings[0] as MappingAt;
}

export function mappingAt(source: VarsSource, map: YAMLMap, path: FieldPath, dashColumn?: number): MappingAt {
  const first = map.items[0]?.key as Node | undefined;
  const position = source.positionOfOffset(first?.range?.[0] ?? 0);
  return {
    map,
    path,
    column: position.column,
    line: position.line,
    ...(dashColumn === undefined ? {} : { dashColumn }),
  };
}

export function lineOf(source: VarsSource, pair: Pair): number {
  return source.positionOfOffset((pair.key as Node | null)?.range?.[0] ?? 0).line;
}

export interface KeyIndex {
  source: VarsSource;
  /** Keys of block mappings by `line:column`, where diagnostics on keys point. */
  byPosition: Map<string, KeyAt>;
  /** Keys of block mappings by field path, in the order written; a duplicated key has several. */
  byPath: Map<string, KeyAt[]>;
  all: KeyAt[];
}

export function positionKey(source: VarsSource, pair: Pair): string {
  const position = source.positionOfOffset((pair.key as Node | null)?.range?.[0] ?? 0);
  return `${position.line}:${position.column}`;
}

export function indexKeys(source: VarsSource): KeyIndex {
  const byPosition = new Map<string, KeyAt>();
  const byPath = new Map<string, KeyAt[]>();
  const all: KeyAt[] = [];
  const visit = (node: unknown, path: FieldPath, outer: MappingAt[], dashColumn?: number): void => {
    if (isSeq(node)) {
      const column = source.positionOfOffset(node.range?.[0] ?? 0).column;
      for (const [index, item] of node.items.entries())
        visit(item, [...path, index], outer, node.flow ? undefined : column);
      return;
    }
    if (!isMap(node) || node.items.length === 0) return;
    const mappings = [mappingAt(source, node, path, dashColumn), ...outer];
    for (const [index, pair] of node.items.entries()) {
      if (!isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      const position = source.positionOfOffset(pair.key.range?.[0] ?? 0);
      if (!node.flow) {
        const key = { name, index, position, mappings };
        byPosition.set(`${position.line}:${position.column}`, key);
        all.push(key);
        const keyPath = formatPath([...path, name]);
        byPath.set(keyPath, [...(byPath.get(keyPath) ?? []), key]);
      }
      visit(pair.value, [...path, name], mappings);
    }
  };
  visit(source.document?.contents, [], []);
  return { source, byPosition, byPath, all };
}
