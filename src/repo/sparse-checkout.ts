/**
 * Deployments whose output folder a sparse checkout leaves out. Reconcile skips them by
 * default: it would write their files where git does not look, and `--check` would report
 * them as missing.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import type { RepoLayout } from "./layout.js";
import { deploymentNameOfFile, listVarsFiles } from "./vars-files.js";
import { nearestGitFolder } from "./work-tree.js";

/**
 * Returns the git folder of the work tree that contains `root` (`.git`, or where the `.git`
 * file of a worktree or submodule points), or undefined. It runs no git.
 */
function gitFolderOf(root: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(root);
  } catch {
    return undefined;
  }
  const top = nearestGitFolder(real);
  if (top === undefined) return undefined;
  const dotGit = path.join(top, ".git");
  if (statSync(dotGit).isDirectory()) return dotGit;
  const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
  return pointer === undefined ? undefined : path.resolve(top, pointer);
}

/**
 * Returns true when the work tree of `root` may be a sparse checkout: its git folder has an
 * `info/sparse-checkout` file, which `git sparse-checkout` writes. It runs no git, so a normal
 * run pays a few `stat` calls. The file stays after `git sparse-checkout disable`, so true
 * means "maybe": `core.sparseCheckout` decides.
 */
function mayBeSparse(root: string, env: NodeJS.ProcessEnv): boolean {
  // With GIT_DIR set, git may read another folder than the one found from `root`.
  if (env.GIT_DIR !== undefined) return true;
  const gitFolder = gitFolderOf(root);
  return gitFolder !== undefined && existsSync(path.join(gitFolder, "info", "sparse-checkout"));
}

/**
 * Returns the names of the deployments of `layout` whose output folder the sparse checkout of
 * its root leaves out: git tracks files in it, and every one has the skip-worktree bit. A
 * folder git tracks nothing in, as that of a new deployment, counts as inside, because git has
 * no file to tell by. Outside a sparse checkout, or where git fails, none is returned.
 */
export async function deploymentsOutsideSparseCheckout(
  layout: RepoLayout,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  if (!mayBeSparse(layout.root, env)) return [];
  const { configBoolean, GitError, trackedFilesSkipped } = await import("../git/git.js");
  try {
    if ((await configBoolean(layout.root, "core.sparseCheckout")) !== true) return [];
    const names = (await listVarsFiles(layout)).map(deploymentNameOfFile);
    const tracked = await trackedFilesSkipped(
      layout.root,
      names.map((name) => `${layout.outputDir}/${name}`),
    );
    // Per deployment name: whether every tracked file in its folder is skipped.
    const allSkipped = new Map<string, boolean>();
    const prefix = `${layout.outputDir}/`;
    for (const { file, skipped } of tracked) {
      const name = file.startsWith(prefix) ? file.slice(prefix.length).split("/")[0] : undefined;
      if (name !== undefined) allSkipped.set(name, (allSkipped.get(name) ?? true) && skipped);
    }
    return names.filter((name) => allSkipped.get(name) === true);
  } catch (error) {
    // Without git, or in a repository git rejects, every deployment is reconciled as before.
    if (error instanceof GitError) return [];
    throw error;
  }
}
