/**
 * Line arithmetic over the source text of a vars file. Edits are computed as
 * splices of the original text, so every byte outside a splice stays as written:
 * comments, their alignment, blank lines, quoting and line endings.
 */

export interface Splice {
  /** Offset of the first replaced character. */
  start: number;
  /** Offset after the last replaced character; equal to `start` for an insertion. */
  end: number;
  text: string;
}

/** Raised by `applySplices` for splices that overlap. */
export class OverlappingSplices extends Error {}

/**
 * Applies non-overlapping splices to `text`, in any order. Insertions at one offset land in
 * the reverse of their order in `splices`. The result is built in one pass: splicing the text
 * once per splice copied it each time, 2.7 seconds for 500 revoked grants in a 50k-user file.
 */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const ordered = splices
    .map((splice, index) => ({ splice, index }))
    .sort((a, b) => a.splice.start - b.splice.start || a.splice.end - b.splice.end || b.index - a.index);
  const parts: string[] = [];
  let position = 0;
  for (const { splice } of ordered) {
    if (splice.start < position)
      throw new OverlappingSplices(`overlapping splices at offset ${splice.start}`);
    parts.push(text.slice(position, splice.start), splice.text);
    position = splice.end;
  }
  parts.push(text.slice(position));
  return parts.join("");
}

/** The lines of a text, with the offset where each starts. */
export class SourceLines {
  readonly text: string;
  /** Offset of the first character of each line. */
  readonly starts: number[];
  /** The line break the file uses, so inserted lines match it. */
  readonly eol: string;

  constructor(text: string) {
    this.text = text;
    this.starts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === "\n") this.starts.push(i + 1);
    }
    // A final line break does not open another line.
    if (this.starts.length > 1 && this.starts[this.starts.length - 1] === text.length) this.starts.pop();
    this.eol = text.includes("\r\n") ? "\r\n" : "\n";
  }

  get count(): number {
    return this.starts.length;
  }

  /** Returns the 0-based line that contains `offset`. */
  lineOf(offset: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  columnOf(offset: number): number {
    return offset - this.start(this.lineOf(offset));
  }

  start(line: number): number {
    return this.starts[line] ?? this.text.length;
  }

  /** Offset after the line's break (the start of the next line), or the end of the text. */
  end(line: number): number {
    return this.starts[line + 1] ?? this.text.length;
  }

  /** Returns the line without its line break. */
  content(line: number): string {
    return this.text.slice(this.start(line), this.end(line)).replace(/\r?\n$/, "");
  }

  indent(line: number): number {
    const content = this.content(line);
    return content.length - content.trimStart().length;
  }

  isBlank(line: number): boolean {
    return this.content(line).trim() === "";
  }

  isComment(line: number): boolean {
    return this.content(line).trimStart().startsWith("#");
  }

  /** True for a line with YAML content: neither blank nor only a comment. */
  hasContent(line: number): boolean {
    return !this.isBlank(line) && !this.isComment(line);
  }

  /** True when the last line has no line break, so an append must add one first. */
  get lacksFinalBreak(): boolean {
    return this.text.length > 0 && !this.text.endsWith("\n");
  }

  /**
   * Returns the last line of the block that starts at `first` and whose continuation
   * lines are indented deeper than `indent`. Comment lines inside the block belong to
   * it; blank lines and comment lines at `indent` or less that trail it do not.
   */
  blockEnd(first: number, indent: number): number {
    let last = first;
    for (let line = first + 1; line < this.count; line++) {
      if (this.isBlank(line)) continue;
      const deeper = this.indent(line) > indent;
      if (this.hasContent(line)) {
        if (!deeper) break;
        last = line;
      } else if (deeper) {
        last = line;
      }
    }
    return last;
  }

  /**
   * Returns the first line of the comment lines directly above `line` (no blank line
   * between) that sit at exactly `indent`: they describe the entry below them.
   */
  leadingCommentStart(line: number, indent: number): number {
    let first = line;
    while (first > 0 && this.isComment(first - 1) && this.indent(first - 1) === indent) first--;
    return first;
  }
}
