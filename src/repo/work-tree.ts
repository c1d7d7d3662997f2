import { existsSync } from "node:fs";
import path from "node:path";

/**
 * Returns the nearest folder from `folder` up that has a `.git` (the folder of a repository,
 * or the file of a worktree or submodule), or undefined. It runs no git, so it costs a few
 * `stat` calls and works where git is not installed; a `.git` it finds may still be one that
 * git would reject.
 */
export function nearestGitFolder(folder: string): string | undefined {
  for (let current = folder; ; current = path.dirname(current)) {
    if (existsSync(path.join(current, ".git"))) return current;
    if (path.dirname(current) === current) return undefined;
  }
}
