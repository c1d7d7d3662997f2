/**
 * The repo lock: one cake command at a time changes a repo's output and vars
 * files. The lock is a file created together with its content (a hard link of a
 * complete temporary file, or O_EXCL where links fail), so exactly one process can
 * create it. It records its holder, so a second command can name the holder, and
 * a lock left by a crashed process on this host can be recovered.
 */

import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync, unlinkSync } from "node:fs";
import { constants, link, lstat, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CakeError } from "../errors.js";

export const LOCK_FILE = ".cake.lock";

/** Contents of the lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  /** ISO 8601 time the lock was taken. */
  startedAt: string;
  /**
   * The holder's PID namespace on Linux (`pid:[4026531836]`). Containers that share a hostname
   * and a checkout, but not a PID namespace, cannot see each other's processes, so a lock from
   * another namespace is never judged stale.
   */
  pidNamespace?: string;
}

/** Returns this process's PID namespace, or undefined where /proc does not show it. */
function currentPidNamespace(): string | undefined {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return undefined;
  }
}

export interface LockOptions {
  /** How long to wait for a lock held by another process, in milliseconds; 0 fails at once. */
  waitMs?: number;
}

const POLL_MS = 100;
/** Suffix of the temporary file a lock is written to before it is linked into place. */
const TEMP_SUFFIX = ".tmp";
/** A lock file (or its temporary file) still unparsable after this long belongs to a process that died while creating it. */
const PARTIAL_LOCK_STALE_MS = 10_000;
/** Time allowed for another process to finish recovering a stale lock before we give up. */
const RECOVERY_GRACE_MS = 2_000;
/** A recovery marker older than this was left by a process that died while recovering. */
const RECOVERY_MARKER_STALE_MS = 30_000;

/**
 * Runs `fn` while holding the lock of the repo at `root`, and releases the lock
 * when `fn` settles or the process receives SIGINT or SIGTERM.
 * @throws CakeError when another live process holds the lock past `waitMs`.
 */
export async function withRepoLock<T>(
  root: string,
  command: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lockPath = path.join(root, LOCK_FILE);
  const pidNamespace = currentPidNamespace();
  const holder: LockHolder = {
    pid: process.pid,
    hostname: os.hostname(),
    command,
    startedAt: new Date().toISOString(),
    ...(pidNamespace === undefined ? {} : { pidNamespace }),
  };
  const text = `${JSON.stringify(holder)}\n`;
  await acquire(lockPath, text, options.waitMs ?? 0);

  const onSignal = (signal: NodeJS.Signals): void => {
    removeSignalHandlers();
    releaseSync(lockPath, text);
    // With our handler gone, the signal's usual action (usually exit) runs.
    process.kill(process.pid, signal);
  };
  const removeSignalHandlers = (): void => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    return await fn();
  } finally {
    removeSignalHandlers();
    await release(lockPath, text);
  }
}

interface LockState {
  raw: string;
  holder: LockHolder | undefined;
  ino: number;
  mtimeMs: number;
}

async function acquire(lockPath: string, text: string, waitMs: number): Promise<void> {
  const start = Date.now();
  const deadline = start + waitMs;

  for (;;) {
    if (await tryCreate(lockPath, text)) {
      await deleteAbandonedTemps(lockPath);
      return;
    }

    const current = await readLock(lockPath);
    if (current === undefined) continue;

    if (isStale(current) && (await recoverStale(lockPath, current))) continue;

    const now = Date.now();
    const recovering = isStale(current) && now < start + RECOVERY_GRACE_MS;
    if (now >= deadline && !recovering) throw new CakeError(heldMessage(lockPath, current));
    await sleep(POLL_MS + Math.floor(Math.random() * POLL_MS));
  }
}

/**
 * Creates `lockPath` holding `text`, or returns false when it exists. The text is
 * written in full under a temporary name and hard-linked into place, so the lock
 * never exists without its holder. A process killed in between leaves only the
 * temporary file, which a later acquisition deletes. Where the file system has no
 * hard links, the lock is created with O_EXCL and written after.
 */
async function tryCreate(lockPath: string, text: string): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}-${randomBytes(4).toString("hex")}${TEMP_SUFFIX}`;
  try {
    await writeSynced(temp, text, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    await link(temp, lockPath);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS")
      return tryCreateExclusive(lockPath, text);
    throw new CakeError(`cannot create the lock file ${lockPath}: ${(error as Error).message}`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function tryCreateExclusive(lockPath: string, text: string): Promise<boolean> {
  try {
    await writeSynced(lockPath, text, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new CakeError(`cannot create the lock file ${lockPath}: ${(error as Error).message}`);
  }
}

async function writeSynced(file: string, text: string, flags: number): Promise<void> {
  const handle = await open(file, flags, 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Deletes temporary lock files left by processes that died before linking them.
 * Their age decides, not their pid, because a repo on a shared file system can hold
 * temporary files of live processes on other hosts.
 */
async function deleteAbandonedTemps(lockPath: string): Promise<void> {
  const folder = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const info = await stat(path.join(folder, name)).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > PARTIAL_LOCK_STALE_MS) {
      await unlink(path.join(folder, name)).catch(() => undefined);
    }
  }
}

async function readLock(lockPath: string): Promise<LockState | undefined> {
  try {
    // A symlink there (dangling or not) would make every creation fail and every read miss.
    const entry = await lstat(lockPath);
    if (!entry.isFile()) {
      throw new CakeError(
        `${lockPath} is not a regular file (a symbolic link, say), so no cake command can take the repo lock; ` +
          "delete it, then rerun.",
      );
    }
    const [raw, info] = await Promise.all([readFile(lockPath, "utf8"), stat(lockPath)]);
    return { raw, holder: parseHolder(raw), ino: info.ino, mtimeMs: info.mtimeMs };
  } catch (error) {
    if (error instanceof CakeError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CakeError(`cannot read the lock file ${lockPath}: ${(error as Error).message}`);
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const data = JSON.parse(raw) as Partial<LockHolder>;
    if (
      typeof data.pid === "number" &&
      typeof data.hostname === "string" &&
      typeof data.command === "string" &&
      typeof data.startedAt === "string" &&
      (data.pidNamespace === undefined || typeof data.pidNamespace === "string")
    ) {
      return data as LockHolder;
    }
  } catch {
    // A lock being written, or damaged: judged by its age instead.
  }
  return undefined;
}

/**
 * Returns true when the holder is certainly gone: its pid is dead on this host and in this
 * PID namespace, or the file was never completed. A lock from another host or namespace is
 * never stale, because its pid cannot be checked from here.
 */
function isStale(state: LockState): boolean {
  const { holder } = state;
  if (holder === undefined) return Date.now() - state.mtimeMs > PARTIAL_LOCK_STALE_MS;
  // A lock written without a namespace (another OS, an older cake) is judged by the hostname alone.
  const sameNamespace = holder.pidNamespace === undefined || holder.pidNamespace === currentPidNamespace();
  const visibleHere = holder.hostname === os.hostname() && sameNamespace;
  return visibleHere && !isProcessAlive(holder.pid);
}

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Deletes the stale lock `seen`, if it is still there, and returns true when it
 * did. Recoverers take turns through a marker file created with O_EXCL. Each one
 * deletes the lock only if it is still the same file with the same content, so a
 * second recoverer cannot delete the fresh lock of the first.
 */
async function recoverStale(lockPath: string, seen: LockState): Promise<boolean> {
  const markerPath = `${lockPath}.recover`;
  const marker = `${JSON.stringify({ pid: process.pid, hostname: os.hostname() })}\n`;
  if (!(await tryCreate(markerPath, marker))) {
    await removeAbandonedMarker(markerPath);
    return false;
  }

  try {
    const current = await readLock(lockPath);
    if (current === undefined || current.ino !== seen.ino || current.raw !== seen.raw) return false;
    await unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    return true;
  } finally {
    await unlink(markerPath).catch(() => undefined);
  }
}

// NOTE: two processes that both find an abandoned marker can race here. That
// needs a recoverer to crash within a few system calls first, so it is left open.
async function removeAbandonedMarker(markerPath: string): Promise<void> {
  const state = await readLock(markerPath).catch(() => undefined);
  if (state === undefined) return;
  const owner = parseMarker(state.raw);
  const ownerDead = owner !== undefined && owner.hostname === os.hostname() && !isProcessAlive(owner.pid);
  if (ownerDead || Date.now() - state.mtimeMs > RECOVERY_MARKER_STALE_MS) {
    await unlink(markerPath).catch(() => undefined);
  }
}

function parseMarker(raw: string): { pid: number; hostname: string } | undefined {
  try {
    const data = JSON.parse(raw) as { pid?: unknown; hostname?: unknown };
    if (typeof data.pid === "number" && typeof data.hostname === "string") {
      return { pid: data.pid, hostname: data.hostname };
    }
  } catch {
    // Still being written.
  }
  return undefined;
}

function heldMessage(lockPath: string, state: LockState): string {
  const holder = state.holder;
  const holderText =
    holder === undefined
      ? "another cake process"
      : `"cake ${holder.command}" (pid ${holder.pid} on host ${holder.hostname}, since ${holder.startedAt})`;
  return (
    `the repo is locked by ${holderText}. Wait for it to finish, or rerun with --wait SECONDS. ` +
    `If no cake process is running, delete ${lockPath}.`
  );
}

/** Deletes the lock if it is still ours; another process may have recovered it after a long pause. */
async function release(lockPath: string, text: string): Promise<void> {
  const current = await readFile(lockPath, "utf8").catch(() => undefined);
  if (current === text) await unlink(lockPath).catch(() => undefined);
}

function releaseSync(lockPath: string, text: string): void {
  try {
    if (readFileSync(lockPath, "utf8") === text) unlinkSync(lockPath);
  } catch {
    // Already gone: nothing to release.
  }
}
