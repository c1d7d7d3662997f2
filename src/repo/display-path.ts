/**
 * Paths as text output shows them. Like a compiler's diagnostics and `git status`, text
 * output names each file relative to the folder the command runs in, so the path works
 * when pasted into the same shell and an editor's terminal can open it as a link.
 */
import { realpathSync } from "node:fs";
import path from "node:path";
import { nearestGitFolder } from "./work-tree.js";

/** The folders of a command run: the ops repo root and the current folder, both absolute. */
export interface CommandLocation {
  /** Absolute path of the repo root. */
  root: string;
  /** Absolute path of the folder the command was run from. */
  cwd: string;
}

/** Turns a path relative to the repo root (`/` separators), or an absolute path, into the path to print. */
export type PathFormatter = (file: string) => string;

/** Returns paths relative to the repo root unchanged, for callers that know no current folder. */
export const repoRelative: PathFormatter = (file) => file;

/**
 * Returns the formatter of paths for a command run at `location`. A path is shown relative
 * to the current folder, with `.` for the folder itself and `/` separators. The exception is a
 * path that would go up out of the git work tree that contains the ops repo, or out of the ops
 * repo when it is in no work tree. Such a path, as `--repo /srv/ops` from a home folder
 * gives, is shown absolute, because a long chain of `../` through unrelated folders is
 * harder to read than the absolute path.
 */
export function makePathFormatter(location: CommandLocation | undefined): PathFormatter {
  if (location === undefined) return repoRelative;
  // `..` is resolved by the kernel against the real path of the current folder, so the two
  // folders are compared by their real paths: a current folder reached through a symlink
  // would otherwise give a `../` chain that leads elsewhere.
  const cwd = realPathOr(location.cwd);
  const root = realPathOr(location.root);
  // A path to print does not justify starting git, and the boundary only picks relative or absolute.
  const boundary = nearestGitFolder(root) ?? root;
  const cache = new Map<string, string>();

  return (file) => {
    let formatted = cache.get(file);
    if (formatted !== undefined) return formatted;
    formatted = formatPath(file, { cwd, root, boundary, logicalRoot: location.root });
    cache.set(file, formatted);
    return formatted;
  };
}

interface RealLocation {
  cwd: string;
  root: string;
  /** The top of the git work tree of `root`, or `root`. */
  boundary: string;
  /** The repo root as the command line gave it, for absolute paths. */
  logicalRoot: string;
}

function formatPath(file: string, location: RealLocation): string {
  const absolute = path.isAbsolute(file) ? file : path.join(location.root, ...file.split("/"));
  const relative = path.relative(location.cwd, absolute);
  const segments = relative === "" ? [] : relative.split(path.sep);
  // The number of leading `..` segments: how far the path goes up before it goes down.
  const firstDown = segments.findIndex((segment) => segment !== "..");
  const climbed = firstDown === -1 ? segments.length : firstDown;
  if (
    climbed > 0 &&
    !isInside(path.resolve(location.cwd, ...segments.slice(0, climbed)), location.boundary)
  ) {
    return toSlashes(path.isAbsolute(file) ? file : path.join(location.logicalRoot, ...file.split("/")));
  }
  return relative === "" ? "." : toSlashes(relative);
}

function isInside(folder: string, ancestor: string): boolean {
  const relative = path.relative(ancestor, folder);
  return (
    relative === "" ||
    (!relative.startsWith(`..${path.sep}`) && relative !== ".." && !path.isAbsolute(relative))
  );
}

function toSlashes(file: string): string {
  return file.split(path.sep).join("/");
}

function realPathOr(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return path.resolve(folder);
  }
}
