/**
 * Edits of a few `users.users` entries of a large vars file without parsing the whole file.
 * A window is the file with every other entry left out: the text before the first entry, the
 * chosen entries, the last two entries and the text after the sequence. An edit of the window
 * that changes one run of consecutive entries is carried back into the file.
 *
 * `cake user import` applies each row this way: the comment-preserving parse costs time in the
 * size of the text, so parsing the whole file for every row costs time in rows times users.
 * Entry boundaries come from the load snapshot of the text (see `config/incremental.ts`).
 */
import type { LoadSnapshot } from "../config/incremental.js";

export interface EntryWindow {
  text: string;
  /** Runs of consecutive entries, with their offsets in the window and in the file. */
  runs: readonly WindowRun[];
}

interface WindowRun {
  windowStart: number;
  windowEnd: number;
  fileStart: number;
  fileEnd: number;
}

/**
 * Returns the window of `text` that contains the entries at `indexes` and the last two entries.
 * The last entries give an added user its neighbour, and the line before the last entry, so
 * the new entry follows their layout (see `appendToSequence`).
 */
export function entryWindow(text: string, snapshot: LoadSnapshot, indexes: readonly number[]): EntryWindow {
  const { itemStarts, sequenceEnd } = snapshot;
  const count = itemStarts.length;
  const chosen = [...new Set([...indexes, count - 2, count - 1])]
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
  return { text: parts.join(""), runs };
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
