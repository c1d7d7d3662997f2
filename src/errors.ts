/**
 * Typed errors. Library code throws these for failures the user can fix; the CLI
 * boundary prints their message without a stack trace and exits with `exitCode`.
 * Anything else that reaches the boundary is a bug and is printed with its stack.
 */
import path from "node:path";
import { TEMP_PREFIX } from "./output/atomic.js";

export class CakeError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CakeError";
    this.exitCode = exitCode;
  }
}

/** A command line that cannot be run as given: exit code 2. */
export class UsageError extends CakeError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** Plain words for the errors the file system reports most often. */
const SYSTEM_ERROR_REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EEXIST: "it already exists",
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder, not a file",
  ENOSPC: "no space left on the device",
  EROFS: "the file system is read-only",
  EMFILE: "too many open files",
  EBUSY: "the file or folder is busy",
};

/** Returns why a file could not be read, in words with the code: "no such file or folder (ENOENT)". */
export function readFailureReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== "string") return (error as Error).message;
  return `${SYSTEM_ERROR_REASONS[code] ?? (error as Error).message} (${code})`;
}

/** Returns what to check when a rename onto an existing file fails. */
function replaceHint(code: string): string {
  // EPERM, unlike EACCES, comes with write permission on the folder: a sticky folder (mode +t)
  // whose file another user owns, or a file marked immutable (chattr +i).
  return code === "EPERM"
    ? "check that the file is not immutable (lsattr) and, in a folder with the sticky bit, that you own it"
    : "check that its folder is writable";
}

/**
 * Returns a one-line message for an error the operating system reported (a Node.js system
 * error, with `code` and `syscall`), or undefined for any other error. Such an error comes
 * from the machine, such as a folder without write permission or a full disk, not from a bug
 * in cake, so it gets no stack trace. A temporary file of an atomic write is named by its
 * folder or by the file it replaces, since its own name means nothing to the reader.
 */
export function systemErrorMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path: file, dest } = error as NodeJS.ErrnoException & { dest?: string };
  if (typeof code !== "string" || typeof syscall !== "string") return undefined;

  const reason = `${SYSTEM_ERROR_REASONS[code] ?? error.message} (${code})`;
  if (file !== undefined && path.basename(file).startsWith(TEMP_PREFIX)) {
    return dest === undefined
      ? `writing a temporary file in ${path.dirname(file)} failed (${syscall}): ${reason}; ` +
          "check that the folder is writable and its disk has space, then rerun."
      : `replacing ${dest} failed (${syscall}): ${reason}; ${replaceHint(code)}, then rerun.`;
  }
  const target = file === undefined ? "" : ` ${file}${dest === undefined ? "" : ` -> ${dest}`}`;
  return `${syscall}${target} failed: ${reason}; check the path and its permissions, then rerun.`;
}
