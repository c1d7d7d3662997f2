import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCake } from "../helpers/cli.js";
import { copyExampleOps, createGitRepo, type TempRepo } from "../helpers/git-repo.js";

// A Profile that leaves the output through git (a revert, or a profile file deleted by hand)
// has no `removedProfiles` record, but Argo CD keeps it (Prune=false). Reconcile finds it in
// git history when a new Profile takes its name.
const DEPLOYMENT = "prod-us-east-1";
const D = ["--deployment", DEPLOYMENT];
const PROFILE_FILE = `deployments/${DEPLOYMENT}/profiles/zlee.yaml`;
const MANIFEST = `deployments/${DEPLOYMENT}/.cake-manifest.json`;

let repo: TempRepo;

beforeEach(async () => {
  repo = await createGitRepo();
  await copyExampleOps(repo.dir);
  await repo.commit("Add the example ops repo");
  const added = await runCake(
    repo.dir,
    "user",
    "add",
    ...D,
    "--email",
    "zoe.lee@example.com",
    "--username",
    "zlee",
    "--role",
    "cake-user",
  );
  expect(added.code).toBe(0);
  await repo.commit("Add zoe.lee");
});

afterEach(async () => {
  await repo.cleanup();
});

async function addZlee(email: string, ...flags: string[]) {
  return runCake(
    repo.dir,
    "user",
    "add",
    ...D,
    "--email",
    email,
    "--username",
    "zlee",
    "--role",
    "cake-user",
    ...flags,
  );
}

describe("Profile removed through git", () => {
  it("blocks a reverted Profile's new holder", async () => {
    await repo.git("revert", "--no-edit", "HEAD");
    const manifest = JSON.parse(await readFile(path.join(repo.dir, MANIFEST), "utf8"));
    expect(manifest.profiles).not.toContain("zlee");
    expect(manifest.removedProfiles?.zlee).toBeUndefined();

    const result = await addZlee("zack.lee@example.com");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Profile "zlee" would come back as the private profile of zack.lee@example.com, ' +
        "but it left the output earlier as the private profile of zoe.lee@example.com",
    );
    expect(await repo.git("status", "--porcelain", "--", "deployments")).toBe("");
  });

  it("reports the handover in JSON", async () => {
    await repo.git("revert", "--no-edit", "HEAD");
    expect((await addZlee("zack.lee@example.com", "--no-reconcile")).code).toBe(0);

    const blocked = await runCake(repo.dir, "reconcile", "--format", "json");

    expect(blocked.code).toBe(1);
    expect(JSON.parse(blocked.stdout).blocked.profileHandovers).toEqual([
      {
        deployment: DEPLOYMENT,
        profile: "zlee",
        from: "zoe.lee@example.com",
        to: "zack.lee@example.com",
        earlier: true,
      },
    ]);
  });

  it("lets the same person come back", async () => {
    await repo.git("revert", "--no-edit", "HEAD");

    const result = await addZlee("zoe.lee@example.com");

    expect(result.code).toBe(0);
    expect(await readFile(path.join(repo.dir, PROFILE_FILE), "utf8")).toContain("zoe.lee@example.com");
  });

  it("writes the handover once allowed", async () => {
    await repo.git("revert", "--no-edit", "HEAD");
    expect((await addZlee("zack.lee@example.com", "--no-reconcile")).code).toBe(0);

    const result = await runCake(repo.dir, "reconcile", `--allow-profile-handover=${DEPLOYMENT}/zlee`);

    expect(result.code).toBe(0);
    expect(await readFile(path.join(repo.dir, PROFILE_FILE), "utf8")).toContain("zack.lee@example.com");
  });
});

describe("plan of a Profile removed through git", () => {
  it("shows the new holder as a handover", async () => {
    await repo.git("revert", "--no-edit", "HEAD");
    const base = await repo.git("rev-parse", "HEAD");
    expect((await addZlee("zack.lee@example.com", "--no-reconcile")).code).toBe(0);

    const result = await runCake(repo.dir, "plan", "--base", base, "--format", "json");

    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    const profiles = plan.deployments.flatMap((deployment: { profiles: unknown[] }) => deployment.profiles);
    expect(profiles).toContainEqual(
      expect.objectContaining({
        profile: "zlee",
        change: "handed-over",
        previousEmail: "zoe.lee@example.com",
      }),
    );
  });
});
