/**
 * Fuzzes the vars loader with hostile mutations of valid vars files. Every input must
 * end in a deployment or in clean diagnostics (code, file, line, column), never in an
 * exception, within a time limit. Each input is generated from its seed and index
 * alone, so any failure can be replayed.
 *
 *   node --import tsx scripts/fuzz.ts --seed S --runs N [--time-limit-ms M]
 *   node --import tsx scripts/fuzz.ts --seed S --replay S:INDEX [--out FILE]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Diagnostic } from "../src/config/diagnostics.js";
import { loadVarsText } from "../src/config/load.js";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CORPUS_FOLDERS = ["test/fixtures/vars", "examples/ops/vars"];

/** A valid vars file the mutations start from. */
export interface CorpusFile {
  /** Path relative to the project root, such as `test/fixtures/vars/prod-us-east-1.yaml`. */
  file: string;
  text: string;
}

export function readCorpus(): CorpusFile[] {
  return CORPUS_FOLDERS.flatMap((folder) =>
    readdirSync(path.join(PROJECT_ROOT, folder))
      .filter((name) => name.endsWith(".yaml"))
      .sort()
      .map((name) => ({
        file: `${folder}/${name}`,
        text: readFileSync(path.join(PROJECT_ROOT, folder, name), "utf8"),
      })),
  );
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence on every platform. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Returns a number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Returns an integer in [0, max). */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

/** Derives the PRNG seed of one input from the run seed and the input index. */
function inputSeed(seed: number, index: number): number {
  return Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
}

/** A named change of a vars file's text; heavy ones build inputs of a megabyte or more. */
export interface Mutation {
  name: string;
  heavy?: boolean;
  apply(text: string, random: Random): string;
}

const HOSTILE_CHARACTERS = [
  "\u202e", // right-to-left override
  "\u200f", // right-to-left mark
  "\u200b", // zero-width space
  "\u0301", // combining acute accent
  "\u{1f600}", // emoji outside the basic plane
  "\u0000",
  "\u0007",
  "\u001b",
  "\u007f",
  "\ufeff",
  "\u2028",
  "\ud800", // lone surrogate
  "\r",
  "\t",
];

const YAML_TOKENS = [
  "&a ",
  "*a",
  "!!str ",
  "!!binary ",
  "!custom ",
  "? ",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "|",
  ">",
  "#",
  "---",
  "...",
  "'",
  '"',
  ": ",
  ",",
  "%TAG ! tag:x,2000:\n",
  "@",
  "`",
];

const WRONG_VALUES = [
  "123",
  "0x1F",
  "1e999",
  ".nan",
  "true",
  "no",
  "null",
  "~",
  "[]",
  "{}",
  "[a, [b]]",
  "{a: {b: c}}",
  '""',
  "-1",
  "007",
  "2026-01-01",
];

function lines(text: string): string[] {
  return text.split("\n");
}

function mapLine(text: string, random: Random, change: (line: string) => string): string {
  const all = lines(text);
  const index = random.int(all.length);
  all[index] = change(all[index] ?? "");
  return all.join("\n");
}

/** Replaces the value of a random `key: value` line. */
function replaceValue(text: string, random: Random, value: string): string {
  const all = lines(text);
  const candidates = all.flatMap((line, index) => (/^\s*(- )?[\w.-]+: \S/.test(line) ? [index] : []));
  if (candidates.length === 0) return text;
  const index = random.pick(candidates);
  all[index] = (all[index] ?? "").replace(/: .*$/, `: ${value}`);
  return all.join("\n");
}

function insertAt(text: string, random: Random, insertion: string): string {
  const offset = random.int(text.length + 1);
  return text.slice(0, offset) + insertion + text.slice(offset);
}

export const MUTATIONS: Mutation[] = [
  {
    name: "delete-line",
    apply: (text, random) => {
      const all = lines(text);
      all.splice(random.int(all.length), 1);
      return all.join("\n");
    },
  },
  {
    name: "duplicate-line",
    apply: (text, random) => {
      const all = lines(text);
      const index = random.int(all.length);
      all.splice(index, 0, all[index] ?? "");
      return all.join("\n");
    },
  },
  {
    name: "swap-lines",
    apply: (text, random) => {
      const all = lines(text);
      const a = random.int(all.length);
      const b = random.int(all.length);
      [all[a], all[b]] = [all[b] ?? "", all[a] ?? ""];
      return all.join("\n");
    },
  },
  { name: "wrong-type", apply: (text, random) => replaceValue(text, random, random.pick(WRONG_VALUES)) },
  {
    name: "hostile-character",
    apply: (text, random) => insertAt(text, random, random.pick(HOSTILE_CHARACTERS)),
  },
  { name: "yaml-token", apply: (text, random) => insertAt(text, random, random.pick(YAML_TOKENS)) },
  { name: "crlf-bom", apply: (text) => `\ufeff${text.replace(/\r?\n/g, "\r\n")}` },
  { name: "tab-indent", apply: (text, random) => mapLine(text, random, (line) => line.replace(/^ +/, "\t")) },
  { name: "yaml-1.1", apply: (text) => `%YAML 1.1\n---\n${text}` },
  {
    name: "merge-key",
    apply: (text) => `${text}\nbase: &base {userid_header: x-user}\nkubeflow_extra:\n  <<: *base\n`,
  },
  { name: "truncate", apply: (text, random) => text.slice(0, random.int(text.length)) },
  {
    name: "byte-flip",
    apply: (text, random) => {
      const bytes = Buffer.from(text, "utf8");
      const flips = 1 + random.int(8);
      for (let flip = 0; flip < flips && bytes.length > 0; flip += 1) {
        const offset = random.int(bytes.length);
        bytes[offset] = (bytes[offset] ?? 0) ^ (1 << random.int(8));
      }
      return bytes.toString("utf8");
    },
  },
  {
    name: "alias-bomb",
    apply: (text) => {
      const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
      for (let level = 1; level < 9; level += 1) {
        const previous = String.fromCharCode(96 + level);
        const name = String.fromCharCode(97 + level);
        levels.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(", ")}]`);
      }
      return `${text}\n${levels.join("\n")}\n`;
    },
  },
  {
    name: "anchor-alias",
    apply: (text) =>
      text
        .replace(/(deploy_namespaces:)/, "$1 &namespaces")
        .replace(/(allowed_namespaces:) \[.*\]/, "$1 *namespaces"),
  },
  {
    name: "huge-string",
    heavy: true,
    apply: (text, random) => replaceValue(text, random, "x".repeat(1_000_000)),
  },
  {
    name: "deep-nesting",
    heavy: true,
    apply: (text, random) => replaceValue(text, random, "[".repeat(10_000)),
  },
  {
    name: "deep-closed-nesting",
    heavy: true,
    apply: (text, random) => replaceValue(text, random, `${"[".repeat(5_000)}${"]".repeat(5_000)}`),
  },
  {
    name: "long-list",
    heavy: true,
    apply: (text) =>
      text.replace(
        /(\n {2}deploy_namespaces:\n)/,
        `$1${Array.from({ length: 100_000 }, (_, index) => `    - ns-${index}\n`).join("")}`,
      ),
  },
  {
    name: "many-users",
    heavy: true,
    apply: (text) =>
      text.replace(
        /(\n {2}users:\n)/,
        `$1${Array.from({ length: 20_000 }, (_, index) => `    - {email: u${index}@example.com, username: u${index}, roles: [cake-user]}\n`).join("")}`,
      ),
  },
];

export interface FuzzInput {
  seed: number;
  index: number;
  /** Corpus file the input was made from. */
  base: string;
  mutations: string[];
  text: string;
}

/** Builds input `index` of run `seed`: one corpus file with one to three mutations. */
export function generateInput(
  corpus: readonly CorpusFile[],
  seed: number,
  index: number,
  options: { heavy?: boolean } = {},
): FuzzInput {
  const random = new Random(inputSeed(seed, index));
  const base = random.pick(corpus);
  // Heavy mutations are rare, because each costs up to seconds.
  const allowed = MUTATIONS.filter((mutation) => (options.heavy ?? true) || !mutation.heavy);
  const count = 1 + random.int(3);
  let text = base.text;
  const names: string[] = [];
  for (let step = 0; step < count; step += 1) {
    let mutation = random.pick(allowed);
    if (mutation.heavy && random.next() < 0.9) mutation = random.pick(allowed.filter((each) => !each.heavy));
    text = mutation.apply(text, random);
    names.push(mutation.name);
  }
  return { seed, index, base: base.file, mutations: names, text };
}

/** File name of every input, so the loader checks environment and region against it. */
export function varsFileOf(input: Pick<FuzzInput, "base">): string {
  return `vars/${path.basename(input.base)}`;
}

export interface CheckResult {
  /** Empty when the input was handled cleanly. */
  problems: string[];
  valid: boolean;
  milliseconds: number;
  diagnostics: Diagnostic[];
}

/** Loads `text` and lists every way the loader broke its contract on it. */
export function checkInput(text: string, file: string, timeLimitMs: number): CheckResult {
  const started = performance.now();
  const problems: string[] = [];
  let valid = false;
  let diagnostics: Diagnostic[] = [];
  try {
    const result = loadVarsText(text, { file, outputPath: `deployments/${path.basename(file, ".yaml")}` });
    valid = result.deployment !== undefined;
    diagnostics = result.diagnostics;
    const hasError = diagnostics.some((diagnostic) => diagnostic.severity === "error");
    if (valid === hasError) problems.push(`deployment ${valid ? "returned with" : "missing without"} errors`);
    for (const diagnostic of diagnostics) {
      const fieldsOk =
        typeof diagnostic.code === "string" &&
        String(diagnostic.code) !== "" &&
        diagnostic.file === file &&
        Number.isInteger(diagnostic.line) &&
        diagnostic.line >= 1 &&
        Number.isInteger(diagnostic.column) &&
        diagnostic.column >= 1 &&
        typeof diagnostic.message === "string";
      if (!fieldsOk)
        problems.push(`diagnostic without code, file or position: ${JSON.stringify(diagnostic)}`);
    }
  } catch (error) {
    problems.push(`exception: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  const milliseconds = performance.now() - started;
  if (milliseconds > timeLimitMs)
    problems.push(`took ${milliseconds.toFixed(0)} ms (limit ${timeLimitMs} ms)`);
  return { problems, valid, milliseconds, diagnostics };
}

interface Options {
  seed: number;
  runs: number;
  timeLimitMs: number;
  replay?: { seed: number; index: number };
  out?: string;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { seed: Date.now() % 1_000_000, runs: 10_000, timeLimitMs: 10_000 };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    const value = argv[index + 1] ?? "";
    index += 1;
    if (flag === "--seed") options.seed = parseInteger(flag, value);
    else if (flag === "--runs") options.runs = parseInteger(flag, value);
    else if (flag === "--time-limit-ms") options.timeLimitMs = parseInteger(flag, value);
    else if (flag === "--out") options.out = value;
    else if (flag === "--replay") {
      const match = /^(\d+):(\d+)$/.exec(value);
      if (!match) throw new Error(`--replay "${value}" must be SEED:INDEX, such as 42:1234`);
      options.replay = { seed: Number(match[1]), index: Number(match[2]) };
    } else throw new Error(`unknown option ${flag}; use --seed, --runs, --time-limit-ms, --replay, --out`);
  }
  return options;
}

function parseInteger(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`${flag} "${value}" must be a whole number`);
  return Number(value);
}

function replay(
  corpus: readonly CorpusFile[],
  options: Options & { replay: { seed: number; index: number } },
): number {
  const input = generateInput(corpus, options.replay.seed, options.replay.index);
  const out = options.out ?? `fuzz-${options.replay.seed}-${options.replay.index}.yaml`;
  writeFileSync(out, input.text);
  const result = checkInput(input.text, varsFileOf(input), options.timeLimitMs);
  process.stdout.write(
    `Writing: ${out} (from ${input.base}, mutations ${input.mutations.join(", ")}; ` +
      `${result.valid ? "valid" : `${result.diagnostics.length} diagnostics`}, ${result.milliseconds.toFixed(1)} ms)\n`,
  );
  for (const problem of result.problems) process.stdout.write(`  ${problem}\n`);
  return result.problems.length > 0 ? 1 : 0;
}

function main(argv: readonly string[]): number {
  const options = parseOptions(argv);
  const corpus = readCorpus();
  if (options.replay) return replay(corpus, { ...options, replay: options.replay });

  process.stdout.write(
    `fuzz: seed ${options.seed}, ${options.runs} inputs, limit ${options.timeLimitMs} ms each\n`,
  );
  let slowest = { index: -1, milliseconds: 0, mutations: [] as string[] };
  let valid = 0;
  let failures = 0;
  let peakHeap = 0;
  for (let index = 0; index < options.runs; index += 1) {
    const input = generateInput(corpus, options.seed, index);
    const result = checkInput(input.text, varsFileOf(input), options.timeLimitMs);
    if (result.valid) valid += 1;
    if (result.milliseconds > slowest.milliseconds) {
      slowest = { index, milliseconds: result.milliseconds, mutations: input.mutations };
    }
    if (index % 100 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    if (result.problems.length > 0) {
      failures += 1;
      process.stdout.write(
        `FAIL seed ${options.seed} index ${index} (${input.base}; ${input.mutations.join(", ")}): ` +
          `${result.problems.join("; ")}\n  replay: node --import tsx scripts/fuzz.ts --replay ${options.seed}:${index}\n`,
      );
    }
  }
  process.stdout.write(
    `fuzz: ${options.runs} inputs, ${valid} valid, ${failures} failures; slowest index ${slowest.index} ` +
      `(${slowest.mutations.join(", ")}) ${slowest.milliseconds.toFixed(0)} ms; peak heap ${(peakHeap / 2 ** 20).toFixed(0)} MiB\n`,
  );
  return failures > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`fuzz: ${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}
