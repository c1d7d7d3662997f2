/**
 * The ops repo root that a command works on: `--repo`, or else the current folder or the
 * nearest folder above it with a `cake.yaml`, found the way git finds `.git`.
 */
import { lstat, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { PathFormatter } from "./display-path.js";
import { CONFIG_FILE, DEFAULT_VARS_DIR, type RepoLayout, resolveLayout } from "./layout.js";
import { type LayoutOptions, shellWord } from "./shell.js";

/**
 * Resolves the layout of the ops repo that a command run in `cwd` works on. The root is
 * found by `findRepoRoot`, and the folders come from the flags, else `cake.yaml`, else the
 * defaults, as `resolveLayout` picks them.
 */
export async function resolveCommandLayout(cwd: string, options: LayoutOptions): Promise<RepoLayout> {
  const root = await findRepoRoot(cwd, options);
  const flags = {
    ...(options.varsDir ? { varsDir: options.varsDir } : {}),
    ...(options.outputDir ? { outputDir: options.outputDir } : {}),
  };
  return resolveLayout(root, flags, cwd);
}

/**
 * Finds the absolute path of the ops repo root for a command run in `cwd`. `--repo` names it,
 * relative to `cwd`. Without it, `cwd` is the root when it has a `cake.yaml` or its own vars
 * folder (`--vars-dir`, else `vars`), and otherwise the nearest folder above with a `cake.yaml`
 * is. The search stops at the top of the git work tree, the first folder with a `.git` folder
 * or file, and uses that folder's `cake.yaml` but none above it, because a folder outside the
 * repository is no part of it. Without any `cake.yaml`, the top of the work tree is the root
 * when its vars folder has vars files, as in a repo that keeps the default layout without
 * `cake.yaml`. Outside git the search stops at the filesystem root. When nothing is found, the
 * root is `cwd`, so errors name the folder the user is in.
 */
export async function findRepoRoot(cwd: string, options: LayoutOptions = {}): Promise<string> {
  const start = path.resolve(cwd);
  if (options.repo !== undefined) return path.resolve(start, options.repo);

  // The current folder is a root by its own cake.yaml or vars folder.
  const varsDir = options.varsDir || DEFAULT_VARS_DIR;
  if (await exists(path.join(start, CONFIG_FILE))) return start;
  if ((await stat(path.join(start, varsDir)).catch(() => undefined))?.isDirectory()) return start;

  // A vars folder above `cwd` is not a reliable mark of a root in general: a cake.yaml with
  // `vars_dir: config/vars` makes `config` look like one. So cake.yaml is searched first, and
  // a vars folder counts only at the top of the work tree, with vars files in it.
  let folder = start;
  while (!(await exists(path.join(folder, ".git")))) {
    const parent = path.dirname(folder);
    if (parent === folder) return start;
    folder = parent;
    if (await exists(path.join(folder, CONFIG_FILE))) return folder;
  }
  return folder !== start && (await hasVarsFiles(path.join(folder, varsDir))) ? folder : start;
}

/** Returns true when `folder` is a folder with at least one `.yaml` or `.yml` file that is not hidden (`.gitlab-ci.yml`). */
export async function hasVarsFiles(folder: string): Promise<boolean> {
  const names = await readdir(folder).catch(() => []);
  return names.some((name) => !name.startsWith(".") && /\.ya?ml$/.test(name));
}

/**
 * Returns true when the root of `layout` looks like its own vars folder: it is named like the
 * vars folder (`vars`) and has vars files. That happens when cake runs from `vars/` of a repo
 * whose root it could not find.
 */
export async function rootLooksLikeVarsFolder(layout: { root: string; varsDir: string }): Promise<boolean> {
  return path.basename(layout.root) === path.basename(layout.varsDir) && (await hasVarsFiles(layout.root));
}

/** Maximum depth below the root that `findOpsReposBelow` looks at: `platform/ops` is at depth 2. */
const MAX_SEARCH_DEPTH = 3;

/**
 * Maximum number of folders that `findOpsReposBelow` reads, so that the search at the top of a
 * large monorepo stays short. NOTE: a guessed bound, not a measured one.
 */
const MAX_SEARCHED_FOLDERS = 1000;

/**
 * Returns the folders below `root`, relative to it with `/` separators, that have a `cake.yaml`:
 * the ops repos of a larger repository, for the fix of a command run at its top. The search is
 * breadth-first and bounded by `MAX_SEARCH_DEPTH` and `MAX_SEARCHED_FOLDERS`. It skips hidden
 * folders, `node_modules` and symbolic links, and does not look inside an ops repo it found.
 */
export async function findOpsReposBelow(root: string): Promise<string[]> {
  const found: string[] = [];
  let level = [""];
  let searched = 0;
  for (let depth = 1; depth <= MAX_SEARCH_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const parent of level) {
      if (searched >= MAX_SEARCHED_FOLDERS) return found.sort();
      searched++;
      const entries = await readdir(path.join(root, parent), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name === "node_modules") continue;
        const folder = parent === "" ? entry.name : `${parent}/${entry.name}`;
        if (await exists(path.join(root, folder, CONFIG_FILE))) found.push(folder);
        else next.push(folder);
      }
    }
    level = next.sort();
  }
  return found.sort();
}

/**
 * Returns the folder argument, with a leading space, of a `cake init` that a message suggests,
 * or "" when the ops repo is the current folder. `cake init` takes the repo folder as an
 * argument and never searches for it, so a root found above the current folder is named.
 */
export function initFolderArgument(options: LayoutOptions, root: string, formatPath: PathFormatter): string {
  if (options.repo !== undefined) return ` ${shellWord(options.repo)}`;
  const folder = formatPath(root);
  return folder === "." ? "" : ` ${shellWord(folder)}`;
}

async function exists(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined)) !== undefined;
}
