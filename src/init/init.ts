/**
 * `cake init`: lays out a new ops repo (an example vars file, the schema, CI pipelines,
 * the Argo CD ApplicationSet, CODEOWNERS and a README) and regenerates CODEOWNERS later.
 * It never overwrites a file: files that exist are kept and reported.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { hasErrors } from "../config/diagnostics.js";
import { formatDiagnostics } from "../config/format.js";
import { loadRepo } from "../config/repo.js";
import { repoUrlProblem, withoutCredentials } from "../config/rules/gitops.js";
import { varsJsonSchema } from "../config/schema.js";
import { CakeError, UsageError } from "../errors.js";
import {
  GitError,
  init as gitInit,
  isRepo,
  mayBeInRepo,
  remoteUrl,
  showPrefix,
  showToplevel,
} from "../git/git.js";
import { writeFileAtomic } from "../output/atomic.js";
import { makePathFormatter } from "../repo/display-path.js";
import {
  CONFIG_FILE,
  DEFAULT_OUTPUT_DIR,
  DEFAULT_VARS_DIR,
  LEGACY_VARS_DIR,
  resolveLayout,
} from "../repo/layout.js";
import { assertRealPathInside } from "../repo/paths.js";
import { hasVarsFiles } from "../repo/root.js";
import { listVarsFiles } from "../repo/vars-files.js";
import { APPLICATIONSET_FILE, applicationSetText, starterAppName } from "./argocd.js";
import {
  CI_REPO_PATH_PATTERN,
  GITHUB_WORKFLOW_FILE,
  GITLAB_CI_FILE,
  githubWorkflowText,
  gitlabCiText,
} from "./ci.js";
import {
  CODEOWNERS_FILE,
  CODEOWNERS_HEADER,
  existingCodeowners,
  findCodeowners,
  renderRepoRules,
  repoPlace,
  rulesOfAnotherRepo,
  withoutCodeownersHeader,
} from "./codeowners.js";
import { readmeText } from "./readme.js";
import { EXAMPLE_DEPLOYMENT, varsExampleText } from "./vars-example.js";

/** Used for `gitops.repo_url` when neither `--repo-url` nor a git remote gives the real one. */
export const PLACEHOLDER_REPO_URL = "https://git.example.com/platform/ops.git";

export interface InitOptions {
  /** Absolute path of the folder to lay out; created when missing. */
  dir: string;
  /** Lay out the repo even when the vars folder already has files. */
  force: boolean;
  /** Run `git init` when the folder is not inside a git repository. */
  git: boolean;
  /** URL Argo CD clones the repo from; defaults to the `origin` remote, else a placeholder. */
  repoUrl?: string;
  /** npm install spec of cake written into the CI pipelines; empty to set it in the forge. */
  cakePackage: string;
  /** Absolute path of the folder the command runs in; error messages name files relative to it. */
  cwd?: string;
}

export interface InitResult {
  /** Absolute paths of the files written. */
  created: string[];
  /** Absolute paths of the files that existed and were left as they were. */
  kept: string[];
  /**
   * Folder of `dir` inside its git work tree, without a final `/`, as written to `repo_path`.
   * It is empty at the top of the work tree or outside git.
   */
  repoPath: string;
  /** Absolute path of the top of the git work tree, where the forge files go; `dir` outside git. */
  top: string;
  repoUrl: string;
  /** The reason the `origin` remote's URL was changed or not used, for the next steps. */
  repoUrlNote?: string;
  gitInitialized: boolean;
}

/**
 * Returns the repo URL to write for the `origin` remote's URL `remote`. The files are committed,
 * so the URL loses the credentials a CI clone's URL may carry. Without a remote, or with one
 * Argo CD could not clone (a local path), it is the placeholder. The files are written only
 * after this, so a remote's URL never stops an init halfway.
 */
async function repoUrlOfRemote(remote: string | undefined): Promise<{ url: string; note?: string }> {
  if (remote === undefined) return { url: PLACEHOLDER_REPO_URL };
  const url = withoutCredentials(remote);
  if (repoUrlProblem(url) !== undefined) {
    return {
      url: PLACEHOLDER_REPO_URL,
      note: `the origin remote "${url}" is not a URL Argo CD can clone, so the files name ${PLACEHOLDER_REPO_URL}`,
    };
  }
  return url === remote
    ? { url }
    : { url, note: `the origin remote's URL carries credentials; the files name it without them: ${url}` };
}

/**
 * Returns the absolute path `file` as init's messages print it: relative to the current folder, as
 * other commands print paths (see `makePathFormatter`). Without a current folder it stays absolute.
 */
export function shownPath(file: string, options: Pick<InitOptions, "dir" | "cwd">): string {
  if (options.cwd === undefined) return file;
  const shown = makePathFormatter({ root: options.dir, cwd: options.cwd })(file);
  return shown === "." ? "the current folder" : shown;
}

export async function initRepo(options: InitOptions): Promise<InitResult> {
  const created = await makeFolder(options);
  try {
    return await initFolder(options);
  } catch (error) {
    // A refused init leaves no empty folder behind; one that contains a file is kept.
    for (const folder of created.reverse()) await rmdir(folder).catch(() => undefined);
    throw error;
  }
}

/**
 * Returns true when the folder is inside a git work tree. With --no-git, git runs only when a
 * `.git` shows a repository to read, so that cake init works where git is not installed.
 */
async function isInRepo(options: InitOptions): Promise<boolean> {
  if (!options.git && !mayBeInRepo(options.dir)) return false;
  try {
    return await isRepo(options.dir);
  } catch (error) {
    if (!(error instanceof GitError && error.notInstalled)) throw error;
    const fix = options.git
      ? "install git, or pass --no-git when the folder is in no git repository"
      : "install git, or run cake init in a folder outside any git repository";
    throw new CakeError(
      `git is not installed or not on PATH, and cake init needs it to find the git repository of ${shownPath(options.dir, options)} ` +
        `(where the CI files go); ${fix}.`,
      2,
    );
  }
}

async function initFolder(options: InitOptions): Promise<InitResult> {
  const urlProblem = options.repoUrl === undefined ? undefined : repoUrlProblem(options.repoUrl);
  if (urlProblem !== undefined) throw new UsageError(`--repo-url: ${urlProblem}; nothing was written.`);
  await rejectFolderOfEnclosingRepo(options);
  const { varsDir, outputDir } = await existingLayout(options.dir);
  await rejectUsedVarsFolder(options, varsDir);
  // With --force the folder may hold vars files already; check them before writing anything.
  await renderRepoCodeowners(options.dir, {
    varsDir,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });

  const inRepo = await isInRepo(options);
  const { url: repoUrl, note: repoUrlNote } =
    options.repoUrl !== undefined
      ? { url: options.repoUrl, note: undefined }
      : await repoUrlOfRemote(inRepo ? await remoteUrl(options.dir) : undefined);
  const repoPath = inRepo ? (await showPrefix(options.dir)).replace(/\/$/, "") : "";
  const top = repoPath === "" ? options.dir : await showToplevel(options.dir);
  if (repoPath !== "" && !CI_REPO_PATH_PATTERN.test(repoPath)) {
    throw new CakeError(
      `the folder "${repoPath}" of the git repository has characters that cake does not write into ` +
        "CI commands (letters, digits, space and ._@+/- are allowed); rename it, or run cake init elsewhere.",
    );
  }
  const result: InitResult = {
    created: [],
    kept: [],
    repoPath,
    top,
    repoUrl,
    ...(repoUrlNote === undefined ? {} : { repoUrlNote }),
    gitInitialized: false,
  };
  const record = (file: string, written: boolean): void => {
    (written ? result.created : result.kept).push(file);
  };

  // An ops repo that has deployments (`--force`) gets no example: it would be one more
  // deployment, with example users, for Argo CD to sync.
  const layout = { ...(await resolveLayout(options.dir, {}, options.cwd)), varsDir };
  const hasDeployments = (await listVarsFiles(layout)).length > 0;
  const starter = starterFiles(repoUrl, repoPath, varsDir, outputDir);
  const forge = forgeFiles(options.cakePackage, repoPath);
  // Every path is checked before the first write. A symlinked `.github/` or `schema/` would take
  // a starter file out of the repository, and a rejection halfway would leave half of them.
  for (const [file] of starter) await checkTarget(options.dir, file, options);
  for (const [file] of [...forge, [CODEOWNERS_FILE]]) await checkTarget(top, file as string, options);
  for (const [file, text] of starter) {
    const absolute = path.join(options.dir, ...file.split("/"));
    if (hasDeployments && file === exampleVarsFile(varsDir)) {
      if (existsSync(absolute)) result.kept.push(absolute);
      continue;
    }
    record(absolute, await writeIfMissing(absolute, text));
  }

  // The forges read these files only at the top of the git repository, so an ops repo in a
  // subfolder gets them there, with its folder in every cake command.
  for (const [file, text] of forge) {
    const absolute = path.join(top, ...file.split("/"));
    record(absolute, await writeIfMissing(absolute, text));
  }

  // CODEOWNERS comes last, from every vars file in the folder, the example included. A
  // CODEOWNERS in any place a forge reads one is kept, because only one of them applies.
  const existing = findCodeowners(top);
  if (existing !== undefined) {
    result.kept.push(existing);
  } else {
    const file = path.join(top, CODEOWNERS_FILE);
    record(
      file,
      await writeIfMissing(
        file,
        await renderRepoCodeowners(options.dir, options.cwd === undefined ? {} : { cwd: options.cwd }),
      ),
    );
  }

  if (options.git && !inRepo) {
    await gitInit(options.dir);
    result.gitInitialized = true;
  }
  return result;
}

/**
 * Creates the folder `dir` and its missing parents, one level at a time. Node's recursive
 * mkdir retries forever when a file system returns ENOENT for a folder whose parent exists,
 * as /proc and /sys do, so it is used only inside a folder that exists.
 */
async function makeFolder(options: Pick<InitOptions, "dir" | "cwd">): Promise<string[]> {
  const missing: string[] = [];
  const target = path.resolve(options.dir);
  let current = target;
  for (;;) {
    // A path below a file gives ENOTDIR. The walk up then reaches that file and names it.
    const info = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
      throw error;
    });
    if (info !== undefined) {
      // DIR is a command line argument, so a file in its place is a usage error, as a file
      // given as --repo is.
      if (!info.isDirectory() && current === target) {
        throw new UsageError(
          `${shownPath(current, options)} exists and is not a folder; give cake init a folder path.`,
        );
      }
      if (!info.isDirectory()) {
        throw new UsageError(
          `${shownPath(current, options)} is a file, so cake init cannot create the folder ` +
            `${shownPath(target, options)}; give cake init a folder path.`,
        );
      }
      break;
    }
    missing.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const folder of missing) await mkdir(folder);
  return missing;
}

/**
 * Returns the vars and output folders of the ops repo at `dir`: those its `cake.yaml` names,
 * else the older cookiecutter layout's vars folder when that contains vars files, else the
 * defaults. A repo in the older layout that gets the default would lose its deployments,
 * which reconcile would then report as orphans, and an ApplicationSet that watched another
 * output folder than `cake.yaml` names would sync nothing.
 */
async function existingLayout(dir: string): Promise<{ varsDir: string; outputDir: string }> {
  const layout = await resolveLayout(dir);
  if (existsSync(path.join(dir, CONFIG_FILE)))
    return { varsDir: layout.varsDir, outputDir: layout.outputDir };
  const legacy = await listVarsFiles({ ...layout, varsDir: LEGACY_VARS_DIR });
  return { varsDir: legacy.length > 0 ? LEGACY_VARS_DIR : DEFAULT_VARS_DIR, outputDir: DEFAULT_OUTPUT_DIR };
}

async function rejectUsedVarsFolder(options: InitOptions, varsFolder: string): Promise<void> {
  if (options.force) return;
  const varsDir = path.join(options.dir, varsFolder);
  let entries: string[];
  try {
    entries = await readdir(varsDir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    if (code === "ENOTDIR")
      throw new CakeError(`${shownPath(varsDir, options)} exists and is not a folder; move it away first.`);
    throw error;
  }
  if (entries.length > 0) {
    throw new CakeError(
      `${shownPath(varsDir, options)} is not empty, so ${shownPath(options.dir, options)} looks like an ops repo already. ` +
        "Rerun with --force to add the missing starter files (existing files are never overwritten).",
    );
  }
}

/**
 * Rejects `dir` inside the vars or output folder of an ops repo above it, up to the top of the
 * git work tree. That repo would read the new `cake.yaml` and example as vars files of its own,
 * or take the new folder for generated output. An ops repo above is a folder with `cake.yaml`,
 * or with vars files in its vars folder.
 */
async function rejectFolderOfEnclosingRepo(options: Pick<InitOptions, "dir" | "cwd">): Promise<void> {
  const { dir } = options;
  for (let folder = path.dirname(dir); ; folder = path.dirname(folder)) {
    const hasConfig = existsSync(path.join(folder, CONFIG_FILE));
    const layout = await resolveLayout(folder).catch(() => undefined);
    if (layout !== undefined && (hasConfig || (await hasVarsFiles(path.join(folder, layout.varsDir))))) {
      for (const [kind, sub] of [
        ["vars", layout.varsDir],
        ["output", layout.outputDir],
      ] as const) {
        const inside = path.relative(path.join(folder, sub), dir);
        if (inside.startsWith("..") || path.isAbsolute(inside)) continue;
        throw new CakeError(
          `${shownPath(dir, options)} is inside the ${kind} folder of the ops repo at ${shownPath(folder, options)}, ` +
            "which would read a new ops " +
            "repo there as its own files; nothing was written. To work on that ops repo, run its " +
            "commands (cake validate, cake reconcile) from here; to set up another one, pick a folder outside it.",
        );
      }
    }
    if (existsSync(path.join(folder, ".git")) || path.dirname(folder) === folder) return;
  }
}

/** The vars JSON Schema for editors, relative to the repo root. */
const SCHEMA_FILE = "schema/vars.schema.json";

/** Returns the path of the example vars file, relative to the repo root. */
function exampleVarsFile(varsDir: string): string {
  return `${varsDir}/${EXAMPLE_DEPLOYMENT}.yaml`;
}

/** Returns the starter files by path relative to the repo root, in the order they are written. */
function starterFiles(
  repoUrl: string,
  repoPath: string,
  varsDir: string,
  outputDir: string,
): [string, string][] {
  const schemaPath = path.posix.relative(varsDir, SCHEMA_FILE);
  const appName = repoPath === "" ? undefined : starterAppName(repoPath);
  return [
    [
      exampleVarsFile(varsDir),
      varsExampleText({ repoUrl, schemaPath, ...(appName === undefined ? {} : { appName }) }),
    ],
    [SCHEMA_FILE, `${JSON.stringify(varsJsonSchema(), null, 2)}\n`],
    [`${outputDir}/.gitkeep`, ""],
    [CONFIG_FILE, configText(repoPath, varsDir, outputDir)],
    [".gitignore", GITIGNORE_TEXT],
    [
      "README.md",
      readmeText({
        varsDir,
        outputDir,
        exampleDeployment: EXAMPLE_DEPLOYMENT,
        repoPath,
      }),
    ],
    [APPLICATIONSET_FILE, applicationSetText({ repoUrl, outputDir, repoPath })],
  ];
}

/**
 * Returns the CI files by path relative to the top of the git repository. GitHub runs only
 * workflows in `.github/workflows` at the root of the repository
 * (https://docs.github.com/zh/actions/using-workflows/workflow-syntax-for-github-actions), and
 * GitLab reads `.gitlab-ci.yml` at the root unless the project sets a custom CI/CD
 * configuration path (https://gitlab.com/gitlab-org/gitlab/-/issues/20598).
 */
function forgeFiles(cakePackage: string, repoPath: string): [string, string][] {
  return [
    [GITHUB_WORKFLOW_FILE, githubWorkflowText({ cakePackage, repoPath })],
    [GITLAB_CI_FILE, gitlabCiText({ cakePackage, repoPath })],
  ];
}

/**
 * Local files of cake that must not be committed: the output cache (machine-specific mtimes),
 * the repo lock, and the journal and temporary files of a reconcile that is running or was
 * interrupted. `.cake-manifest.json` is committed.
 */
export const GITIGNORE_TEXT = [
  "# Local state of cake; never commit it.",
  ".cake/",
  ".cake.lock",
  ".cake.lock.recover",
  ".cake.lock.*.tmp",
  ".cake-journal.json",
  ".cake-tmp-*",
  "",
].join("\n");

function configText(repoPath: string, varsDir: string, outputDir: string): string {
  const lines = [
    "# Where cake finds the vars files and writes the generated deployments, relative to",
    "# this file. Repos that still use the cookiecutter layout set",
    "# vars_dir: platform/scripts/gen_deploy/vars.",
    `vars_dir: ${varsDir}`,
    `output_dir: ${outputDir}`,
  ];
  if (repoPath !== "") {
    lines.push(
      "# The folder of this file in its git repository, which Argo CD paths start from.",
      "# Update it when the folder moves; cake validate warns when it is out of date.",
      `repo_path: ${JSON.stringify(repoPath)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Rejects a starter file's path that init could not write, or would write out of `base`. Such
 * a path passes through a symlink leading out or a file where a folder goes, or is a folder
 * itself, which `writeIfMissing` would take for an existing file and keep.
 */
async function checkTarget(
  base: string,
  file: string,
  options: Pick<InitOptions, "dir" | "cwd">,
): Promise<void> {
  await assertRealPathInside(base, file);
  const parts = file.split("/");
  for (let depth = 1; depth <= parts.length; depth++) {
    const absolute = path.join(base, ...parts.slice(0, depth));
    const info = await stat(absolute).catch(() => undefined);
    if (info === undefined) return;
    const last = depth === parts.length;
    if (last ? info.isDirectory() : !info.isDirectory()) {
      const problem = last
        ? "a folder where cake init writes a file"
        : "a file where cake init needs a folder";
      throw new CakeError(
        `${shownPath(absolute, options)} is ${problem}; move it away, then rerun. Nothing was written.`,
      );
    }
  }
}

/** Writes `text` unless `file` exists; the `wx` flag makes the check and the write one step. */
async function writeIfMissing(file: string, text: string): Promise<boolean> {
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

interface RenderCodeownersOptions {
  /** Reject a repo without vars files, which would give a CODEOWNERS that names no owner. */
  requireFiles?: boolean;
  /** The vars folder to read instead of the layout's. */
  varsDir?: string;
  /** The current folder, which the paths of the diagnostics are relative to (see `makePathFormatter`). */
  cwd?: string;
}

/**
 * Renders CODEOWNERS from the valid vars files of the repo at `root`, with paths from the
 * top of the git work tree. Throws with the diagnostics when a vars file is invalid.
 */
async function renderRepoCodeowners(root: string, options: RenderCodeownersOptions = {}): Promise<string> {
  const { requireFiles = false, varsDir, cwd } = options;
  const resolved = await resolveLayout(root, {}, cwd);
  const layout = varsDir === undefined ? resolved : { ...resolved, varsDir };
  const loaded = await loadRepo(layout);
  if (requireFiles && loaded.files.length === 0) {
    throw new UsageError(
      `no vars files (*.yaml, *.yml) in ${path.join(layout.root, layout.varsDir)}, so CODEOWNERS would name ` +
        "no owner; run it in an ops repo, or add a vars file first.",
    );
  }
  if (hasErrors(loaded.diagnostics)) {
    throw new CakeError(
      `CODEOWNERS was not written because some vars files are invalid:\n${formatDiagnostics(
        loaded.diagnostics,
        {
          sources: loaded.sources,
          formatPath: makePathFormatter(cwd === undefined ? undefined : { root: layout.root, cwd }),
        },
      ).trimEnd()}`,
    );
  }

  return renderRepoRules(loaded.deployments, (await repoPlace(root, layout.repoPath)).prefix);
}

export interface CodeownersResult {
  /** Each file written or found current, absolute. */
  files: { file: string; status: "written" | "unchanged" }[];
}

/**
 * Regenerates CODEOWNERS of the repo at `root` from its vars files: every CODEOWNERS that cake
 * wrote at the top of the git work tree (see `existingCodeowners`), or a new one there when
 * none exists. GitHub applies `.github/CODEOWNERS` before the root one, GitLab the root one
 * first, so each copy cake wrote is kept current. A CODEOWNERS that cake did not write is never
 * replaced, because it may hold rules for other paths.
 */
export async function regenerateCodeowners(root: string, cwd?: string): Promise<CodeownersResult> {
  const text = await renderRepoCodeowners(root, {
    requireFiles: true,
    ...(cwd === undefined ? {} : { cwd }),
  });
  // The forges read CODEOWNERS only near the top of the git repository, never in a subfolder.
  const { top, prefix } = await repoPlace(root, (await resolveLayout(root)).repoPath);
  const existing = existingCodeowners(top);
  const owned: string[] = [];
  for (const file of existing) {
    const current = await readFile(file, "utf8");
    if (!current.startsWith(CODEOWNERS_HEADER)) continue;
    // A file contains the rules of one ops repo, so rewriting it would drop the other repo's reviewers.
    if (rulesOfAnotherRepo(current, prefix)) {
      throw new CakeError(
        `${file} contains the rules of another ops repo in this git repository, so it was not changed. ` +
          'Merge the rules of "cake init --codeowners --stdout" into it by hand, and delete the two comment lines ' +
          "cake wrote at its top, so that cake treats it as your own file.",
      );
    }
    owned.push(file);
  }
  if (existing.length > 0 && owned.length === 0) {
    throw new CakeError(
      `${existing[0]} was not written by cake, so it is left as it is. ` +
        'Delete it to let cake write it, or copy the rules from "cake init --codeowners --stdout" into it.',
    );
  }

  const files: CodeownersResult["files"] = [];
  for (const file of owned.length > 0 ? owned : [path.join(top, CODEOWNERS_FILE)]) {
    const current = await readFile(file, "utf8").catch(() => undefined);
    if (current === text) {
      files.push({ file, status: "unchanged" });
      continue;
    }
    await writeFileAtomic(file, text);
    files.push({ file, status: "written" });
  }
  return { files };
}

/**
 * Renders the rules of the CODEOWNERS that `regenerateCodeowners` would write, without writing
 * it. The header lines are left out, because the rules are printed to be merged by hand.
 */
export async function renderCodeownersFor(root: string, cwd?: string): Promise<string> {
  const text = await renderRepoCodeowners(root, {
    requireFiles: true,
    ...(cwd === undefined ? {} : { cwd }),
  });
  const { prefix } = await repoPlace(root, (await resolveLayout(root)).repoPath);
  return withoutCodeownersHeader(text, prefix);
}
