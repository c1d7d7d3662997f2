/**
 * The ops repo root without `--repo`: the current folder when it has `cake.yaml` or its own
 * vars folder, else the nearest folder above with `cake.yaml`, up to the top of the git work tree.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { varsYaml } from "../config/helpers.js";
import { runCake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const execFileAsync = promisify(execFile);
const VARS = "vars/prod-us-east-1.yaml";
/** A profile owner with upper-case letters: a warning (`email-uppercase`) on line 4, column 18. */
const WARNING = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: Platform@example.com\n" });

describe("repo root found from a subfolder", () => {
  let repo: TempRepo;

  beforeEach(async () => {
    repo = await createGitRepo();
    await repo.write({ "cake.yaml": "", [VARS]: WARNING });
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  it("validate of a file from vars", async () => {
    const result = await runCake(path.join(repo.dir, "vars"), "validate", "prod-us-east-1.yaml");

    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("repo-path-mismatch");
    expect(result.stderr.startsWith("prod-us-east-1.yaml:4:18: warning [email-uppercase] ")).toBe(true);
    expect(result.stdout).toBe("1 file valid\n");
  });

  it("validate of every file from vars", async () => {
    const result = await runCake(path.join(repo.dir, "vars"), "validate");

    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain("repo-path-mismatch");
    expect(result.stderr.startsWith("prod-us-east-1.yaml:4:18: warning [email-uppercase] ")).toBe(true);
    expect(result.stdout).toBe("1 file valid\n");
  });

  it("reconcile from a deployment folder", async () => {
    expect((await runCake(repo.dir, "reconcile")).code).toBe(0);
    const folder = path.join(repo.dir, "deployments", "prod-us-east-1");
    await rm(path.join(folder, "kustomization.yaml"));

    const result = await runCake(folder, "reconcile", "--verbose");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(" kustomization.yaml\n");
    expect(existsSync(path.join(folder, "kustomization.yaml"))).toBe(true);
    expect(existsSync(path.join(folder, "deployments"))).toBe(false);
    expect((await runCake(folder, "reconcile", "--check")).code).toBe(0);
  });

  it("user list from a deployment folder", async () => {
    const folder = path.join(repo.dir, "deployments", "prod-us-east-1");
    await mkdir(folder, { recursive: true });

    const result = await runCake(folder, "user", "list", "--deployment", "prod-us-east-1");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("prod-us-east-1");
  });

  it("keeps a folder with its own vars", async () => {
    await repo.write({ [`teams/b/${VARS}`]: varsYaml() });

    const result = await runCake(path.join(repo.dir, "teams", "b"), "validate", "--format", "json");
    const codes = JSON.parse(result.stdout).diagnostics.map((each: { code: string }) => each.code);

    expect(result.code).toBe(0);
    // teams/b has no cake.yaml with its repo_path, and the warning of the file above is not read.
    expect(codes).toEqual(["repo-path-mismatch"]);
  });

  it("keeps a folder with its own cake.yaml", async () => {
    await repo.write({ "teams/c/cake.yaml": "repo_path: teams/c\n" });

    const result = await runCake(path.join(repo.dir, "teams", "c"), "validate");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain("cake: note: no vars files (*.yaml, *.yml) in vars ");
    expect(result.stdout).toBe("0 files valid\n");
  });

  it("is not searched with --repo", async () => {
    const result = await runCake(path.join(repo.dir, "vars"), "validate", "--repo", ".");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cake: no vars files (*.yaml, *.yml) found in vars ");
  });
});

describe("repo root without cake.yaml", () => {
  let repo: TempRepo;

  beforeEach(async () => {
    repo = await createGitRepo();
    await repo.write({ [VARS]: WARNING });
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  it("validate from vars", async () => {
    const result = await runCake(path.join(repo.dir, "vars"), "validate");

    expect(result.code).toBe(0);
    expect(result.stderr.startsWith("prod-us-east-1.yaml:4:18: warning [email-uppercase] ")).toBe(true);
    expect(result.stdout).toBe("1 file valid\n");
  });

  it("reconcile from a deployment folder", async () => {
    expect((await runCake(repo.dir, "reconcile")).code).toBe(0);
    const folder = path.join(repo.dir, "deployments", "prod-us-east-1");

    const result = await runCake(folder, "reconcile", "--check");

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("prod-us-east-1: up to date\n");
    expect(existsSync(path.join(folder, "deployments"))).toBe(false);
  });

  it("needs vars files at the top", async () => {
    await repo.remove(VARS);
    await repo.write({ "vars/README.md": "no vars here\n", "docs/index.md": "docs\n" });

    const result = await runCake(path.join(repo.dir, "docs"), "validate");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cake: no vars files (*.yaml, *.yml) found in vars ");
  });
});

describe("vars folder taken for the root", () => {
  it("says to run from the ops repo root", async () => {
    const repo = await createGitRepo();
    await repo.commit("ops repo in a subfolder", { [`ops/${VARS}`]: varsYaml() });
    const folder = path.join(repo.dir, "ops", "vars");

    const validate = await runCake(folder, "validate");
    const plan = await runCake(folder, "plan");
    await repo.cleanup();

    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain("the repo root is named like the vars folder and holds *.yaml files");
    expect(validate.stderr).toContain("--repo .. from the vars folder");
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain("the repo root is named like the vars folder");
  });
});

describe("repo root search limits", () => {
  let outer: string;

  beforeEach(async () => {
    outer = await mkdtemp(path.join(os.tmpdir(), "cake-root-"));
    await mkdir(path.join(outer, "vars"), { recursive: true });
    await writeFile(path.join(outer, "cake.yaml"), "");
    await writeFile(path.join(outer, VARS), varsYaml());
  });

  afterEach(async () => {
    await rm(outer, { recursive: true, force: true });
  });

  it("stops at the top of the work tree", async () => {
    const top = path.join(outer, "checkout");
    await mkdir(path.join(top, "docs"), { recursive: true });
    await execFileAsync("git", ["init", "--quiet", top]);

    const result = await runCake(path.join(top, "docs"), "validate");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("cake: no vars files (*.yaml, *.yml) found in vars ");
    expect(result.stdout).toBe("");
  });

  it("goes up to the filesystem root outside git", async () => {
    const folder = path.join(outer, "deployments", "prod-us-east-1");
    await mkdir(folder, { recursive: true });

    const result = await runCake(folder, "validate");

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("1 file valid\n");
  });
});

describe("cake init suggestion from a subfolder", () => {
  let repo: TempRepo;

  beforeEach(async () => {
    repo = await createGitRepo();
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  it("names the repo folder found above", async () => {
    expect((await runCake(repo.dir, "init")).code).toBe(0);
    const folder = path.join(repo.dir, "deployments", "dev-us-east-1");
    await mkdir(folder, { recursive: true });

    const result = await runCake(
      folder,
      ...["user", "add", "--deployment", "dev-us-east-1", "--email", "boss@example.com"],
      ...["--role", "cake-admin"],
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('run "cake init ../.. --codeowners"');
    expect(existsSync(path.join(repo.dir, "deployments", "dev-us-east-1", "profiles", "boss.yaml"))).toBe(
      true,
    );
  });
});

describe("ops repo below the current folder", () => {
  let repo: TempRepo;

  beforeEach(async () => {
    repo = await createGitRepo();
    await repo.write({ "platform/ops/cake.yaml": "", [`platform/ops/${VARS}`]: WARNING });
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  it.each([
    [["validate"]],
    [["reconcile", "--check"]],
    [["plan"]],
    [["user", "list"]],
    [["user", "disable", "--deployment", "prod-us-east-1", "--email", "a@example.com"]],
  ])("%j names the ops repo found", async (argv) => {
    await repo.commit("Add the ops repo", {});

    const result = await runCake(repo.dir, ...argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "; platform/ops has a cake.yaml: pass --repo platform/ops, or run cake in that folder.\n",
    );
    expect(result.stderr).not.toContain("retired its last deployment");
  });

  it("names the folder from the current one", async () => {
    await mkdir(path.join(repo.dir, "services"));

    const result = await runCake(path.join(repo.dir, "services"), "validate", "--repo", "..");

    expect(result.stderr).toContain("; ../platform/ops has a cake.yaml: pass --repo ../platform/ops,");
  });

  it("lists several ops repos", async () => {
    await repo.write({ "teams/b/ops/cake.yaml": "" });

    const result = await runCake(repo.dir, "validate");

    expect(result.stderr).toContain(
      "; the folders platform/ops, teams/b/ops have a cake.yaml each: pass --repo with the ops repo you mean.\n",
    );
  });

  it("skips hidden, node_modules and deep folders", async () => {
    await repo.write({
      ".config/ops/cake.yaml": "",
      "node_modules/ops/cake.yaml": "",
      "a/b/c/ops/cake.yaml": "",
    });
    await rm(path.join(repo.dir, "platform"), { recursive: true });

    const result = await runCake(repo.dir, "validate");

    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain("has a cake.yaml");
    expect(result.stderr).toContain("retired its last deployment");
  });
});
