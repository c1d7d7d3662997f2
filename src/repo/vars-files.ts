/** The vars files of an ops repo and the deployments they name, without loading them. */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import type { RepoLayout } from "./layout.js";

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
 */
export function checkOneFilePerFolder(
  deployments: readonly { varsFile: string; outputPath: string }[],
): void {
  const byFolder = new Map<string, { varsFile: string; outputPath: string }>();
  for (const deployment of deployments) {
    const key = deployment.outputPath.toLowerCase();
    const other = byFolder.get(key);
    if (other !== undefined) {
      throw new UsageError(
        `${other.varsFile} and ${deployment.varsFile} would both write ${deployment.outputPath}; ` +
          "keep one vars file per deployment (rename or delete the other).",
      );
    }
    byFolder.set(key, deployment);
  }
}
