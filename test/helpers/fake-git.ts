/**
 * A `git` placed first on PATH for the duration of a callback: a shell script that runs the
 * `prelude` lines and then the real git, found on the PATH from before. Tests use it to act as
 * an older git, or to record the calls cake makes.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export async function withFakeGit<T>(prelude: readonly string[], run: () => Promise<T>): Promise<T> {
  const fakeBin = await mkdtemp(path.join(os.tmpdir(), "cake-fake-git-"));
  const savedPath = process.env.PATH ?? "";
  const script = ["#!/bin/sh", ...prelude, `PATH=${JSON.stringify(savedPath)} exec git "$@"`, ""];
  await writeFile(path.join(fakeBin, "git"), script.join("\n"), { mode: 0o755 });
  process.env.PATH = `${fakeBin}${path.delimiter}${savedPath}`;
  try {
    return await run();
  } finally {
    process.env.PATH = savedPath;
    await rm(fakeBin, { recursive: true, force: true });
  }
}
