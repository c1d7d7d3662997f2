/**
 * The journal makes applying a deployment folder's changes restartable. New
 * contents are first written to temporary files in the folder. Then the journal,
 * written atomically, records the renames and deletions still to do. Every step can be
 * repeated, so the next command that finds a journal runs it to the end. A process killed
 * at any point therefore leaves the old output, or a journal the next command completes.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { readdir, readFile, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { CakeError } from "../errors.js";
import { assertNoSymlinkedFolder, assertRealPathInside } from "../repo/paths.js";
import { syncFolder, TEMP_PREFIX, writeFileAtomic } from "./atomic.js";
import { MANIFEST_FILE, parseManifest } from "./manifest.js";

export const JOURNAL_FILE = ".cake-journal.json";

export interface Journal {
  /**
   * Temporary file name (in the deployment folder) to final path, relative to the deployment
   * folder, with the sha256 of the temporary file's bytes. Temporary files are not flushed to
   * disk one by one, so after a power loss one may be empty or partial: recovery then discards
   * the journal, and the reconcile that follows plans the folder again. A journal of an older
   * cake has no sha256 for the manifest's rename.
   */
  renames: { from: string; to: string; sha256?: string; action?: WrittenAction }[];
  /** Paths relative to the deployment folder to delete. */
  deletions: string[];
  /** Delete the deployment folder itself when it is empty at the end (pruning an orphan). */
  removeFolderIfEmpty?: boolean;
  /**
   * The vars file the output came from (relative to the repo root) and the sha256 of its
   * bytes. Recovery completes the journal only while the vars file still has them (see
   * `recoverFolder`). Absent when pruning an orphan, which has no vars file.
   */
  vars?: { file: string; sha256: string };
}

/**
 * The change a rename makes to its target, from the run's plan. A `restore` replaces a
 * hand-edited file, so a recovery that completes the rename reports a restore.
 */
export type WrittenAction = "create" | "update" | "restore";

/** The outcome of `recoverFolder` for the journal of an interrupted run. */
export interface Recovery {
  action: "completed" | "discarded";
  /**
   * For a journal discarded because some of its temporary files no longer had the bytes it
   * recorded: their rename targets, relative to the deployment folder. Empty when the journal
   * was discarded because its vars file changed.
   */
  torn: string[];
  /**
   * Files the journal wrote, relative to the deployment folder. For a discarded journal: the
   * files its run had renamed into place before it stopped (the keys of `ownWrites`).
   */
  written: string[];
  /**
   * Files the journal deleted, relative to the deployment folder. For a discarded journal: the
   * files its run had deleted before it stopped.
   */
  removed: string[];
  /** Of `written`, the files that replaced hand edits. */
  restored: string[];
  /**
   * For a discarded journal: the files its run had already renamed into place, with the sha256
   * of the bytes it wrote. They are cake's output of other vars, not hand edits, so the next
   * plan must not report them as restored.
   */
  ownWrites: Record<string, string>;
  /**
   * For a discarded journal: true when its run had renamed its manifest into place, so the
   * manifest on disk records the output of the discarded run, not of the last completed one.
   */
  manifestRenamed: boolean;
  /**
   * For a journal to discard that `recoverFolder` kept (`keepDiscarded`): the journal, which
   * stays in the folder with its temporary files until `discardKeptJournal` deletes them.
   */
  keptJournal?: Journal;
}

/** Writes `journal` into `folder` and then carries it out. */
export async function commitJournal(folder: string, journal: Journal): Promise<void> {
  await writeFileAtomic(path.join(folder, JOURNAL_FILE), `${JSON.stringify(journal, null, 2)}\n`);
  await runJournal(folder, journal);
}

/** Returns true when `folder` contains the journal of an interrupted run. */
export async function hasPendingJournal(folder: string): Promise<boolean> {
  try {
    await stat(path.join(folder, JOURNAL_FILE));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/**
 * Completes the journal of an interrupted run in `folder`, if there is one, and deletes
 * temporary files no journal refers to. A journal whose vars file (under `root`) no longer
 * has the recorded bytes is discarded instead. Someone changed the vars since, by hand or by
 * resetting the tree with git, so completing the old run would write output of vars that no
 * longer exist over what they restored. The reconcile that follows plans the folder from the
 * current vars against whatever the interrupted run left. Returns what was done, or
 * undefined when there was no journal.
 *
 * With `keepDiscarded`, a journal to discard stays in the folder with its temporary files, and
 * the caller deletes them with `discardKeptJournal` once it is sure to write the folder. A run
 * that stops before then leaves the journal to the next one, which can then still tell the
 * files the interrupted run changed from hand edits and report them.
 */
export async function recoverFolder(
  folder: string,
  root?: string,
  options: { keepDiscarded?: boolean } = {},
): Promise<Recovery | undefined> {
  const journalPath = path.join(folder, JOURNAL_FILE);
  let text: string | undefined;
  try {
    text = await readFile(journalPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }

  let recovery: Recovery | undefined;
  let keptTemps = new Set<string>();
  if (text !== undefined) {
    const journal = parseJournal(text, journalPath);
    // Planning, which rejects symlinks in the output, runs only after recovery. A symlink that
    // `git pull` brought in while the journal waited would otherwise take its renames and
    // deletions outside the repo or into another deployment.
    if (root !== undefined) {
      await assertRealPathInside(root, path.relative(root, folder));
      await assertNoSymlinkedFolder(root, path.relative(root, folder));
    }
    const varsChanged = root !== undefined && journal.vars !== undefined && !varsMatch(root, journal.vars);
    const torn = varsChanged ? [] : tornRenames(folder, journal);
    if (varsChanged || torn.length > 0) {
      recovery = discardedRecovery(folder, journal, torn);
      if (options.keepDiscarded) {
        recovery.keptJournal = journal;
        keptTemps = new Set(journal.renames.map(({ from }) => from));
      } else {
        await discardJournal(folder, journal);
      }
    } else {
      checkJournalPaths(folder, journal);
      await runJournal(folder, journal);
      const written = journal.renames.map(({ to }) => to).filter((to) => to !== MANIFEST_FILE);
      recovery = {
        action: "completed",
        torn: [],
        written,
        removed: journal.deletions.filter((file) => file !== MANIFEST_FILE),
        restored: journal.renames.filter(({ action }) => action === "restore").map(({ to }) => to),
        ownWrites: {},
        manifestRenamed: false,
      };
    }
  }
  await deleteStrayTempFiles(folder, keptTemps);
  return recovery;
}

/**
 * Returns the recovery of a journal to discard: what its run had changed before it stopped.
 * The files it changed stay changed, and the plan that follows finds most of them up to date,
 * so only the recovery can report them.
 */
function discardedRecovery(folder: string, journal: Journal, torn: string[]): Recovery {
  const ownWrites = ownWritesOf(folder, journal);
  const renamed = journal.renames.filter(({ to }) => Object.hasOwn(ownWrites, to));
  // The journal renames every file before its first deletion. So a run that left a temporary
  // file had deleted nothing, and once all renames ran, a missing deletion target is its work.
  const renamesDone = journal.renames.every(({ from }) => !existsSync(path.join(folder, from)));
  const removed = renamesDone
    ? journal.deletions.filter((file) => file !== MANIFEST_FILE && !existsSync(path.join(folder, file)))
    : [];
  const manifestRename = journal.renames.find(({ to }) => to === MANIFEST_FILE);
  return {
    action: "discarded",
    torn,
    written: renamed.map(({ to }) => to),
    removed,
    restored: renamed.filter(({ action }) => action === "restore").map(({ to }) => to),
    ownWrites,
    manifestRenamed: manifestRename !== undefined && !existsSync(path.join(folder, manifestRename.from)),
  };
}

/**
 * Deletes the journal that `recoverFolder` kept for `recovery` and its temporary files. Run it
 * under the repo lock before the folder's next journal is written.
 */
export async function discardKeptJournal(folder: string, recovery: Recovery): Promise<void> {
  if (recovery.keptJournal === undefined) return;
  await discardJournal(folder, recovery.keptJournal);
  delete recovery.keptJournal;
}

/**
 * Returns the rename targets whose temporary file is present but no longer has the bytes the
 * journal recorded: cut short by a power loss, since temporary files are not flushed one by one.
 * A missing temporary file was renamed already. A manifest without a recorded sha256 (a journal
 * of an older cake) counts as torn when it does not parse.
 */
function tornRenames(folder: string, journal: Journal): string[] {
  const torn: string[] = [];
  for (const { from, to, sha256 } of journal.renames) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(folder, from));
    } catch (error) {
      ignoreMissing(error);
      continue;
    }
    const intact =
      sha256 !== undefined
        ? createHash("sha256").update(bytes).digest("hex") === sha256
        : to !== MANIFEST_FILE || parseManifest(bytes.toString("utf8")) !== undefined;
    if (!intact) torn.push(to);
  }
  return torn;
}

/** Returns the files the run of `journal` had already renamed into place, with their sha256 (see `Recovery.ownWrites`). */
function ownWritesOf(folder: string, journal: Journal): Record<string, string> {
  const ownWrites: Record<string, string> = {};
  for (const { to, sha256 } of journal.renames) {
    if (sha256 !== undefined && to !== MANIFEST_FILE && tempMatches(path.join(folder, to), sha256)) {
      ownWrites[to] = sha256;
    }
  }
  return ownWrites;
}

/** Deletes `journal` and its temporary files without carrying it out. */
async function discardJournal(folder: string, journal: Journal): Promise<void> {
  for (const { from } of journal.renames) unlinkIfPresent(path.join(folder, from));
  await unlink(path.join(folder, JOURNAL_FILE)).catch(ignoreMissing);
  await syncFolder(folder);
}

/**
 * Rejects a journal whose renames or deletions would pass through a symlink, or whose rename
 * target is now a folder, before any of them runs. The journal stays, so the first run after
 * the entry is fixed completes it.
 */
function checkJournalPaths(folder: string, journal: Journal): void {
  const checked = new Map<string, "folder" | "file" | "missing">();
  const kindOf = (relative: string): "folder" | "file" | "missing" => {
    const known = checked.get(relative);
    if (known !== undefined) return known;
    let kind: "folder" | "file" | "missing" = "missing";
    try {
      const info = lstatSync(path.join(folder, relative));
      if (info.isDirectory()) kind = "folder";
      else if (info.isFile()) kind = "file";
      else throw inTheWay(folder, relative, info.isSymbolicLink() ? "a symbolic link" : "not a regular file");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    }
    checked.set(relative, kind);
    return kind;
  };
  const targets = [...journal.renames.map(({ to }) => to), ...journal.deletions];
  for (const target of targets) {
    const segments = target.split("/");
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join("/");
      const kind = kindOf(parent);
      if (kind === "missing") break;
      if (kind === "file") throw inTheWay(folder, parent, "a file where the run writes a folder");
    }
    if (kindOf(target) === "folder") throw inTheWay(folder, target, "a folder where the run writes a file");
  }
}

function inTheWay(folder: string, relative: string, problem: string): CakeError {
  const reason = problem.startsWith("a symbolic link")
    ? "cake writes a deployment folder only through real files and folders. Replace it with a real folder"
    : "the journal cannot put its file there. Move it away";
  return new CakeError(
    `cannot complete the interrupted reconcile in ${folder}: ${relative} is ${problem}, and ${reason}, ` +
      "then rerun; the journal waits until then.",
  );
}

/** Returns true when the vars file of a journal still has the bytes its run generated from. */
function varsMatch(root: string, vars: { file: string; sha256: string }): boolean {
  return tempMatches(path.join(root, ...vars.file.split("/")), vars.sha256);
}

/**
 * Carries out `journal`. The renames run synchronously: thousands of them through the
 * promise API cost a thread-pool round trip each. Recovery checks the temporary files
 * against their recorded sha256 first (see `tornRenames`).
 */
async function runJournal(folder: string, journal: Journal): Promise<void> {
  const touchedFolders = new Set<string>([folder]);

  for (const { from, to } of journal.renames) {
    const source = path.join(folder, from);
    const target = path.join(folder, to);
    if (!touchedFolders.has(path.dirname(target))) mkdirSync(path.dirname(target), { recursive: true });
    touchedFolders.add(path.dirname(target));
    try {
      renameSync(source, target);
    } catch (error) {
      // Done by the interrupted run already.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  for (const deletion of journal.deletions) {
    await unlink(path.join(folder, deletion)).catch(ignoreMissing);
    touchedFolders.add(path.dirname(path.join(folder, deletion)));
    await removeEmptyParents(folder, path.dirname(path.join(folder, deletion)));
  }

  for (const touched of touchedFolders) {
    await syncFolder(touched).catch(ignoreMissing);
  }

  await unlink(path.join(folder, JOURNAL_FILE)).catch(ignoreMissing);
  await syncFolder(folder);
  if (journal.removeFolderIfEmpty) await rmdir(folder).catch(ignoreNotEmpty);
}

/** Removes `start` and its parents up to, not including, `folder`, while they are empty. */
async function removeEmptyParents(folder: string, start: string): Promise<void> {
  let current = start;
  while (current !== folder && current.startsWith(`${folder}${path.sep}`)) {
    try {
      await rmdir(current);
    } catch (error) {
      ignoreNotEmpty(error);
      return;
    }
    current = path.dirname(current);
  }
}

/**
 * Deletes the temporary files in `folder` that a killed cake command left, except those named
 * in `keep`. Run it under the repo lock, so no running command's temporary file is taken for a
 * leftover.
 */
export async function deleteStrayTempFiles(
  folder: string,
  keep: ReadonlySet<string> = new Set(),
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const name of names) {
    if (name.startsWith(TEMP_PREFIX) && !keep.has(name)) {
      await unlink(path.join(folder, name)).catch(ignoreMissing);
    }
  }
}

function parseJournal(text: string, journalPath: string): Journal {
  const invalid = (detail: string): CakeError =>
    new CakeError(
      `${journalPath} is invalid (${detail}); it was not written by this version of cake. ` +
        "Check the folder against git (git status), delete the journal, and rerun.",
    );

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw invalid("not JSON");
  }
  if (typeof data !== "object" || data === null) throw invalid("not an object");
  const { renames, deletions, removeFolderIfEmpty, vars } = data as Record<string, unknown>;
  if (!Array.isArray(renames) || !Array.isArray(deletions)) throw invalid("renames or deletions missing");
  const { file, sha256: varsSha256 } = (vars ?? {}) as Record<string, unknown>;
  if (vars !== undefined && (!isInsideFolder(file) || typeof varsSha256 !== "string")) {
    throw invalid("vars file or its sha256");
  }

  const checkedRenames = renames.map((entry: unknown) => {
    const { from, to, sha256, action } = (entry ?? {}) as Record<string, unknown>;
    if (
      typeof from !== "string" ||
      !from.startsWith(TEMP_PREFIX) ||
      from.includes("/") ||
      from.includes("\\")
    ) {
      throw invalid(`rename source ${JSON.stringify(from)}`);
    }
    if (!isInsideFolder(to)) throw invalid(`rename target ${JSON.stringify(to)}`);
    if (sha256 !== undefined && typeof sha256 !== "string") throw invalid(`sha256 of ${JSON.stringify(to)}`);
    if (action !== undefined && action !== "create" && action !== "update" && action !== "restore") {
      throw invalid(`action of ${JSON.stringify(to)}`);
    }
    return {
      from,
      to,
      ...(sha256 === undefined ? {} : { sha256 }),
      ...(action === undefined ? {} : { action: action as WrittenAction }),
    };
  });
  const checkedDeletions = deletions.map((deletion: unknown) => {
    if (!isInsideFolder(deletion)) throw invalid(`deletion ${JSON.stringify(deletion)}`);
    return deletion;
  });
  return {
    renames: checkedRenames,
    deletions: checkedDeletions,
    removeFolderIfEmpty: removeFolderIfEmpty === true,
    ...(vars === undefined ? {} : { vars: { file: file as string, sha256: varsSha256 as string } }),
  };
}

/** Returns true for a relative `/`-separated path that stays inside its folder. */
export function isInsideFolder(value: unknown): value is string {
  if (typeof value !== "string" || value === "" || value.startsWith("/") || value.includes("\\"))
    return false;
  return value.split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..");
}

/** Returns true when the file exists with the recorded bytes. */
function tempMatches(file: string, expected: string): boolean {
  try {
    return createHash("sha256").update(readFileSync(file)).digest("hex") === expected;
  } catch (error) {
    ignoreMissing(error);
    return false;
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    ignoreMissing(error);
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
}

function ignoreNotEmpty(error: unknown): void {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "ENOENT") throw error;
}
