import { randomBytes } from "node:crypto";
import { constants, type FileHandle, open, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";

/** Prefix of temporary files; a deployment folder's leftovers with this prefix are deleted by the next reconcile. */
export const TEMP_PREFIX = ".cake-tmp-";

/** Returns a path for a new temporary file in `folder`, unique to this call. */
export function tempPath(folder: string): string {
  tempCount += 1;
  return path.join(folder, `${TEMP_PREFIX}${process.pid}-${RUN_ID}-${tempCount}`);
}

/** Random per process, so two processes that get the same pid (in two containers, say) never share names. */
const RUN_ID = randomBytes(6).toString("hex");
let tempCount = 0;

/**
 * Writes `data` to `target` so that readers and crashes see either the old file
 * or the new one, never a partial file. The data goes to a flushed temporary file
 * in the same folder, which is renamed over `target`. The folder is flushed last,
 * so the rename itself survives a power loss. An existing file keeps its mode.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const mode = await existingMode(target);
  const temp = await writeTempFile(path.dirname(target), data, mode);
  try {
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncFolder(path.dirname(target));
}

/**
 * Writes `data` to a new temporary file in `folder`, flushed to disk, and returns
 * its path. The caller renames or deletes it. Without `mode` the file gets the
 * default mode narrowed by the umask.
 */
export async function writeTempFile(
  folder: string,
  data: string | Uint8Array,
  mode?: number,
): Promise<string> {
  const temp = tempPath(folder);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL);
    // Set after creation because the umask would otherwise narrow the copied mode.
    if (mode !== undefined) await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    return temp;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * Flushes a folder's entries (creations, renames, deletions) to disk. Platforms
 * that cannot open or sync a folder (Windows) skip this.
 */
export async function syncFolder(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "EBADF") throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function existingMode(target: string): Promise<number | undefined> {
  try {
    return (await stat(target)).mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
