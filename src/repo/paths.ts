/**
 * Guards for paths inside an ops repo. cake reads vars files and writes output only
 * inside the repo, so a name, a config value or a symlink can never make it read or
 * write elsewhere.
 */
import { lstat, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import { CakeError } from "../errors.js";

/** Symlinks followed before giving up, as Linux does for path resolution (ELOOP after 40). */
const MAX_SYMLINKS = 40;

/**
 * Returns the absolute path of `relative` under `root`. Rejects a path that could
 * leave `root` or confuse the file system: empty, absolute (POSIX, drive letter or
 * UNC), containing a `..` segment, or containing a NUL character.
 * @throws CakeError naming the path.
 */
export function resolveInside(root: string, relative: string): string {
  const problem = relativePathProblem(relative);
  if (problem !== undefined) {
    throw new CakeError(`the path ${JSON.stringify(relative)} is not allowed inside ${root}: ${problem}.`);
  }
  return path.join(root, relative);
}

/** Returns why `relative` is not a safe path inside a folder, or undefined when it is. */
export function relativePathProblem(relative: string): string | undefined {
  if (relative === "") return "it is empty";
  if (relative.includes("\0")) return "it contains a NUL character";
  if (path.posix.isAbsolute(relative) || path.win32.isAbsolute(relative) || /^[A-Za-z]:/.test(relative)) {
    return "it is absolute; use a path relative to the repo root";
  }
  if (relative.split(/[\\/]/).includes("..")) return 'it contains ".."';
  return undefined;
}

/**
 * Resolves symlinks in `target` and rejects it when the real path lies outside the
 * real path of `root`. A target that does not exist yet is judged by its nearest
 * existing parent folder, so a folder about to be created is checked too. Returns
 * the real path.
 * @throws CakeError naming the symlinked path and where it leads.
 */
export async function assertRealPathInside(root: string, target: string): Promise<string> {
  const realRoot = await realPathOfNearest(path.resolve(root));
  const realTarget = await realPathOfNearest(path.resolve(root, target));
  const relative = path.relative(realRoot, realTarget);
  if (relative.startsWith(`..${path.sep}`) || relative === ".." || path.isAbsolute(relative)) {
    const shown = path.relative(root, path.resolve(root, target)) || ".";
    throw new CakeError(
      `${shown} leads to ${realTarget} through a symlink, outside the repo ${realRoot}; ` +
        "cake reads and writes only inside the repo. Replace the symlink with a real file or folder, then rerun.",
    );
  }
  return realTarget;
}

/**
 * Rejects a deployment folder `folder` (relative to `root`) that is, or lies below, a symlink,
 * even one that stays inside the repo. Writing through it would change the folder the link
 * points to, perhaps another deployment's, while the merge request shows those changes under
 * that other path. Segments that do not exist yet are fine: cake creates them as folders.
 * @throws CakeError naming the symlink and where it points.
 */
export async function assertNoSymlinkedFolder(root: string, folder: string): Promise<void> {
  const segments = folder.split(/[\\/]/).filter((segment) => segment !== "" && segment !== ".");
  for (let depth = 1; depth <= segments.length; depth++) {
    const linkPath = segments.slice(0, depth).join("/");
    const link = path.join(root, linkPath);
    const info = await lstat(link).catch(ignoreMissing);
    if (info === undefined) return;
    if (!info.isSymbolicLink()) continue;
    const target = await readlink(link);
    throw new CakeError(
      `${linkPath} is a symlink to ${target}, but cake writes ${folder} only as a real folder at that path, ` +
        "so that a merge request shows its changes there and no other folder changes through the link. " +
        "Replace the symlink with the folder it points to, or delete it if that folder belongs to something else, then rerun.",
    );
  }
}

function ignoreMissing(error: unknown): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
  return undefined;
}

/**
 * Returns the real path of `absolute`, or of its nearest existing parent joined with
 * the rest. A dangling symlink is followed to where it points, because writing
 * through it would create its target.
 */
async function realPathOfNearest(absolute: string): Promise<string> {
  const missing: string[] = [];
  let current = absolute;
  for (let links = 0; links < MAX_SYMLINKS; ) {
    try {
      return path.join(await realpath(current), ...[...missing].reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    }

    const info = await lstat(current).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      current = path.resolve(path.dirname(current), await readlink(current));
      links += 1;
      continue;
    }
    const parent = path.dirname(current);
    if (parent === current) return absolute;
    missing.push(path.basename(current));
    current = parent;
  }
  throw new CakeError(
    `${absolute} goes through more than ${MAX_SYMLINKS} symlinks; replace them with real folders.`,
  );
}
