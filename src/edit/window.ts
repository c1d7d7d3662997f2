/**
 * Edits of a few `users.users` entries of a large vars file without parsing the whole file.
 * A window is the file with every other entry left out: the text before the first entry, the
 * chosen entries with their neighbours, the last two entries and the text after the sequence.
 * An edit of the window is carried back into the file, as text or as splices.
 *
 * The comment-preserving parse costs time in the size of the text: about 0.7 seconds for a
 * 10k-user file on a 2-core machine. The user commands edit a window instead, and
 * `cake user import` edits one window per row, where parsing the whole file for every row would
 * cost time in rows times users. Entry boundaries come from the load snapshot of the text
 * (see `config/incremental.ts`); the whole file's style comes from a line scan (`style-scan.ts`).
 */
import type { LoadSnapshot } from "../config/incremental.js";
import { assertAnchorsKept } from "./anchors.js";
import { VarsDocument } from "./document.js";
import type { EditTarget } from "./session.js";
import { scanFileStyle } from "./style-scan.js";
import { applySplices, OverlappingSplices, type Splice } from "./text.js";
import {
  type FileStyle,
  type FileStyleCounts,
  fileStyleOf,
  type UserIdentity,
  type WholeFile,
} from "./users.js";

export interface EntryWindow {
  text: string;
  /** Runs of consecutive entries, with their offsets in the window and in the file. */
  runs: readonly WindowRun[];
  /**
   * Every part of the window in order, with its offsets in the window and in the file: the
   * text before the first entry, the runs and the text after the sequence. Parts that are
   * adjacent in the file are one segment.
   */
  segments: readonly WindowRun[];
}

interface WindowRun {
  windowStart: number;
  windowEnd: number;
  fileStart: number;
  fileEnd: number;
}

/**
 * Returns the window of `text` that contains the entries at `indexes` with the entry before and
 * after each, and the last two entries. An edit reads the lines around the entry it changes:
 * removing one decides whether a blank line after it goes by the line above it, which in the
 * file is the end of the entry before. The last entries give an added user its neighbour, and
 * the line before the last entry, so the new entry follows their layout (see `appendToSequence`).
 */
export function entryWindow(text: string, snapshot: LoadSnapshot, indexes: readonly number[]): EntryWindow {
  const { itemStarts, sequenceEnd } = snapshot;
  const count = itemStarts.length;
  const neighbours = indexes.flatMap((index) => [index - 1, index, index + 1]);
  const chosen = [...new Set([...neighbours, count - 2, count - 1])]
    .filter((index) => index >= 0 && index < count)
    .sort((a, b) => a - b);
  const entryEnd = (index: number): number =>
    index + 1 < count ? (itemStarts[index + 1] as number) : sequenceEnd;

  const parts: string[] = [text.slice(0, itemStarts[0] ?? sequenceEnd)];
  let length = parts[0]?.length ?? 0;
  const runs: WindowRun[] = [];
  for (const index of chosen) {
    const start = itemStarts[index] as number;
    const end = entryEnd(index);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.fileEnd === start) {
      last.fileEnd = end;
      last.windowEnd += end - start;
    } else {
      runs.push({ windowStart: length, windowEnd: length + end - start, fileStart: start, fileEnd: end });
    }
    parts.push(text.slice(start, end));
    length += end - start;
  }
  parts.push(text.slice(sequenceEnd));
  const prefixEnd = itemStarts[0] ?? sequenceEnd;
  const segments: WindowRun[] = [];
  for (const part of [
    { windowStart: 0, windowEnd: prefixEnd, fileStart: 0, fileEnd: prefixEnd },
    ...runs,
    {
      windowStart: length,
      windowEnd: length + text.length - sequenceEnd,
      fileStart: sequenceEnd,
      fileEnd: text.length,
    },
  ]) {
    const last = segments[segments.length - 1];
    if (last !== undefined && last.fileEnd === part.fileStart) {
      last.fileEnd = part.fileEnd;
      last.windowEnd = part.windowEnd;
    } else {
      segments.push({ ...part });
    }
  }
  return { text: parts.join(""), runs, segments };
}

/**
 * Returns the splices of a window's text as splices of the file. Returns undefined when a
 * splice crosses from one segment into another, or inserts where two segments meet, because
 * the file has other entries there.
 */
export function fileSplices(window: EntryWindow, splices: readonly Splice[]): Splice[] | undefined {
  const mapped: Splice[] = [];
  for (const splice of splices) {
    const holders = window.segments.filter(
      (segment) => segment.windowStart <= splice.start && splice.end <= segment.windowEnd,
    );
    const segment = holders[0];
    if (segment === undefined || holders.length > 1) return undefined;
    const shift = segment.fileStart - segment.windowStart;
    mapped.push({ start: splice.start + shift, end: splice.end + shift, text: splice.text });
  }
  return mapped;
}

/**
 * Applies the splices that `step` computes on a window of the target's text that contains the
 * entries at `indexes`, the settings and the last entries. The step gets the whole file's
 * style. Without entry boundaries or a known style, when a splice cannot be placed in the
 * file, or when splices overlap, `whole` edits the whole text instead.
 */
export function spliceWindow(
  target: EditTarget,
  indexes: readonly number[],
  step: (vars: VarsDocument, style: FileStyle) => Splice[],
  whole: () => string,
): string {
  const counted = indexes.includes(-1) ? undefined : countedFile(target);
  if (counted === undefined || target.load === undefined) return whole();
  const window = entryWindow(target.text, target.load.snapshot, indexes);
  const vars = new VarsDocument(window.text);
  const windowSplices = step(vars, counted.style);
  // A window leaves out entries, so this check finds only the aliases inside it. Files with
  // anchors get no window, because the style scan does not read them, so the check is a second
  // line of defence.
  assertAnchorsKept(vars, windowSplices);
  const splices = fileSplices(window, windowSplices);
  if (splices === undefined) return whole();
  try {
    return applySplices(target.text, splices);
  } catch (error) {
    if (error instanceof OverlappingSplices) return whole();
    throw error;
  }
}

/**
 * Returns `text` with the change that turned `window.text` into `edited`, or undefined when
 * the change is not inside one run of entries (then the caller edits the whole text).
 * A change at the end of a run, such as an appended entry, belongs to that run.
 */
export function applyWindowEdit(text: string, window: EntryWindow, edited: string): string | undefined {
  if (edited === window.text) return text;
  for (const run of window.runs) {
    const before = window.text.slice(0, run.windowStart);
    const after = window.text.slice(run.windowEnd);
    if (edited.length < before.length + after.length) continue;
    if (!edited.startsWith(before) || !edited.endsWith(after)) continue;
    const replaced = edited.slice(run.windowStart, edited.length - after.length);
    return text.slice(0, run.fileStart) + replaced + text.slice(run.fileEnd);
  }
  return undefined;
}

/** The facts about the whole file that windows of it need, with the style counts they come from. */
export interface CountedFile extends WholeFile {
  counts: FileStyleCounts;
  users: UserIdentity[];
}

/**
 * Returns the style and users of the target's text without the `yaml` Document, or undefined
 * when its windows cannot be edited: the load gave no entry boundaries, or the line scan does
 * not read the file's style.
 */
export function countedFile(target: EditTarget): CountedFile | undefined {
  const load = target.load;
  if (load === undefined || load.text !== target.text) return undefined;
  const counts = scanFileStyle(target.text);
  if (counts === undefined) return undefined;
  // The snapshot exists only when every entry has a string email and username, and a valid
  // file has no two entries with one username, so the username finds each entry's email.
  const emails = new Map(target.deployment.users.map((user) => [user.username, user.email]));
  return {
    counts,
    style: fileStyleOf(counts),
    users: load.snapshot.itemUsernames.map((username) => ({ email: emails.get(username), username })),
  };
}

/** Returns the index of the user's entry in the target's text, or -1 when the load does not tell. */
export function entryIndexOf(target: EditTarget, ref: { email?: string; username?: string }): number {
  const usernames = target.load?.snapshot.itemUsernames;
  if (usernames === undefined) return -1;
  const username = ref.username ?? target.deployment.users.find((user) => user.email === ref.email)?.username;
  return username === undefined ? -1 : usernames.indexOf(username);
}

/**
 * Applies `edit` to a window of the target's text that contains the entries at `indexes`, and
 * carries the change back. Without entry boundaries or a known style, with an unknown entry
 * (index -1), or when the change leaves the window, `edit` gets the whole text instead, which
 * gives the same result. `whole`, when given, marks a window and carries what the window leaves out.
 */
export function editWindow(
  target: EditTarget,
  indexes: readonly number[],
  edit: (text: string, whole?: WholeFile) => string,
): string {
  const whole = indexes.includes(-1) ? undefined : countedFile(target);
  if (whole === undefined || target.load === undefined) return edit(target.text);
  const window = entryWindow(target.text, target.load.snapshot, indexes);
  return applyWindowEdit(target.text, window, edit(window.text, whole)) ?? edit(target.text);
}
