/**
 * Incremental loading of a vars file that changed in a few `users.users` entries.
 *
 * After a fast-path load, reconcile keeps a snapshot in the local cache: the text, where each
 * `users.users` entry starts, the plain data of everything but those entries, the deployment
 * model. The next load of the same file compares the new text with the snapshot's text. When every changed line lies inside `users.users` entries, only
 * those entries are parsed, and the checks run on a reduced file: every setting, the changed
 * entries, and the unchanged entries that share an identity key with a changed one. Entries
 * between two changes whose text stayed byte for byte the same count as unchanged.
 *
 * Why the reduced file gives the full file's verdict: the previous text passed every check,
 * and the settings did not change. A rule that looks at one entry (with the settings) can find
 * a new problem only in a changed entry. A rule that compares entries keys them by email
 * (exact or ignoring case), username, or contributor object name, so a new conflict pairs a
 * changed entry with one that has the same key, and both are in the reduced file.
 *
 * Warnings are reported for the changed entries only: the unchanged ones were reported when
 * they were loaded, and `cake validate` lists every warning of a file.
 *
 * When this module cannot prove its result equal to a full load, it returns undefined and the
 * caller loads the whole file. That covers an error anywhere, a change outside `users.users`,
 * an entry boundary that moved, text the fast path refuses, and an old entry that no longer
 * parses to the model. A test compares this path with the full load on thousands of random edits.
 */
import jsyaml from "js-yaml";
import { bindingName } from "../model/names.js";
import type { Deployment, User } from "../model/types.js";
import { CAKE_VERSION } from "../version.js";
import type { Diagnostic } from "./diagnostics.js";
import { needsFullLoad } from "./fast-load.js";
import { DiagnosticSource } from "./field-path.js";
import { normalizeVars } from "./normalize.js";
import { buildView } from "./rules/context.js";
import { emailLookalikeKey } from "./rules/emails.js";
import { RULES } from "./rules/index.js";
import { checkSchema } from "./schema-phase.js";

const SNAPSHOT_VERSION = 1;

/** The state a later load of the changed file reuses. It is JSON-serializable and kept in the local cache. */
export interface LoadSnapshot {
  snapshotVersion: number;
  cakeVersion: string;
  file: string;
  outputPath: string;
  expectedName: string;
  /** Column of the `-` of every `users.users` entry. */
  itemIndent: number;
  /** Offset of the line where each `users.users` entry starts, in file order. */
  itemStarts: number[];
  /** Offset of the line after the last entry (its trailing blank and comment lines included). */
  sequenceEnd: number;
  /** Username of each entry, in file order. */
  itemUsernames: string[];
  /** Contributor object name of each entry's email, in file order (see `identityKeys`). */
  itemBindingNames: string[];
  /** The plain data of the file with an empty `users.users` list. */
  settings: Record<string, unknown>;
  deployment: Deployment;
}

/** The layout of the `users.users` entries in a text. */
export interface EntryLayout {
  /** Column of the `-` of every entry. */
  itemIndent: number;
  /** Offset of the line where each entry starts, in file order. */
  itemStarts: number[];
  /** Offset of the line after the last entry. */
  sequenceEnd: number;
}

export interface LoadOptionsForSnapshot {
  file: string;
  outputPath: string;
  expectedName: string;
}

/** The result of an incremental load. */
export interface IncrementalLoad {
  deployment: Deployment;
  /** Warnings of the changed entries, without positions (the caller adds them), in load order. */
  warnings: Diagnostic[];
  snapshot: LoadSnapshot;
  /**
   * Profiles whose generated file may differ from the snapshot's: the changed users' own
   * profiles and every namespace they were or are granted. Other profiles have the same
   * inputs as before.
   */
  affectedProfiles: Set<string>;
}

/**
 * Returns the snapshot of a file loaded through the fast path, or undefined when its
 * `users.users` entries are not laid out as one block sequence this module can split.
 */
export function createSnapshot(
  text: string,
  data: unknown,
  deployment: Deployment,
  options: LoadOptionsForSnapshot,
): LoadSnapshot | undefined {
  if (text.includes("\r")) return undefined;
  const items = rawItems(data);
  if (items === undefined) return undefined;
  const layout = scanEntries(text);
  if (layout === undefined || layout.itemStarts.length !== items.length) return undefined;

  const usernames: string[] = [];
  const bindingNames: string[] = [];
  for (const item of items) {
    const { username, email } = item as { username?: unknown; email?: unknown };
    if (typeof username !== "string" || typeof email !== "string") return undefined;
    usernames.push(username);
    bindingNames.push(bindingName(email, "edit"));
  }
  return {
    snapshotVersion: SNAPSHOT_VERSION,
    cakeVersion: CAKE_VERSION,
    ...options,
    ...layout,
    itemUsernames: usernames,
    itemBindingNames: bindingNames,
    settings: withUsers(data as Record<string, unknown>, []),
    deployment,
  };
}

/** Returns true when `snapshot` was made by this cake version for the same file and folder. */
export function snapshotApplies(
  snapshot: unknown,
  options: LoadOptionsForSnapshot,
): snapshot is LoadSnapshot {
  if (typeof snapshot !== "object" || snapshot === null) return false;
  const candidate = snapshot as Partial<LoadSnapshot>;
  return (
    candidate.snapshotVersion === SNAPSHOT_VERSION &&
    candidate.cakeVersion === CAKE_VERSION &&
    candidate.file === options.file &&
    candidate.outputPath === options.outputPath &&
    candidate.expectedName === options.expectedName &&
    Array.isArray(candidate.itemStarts) &&
    Array.isArray(candidate.itemUsernames) &&
    Array.isArray(candidate.itemBindingNames) &&
    typeof candidate.settings === "object" &&
    typeof candidate.deployment === "object"
  );
}

/**
 * Loads `text`, the new content of the file `snapshot` describes (whose text was
 * `previousText`), by re-reading only the changed `users.users` entries. Returns undefined
 * when the result could differ from a full load in any way; the caller then loads the file whole.
 */
export function loadIncrementally(
  previousText: string,
  snapshot: LoadSnapshot,
  text: string,
): IncrementalLoad | undefined {
  if (text.includes("\r")) return undefined;
  // The same text, loaded again because the output changed: the snapshot is its load.
  if (previousText === text) {
    return { deployment: snapshot.deployment, warnings: [], snapshot, affectedProfiles: new Set() };
  }
  const region = changedRegion(previousText, text, snapshot);
  if (region === undefined) return undefined;

  const { first, last, start, newEnd } = region;
  // The entries after the region must still start on a line of their own. Joining a line
  // onto the one before (a deleted line break) can put them in a comment or a scalar.
  if (newEnd < text.length && text[newEnd - 1] !== "\n") return undefined;
  const regionText = text.slice(start, newEnd);
  const newStarts = entryStartsIn(regionText, snapshot.itemIndent);
  if (newStarts === undefined) return undefined;
  // No entry left: the list's value is empty (null) even when comments stay, which only the
  // full load reports right.
  if (snapshot.itemStarts.length - (last - first) + newStarts.length === 0) return undefined;
  // The features that only the full load handles are looked for in the whole region, though
  // only its changed entries are parsed.
  if (needsFullLoad(regionText)) return undefined;

  const boundary = (index: number): number =>
    index < snapshot.itemStarts.length ? (snapshot.itemStarts[index] as number) : snapshot.sequenceEnd;
  const newEntryText = (index: number): string =>
    regionText.slice(
      newStarts[index],
      index + 1 < newStarts.length ? newStarts[index + 1] : regionText.length,
    );
  const changes = changedEntries(
    Array.from({ length: last - first }, (_, index) =>
      previousText.slice(boundary(first + index), boundary(first + index + 1)),
    ),
    Array.from({ length: newStarts.length }, (_, index) => newEntryText(index)),
  );
  // The indexes of the old and the new entries that changed, in the old and the new list.
  const changedOld = changes.old.map((index) => first + index);
  const changedNew = changes.new.map((index) => first + index);
  const newItems = parseEntries(changes.new.map(newEntryText).join(""), changedNew.length);
  const oldItems = parseEntries(
    changedOld.map((index) => previousText.slice(boundary(index), boundary(index + 1))).join(""),
    changedOld.length,
  );
  if (newItems === undefined || oldItems === undefined) return undefined;

  // The old entries must parse to exactly the users of the snapshot: this proves that the
  // region's boundaries are entry boundaries of the old text.
  const oldUsernames = changedOld.map((index) => snapshot.itemUsernames[index] as string);
  const oldUsers = normalizedUsers(snapshot, oldItems);
  if (oldUsers === undefined || oldUsers.length !== oldUsernames.length) return undefined;
  const oldNames = new Set(oldUsernames);
  for (const user of oldUsers) {
    const known = snapshot.deployment.users[findUser(snapshot.deployment.users, user.username)];
    if (
      !oldNames.has(user.username) ||
      known === undefined ||
      JSON.stringify(known) !== JSON.stringify(user)
    ) {
      return undefined;
    }
  }

  // Where each old entry outside the changed ones starts and ends in the new text, by its
  // index in the new text.
  const lengthChange = text.length - previousText.length;
  const newIndexOfUnchanged = new Map<number, number>();
  changes.kept.forEach(([oldIndex, newIndex]) => {
    newIndexOfUnchanged.set(first + oldIndex, first + newIndex);
  });
  const newItemStarts = [
    ...snapshot.itemStarts.slice(0, first),
    ...newStarts.map((offset) => offset + start),
    ...snapshot.itemStarts.slice(last).map((offset) => offset + lengthChange),
  ];
  const newSequenceEnd = snapshot.sequenceEnd + lengthChange;
  const shift = newStarts.length - (last - first);
  const located = (oldIndex: number): { newIndex: number; from: number; to: number } => {
    const newIndex =
      oldIndex < first
        ? oldIndex
        : oldIndex >= last
          ? oldIndex + shift
          : (newIndexOfUnchanged.get(oldIndex) as number);
    const to = newIndex + 1 < newItemStarts.length ? (newItemStarts[newIndex + 1] as number) : newSequenceEnd;
    return { newIndex, from: newItemStarts[newIndex] as number, to };
  };

  const checked = checkReduced(snapshot, text, new Set(changedOld), located, changedNew, newItems);
  if (checked === undefined) return undefined;

  const users = replaceUsers(snapshot.deployment.users, oldUsernames, checked.newUsers);
  const deployment: Deployment = { ...snapshot.deployment, users };

  // The full load reports each code's warnings in entry order.
  const order = (warning: Diagnostic): number => userIndexOf(warning.path) ?? -1;
  const warnings = checked.newWarnings.sort((a, b) => compare(a.code, b.code) || order(a) - order(b));

  // The region's entries in the new text: unchanged ones keep their old username and binding.
  const parsedByNewIndex = new Map(
    changedNew.map((newIndex, offset) => [newIndex, newItems[offset] as { username: string; email: string }]),
  );
  const oldIndexOfKept = new Map(
    changes.kept.map(([oldIndex, newIndex]) => [first + newIndex, first + oldIndex]),
  );
  const regionUsernames: string[] = [];
  const regionBindings: string[] = [];
  for (let newIndex = first; newIndex < first + newStarts.length; newIndex++) {
    const parsed = parsedByNewIndex.get(newIndex);
    const oldIndex = oldIndexOfKept.get(newIndex) as number;
    regionUsernames.push(
      parsed === undefined ? (snapshot.itemUsernames[oldIndex] as string) : parsed.username,
    );
    regionBindings.push(
      parsed === undefined
        ? (snapshot.itemBindingNames[oldIndex] as string)
        : bindingName(parsed.email, "edit"),
    );
  }
  const splice = <T>(values: T[], replacement: T[]): T[] => [
    ...values.slice(0, first),
    ...replacement,
    ...values.slice(last),
  ];

  return {
    deployment,
    warnings,
    snapshot: {
      // Field by field, so that nothing a stored snapshot carries beyond this type survives.
      snapshotVersion: SNAPSHOT_VERSION,
      cakeVersion: CAKE_VERSION,
      file: snapshot.file,
      outputPath: snapshot.outputPath,
      expectedName: snapshot.expectedName,
      itemIndent: snapshot.itemIndent,
      settings: snapshot.settings,
      itemStarts: newItemStarts,
      sequenceEnd: newSequenceEnd,
      itemUsernames: splice(snapshot.itemUsernames, regionUsernames),
      itemBindingNames: splice(snapshot.itemBindingNames, regionBindings),
      deployment,
    },
    affectedProfiles: affectedProfiles([...oldUsers, ...checked.newUsers]),
  };
}

/**
 * Returns which entries of a changed run of entries changed, by their texts before and after.
 * `kept` pairs an old entry with the new one of the same text, in order. `old` and `new` list
 * the indexes of the others. A change spread over the file, such as an import of 100
 * rows, then re-reads 100 entries instead of every entry between the first and the last.
 * Two entries of a valid file never have the same text (their emails differ), so a text
 * names one old entry.
 */
function changedEntries(
  oldTexts: readonly string[],
  newTexts: readonly string[],
): { kept: [number, number][]; old: number[]; new: number[] } {
  const oldIndexOf = new Map(oldTexts.map((text, index) => [text, index]));
  const kept: [number, number][] = [];
  let lastOld = -1;
  newTexts.forEach((text, newIndex) => {
    const oldIndex = oldIndexOf.get(text);
    // Matches keep the order of both lists; an entry moved before an earlier one counts as changed.
    if (oldIndex !== undefined && oldIndex > lastOld) {
      kept.push([oldIndex, newIndex]);
      lastOld = oldIndex;
    }
  });
  const keptOld = new Set(kept.map(([oldIndex]) => oldIndex));
  const keptNew = new Set(kept.map(([, newIndex]) => newIndex));
  return {
    kept,
    old: oldTexts.flatMap((_, index) => (keptOld.has(index) ? [] : [index])),
    new: newTexts.flatMap((_, index) => (keptNew.has(index) ? [] : [index])),
  };
}

interface Region {
  /** Index of the first replaced entry. */
  first: number;
  /** Index after the last replaced entry. */
  last: number;
  /** Offset where the region starts, the same in both texts. */
  start: number;
  /** Offset after the region in the old text. */
  oldEnd: number;
  /** Offset after the region in the new text. */
  newEnd: number;
}

/**
 * Returns the smallest run of whole entries of the old text that contains every changed
 * character, with the matching part of the new text, or undefined when text outside the
 * entries changed.
 */
function changedRegion(previousText: string, text: string, snapshot: LoadSnapshot): Region | undefined {
  const { itemStarts, sequenceEnd } = snapshot;
  if (itemStarts.length === 0) return undefined;

  const prefix = commonPrefix(previousText, text);
  const suffix = commonSuffix(previousText, text, Math.min(previousText.length, text.length) - prefix);
  // Whole lines: from the start of the first changed line to the end of the last one.
  const changedStart = prefix === 0 ? 0 : previousText.lastIndexOf("\n", prefix - 1) + 1;
  // The last changed character, or for a pure insertion the character after it.
  const changedTo = Math.max(previousText.length - suffix - 1, prefix);
  const lineEnd = previousText.indexOf("\n", changedTo);
  const changedEnd = lineEnd < 0 ? previousText.length : lineEnd + 1;
  if (changedStart < (itemStarts[0] as number) || changedEnd > sequenceEnd) return undefined;

  // The entry that contains the first changed line; a change just after the last entry
  // (a user appended) extends the last entry. A change that starts on an entry's first line
  // may belong to the end of the entry before it. A line added there shares its leading
  // spaces with the next entry's first line, so the common prefix stops inside that line.
  // The region then starts one entry earlier.
  const containing = upperBound(itemStarts, changedStart) - 1;
  const first = containing > 0 && itemStarts[containing] === changedStart ? containing - 1 : containing;
  if (first < 0) return undefined;
  const start = itemStarts[first] as number;

  // The first entry boundary at or after the end of the last changed line.
  let last = first;
  const boundary = (index: number): number =>
    index < itemStarts.length ? (itemStarts[index] as number) : sequenceEnd;
  while (last < itemStarts.length && boundary(last) < changedEnd) last++;
  const oldEnd = boundary(last);
  return { first, last, start, oldEnd, newEnd: oldEnd + text.length - previousText.length };
}

const CHUNK = 4096;

/** Returns the length of the common prefix of `a` and `b`, comparing whole chunks first. */
function commonPrefix(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let index = 0;
  while (index + CHUNK <= limit && a.slice(index, index + CHUNK) === b.slice(index, index + CHUNK))
    index += CHUNK;
  while (index < limit && a.charCodeAt(index) === b.charCodeAt(index)) index++;
  return index;
}

/** Returns the length of the common suffix of `a` and `b`, at most `limit`. */
function commonSuffix(a: string, b: string, limit: number): number {
  let length = 0;
  while (
    length + CHUNK <= limit &&
    a.slice(a.length - length - CHUNK, a.length - length) ===
      b.slice(b.length - length - CHUNK, b.length - length)
  ) {
    length += CHUNK;
  }
  while (length < limit && a.charCodeAt(a.length - 1 - length) === b.charCodeAt(b.length - 1 - length))
    length++;
  return length;
}

/**
 * Returns the offset where each entry starts in `text`, or undefined when the text is not a
 * run of whole entries at `indent`: an entry must start it, and no line may end the sequence.
 */
function entryStartsIn(text: string, indent: number): number[] | undefined {
  const starts: number[] = [];
  let offset = 0;
  for (const line of text.split("\n")) {
    const lineStart = offset;
    offset += line.length + 1;
    if (isBlankOrComment(line)) continue;
    const column = indentOf(line);
    if (column > indent) {
      if (starts.length === 0) return undefined;
      continue;
    }
    if (column < indent || !isEntryStart(line, indent)) return undefined;
    starts.push(lineStart);
  }
  if (starts.length > 0 && starts[0] !== 0) return undefined;
  return starts;
}

/** Parses a run of entries as the fast path would, or returns undefined. */
function parseEntries(text: string, expected: number): unknown[] | undefined {
  if (expected === 0) return text.split("\n").every(isBlankOrComment) ? [] : undefined;
  if (needsFullLoad(text)) return undefined;
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    return undefined;
  }
  return Array.isArray(data) && data.length === expected ? data : undefined;
}

/** Normalizes `items` with the snapshot's settings, or returns undefined when they do not pass the schema. */
function normalizedUsers(snapshot: LoadSnapshot, items: unknown[]): User[] | undefined {
  const data = withUsers(snapshot.settings, items);
  const schema = checkSchema(new DiagnosticSource(snapshot.file, "", data), data);
  if (schema.vars === undefined) return undefined;
  return normalizeVars(schema.vars, snapshot).users;
}

/**
 * Runs the schema and every rule on the settings, the new entries, and the unchanged entries
 * that share an identity key with a new entry. Returns the new entries' users and warnings
 * (paths as in the new file), or undefined when any check reports an error.
 */
function checkReduced(
  snapshot: LoadSnapshot,
  text: string,
  changedOld: ReadonlySet<number>,
  located: (oldIndex: number) => { newIndex: number; from: number; to: number },
  changedNew: readonly number[],
  newItems: unknown[],
): { newUsers: User[]; newWarnings: Diagnostic[] } | undefined {
  const keys = identityKeys(newItems);

  // Unchanged entries whose key matches, re-read from the new text. The users are scanned in
  // the model's order, with lookalike keys kept between the loads of an import's rows, and each
  // match is then found in the file's order by username.
  const { users } = snapshot.deployment;
  const lookalikes = lookalikeKeysOf(users);
  const matchedNames = new Set<string>();
  users.forEach((user, index) => {
    if (
      keys.usernames.has(user.username) ||
      keys.emails.has(user.email) ||
      keys.emails.has(lookalikes[index] as string)
    ) {
      matchedNames.add(user.username);
    }
  });
  const sharing: number[] = [];
  snapshot.itemUsernames.forEach((username, index) => {
    if (changedOld.has(index)) return;
    if (matchedNames.has(username) || keys.bindings.has(snapshot.itemBindingNames[index] as string)) {
      sharing.push(index);
    }
  });

  const entries: { item: unknown; newIndex: number; changed: boolean }[] = [];
  for (const index of sharing) {
    const { newIndex, from, to } = located(index);
    const parsed = parseEntries(text.slice(from, to), 1);
    if (parsed === undefined) return undefined;
    entries.push({ item: parsed[0], newIndex, changed: false });
  }
  newItems.forEach((item, offset) => {
    entries.push({ item, newIndex: changedNew[offset] as number, changed: true });
  });
  entries.sort((a, b) => a.newIndex - b.newIndex);

  const data = withUsers(
    snapshot.settings,
    entries.map((entry) => entry.item),
  );
  const source = new DiagnosticSource(snapshot.file, "", data);
  const schema = checkSchema(source, data);
  if (schema.vars === undefined || schema.diagnostics.length > 0) return undefined;
  const context = { source, view: buildView(data), expectedName: snapshot.expectedName };
  const newWarnings: Diagnostic[] = [];
  for (const rule of RULES) {
    for (const diagnostic of rule.check(context)) {
      if (diagnostic.severity === "error") return undefined;
      // Only the changed entries' warnings are new; the others were reported when loaded.
      const reduced = userIndexOf(diagnostic.path);
      const entry = reduced === undefined ? undefined : entries[reduced];
      if (entry?.changed) newWarnings.push(withUserIndex(diagnostic, entry.newIndex));
    }
  }

  const changedNames = new Set(newItems.map((item) => (item as { username?: unknown }).username));
  const newUsers = normalizeVars(schema.vars, snapshot).users.filter((user) =>
    changedNames.has(user.username),
  );
  if (newUsers.length !== newItems.length) return undefined;
  return { newUsers, newWarnings };
}

/**
 * Returns the keys of `items` by which rules compare entries with each other: each email,
 * exactly and as `emailLookalikeKey` gives it (lower case, NFC), each username, and the
 * contributor object name each email gives. `checkReduced` matches the unchanged entries by
 * the same keys.
 * NOTE: a new rule that compares entries by another key must add that key here and there.
 */
function identityKeys(items: readonly unknown[]): {
  emails: Set<string>;
  usernames: Set<string>;
  bindings: Set<string>;
} {
  const keys = { emails: new Set<string>(), usernames: new Set<string>(), bindings: new Set<string>() };
  for (const item of items) {
    if (typeof item !== "object" || item === null) continue;
    const { email, username } = item as { email?: unknown; username?: unknown };
    if (typeof email === "string") {
      keys.emails.add(email).add(emailLookalikeKey(email));
      keys.bindings.add(bindingName(email, "edit"));
    }
    if (typeof username === "string") keys.usernames.add(username);
  }
  return keys;
}

const USER_PATH = /^users\.users\[(\d+)\]/;

function userIndexOf(path: string): number | undefined {
  const match = USER_PATH.exec(path);
  return match ? Number(match[1]) : undefined;
}

function withUserIndex(diagnostic: Diagnostic, index: number): Diagnostic {
  return { ...diagnostic, path: diagnostic.path.replace(USER_PATH, `users.users[${index}]`) };
}

/** Returns the changed users' own profiles and every namespace they were or are granted. */
function affectedProfiles(users: User[]): Set<string> {
  const names = new Set<string>();
  for (const user of users) {
    names.add(user.username);
    for (const grant of user.allowedNamespaces) names.add(grant.namespace);
  }
  return names;
}

/**
 * Finds the `users.users` block sequence (or `users.<sequence>`) in the lines of a file that
 * js-yaml parsed: the top-level `users:` key, its `users:` key, then every line at the
 * sequence's indent that starts with `-`. Returns undefined for any other layout, such as a
 * flow sequence.
 */
export function scanEntries(
  text: string,
  sequence: "users" | "deploy_namespaces" = "users",
): EntryLayout | undefined {
  const sequenceKey = new RegExp(`^ *${sequence}:[ ]*(#.*)?$`);
  const lines = text.split("\n");
  let index = lines.findIndex((line) => /^users:[ ]*(#.*)?$/.test(line));
  if (index < 0) return undefined;

  // The child keys of `users` share the indent of its first child.
  let childIndent = -1;
  for (index++; index < lines.length; index++) {
    const line = lines[index] as string;
    if (isBlankOrComment(line)) continue;
    const column = indentOf(line);
    if (column === 0) return undefined;
    if (childIndent < 0) childIndent = column;
    if (column === childIndent && sequenceKey.test(line)) break;
  }
  if (index >= lines.length) return undefined;

  const itemStarts: number[] = [];
  let itemIndent = -1;
  for (index++; index < lines.length; index++) {
    const line = lines[index] as string;
    if (isBlankOrComment(line)) continue;
    const column = indentOf(line);
    if (itemIndent < 0) {
      if (column < childIndent || !isEntryStart(line, column)) return undefined;
      itemIndent = column;
    }
    if (column > itemIndent) continue;
    if (column < itemIndent || !isEntryStart(line, itemIndent)) break;
    itemStarts.push(index);
  }
  if (itemIndent < 0) return undefined;
  // Trailing blank and comment lines belong to the last entry.
  const offsets: number[] = [];
  let offset = 0;
  for (let line = 0; line < index; line++) {
    offsets.push(offset);
    offset += (lines[line] as string).length + 1;
  }
  const lineOffset = (line: number): number => (line < offsets.length ? (offsets[line] as number) : offset);
  return {
    itemIndent,
    itemStarts: itemStarts.map(lineOffset),
    sequenceEnd: Math.min(lineOffset(index), text.length),
  };
}

function isBlankOrComment(line: string): boolean {
  return /^ *(#.*)?$/.test(line);
}

/** Returns the number of spaces that start `line`. */
export function indentOf(line: string): number {
  let column = 0;
  while (line.charCodeAt(column) === 32) column++;
  return column;
}

function isEntryStart(line: string, indent: number): boolean {
  if (line.charCodeAt(indent) !== 45 /* - */) return false;
  const next = line.charCodeAt(indent + 1);
  return Number.isNaN(next) || next === 32;
}

function rawItems(data: unknown): unknown[] | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const users = (data as { users?: unknown }).users;
  if (typeof users !== "object" || users === null) return undefined;
  const items = (users as { users?: unknown }).users;
  return Array.isArray(items) ? items : undefined;
}

function withUsers(data: Record<string, unknown>, items: unknown[]): Record<string, unknown> {
  const users = data.users as Record<string, unknown>;
  return { ...data, users: { ...users, users: items } };
}

/**
 * `emailLookalikeKey` of each user's email, by the users array of a snapshot's model. Unicode
 * normalization costs about 4 ms per 50k emails, which an import would pay for every row.
 */
const lookalikeKeys = new WeakMap<readonly User[], string[]>();

function lookalikeKeysOf(users: readonly User[]): string[] {
  let keys = lookalikeKeys.get(users);
  if (keys === undefined) {
    keys = users.map((user) => emailLookalikeKey(user.email));
    lookalikeKeys.set(users, keys);
  }
  return keys;
}

/**
 * Returns the index of the user named `username` in `users`, sorted by username as the model
 * keeps them, or -1.
 */
function findUser(users: readonly User[], username: string): number {
  const index = usersBefore(users, username);
  return users[index]?.username === username ? index : -1;
}

/**
 * Returns the model's users without the users named `removed` and with `added`, in the full
 * load's order: by username, with an added user after a kept one of the same name. The
 * result's lookalike keys come from those of `users`, so a chain of loads computes each once.
 */
function replaceUsers(users: readonly User[], removed: readonly string[], added: readonly User[]): User[] {
  const known = lookalikeKeys.get(users);
  const result = users.slice();
  const keys = known?.slice();
  for (const username of removed) {
    const index = findUser(result, username);
    if (index < 0) continue;
    result.splice(index, 1);
    keys?.splice(index, 1);
  }
  for (const user of added) {
    const index = usersBefore(result, user.username, true);
    result.splice(index, 0, user);
    keys?.splice(index, 0, emailLookalikeKey(user.email));
  }
  if (keys !== undefined) lookalikeKeys.set(result, keys);
  return result;
}

/**
 * Returns the first index in `0..length` for which `before` is false, when it is true for every
 * index below some point and false from there on (a binary search).
 */
function partitionPoint(length: number, before: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(middle)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Returns the number of sorted `values` that are at most `target`. */
function upperBound(values: readonly number[], target: number): number {
  return partitionPoint(values.length, (index) => (values[index] as number) <= target);
}

/** Returns the number of `users`, sorted by username, whose username sorts before `username` (`orEqual`: or equals it). */
function usersBefore(users: readonly User[], username: string, orEqual = false): number {
  return partitionPoint(users.length, (index) => {
    const order = compare((users[index] as User).username, username);
    return order < 0 || (orEqual && order === 0);
  });
}

function compare(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
