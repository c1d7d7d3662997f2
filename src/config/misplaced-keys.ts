/**
 * Explains unknown and duplicate keys that are keys of a neighbouring mapping. An indentation
 * slip that is still valid YAML moves a key into another mapping: `users:` indented 2 spaces
 * becomes a key of the section above it, and a grant's `access:` moved left becomes a key of the
 * user entry. The schema then reports an unknown or duplicate key, whose usual fix (did you mean,
 * delete one) is wrong for the person who made the slip. This module names the column the key
 * belongs in instead, and keeps each diagnostic's position, path and code.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import type { Diagnostic } from "./diagnostics.js";
import { type FieldPath, formatPath } from "./field-path.js";
import {
  containerOf,
  indexKeys,
  type KeyAt,
  type KeyIndex,
  lineOf,
  type MappingAt,
  mappingAt,
  positionKey,
} from "./key-index.js";
import { isQuotaResourceName } from "./rules/resource-quota.js";
import { knownKeysAt } from "./schema-phase.js";
import type { VarsSource } from "./source.js";

/** The mapping a misplaced key belongs in. When that mapping is an empty value, `afterKey` is its key. */
interface Placement {
  path: FieldPath;
  column: number;
  line: number;
  afterKey?: string;
}

/**
 * Returns `diagnostics` with the message of each unknown or duplicate key that belongs in a
 * neighbouring mapping rewritten to name the column it belongs in. A key that only reads as
 * misplaced because a key above it slipped gets the same treatment. A required key reported
 * missing because it slipped is reported once, by the error at the slipped key, which states
 * that the key is required.
 */
export function explainMisplacedKeys(source: VarsSource, diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const keyCodes = new Set([
    "unknown-key",
    "yaml-duplicate-key",
    "missing-key",
    "missing-repo-url",
    "wrong-type",
  ]);
  if (source.document === undefined || !diagnostics.some((item) => keyCodes.has(item.code)))
    return [...diagnostics];

  const keys = indexKeys(source);
  const placements = new Map<KeyAt, Placement>();
  const placementOf = (key: KeyAt): Placement | undefined => {
    if (!placements.has(key)) {
      const placement = placeKey(source, key);
      if (placement !== undefined) placements.set(key, placement);
    }
    return placements.get(key);
  };
  const context: ExplainContext = {
    keys,
    placementOf,
    missingPaths: new Set(diagnostics.filter(isMissing).map((item) => item.path)),
    explained: new Set<KeyAt>(),
    stranded: [],
  };
  const rewritten = diagnostics.map((diagnostic) =>
    isMissing(diagnostic) ? diagnostic : explainDiagnostic(context, diagnostic),
  );

  // The errors of stranded entries are those of the wrong list, so the slipped key's error stands for them.
  const strandedPaths = context.stranded.flatMap((entries) => entries.paths);
  const isStranded = (path: string) =>
    strandedPaths.some((entry) => path === entry || path.startsWith(`${entry}.`));

  return rewritten.flatMap((diagnostic) => {
    if (isStranded(diagnostic.path)) return [];
    if (!isMissing(diagnostic)) return [diagnostic];
    const slipped = slippedKeyOf(keys, placementOf, diagnostic.path);
    if (slipped === undefined) return [diagnostic];
    if (context.explained.has(slipped)) return [];
    const placement = placementOf(slipped) as Placement;
    const fix = `it is at line ${slipped.position.line}, which is probably indented wrong; move it to column ${placement.column}`;
    return [{ ...diagnostic, message: `${missingHead(diagnostic)}; ${fix}` }];
  });
}

/** The inputs of `explainDiagnostic`, and the slips it records for the missing-key and stranded-entry diagnostics. */
interface ExplainContext {
  keys: KeyIndex;
  placementOf: (key: KeyAt) => Placement | undefined;
  /** Field paths of the keys reported missing. */
  missingPaths: ReadonlySet<string>;
  /** The slipped keys whose own error names the column they belong in. */
  explained: Set<KeyAt>;
  stranded: StrandedEntries[];
}

function isMissing(diagnostic: Diagnostic): boolean {
  return diagnostic.code === "missing-key" || diagnostic.code === "missing-repo-url";
}

/** Returns an unknown-key, duplicate-key or wrong-type diagnostic with the fix of a slip, when one caused it. */
function explainDiagnostic(context: ExplainContext, diagnostic: Diagnostic): Diagnostic {
  const { keys, placementOf, missingPaths } = context;
  if (diagnostic.code === "wrong-type") {
    const fix = wrongTypeFix(keys, diagnostic.path, placementOf, missingPaths);
    if (fix === undefined) return diagnostic;
    if (fix.slipped !== undefined) context.explained.add(fix.slipped);
    const position = fix.slipped?.position ?? diagnostic;
    return {
      ...diagnostic,
      line: position.line,
      column: position.column,
      message: `${fix.head}; ${fix.fix}`,
    };
  }
  if (diagnostic.code !== "unknown-key" && diagnostic.code !== "yaml-duplicate-key") return diagnostic;
  const key = keys.byPosition.get(`${diagnostic.line}:${diagnostic.column}`);
  if (key === undefined) return diagnostic;

  // A key below a slipped key moves with it, so it is in place even where another mapping takes it.
  const following = followingKeyFix(keys, key, placementOf);
  const misplaced =
    following === undefined ? misplacedKeyFix(keys.source, key, placementOf(key), missingPaths) : undefined;
  let entries: StrandedEntries | undefined;
  if (misplaced !== undefined) {
    context.explained.add(key);
    entries = strandedEntries(keys, key, placementOf(key) as Placement);
    if (entries !== undefined) context.stranded.push(entries);
  }
  const fix =
    following ??
    misplaced ??
    (diagnostic.code === "yaml-duplicate-key" ? slippedEntryFix(keys.source, key) : undefined);
  if (fix === undefined) return diagnostic;
  const withEntries = entries === undefined ? "" : `; ${strandedNote(entries)}`;
  return { ...diagnostic, message: `${problemHead(diagnostic, key)}; ${fix}${withEntries}` };
}

function strandedNote(entries: StrandedEntries): string {
  const count = entries.paths.length;
  const those = count === 1 ? "the list entry below it" : `the ${count} list entries below it`;
  return (
    `${those} (from line ${entries.firstLine}) read as entries of ${formatPath(entries.list)} ` +
    "until then, and are checked once they are its value"
  );
}

/** Returns the part of the message that states the problem, without the fix it used to suggest. */
function problemHead(diagnostic: Diagnostic, key: KeyAt): string {
  if (diagnostic.code === "unknown-key") return `unknown key "${key.name}" ${whereIs(containerOf(key).path)}`;
  return diagnostic.message.replace(/; keep one and delete the other$/, "");
}

function missingHead(diagnostic: Diagnostic): string {
  return diagnostic.message.replace(/; add a line .*$/, "");
}

function whereIs(path: FieldPath): string {
  return path.length === 0 ? "at the top level" : `in ${formatPath(path)}`;
}

/**
 * Returns the mapping that `key` belongs in, or undefined when no neighbouring mapping takes it.
 * A key too far right belongs in one of the mappings that contain its own. A key too far left
 * belongs in the last mapping nested in the value of the key above it, or in that value when it
 * is empty. The mapping must accept the key and not have it already. Of several, the one whose
 * column is nearest to the key's is taken.
 */
function placeKey(source: VarsSource, key: KeyAt): Placement | undefined {
  const container = containerOf(key);
  const candidates: Placement[] = [
    ...key.mappings.slice(1).filter((mapping) => lacksKey(mapping.map.items, key.name)),
    ...nestedAbove(source, container, key.index, key.name),
  ];
  return candidates
    .filter((candidate) => candidate.column !== key.position.column && acceptsKey(candidate.path, key.name))
    .sort((a, b) => Math.abs(a.column - key.position.column) - Math.abs(b.column - key.position.column))[0];
}

function misplacedKeyFix(
  source: VarsSource,
  key: KeyAt,
  placement: Placement | undefined,
  missingPaths: ReadonlySet<string>,
): string | undefined {
  if (placement === undefined) return undefined;
  const required = missingPaths.has(formatPath([...placement.path, key.name])) ? "required " : "";
  const container = containerOf(key);
  const aboveIndex = Math.max(key.index - 1, 0);
  const above = container.map.items[aboveIndex] as Pair;
  const aboveLine = aboveIndex === key.index ? container.line : lineOf(source, above);
  const neighbours =
    container.path.length === 0 ? "the top-level keys" : `the keys of ${formatPath(container.path)}`;
  const move = placement.column < key.position.column ? "move it left" : "indent it";
  let belongs: string;
  if (placement.path.length === 0)
    belongs = `"${key.name}" is a ${required}top-level key; ${move} to column 1`;
  else if (placement.afterKey !== undefined)
    belongs =
      `"${key.name}" is a ${required}key of ${formatPath(placement.path)}, whose value (line ${placement.line}) is empty; ` +
      `${move} to column ${placement.column}, below ${placement.afterKey}:`;
  else
    belongs =
      `"${key.name}" is a ${required}key of ${formatPath(placement.path)} (line ${placement.line}); ` +
      `${move} to column ${placement.column}, like the keys there`;
  return `this line is probably indented wrong: it is indented like ${neighbours} (line ${aboveLine}), but ${belongs}`;
}

/**
 * Returns the fix of a key that is in place but reads as a key of the wrong mapping because a
 * key above it slipped: `deploy_namespaces:` below a `users:` indented like the keys of `gitops`.
 * The slipped key may be nested in the value of the key above, such as a `gitops:` indented like
 * the keys of `cloud.aws` above a `repo_url:` left in column 3.
 */
function followingKeyFix(
  keys: KeyIndex,
  key: KeyAt,
  placementOf: (key: KeyAt) => Placement | undefined,
): string | undefined {
  const container = containerOf(key);
  for (let index = key.index - 1; index >= 0; index--) {
    const pair = container.map.items[index] as Pair;
    for (const candidate of [pair, lastPairIn(pair.value)]) {
      if (candidate === undefined) continue;
      const above = keys.byPosition.get(positionKey(keys.source, candidate));
      if (above === undefined) continue;
      const placement = placementOf(above);
      // Only a key with an empty value takes the keys below it when it moves, and only when they
      // end up indented past it.
      if (placement === undefined || !isEmptyValue(keys.source, candidate.value)) continue;
      if (placement.column >= key.position.column) continue;
      if (!acceptsKey([...placement.path, above.name], key.name)) return undefined;
      return (
        `it is a key of ${above.name}: (line ${lineOf(keys.source, candidate)}), which is probably indented wrong; ` +
        `once that line is in column ${placement.column}, this line is below it`
      );
    }
  }
  return undefined;
}

/** Returns the last key of the block mappings nested in `node`: the key written last in it. */
function lastPairIn(node: unknown): Pair | undefined {
  let last: Pair | undefined;
  let inner: unknown = node;
  for (;;) {
    if (isSeq(inner) && !inner.flow) {
      inner = inner.items.at(-1);
      continue;
    }
    if (!isMap(inner) || inner.flow) return last;
    const pair = inner.items.at(-1);
    if (pair === undefined || !isScalar(pair.key)) return last;
    last = pair;
    inner = pair.value;
  }
}

/** List entries that read as entries of the list that contains a slipped key, while they are that key's value. */
interface StrandedEntries {
  /** Field paths of the entries, formatted as diagnostics name them. */
  paths: string[];
  firstLine: number;
  list: FieldPath;
}

/**
 * Returns the entries that follow `key` in the list whose entry ends with it, when `key` has an
 * empty value and its list item keys are theirs. With the `users:` above the user entries
 * indented like the keys of the last deploy namespace, the user entries read as deploy
 * namespaces, each with a missing name and four unknown keys.
 */
function strandedEntries(keys: KeyIndex, key: KeyAt, placement: Placement): StrandedEntries | undefined {
  const pair = containerOf(key).map.items[key.index] as Pair;
  if (!isEmptyValue(keys.source, pair.value)) return undefined;
  const entry = key.mappings.find((mapping) => mapping.dashColumn !== undefined);
  const index = entry?.path.at(-1);
  if (entry?.dashColumn === undefined || typeof index !== "number") return undefined;
  // Once the key is moved, only entries whose `-` is right of it become its value.
  if (entry.dashColumn <= placement.column) return undefined;
  const listPath = entry.path.slice(0, -1);
  const list = keys.source.nodeAt(listPath, { exact: true });
  if (!isSeq(list) || lastPairIn(list.items[index]) !== pair) return undefined;

  const valueKeys = knownKeysAt([...placement.path, key.name, 0]);
  const listKeys = knownKeysAt([...listPath, 0]);
  const paths: string[] = [];
  let firstLine: number | undefined;
  for (const [below, item] of list.items.slice(index + 1).entries()) {
    if (!isMap(item) || item.flow) break;
    const names = item.items.flatMap((inner) => (isScalar(inner.key) ? [String(inner.key.value)] : []));
    // A key of neither kind, such as a misspelled one, is checked once the entry is in place.
    const ownKey = names.some((name) => valueKeys.includes(name) && !listKeys.includes(name));
    const listKey = names.some((name) => listKeys.includes(name) && !valueKeys.includes(name));
    if (!ownKey || listKey) break;
    paths.push(formatPath([...listPath, index + 1 + below]));
    firstLine ??= keys.source.positionOfOffset((item.items[0]?.key as Node | null)?.range?.[0] ?? 0).line;
  }
  if (firstLine === undefined) return undefined;
  return { paths, firstLine, list: listPath };
}

/**
 * Returns the fix of a duplicate key that follows a list entry whose `- ` slipped into the list
 * above it. With the `- email:` of a user entry indented like the grants of the entry above,
 * that email becomes a grant, and the new entry's other keys become duplicates of the entry
 * above. Deleting them, as a duplicate key's usual fix suggests, would lose the user.
 */
function slippedEntryFix(source: VarsSource, key: KeyAt): string | undefined {
  const container = containerOf(key);
  if (container.dashColumn === undefined || typeof container.path.at(-1) !== "number") return undefined;
  // The keys between the slipped entry and this one are duplicates too, so look past them.
  let slipped: (Placement & Partial<MappingAt>) | undefined;
  for (let below = key.index; below >= 1 && slipped === undefined; below--) {
    slipped = slippedEntryAbove(source, container, below, key.name);
    const above = container.map.items[below - 1] as Pair;
    if (!isScalar(above.key) || lacksKey(container.map.items.slice(0, below - 1), String(above.key.value)))
      break;
  }
  if (slipped?.dashColumn === undefined) return undefined;
  const list = formatPath(slipped.path.slice(0, -1));
  const ownList = formatPath(container.path.slice(0, -1));
  return (
    `the list entry at line ${slipped.line} is probably indented wrong: its "- " is in column ${slipped.dashColumn}, ` +
    `like the entries of ${list}, so this line reads as a second "${key.name}" of ${formatPath(container.path)}; ` +
    `move that "- " to column ${container.dashColumn}, like the entries of ${ownList}`
  );
}

/**
 * Returns the entry nested in the value of the key above `index` whose keys are all keys of an
 * entry of `container`'s own list and none of its own list, which is how a slipped entry reads.
 */
function slippedEntryAbove(
  source: VarsSource,
  container: MappingAt,
  index: number,
  name: string,
): (Placement & Partial<MappingAt>) | undefined {
  const entryKeys = knownKeysAt(container.path);
  return [...nestedAbove(source, container, index, name)].reverse().find((candidate) => {
    const map = candidate.map;
    if (map === undefined || typeof candidate.path.at(-1) !== "number") return false;
    const names = map.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : []));
    const ownKeys = knownKeysAt(candidate.path);
    return names.length > 0 && names.every((key) => entryKeys.includes(key) && !ownKeys.includes(key));
  });
}

/**
 * Returns the fix of a wrong type that an indentation slip caused, with the start of the
 * message to keep and the slipped key when the error is the slipped key's own, or undefined.
 * A key moved into a quota or the labels reads as a value of the wrong type (those mappings take
 * any key), and so do the keys below it. A key moved out of its mapping, to where the same key
 * exists, hides that key's value behind its own.
 */
function wrongTypeFix(
  keys: KeyIndex,
  path: string,
  placementOf: (key: KeyAt) => Placement | undefined,
  missingPaths: ReadonlySet<string>,
): { head: string; fix: string; slipped?: KeyAt } | undefined {
  const written = keys.byPath.get(path) ?? [];
  // A label with a number or boolean value is a label to quote, not a slip.
  const inFreeKeys = written.find((key) => {
    const mapping = containerOf(key);
    const owner = mapping.path.at(-1);
    if (owner === "namespace_labels") return !isScalarValue(mapping.map, key.index);
    return owner === "resource_quota";
  });
  if (inFreeKeys !== undefined) {
    const head =
      containerOf(inFreeKeys).path.at(-1) === "resource_quota"
        ? `"${inFreeKeys.name}" is not a quota resource name`
        : `"${inFreeKeys.name}" is not a label, because its value is not a string`;
    const following = followingKeyFix(keys, inFreeKeys, placementOf);
    if (following !== undefined) return { head, fix: following };
    const misplaced = misplacedKeyFix(keys.source, inFreeKeys, placementOf(inFreeKeys), missingPaths);
    if (misplaced !== undefined) return { head, fix: misplaced, slipped: inFreeKeys };
  }
  const later = written.slice(1).find((key) => placementOf(key) !== undefined);
  if (later === undefined) return undefined;
  return {
    head: `the value of "${later.name}" at line ${later.position.line} replaces the one at line ${(written[0] as KeyAt).position.line}`,
    fix: `line ${later.position.line} is probably indented wrong (see its error); once it is moved, this value is checked again`,
  };
}

/** Returns true when the value of the key at `index` is a scalar other than an empty value or null. */
function isScalarValue(map: YAMLMap, index: number): boolean {
  const value = (map.items[index] as Pair).value;
  return isScalar(value) && value.value !== null;
}

/** Returns the misplaced key that a required key reported missing at `path` stands for, or undefined. */
function slippedKeyOf(
  keys: KeyIndex,
  placementOf: (key: KeyAt) => Placement | undefined,
  path: string,
): KeyAt | undefined {
  return keys.all.find((key) => {
    if (!path.endsWith(key.name)) return false;
    const placement = placementOf(key);
    return placement !== undefined && formatPath([...placement.path, key.name]) === path;
  });
}

/** Returns true when the schema takes `name` as a key of the mapping at `path`. */
function acceptsKey(path: FieldPath, name: string): boolean {
  // A quota's keys are resource names, which the schema does not list.
  if (path.at(-1) === "resource_quota") return isQuotaResourceName(name);
  return knownKeysAt(path).includes(name);
}

/** Returns true for a value left empty (`key:` and nothing after it), which `~` or `null` is not. */
function isEmptyValue(source: VarsSource, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (!isScalar(value) || value.value !== null) return false;
  const [start, end] = value.range ?? [0, 0];
  return source.text.slice(start, end).trim() === "";
}

function lacksKey(pairs: readonly Pair[], name: string): boolean {
  return !pairs.some((pair) => isScalar(pair.key) && String(pair.key.value) === name);
}

/**
 * Returns the block mappings that end just above the key at `index` of `container`: the value of
 * the key above it, then the last mapping inside that, and so on, each indented past the
 * container. An empty value of the key above is a place too, two columns past that key.
 */
function nestedAbove(
  source: VarsSource,
  container: MappingAt,
  index: number,
  name: string,
): (Placement & Partial<MappingAt>)[] {
  const above = container.map.items[index - 1];
  if (above === undefined || !isScalar(above.key)) return [];
  const aboveKey = String(above.key.value);
  let path: FieldPath = [...container.path, aboveKey];
  if (isEmptyValue(source, above.value)) {
    const position = source.positionOfOffset(above.key.range?.[0] ?? 0);
    return [{ path, column: position.column + 2, line: position.line, afterKey: aboveKey }];
  }

  const found: MappingAt[] = [];
  let node: unknown = above.value;
  let dashColumn: number | undefined;
  for (;;) {
    if (isSeq(node) && !node.flow && node.items.length > 0) {
      dashColumn = source.positionOfOffset(node.range?.[0] ?? 0).column;
      path = [...path, node.items.length - 1];
      node = node.items.at(-1);
      continue;
    }
    if (!isMap(node) || node.flow || node.items.length === 0) break;
    const mapping = mappingAt(source, node, path, dashColumn);
    dashColumn = undefined;
    if (mapping.column <= container.column) break;
    found.push(mapping);
    const last = node.items.at(-1) as Pair;
    if (!isScalar(last.key)) break;
    path = [...path, String(last.key.value)];
    node = last.value;
  }
  return found.filter((mapping) => lacksKey(mapping.map.items, name));
}
