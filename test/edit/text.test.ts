/** `applySplices` against splicing the text once per splice, the way it was first written. */
import { describe, expect, it } from "vitest";
import { applySplices, OverlappingSplices, type Splice } from "../../src/edit/text.js";
import { random } from "../helpers/random.js";

/** Applies the splices from the last offset to the first, one copy of the text each. */
function oneByOne(text: string, splices: readonly Splice[]): string {
  const ordered = [...splices].sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const splice of ordered) {
    if (splice.end > limit) throw new OverlappingSplices("overlap");
    result = result.slice(0, splice.start) + splice.text + result.slice(splice.end);
    limit = splice.start;
  }
  return result;
}

function outcome(apply: () => string): string {
  try {
    return apply();
  } catch (error) {
    if (error instanceof OverlappingSplices) return "overlap";
    throw error;
  }
}

describe("applySplices", () => {
  it("matches one splice at a time", () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const next = random(seed);
      const text = "0123456789abcdefghij".slice(0, 1 + Math.floor(next() * 20));
      const splices = Array.from({ length: Math.floor(next() * 5) }, (_, index) => {
        const start = Math.floor(next() * (text.length + 1));
        // Insertions at one offset are common in edits, so a third of the splices insert.
        const end = next() < 0.33 ? start : Math.min(text.length, start + Math.floor(next() * 4));
        return { start, end, text: `<${index}>` };
      });

      expect(
        outcome(() => applySplices(text, splices)),
        JSON.stringify(splices),
      ).toBe(outcome(() => oneByOne(text, splices)));
    }
  });

  it("puts insertions at one offset in reverse order", () => {
    const splices = [
      { start: 1, end: 1, text: "a" },
      { start: 1, end: 1, text: "b" },
    ];

    expect(applySplices("xy", splices)).toBe("xbay");
  });

  it("rejects overlapping splices", () => {
    const splices = [
      { start: 0, end: 2, text: "" },
      { start: 1, end: 3, text: "" },
    ];

    expect(() => applySplices("abcd", splices)).toThrow(OverlappingSplices);
  });
});
