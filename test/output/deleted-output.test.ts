import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDeletionScan, writeDeletionScan } from "../../src/output/cache.js";
import { profilesDeletedInHistory } from "../../src/output/deleted-output.js";
import { withFakeGit } from "../helpers/fake-git.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const execFileAsync = promisify(execFile);

const FOLDER = "deployments/prod";
const MANIFEST = `${FOLDER}/.cake-manifest.json`;
const PROFILES = `${FOLDER}/profiles`;

let repo: TempRepo;

beforeEach(async () => {
  repo = await createGitRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

/** Returns a manifest that records `users` (Profile to email) as the private profiles of the output. */
function manifest(users: Record<string, string>): string {
  const profiles = Object.keys(users).sort();
  const fields = {
    manifestVersion: 2,
    cakeVersion: "0.2.0",
    varsFile: "vars/prod.yaml",
    profileOwner: "owner@example.com",
    profiles,
    profileUsers: users,
    files: {},
  };
  return `${JSON.stringify(fields)}\n`;
}

/** Commits a profile file of `name` held by `email`, then its deletion; returns the deleting commit. */
async function addAndRevert(name: string, email: string): Promise<string> {
  await repo.commit(`add ${name}`, {
    [`${PROFILES}/${name}.yaml`]: `kind: Profile\n`,
    [MANIFEST]: manifest({ [name]: email }),
  });
  await repo.git("revert", "--no-edit", "HEAD");
  return repo.git("rev-parse", "HEAD");
}

const all = () => true;

/** The first commit: an empty output, and the local cache ignored as in an ops repo. */
const START = { ".gitignore": ".cake/\n", [MANIFEST]: manifest({}) };

describe("profilesDeletedInHistory", () => {
  it("finds a reverted Profile's holder", async () => {
    await repo.commit("start", START);
    await addAndRevert("zlee", "zoe@example.com");

    expect(await profilesDeletedInHistory(repo.dir, FOLDER, all)).toEqual({ zlee: "zoe@example.com" });
  });

  it("returns only the Profiles included", async () => {
    await repo.commit("start", START);
    await addAndRevert("zlee", "zoe@example.com");
    await addAndRevert("bjones", "bob@example.com");

    expect(await profilesDeletedInHistory(repo.dir, FOLDER, (profile) => profile === "bjones")).toEqual({
      bjones: "bob@example.com",
    });
  });

  it("scans only new commits after a cached scan", async () => {
    await repo.commit("start", START);
    await addAndRevert("zlee", "zoe@example.com");
    expect(await profilesDeletedInHistory(repo.dir, FOLDER, all)).toEqual({ zlee: "zoe@example.com" });
    const scan = readDeletionScan(repo.dir, FOLDER);
    expect(scan?.commit).toBe(await repo.git("rev-parse", "HEAD"));
    // A planted entry proves that the next run reads the cached scan instead of all history.
    const deletedIn = scan?.deleted[`${PROFILES}/zlee.yaml`] ?? "";
    writeDeletionScan(repo.dir, FOLDER, {
      ...(scan as NonNullable<typeof scan>),
      deleted: { ...scan?.deleted, [`${PROFILES}/ghost.yaml`]: deletedIn },
    });

    await addAndRevert("bjones", "bob@example.com");
    const found = await profilesDeletedInHistory(repo.dir, FOLDER, all);

    expect(found).toEqual({ zlee: "zoe@example.com", bjones: "bob@example.com", ghost: null });
  });

  it("scans all history when the cached commit is gone", async () => {
    const start = await repo.commit("start", START);
    await addAndRevert("zlee", "zoe@example.com");
    await profilesDeletedInHistory(repo.dir, FOLDER, all);
    await repo.git("reset", "--quiet", "--hard", start);

    await addAndRevert("bjones", "bob@example.com");

    expect(await profilesDeletedInHistory(repo.dir, FOLDER, all)).toEqual({ bjones: "bob@example.com" });
  });

  it("scans again after a shallow clone is deepened", async () => {
    await repo.commit("start", START);
    await addAndRevert("zlee", "zoe@example.com");
    for (const note of ["a", "b", "c"]) await repo.commit(`note ${note}`, { [`${note}.txt`]: `${note}\n` });
    const clone = await mkdtemp(path.join(os.tmpdir(), "cake-shallow-"));
    try {
      const git = (...args: string[]) => execFileAsync("git", args, { cwd: clone });
      await git("clone", "--quiet", "--depth", "1", `file://${repo.dir}`, ".");
      expect(await profilesDeletedInHistory(clone, FOLDER, all)).toEqual({});

      // Three notes, the revert and the commit that added zlee: still shallow, since "start" is missing.
      await git("fetch", "--quiet", "--deepen", "4");
      expect((await git("rev-parse", "--is-shallow-repository")).stdout.trim()).toBe("true");

      expect(await profilesDeletedInHistory(clone, FOLDER, all)).toEqual({ zlee: "zoe@example.com" });
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });

  it("reads the holder from the deleted file without holders", async () => {
    const legacy = `${JSON.stringify({ ...JSON.parse(manifest({})), profileUsers: undefined })}\n`;
    const profile = [
      "kind: RoleBinding",
      "metadata:",
      "  annotations:",
      "    role: admin",
      '    user: "zoe@example.com"',
      "",
    ];
    await repo.commit("add", { [MANIFEST]: legacy, [`${PROFILES}/zlee.yaml`]: profile.join("\n") });
    await repo.git("revert", "--no-edit", "HEAD");

    expect(await profilesDeletedInHistory(repo.dir, FOLDER, all)).toEqual({ zlee: "zoe@example.com" });
  });

  it("looks up holders in a few git calls", async () => {
    await repo.commit("start", START);
    const expected: Record<string, string> = {};
    for (let index = 0; index < 40; index++) {
      await addAndRevert(`user${index}`, `user${index}@example.com`);
      expected[`user${index}`] = `user${index}@example.com`;
    }
    // Scanned once, so that the calls counted below are those of the holder lookup.
    await profilesDeletedInHistory(repo.dir, FOLDER, () => false);
    const log = path.join(repo.dir, ".git", "calls.log");
    const prelude = [`echo "$1" >> ${JSON.stringify(log)}`];

    const found = await withFakeGit(prelude, () => profilesDeletedInHistory(repo.dir, FOLDER, all));
    const calls = (await readFile(log, "utf8")).trim().split("\n");

    expect(found).toEqual(expected);
    // One manifest read for each chunk of 32 deletions; every manifest names its holders.
    expect(calls.filter((call) => call === "cat-file")).toHaveLength(2);
    expect(calls.length).toBeLessThan(10);
  });

  it("returns nothing outside git", async () => {
    await repo.remove(".git");

    expect(await profilesDeletedInHistory(repo.dir, FOLDER, all)).toEqual({});
  });
});
