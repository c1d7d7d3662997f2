/**
 * The local output cache: `.cake/cache/<deployment folder>.json` at the repo root records,
 * for the last successful reconcile on this machine, the stamp (size, mtime, ctime, inode),
 * sha256 and input fingerprint of every generated file, and the mtime and ctime of every folder of the deployment. With
 * it, reconcile skips an unchanged deployment without parsing its vars file, and skips
 * unchanged files of a changed one without generating them. It records mtimes, which differ
 * between clones, so it is not committed (ops repos ignore `.cake/`). A missing, damaged or
 * outdated cache only makes reconcile read and compare everything. It lives outside the
 * deployment folder so that writing it does not change the folder's own mtime.
 * `reconcile --check` never uses it.
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { LoadSnapshot } from "../config/incremental.js";
import type { DeploymentClaims } from "../model/claims.js";
import { CAKE_VERSION } from "../version.js";
import { tempPath } from "./atomic.js";
import { sha256 } from "./manifest.js";

/** Folder of local state at the repo root; ops repos ignore it. */
export const LOCAL_STATE_DIR = ".cake";
const CACHE_VERSION = 6;

/**
 * Returns true when `.cake/` at `root` is missing or a real folder. A symlink there would put
 * the cache (and the vars texts in it) outside the repo, so cake then neither reads nor writes
 * a cache, which costs only speed.
 */
function localStateUsable(root: string): boolean {
  for (const folder of [LOCAL_STATE_DIR, path.join(LOCAL_STATE_DIR, "cache")]) {
    try {
      if (!lstatSync(path.join(root, folder)).isDirectory()) return false;
    } catch {
      return true;
    }
  }
  return true;
}

/** Reads a cache file, refusing anything but a regular file: a named pipe would block the run. */
function readCacheFile(file: string): Buffer {
  if (!lstatSync(file).isFile()) throw new Error(`${file} is not a regular file`);
  return readFileSync(file);
}

/** Returns the cache file of the deployment folder `folder` (relative to `root`). */
export function cachePath(root: string, folder: string): string {
  return path.join(root, LOCAL_STATE_DIR, "cache", `${encodeURIComponent(folder)}.json`);
}

/**
 * The stat fields that prove a file unchanged without reading it. The change time and inode
 * catch edits that keep size and mtime, because `cp -p`, `rsync -t` or `touch -d` after an edit
 * set a new ctime that no user can set back, and an atomic save gives a new inode.
 */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export interface CachedFile extends FileStamp {
  sha256: string;
  fingerprint?: string;
}

/** Returns the stamp of a file from its stat. */
export function stampOf(info: FileStamp): FileStamp {
  return { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino };
}

export interface OutputCache {
  cacheVersion: number;
  cakeVersion: string;
  varsFile: string;
  varsSha256: string;
  manifestSha256: string;
  /** The names the deployment claims outside its folder, checked for collisions while the vars file is not loaded. */
  claims?: DeploymentClaims;
  /** `repo_path` of the layout the output was generated with; absent when it was empty. */
  repoPath?: string;
  /**
   * Mtime and change time of every folder of the deployment, by path relative to it (`.` for
   * itself). A file added, removed or renamed changes both. `touch -r` can set the mtime back,
   * but not the change time.
   */
  folders: Record<string, [number, number]>;
  files: Record<string, CachedFile>;
}

/**
 * The last cache parsed per file, with the identity of the file it came from. One reconcile
 * reads a deployment's cache up to three times, and parsing it costs about 15 ms at 10k users.
 */
const parsedCaches = new Map<string, { identity: string; data: unknown }>();

/**
 * Returns the cache of `folder`, or undefined when it is missing, unreadable, or from another
 * cake version. The result is shared between calls: treat it as read-only.
 */
export function readCache(root: string, folder: string): OutputCache | undefined {
  if (!localStateUsable(root)) return undefined;
  const file = cachePath(root, folder);
  let data: unknown;
  try {
    // The cache is replaced by rename, so a rewrite always changes the inode.
    const info = statSync(file);
    const identity = `${info.ino}:${info.size}:${info.mtimeMs}`;
    const parsed = parsedCaches.get(file);
    if (parsed?.identity === identity) {
      data = parsed.data;
    } else {
      data = parseChecksummed(readCacheFile(file));
      parsedCaches.set(file, { identity, data });
    }
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;

  const cache = data as Partial<OutputCache>;
  const valid =
    cache.cacheVersion === CACHE_VERSION &&
    cache.cakeVersion === CAKE_VERSION &&
    typeof cache.varsFile === "string" &&
    typeof cache.varsSha256 === "string" &&
    typeof cache.manifestSha256 === "string" &&
    typeof cache.folders === "object" &&
    cache.folders !== null &&
    typeof cache.files === "object" &&
    cache.files !== null;
  return valid ? (cache as OutputCache) : undefined;
}

/**
 * Returns true when the file `file` (relative, `/`-separated) of the folder `absolute` still
 * has the stamp (size, mtime, ctime, inode) recorded for it. Reconcile calls it for every
 * generated file, so it joins the path by hand and requests no exception for a missing file:
 * both save about a third of the time of 10k calls in a fresh process.
 */
export function statMatches(absolute: string, file: string, cached: CachedFile | undefined): boolean {
  if (cached === undefined) return false;
  try {
    const info = statSync(`${absolute}/${file}`, { throwIfNoEntry: false });
    if (info === undefined || !info.isFile()) return false;
    return (
      info.size === cached.size &&
      info.mtimeMs === cached.mtimeMs &&
      info.ctimeMs === cached.ctimeMs &&
      info.ino === cached.ino
    );
  } catch {
    // A parent that is a file now (ENOTDIR) or unreadable: not the file the cache recorded.
    return false;
  }
}

/**
 * Records the current state of the generated files of `folder`. It is best effort: a cache
 * that cannot be written costs speed on the next run, never correctness, so failures are ignored.
 */
export function writeCache(
  root: string,
  folder: string,
  entry: Omit<OutputCache, "cacheVersion" | "cakeVersion" | "files" | "folders">,
  files: ReadonlyMap<
    string,
    { sha256: string; fingerprint?: string; stamp?: FileStamp; tempStamp?: FileStamp }
  >,
  otherFolders: readonly string[] = [],
): void {
  if (!localStateUsable(root)) return;
  const target = cachePath(root, folder);
  const absolute = path.join(root, folder);
  let temp: string | undefined;
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    temp = tempPath(path.dirname(target));
    // A folder without generated files (one a person made, say) is recorded too: a generated
    // file copied into it must not go unnoticed.
    const folders: Record<string, [number, number]> = {};
    for (const other of otherFolders) {
      const info = statSync(path.join(absolute, other), { throwIfNoEntry: false });
      if (info?.isDirectory()) folders[other] = [info.mtimeMs, info.ctimeMs];
    }
    const recorded: Record<string, CachedFile> = {};
    for (const [file, { sha256, fingerprint, stamp, tempStamp }] of files) {
      const parent = path.posix.dirname(file);
      if (folders[parent] === undefined) {
        const info = statSync(path.join(absolute, parent));
        folders[parent] = [info.mtimeMs, info.ctimeMs];
      }
      // A file the plan proved unchanged keeps the stamp it was proved with: from the cache, or
      // taken as its bytes were compared, so an edit made since then shows on the next run.
      recorded[file] = {
        sha256,
        ...(stamp ?? writtenStamp(path.join(absolute, file), tempStamp)),
        ...(fingerprint === undefined ? {} : { fingerprint }),
      };
    }
    const cache: OutputCache = {
      cacheVersion: CACHE_VERSION,
      cakeVersion: CAKE_VERSION,
      ...entry,
      folders,
      files: recorded,
    };
    const content = checksummed(JSON.stringify(cache));
    // An unchanged cache is not rewritten, so a no-op reconcile changes no mtime at all.
    if (readBytes(target)?.equals(content)) return;
    writeFileSync(temp, content, { flag: "wx" });
    renameSync(temp, target);
  } catch {
    try {
      if (temp !== undefined) unlinkSync(temp);
    } catch {
      // Nothing was created.
    }
  }
}

/**
 * Returns the stamp to record for a file this run wrote. A rename keeps the inode, size and
 * mtime of the temporary file (Linux sets a new change time), so while those three match, the
 * file is the one cake wrote and its current stamp is recorded. A hand edit since the rename changes
 * one of them, and the temporary file's stamp is recorded instead, which the file does not
 * have, so the next run compares its bytes.
 * NOTE: an edit in place between the rename and this stat that keeps the size and the mtime
 * (set back, or within one tick of the file system's clock) still passes. `reconcile --check`
 * never uses the cache and reports it.
 */
function writtenStamp(file: string, tempStamp: FileStamp | undefined): FileStamp {
  const current = stampOf(statSync(file));
  if (tempStamp === undefined) return current;
  const renamedUnchanged =
    current.ino === tempStamp.ino && current.size === tempStamp.size && current.mtimeMs === tempStamp.mtimeMs;
  return renamedUnchanged ? current : tempStamp;
}

/** Returns true when every folder recorded in `cache` still has its mtime and change time, so no file was added, removed or renamed. */
export function foldersMatch(absolute: string, cache: OutputCache): boolean {
  for (const [folder, [mtimeMs, ctimeMs]] of Object.entries(cache.folders)) {
    try {
      const info = statSync(path.join(absolute, folder));
      if (info.mtimeMs !== mtimeMs || info.ctimeMs !== ctimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Returns `json` after a first line with its sha256. A cache file damaged on disk, by a
 * truncated write or a careless edit, then fails the check and is ignored, instead of
 * steering reconcile to skip files or to generate from a wrong model.
 */
function checksummed(json: string): Buffer {
  // Hashing bytes is about twice as fast as hashing a string, which must be encoded first.
  const body = Buffer.from(json);
  return Buffer.concat([Buffer.from(`${sha256(body)}\n`), body]);
}

/** Parses a file written by `checksummed`; throws when its checksum does not match. */
function parseChecksummed(content: Buffer): unknown {
  const newline = content.indexOf(0x0a);
  const body = content.subarray(newline + 1);
  if (newline !== 64 || sha256(body) !== content.toString("latin1", 0, newline)) {
    throw new Error("damaged cache file");
  }
  return JSON.parse(body.toString("utf8"));
}

function readBytes(file: string): Buffer | undefined {
  try {
    return readCacheFile(file);
  } catch {
    return undefined;
  }
}

/**
 * The previous load of a deployment's vars file, kept beside its output cache for incremental
 * loading (see `config/incremental.ts`). `<folder>.vars` contains the text. `<folder>.load.json`
 * contains the snapshot and the text's sha256, which proves that the two files belong together.
 */
export interface StoredLoad {
  text: string;
  /** sha256 of `text`; the output cache may be reused only when it records the same. */
  varsSha256: string;
  snapshot: LoadSnapshot;
}

function storedLoadPaths(root: string, folder: string): { text: string; snapshot: string } {
  const base = path.join(root, LOCAL_STATE_DIR, "cache", encodeURIComponent(folder));
  return { text: `${base}.vars`, snapshot: `${base}.load.json` };
}

/** Returns the stored previous load of `folder`, or undefined when it is missing, damaged or torn. */
export function readStoredLoad(root: string, folder: string): StoredLoad | undefined {
  if (!localStateUsable(root)) return undefined;
  const paths = storedLoadPaths(root, folder);
  try {
    const stored = parseChecksummed(readCacheFile(paths.snapshot)) as {
      varsSha256?: unknown;
      snapshot?: unknown;
    };
    const bytes = readCacheFile(paths.text);
    if (typeof stored.varsSha256 !== "string" || sha256(bytes) !== stored.varsSha256) return undefined;
    if (typeof stored.snapshot !== "object" || stored.snapshot === null) return undefined;
    return {
      text: bytes.toString("utf8"),
      varsSha256: stored.varsSha256,
      snapshot: stored.snapshot as LoadSnapshot,
    };
  } catch {
    return undefined;
  }
}

/**
 * Stores the load of `text` for the next run, or deletes the stored load when there is no
 * snapshot. Best effort, like the output cache: failures only cost speed on the next run.
 */
export function writeStoredLoad(
  root: string,
  folder: string,
  text: string,
  snapshot: LoadSnapshot | undefined,
): void {
  if (!localStateUsable(root)) return;
  const paths = storedLoadPaths(root, folder);
  try {
    if (snapshot === undefined) {
      unlinkSync(paths.snapshot);
      return;
    }
    mkdirSync(path.dirname(paths.text), { recursive: true });
    const bytes = Buffer.from(text);
    replaceFile(paths.text, bytes);
    replaceFile(paths.snapshot, checksummed(JSON.stringify({ varsSha256: sha256(bytes), snapshot })));
  } catch {
    // The next run loads the whole file.
  }
}

/**
 * The deletions of generated files that git history shows in one folder of a deployment, up
 * to `commit` (see `profilesDeletedInHistory`). A later run scans only the commits since.
 */
export interface DeletionScan {
  commit: string;
  /** The folder scanned, relative to the repo root. */
  dir: string;
  /**
   * The boundary commits of the shallow clone the scan ran in, sorted, or none when the scan
   * read full history. A later fetch may add the history behind them.
   */
  shallow: string[];
  /** Each deleted file, relative to the repo root, with the newest commit that deleted it. */
  deleted: Record<string, string>;
}

function deletionScanPath(root: string, folder: string): string {
  return path.join(root, LOCAL_STATE_DIR, "cache", `${encodeURIComponent(folder)}.deleted.json`);
}

/** Returns the stored deletion scan of `folder`, or undefined when it is missing or damaged. */
export function readDeletionScan(root: string, folder: string): DeletionScan | undefined {
  if (!localStateUsable(root)) return undefined;
  try {
    const stored = parseChecksummed(
      readCacheFile(deletionScanPath(root, folder)),
    ) as Partial<DeletionScan> & {
      cacheVersion?: unknown;
    };
    const valid =
      stored.cacheVersion === CACHE_VERSION &&
      typeof stored.commit === "string" &&
      typeof stored.dir === "string" &&
      Array.isArray(stored.shallow) &&
      stored.shallow.every((commit) => typeof commit === "string") &&
      typeof stored.deleted === "object" &&
      stored.deleted !== null;
    return valid ? (stored as DeletionScan) : undefined;
  } catch {
    return undefined;
  }
}

/** Stores a deletion scan of `folder` for the next run. Best effort, like the output cache. */
export function writeDeletionScan(root: string, folder: string, scan: DeletionScan): void {
  if (!localStateUsable(root)) return;
  const file = deletionScanPath(root, folder);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    replaceFile(file, checksummed(JSON.stringify({ cacheVersion: CACHE_VERSION, ...scan })));
  } catch {
    // The next run scans the whole history again.
  }
}

function replaceFile(target: string, text: Buffer): void {
  const temp = tempPath(path.dirname(target));
  try {
    writeFileSync(temp, text, { flag: "wx" });
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Nothing was created.
    }
    throw error;
  }
}

/**
 * Deletes the cache of `folder`, so that a half-applied change is not mistaken for a cached
 * state. It is best effort, like writing it. A cache that cannot be deleted (left by another
 * user, or in a read-only folder) cannot pass for the new state either, because the journal of
 * the change, the new manifest's sha256 and the new files' stamps each disagree with it.
 */
export function deleteCache(root: string, folder: string): void {
  if (!localStateUsable(root)) return;
  try {
    unlinkSync(cachePath(root, folder));
  } catch {
    // See above: reconcile goes on without the cache.
  }
}
