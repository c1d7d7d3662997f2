import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { loadVarsText } from "../../src/config/load.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.join(here, "..", "fixtures", "edit");

export function readFixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), "utf8");
}

export interface LineDiff {
  /** Lines only in the old text, as `<old line number>: <text>`. */
  removed: string[];
  /** Lines only in the new text, as `<new line number>: <text>`. */
  added: string[];
}

/** Diffs lines by their longest common subsequence, so only truly changed lines show. */
export function lineDiff(before: string, after: string): LineDiff {
  const a = before.split("\n");
  const b = after.split("\n");
  const lengths: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lengths[i] as number[];
      row[j] =
        a[i] === b[j]
          ? ((lengths[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lengths[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }

  const removed: string[] = [];
  const added: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (
      j >= b.length ||
      (i < a.length &&
        ((lengths[i + 1] as number[])[j] as number) >= ((lengths[i] as number[])[j + 1] as number))
    ) {
      removed.push(`${i + 1}: ${a[i]}`);
      i++;
    } else {
      added.push(`${j + 1}: ${b[j]}`);
      j++;
    }
  }
  return { removed, added };
}

/** Asserts the text loads without errors as `file` and returns the deployment. */
export function expectValid(text: string, file = "vars/dev-eu-west-1.yaml") {
  const result = loadVarsText(text, { file, outputPath: "deployments/dev-eu-west-1" });
  expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  expect(result.deployment).toBeDefined();
  return result.deployment as NonNullable<typeof result.deployment>;
}
