/**
 * The one place cake runs `git`. Every call goes through `execFile` with an argument
 * array and an explicit working directory, so no value ever passes through a shell.
 * Functions return `undefined` for an expected "not there" (an unknown ref, a missing
 * file, no merge base) and throw `GitError` for anything else.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path, { posix } from "node:path";
import { CakeError } from "../errors.js";
import { nearestGitFolder } from "../repo/work-tree.js";

/** Maximum output read from one git call. A vars file of 10k users is a few MB by estimate, far below it. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** A git command that failed, with the arguments it ran with and what git wrote to stderr. */
export class GitError extends CakeError {
  readonly args: readonly string[];
  readonly cwd: string;
  readonly stderr: string;
  /** The exit status of git, or null when it did not run or was killed. */
  readonly status: number | null;
  /** True when git did not run because no `git` is on PATH. */
  readonly notInstalled: boolean;

  constructor(
    message: string,
    details: {
      args: readonly string[];
      cwd: string;
      stderr?: string;
      status?: number | null;
      notInstalled?: boolean;
    },
  ) {
    // Exit code 2, as for a usage error: git missing or refusing the repository is a problem of
    // the environment, and a CI step reads exit code 1 from `cake plan` as a destructive plan.
    super(message, 2);
    this.name = "GitError";
    this.args = details.args;
    this.cwd = details.cwd;
    this.stderr = details.stderr ?? "";
    this.status = details.status ?? null;
    this.notInstalled = details.notInstalled ?? false;
  }
}

interface GitResult {
  stdout: Buffer;
  stderr: string;
  status: number;
}

/**
 * Runs git and returns its output when the exit status is 0 or one of `okStatuses`.
 * `LC_ALL=C` keeps messages in English, and `GIT_TERMINAL_PROMPT=0` makes a call that
 * would ask for credentials fail instead of hanging.
 */
function runGit(
  cwd: string,
  args: readonly string[],
  okStatuses: readonly number[] = [],
  input?: string,
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      {
        cwd,
        encoding: "buffer",
        maxBuffer: MAX_OUTPUT_BYTES,
        env: { ...process.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" },
      },
      (error, stdout, stderrBuffer) => {
        const stderr = stderrBuffer.toString("utf8");
        if (!error) {
          resolve({ stdout, stderr, status: 0 });
          return;
        }

        const code: unknown = (error as NodeJS.ErrnoException).code;
        if (typeof code === "number" && okStatuses.includes(code)) {
          resolve({ stdout, stderr, status: code });
          return;
        }
        reject(failure(args, cwd, stderr, code));
      },
    );
    // git may exit before it reads all of its input (a bad ref, say); the exit status reports that.
    child.stdin?.on("error", () => {});
    child.stdin?.end(input ?? "");
  });
}

function failure(args: readonly string[], cwd: string, stderr: string, code: unknown): GitError {
  const command = `git ${args.join(" ")}`;
  if (code === "ENOENT") {
    if (!existsSync(cwd))
      return new GitError(`${command} failed in ${cwd}: the folder does not exist`, { args, cwd });
    return new GitError(`${command} failed in ${cwd}: git is not installed or not on PATH`, {
      args,
      cwd,
      notInstalled: true,
    });
  }
  if (code === "EACCES") {
    return new GitError(
      `${command} failed in ${cwd}: the git on PATH cannot be run (permission denied); ` +
        "check that PATH leads to an executable git",
      { args, cwd },
    );
  }
  const status = typeof code === "number" ? code : null;
  const detail = stderr.trim() || (status === null ? String(code) : `exit status ${status}`);
  return new GitError(`${command} failed in ${cwd}: ${detail}`, { args, cwd, stderr, status });
}

async function gitText(cwd: string, args: readonly string[]): Promise<string> {
  return (await runGit(cwd, args)).stdout.toString("utf8").trim();
}

/**
 * Rejects a ref that git would read as an option. Refs come from the command line,
 * and `--output=x` given as a ref must never reach git as a flag.
 */
function checkRef(cwd: string, ref: string): void {
  if (ref === "" || ref.startsWith("-")) {
    throw new GitError(`invalid ref "${ref}": a ref must not be empty or start with "-"`, { args: [], cwd });
  }
}

/**
 * Returns false when no folder from `cwd` up to the root has a `.git` (the folder of a
 * repository, or the file of a worktree or submodule) and GIT_DIR is unset, so `cwd` is in
 * no git work tree. It runs no git, for callers that must work where git is not installed.
 * True means "maybe": ask `isRepo`.
 */
export function mayBeInRepo(cwd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.GIT_DIR !== undefined) return true;
  // Git looks for `.git` above the real path of its working folder, so a path through a
  // symlink is resolved first: its own parents may be in no repository.
  let start: string;
  try {
    start = realpathSync(cwd);
  } catch {
    start = path.resolve(cwd);
  }
  return nearestGitFolder(start) !== undefined;
}

/** Returns true when `cwd` is inside a git work tree. */
export async function isRepo(cwd: string): Promise<boolean> {
  const result = await runGit(cwd, ["rev-parse", "--is-inside-work-tree"], [128]);
  // Git 2.35.2 and later refuse a repository another user owns, as in CI containers that
  // run as another user than the checkout's owner. That is a repository, so the error gives
  // git's reason.
  if (result.status === 128 && result.stderr.includes("dubious ownership")) {
    const top = /safe\.directory (\S+)/.exec(result.stderr)?.[1] ?? cwd;
    throw new GitError(
      `git rejected the repository ${top}, because another user owns it ("dubious ownership"). ` +
        `If you trust it, run: git config --global --add safe.directory ${top}`,
      { args: ["rev-parse", "--is-inside-work-tree"], cwd, stderr: result.stderr, status: 128 },
    );
  }
  return result.status === 0 && result.stdout.toString("utf8").trim() === "true";
}

/** Returns true when the repository at `cwd` is a shallow clone, whose history is cut off. */
export async function isShallow(cwd: string): Promise<boolean> {
  return (await gitText(cwd, ["rev-parse", "--is-shallow-repository"])) === "true";
}

/**
 * Returns the commits at the boundary of a shallow clone, sorted, or an empty list for a clone
 * with full history. `git fetch --deepen` moves the boundary and keeps the clone shallow, so
 * a result computed from the history at hand is current only while the boundary is the same.
 */
export async function shallowBoundary(cwd: string): Promise<string[]> {
  const file = path.resolve(cwd, await gitText(cwd, ["rev-parse", "--git-path", "shallow"]));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .sort();
}

/** Returns the commit id `ref` points to, or undefined when it names no commit. */
export async function revParse(cwd: string, ref: string): Promise<string | undefined> {
  checkRef(cwd, ref);
  const result = await runGit(
    cwd,
    ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`],
    [1],
  );
  if (result.status !== 0) return undefined;
  return result.stdout.toString("utf8").trim();
}

/** Returns the best common ancestor of two commits, or undefined when their histories are unrelated. */
export async function mergeBase(cwd: string, left: string, right: string): Promise<string | undefined> {
  checkRef(cwd, left);
  checkRef(cwd, right);
  const result = await runGit(cwd, ["merge-base", left, right], [1]);
  if (result.status !== 0) return undefined;
  return result.stdout.toString("utf8").trim();
}

/** Returns true when commit `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  checkRef(cwd, ancestor);
  checkRef(cwd, descendant);
  const result = await runGit(cwd, ["merge-base", "--is-ancestor", ancestor, descendant], [1]);
  return result.status === 0;
}

/**
 * Returns the text of the file at `path` in commit `ref`, or undefined when the commit
 * has no file there. `path` is relative to `cwd`, which may be a subfolder of the work tree.
 * Symlinks in the path are followed as a checkout of `ref` would follow them, as long as
 * they stay inside `cwd`: the working-tree commands read a symlinked vars file or folder
 * where it points, so a plan must too.
 */
export async function showFile(cwd: string, ref: string, path: string): Promise<string | undefined> {
  checkRef(cwd, ref);
  let entry = await treeEntry(cwd, ref, path);
  const linked = entry?.mode === SYMLINK_MODE;
  if (entry === undefined || entry.mode === SYMLINK_MODE) {
    const resolved = await resolveLinks(cwd, ref, path);
    // The bytes behind such a link are not in the commit, and reading the file as missing
    // would show it as deleted, with every Profile it made as removed.
    if (resolved === undefined) {
      throw new CakeError(
        `${path} at ${ref} is a symlink that leads outside ${cwd} (or through too many links), so its ` +
          "contents at that commit are unknown; commit the file itself in place of the symlink.",
      );
    }
    entry = await treeEntry(cwd, ref, resolved);
    // A link to nothing, or to a folder, is not a missing file either.
    if (linked && (entry === undefined || entry.type !== "blob")) {
      throw new CakeError(
        `${path} at ${ref} is a symlink to ${resolved}, which is not a file at that commit; commit the file itself in place of the symlink.`,
      );
    }
  }
  if (entry === undefined || entry.type !== "blob" || entry.mode === SYMLINK_MODE) return undefined;
  return (await runGit(cwd, ["cat-file", "blob", entry.id])).stdout.toString("utf8");
}

/**
 * Returns the regular files under folder `dir` (relative to `cwd`) at `ref`, in all its
 * subfolders, by their paths relative to `dir`. Symlinks are left out. Two git calls read
 * them all, so thousands of generated files cost about as much as one.
 */
export async function readFolder(cwd: string, ref: string, dir: string): Promise<Map<string, string>> {
  checkRef(cwd, ref);
  const prefix = `${dir.replace(/\/+$/, "")}/`;
  const listing = (
    await runGit(cwd, ["ls-tree", "-r", "-z", "--end-of-options", ref, "--", prefix])
  ).stdout.toString("utf8");
  const blobs: { path: string; id: string }[] = [];
  for (const line of listing.split("\0")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const [mode, type, id] = line.slice(0, tab).split(" ");
    const path = line.slice(tab + 1);
    if (type !== "blob" || mode === SYMLINK_MODE || id === undefined || !path.startsWith(prefix)) continue;
    blobs.push({ path: path.slice(prefix.length), id });
  }
  const files = new Map<string, string>();
  if (blobs.length === 0) return files;

  const contents = await readObjects(
    cwd,
    blobs.map(({ id }) => id),
  );
  for (const [index, { path }] of blobs.entries()) {
    const content = contents[index];
    if (content === undefined) {
      throw new GitError(`git cat-file --batch gave unexpected output for ${prefix}${path} at ${ref}`, {
        args: ["cat-file", "--batch"],
        cwd,
      });
    }
    files.set(path, content);
  }
  return files;
}

/**
 * Returns the text of each file that `files` names by commit and path (relative to `cwd`), or
 * undefined where the commit has no file there. One git call reads them all. Unlike
 * `showFile`, it follows no symlinks.
 */
export async function showFiles(
  cwd: string,
  files: readonly { ref: string; path: string }[],
): Promise<(string | undefined)[]> {
  for (const { ref } of files) checkRef(cwd, ref);
  // `<rev>:./<path>` reads the path relative to the working folder, as the other calls do.
  return readObjects(
    cwd,
    files.map(({ ref, path }) => `${ref}:./${path}`),
  );
}

/**
 * Returns the text of each blob that `names` gives (an object id or `<rev>:<path>`), or
 * undefined for a name that is missing or not a blob. `cat-file --batch` prints
 * "<id> <type> <size>\n<bytes>\n" for an object it finds and "<name> missing\n" otherwise.
 */
async function readObjects(cwd: string, names: readonly string[]): Promise<(string | undefined)[]> {
  if (names.length === 0) return [];
  if (names.some((name) => name.includes("\n"))) {
    throw new GitError("an object name for git cat-file --batch contains a newline", { args: [], cwd });
  }
  const input = names.map((name) => `${name}\n`).join("");
  const output = (await runGit(cwd, ["cat-file", "--batch"], [], input)).stdout;
  const contents: (string | undefined)[] = [];
  let offset = 0;
  for (const name of names) {
    const headerEnd = output.indexOf(10, offset);
    if (headerEnd < 0) {
      throw new GitError(`git cat-file --batch gave unexpected output for ${name}`, {
        args: ["cat-file", "--batch"],
        cwd,
      });
    }
    const header = output.subarray(offset, headerEnd).toString("utf8").split(" ");
    offset = headerEnd + 1;
    const size = Number(header[2]);
    if (header.length !== 3 || !Number.isSafeInteger(size)) {
      // "<name> missing", or "<name> ambiguous" for an abbreviated id.
      contents.push(undefined);
      continue;
    }
    contents.push(header[1] === "blob" ? output.subarray(offset, offset + size).toString("utf8") : undefined);
    offset += size + 1;
  }
  return contents;
}

/** The mode git gives a symlink in a tree. */
const SYMLINK_MODE = "120000";
/** The number of symlinks followed in one path before giving up, which stops a loop. */
const MAX_LINKS = 8;

interface TreeEntry {
  mode: string;
  type: string;
  id: string;
}

/** Returns the tree entry at `path` (relative to `cwd`) in `ref`, or undefined when there is none. */
async function treeEntry(cwd: string, ref: string, path: string): Promise<TreeEntry | undefined> {
  const output = (await runGit(cwd, ["ls-tree", "-z", "--end-of-options", ref, "--", path])).stdout.toString(
    "utf8",
  );
  const line = output.split("\0")[0] ?? "";
  const tab = line.indexOf("\t");
  if (tab < 0) return undefined;
  const [mode, type, id] = line.slice(0, tab).split(" ");
  // Only an entry with exactly this path counts, not one listed under it.
  if (line.slice(tab + 1) !== path.replace(/\/+$/, "")) return undefined;
  return mode === undefined || type === undefined || id === undefined ? undefined : { mode, type, id };
}

/**
 * Returns `path` (relative to `cwd`) with every symlink among its parts resolved in the tree
 * of `ref`, or the path itself when none is a symlink. Returns undefined when a symlink leads
 * outside `cwd` or the links nest deeper than `MAX_LINKS`.
 */
async function resolveLinks(cwd: string, ref: string, path: string): Promise<string | undefined> {
  let current = path.replace(/\/+$/, "");
  for (let hop = 0; hop <= MAX_LINKS; hop++) {
    const parts = current.split("/");
    let link: { at: number; target: string } | undefined;
    for (let index = 1; index <= parts.length && link === undefined; index++) {
      const entry = await treeEntry(cwd, ref, parts.slice(0, index).join("/"));
      if (entry === undefined) return current;
      if (entry.mode === SYMLINK_MODE) {
        const target = (await runGit(cwd, ["cat-file", "blob", entry.id])).stdout.toString("utf8");
        link = { at: index, target };
      }
    }
    if (link === undefined) return current;
    if (posix.isAbsolute(link.target)) return undefined;
    const folder = posix.dirname(parts.slice(0, link.at).join("/"));
    current = posix.normalize(posix.join(folder, link.target, ...parts.slice(link.at)));
    if (current === ".." || current.startsWith("../")) return undefined;
  }
  return undefined;
}

/**
 * Returns the last commit at or before `ref` that changed `path` (relative to `cwd`), or
 * undefined when the history at hand has none, as in a shallow clone.
 */
export async function lastCommitChanging(
  cwd: string,
  ref: string,
  path: string,
): Promise<string | undefined> {
  checkRef(cwd, ref);
  const output = await gitText(cwd, ["log", "-1", "--format=%H", "--end-of-options", ref, "--", path]);
  return output === "" ? undefined : output;
}

/**
 * Returns the files under folder `dir` (relative to `cwd`) that a commit at or before `ref`
 * deleted, each with the newest commit that deleted it. With `since`, only commits that are
 * not `since` or its ancestors count. Renames count as a deletion and an addition. A merge
 * counts as deleting the files that its first parent had and it lacks, so the commit before a
 * deletion is always `<commit>^`. One `git log` reads the history of the folder; a shallow
 * clone gives only the deletions in the history at hand.
 */
export async function deletedFiles(
  cwd: string,
  ref: string,
  dir: string,
  since?: string,
): Promise<Map<string, string>> {
  checkRef(cwd, ref);
  if (since !== undefined) checkRef(cwd, since);
  const prefix = `${dir.replace(/\/+$/, "")}/`;
  const range = since === undefined ? [ref] : [ref, `^${since}`];
  // By default git log follows only the parent of a merge that the merge left the folder as,
  // and shows no files for merges. Both hid deletions: one on a branch merged in by `git pull`,
  // and one made while resolving a merge. `--date-order` lists no commit before its children.
  const args = ["log", "--full-history", "--date-order", "--relative", "--no-renames", "--diff-filter=D"];
  const format = ["--name-only", "-z", "--format=%H", "--end-of-options", ...range, "--", prefix];
  let output: string;
  try {
    output = await gitText(cwd, [...args, "--diff-merges=first-parent", ...format]);
  } catch (error) {
    // Git before 2.31 has no --diff-merges, and misses only the deletions made in merges.
    if (!(error instanceof GitError && error.stderr.includes("--diff-merges"))) throw error;
    output = await gitText(cwd, [...args, ...format]);
  }
  // With -z, each commit is its hash, NUL, then a newline before its first path, and NUL
  // after every path. Paths start with `prefix`, which a hash never does.
  const deleted = new Map<string, string>();
  let commit: string | undefined;
  for (const token of output.split("\0")) {
    const entry = token.startsWith("\n") ? token.slice(1) : token;
    if (entry === "") continue;
    if (!entry.startsWith(prefix)) commit = entry;
    else if (commit !== undefined && !deleted.has(entry)) deleted.set(entry, commit);
  }
  return deleted;
}

/**
 * Returns the names of the files directly inside folder `dir` (relative to `cwd`) in
 * commit `ref`, sorted, without subfolders. A folder the commit lacks gives an empty list.
 */
export async function listFiles(cwd: string, ref: string, dir: string): Promise<string[]> {
  return listTree(cwd, ref, dir, "blob");
}

/**
 * Returns the files that git finds renamed between commit `base` and `head`, or the working
 * tree and index when `head` is undefined, with paths from the top of the work tree. Rename
 * detection uses git's default similarity of 50%.
 */
export async function renamedFiles(
  cwd: string,
  base: string,
  head: string | undefined,
): Promise<{ from: string; to: string }[]> {
  checkRef(cwd, base);
  if (head !== undefined) checkRef(cwd, head);
  const args = [
    "diff",
    "--name-status",
    "-z",
    "-M",
    "--diff-filter=R",
    "--no-ext-diff",
    "--end-of-options",
    base,
  ];
  const output = (await runGit(cwd, head === undefined ? [...args, "--"] : [...args, head, "--"])).stdout;
  // Each rename is "R<score>\0<from>\0<to>\0".
  const fields = output.toString("utf8").split("\0");
  const renames: { from: string; to: string }[] = [];
  for (let index = 0; index + 2 < fields.length; index += 3) {
    const [status, from, to] = fields.slice(index, index + 3);
    if (status?.startsWith("R") && from !== undefined && to !== undefined) renames.push({ from, to });
  }
  return renames;
}

/** Returns the names of the folders directly in `dir` at `ref`, sorted; none when `dir` does not exist there. */
export async function listFolders(cwd: string, ref: string, dir: string): Promise<string[]> {
  return listTree(cwd, ref, dir, "tree");
}

async function listTree(
  cwd: string,
  ref: string,
  dir: string,
  objectType: "blob" | "tree",
): Promise<string[]> {
  checkRef(cwd, ref);
  const listing = async (folder: string): Promise<string> =>
    (
      await runGit(cwd, ["ls-tree", "-z", "--end-of-options", ref, "--", `${folder.replace(/\/+$/, "")}/`])
    ).stdout.toString("utf8");
  let output = await listing(dir);
  // A folder that is a symlink at `ref` (or lies under one) is listed where it points.
  if (output === "") {
    const resolved = await resolveLinks(cwd, ref, dir);
    if (resolved !== undefined && resolved !== dir.replace(/\/+$/, "")) output = await listing(resolved);
  }

  const names: string[] = [];
  for (const entry of output.split("\0")) {
    // Each entry is "<mode> SP <type> SP <object> TAB <path>", the path relative to cwd.
    const tab = entry.indexOf("\t");
    if (tab < 0) continue;
    const [, type] = entry.slice(0, tab).split(" ");
    if (type !== objectType) continue;
    const entryPath = entry.slice(tab + 1);
    names.push(entryPath.slice(entryPath.lastIndexOf("/") + 1));
  }
  return names.sort();
}

/**
 * Returns the branch that changes are merged into: what `origin/HEAD` points to when that
 * branch exists, else the first of `origin/main`, `origin/master`, `main`, `master` that
 * exists, else undefined. The remote-tracking branches come first because a local `main` is
 * updated only by hand: one left behind would make the plan list changes already merged.
 * A clone made with `--no-checkout` and then pruned, a remote added by hand, and CI
 * checkouts often have no `origin/HEAD`.
 */
export async function defaultBranch(cwd: string): Promise<string | undefined> {
  const originHead = await originHeadTarget(cwd);
  if (originHead !== undefined && (await refExists(cwd, originHead))) {
    return originHead.replace(/^refs\/remotes\//, "");
  }

  const candidates: [string, string][] = [
    ["origin/main", "refs/remotes/origin/main"],
    ["origin/master", "refs/remotes/origin/master"],
    ["main", "refs/heads/main"],
    ["master", "refs/heads/master"],
  ];
  for (const [name, fullRef] of candidates) {
    if (await refExists(cwd, fullRef)) return name;
  }
  return undefined;
}

/**
 * Returns the remote-tracking branch that `origin/HEAD` points to, as `origin/<name>`, when
 * that branch does not exist, else undefined. That happens after the remote renames its
 * default branch and a `git fetch --prune` deletes the old one: `origin/HEAD` keeps pointing
 * to it until `git remote set-head origin --auto`.
 */
export async function danglingOriginHead(cwd: string): Promise<string | undefined> {
  const originHead = await originHeadTarget(cwd);
  if (originHead === undefined || (await refExists(cwd, originHead))) return undefined;
  return originHead.replace(/^refs\/remotes\//, "");
}

/** Returns the full ref that `refs/remotes/origin/HEAD` points to, or undefined when it is no symbolic ref. */
async function originHeadTarget(cwd: string): Promise<string | undefined> {
  const result = await runGit(cwd, ["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"], [1, 128]);
  return result.status === 0 ? result.stdout.toString("utf8").trim() : undefined;
}

async function refExists(cwd: string, fullRef: string): Promise<boolean> {
  return (await runGit(cwd, ["rev-parse", "--verify", "--quiet", fullRef], [1])).status === 0;
}

/** A local branch that lacks commits of its upstream branch. */
export interface BranchBehind {
  /** The upstream branch, as `origin/main`. */
  upstream: string;
  /** The number of commits of the upstream that the branch lacks, at least 1. */
  behind: number;
}

/**
 * Returns the upstream of the local branch `ref` (a branch name, or `refs/heads/<name>`) and
 * the number of its commits that `ref` lacks, when that number is not 0. Returns undefined
 * when `ref` is no local branch, has no upstream, or is up to date with it. The count is as of
 * the last fetch, because this reads the remote-tracking branch and sends nothing over the network.
 */
export async function branchBehindUpstream(cwd: string, ref: string): Promise<BranchBehind | undefined> {
  checkRef(cwd, ref);
  const fullRef = ref.startsWith("refs/heads/") ? ref : `refs/heads/${ref}`;
  const format = "%(refname)%00%(upstream:short)%00%(upstream:track,nobracket)";
  const output = await gitText(cwd, ["for-each-ref", `--format=${format}`, "--", fullRef]);
  // The pattern also matches branches below it (`main/x` for `main`), so only the exact name counts.
  for (const line of output.split("\n")) {
    const [name, upstream, track] = line.split("\0");
    if (name !== fullRef || !upstream || track === undefined) continue;
    const behind = Number(/\bbehind (\d+)/.exec(track)?.[1] ?? 0);
    return behind > 0 ? { upstream, behind } : undefined;
  }
  return undefined;
}

/**
 * Returns the `conflict-marker-size` attribute of each of `paths` (relative to `cwd`) whose
 * `.gitattributes` (or `.git/info/attributes`) sets it to a positive whole number. A path
 * without it is left out, and git then writes markers of 7 characters. One git call reads
 * them all.
 */
export async function conflictMarkerSizes(
  cwd: string,
  paths: readonly string[],
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (paths.length === 0) return sizes;
  const output = (await runGit(cwd, ["check-attr", "-z", "conflict-marker-size", "--", ...paths])).stdout;
  // Each path gives "<path>\0conflict-marker-size\0<value>\0", in the order of `paths`. The
  // value is "unspecified", "unset", "set" or the text after `=`.
  const fields = output.toString("utf8").split("\0");
  for (const [index, file] of paths.entries()) {
    const value = fields[index * 3 + 2] ?? "";
    if (/^[1-9]\d{0,5}$/.test(value)) sizes.set(file, Number(value));
  }
  return sizes;
}

/** Returns the value of the git config `key` as a boolean (`--type=bool`), or undefined when it is not set. */
export async function configBoolean(cwd: string, key: string): Promise<boolean | undefined> {
  const result = await runGit(cwd, ["config", "--type=bool", "--get", key], [1]);
  if (result.status !== 0) return undefined;
  return result.stdout.toString("utf8").trim() === "true";
}

/**
 * Returns the files under each of `folders` (relative to `cwd`) that the index tracks, with
 * whether each has the skip-worktree bit, which a sparse checkout sets on the files outside
 * its patterns. One git call lists them all.
 */
export async function trackedFilesSkipped(
  cwd: string,
  folders: readonly string[],
): Promise<{ file: string; skipped: boolean }[]> {
  if (folders.length === 0) return [];
  const prefixes = folders.map((folder) => `${folder.replace(/\/+$/, "")}/`);
  const args = ["--literal-pathspecs", "ls-files", "-t", "-z", "--", ...prefixes];
  const output = (await runGit(cwd, args)).stdout.toString("utf8");
  // Each entry is "<tag> SP <path>", where the tag `S` marks the skip-worktree bit.
  return output
    .split("\0")
    .filter((entry) => entry.length > 2)
    .map((entry) => ({ file: entry.slice(2), skipped: entry.startsWith("S ") }));
}

/** The state of a path in the index: with conflict stages (`unmerged`), or one entry (`tracked`). */
export type IndexState = "tracked" | "unmerged";

/**
 * Returns how the index lists each of `paths` (relative to `cwd`, taken literally, not as
 * globs). A path with conflict stages from a merge, rebase or cherry-pick is `unmerged`. A path
 * the index does not list is left out.
 */
export async function indexStates(cwd: string, paths: readonly string[]): Promise<Map<string, IndexState>> {
  const states = new Map<string, IndexState>();
  if (paths.length === 0) return states;
  const args = ["--literal-pathspecs", "ls-files", "-z", "--stage", "--", ...paths];
  const output = (await runGit(cwd, args)).stdout.toString("utf8");
  const requested = new Set(paths);
  // Each entry is "<mode> SP <object> SP <stage> TAB <path>"; stage 0 is a merged path.
  for (const entry of output.split("\0")) {
    const tab = entry.indexOf("\t");
    const file = entry.slice(tab + 1);
    if (tab < 0 || !requested.has(file)) continue;
    const stage = entry.slice(0, tab).split(" ")[2];
    if (stage !== "0") states.set(file, "unmerged");
    else if (!states.has(file)) states.set(file, "tracked");
  }
  return states;
}

/** Returns the checked-out branch name, or undefined on a detached HEAD. */
export async function currentBranch(cwd: string): Promise<string | undefined> {
  const result = await runGit(cwd, ["symbolic-ref", "--quiet", "--short", "HEAD"], [1]);
  if (result.status !== 0) return undefined;
  return result.stdout.toString("utf8").trim();
}

/** Creates an empty repository in `dir` whose first branch is `initialBranch`. */
export async function init(dir: string, initialBranch = "main"): Promise<void> {
  checkRef(dir, initialBranch);
  await runGit(dir, ["init", "--quiet", `--initial-branch=${initialBranch}`]);
}

/** Returns the fetch URL of remote `name`, or undefined when the repository has no such remote. */
export async function remoteUrl(cwd: string, name = "origin"): Promise<string | undefined> {
  const result = await runGit(cwd, ["config", "--get", `remote.${name}.url`], [1]);
  if (result.status !== 0) return undefined;
  return result.stdout.toString("utf8").trim();
}

/**
 * Returns the path of `cwd` inside its work tree, with `/` separators and a final `/`
 * (`ops/` for a subfolder, `""` at the top). Paths in CODEOWNERS start from the top.
 */
export async function showPrefix(cwd: string): Promise<string> {
  return (await runGit(cwd, ["rev-parse", "--show-prefix"])).stdout.toString("utf8").trim();
}

/** Returns the absolute path of the top of the work tree that contains `cwd`. */
export async function showToplevel(cwd: string): Promise<string> {
  return gitText(cwd, ["rev-parse", "--show-toplevel"]);
}

/**
 * Returns the paths from the top of the work tree of the files that match the glob `pattern`
 * (`**` crosses folders, and matches none too), tracked or untracked, except ignored files.
 * A tracked file deleted from the work tree is listed as well.
 */
export async function listWorkTreeFiles(cwd: string, pattern: string): Promise<string[]> {
  const args = ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--full-name"];
  const output = (await runGit(cwd, [...args, "--", `:(top,glob)${pattern}`])).stdout.toString("utf8");
  // A file with merge conflicts is listed once per stage.
  return [...new Set(output.split("\0").filter((file) => file !== ""))];
}
