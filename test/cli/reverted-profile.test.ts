import { appendFile, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCake } from "../helpers/cli.js";
import { copyExampleOps, createGitRepo, type TempRepo } from "../helpers/git-repo.js";

// A Profile that leaves the output through git (a revert, or a profile file deleted by hand)
// has no `removedProfiles` record, but Argo CD keeps it (Prune=false). Cake finds it in git
// history when a new Profile takes its name.
const DEPLOYMENT = "prod-us-east-1";
const D = ["--deployment", DEPLOYMENT];
const VARS = `vars/${DEPLOYMENT}.yaml`;
const PROFILE_FILE = `deployments/${DEPLOYMENT}/profiles/zlee.yaml`;
const MANIFEST = `deployments/${DEPLOYMENT}/.cake-manifest.json`;
const ZOE = "zoe.lee@example.com";
const ZACK = "zack.lee@example.com";

let repo: TempRepo;

beforeEach(async () => {
  repo = await createGitRepo();
  await copyExampleOps(repo.dir);
  await repo.commit("Add the example ops repo");
  expect((await addUser(ZOE, "--username", "zlee")).code).toBe(0);
  await repo.commit("Add zoe.lee");
  await repo.git("revert", "--no-edit", "HEAD");
});

afterEach(async () => {
  await repo.cleanup();
});

function addUser(email: string, ...flags: string[]) {
  return runCake(repo.dir, "user", "add", ...D, "--email", email, "--role", "cake-user", ...flags);
}

/** Adds a user entry with username zlee at the end of the users list, as an edit by hand would. */
async function addZleeByHand(email: string): Promise<void> {
  const entry = `    - email: ${email}\n      username: zlee\n      roles: [cake-user]\n      allowed_namespaces: []\n`;
  await appendFile(path.join(repo.dir, VARS), entry);
}

describe("Profile removed through git", () => {
  it("leaves no removal record", async () => {
    const manifest = JSON.parse(await readFile(path.join(repo.dir, MANIFEST), "utf8"));

    expect(manifest.profiles).not.toContain("zlee");
    expect(manifest.removedProfiles?.zlee).toBeUndefined();
  });

  it("rejects user add of a new holder", async () => {
    const result = await addUser(ZACK, "--username", "zlee");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Profile "zlee" was the private profile of ${ZOE}`);
    expect(await repo.git("status", "--porcelain")).toBe("");
  });

  it("rejects user add after a pull merged the revert", async () => {
    // Local work from before zoe.lee was added, then `git pull` merges main into it.
    await repo.git("checkout", "--quiet", "-b", "local", "HEAD~2");
    await repo.commit("Local work", { "notes.txt": "x\n" });
    await repo.git("merge", "--quiet", "--no-edit", "main");

    const result = await addUser(ZACK, "--username", "zlee");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Profile "zlee" was the private profile of ${ZOE}`);
  });

  it("proposes another username", async () => {
    const result = await addUser(ZACK);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`added user ${ZACK} (username zlee-2)`);
    expect(result.stderr).not.toContain("shallow clone");
  });

  it("rejects an import row of a new holder", async () => {
    const csv = path.join(repo.dir, "..", `${path.basename(repo.dir)}-users.csv`);
    await writeFile(csv, `email,username,roles,namespaces\n${ZACK},zlee,cake-user,\n`);

    const result = await runCake(repo.dir, "user", "import", ...D, csv);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("[profile-handover]");
    expect(result.stderr).toContain(`Profile "zlee" was the private profile of ${ZOE}`);
    expect(await repo.git("status", "--porcelain")).toBe("");
  });

  it("lets the same person come back", async () => {
    const result = await addUser(ZOE, "--username", "zlee");

    expect(result.code).toBe(0);
    expect(await readFile(path.join(repo.dir, PROFILE_FILE), "utf8")).toContain(ZOE);
  });

  it("blocks reconcile of a new holder", async () => {
    await addZleeByHand(ZACK);

    const blocked = await runCake(repo.dir, "reconcile", "--format", "json");

    expect(blocked.code).toBe(1);
    expect(JSON.parse(blocked.stdout).blocked.profileHandovers).toEqual([
      { deployment: DEPLOYMENT, profile: "zlee", from: ZOE, to: ZACK, earlier: true },
    ]);
    expect(await repo.git("status", "--porcelain", "--", "deployments")).toBe("");
  });

  it("writes the handover once allowed", async () => {
    await addZleeByHand(ZACK);

    const result = await runCake(repo.dir, "reconcile", `--allow-profile-handover=${DEPLOYMENT}/zlee`);

    expect(result.code).toBe(0);
    expect(await readFile(path.join(repo.dir, PROFILE_FILE), "utf8")).toContain(ZACK);
  });

  it("shows the handover in the plan", async () => {
    const base = await repo.git("rev-parse", "HEAD");
    await addZleeByHand(ZACK);

    const result = await runCake(repo.dir, "plan", "--base", base, "--format", "json");

    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    const profiles = plan.deployments.flatMap((deployment: { profiles: unknown[] }) => deployment.profiles);
    expect(profiles).toContainEqual(
      expect.objectContaining({ profile: "zlee", change: "handed-over", previousEmail: ZOE }),
    );
  });
});

describe("Profile removed before a shallow clone", () => {
  let clone: string;

  beforeEach(async () => {
    // Two more commits put the revert out of a clone of depth 1.
    await repo.commit("Unrelated change", {});
    await repo.commit("Another unrelated change", {});
    clone = `${repo.dir}-shallow`;
    await repo.git("clone", "--quiet", "--depth", "1", `file://${repo.dir}`, clone);
  });

  afterEach(async () => {
    await rm(clone, { recursive: true, force: true });
  });

  /** Adds zack.lee as zlee, the username of the reverted user, in the shallow clone. */
  function addZackInClone(...flags: string[]) {
    return runCake(
      clone,
      "user",
      "add",
      ...D,
      "--email",
      ZACK,
      "--username",
      "zlee",
      "--role",
      "cake-user",
      ...flags,
    );
  }

  it("warns that the history is shallow", async () => {
    const result = await addZackInClone();

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${DEPLOYMENT}: the new Profiles were checked`);
    expect(result.stderr).toContain(
      "in a shallow clone, whose history may lack an earlier removal of the same name",
    );
    expect(result.stderr).toContain('run "git fetch --unshallow" and then "cake plan"');
  });

  it("notes the shallow history in the plan", async () => {
    const base = await repo.git("-C", clone, "rev-parse", "HEAD");
    expect((await addZackInClone("--no-reconcile")).code).toBe(0);

    const result = await runCake(clone, "plan", "--base", base, "--format", "json");

    expect(result.code).toBe(0);
    const notes: string[] = JSON.parse(result.stdout).notes;
    expect(
      notes.some((note) => note.startsWith(`${DEPLOYMENT} gain Profiles`) && note.includes("shallow clone")),
    ).toBe(true);
  });

  it("lists the deployment in JSON", async () => {
    expect((await addZackInClone("--no-reconcile")).code).toBe(0);

    const result = await runCake(clone, "reconcile", "--format", "json");

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).shallowHistory).toEqual([DEPLOYMENT]);
  });
});
