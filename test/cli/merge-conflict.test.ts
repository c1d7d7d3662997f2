/**
 * Git merges of an ops repo. Two branches that each give a user the same deploy namespace
 * change the same lines of the vars file and of the generated files, so git stops with
 * conflict markers in both. A person resolves the vars file; cake regenerates the rest.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { conflictSides } from "../../src/repo/merge-conflict.js";
import { runCake } from "../helpers/cli.js";
import { copyExampleOps, createGitRepo, type TempRepo } from "../helpers/git-repo.js";
import { snapshotTree } from "../output/tree.js";

const PROD = "deployments/prod-us-east-1";
const PROD_VARS = "vars/prod-us-east-1.yaml";

const repos: TempRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.cleanup();
});

/** Returns a git repo with the example ops repo committed on main, in its subfolder `ops` when given. */
async function exampleRepo(ops = ""): Promise<TempRepo> {
  const repo = await createGitRepo();
  repos.push(repo);
  await copyExampleOps(path.join(repo.dir, ops));
  await repo.commit("example ops repo");
  return repo;
}

/** Commits, on a new branch from main, the user `email` added with a grant of fraud-scoring. */
async function branchAddingUser(repo: TempRepo, branch: string, email: string, ops = ""): Promise<void> {
  await repo.git("checkout", "--quiet", "-b", branch, "main");
  const added = await runCake(
    path.join(repo.dir, ops),
    "user",
    "add",
    "--deployment",
    "prod-us-east-1",
    "--email",
    email,
    "--role",
    "cake-user",
    "--namespace",
    "fraud-scoring",
  );
  expect(added.code, added.stderr).toBe(0);
  await repo.commit(`add ${email}`);
}

/** Merges `zed` then `yan` into main; the second merge stops with conflicts. */
async function conflictedMerge(repo: TempRepo, ops = ""): Promise<void> {
  await branchAddingUser(repo, "zed", "zed@example.com", ops);
  await branchAddingUser(repo, "yan", "yan@example.com", ops);
  await repo.git("checkout", "--quiet", "main");
  await repo.git("merge", "--quiet", "zed");
  await expect(repo.git("merge", "yan")).rejects.toThrow();
  expect(await repo.git("diff", "--name-only", "--diff-filter=U")).toContain(path.posix.join(ops, PROD_VARS));
}

/**
 * Merges `zed` then `aaron` into main; the second merge stops with conflicts. Their names sort
 * far apart, so git merges the lines that name them in `profiles` and `profileUsers` without a
 * conflict. Only aaron's entry in `files`, next to kustomization.yaml, lies in a conflict.
 */
async function separatedMerge(repo: TempRepo): Promise<void> {
  await branchAddingUser(repo, "zed", "zed@example.com");
  await branchAddingUser(repo, "aaron", "aaron@example.com");
  await repo.git("checkout", "--quiet", "main");
  await repo.git("merge", "--quiet", "zed");
  await expect(repo.git("merge", "aaron")).rejects.toThrow();
  const manifest = await readFile(path.join(repo.dir, PROD, ".cake-manifest.json"), "utf8");
  const sides = conflictSides(manifest);
  expect(sides?.ours).toContain('    "aaron",\n');
  expect(sides?.theirs).toContain('    "zed"\n');
}

/** Writes the vars file as a person resolves it: the `yan` side, then the user the `zed` side added. */
async function resolveVars(repo: TempRepo, ops = ""): Promise<void> {
  const vars = path.posix.join(ops, PROD_VARS);
  const theirs = await repo.git("show", `yan:${vars}`);
  const zed =
    "    - email: zed@example.com\n      username: zed\n      roles: [cake-user]\n      allowed_namespaces: [fraud-scoring]\n";
  await writeFile(path.join(repo.dir, vars), `${theirs}\n${zed}`);
}

describe("a git merge that conflicts in the ops repo", () => {
  it("reports a vars conflict alone", async () => {
    const repo = await exampleRepo();
    await conflictedMerge(repo);
    const text = await readFile(path.join(repo.dir, PROD_VARS), "utf8");
    const start = text.split("\n").findIndex((line) => line.startsWith("<<<<<<< ")) + 1;
    const end = text.split("\n").findIndex((line) => line.startsWith(">>>>>>> ")) + 1;

    const result = await runCake(repo.dir, "validate", PROD_VARS, "--format", "json");
    expect(result.code).toBe(1);
    const { diagnostics } = JSON.parse(result.stdout) as {
      diagnostics: { code: string; line: number; message: string }[];
    };
    expect(diagnostics.map(({ code, line }) => [code, line])).toEqual([["merge-conflict", start]]);
    expect(diagnostics[0]?.message).toContain(`lines ${start} to ${end}`);
    expect(diagnostics[0]?.message).toContain("cake reconcile");
  });

  it("reports a stray vars marker", async () => {
    const repo = await exampleRepo();
    await conflictedMerge(repo);
    const file = path.join(repo.dir, PROD_VARS);
    const lines = (await readFile(file, "utf8")).split("\n");
    await writeFile(file, lines.filter((line) => !line.startsWith("<<<<<<< ")).join("\n"));
    const separator = lines.filter((line) => !line.startsWith("<<<<<<< ")).indexOf("=======") + 1;

    const result = await runCake(repo.dir, "validate", PROD_VARS);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${PROD_VARS}:${separator}:1: error [merge-conflict] a git merge conflict marker ("=======") was left behind`,
    );
    expect(result.stderr).not.toContain("yaml-syntax");
  });

  it("regenerates conflicted output files", async () => {
    const repo = await exampleRepo();
    await conflictedMerge(repo);
    const unmerged = (await repo.git("diff", "--name-only", "--diff-filter=U")).split("\n");
    expect(unmerged).toEqual(
      expect.arrayContaining([`${PROD}/.cake-manifest.json`, `${PROD}/profiles/fraud-scoring.yaml`]),
    );
    await resolveVars(repo);

    const check = await runCake(repo.dir, "reconcile", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `conflicted ${PROD}/profiles/fraud-scoring.yaml (has git merge conflict markers; "cake reconcile" replaces them)`,
    );
    expect(check.stdout).toContain(`conflicted ${PROD}/.cake-manifest.json (has git merge conflict markers`);
    const json = await runCake(repo.dir, "reconcile", "--check", "--format", "json");
    const report = (
      JSON.parse(json.stdout) as { deployments: { name: string; mergeConflicts: string[] }[] }
    ).deployments.find((deployment) => deployment.name === "prod-us-east-1");
    expect(report?.mergeConflicts).toEqual(
      expect.arrayContaining([".cake-manifest.json", "profiles/fraud-scoring.yaml"]),
    );

    const reconciled = await runCake(repo.dir, "reconcile");
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toMatch(
      /prod-us-east-1: 0 written, \d+ unchanged, 0 removed, \d+ merge conflicts resolved/,
    );
    expect(reconciled.stdout).toContain(
      `replaced git merge conflict markers in ${PROD}/profiles/fraud-scoring.yaml`,
    );
    expect(reconciled.stdout).toContain(`replaced git merge conflict markers in ${PROD}/.cake-manifest.json`);
    const staged = [
      PROD_VARS,
      `${PROD}/kustomization.yaml`,
      `${PROD}/profiles/fraud-scoring.yaml`,
      `${PROD}/.cake-manifest.json`,
    ];
    expect(reconciled.stdout).toContain(`run "git add ${staged.join(" ")}"\n`);
    expect(reconciled.stdout).not.toContain("hand-edited");

    // The output is what a clean checkout of the resolved vars file generates.
    const fresh = await exampleRepo();
    await writeFile(path.join(fresh.dir, PROD_VARS), await readFile(path.join(repo.dir, PROD_VARS)));
    expect((await runCake(fresh.dir, "reconcile")).code).toBe(0);
    const contents = async (dir: string) =>
      Object.fromEntries(
        Object.entries(await snapshotTree(path.join(dir, PROD))).map(([file, { content }]) => [
          file,
          content,
        ]),
      );
    expect(await contents(repo.dir)).toEqual(await contents(fresh.dir));

    expect((await runCake(repo.dir, "reconcile", "--check")).code).toBe(0);
    await repo.git("add", ...staged);
    expect(await repo.git("diff", "--name-only")).toBe("");
    await repo.git("commit", "--quiet", "--no-edit");
    expect(await repo.git("status", "--porcelain")).toBe("");
  });

  it("quotes git add paths with spaces", async () => {
    const ops = "ops repo";
    const repo = await exampleRepo(ops);
    await conflictedMerge(repo, ops);
    await resolveVars(repo, ops);

    const reconciled = await runCake(repo.dir, "reconcile", "--repo", ops);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    const staged = [
      `'${ops}/${PROD_VARS}'`,
      `'${ops}/${PROD}/kustomization.yaml'`,
      `'${ops}/${PROD}/profiles/fraud-scoring.yaml'`,
      `'${ops}/${PROD}/.cake-manifest.json'`,
    ];
    expect(reconciled.stdout).toContain(`run "git add ${staged.join(" ")}"\n`);
  });

  it("leaves untracked removed files out", async () => {
    const repo = await exampleRepo();
    await conflictedMerge(repo);
    await resolveVars(repo);
    // A generated file that no manifest lists and git does not track, as `git stash` leaves one.
    const stray = `${PROD}/profiles/stray.yaml`;
    await writeFile(
      path.join(repo.dir, stray),
      await readFile(path.join(repo.dir, PROD, "profiles/asmith.yaml")),
    );

    const reconciled = await runCake(repo.dir, "reconcile");
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toContain(`removed ${stray}`);
    const hint = reconciled.stdout.split("\n").find((line) => line.includes("git add"));
    expect(hint).toContain(`run "git add ${PROD_VARS} `);
    expect(hint).not.toContain(stray);
  });

  it("leaves a staged vars file out", async () => {
    const repo = await exampleRepo();
    await conflictedMerge(repo);
    await resolveVars(repo);
    await repo.git("add", PROD_VARS);

    const reconciled = await runCake(repo.dir, "reconcile");
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toContain(`run "git add ${PROD}/kustomization.yaml `);
    expect(reconciled.stdout).not.toContain(`git add ${PROD_VARS}`);
  });

  it("names the merge side in the deletion guard", async () => {
    const repo = await exampleRepo();
    await conflictedMerge(repo);
    // Resolved to our side only: the user the merged branch added leaves the output.
    await repo.git("checkout", "--ours", PROD_VARS);

    const blocked = await runCake(repo.dir, "reconcile");

    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('Profile "yan" would leave the output. Only the branch being merged');
    const theirs = await repo.git("rev-parse", "MERGE_HEAD");
    expect(blocked.stderr).toContain(
      `main, which Argo CD syncs by gitops.target_revision, does not contain that side's commit ${theirs.slice(0, 12)}. ` +
        "The Profile is then in the cluster only if an earlier commit of main had it, or someone synced",
    );
    const json = await runCake(repo.dir, "reconcile", "--format", "json");
    expect(JSON.parse(json.stdout).blocked.profileDeletions).toEqual([
      {
        deployment: "prod-us-east-1",
        profile: "yan",
        orphan: false,
        mergeSide: "theirs",
        targetBranch: { ref: "main", sideCommit: theirs, containsSide: false },
      },
    ]);
    const allowed = await runCake(repo.dir, "reconcile", "--allow-profile-deletion=prod-us-east-1/yan");
    expect(allowed.code, allowed.stderr).toBe(0);
    // The merge staged the removed file, so `git add` stages its removal.
    expect(allowed.stdout).toContain(`${PROD}/profiles/yan.yaml ${PROD}/.cake-manifest.json"\n`);
  });

  it("finds the side of names far apart", async () => {
    const repo = await exampleRepo();
    await separatedMerge(repo);
    // Resolved to our side only: "aaron" leaves the output, and only its entry in `files` lies
    // in a conflict, on the merged branch's side.
    await repo.git("checkout", "--ours", PROD_VARS);

    const blocked = await runCake(repo.dir, "reconcile");

    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('Profile "aaron" would leave the output. Only the branch being merged');
    const theirs = await repo.git("rev-parse", "MERGE_HEAD");
    const json = await runCake(repo.dir, "reconcile", "--format", "json");
    expect(JSON.parse(json.stdout).blocked.profileDeletions).toEqual([
      {
        deployment: "prod-us-east-1",
        profile: "aaron",
        orphan: false,
        mergeSide: "theirs",
        targetBranch: { ref: "main", sideCommit: theirs, containsSide: false },
      },
    ]);
  });

  it("names no side it cannot tell", async () => {
    const repo = await exampleRepo();
    await separatedMerge(repo);
    // Resolved to the merged side only: "zed" leaves the output, and git merged every line
    // that names it without a conflict, so the manifest cannot show which side had it.
    await repo.git("checkout", "--theirs", PROD_VARS);

    const blocked = await runCake(repo.dir, "reconcile");

    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('Profile "zed" would leave the output. Argo CD keeps it');
    expect(blocked.stderr).not.toContain("Only the branch");
    const json = await runCake(repo.dir, "reconcile", "--format", "json");
    expect(JSON.parse(json.stdout).blocked.profileDeletions).toEqual([
      { deployment: "prod-us-east-1", profile: "zed", orphan: false },
    ]);
    expect(await repo.git("diff", "--name-only", "--diff-filter=U")).toContain(`${PROD}/.cake-manifest.json`);
  });

  it("says the synced branch has the Profile", async () => {
    const repo = await exampleRepo();
    await conflictedMerge(repo);
    // As after `git pull`: the remote's main, which Argo CD syncs, already has the merged side.
    const theirs = await repo.git("rev-parse", "MERGE_HEAD");
    await repo.git("update-ref", "refs/remotes/origin/main", theirs);
    await repo.git("checkout", "--ours", PROD_VARS);

    const blocked = await runCake(repo.dir, "reconcile");

    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain(
      "origin/main (as of the last fetch), which Argo CD syncs by gitops.target_revision, contains that " +
        `side's commit ${theirs.slice(0, 12)}, so Argo CD was given this Profile, and it likely exists in the cluster.`,
    );
    expect(blocked.stderr).toContain("--allow-profile-deletion=prod-us-east-1/yan");
  });

  it("plans with a conflicted manifest", async () => {
    const repo = await exampleRepo();
    // One branch deletes a user's Profile; the other adds a user. Git merges the vars file and
    // the profiles, and stops at the manifest, which lists both the files and the removal.
    await repo.git("checkout", "--quiet", "-b", "leaver", "main");
    const removed = await runCake(
      repo.dir,
      "user",
      "remove",
      "--deployment",
      "prod-us-east-1",
      "--email",
      "hana.sato@example.com",
      "--delete-profile",
    );
    expect(removed.code, removed.stderr).toBe(0);
    await repo.commit("remove hana");
    await branchAddingUser(repo, "yan", "yan@example.com");
    await repo.git("checkout", "--quiet", "main");
    await repo.git("merge", "--quiet", "leaver");
    await expect(repo.git("merge", "yan")).rejects.toThrow();
    expect(await repo.git("diff", "--name-only", "--diff-filter=U")).toBe(`${PROD}/.cake-manifest.json`);

    const plan = await runCake(repo.dir, "plan", "--base", "HEAD");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("+ User added       yan@example.com");
    const reconciled = await runCake(repo.dir, "reconcile");
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toContain(`replaced git merge conflict markers in ${PROD}/.cake-manifest.json`);
    expect((await runCake(repo.dir, "reconcile", "--check")).code).toBe(0);
  });

  it("reads conflict-marker-size from attributes", async () => {
    const repo = await createGitRepo();
    repos.push(repo);
    await copyExampleOps(repo.dir);
    await repo.commit("example ops repo", {
      ".gitattributes": "vars/*.yaml conflict-marker-size=10\ndeployments/** conflict-marker-size=10\n",
    });
    await conflictedMerge(repo);
    const lines = (await readFile(path.join(repo.dir, PROD_VARS), "utf8")).split("\n");
    const start = lines.indexOf("<<<<<<<<<< HEAD") + 1;
    expect(start).toBeGreaterThan(0);

    const validate = await runCake(repo.dir, "validate", PROD_VARS);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toContain(
      `${PROD_VARS}:${start}:1: error [merge-conflict] unresolved git merge conflict (lines ${start} to `,
    );
    expect(validate.stderr).toContain('the lines between "<<<<<<<<<<" and ">>>>>>>>>>"');
    expect(validate.stderr).not.toContain("yaml-syntax");
    const conflictedPlan = await runCake(repo.dir, "plan", "--base", "HEAD");
    expect(conflictedPlan.code).toBe(1);
    expect(conflictedPlan.stderr).toContain(`${PROD_VARS}:${start}:1: error [merge-conflict]`);
    const edit = await runCake(
      repo.dir,
      ...["user", "add", "--deployment", "prod-us-east-1", "--email", "q@example.com", "--role", "cake-user"],
    );
    expect(edit.code).toBe(1);
    expect(edit.stderr).toContain(`${PROD_VARS}:${start}:1: error [merge-conflict]`);

    await resolveVars(repo);
    const check = await runCake(repo.dir, "reconcile", "--check");
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("prod-us-east-1: 3 with git merge conflict markers\n");
    expect(check.stdout).toContain(
      `conflicted ${PROD}/profiles/fraud-scoring.yaml (has git merge conflict markers`,
    );
    expect(check.stdout).toContain(`conflicted ${PROD}/.cake-manifest.json (has git merge conflict markers`);

    const plan = await runCake(repo.dir, "plan", "--base", "HEAD");
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("+ User added       yan@example.com");

    const reconciled = await runCake(repo.dir, "reconcile");
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toContain(
      "prod-us-east-1: 0 written, 21 unchanged, 0 removed, 3 merge conflicts resolved\n",
    );
    expect(reconciled.stdout).not.toContain("hand-edited");
    expect((await runCake(repo.dir, "reconcile", "--check")).code).toBe(0);
  });

  it("rejects an unreadable conflicted manifest", async () => {
    const repo = await exampleRepo();
    const manifest = path.join(repo.dir, PROD, ".cake-manifest.json");
    const text = await readFile(manifest, "utf8");
    await writeFile(manifest, `<<<<<<< HEAD\n${text}=======\nnot json\n>>>>>>> other\n`);
    const before = await snapshotTree(path.join(repo.dir, PROD));

    const result = await runCake(repo.dir, "reconcile");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `${PROD}/.cake-manifest.json has git merge conflict markers (line 1), and its two sides are not both cake manifests`,
    );
    expect(result.stderr).toContain("delete it");
    expect(await snapshotTree(path.join(repo.dir, PROD))).toEqual(before);
  });
});
