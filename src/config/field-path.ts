/**
 * Field paths and the base of a diagnostic's source. This module loads no YAML parser, so the
 * fast path of loading (js-yaml, the schema and the rules) does not pay for the `yaml` package.
 */
import type { Document } from "yaml";
import type { Diagnostic, DiagnosticCode, Severity } from "./diagnostics.js";

export type FieldPath = readonly (string | number)[];

export interface Position {
  line: number;
  column: number;
}

/** Returns the 1-based line and column of `offset` in `text`, counting lines at each LF. */
export function textPosition(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  return { line: before.split("\n").length, column: offset - before.lastIndexOf("\n") };
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

/**
 * The file that diagnostics point into. This base has no positions: its diagnostics carry
 * line and column 0, as on the fast path of loading. `VarsSource` adds the parsed document.
 * `data` is the plain data the fast path parsed, which `mappingHasKey` reads.
 */
export class DiagnosticSource {
  constructor(
    readonly file: string,
    readonly text: string,
    private readonly data?: unknown,
  ) {}

  /** The parsed document with positions and comments, when there is one. */
  get document(): Document | undefined {
    return undefined;
  }

  positionOfOffset(_offset: number): Position {
    return { line: 0, column: 0 };
  }

  /** Returns the position of a value (or of its key with `key: true`). */
  positionOf(_path: FieldPath, _options: { key?: boolean } = {}): Position {
    return { line: 0, column: 0 };
  }

  /** Returns the source text of a scalar value as written (`007`, not `7`), or undefined. */
  sourceTextOf(_path: FieldPath): string | undefined {
    return undefined;
  }

  /**
   * Returns the value and position of each copy of the key at `path` when its mapping has the
   * key more than once, or an empty list. Only a parsed document keeps the copies.
   */
  copiesOf(_path: FieldPath): { value: unknown; position: Position }[] {
    return [];
  }

  /** Returns true when the mapping at `path` has the key `key` as written in the file. */
  mappingHasKey(path: FieldPath, key: string): boolean {
    let value = this.data;
    for (const segment of path) {
      if (typeof value !== "object" || value === null) return false;
      value = (value as Record<string | number, unknown>)[segment];
    }
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.hasOwn(value, key);
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
      ...(options.key && position.line === 0 ? { atKey: true as const } : {}),
    };
  }
}
