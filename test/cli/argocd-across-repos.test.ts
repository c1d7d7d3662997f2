/**
 * Argo CD problems that `reconcile --check` and `cake init` find across the ops repos of one
 * git repository: ApplicationSet Application names too long for a label value, and two ops
 * repos that manage the same objects of one cluster, which `cake validate` and `cake plan`
 * report too.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
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

/** Rewrites the vars file of the deployment `name` of the ops repo in `folder` with `edit`, and reconciles it. */
async function editVars(folder: string, name: string, edit: (vars: string) => string): Promise<void> {
  const root = path.join(repo.dir, folder);
  const varsFile = path.join(root, `vars/${name}.yaml`);
  await writeFile(varsFile, edit(await readFile(varsFile, "utf8")));
  expect((await cake(root, "reconcile")).code).toBe(0);
}

/** Sets `gitops.destination_server` of the deployment `name` of the ops repo in `folder`, and reconciles it. */
async function setDestination(folder: string, name: string, server: string): Promise<void> {
  await editVars(folder, name, (vars) =>
    vars.replace("target_revision: main", `target_revision: main\n  destination_server: ${server}`),
  );
}

/**
 * Gives the deployment `name` of the ops repo in `folder` IAM roles in account 123456789012 that
 * trust the OIDC provider `oidcProvider`, with a role name prefix of its own, and reconciles it.
 */
async function setOidcProvider(folder: string, name: string, oidcProvider: string): Promise<void> {
  await editVars(folder, name, (vars) =>
    vars.replace(
      "  provider: none\n",
      "  provider: aws\n  aws:\n" +
        '    account_id: "123456789012"\n' +
        `    oidc_provider: ${oidcProvider}\n` +
        `    role_name_prefix: ${folder.replace("/", "-")}-\n`,
    ),
  );
}

const EKS_ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E";

/** Runs `cake reconcile --check --format json` on the ops repo in `folder` and returns its output. */
async function checkJson(folder: string): Promise<Record<string, unknown>> {
  const check = await cake(repo.dir, "reconcile", "--check", "--repo", folder, "--format", "json");
  expect(check.code).toBe(0);
  return JSON.parse(check.stdout);
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

  it("names the ApplicationSet file absolute from outside the work tree", async () => {
    const name = await renameDeployment("teams/b", environment, region);
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "cake-elsewhere-"));
    try {
      const check = await cake(elsewhere, "reconcile", "--check", "--repo", path.join(repo.dir, "teams/b"));

      expect(check.stderr).toContain(
        `cake: warning: ${path.join(repo.dir, "teams/b/argocd/applicationset.yaml")} names the Argo CD ` +
          `Application of deployment ${name} `,
      );
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
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

describe("ops repos sharing a cluster", () => {
  it("warns about one remote cluster", async () => {
    // GIVEN the example deployments of teams/a and teams/b, with the same users, on one cluster
    // that teams/b spells with the default port.
    await setDestination("teams/a", "dev-us-east-1", "https://kubeflow.example.com");
    await setDestination("teams/b", "dev-us-east-1", "https://kubeflow.example.com:443/");

    const check = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/b");
    const json = await checkJson("teams/b");
    const init = await cake(repo.dir, "init", "teams/b", "--force");

    expect(check.code).toBe(0);
    expect(check.stderr).toContain(
      "cake: warning: teams/b/vars/dev-us-east-1.yaml: deployment dev-us-east-1 and teams/a/deployments/dev-us-east-1, " +
        "in another ops repo of this git repository, both sync to https://kubeflow.example.com:443/, so two Applications apply " +
        "ClusterRole/cake-admin, ClusterRoleBinding/cake-admin, Namespace/data-scientist, Namespace/ml-prod, " +
        "Namespace/ml-staging, Namespace/platform-admin and 4 more.",
    );
    expect(check.stderr).toContain("Keep the deployments of one cluster in one ops repo");
    expect(json.clusterClashes).toEqual([
      {
        deployment: "dev-us-east-1",
        varsFile: "vars/dev-us-east-1.yaml",
        server: "https://kubeflow.example.com:443/",
        other: path.join(repo.dir, "teams/a/deployments/dev-us-east-1"),
        objects: [
          { kind: "ClusterRole", name: "cake-admin" },
          { kind: "ClusterRoleBinding", name: "cake-admin" },
          ...["Namespace", "Profile"].flatMap((kind) =>
            ["data-scientist", "ml-prod", "ml-staging", "platform-admin"].map((name) => ({ kind, name })),
          ),
        ],
      },
    ]);
    expect(init.code).toBe(0);
    expect(init.stdout).toContain(
      "  teams/b/vars/dev-us-east-1.yaml: deployment dev-us-east-1 and teams/a/deployments/dev-us-east-1",
    );
  });

  it("ignores in-cluster deployments of one name", async () => {
    // Each Argo CD syncs the cluster it runs in, and two teams can each run a dev-us-east-1.
    for (const folder of ["teams/a", "teams/b"]) {
      expect((await cake(path.join(repo.dir, folder), "reconcile")).code).toBe(0);
    }

    const check = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/a");
    const json = await checkJson("teams/a");

    expect(check.stderr).not.toContain("so two Applications apply");
    expect(json.clusterClashes).toBeUndefined();
  });

  it("warns about one OIDC provider", async () => {
    // GIVEN in-cluster deployments of different names whose IAM roles trust one cluster's issuer.
    await setOidcProvider("teams/a", "dev-us-east-1", EKS_ISSUER);
    const name = await renameDeployment("teams/b", "dev", "us-west-2");
    await setOidcProvider("teams/b", name, EKS_ISSUER);

    const check = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/b");
    const json = await checkJson("teams/b");

    const arn = `arn:aws:iam::123456789012:oidc-provider/${EKS_ISSUER}`;
    expect(check.stderr).toContain(
      "cake: warning: teams/b/vars/dev-us-west-2.yaml: deployment dev-us-west-2 and teams/a/deployments/dev-us-east-1, " +
        `in another ops repo of this git repository, both sync the cluster of IAM OIDC provider ${arn}, which the ` +
        "IAM roles of both deployments trust, so two Applications apply ClusterRole/cake-admin,",
    );
    expect(json.clusterClashes).toEqual([
      expect.objectContaining({
        deployment: "dev-us-west-2",
        server: "https://kubernetes.default.svc",
        oidcProvider: arn,
        other: path.join(repo.dir, "teams/a/deployments/dev-us-east-1"),
      }),
    ]);
  });

  it("ignores other OIDC providers", async () => {
    await setOidcProvider("teams/a", "dev-us-east-1", EKS_ISSUER);
    await setOidcProvider("teams/b", "dev-us-east-1", EKS_ISSUER.replace("EXAMPLE", "OTHER"));

    const json = await checkJson("teams/b");

    expect(json.clusterClashes).toBeUndefined();
  });

  it("names the files absolute from outside the work tree", async () => {
    for (const folder of ["teams/a", "teams/b"]) {
      await setDestination(folder, "dev-us-east-1", "https://kubeflow.example.com");
    }
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "cake-elsewhere-"));
    try {
      const check = await cake(elsewhere, "reconcile", "--check", "--repo", path.join(repo.dir, "teams/a"));
      const varsFile = path.join(repo.dir, "teams/a/vars/dev-us-east-1.yaml");
      const other = path.join(repo.dir, "teams/b/deployments/dev-us-east-1");

      // A relative path would climb out of the work tree, so both are absolute, as diagnostics are.
      expect(check.stderr).toContain(`cake: warning: ${varsFile}: deployment dev-us-east-1 and ${other}, `);
      expect(check.stderr).not.toContain("../");
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("ignores in-cluster deployments of other names", async () => {
    // In-cluster, each deployment is synced by the Argo CD of its own cluster.
    expect((await cake(path.join(repo.dir, "teams/a"), "reconcile")).code).toBe(0);
    await renameDeployment("teams/b", "dev", "eu-west-1");

    const json = await checkJson("teams/b");

    expect(json.clusterClashes).toBeUndefined();
  });

  it("warns in validate", async () => {
    for (const folder of ["teams/a", "teams/b"]) {
      await setDestination(folder, "dev-us-east-1", "https://kubeflow.example.com");
    }

    const text = await cake(repo.dir, "validate", "--repo", "teams/b");
    const json = await cake(repo.dir, "validate", "--repo", "teams/b", "--format", "json");
    const named = await cake(path.join(repo.dir, "teams/b"), "validate", "vars/dev-us-east-1.yaml");

    expect(text.code).toBe(0);
    expect(text.stderr).toContain(
      "cake: warning: teams/b/vars/dev-us-east-1.yaml: deployment dev-us-east-1 and teams/a/deployments/dev-us-east-1, " +
        "in another ops repo of this git repository, both sync to https://kubeflow.example.com, so two Applications apply",
    );
    expect(text.stdout).toBe("1 file valid\n");
    expect(json.stderr).toBe("");
    const output = JSON.parse(json.stdout);
    expect(output.diagnostics).toEqual([]);
    expect(output.clusterClashes).toEqual([
      expect.objectContaining({ deployment: "dev-us-east-1", server: "https://kubeflow.example.com" }),
    ]);
    expect(named.stderr).toContain(
      "cake: warning: vars/dev-us-east-1.yaml: deployment dev-us-east-1 and ../a/",
    );
  });

  it("warns in plan of the working tree", async () => {
    for (const folder of ["teams/a", "teams/b"]) {
      await setDestination(folder, "dev-us-east-1", "https://kubeflow.example.com");
    }
    await repo.commit("Sync both to one cluster", {});

    const plan = await cake(repo.dir, "plan", "--repo", "teams/b", "--base", "HEAD");
    const ofCommit = await cake(repo.dir, "plan", "--repo", "teams/b", "--base", "HEAD", "--head", "HEAD");

    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(
      "cake: warning: teams/b/vars/dev-us-east-1.yaml: deployment dev-us-east-1 and teams/a/deployments/dev-us-east-1, ",
    );
    // The other ops repos' output is read from the working tree, which a head commit may not match.
    expect(ofCommit.code).toBe(0);
    expect(ofCommit.stderr).not.toContain("deployment dev-us-east-1 and");
  });

  it("ignores the old output folder", async () => {
    // GIVEN teams/a reconciled into deployments/, then into out/ once output_dir moves.
    const root = path.join(repo.dir, "teams/a");
    expect((await cake(root, "reconcile")).code).toBe(0);
    const config = path.join(root, "cake.yaml");
    await writeFile(
      config,
      (await readFile(config, "utf8")).replace("output_dir: deployments", "output_dir: out"),
    );
    expect((await cake(root, "reconcile")).code).toBe(0);

    // reconcile --check fails on the CODEOWNERS that names the old folder, so validate checks.
    const validate = await cake(root, "validate", "--format", "json");

    // The Application left in deployments/ is this ops repo's, not another's.
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout)).toEqual({ diagnostics: [] });
  });

  it("ignores other remote clusters", async () => {
    await setDestination("teams/a", "dev-us-east-1", "https://kubeflow-a.example.com");
    await setDestination("teams/b", "dev-us-east-1", "https://kubeflow-b.example.com");

    const json = await checkJson("teams/b");

    expect(json.clusterClashes).toBeUndefined();
  });

  it("names only the objects both generate", async () => {
    // GIVEN teams/b's deployment on the cluster of teams/a's, with none of its users or namespaces.
    await setDestination("teams/a", "dev-us-east-1", "https://kubeflow.example.com");
    const varsFile = path.join(repo.dir, "teams/b/vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(
      varsFile,
      vars
        .replaceAll("ml-staging", "team-b-staging")
        .replaceAll("ml-prod", "team-b-prod")
        .replaceAll("data-scientist", "analyst")
        .replaceAll("platform-admin", "team-b-admin"),
    );
    await setDestination("teams/b", "dev-us-east-1", "https://kubeflow.example.com");

    const json = await checkJson("teams/b");

    expect(json.clusterClashes).toEqual([
      expect.objectContaining({
        objects: [
          { kind: "ClusterRole", name: "cake-admin" },
          { kind: "ClusterRoleBinding", name: "cake-admin" },
        ],
      }),
    ]);
  });
});
