/**
 * The writer: the only code that changes a deployment folder. It plans first
 * (compare new bytes with the disk and the manifest, without writing), so
 * `reconcile --check` and the guards see exactly what a run would do, then
 * applies the plan through a journal.
 */
import type { Dirent, Stats } from "node:fs";
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { lstat, mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { CakeError } from "../errors.js";
import { deploymentClaims } from "../model/claims.js";
import type { Deployment } from "../model/types.js";
import { type PathFormatter, repoRelative } from "../repo/display-path.js";
import { assertNoSymlinkedFolder, assertRealPathInside } from "../repo/paths.js";
import { CAKE_VERSION } from "../version.js";
import { TEMP_PREFIX, tempPath, writeTempFile } from "./atomic.js";
import { deleteCache, type FileStamp, type OutputCache, stampOf, statMatches, writeCache } from "./cache.js";
import { commitJournal, hasPendingJournal, isInsideFolder, JOURNAL_FILE, type Journal } from "./journal.js";
import {
  formatManifest,
  listedProfiles,
  MANIFEST_FILE,
  MANIFEST_VERSION,
  type OutputManifest,
  readManifest,
  sameOutput,
  sha256,
} from "./manifest.js";
import { renderAndCompare } from "./parallel-render.js";
import { HEADER_MARKER } from "./serialize.js";

/** A generated file as bytes to write, at a path relative to the deployment folder. */
export interface RenderedFile {
  path: string;
  content: string;
}

/** A generated file whose bytes are built only when reconcile needs them. */
export interface LazyFile {
  path: string;
  render(): string;
  /** Digest of every input of the file; with the cache, an unchanged file is never rendered. */
  fingerprint?: string;
}

export type DesiredFile = RenderedFile | LazyFile;

/** The expected content of one deployment folder after reconcile. */
export interface DesiredOutput {
  /** Deployment folder relative to the repo root, with `/` separators. */
  folder: string;
  varsFile: string;
  varsSha256: string;
  profileOwner: string;
  profiles: string[];
  /** The private Profiles, each with its user's email. */
  profileUsers: Record<string, string>;
  files: DesiredFile[];
  /** The model the files come from; with it, planning may render many files on worker threads. */
  deployment?: Deployment;
}

/**
 * The change one file needs: `create` (missing), `update` (stale), `restore`
 * (edited by hand since cake wrote it), `remove` (generated before, not any more).
 */
export type FileAction = "create" | "update" | "restore" | "remove" | "unchanged";

export interface FileChange {
  path: string;
  action: FileAction;
}

export interface FolderPlan {
  /** Deployment folder relative to the repo root. */
  folder: string;
  /** Undefined when the folder's output is to be deleted (an orphan being pruned). */
  desired: DesiredOutput | undefined;
  /** The folder's manifest; for a version 1 manifest, with the holders found at HEAD when staging. */
  previousManifest: OutputManifest | undefined;
  /** Reason the holders of a version 1 manifest were not found at HEAD. */
  holdersProblem?: string;
  /**
   * For a folder without a manifest: the Profiles its last committed manifest records, with
   * their holders (see `deleted-output.ts`). Argo CD kept them, so they count as removed earlier.
   */
  keptProfiles?: Record<string, string | null>;
  /**
   * True when the output gains Profiles and git history was searched for their earlier
   * deletions in a shallow clone, which may lack them (see `deletedWithoutRecord`).
   */
  shallowHistory?: true;
  /**
   * For a folder without a manifest: the Profiles of the manifest committed at HEAD. The folder
   * was deleted or emptied in the working tree only, so they are still the output Argo CD
   * syncs, and one that leaves it needs `--allow-profile-deletion` as from a folder on disk.
   */
  committedProfiles?: string[];
  /** For a folder without a manifest: the sha256 of each file the manifest committed at HEAD records. */
  committedFiles?: Record<string, string>;
  /** Every folder of the deployment folder when it was planned (`.` for itself), for the cache. */
  foldersOnDisk: string[];
  /** Profiles in the current output: from the manifest, or from the generated files on disk without one. */
  previousProfiles: string[];
  /** Profile owner of the current output, when known. */
  previousOwner: string | undefined;
  /** Every file cake generated or will generate, sorted by path. */
  changes: FileChange[];
  /** Paths cake needs to write that hold files cake did not generate. */
  conflicts: string[];
  /** The manifest of the desired output, built once for the comparison and the write. */
  manifest?: OutputManifest;
  /** True when the manifest would change beyond the cake version recorded in it. */
  manifestChanged: boolean;
  /** The first folder that staging created, absolute, when the deployment folder did not exist. */
  createdFolder?: string;
  /** True when an interrupted run left a journal in the folder. */
  journalPending: boolean;
  /**
   * Files of the folder with git merge conflict markers, which the run replaces: each file the
   * plan writes that has them, and the manifest when it has them (see `parseConflictedManifest`).
   */
  mergeConflicts?: string[];
  /**
   * Bytes of every file to create, update or restore, kept in memory when the plan was not
   * staged. A staged plan has them in temporary files instead (see `staged`).
   */
  contents: Map<string, Buffer>;
  /** Temporary file (in the deployment folder) and sha256 of each file a staged plan will write. */
  staged: Map<string, { temp: string; sha256: string }>;
  /** The sha256 and fingerprint of every desired file, for the manifest and the cache. */
  hashes: Map<string, PlannedHash>;
}

/** The writer's record of a desired file, with its stamp when the cache or a comparison of its bytes proved it unchanged. */
export interface PlannedHash {
  sha256: string;
  fingerprint?: string;
  stamp?: FileStamp;
  /** For a file this run writes: the stamp of its temporary file, taken before the rename. */
  tempStamp?: FileStamp;
}

export interface FolderResult {
  folder: string;
  written: string[];
  restored: string[];
  removed: string[];
  unchanged: string[];
}

const RESERVED_NAMES = [MANIFEST_FILE, JOURNAL_FILE];

/**
 * Plans the changes that make the folder `desired.folder` under `root` match `desired`,
 * without writing. With `cache`, files whose fingerprint and size and mtime on disk match
 * the cache are taken as unchanged without rendering or reading them.
 */
export async function planFolder(
  root: string,
  desired: DesiredOutput,
  cache?: OutputCache,
  options: { stage?: boolean; ownWrites?: Readonly<Record<string, string>> } = {},
): Promise<FolderPlan> {
  checkGeneratedPaths(desired);
  return plan(root, desired.folder, desired, cache, options.stage ?? false, options.ownWrites);
}

/**
 * Deletes the temporary files of a staged plan that will not be applied (a guard refused
 * it). A run killed before this leaves them to the next run's recovery, which deletes
 * temporary files no journal names.
 */
export function discardPlan(root: string, plan: FolderPlan): void {
  for (const { temp } of plan.staged.values()) {
    try {
      unlinkSync(path.join(root, plan.folder, temp));
    } catch {
      // Already gone.
    }
  }
  plan.staged.clear();
  // A refused run leaves the tree as it found it, without the empty folders staging made.
  if (plan.createdFolder === undefined) return;
  let folder = path.join(root, plan.folder);
  while (folder.startsWith(plan.createdFolder) && folder !== path.dirname(folder)) {
    try {
      rmdirSync(folder);
    } catch {
      return;
    }
    folder = path.dirname(folder);
  }
}

/** Plans the removal of everything cake generated in `folder` (relative to `root`), for a vars file that is gone. */
export async function planFolderRemoval(root: string, folder: string): Promise<FolderPlan> {
  return plan(root, folder, undefined, undefined, false, undefined);
}

/**
 * Compares every desired file with the disk. With `stage`, each file to write goes to a
 * temporary file at once, so memory does not grow with the size of a full generation.
 */
async function plan(
  root: string,
  folder: string,
  desired: DesiredOutput | undefined,
  cache: OutputCache | undefined,
  stage: boolean,
  /** Files an interrupted run of other vars wrote (see `Recovery.ownWrites`): cake's, not hand edits. */
  ownWrites: Readonly<Record<string, string>> | undefined,
): Promise<FolderPlan> {
  // A deployment folder (or the output folder) that is a symlink is rejected before anything
  // is read or written through it. One that leads outside the repo gets its own message.
  await assertRealPathInside(root, folder);
  await assertNoSymlinkedFolder(root, folder);
  const absolute = path.join(root, folder);
  const journalPending = await hasPendingJournal(absolute);
  let previousManifest = await readManifest(absolute, folder);
  // Only a version 1 manifest carries `varsSha256`; completing it imports the loader and git.
  let holdersProblem: string | undefined;
  if (stage && previousManifest?.varsSha256 !== undefined && previousManifest.profileUsers === undefined) {
    const { withCommittedHolders } = await import("./legacy-holders.js");
    ({ manifest: previousManifest, problem: holdersProblem } = await withCommittedHolders(
      root,
      folder,
      previousManifest,
    ));
  }
  let keptProfiles: Record<string, string | null> | undefined;
  let committedProfiles: string[] = [];
  let committedFiles: Record<string, string> | undefined;
  if (previousManifest === undefined && desired !== undefined) {
    const { committedOutput } = await import("./deleted-output.js");
    ({
      kept: keptProfiles,
      atRef: committedProfiles,
      filesAtRef: committedFiles,
    } = await committedOutput(root, folder));
  }
  // Only a run that writes checks the guards that use these; `--check` does not.
  let shallowHistory = false;
  if (stage && previousManifest !== undefined && desired !== undefined) {
    ({ kept: keptProfiles, shallow: shallowHistory } = await deletedWithoutRecord(
      root,
      folder,
      previousManifest,
      desired,
    ));
  }
  const foldersOnDisk: string[] = [];
  const onDisk = listFiles(absolute, foldersOnDisk);

  const changes: FileChange[] = [];
  const conflicts: string[] = [];
  const mergeConflicts: string[] = previousManifest?.mergeConflict ? [MANIFEST_FILE] : [];
  const unknownMarkerSize: string[] = [];
  const expected = new Set<string>();
  const ownedOnDisk = new Set<string>();
  const contents = new Map<string, Buffer>();
  const staged = new Map<string, { temp: string; sha256: string }>();
  // The folders staging creates go again when the plan is discarded (see `discardPlan`).
  const createdFolder = stage ? mkdirSync(absolute, { recursive: true }) : undefined;
  const hashes = new Map<string, PlannedHash>();

  // Files are compared one at a time and only changed ones are kept, so memory grows with
  // the change, not with the deployment.
  const pending: DesiredFile[] = [];
  for (const file of desired?.files ?? []) {
    expected.add(file.path);
    const fingerprint = "fingerprint" in file ? file.fingerprint : undefined;
    const cached = cache?.files[file.path];
    if (
      fingerprint !== undefined &&
      cached?.fingerprint === fingerprint &&
      previousManifest?.files[file.path] === cached.sha256 &&
      onDisk.has(file.path) &&
      statMatches(absolute, file.path, cached)
    ) {
      ownedOnDisk.add(file.path);
      hashes.set(file.path, { sha256: cached.sha256, fingerprint, stamp: stampOf(cached) });
      changes.push({ path: file.path, action: "unchanged" });
      continue;
    }
    pending.push(file);
  }

  // A folder where a file goes, or a file where a folder goes, would fail the journal halfway.
  const blocked = pathsInTheWay(absolute, pending, onDisk);
  const renderable = blocked.size === 0 ? pending : pending.filter((file) => !blocked.has(file.path));
  for (const file of pending) {
    const inTheWay = blocked.get(file.path);
    if (inTheWay === undefined) continue;
    if (!conflicts.includes(inTheWay)) conflicts.push(inTheWay);
    // The manifest is never written while a conflict remains, but comparing it needs every hash.
    const bytes = "content" in file ? file.content : file.render();
    hashes.set(file.path, { sha256: sha256(bytes) });
  }

  const recorded = { ...previousManifest?.files, ...ownWrites };
  const target = { folder: absolute, onDisk, recorded, stage };
  const rendered = await renderAndCompare(renderable, target, desired?.deployment);
  for (const [index, file] of renderable.entries()) {
    const result = rendered[index];
    if (result === undefined) throw new Error(`no result for ${file.path}`);
    const fingerprint = "fingerprint" in file ? file.fingerprint : undefined;
    const sha = result.sha256;
    hashes.set(file.path, {
      sha256: sha,
      ...(fingerprint === undefined ? {} : { fingerprint }),
      ...(result.stamp === undefined ? {} : { stamp: result.stamp }),
      ...(result.tempStamp === undefined ? {} : { tempStamp: result.tempStamp }),
    });
    const { outcome } = result;
    if (outcome === "conflict") {
      conflicts.push(file.path);
      continue;
    }
    if (outcome !== "create") ownedOnDisk.add(file.path);
    if (result.conflictMarkers) mergeConflicts.push(file.path);
    if (result.unknownMarkerSize) unknownMarkerSize.push(file.path);
    if (result.temp !== undefined) {
      staged.set(file.path, { temp: result.temp, sha256: sha });
    } else if (result.bytes !== undefined) {
      contents.set(file.path, result.bytes);
    }
    changes.push({ path: file.path, action: outcome });
  }
  // Markers of the size a `conflict-marker-size` attribute sets are found once git gives it.
  if (unknownMarkerSize.length > 0) {
    const { markersOfOtherSize } = await import("../repo/marker-sizes.js");
    mergeConflicts.push(...(await markersOfOtherSize(absolute, unknownMarkerSize)));
  }

  for (const file of [...onDisk].sort()) {
    if (expected.has(file)) continue;
    const owned =
      previousManifest?.files[file] !== undefined || (await startsWithHeader(path.join(absolute, file)));
    if (!owned) continue;
    ownedOnDisk.add(file);
    changes.push({ path: file, action: "remove" });
  }
  changes.sort((a, b) => compareText(a.path, b.path));

  const previous = previousManifest ?? (await readProfilesOnDisk(absolute, [...ownedOnDisk]));
  const manifest =
    desired === undefined ? undefined : buildManifest(desired, hashes, previousManifest, keptProfiles);
  const manifestChanged =
    manifest === undefined
      ? previousManifest !== undefined
      : previousManifest === undefined || !sameOutput(previousManifest, manifest);
  return {
    contents,
    staged,
    hashes,
    folder,
    desired,
    previousManifest,
    ...(holdersProblem === undefined ? {} : { holdersProblem }),
    ...(keptProfiles === undefined ? {} : { keptProfiles }),
    ...(shallowHistory ? { shallowHistory: true as const } : {}),
    ...(committedProfiles.length === 0 ? {} : { committedProfiles }),
    ...(committedFiles === undefined ? {} : { committedFiles }),
    foldersOnDisk,
    previousProfiles: [...previous.profiles].sort(compareText),
    previousOwner: previous.profileOwner,
    changes,
    conflicts,
    ...(manifest === undefined ? {} : { manifest }),
    manifestChanged,
    journalPending,
    ...(mergeConflicts.length === 0 ? {} : { mergeConflicts: mergeConflicts.sort(compareText) }),
    ...(createdFolder === undefined ? {} : { createdFolder }),
  };
}

/**
 * Returns, for each of `files` that something else occupies, the path in the way: a folder at
 * the file's path, or a file at one of its parent folders (`profiles` as a file, for
 * `profiles/alice.yaml`).
 */
function pathsInTheWay(
  absolute: string,
  files: readonly DesiredFile[],
  onDisk: ReadonlySet<string>,
): Map<string, string> {
  const blocked = new Map<string, string>();
  for (const { path: file } of files) {
    const parts = file.split("/");
    const parents = parts.slice(0, -1).map((_, index) => parts.slice(0, index + 1).join("/"));
    const fileAsParent = parents.find((parent) => onDisk.has(parent));
    if (fileAsParent !== undefined) blocked.set(file, fileAsParent);
    else if (!onDisk.has(file) && existsSync(`${absolute}/${file}`)) blocked.set(file, file);
  }
  return blocked;
}

/**
 * Rejects a plan that the file system would stop halfway: a folder it writes or deletes in
 * that this process may not change. Run it for every plan before applying any. `formatPath`
 * gives the paths the message prints.
 */
export function checkWritable(
  root: string,
  plan: FolderPlan,
  formatPath: PathFormatter = repoRelative,
): void {
  const absolute = path.join(root, plan.folder);
  const folders = new Set<string>([absolute]);
  for (const change of plan.changes) {
    if (change.action !== "unchanged") folders.add(path.dirname(path.join(absolute, change.path)));
  }
  const denied: string[] = [];
  const sticky = new Set<string>();
  for (const folder of folders) {
    const existing = nearestExisting(folder);
    try {
      accessSync(existing, constants.W_OK);
    } catch {
      denied.push(path.relative(root, existing) || ".");
      continue;
    }
    if (existing === folder && othersOnlyMayReplace(statSync(folder))) sticky.add(folder);
  }
  // In a folder with the sticky bit (mode +t), write permission lets a user replace or delete
  // only the files they own, so the rename of another user's file would fail halfway.
  const replaced = plan.changes
    .filter((change) => change.action !== "unchanged" && change.action !== "create")
    .map((change) => path.join(absolute, change.path));
  // The journal replaces the manifest last, after every other rename.
  if (plan.manifestChanged) replaced.push(path.join(absolute, MANIFEST_FILE));
  const foreign = replaced
    .filter((file) => sticky.has(path.dirname(file)) && !ownedByMe(file))
    .map((file) => formatPath(path.relative(root, file).split(path.sep).join("/")));
  if (denied.length > 0) {
    throw new CakeError(
      `cake may not write in ${denied.sort().join(", ")} (no write permission, or a read-only file system), ` +
        "so no output file was written; fix the permissions, then rerun.",
    );
  }
  if (foreign.length > 0) {
    throw new CakeError(
      `cake may not replace ${foreign.slice(0, 10).join(", ")}${foreign.length > 10 ? ` and ${foreign.length - 10} more files` : ""}: ` +
        "another user owns them in a folder with the sticky bit (mode +t), so no output file was written; " +
        "change their owner or the folder's mode, then rerun.",
    );
  }
}

/** The sticky bit of a file mode (S_ISVTX), which Node.js does not export as a constant. */
const STICKY_BIT = 0o1000;

/** True for a sticky folder this process does not own, where it may replace only its own files. */
function othersOnlyMayReplace(info: Stats): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && uid !== 0 && (info.mode & STICKY_BIT) !== 0 && info.uid !== uid;
}

function ownedByMe(file: string): boolean {
  const info = statSync(file, { throwIfNoEntry: false });
  return info === undefined || info.uid === process.getuid?.();
}

function nearestExisting(folder: string): string {
  let current = folder;
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

/** Returns true when applying `plan` would change anything on disk. */
export function planHasChanges(plan: FolderPlan): boolean {
  return plan.manifestChanged || plan.changes.some((change) => change.action !== "unchanged");
}

/**
 * Applies `plan`: every new file goes to a temporary file first, then one journal
 * renames them into place, deletes removed files and their emptied folders, and
 * replaces the manifest last. Files whose bytes are unchanged are not touched.
 * Run it under the repo lock, after `recoverFolder`, with a plan made under the same lock.
 */
export async function applyPlan(root: string, plan: FolderPlan): Promise<FolderResult> {
  if (plan.conflicts.length > 0) throw new CakeError(conflictMessage(plan));

  await assertRealPathInside(root, plan.folder);
  await assertNoSymlinkedFolder(root, plan.folder);
  const absolute = path.join(root, plan.folder);
  const result: FolderResult = { folder: plan.folder, written: [], restored: [], removed: [], unchanged: [] };
  for (const change of plan.changes) {
    if (change.action === "unchanged") result.unchanged.push(change.path);
    else if (change.action === "remove") result.removed.push(change.path);
    else if (change.action === "restore") result.restored.push(change.path);
    else result.written.push(change.path);
  }
  if (!planHasChanges(plan)) return result;

  await mkdir(absolute, { recursive: true });
  deleteCache(root, plan.folder);
  const journal: Journal = {
    renames: [],
    deletions: [...result.removed],
    ...(plan.desired === undefined
      ? {}
      : { vars: { file: plan.desired.varsFile, sha256: plan.desired.varsSha256 } }),
  };

  // Temporary files are written synchronously and not flushed one by one: the journal
  // records their sha256, so recovery after a power loss never renames a partial file into
  // place. Thousands of promise-based writes would cost a thread-pool round trip each.
  for (const change of plan.changes) {
    if (change.action === "unchanged" || change.action === "remove") continue;
    const staged = plan.staged.get(change.path);
    if (staged !== undefined) {
      journal.renames.push({
        from: staged.temp,
        to: change.path,
        sha256: staged.sha256,
        action: change.action,
      });
      continue;
    }
    const bytes = plan.contents.get(change.path);
    if (bytes === undefined) throw new Error(`no content planned for ${change.path}`);
    const temp = tempPath(absolute);
    writeFileSync(temp, bytes, { flag: "wx" });
    const hash = plan.hashes.get(change.path);
    if (hash !== undefined) hash.tempStamp = stampOf(statSync(temp));
    journal.renames.push({
      from: path.basename(temp),
      to: change.path,
      sha256: sha256(bytes),
      action: change.action,
    });
  }

  if (plan.desired === undefined) {
    journal.deletions.push(MANIFEST_FILE);
    journal.removeFolderIfEmpty = true;
  } else if (plan.manifestChanged) {
    const text = formatManifest(
      plan.manifest ?? buildManifest(plan.desired, plan.hashes, plan.previousManifest, plan.keptProfiles),
    );
    const temp = await writeTempFile(absolute, text);
    journal.renames.push({ from: path.basename(temp), to: MANIFEST_FILE, sha256: sha256(text) });
  }

  await commitJournal(absolute, journal);
  return result;
}

/**
 * Records the folder's state in the local cache after a successful apply (or a plan that
 * found nothing to change), so the next reconcile can skip what did not change.
 */
export function recordCache(root: string, plan: FolderPlan): void {
  if (plan.desired === undefined) return;
  const absolute = path.join(root, plan.folder);
  let manifestBytes: Buffer;
  try {
    manifestBytes = readFileSync(path.join(absolute, MANIFEST_FILE));
  } catch {
    return;
  }
  const deployment = plan.desired.deployment;
  writeCache(
    root,
    plan.folder,
    {
      varsFile: plan.desired.varsFile,
      varsSha256: plan.desired.varsSha256,
      manifestSha256: sha256(manifestBytes),
      ...(deployment === undefined ? {} : { claims: deploymentClaims(deployment) }),
      ...(deployment?.repoPath === undefined ? {} : { repoPath: deployment.repoPath }),
    },
    plan.hashes,
    plan.foldersOnDisk,
  );
}

/**
 * Returns as `kept` the Profiles new to the manifest that git history shows as deleted from
 * the folder earlier, with their holders then (see `profilesDeletedInHistory`), or undefined
 * when there are none, and whether that history is a shallow clone's. Git runs only when the
 * output gains a Profile, so a run that changes grants pays nothing.
 */
async function deletedWithoutRecord(
  root: string,
  folder: string,
  previousManifest: OutputManifest,
  desired: DesiredOutput,
): Promise<{ kept: Record<string, string | null> | undefined; shallow: boolean }> {
  const known = listedProfiles(previousManifest);
  const added = new Set(desired.profiles.filter((profile) => !known.has(profile)));
  if (added.size === 0) return { kept: undefined, shallow: false };

  const { inShallowClone, profilesDeletedInHistory } = await import("./deleted-output.js");
  const deleted = await profilesDeletedInHistory(root, folder, (profile) => added.has(profile));
  return {
    kept: Object.keys(deleted).length === 0 ? undefined : deleted,
    shallow: await inShallowClone(root),
  };
}

function buildManifest(
  desired: DesiredOutput,
  hashes: ReadonlyMap<string, { sha256: string }>,
  previous: OutputManifest | undefined,
  keptProfiles: Readonly<Record<string, string | null>> = {},
): OutputManifest {
  const removedProfiles = removedProfilesAfter(previous, desired, keptProfiles);
  return {
    manifestVersion: MANIFEST_VERSION,
    cakeVersion: CAKE_VERSION,
    varsFile: desired.varsFile,
    profileOwner: desired.profileOwner,
    profiles: [...desired.profiles].sort(compareText),
    profileUsers: desired.profileUsers,
    ...(Object.keys(removedProfiles).length > 0 ? { removedProfiles } : {}),
    files: Object.fromEntries(
      desired.files.map((file) => [file.path, hashes.get(file.path)?.sha256 ?? missingHash(file.path)]),
    ),
  };
}

/**
 * Returns the Profiles that have left the output, with their last holders: those the previous
 * manifest recorded as removed, `keptProfiles` from an earlier output of the folder, and those
 * leaving now, less those back in the output. A previous manifest without `profileUsers`
 * cannot name the holders, so it adds none.
 */
function removedProfilesAfter(
  previous: OutputManifest | undefined,
  desired: DesiredOutput,
  keptProfiles: Readonly<Record<string, string | null>>,
): Record<string, string | null> {
  const present = new Set(desired.profiles);
  const removed: Record<string, string | null> = {};
  for (const [profile, holder] of Object.entries({ ...keptProfiles, ...previous?.removedProfiles })) {
    if (!present.has(profile)) removed[profile] = holder;
  }
  const users = previous?.profileUsers;
  if (previous === undefined || users === undefined) return removed;
  for (const profile of previous.profiles) {
    if (!present.has(profile)) removed[profile] = users[profile] ?? null;
  }
  return removed;
}

function missingHash(file: string): never {
  throw new Error(`no sha256 planned for ${file}`);
}

/**
 * The shape of every path the generators make: segments of letters, digits, `.`, `_` and `-`
 * that do not start with `.`. Such a path passes every check of `checkGeneratedPaths`, since
 * cake's own files and temporary files start with `.`, so the general checks run only for
 * other paths. Testing this one pattern is several times faster for 10k files.
 */
const PLAIN_GENERATED_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

/** Rejects generated paths that could escape the folder, collide, or overwrite cake's own files: a generator bug. */
function checkGeneratedPaths(desired: DesiredOutput): void {
  const seen = new Set<string>();
  for (const file of desired.files) {
    if (!PLAIN_GENERATED_PATH.test(file.path) && !isAllowedGeneratedPath(file.path)) {
      throw new Error(`generated file path ${JSON.stringify(file.path)} is not allowed in ${desired.folder}`);
    }
    if (seen.has(file.path))
      throw new Error(`generated file path ${JSON.stringify(file.path)} is used twice`);
    seen.add(file.path);
  }
}

/** Returns true when `file` stays inside the folder and is neither cake's own file nor a temporary file. */
function isAllowedGeneratedPath(file: string): boolean {
  const name = file.split("/").at(-1) ?? "";
  return isInsideFolder(file) && !RESERVED_NAMES.includes(file) && !name.startsWith(TEMP_PREFIX);
}

/**
 * Lists the files under `folder` (relative, `/`-separated), leaving out cake's manifest, journal
 * and temporary files. Rejects a symlink or any other entry that is neither a regular file nor a
 * folder: cake would write through a symlinked folder (outside the repo, or into another
 * deployment), and reading a FIFO blocks forever.
 */
export function listFiles(folder: string, folders: string[] = []): Set<string> {
  const files = new Set<string>();
  const special: string[] = [];
  const visit = (relative: string): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(path.join(folder, relative), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && relative === "") return;
      throw error;
    }
    folders.push(relative === "" ? "." : relative);
    for (const entry of entries) {
      const child = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) visit(child);
      else if (!entry.isFile()) special.push(`${child} (${entryKind(entry)})`);
      else if (
        relative !== "" ||
        (!RESERVED_NAMES.includes(entry.name) && !entry.name.startsWith(TEMP_PREFIX))
      ) {
        files.add(child);
      }
    }
  };
  visit("");
  if (special.length > 0) {
    throw new CakeError(
      `${folder} contains entries that are not regular files or folders: ${special.join(", ")}. ` +
        "Cake writes a deployment folder only through real files and folders, so it never follows a " +
        "symlink out of it. Replace each entry with a real file or folder, or delete it, then rerun.",
    );
  }
  return files;
}

function entryKind(entry: Dirent): string {
  if (entry.isSymbolicLink()) return "a symbolic link";
  if (entry.isFIFO()) return "a named pipe";
  if (entry.isSocket()) return "a socket";
  return "a device";
}

async function startsWithHeader(file: string): Promise<boolean> {
  const info = await lstat(file);
  if (!info.isFile()) return false;
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(HEADER_MARKER.length);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("utf8") === HEADER_MARKER;
  } finally {
    await handle.close();
  }
}

/**
 * Finds the Profiles and their owner in generated files on disk, for output
 * written without a manifest (by hand, or by an older tool adopted by cake).
 */
async function readProfilesOnDisk(
  folder: string,
  files: string[],
): Promise<{ profiles: string[]; profileOwner: string | undefined }> {
  const { parseAllDocuments } = await import("yaml");
  const profiles = new Set<string>();
  let profileOwner: string | undefined;
  for (const file of files) {
    if (!/\.ya?ml$/.test(file)) continue;
    const text = await readFile(path.join(folder, file), "utf8");
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) continue;
      const object = document.toJS() as unknown;
      const profile = asProfile(object);
      if (profile === undefined) continue;
      profiles.add(profile.name);
      profileOwner ??= profile.owner;
    }
  }
  return { profiles: [...profiles], profileOwner };
}

function asProfile(object: unknown): { name: string; owner: string | undefined } | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const { kind, metadata, spec } = object as {
    kind?: unknown;
    metadata?: { name?: unknown };
    spec?: unknown;
  };
  if (kind !== "Profile" || typeof metadata?.name !== "string") return undefined;
  const owner = (spec as { owner?: { name?: unknown } } | undefined)?.owner?.name;
  return { name: metadata.name, owner: typeof owner === "string" ? owner : undefined };
}

function conflictMessage(plan: FolderPlan): string {
  const list = plan.conflicts.map((file) => `  ${plan.folder}/${file}`).join("\n");
  return (
    `cake needs to write these files in ${plan.folder}, but something it did not generate is there ` +
    `(a file without the "${HEADER_MARKER.trim()}" header and not in ${MANIFEST_FILE}, or a folder), ` +
    `or a parent folder is a file:\n${list}\n` +
    "Move or delete them (they are in git history), then rerun; cake never overwrites files it did not generate."
  );
}

/** Compares by UTF-16 code unit, the order of `Array.prototype.sort` without a comparator. */
export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
