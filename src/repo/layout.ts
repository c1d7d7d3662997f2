import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { CakeError, readFailureReason, UsageError } from "../errors.js";
import { makePathFormatter } from "./display-path.js";
import { assertRealPathInside } from "./paths.js";

/** The folders of an ops repo's vars files and generated output, relative to its root. */
export interface RepoLayout {
  /** Absolute path of the repo root. */
  root: string;
  /** Folder of the vars files, relative to `root`, with `/` separators. */
  varsDir: string;
  /** Folder of the generated deployments, relative to `root`, with `/` separators. */
  outputDir: string;
  /**
   * Folder of `root` inside its git repository (`repo_path` in `cake.yaml`), with `/`
   * separators and no final `/`; empty when `root` is the top. Argo CD resolves source
   * paths from the top of the git repository, so generated paths start with it. It is
   * read from the config and never from git, so reconcile runs no git command.
   */
  repoPath: string;
}

export const CONFIG_FILE = "cake.yaml";
/** Path of the Argo CD ApplicationSet that `cake init` writes, relative to the ops repo. */
export const APPLICATIONSET_FILE = "argocd/applicationset.yaml";
export const DEFAULT_VARS_DIR = "vars";
export const DEFAULT_OUTPUT_DIR = "deployments";
/** The vars folder of repos set up for the cookiecutter generator that cake replaces. */
export const LEGACY_VARS_DIR = "platform/scripts/gen_deploy/vars";

interface RepoConfig {
  vars_dir?: string;
  output_dir?: string;
  repo_path?: string;
}

export interface LayoutFlags {
  varsDir?: string;
  outputDir?: string;
}

/**
 * Resolves the layout of the repo at `root`: flags win over `cake.yaml`, which wins
 * over the defaults (`vars/`, `deployments/`). Errors name `cake.yaml` relative to `cwd`,
 * the folder the command runs in, or relative to the repo root without it.
 */
export async function resolveLayout(
  root: string,
  flags: LayoutFlags = {},
  cwd?: string,
): Promise<RepoLayout> {
  const absoluteRoot = path.resolve(root);
  const info = await stat(absoluteRoot).catch(() => undefined);
  if (!info?.isDirectory()) {
    const problem = info === undefined ? "does not exist" : "is not a folder";
    throw new UsageError(
      `the repo folder ${absoluteRoot} ${problem}; check --repo, which names the root of the ops repo.`,
    );
  }
  const configFile = makePathFormatter(cwd === undefined ? undefined : { root: absoluteRoot, cwd })(
    CONFIG_FILE,
  );
  const config = await readConfig(absoluteRoot, configFile);
  const { varsDir, outputDir, repoPath } = layoutFolders(absoluteRoot, config, flags);
  // A symlinked vars or output folder must not lead cake outside the repo.
  const realVars = await assertRealPathInside(absoluteRoot, varsDir);
  const realOutput = await assertRealPathInside(absoluteRoot, outputDir);
  // Compared by real path too: `out` may be a symlink to `vars`.
  const realRoot = await realpath(absoluteRoot);
  const realRelative = (real: string) => path.relative(realRoot, real).split(path.sep).join("/");
  if (overlaps(realRelative(realVars), realRelative(realOutput))) throw overlapError(varsDir, outputDir);
  return { root: absoluteRoot, varsDir, outputDir, repoPath };
}

/**
 * Resolves the layout that the text of a `cake.yaml` stored outside the working tree
 * describes, such as the file at a git commit. Undefined text means there is no such file.
 * Flags win as in `resolveLayout`. `source` names the file in error positions, as in
 * `3f1c2a9b0d4e:cake.yaml`. Nothing on disk is read, so symlinks are not checked.
 * @throws UsageError for an invalid config, with its position in `source`.
 */
export async function resolveLayoutFromText(
  root: string,
  text: string | undefined,
  source: string,
  flags: LayoutFlags = {},
): Promise<RepoLayout> {
  const absoluteRoot = path.resolve(root);
  const config = text === undefined ? {} : await parseConfig(text, source);
  return { root: absoluteRoot, ...layoutFolders(absoluteRoot, config, flags) };
}

/** Picks each folder from the flags, else the config, else the default, and rejects overlapping names. */
function layoutFolders(
  root: string,
  config: RepoConfig,
  flags: LayoutFlags,
): Pick<RepoLayout, "varsDir" | "outputDir" | "repoPath"> {
  const varsDir = normalizeDir(root, flags.varsDir ?? config.vars_dir ?? DEFAULT_VARS_DIR, "vars_dir");
  const outputDir = normalizeDir(
    root,
    flags.outputDir ?? config.output_dir ?? DEFAULT_OUTPUT_DIR,
    "output_dir",
  );
  if (overlaps(varsDir, outputDir)) throw overlapError(varsDir, outputDir);
  // parseConfig has checked the value, so only a final "/" is left to drop.
  return { varsDir, outputDir, repoPath: (config.repo_path ?? "").replace(/\/$/, "") };
}

function overlapError(varsDir: string, outputDir: string): UsageError {
  return new UsageError(
    `the vars folder "${varsDir}" and the output folder "${outputDir}" overlap, so generated files would ` +
      "mix with vars files; give them separate folders (--vars-dir, --output-dir, or cake.yaml).",
  );
}

/** Reads `cake.yaml` of `root`; `shown` names it in errors. */
async function readConfig(root: string, shown: string): Promise<RepoConfig> {
  const file = path.join(root, CONFIG_FILE);
  // A cake.yaml symlinked out of the repo is not read, as no other file out of it is.
  await assertRealPathInside(root, CONFIG_FILE);
  let text: string;
  try {
    if (!(await stat(file)).isFile()) {
      throw new UsageError(
        `${shown} is not a regular file (a folder or a named pipe); replace it with a file.`,
      );
    }
    text = await readFile(file, "utf8");
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(`${shown} cannot be read: ${readFailureReason(error)}.`);
  }
  return parseConfig(text, shown);
}

/** A line of a `cake.yaml` as `cake init` writes it: a known key and a plain or double-quoted path. */
const PLAIN_CONFIG_LINE =
  /^(vars_dir|output_dir|repo_path): +(?:([A-Za-z_/][A-Za-z0-9._/-]*)|"([A-Za-z0-9._/-]*)")(?: +#.*)?$/;

/** Plain words that YAML reads as null or a boolean, not as a string. */
const PLAIN_NON_STRINGS = new Set([
  "null",
  "Null",
  "NULL",
  "true",
  "True",
  "TRUE",
  "false",
  "False",
  "FALSE",
]);

/**
 * Returns the config of a `cake.yaml` whose lines are all comments, blank lines, or `key: path`
 * lines that `PLAIN_CONFIG_LINE` accepts, with each key once and each value valid. Returns
 * undefined for any other text, which `parseConfig` then reads with the YAML parser and zod.
 * Loading those two cost a no-op reconcile about 90 ms, timed by hand on a 2-core machine in a
 * repo made by `cake init`, and every command in such a repo paid it.
 */
export function parseSimpleConfig(text: string): RepoConfig | undefined {
  const config: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const match = PLAIN_CONFIG_LINE.exec(line);
    if (match === null) return undefined;
    const [, key = "", plain, quoted] = match;
    const value = plain ?? quoted ?? "";
    if (Object.hasOwn(config, key) || (plain !== undefined && PLAIN_NON_STRINGS.has(plain))) return undefined;
    const valid = key === "repo_path" ? repoPathProblem(value) === undefined : value !== "";
    if (!valid) return undefined;
    config[key] = value;
  }
  return config;
}

/** Parses the text of a `cake.yaml`; `source` names the file in error positions. */
async function parseConfig(text: string, source: string): Promise<RepoConfig> {
  const simple = parseSimpleConfig(text);
  if (simple !== undefined) return simple;
  // The YAML parser and zod load only for a config file that the line scan does not accept.
  const [{ isMap, isNode, isScalar, LineCounter, parseDocument }, { z }, { nearest }] = await Promise.all([
    import("yaml"),
    import("zod"),
    import("../config/suggest.js"),
  ]);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  // Like a bad flag, a bad config stops the command before it reads anything else: exit 2.
  const fail = (offset: number, problem: string): never => {
    const { line, col } = lineCounter.linePos(offset);
    throw new UsageError(`${source}:${line}:${col}: ${problem}`);
  };
  const [yamlError] = document.errors;
  if (yamlError !== undefined) {
    const reason =
      yamlError.code === "MULTIPLE_DOCS"
        ? "the file holds more than one YAML document (a --- line starts another); remove the --- line"
        : `${yamlError.message.split("\n")[0]}; fix the syntax`;
    fail(yamlError.pos[0], `invalid YAML: ${reason}.`);
  }
  if (document.contents === null) return {};
  if (!isMap(document.contents)) {
    fail(document.contents.range?.[0] ?? 0, `expected a mapping with ${KNOWN_KEYS}; write one key per line.`);
  }

  // A complex key (`? [a, b]`) would make toJS() stringify it and print a Node warning.
  const pairs = isMap(document.contents) ? document.contents.items : [];
  for (const pair of pairs) {
    if (pair.key !== null && !isScalar(pair.key)) {
      fail(
        isNode(pair.key) ? (pair.key.range?.[0] ?? 0) : 0,
        `a key must be one of ${KNOWN_KEYS}, not a list, mapping or alias; write one key per line.`,
      );
    }
  }

  const configSchema = z.strictObject({
    vars_dir: z.string().min(1).optional(),
    output_dir: z.string().min(1).optional(),
    // Empty is allowed: it is the default, the top of the git repository.
    repo_path: z.string().optional(),
  });
  const result = configSchema.safeParse(document.toJS());
  const keyName = (key: unknown): string => (isScalar(key) ? String(key.value) : String(key));
  const valueOffset = (key: string): number => {
    const value = pairs.find((item) => keyName(item.key) === key)?.value;
    return isNode(value) ? (value.range?.[0] ?? 0) : 0;
  };
  if (result.success) {
    const problem = result.data.repo_path === undefined ? undefined : repoPathProblem(result.data.repo_path);
    if (problem !== undefined) {
      fail(
        valueOffset("repo_path"),
        `repo_path ${JSON.stringify(result.data.repo_path)} is invalid: ${problem}. ${REPO_PATH_FORMAT}`,
      );
    }
    return result.data;
  }

  const issue = result.error.issues[0] as (typeof result.error.issues)[number];
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const pair = pairs.find((item) => keyName(item.key) === key);
    const suggestion = nearest(key, ["vars_dir", "output_dir", "repo_path"]);
    fail(
      isScalar(pair?.key) ? (pair.key.range?.[0] ?? 0) : 0,
      `unknown key "${key}"${suggestion === undefined ? "." : `; did you mean "${suggestion}"?`} Known keys: ${KNOWN_KEYS}.`,
    );
  }
  const key = String(issue.path[0] ?? "");
  if (key === "repo_path") return fail(valueOffset(key), `repo_path must be a string. ${REPO_PATH_FORMAT}`);
  return fail(
    valueOffset(key),
    `${key} must be a folder path relative to the repo root (a non-empty string).`,
  );
}

const KNOWN_KEYS = "vars_dir, output_dir, repo_path";

const REPO_PATH_FORMAT =
  "Write the folder of this cake.yaml relative to the top of its git repository, with / between " +
  'folders, as "git rev-parse --show-prefix" prints it (such as platform/ops), or "" at the top.';

/**
 * Returns why `value` is not a valid `repo_path`, or undefined when it is valid. A valid value
 * is empty or a relative path of `/`-separated folder names, optionally with a final `/`.
 * Argo CD reads source paths as given, so `.`, `..` and empty parts are rejected rather than resolved.
 */
export function repoPathProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.includes("\0")) return "it contains a NUL character";
  if (value.includes("\\")) return "it contains a backslash; separate folders with /";
  if (value.startsWith("/")) return "it is an absolute path";
  const parts = value.replace(/\/$/, "").split("/");
  if (parts.some((part) => part === "")) return "it contains an empty folder name (//)";
  if (parts.some((part) => part === "." || part === "..")) return 'it contains a "." or ".." part';
  return undefined;
}

function normalizeDir(root: string, dir: string, field: string): string {
  if (dir.includes("\0")) throw new CakeError(`${field} ${JSON.stringify(dir)} contains a NUL character.`, 2);
  const absolute = path.resolve(root, dir);
  const relative = path.relative(root, absolute);
  // `..vars` is a folder inside the repo; only a `..` segment leaves it.
  if (
    relative === "" ||
    relative === ".." ||
    relative.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relative)
  ) {
    throw new CakeError(`${field} "${dir}" must be a folder inside the repo ${root}.`, 2);
  }
  return relative.split(path.sep).join("/");
}

/** Returns true when one folder (relative, `/`-separated) is the other or inside it. */
function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}
