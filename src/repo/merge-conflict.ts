/**
 * Git merge conflict markers. A merge or rebase that changes the same lines on both sides
 * writes both versions into the file between marker lines:
 *
 *     <<<<<<< ours
 *     (our lines)
 *     ||||||| base        (only with merge.conflictStyle diff3 or zdiff3)
 *     (the common ancestor's lines)
 *     =======
 *     (their lines)
 *     >>>>>>> theirs
 *
 * Each marker is seven characters at the start of a line, then a space and a label or the end
 * of the line. Seven is git's default; the `conflict-marker-size` attribute in `.gitattributes`
 * sets another length, and every function here takes it as `size`. Vars files and generated
 * output are YAML and JSON whose top level is a mapping, where no valid line starts with one of
 * these.
 */

export type MarkerKind = "ours" | "base" | "theirs" | "end";

export interface MarkerLine {
  /** 1-based line number. */
  line: number;
  kind: MarkerKind;
}

/** The marker length git writes when no `conflict-marker-size` attribute applies. */
export const DEFAULT_MARKER_SIZE = 7;

/** The character each marker repeats. */
const MARKER_CHARACTERS: Readonly<Record<MarkerKind, string>> = {
  ours: "<",
  base: "|",
  theirs: "=",
  end: ">",
};

const KIND_OF_CHARACTER: Readonly<Record<string, MarkerKind>> = Object.fromEntries(
  Object.entries(MARKER_CHARACTERS).map(([kind, character]) => [character, kind as MarkerKind]),
);

/** Returns the marker of `kind` with `size` characters, as `<<<<<<<` for `ours` and size 7. */
export function markerText(kind: MarkerKind, size = DEFAULT_MARKER_SIZE): string {
  return MARKER_CHARACTERS[kind].repeat(size);
}

/**
 * Returns true when `text` may contain a marker line of `size` characters: a cheap test before
 * `markerLines`, which splits the text into lines. A `# =======` comment, say, does not pass it.
 * The search is for the marker alone, which is rare, and each hit is checked for a line start:
 * a search that includes the newline is several times slower on a large vars file.
 */
export function mayHaveConflictMarkers(text: string, size = DEFAULT_MARKER_SIZE): boolean {
  for (const character of Object.values(MARKER_CHARACTERS)) {
    const marker = character.repeat(size);
    for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
      if (at === 0 || text[at - 1] === "\n") return true;
    }
  }
  return false;
}

/**
 * Returns true when a line of `text` starts with a marker character, so the text may have
 * markers of a size other than the default. Only text that failed another test gets this one:
 * a YAML or JSON line of generated output never starts so.
 */
export function mayHaveMarkersOfAnySize(text: string): boolean {
  return /(?:^|\n)[<|=>]/.test(text);
}

/** Returns every conflict marker line of `text` with markers of `size` characters, in order. */
export function markerLines(text: string, size = DEFAULT_MARKER_SIZE): MarkerLine[] {
  if (!mayHaveConflictMarkers(text, size)) return [];
  const markers: MarkerLine[] = [];
  const lines = text.split("\n");
  for (const [index, raw] of lines.entries()) {
    const kind = markerKindOf(raw.endsWith("\r") ? raw.slice(0, -1) : raw, size);
    if (kind !== undefined) markers.push({ line: index + 1, kind });
  }
  return markers;
}

function markerKindOf(line: string, size: number): MarkerKind | undefined {
  const kind = KIND_OF_CHARACTER[line[0] ?? ""];
  if (kind === undefined || line.slice(0, size) !== markerText(kind, size)) return undefined;
  if (line.length === size) return kind;
  // git writes the `=` marker alone; the other markers may carry a label after a space.
  return kind !== "theirs" && line[size] === " " ? kind : undefined;
}

/** A conflict: the line of its `<<<<<<<` marker and of its `>>>>>>>` marker. */
export interface ConflictBlock {
  start: number;
  end: number;
}

/**
 * Splits the marker lines into whole conflicts and stray markers (one left behind when the
 * rest of its conflict was deleted, or one out of order).
 */
export function conflictBlocks(markers: readonly MarkerLine[]): {
  blocks: ConflictBlock[];
  stray: MarkerLine[];
} {
  const blocks: ConflictBlock[] = [];
  const stray: MarkerLine[] = [];
  let open: MarkerLine[] = [];
  const expected: Record<MarkerKind, readonly MarkerKind[]> = {
    ours: [],
    base: ["ours"],
    theirs: ["ours", "base"],
    end: ["theirs"],
  };
  for (const marker of markers) {
    const last = open.at(-1)?.kind;
    if (marker.kind === "ours") {
      stray.push(...open);
      open = [marker];
    } else if (last !== undefined && expected[marker.kind].includes(last)) {
      open.push(marker);
      if (marker.kind === "end") {
        blocks.push({ start: open[0]?.line ?? marker.line, end: marker.line });
        open = [];
      }
    } else {
      stray.push(marker);
    }
  }
  stray.push(...open);
  stray.sort((a, b) => a.line - b.line);
  return { blocks, stray };
}

/**
 * Returns the two versions of a text with conflicts of markers of `size` characters: `ours` keeps the lines before each
 * `|||||||` or `=======`, `theirs` the lines after `=======`, and both keep every line outside
 * the conflicts. Returns undefined when the text has no conflict or a stray marker.
 */
export function conflictSides(
  text: string,
  size = DEFAULT_MARKER_SIZE,
): { ours: string; theirs: string } | undefined {
  const markers = markerLines(text, size);
  if (markers.length === 0) return undefined;
  const { stray } = conflictBlocks(markers);
  if (stray.length > 0) return undefined;
  const kinds = new Map(markers.map((marker) => [marker.line, marker.kind]));
  const ours: string[] = [];
  const theirs: string[] = [];
  let section: MarkerKind | "outside" = "outside";
  for (const [index, line] of text.split("\n").entries()) {
    const kind = kinds.get(index + 1);
    if (kind !== undefined) {
      section = kind === "end" ? "outside" : kind;
      continue;
    }
    if (section === "outside" || section === "ours") ours.push(line);
    if (section === "outside" || section === "theirs") theirs.push(line);
  }
  return { ours: ours.join("\n"), theirs: theirs.join("\n") };
}
