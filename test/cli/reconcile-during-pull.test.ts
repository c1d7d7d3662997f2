/**
 * A `git pull` that lands while reconcile runs. The repo lock keeps out other cake commands but
 * not git, so the pull can rewrite a vars file and its output after reconcile loaded the vars.
 * The planning step is wrapped so that the pull runs at a fixed point: after the vars are
 * loaded, before the first deployment folder is planned and written.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runCake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/ops", import.meta.url));
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };
const IDENTITY = ["-c", "user.name=cake test", "-c", "user.email=cake-test@example.com"];

/** The clone to run `git pull` in when the next reconcile plans its first folder. */
const pending = vi.hoisted(() => ({ pullIn: undefined as string | undefined }));

vi.mock("../../src/output/writer.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/output/writer.js")>();
  return {
    ...original,
    planFolder: (...args: Parameters<typeof original.planFolder>): ReturnType<typeof original.planFolder> => {
      const clone = pending.pullIn;
      pending.pullIn = undefined;
      if (clone !== undefined) {
        execFileSync("git", [...IDENTITY, "pull", "--quiet", "--ff-only"], { cwd: clone, env: GIT_ENV });
      }
      return original.planFolder(...args);
    },
  };
});

const repos: TempRepo[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

describe("reconcile during git pull", () => {
  it("writes nothing over the pulled output", async () => {
    const origin = await createGitRepo();
    repos.push(origin);
    for (const entry of [".gitignore", "vars", "deployments", "schema"]) {
      await cp(path.join(EXAMPLE, entry), path.join(origin.dir, entry), { recursive: true });
    }
    expect((await runCake(origin.dir, "reconcile")).code).toBe(0);
    await origin.commit("example ops repo");
    const clone = await mkdtemp(path.join(os.tmpdir(), "cake-clone-"));
    folders.push(clone);
    execFileSync("git", ["clone", "--quiet", origin.dir, clone], { env: GIT_ENV });

    const added = await runCake(
      origin.dir,
      "user",
      "add",
      "--deployment",
      "prod-us-east-1",
      "--email",
      "quinn@example.com",
      "--role",
      "cake-user",
      "--namespace",
      "fraud-scoring",
    );
    expect(added.code, added.stderr).toBe(0);
    await origin.commit("add quinn");

    pending.pullIn = clone;
    const result = await runCake(clone, "reconcile");
    expect(pending.pullIn).toBeUndefined();
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toContain(
      'cake: vars/prod-us-east-1.yaml changed while cake reconcile ran (a git pull, checkout or editor saved it), so nothing was written; run "cake reconcile" again.',
    );
    expect(result.stdout).not.toContain("restored");
    const status = execFileSync("git", ["status", "--porcelain"], { cwd: clone, env: GIT_ENV }).toString();
    expect(status).toBe("");
    const kustomization = await readFile(
      path.join(clone, "deployments/prod-us-east-1/kustomization.yaml"),
      "utf8",
    );
    expect(kustomization).toContain("profiles/quinn.yaml");

    const again = await runCake(clone, "reconcile", "--check");
    expect(again.code, again.stdout).toBe(0);
  });
});
