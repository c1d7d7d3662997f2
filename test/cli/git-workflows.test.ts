/**
 * Ops repos as git leaves them after everyday workflows: a clone that converts line endings,
 * a remote whose default branch was renamed, a stash that leaves untracked files. Each test
 * runs real git and the CLI in-process.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { runCake } from "../helpers/cli.js";
import { copyExampleOps, createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const execFileAsync = promisify(execFile);
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };

const repos: TempRepo[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** Returns a git repo with the example ops repo and its generated output committed on main. */
async function exampleRepo(): Promise<TempRepo> {
  const repo = await createGitRepo();
  repos.push(repo);
  await copyExampleOps(repo.dir);
  const reconciled = await runCake(repo.dir, "reconcile");
  expect(reconciled.code, reconciled.stderr).toBe(0);
  await repo.commit("example ops repo");
  return repo;
}

/** Clones `source` into a new temporary folder, passing `options` to `git clone`, and returns the folder. */
async function cloneOf(source: string, ...options: string[]): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), "cake-clone-"));
  folders.push(folder);
  await execFileAsync("git", ["clone", "--quiet", ...options, source, folder], { env: GIT_ENV });
  return folder;
}

describe("clone with core.autocrlf=true", () => {
  it("finds committed output up to date", async () => {
    const repo = await exampleRepo();
    const clone = await cloneOf(repo.dir, "--config", "core.autocrlf=true");
    const profile = await readFile(
      path.join(clone, "deployments/prod-us-east-1/profiles/asmith.yaml"),
      "utf8",
    );
    expect(profile).toContain("\r\n");

    const check = await runCake(clone, "reconcile", "--check");
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toBe("prod-us-east-1: up to date\nstaging-europe-west1: up to date\n");
  });

  it("restores no file on reconcile", async () => {
    const repo = await exampleRepo();
    const clone = await cloneOf(repo.dir, "--config", "core.autocrlf=true");

    const result = await runCake(clone, "reconcile");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("restored");
    expect(result.stdout).toContain("prod-us-east-1: 0 written, 21 unchanged, 0 removed\n");
  });

  it("finds CODEOWNERS of cake init current", async () => {
    const repo = await createGitRepo();
    repos.push(repo);
    const init = await runCake(repo.dir, "init", ".", "--cake-package", "cake@1.0.0");
    expect(init.code, init.stderr).toBe(0);
    const reconciled = await runCake(repo.dir, "reconcile");
    expect(reconciled.code, reconciled.stderr).toBe(0);
    await repo.commit("cake init");
    const clone = await cloneOf(repo.dir, "--config", "core.autocrlf=true");
    expect(await readFile(path.join(clone, "CODEOWNERS"), "utf8")).toContain("\r\n");

    const check = await runCake(clone, "reconcile", "--check");
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).not.toContain("CODEOWNERS");
  });
});

describe("plan after the remote renamed its default branch", () => {
  /** Returns a clone of the example repo whose remote renamed main to trunk, fetched with --prune. */
  async function cloneAfterRename(): Promise<{ repo: TempRepo; clone: string }> {
    const repo = await exampleRepo();
    const clone = await cloneOf(repo.dir);
    await repo.git("branch", "-m", "main", "trunk");
    await execFileAsync("git", ["fetch", "--quiet", "--prune"], { cwd: clone, env: GIT_ENV });
    await execFileAsync("git", ["checkout", "--quiet", "-b", "feature"], { cwd: clone, env: GIT_ENV });
    await execFileAsync("git", ["branch", "--quiet", "-D", "main"], { cwd: clone, env: GIT_ENV });
    return { repo, clone };
  }

  it("names the dangling origin/HEAD", async () => {
    const { clone } = await cloneAfterRename();

    const result = await runCake(clone, "plan");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("origin/HEAD points to origin/main, which no longer exists");
    expect(result.stderr).toContain('run "git remote set-head origin --auto"');
    expect(result.stderr).not.toContain('--base "origin/main"');
  });

  it("warns when falling back to main", async () => {
    const { clone } = await cloneAfterRename();
    await execFileAsync("git", ["branch", "--quiet", "main", "origin/trunk"], { cwd: clone, env: GIT_ENV });

    const result = await runCake(clone, "plan");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Plan from main (");
    expect(result.stderr).toContain(
      "cake: warning: origin/HEAD points to origin/main, which no longer exists, so the plan is from main;",
    );
  });

  it("plans from the remote after set-head", async () => {
    const { clone } = await cloneAfterRename();
    await execFileAsync("git", ["remote", "set-head", "origin", "--auto"], { cwd: clone, env: GIT_ENV });

    const result = await runCake(clone, "plan");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Plan from origin/trunk (");
    expect(result.stderr).not.toContain("origin/HEAD");
  });
});

describe("plan without origin/HEAD", () => {
  /**
   * Returns a clone without origin/HEAD whose local main lacks a merged user, checked out on
   * a feature branch from origin/main that adds another user.
   */
  async function cloneWithOldMain(): Promise<string> {
    const repo = await exampleRepo();
    const clone = await cloneOf(repo.dir);
    const merged = await runCake(
      repo.dir,
      ...["user", "add", "--deployment", "prod-us-east-1", "--email", "merged@example.com"],
      ...["--username", "merged", "--role", "cake-user"],
    );
    expect(merged.code, merged.stderr).toBe(0);
    await repo.commit("add merged");
    const git = (...args: string[]) => execFileAsync("git", args, { cwd: clone, env: GIT_ENV });
    await git("fetch", "--quiet");
    await git("remote", "set-head", "origin", "--delete");
    await git("checkout", "--quiet", "-b", "feature", "origin/main");
    const added = await runCake(
      clone,
      ...["user", "add", "--deployment", "prod-us-east-1", "--email", "new@example.com"],
      ...["--username", "newbie", "--role", "cake-user"],
    );
    expect(added.code, added.stderr).toBe(0);
    return clone;
  }

  it("plans from origin/main, not old main", async () => {
    const clone = await cloneWithOldMain();

    const result = await runCake(clone, "plan");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Plan from origin/main (");
    expect(result.stdout).toContain("new@example.com");
    expect(result.stdout).not.toContain("merged@example.com");
    expect(result.stdout).not.toContain("NOTE:");
  });

  it("notes a base behind its upstream", async () => {
    const clone = await cloneWithOldMain();

    const result = await runCake(clone, "plan", "--base", "main", "--format", "json");
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).notes).toEqual([
      "the base main is 1 commit behind its upstream origin/main (as of the last fetch), so this plan " +
        "may list changes already merged there; pass --base origin/main, or update main first (git pull on it).",
    ]);
  });
});

describe("reconcile in a sparse checkout", () => {
  const staging = "deployments/staging-europe-west1";
  const note =
    "cake: note: skipped deployment staging-europe-west1, because the sparse checkout leaves out its output " +
    'folder; to reconcile it anyway, run "cake reconcile --deployment staging-europe-west1".\n';
  const checkNote =
    "cake: note: skipped deployment staging-europe-west1, because the sparse checkout leaves out its output " +
    'folder; to check it anyway, run "cake reconcile --check --deployment staging-europe-west1".\n';

  /** Returns a clone of the example repo that checks out every vars file and the prod output only. */
  async function sparseClone(...patterns: string[]): Promise<string> {
    const repo = await exampleRepo();
    const clone = await cloneOf(repo.dir);
    await execFileAsync("git", ["sparse-checkout", "set", ...patterns], { cwd: clone, env: GIT_ENV });
    expect(existsSync(path.join(clone, staging))).toBe(false);
    return clone;
  }

  for (const [mode, patterns] of [
    ["cone", ["vars", "deployments/prod-us-east-1"]],
    ["non-cone", ["--no-cone", "/vars/", "/deployments/prod-us-east-1/"]],
  ] as const) {
    it(`skips output outside ${mode} patterns`, async () => {
      const clone = await sparseClone(...patterns);

      const result = await runCake(clone, "reconcile");
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe("prod-us-east-1: 0 written, 21 unchanged, 0 removed\n");
      expect(result.stderr).toContain(note);
      expect(existsSync(path.join(clone, staging))).toBe(false);

      const check = await runCake(clone, "reconcile", "--check");
      expect(check.code, check.stdout).toBe(0);
      expect(check.stdout).toBe("prod-us-east-1: up to date\n");
      expect(check.stderr).toContain(checkNote);
    });
  }

  it("skips output in a sparse worktree", async () => {
    const repo = await exampleRepo();
    const worktree = path.join(await mkdtemp(path.join(os.tmpdir(), "cake-worktree-")), "tree");
    folders.push(path.dirname(worktree));
    await repo.git("worktree", "add", "--quiet", "-b", "sparse", worktree);
    await execFileAsync("git", ["sparse-checkout", "set", "vars", "deployments/prod-us-east-1"], {
      cwd: worktree,
      env: GIT_ENV,
    });

    const result = await runCake(worktree, "reconcile");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(note);
    expect(existsSync(path.join(worktree, staging))).toBe(false);
  });

  it("reconciles a named deployment anyway", async () => {
    const clone = await sparseClone("vars", "deployments/prod-us-east-1");

    const result = await runCake(clone, "reconcile", "--deployment", "staging-europe-west1");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("staging-europe-west1: 12 written, 0 unchanged, 0 removed\n");
    expect(result.stderr).not.toContain("sparse checkout");
  });

  it("reconciles nothing when all are outside", async () => {
    const clone = await sparseClone("vars");

    const result = await runCake(clone, "reconcile", "--format", "json");
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).deployments).toEqual([]);
    expect(result.stderr).toContain(
      "cake: note: skipped every deployment (prod-us-east-1, staging-europe-west1), because the sparse " +
        "checkout leaves out their output folders, so nothing was reconciled;",
    );
    expect(existsSync(path.join(clone, "deployments"))).toBe(false);

    const check = await runCake(clone, "reconcile", "--check");
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain(
      "so nothing was checked; to check them anyway, run " +
        '"cake reconcile --check --deployment prod-us-east-1 --deployment staging-europe-west1".\n',
    );
  });

  it("reconciles all after sparse-checkout disable", async () => {
    const clone = await sparseClone("vars", "deployments/prod-us-east-1");
    await execFileAsync("git", ["sparse-checkout", "disable"], { cwd: clone, env: GIT_ENV });

    const result = await runCake(clone, "reconcile");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("staging-europe-west1: 0 written, 12 unchanged, 0 removed\n");
    expect(result.stderr).not.toContain("sparse checkout");
  });
});

describe("git stash of a cake user add", () => {
  it("asks no flag for the untracked profile", async () => {
    const repo = await exampleRepo();
    const added = await runCake(
      repo.dir,
      "user",
      "add",
      "--deployment",
      "prod-us-east-1",
      "--email",
      "sam@example.com",
      "--role",
      "cake-user",
      "--namespace",
      "fraud-scoring",
    );
    expect(added.code, added.stderr).toBe(0);
    // Without --include-untracked, git stash leaves the new profile file behind.
    await repo.git("stash", "--quiet");
    expect(await repo.git("status", "--porcelain")).toBe("?? deployments/prod-us-east-1/profiles/sam.yaml");

    const check = await runCake(repo.dir, "reconcile", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("extra deployments/prod-us-east-1/profiles/sam.yaml (would be removed)");
    expect(check.stderr).toContain('run "cake reconcile" to update it.');
    expect(check.stderr).not.toContain("--allow-profile-deletion");

    const reconciled = await runCake(repo.dir, "reconcile");
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(await repo.git("status", "--porcelain")).toBe("");
  });
});
