/**
 * Counts the style of a plain block-YAML vars file line by line, without the `yaml` Document.
 * An edit of a window of a large file (see `window.ts`) needs the whole file's style counts.
 * Parsing a 10k-user file with the Document API to count them took 0.7 of the 1.7 seconds of
 * `cake user grant` (measured on a 2-core machine). This scan takes about 55 ms.
 *
 * The contract: the result equals `countFileStyle(new VarsDocument(text))`, or is undefined.
 * The scanner reads the subset of YAML that tools and people write for vars files: block
 * mappings and sequences, one entry per line, flow collections that close on their line,
 * plain and quoted scalars that end on their line, comments. Anything else (block scalars,
 * multi-line scalars, explicit keys, anchors, tags, tabs, CR line breaks, directives,
 * several documents, a value on the line after its key) returns undefined, and the caller
 * parses the text. A test compares both counts on generated files of many styles.
 */
import type { StyleCounts } from "./style.js";
import type { FileStyleCounts } from "./users.js";

/** The part of a vars file that a block collection is, for the votes counted only in user entries. */
type Role = "root" | "users" | "user-list" | "entry" | "grants" | "other";

interface Frame {
  kind: "map" | "seq";
  /** Column of the keys of a mapping, or of the dashes of a sequence. */
  column: number;
  role: Role;
}

/** A key whose value starts on a later line. */
interface Pending {
  column: number;
  /** The role the value gets when it is a block collection. */
  role: Role;
  /** The user-entry list this key's block value votes for, if any. */
  list: "roles" | "allowed_namespaces" | undefined;
}

/** The scan stops: the text needs the `yaml` parser. */
class Unsupported extends Error {}

function unsupported(): never {
  throw new Unsupported();
}

/** Returns the style counts of `text`, or undefined when the text is outside the subset. */
export function scanFileStyle(text: string): FileStyleCounts | undefined {
  if (/[\t\r\uFEFF]/.test(text)) return undefined;
  try {
    return new StyleScanner().scan(text);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

class StyleScanner {
  private readonly document: StyleCounts = {
    steps: new Map(),
    indentedSeqs: 0,
    flatSeqs: 0,
    padded: 0,
    unpadded: 0,
  };
  private readonly lists = { roles: { flow: 0, block: 0 }, allowed_namespaces: { flow: 0, block: 0 } };
  private readonly grantMaps = { flow: 0, block: 0 };
  private readonly frames: Frame[] = [];
  private pending: Pending | undefined;

  scan(text: string): FileStyleCounts {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      this.line(text.slice(start, end));
      start = end + 1;
    }
    return { document: this.document, lists: this.lists, grantMaps: this.grantMaps };
  }

  private line(line: string): void {
    let column = 0;
    while (line.charCodeAt(column) === 0x20) column++;
    if (column === line.length || line[column] === "#") return;
    if (column === 0 && /^(---|\.\.\.|%)/.test(line)) unsupported();

    const dash = isDash(line, column);
    let body = column;
    if (dash) {
      body = column + 1;
      while (line.charCodeAt(body) === 0x20) body++;
      // An empty item, or a nested sequence on the dash's line (`- - a`).
      if (body === line.length || line[body] === "#" || isDash(line, body)) unsupported();
    }

    if (this.pending !== undefined) this.resolvePending(line, column, dash, body);
    this.popTo(column, dash);

    const frame = this.frames[this.frames.length - 1];
    if (frame === undefined) {
      // The first line opens the root mapping.
      if (dash || column !== 0) unsupported();
      this.frames.push({ kind: "map", column: 0, role: "root" });
      this.entry(line, body, this.frames[0] as Frame);
      return;
    }
    if (dash) {
      if (frame.kind !== "seq" || frame.column !== column) unsupported();
      this.item(line, body, frame);
    } else {
      if (frame.kind !== "map" || frame.column !== column) unsupported();
      this.entry(line, body, frame);
    }
  }

  /** Gives the pending key its value: a block sequence or mapping that starts on this line, or null. */
  private resolvePending(line: string, column: number, dash: boolean, body: number): void {
    const pending = this.pending as Pending;
    this.pending = undefined;
    if (dash && column >= pending.column) {
      if (column > pending.column) this.document.indentedSeqs++;
      else this.document.flatSeqs++;
      if (pending.list !== undefined) this.lists[pending.list].block++;
      this.frames.push({ kind: "seq", column, role: pending.role });
      return;
    }
    if (!dash && column > pending.column) {
      // Only a key can start a block value on a later line; a scalar there continues or is the value.
      if (keyEnd(line, body) === undefined) unsupported();
      const step = column - pending.column;
      this.document.steps.set(step, (this.document.steps.get(step) ?? 0) + 1);
      // Only `users` expects a mapping; a mapping where a list belongs counts no votes.
      this.frames.push({ kind: "map", column, role: pending.role === "users" ? "users" : "other" });
    }
  }

  /** Closes the collections this line is outside of. */
  private popTo(column: number, dash: boolean): void {
    for (;;) {
      const frame = this.frames[this.frames.length - 1];
      if (frame === undefined) return;
      // A mapping contains the lines at or right of its keys. A sequence contains the dashes in
      // its column and the lines right of it; a key in its column belongs to the mapping around it.
      const inside = frame.kind === "map" || dash ? column >= frame.column : column > frame.column;
      if (inside) return;
      this.frames.pop();
    }
  }

  /** Reads a sequence item: a mapping that starts on the dash's line, a flow collection or a scalar. */
  private item(line: string, body: number, sequence: Frame): void {
    const key = keyEnd(line, body);
    if (key !== undefined) {
      if (sequence.role === "grants") this.grantMaps.block++;
      const role: Role = sequence.role === "user-list" ? "entry" : "other";
      const map: Frame = { kind: "map", column: body, role };
      this.frames.push(map);
      this.entry(line, body, map);
      return;
    }
    const opener = line[body];
    if (opener === "{" || opener === "[") {
      // The lists of a user entry written as a flow mapping are not scanned.
      if (sequence.role === "user-list") unsupported();
      if (sequence.role === "grants" && opener === "{") this.grantMaps.flow++;
      this.flowValue(line, body);
      return;
    }
    if (sequence.role === "user-list") unsupported();
    this.scalarValue(line, body);
  }

  /** Reads a `key: value` line of a block mapping. */
  private entry(line: string, body: number, map: Frame): void {
    const key = keyEnd(line, body);
    if (key === undefined) unsupported();
    const name = keyName(line, body, key.end);
    const role = childRole(map.role, name);
    const list =
      map.role === "entry" && (name === "roles" || name === "allowed_namespaces") ? name : undefined;

    const value = key.value;
    if (value === line.length || line[value] === "#") {
      this.pending = { column: body, role, list };
      return;
    }
    const opener = line[value];
    if (opener === "{" || opener === "[") {
      // The lists inside a user list written in flow style are not scanned.
      if (role === "users" || role === "user-list") {
        if (!isEmptyFlow(line, value)) unsupported();
      }
      const nonEmpty = this.flowValue(line, value);
      if (list !== undefined && opener === "[" && nonEmpty) this.lists[list].flow++;
      return;
    }
    this.scalarValue(line, value);
  }

  /** Scans a flow collection that must close on its line; returns true when it has content. */
  private flowValue(line: string, start: number): boolean {
    const brackets: string[] = [];
    let tokenStart = true;
    let nonEmpty = false;
    for (let index = start; index < line.length; index++) {
      const char = line[index] as string;
      if (brackets.length === 1 && char !== " " && char !== "]" && char !== "}") nonEmpty = true;
      if (char === "[" || char === "{") {
        if (!tokenStart) unsupported();
        const inner = line[index + 1];
        if (inner !== "]" && inner !== "}") {
          if (inner === " ") this.document.padded++;
          else this.document.unpadded++;
        }
        brackets.push(char);
        tokenStart = true;
      } else if (char === "]" || char === "}") {
        const open = brackets.pop();
        if ((open === "[" && char !== "]") || (open === "{" && char !== "}")) unsupported();
        tokenStart = false;
        if (brackets.length === 0) {
          this.rest(line, index + 1);
          return nonEmpty;
        }
      } else if (char === '"' || char === "'") {
        if (!tokenStart) continue;
        index = quoteEnd(line, index);
        tokenStart = false;
      } else if (char === ",") {
        tokenStart = true;
      } else if (char === ":") {
        // A pair directly in a flow sequence (`[a: b]`) is a mapping the scan does not count.
        if (brackets[brackets.length - 1] === "[") unsupported();
        const next = line[index + 1];
        if (next === " " || next === "," || next === "]" || next === "}" || next === undefined)
          tokenStart = true;
        else tokenStart = false;
      } else if (char === "#") {
        if (line[index - 1] === " ") unsupported();
        tokenStart = false;
      } else if (char !== " ") {
        if (tokenStart && "&*!|>?%@`-".includes(char) && !plainDash(line, index)) unsupported();
        tokenStart = false;
      }
    }
    // The collection continues on the next line.
    return unsupported();
  }

  /** Reads a scalar value, which must end on its line. */
  private scalarValue(line: string, start: number): void {
    const char = line[start] as string;
    if (char === '"' || char === "'") {
      this.rest(line, quoteEnd(line, start) + 1);
      return;
    }
    if ("&*!|>?%@`".includes(char)) unsupported();
    // A plain scalar: `: ` inside it would make the line a second mapping, which is an error.
    const comment = line.indexOf(" #", start);
    const content = comment < 0 ? line.slice(start) : line.slice(start, comment);
    if (/:( |$)/.test(content)) unsupported();
  }

  /** Checks that only spaces and a comment follow a value on its line. */
  private rest(line: string, start: number): void {
    let index = start;
    while (line.charCodeAt(index) === 0x20) index++;
    if (index === line.length) return;
    if (line[index] === "#" && index > start) return;
    unsupported();
  }
}

/** True when a `-` at `index` starts a sequence item. */
function isDash(line: string, index: number): boolean {
  return line[index] === "-" && (index + 1 === line.length || line[index + 1] === " ");
}

/** True when the `-` at `index` starts a plain scalar such as `-1` or `-x`, not an item. */
function plainDash(line: string, index: number): boolean {
  return line[index] === "-" && line[index + 1] !== " " && line[index + 1] !== undefined;
}

/**
 * Returns where the key ends and its value starts when the text at `start` is `key:` or
 * `key: value`, and undefined when it is a value. Flow collections are values here. Anchors,
 * tags, explicit keys and merge keys stop the scan.
 */
function keyEnd(line: string, start: number): { end: number; value: number } | undefined {
  const char = line[start] as string;
  let colon: number;
  if (char === '"' || char === "'") {
    let index = quoteEnd(line, start) + 1;
    while (line.charCodeAt(index) === 0x20) index++;
    if (line[index] !== ":") return undefined;
    colon = index;
    if (colon + 1 < line.length && line[colon + 1] !== " ") unsupported();
  } else {
    if ("[{".includes(char)) return undefined;
    if ("&*!|>?%@`".includes(char)) unsupported();
    colon = -1;
    for (let index = start; index < line.length; index++) {
      if (line[index] === "#" && line[index - 1] === " ") break;
      if (line[index] === ":" && (index + 1 === line.length || line[index + 1] === " ")) {
        colon = index;
        break;
      }
    }
    if (colon < 0) return undefined;
    if (line.slice(start, colon) === "<<") unsupported();
  }
  let value = colon + 1;
  while (line.charCodeAt(value) === 0x20) value++;
  return { end: colon, value };
}

/** Returns the key as the `yaml` package reads it, for the few keys the votes look at. */
function keyName(line: string, start: number, end: number): string {
  const raw = line.slice(start, end).trimEnd();
  if (raw.startsWith("'")) return raw.slice(1, -1).replaceAll("''", "'");
  if (raw.startsWith('"')) {
    // An escape could spell any key; such keys are rare enough to leave to the parser.
    if (raw.includes("\\")) unsupported();
    return raw.slice(1, -1);
  }
  return raw;
}

/** Returns the offset of the quote that closes the quoted scalar opening at `start`, on its line. */
function quoteEnd(line: string, start: number): number {
  const quote = line[start];
  for (let index = start + 1; index < line.length; index++) {
    const char = line[index];
    if (quote === '"' && char === "\\") {
      index++;
    } else if (char === quote) {
      if (quote === "'" && line[index + 1] === "'") index++;
      else return index;
    }
  }
  return unsupported();
}

/** True for `[]` or `{}`, with spaces inside or not. */
function isEmptyFlow(line: string, start: number): boolean {
  return /^[[{] *[\]}]/.test(line.slice(start));
}

/** Returns the role of the value of `key` in a mapping of role `parent`. */
function childRole(parent: Role, key: string): Role {
  if (parent === "root" && key === "users") return "users";
  if (parent === "users" && key === "users") return "user-list";
  if (parent === "entry" && key === "allowed_namespaces") return "grants";
  return "other";
}
