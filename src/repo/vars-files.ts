/** The vars files of an ops repo and the deployments they name, without loading them. */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { type PathFormatter, repoRelative } from "./display-path.js";
import { LEGACY_VARS_DIR, type RepoLayout } from "./layout.js";
import { findOpsReposBelow } from "./root.js";
import { shellWord } from "./shell.js";

/** Returns the deployment name a vars file's name implies: `vars/prod-us-east-1.yaml` gives `prod-us-east-1`. */
export function deploymentNameOfFile(file: string): string {
  return path.basename(file).replace(/\.ya?ml$/, "");
}

/** Lists the vars files of a repo, sorted; an absent vars folder gives an empty list. */
export async function listVarsFiles(layout: RepoLayout): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(layout.root, layout.varsDir));
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === "ENOENT" ||
      (error as NodeJS.ErrnoException).code === "ENOTDIR"
    ) {
      return [];
    }
    throw error;
  }
  return names
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => `${layout.varsDir}/${name}`);
}

/**
 * Rejects two vars files that map to one output folder. Folders are compared
 * ignoring case, because on macOS and Windows they would be the same folder.
 * `formatPath` gives the paths the error prints.
 */
export function checkOneFilePerFolder(
  deployments: readonly { varsFile: string; outputPath: string }[],
  formatPath: PathFormatter = repoRelative,
): void {
  const byFolder = new Map<string, { varsFile: string; outputPath: string }>();
  for (const deployment of deployments) {
    const key = deployment.outputPath.toLowerCase();
    const other = byFolder.get(key);
    if (other !== undefined) {
      throw new UsageError(
        `${formatPath(other.varsFile)} and ${formatPath(deployment.varsFile)} would both write ` +
          `${formatPath(deployment.outputPath)}; ` +
          "keep one vars file per deployment (rename or delete the other).",
      );
    }
    byFolder.set(key, deployment);
  }
}

/**
 * Returns the fix for a repo without vars files in its vars folder when they are likely
 * elsewhere: in the folder of the cookiecutter layout (see `legacyVarsHint`), or in an ops repo
 * below the root, as at the top of a monorepo whose ops repo is `platform/ops`. Returns
 * undefined otherwise. `formatPath` gives the `--repo` value relative to the current folder.
 */
export async function misplacedVarsHint(
  layout: RepoLayout,
  formatPath: PathFormatter = repoRelative,
): Promise<string | undefined> {
  const legacy = await legacyVarsHint(layout);
  if (legacy !== undefined) return legacy;
  const below = (await findOpsReposBelow(layout.root)).map((folder) => shellWord(formatPath(folder)));
  if (below.length === 0) return undefined;
  if (below.length === 1)
    return `${below[0]} has a cake.yaml: pass --repo ${below[0]}, or run cake in that folder.`;
  return `the folders ${below.join(", ")} have a cake.yaml each: pass --repo with the ops repo you mean.`;
}

/**
 * Returns the fix for a repo without vars files in its vars folder when the vars files are in
 * the folder of the cookiecutter layout, which cake replaces. Returns undefined otherwise.
 */
export async function legacyVarsHint(layout: RepoLayout): Promise<string | undefined> {
  if (layout.varsDir === LEGACY_VARS_DIR) return undefined;
  const names = await readdir(path.join(layout.root, LEGACY_VARS_DIR)).catch(() => []);
  if (!names.some((name) => /\.ya?ml$/.test(name))) return undefined;
  return `the vars files are in ${LEGACY_VARS_DIR}: pass --vars-dir ${LEGACY_VARS_DIR}, or set vars_dir in cake.yaml.`;
}
