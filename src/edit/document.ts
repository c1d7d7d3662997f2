/**
 * A vars document opened for editing: its text, its lines and the parsed `yaml`
 * Document whose node offsets locate what an edit changes. Edits splice the text and
 * use the Document only as a map of it, because `String(document)` re-renders
 * comments and spacing. For one, it drops the alignment of end-of-line comments.
 */
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  visit,
  type YAMLMap,
} from "yaml";
import { CakeError } from "../errors.js";
import { SourceLines } from "./text.js";

/**
 * The parse options of the vars loader: YAML 1.2 core schema, duplicate keys rejected.
 * NOTE: a copy of the options in `config/yaml-phase.ts`, which does not export them; keep both equal.
 */
export const EDIT_PARSE_OPTIONS = {
  version: "1.2",
  schema: "core",
  uniqueKeys: true,
  merge: false,
  prettyErrors: false,
  logLevel: "error",
} as const;

export class VarsDocument {
  readonly text: string;
  readonly lines: SourceLines;
  readonly document: Document.Parsed;

  constructor(text: string) {
    this.text = text;
    this.lines = new SourceLines(text);
    this.document = parseDocument(text, EDIT_PARSE_OPTIONS);
    if (this.document.errors.length > 0) {
      const first = this.document.errors[0];
      throw new CakeError(
        `the vars file is not valid YAML (${first?.message ?? "parse error"}); fix it first.`,
      );
    }
    const document = this.document;
    visit(document, {
      Alias(_key, alias) {
        const target = alias.resolve(document);
        if (target !== undefined) aliasTargets.set(alias, target);
      },
    });
  }

  /** Returns the unedited source, byte for byte. */
  toString(): string {
    return this.text;
  }

  /** Returns the `users` mapping, or undefined when the file has none. */
  usersMap(): YAMLMap | undefined {
    const users = this.document.contents;
    if (!isMap(users)) return undefined;
    const value = users.get("users", true);
    return isMap(value) ? value : undefined;
  }

  /** Returns the pair of `users.users`. */
  userListPair(): Pair<Node, Node | null> | undefined {
    return findPair(this.usersMap(), "users");
  }

  /** Returns the pair of `users.deploy_namespaces`, or of its older spelling `users.deployments`. */
  deployNamespacesPair(): Pair<Node, Node | null> | undefined {
    return findPair(this.usersMap(), "deploy_namespaces") ?? findPair(this.usersMap(), "deployments");
  }

  /** Returns the entries of `users.users` that are mappings, with their index in the list. */
  userEntries(): { index: number; entry: YAMLMap }[] {
    const list = this.userListPair()?.value;
    if (!isSeq(list)) return [];
    const entries: { index: number; entry: YAMLMap }[] = [];
    list.items.forEach((item, index) => {
      if (isMap(item)) entries.push({ index, entry: item });
    });
    return entries;
  }

  /** Finds the entry of the user with exactly this email (emails are compared byte for byte). */
  userByEmail(email: string): YAMLMap | undefined {
    return this.userEntries().find(({ entry }) => scalarValue(entry.get("email", true)) === email)?.entry;
  }

  /** Returns the entries of the deploy namespace list: plain names or mappings with `name`. */
  deployNamespaceEntries(): { name: string; entry: Node }[] {
    const list = this.deployNamespacesPair()?.value;
    if (!isSeq(list)) return [];
    const entries: { name: string; entry: Node }[] = [];
    for (const item of list.items as Node[]) {
      const name = namespaceName(item);
      if (name !== undefined) entries.push({ name, entry: item });
    }
    return entries;
  }
}

export function findPair(map: YAMLMap | undefined, key: string): Pair<Node, Node | null> | undefined {
  if (!map) return undefined;
  return (map.items as Pair<Node, Node | null>[]).find(
    (pair) => isScalar(pair.key) && pair.key.value === key,
  );
}

/**
 * The node each alias of a parsed `VarsDocument` refers to. The loader reads an alias as the
 * value of its anchor, so a lookup by value must too: `allowed_namespaces: [*shared]` grants
 * the namespace that `&shared` names.
 */
const aliasTargets = new WeakMap<Alias, Node>();

/** Returns the node that `node` refers to when it is an alias, else `node` itself. */
export function resolveAlias(node: unknown): unknown {
  return isAlias(node) ? aliasTargets.get(node) : node;
}

/** Returns the string value of a scalar node or of an alias of one, or undefined for anything else. */
export function scalarValue(node: unknown): string | undefined {
  const target = resolveAlias(node);
  if (!isScalar(target)) return undefined;
  return typeof target.value === "string" ? target.value : String(target.value);
}

/** Returns the namespace name of a grant or deploy namespace item: a plain name or a mapping with `name`. */
export function namespaceName(item: unknown): string | undefined {
  const target = resolveAlias(item);
  return isMap(target) ? scalarValue(target.get("name", true)) : scalarValue(target);
}

/**
 * Returns the quote style of the first key of a mapping when it is quoted (`"email": ...`), so
 * keys added next to it are quoted alike, else undefined.
 */
export function quotedKeyType(map: YAMLMap | undefined): Scalar.Type | undefined {
  const key = map?.items[0]?.key;
  if (!isScalar(key)) return undefined;
  return key.type === Scalar.QUOTE_DOUBLE || key.type === Scalar.QUOTE_SINGLE ? key.type : undefined;
}

/** Creates a mapping key in the quote style `type`, or plain when it is undefined. */
export function keyScalar(key: string, type: Scalar.Type | undefined): Scalar<string> {
  const scalar = new Scalar(key);
  if (type !== undefined) scalar.type = type;
  return scalar;
}
