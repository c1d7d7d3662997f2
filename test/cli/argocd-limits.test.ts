/**
 * Argo CD problems that `reconcile --check` and `cake init` find across the ops repos of one
 * git repository: ApplicationSet Application names too long for a label value.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCake as cake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

let repo: TempRepo;

beforeEach(async () => {
  repo = await createGitRepo();
  await repo.commit("Add the README", { "README.md": "# monorepo\n" });
  for (const folder of ["teams/a", "teams/b"]) {
    expect((await cake(repo.dir, "init", folder)).code).toBe(0);
  }
});

afterEach(async () => {
  await repo.cleanup();
});

/**
 * Replaces the example deployment dev-us-east-1 of the ops repo in `folder` with the deployment
 * `<environment>-<region>`, other settings unchanged, and reconciles it.
 */
async function renameDeployment(folder: string, environment: string, region: string): Promise<string> {
  const root = path.join(repo.dir, folder);
  const example = path.join(root, "vars/dev-us-east-1.yaml");
  const vars = await readFile(example, "utf8");
  await rm(example);
  const name = `${environment}-${region}`;
  await writeFile(
    path.join(root, `vars/${name}.yaml`),
    vars
      .replace("environment: dev", `environment: ${environment}`)
      .replace("region: us-east-1", `region: ${region}`),
  );
  expect((await cake(root, "reconcile")).code).toBe(0);
  return name;
}

describe("ApplicationSet names over 63 characters", () => {
  // 51 characters: `cake-<deployment>` has 56, `cake-teams--b-<deployment>` 65.
  const environment = "production-analytics-platform";
  const region = "europe-west-central-2";

  it("warns where the folder makes the name too long", async () => {
    const name = await renameDeployment("teams/b", environment, region);
    const application = `cake-teams--b-${name}`;

    const check = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/b");
    const json = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/b", "--format", "json");
    const init = await cake(repo.dir, "init", "teams/b", "--force");
    const validate = await cake(repo.dir, "validate", "--repo", "teams/b");

    expect(check.code).toBe(0);
    expect(check.stderr).toContain(
      `cake: warning: teams/b/argocd/applicationset.yaml names the Argo CD Application of deployment ${name} ` +
        `"${application}", of 65 characters (limit 63).`,
    );
    expect(check.stderr).toContain(
      "set application.resourceTrackingMethod: annotation in the argocd-cm ConfigMap",
    );
    expect(JSON.parse(json.stdout).longApplicationNames).toEqual([
      {
        deployment: name,
        varsFile: `vars/${name}.yaml`,
        file: path.join(repo.dir, "teams/b/argocd/applicationset.yaml"),
        name: application,
      },
    ]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(`names the Argo CD Application of deployment ${name} "${application}"`);
    expect(validate.code).toBe(0);
    expect(validate.stderr).not.toContain("applicationset-name-too-long");
  });

  it("stays quiet without the ApplicationSet file", async () => {
    await renameDeployment("teams/b", environment, region);
    await rm(path.join(repo.dir, "teams/b/argocd/applicationset.yaml"));

    const json = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/b", "--format", "json");

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).longApplicationNames).toBeUndefined();
  });

  it("stays quiet for names that fit", async () => {
    await renameDeployment("teams/b", "production", region);

    const json = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/b", "--format", "json");

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).longApplicationNames).toBeUndefined();
  });

  it("warns once for a deployment name too long at the top", async () => {
    // 59 characters: `cake-<deployment>` has 64 wherever the ops repo is.
    const name = await renameDeployment("teams/a", `${environment}-shared`, "europe-west-central-22");
    // The CODEOWNERS at the top is teams/a's, and names its vars files.
    expect((await cake(repo.dir, "init", "teams/a", "--codeowners")).code).toBe(0);

    const check = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/a");
    const json = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/a", "--format", "json");
    const init = await cake(repo.dir, "init", "teams/a", "--force");

    expect(name).toHaveLength(59);
    expect(check.code).toBe(0);
    expect(check.stderr.match(/applicationset-name-too-long/g)).toHaveLength(1);
    expect(check.stderr).not.toContain("names the Argo CD Application of deployment");
    expect(JSON.parse(json.stdout).longApplicationNames).toBeUndefined();
    expect(init.stdout).toContain(
      `names the Argo CD Application of deployment ${name} "cake-teams--a-${name}"`,
    );
  });
});
