/**
 * Temporary git repositories for tests. The committer identity is passed with `-c`
 * and the global and system config are ignored, so tests never depend on, or change,
 * the configuration of the machine they run on.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  LC_ALL: "C",
};

const IDENTITY = [
  "-c",
  "user.name=cake test",
  "-c",
  "user.email=cake-test@example.com",
  "-c",
  "commit.gpgsign=false",
];

export interface TempRepo {
  /** Absolute path of the work tree. */
  dir: string;
  /** Runs git in the work tree and returns its trimmed stdout. */
  git(...args: string[]): Promise<string>;
  /** Writes files (paths relative to the work tree, `/` separators), creating folders. */
  write(files: Record<string, string>): Promise<void>;
  /** Deletes files or folders from the work tree. */
  remove(...paths: string[]): Promise<void>;
  /** Writes `files` (when given), stages everything and commits. Returns the commit id. */
  commit(message: string, files?: Record<string, string>): Promise<string>;
  /** Deletes the repository. */
  cleanup(): Promise<void>;
}

/** Creates an empty repository in a new temporary folder, on branch `branch` (default main). */
export async function createGitRepo(branch = "main"): Promise<TempRepo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cake-git-"));

  const git = async (...args: string[]): Promise<string> => {
    const { stdout } = await execFileAsync("git", [...IDENTITY, ...args], { cwd: dir, env: GIT_ENV });
    return stdout.trim();
  };

  const write = async (files: Record<string, string>): Promise<void> => {
    for (const [file, text] of Object.entries(files)) {
      const target = path.join(dir, ...file.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, text);
    }
  };

  const repo: TempRepo = {
    dir,
    git,
    write,
    async remove(...paths) {
      for (const file of paths)
        await rm(path.join(dir, ...file.split("/")), { recursive: true, force: true });
    },
    async commit(message, files) {
      if (files) await write(files);
      await git("add", "--all");
      await git("commit", "--quiet", "--allow-empty", "-m", message);
      return git("rev-parse", "HEAD");
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };

  await git("init", "--quiet", `--initial-branch=${branch}`);
  return repo;
}

/** The bundled example ops repo, whose generated output is committed. */
const EXAMPLE_OPS = fileURLToPath(new URL("../../examples/ops", import.meta.url));

/** Copies the example ops repo (vars, generated output, schema, `.gitignore`) into `dir`, without its local cache. */
export async function copyExampleOps(dir: string): Promise<void> {
  for (const entry of [".gitignore", "vars", "deployments", "schema"]) {
    await cp(path.join(EXAMPLE_OPS, entry), path.join(dir, entry), { recursive: true });
  }
}
