/**
 * An ops repo that retired its last deployment: `cake.yaml` and no vars files or generated
 * output. Its CI keeps running validate, reconcile --check and plan on every change, which
 * pass with a note, while a folder without `cake.yaml` or with output stays a usage error.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const cake = runCake;
const NOTE = "no vars files (*.yaml, *.yml) in vars and no generated output in deployments";

let repo: TempRepo;

/** Sets up a repo with `cake init`, commits its output, then retires its one deployment on main. */
async function retireLastDeployment(): Promise<void> {
  expect((await cake(repo.dir, "init", ".", "--repo-url", "https://git.example.com/ops.git")).code).toBe(0);
  expect((await cake(repo.dir, "reconcile")).code).toBe(0);
  await repo.commit("Add the dev deployment");
  await repo.remove("vars/dev-us-east-1.yaml");
  const pruned = await cake(
    repo.dir,
    "reconcile",
    "--prune-orphans",
    "--allow-profile-deletion=dev-us-east-1/*",
  );
  expect(pruned.code).toBe(0);
  await repo.commit("Retire the dev deployment");
}

beforeEach(async () => {
  repo = await createGitRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

describe("repo without deployments", () => {
  it("validates with a note", async () => {
    await retireLastDeployment();

    const text = await cake(repo.dir, "validate");
    const json = await cake(repo.dir, "validate", "--format", "json");

    expect(text.code).toBe(0);
    expect(text.stdout).toBe("0 files valid\n");
    expect(text.stderr).toContain(`cake: note: ${NOTE}`);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ diagnostics: [] });
  });

  it("passes reconcile --check with a note", async () => {
    await retireLastDeployment();

    const check = await cake(repo.dir, "reconcile", "--check");
    const run = await cake(repo.dir, "reconcile");

    expect(check.code).toBe(0);
    expect(check.stderr).toContain(`cake: note: ${NOTE}`);
    // CODEOWNERS keeps the last cake-admins instead of rules that require no review.
    expect(check.stderr).not.toContain("CODEOWNERS");
    expect(run.code).toBe(0);
    expect(await repo.git("status", "--porcelain")).toBe("");
  });

  it("plans a later change with a note", async () => {
    await retireLastDeployment();
    await repo.git("checkout", "--quiet", "-b", "docs");
    await repo.commit("Edit the README", { "README.md": "# Retired\n" });

    const working = await cake(repo.dir, "plan", "--base", "main", "--format", "json");
    const committed = await cake(repo.dir, "plan", "--base", "main", "--head", "HEAD");

    expect(working.code).toBe(0);
    const document = JSON.parse(working.stdout);
    expect(document.deployments).toEqual([]);
    expect(document.notes).toEqual([expect.stringContaining(NOTE)]);
    expect(committed.code).toBe(0);
    expect(committed.stdout).toContain(`NOTE: ${NOTE}`);
    expect(committed.stdout).toContain("No access changes.");
  });

  it("rejects a folder without cake.yaml", async () => {
    await retireLastDeployment();
    await repo.remove("cake.yaml");

    for (const args of [["validate"], ["reconcile", "--check"], ["plan", "--base", "HEAD"]]) {
      const result = await cake(repo.dir, ...args);

      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toContain("no vars files (*.yaml, *.yml) found");
    }
  });

  it("gives validate, check and plan one fix", async () => {
    await retireLastDeployment();
    await repo.remove("cake.yaml");

    const validate = await cake(repo.dir, "validate");
    const check = await cake(repo.dir, "reconcile", "--check");

    expect(validate.stderr).toBe(
      "cake: no vars files (*.yaml, *.yml) found in vars and no generated output in deployments; " +
        "check --repo and --vars-dir. If this ops repo has retired its last deployment, add a cake.yaml " +
        "(it may be empty) at its root.\n",
    );
    expect(check.stderr).toBe(validate.stderr);
    const plan = await cake(repo.dir, "plan", "--base", "HEAD");
    expect(plan.stderr).toContain(
      "check --repo and --vars-dir. If this ops repo has retired its last deployment, add a cake.yaml",
    );

    // WHEN the advice is followed THEN both pass with the note of an ops repo without deployments.
    await writeFile(path.join(repo.dir, "cake.yaml"), "");
    for (const args of [["validate"], ["reconcile", "--check"]]) {
      const result = await cake(repo.dir, ...args);

      expect(result.code, args.join(" ")).toBe(0);
      expect(result.stderr, args.join(" ")).toContain(`cake: note: ${NOTE}`);
    }
  });

  it("rejects an empty vars folder beside output", async () => {
    expect((await cake(repo.dir, "init", ".", "--repo-url", "https://git.example.com/ops.git")).code).toBe(0);
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);

    const validate = await cake(repo.dir, "validate", "--vars-dir", "varz");
    const check = await cake(repo.dir, "reconcile", "--check", "--vars-dir", "varz");

    expect(validate.code).toBe(2);
    expect(check.code).toBe(2);
    // The prune command names the deployment folder, not the .gitkeep beside it.
    expect(check.stderr).toContain(
      `"cake reconcile --vars-dir varz --prune-orphans --allow-profile-deletion='dev-us-east-1/*'".\n`,
    );
    expect(check.stderr).toContain(
      "check --repo, --vars-dir and vars_dir in cake.yaml. To delete the output",
    );
    expect(validate.stderr).toBe(check.stderr);
  });
});
