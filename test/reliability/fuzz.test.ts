/**
 * A short, seeded run of the fuzzer (the long one is `npm run fuzz`): mutated vars
 * files through the loader in-process, and through `cake reconcile` on temporary
 * repos. A failure message names the seed and index to replay with
 * `node --import tsx scripts/fuzz.ts --replay SEED:INDEX`.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkInput,
  type FuzzInput,
  generateInput,
  MUTATIONS,
  Random,
  readCorpus,
  varsFileOf,
} from "../../scripts/fuzz.js";
import { run } from "../../src/cli/main.js";
import { hasStackTrace, makeTempDir, snapshotBytes } from "./helpers.js";

const SEED = 20_261_204;
const LOADER_RUNS = 10_000;
const RECONCILE_RUNS = 300;
/**
 * Per input. It catches a loader that hangs or grows much faster than its input, not a slow
 * one: the heaviest input takes about 2 seconds, and more than 8 on a loaded 2-core machine.
 */
const TIME_LIMIT_MS = 15_000;

const corpus = readCorpus();
const folders: string[] = [];

afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

function describeInput(input: FuzzInput): string {
  return `seed ${input.seed} index ${input.index} (${input.base}; ${input.mutations.join(", ")})`;
}

async function cake(root: string, ...argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const code = await run({
    argv,
    cwd: root,
    stdout: { write: () => true },
    stderr: {
      write: (text: string) => {
        stderr += text;
        return true;
      },
    },
  });
  return { code, stderr };
}

/** Returns the output folder's files; the local cache lives in `.cake/` at the repo root. */
async function outputTree(root: string): Promise<Map<string, Buffer>> {
  return snapshotBytes(path.join(root, "deployments"));
}

function sameTree(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  return a.size === b.size && [...a].every(([file, bytes]) => b.get(file)?.equals(bytes) === true);
}

describe("fuzzed vars files", () => {
  it("corpus files are valid", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(4);
    for (const file of corpus) {
      expect(checkInput(file.text, varsFileOf({ base: file.file }), TIME_LIMIT_MS).valid, file.file).toBe(
        true,
      );
    }
  });

  it("same seed gives same input", () => {
    const first = generateInput(corpus, SEED, 17);
    const second = generateInput(corpus, SEED, 17);

    expect(second.text).toBe(first.text);
    expect(second.mutations).toEqual(first.mutations);
    expect(generateInput(corpus, SEED + 1, 17).text).not.toBe(first.text);
  });

  it("loader handles every mutation kind", () => {
    const smallest = [...corpus].sort((a, b) => a.text.length - b.text.length)[0];
    if (smallest === undefined) throw new Error("empty corpus");
    const failures: string[] = [];
    let slowest = 0;

    for (const mutation of MUTATIONS) {
      // Heavy inputs (a megabyte, 100k entries) cost seconds, so they start from one file only.
      const bases = mutation.heavy ? [smallest] : corpus;
      for (const base of bases) {
        const text = mutation.apply(base.text, new Random(SEED));
        const result = checkInput(text, varsFileOf({ base: base.file }), TIME_LIMIT_MS);
        slowest = Math.max(slowest, result.milliseconds);
        if (result.problems.length > 0)
          failures.push(`${mutation.name} of ${base.file}: ${result.problems[0]}`);
      }
    }

    expect(failures).toEqual([]);
    console.info(`fuzz: slowest mutation kind took ${slowest.toFixed(0)} ms`);
  }, 120_000);

  it(`loader handles ${LOADER_RUNS} random inputs`, () => {
    const failures: string[] = [];
    let slowest = { milliseconds: 0, input: "" };

    for (let index = 0; index < LOADER_RUNS; index += 1) {
      const input = generateInput(corpus, SEED, index, { heavy: false });
      const result = checkInput(input.text, varsFileOf(input), TIME_LIMIT_MS);
      if (result.milliseconds > slowest.milliseconds) {
        slowest = { milliseconds: result.milliseconds, input: describeInput(input) };
      }
      if (result.problems.length > 0) failures.push(`${describeInput(input)}: ${result.problems[0]}`);
    }

    expect(failures).toEqual([]);
    console.info(`fuzz: slowest input ${slowest.input} took ${slowest.milliseconds.toFixed(0)} ms`);
  }, 180_000);

  it(`reconcile handles ${RECONCILE_RUNS} random inputs`, async () => {
    const failures: string[] = [];
    let valid = 0;

    for (let index = 0; index < RECONCILE_RUNS; index += 1) {
      const input = generateInput(corpus, SEED + 1, index, { heavy: false });
      const root = await makeTempDir("cake-fuzz-");
      folders.push(root);
      await mkdir(path.join(root, "vars"));
      await writeFile(path.join(root, varsFileOf(input)), input.text);
      const label = describeInput(input);

      const first = await cake(root, "reconcile");
      if (first.code === 70 || hasStackTrace(first.stderr))
        failures.push(`${label}: crashed: ${first.stderr}`);
      else if (first.code !== 0) {
        if ((await outputTree(root)).size > 0)
          failures.push(`${label}: invalid input, yet files were written`);
      } else {
        // Differential check: a second reconcile of a valid input changes nothing.
        valid += 1;
        const written = await outputTree(root);
        const second = await cake(root, "reconcile");
        const check = await cake(root, "reconcile", "--check");
        if (second.code !== 0 || !sameTree(written, await outputTree(root)))
          failures.push(`${label}: second reconcile changed the output`);
        if (check.code !== 0) failures.push(`${label}: reconcile --check found drift: ${check.stderr}`);
      }
      await rm(root, { recursive: true, force: true });
    }

    expect(failures).toEqual([]);
    // Without valid inputs the differential check would prove nothing.
    expect(valid).toBeGreaterThan(10);
  }, 180_000);
});
