import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/config/diagnostics.js";
import { loadRepo } from "../../src/config/repo.js";
import { resolveLayout } from "../../src/repo/layout.js";
import { fixtureText, varsYaml } from "./helpers.js";

describe("loadRepo", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-repo-"));
    await mkdir(path.join(root, "vars"));
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), fixtureText("prod-us-east-1.yaml"));
    await writeFile(
      path.join(root, "vars", "staging-local.yml"),
      fixtureText("staging-local.yaml").replace("local", "local"),
    );
    await writeFile(path.join(root, "vars", "README.md"), "not vars\n");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("loads every vars file of the repo", async () => {
    const result = await loadRepo(await resolveLayout(root));

    expect(result.files).toEqual(["vars/prod-us-east-1.yaml", "vars/staging-local.yml"]);
    expect(result.diagnostics).toEqual([]);
    expect(result.deployments.map((deployment) => deployment.name)).toEqual([
      "prod-us-east-1",
      "staging-local",
    ]);
    expect(result.deployments.map((deployment) => deployment.outputPath)).toEqual([
      "deployments/prod-us-east-1",
      "deployments/staging-local",
    ]);
    expect(result.deployments[0]?.varsFile).toBe("vars/prod-us-east-1.yaml");
  });

  it("uses the configured folders", async () => {
    await mkdir(path.join(root, "platform", "vars"), { recursive: true });
    await writeFile(path.join(root, "platform", "vars", "prod-us-east-1.yaml"), varsYaml());

    const layout = await resolveLayout(root, { varsDir: "platform/vars", outputDir: "out" });
    const result = await loadRepo(layout);

    expect(result.files).toEqual(["platform/vars/prod-us-east-1.yaml"]);
    expect(result.deployments[0]?.outputPath).toBe("out/prod-us-east-1");
  });

  it("loads only the given files", async () => {
    const result = await loadRepo(await resolveLayout(root), [path.join(root, "vars", "staging-local.yml")]);

    expect(result.files).toEqual(["vars/staging-local.yml"]);
    expect(result.deployments.map((deployment) => deployment.name)).toEqual(["staging-local"]);
  });

  it("keeps valid deployments when another file is invalid", async () => {
    await writeFile(path.join(root, "vars", "dev-us-east-1.yaml"), "environment: dev\n");

    const result = await loadRepo(await resolveLayout(root));

    expect(result.deployments.map((deployment) => deployment.name)).toEqual([
      "prod-us-east-1",
      "staging-local",
    ]);
    expect(result.diagnostics.every((diagnostic) => diagnostic.file === "vars/dev-us-east-1.yaml")).toBe(
      true,
    );
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.sources["vars/dev-us-east-1.yaml"]).toBe("environment: dev\n");
  });

  it("missing vars folder gives no files", async () => {
    const result = await loadRepo(await resolveLayout(root, { varsDir: "absent" }));

    expect(result.files).toEqual([]);
    expect(result.deployments).toEqual([]);
  });
});

describe("Argo CD Application names across vars files", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-apps-"));
    await mkdir(path.join(root, "vars"));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Writes `vars/<environment>-<region>.yaml` with the given lines under `gitops:`. */
  async function writeDeployment(environment: string, region: string, gitops: string[]): Promise<void> {
    const text = varsYaml({
      top: `environment: ${environment}\nregion: ${region}\n`,
      gitops: ["gitops:", "  repo_url: https://git.example.com/platform/ops.git", ...gitops, ""]
        .map((line, index) => (index === 0 || line === "" ? line : line.replace(/^ */, "  ")))
        .join("\n"),
    });
    await writeFile(path.join(root, "vars", `${environment}-${region}.yaml`), text);
  }

  it("rejects equal names when one deployment syncs to a remote cluster", async () => {
    await writeDeployment("prod", "us-east-1", ["destination_server: https://prod-use1.example.com"]);
    await writeDeployment("prod", "eu-west-1", ["destination_server: https://prod-euw1.example.com"]);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.deployments).toEqual([]);
    expect(
      result.diagnostics.map(({ severity, code, file, path: field }) => [severity, code, file, field]),
    ).toEqual([
      ["error", "duplicate-app-name", "vars/prod-eu-west-1.yaml", "gitops"],
      ["error", "duplicate-app-name", "vars/prod-us-east-1.yaml", "gitops"],
    ]);
    // Neither file sets app_name, so both point at their `gitops` key.
    expect(result.diagnostics.map(({ line, column }) => [line, column])).toEqual([
      [5, 1],
      [5, 1],
    ]);
    const [first] = result.diagnostics;
    expect(first?.message).toContain('Argo CD Application "user-namespace" in namespace "argocd"');
    expect(first?.message).toContain("vars/prod-us-east-1.yaml");
    expect(first?.message).toContain('such as "user-namespace-prod-eu-west-1"');
  });

  it("points at gitops.app_name when the file sets it", async () => {
    await writeDeployment("prod", "us-east-1", ["app_name: kubeflow-access"]);
    await writeDeployment("prod", "eu-west-1", [
      "destination_server: https://prod-euw1.example.com",
      "app_name: kubeflow-access",
    ]);

    const result = await loadRepo(await resolveLayout(root));

    const located = result.diagnostics.map(({ file, line, column, path: field }) => [
      file,
      line,
      column,
      field,
    ]);
    // Four lines of settings, then `gitops:` and repo_url: the given lines start at line 7.
    expect(located).toEqual([
      ["vars/prod-eu-west-1.yaml", 8, 13, "gitops.app_name"],
      ["vars/prod-us-east-1.yaml", 7, 13, "gitops.app_name"],
    ]);
  });

  it("rejects two deployments with one remote destination", async () => {
    await writeDeployment("dev", "us-east-1", [
      "destination_server: https://k8s.example.com:6443",
      "app_name: access-dev",
    ]);
    await writeDeployment("staging", "us-east-1", [
      "destination_server: https://k8s.example.com:6443",
      "app_name: access-staging",
    ]);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.deployments).toEqual([]);
    expect(
      result.diagnostics.map(({ code, file, line, column, path: field }) => [
        code,
        file,
        line,
        column,
        field,
      ]),
    ).toEqual([
      ["duplicate-destination", "vars/dev-us-east-1.yaml", 7, 23, "gitops.destination_server"],
      ["duplicate-destination", "vars/staging-us-east-1.yaml", 7, 23, "gitops.destination_server"],
    ]);
    expect(result.diagnostics[0]?.message).toContain(
      '"https://k8s.example.com:6443" is also the destination of vars/staging-us-east-1.yaml',
    );
  });

  it.each([
    "https://k8s.example.com:6443/",
    "https://K8S.example.com:6443",
    "https://k8s.example.com:6443//",
  ])("rejects %s as the same destination", async (spelling) => {
    await writeDeployment("dev", "us-east-1", [
      "destination_server: https://k8s.example.com:6443",
      "app_name: a",
    ]);
    await writeDeployment("staging", "us-east-1", [`destination_server: "${spelling}"`, "app_name: b"]);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics.map(({ code }) => code)).toEqual([
      "duplicate-destination",
      "duplicate-destination",
    ]);
  });

  it("rejects the default https port as the same destination", async () => {
    await writeDeployment("dev", "us-east-1", ["destination_server: https://k8s.example.com", "app_name: a"]);
    await writeDeployment("staging", "us-east-1", [
      "destination_server: https://k8s.example.com:443",
      "app_name: b",
    ]);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics.map(({ code }) => code)).toEqual([
      "duplicate-destination",
      "duplicate-destination",
    ]);
  });

  it("accepts the in-cluster server with a trailing slash", async () => {
    await writeDeployment("dev", "us-east-1", ["destination_server: https://kubernetes.default.svc/"]);
    await writeDeployment("staging", "us-east-1", []);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics).toEqual([]);
  });

  it("accepts equal names when every deployment syncs in-cluster", async () => {
    await writeDeployment("prod", "us-east-1", []);
    await writeDeployment("prod", "eu-west-1", []);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics).toEqual([]);
    expect(result.deployments).toHaveLength(2);
  });

  it("accepts equal names in different Argo CD namespaces or distinct names", async () => {
    await writeDeployment("prod", "us-east-1", ["destination_server: https://prod-use1.example.com"]);
    await writeDeployment("prod", "eu-west-1", [
      "destination_server: https://prod-euw1.example.com",
      "argocd_namespace: argocd-eu",
    ]);
    await writeDeployment("dev", "us-east-1", [
      "destination_server: https://dev-use1.example.com",
      "app_name: user-namespace-dev",
    ]);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics).toEqual([]);
    expect(result.deployments).toHaveLength(3);
  });
});

describe("cloud identities across vars files", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-repo-cloud-"));
    await mkdir(path.join(root, "vars"));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function writeCloud(name: string, cloud: string): Promise<void> {
    const [environment, ...region] = name.split("-");
    const top = `environment: ${environment}\nregion: ${region.join("-")}\n`;
    const users = varsYaml()
      .slice(varsYaml().indexOf("users:"))
      .replace("username: alice", "username: alice-smith");
    await writeFile(path.join(root, "vars", `${name}.yaml`), varsYaml({ top, cloud, users }));
  }

  const gcp = (prefix?: string): string =>
    "cloud:\n  provider: gcp\n  gcp:\n    project_id: shared-project\n" +
    (prefix === undefined ? "" : `    service_account_prefix: "${prefix}"\n`);
  const aws = (prefix?: string, account = "123456789012"): string =>
    `cloud:\n  provider: aws\n  aws:\n    account_id: "${account}"\n    oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/ABC\n` +
    (prefix === undefined ? "" : `    role_name_prefix: ${prefix}\n`);

  it("rejects one GCP project with equal prefixes", async () => {
    await writeCloud("prod-us-central1", gcp());
    await writeCloud("staging-us-central1", gcp());

    const result = await loadRepo(await resolveLayout(root));

    expect(result.deployments).toEqual([]);
    expect(
      result.diagnostics.map(({ code, file, line, column, path: field }) => [
        code,
        file,
        line,
        column,
        field,
      ]),
    ).toEqual([
      ["duplicate-cloud-identity", "vars/prod-us-central1.yaml", 7, 3, "cloud.gcp"],
      ["duplicate-cloud-identity", "vars/staging-us-central1.yaml", 7, 3, "cloud.gcp"],
    ]);
    expect(result.diagnostics[0]?.message).toContain("shared-project");
    expect(result.diagnostics[1]?.message).toContain('such as "stg-" here');
    expect(result.diagnostics[0]?.message).toContain("vars/staging-us-central1.yaml");
  });

  it("rejects equal AWS role name prefixes", async () => {
    await writeCloud("prod-us-east-1", aws("kubeflow-"));
    await writeCloud("staging-us-east-1", aws("kubeflow-"));

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics.map(({ code, path: field }) => [code, field])).toEqual([
      ["duplicate-cloud-identity", "cloud.aws.role_name_prefix"],
      ["duplicate-cloud-identity", "cloud.aws.role_name_prefix"],
    ]);
  });

  it.each([
    [
      "AWS",
      aws("team-"),
      aws("team-a-"),
      "cloud.aws.role_name_prefix",
      'profile "a-ml" here and profile "ml" there would both get "team-a-ml"',
    ],
    [
      "GCP",
      gcp("kf-"),
      gcp("kf-dev-"),
      "cloud.gcp.service_account_prefix",
      'profile "dev-ml" here and profile "ml" there would both get "kf-dev-ml"',
    ],
  ])("rejects %s prefixes where one starts the other", async (_cloud, shorter, longer, field, example) => {
    await writeCloud("prod-us-east-1", shorter);
    await writeCloud("dev-us-east-1", longer);

    const result = await loadRepo(await resolveLayout(root));

    expect(result.deployments).toEqual([]);
    expect(result.diagnostics.map(({ code, file, path: at }) => [code, file, at])).toEqual([
      ["duplicate-cloud-identity", "vars/dev-us-east-1.yaml", field],
      ["duplicate-cloud-identity", "vars/prod-us-east-1.yaml", field],
    ]);
    expect(result.diagnostics[1]?.message).toContain(example);
    expect(result.diagnostics[1]?.message).toContain("vars/dev-us-east-1.yaml");
  });

  it("rejects nested default prefixes", async () => {
    await writeCloud("prod-us-east-1", aws());
    await writeCloud("prod-us", aws());

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics.map(({ code }) => code)).toEqual([
      "duplicate-cloud-identity",
      "duplicate-cloud-identity",
    ]);
  });

  it.each([
    ["AWS defaults", aws(), aws()],
    ["GCP without prefixes", gcp(), gcp()],
    ["AWS nested", aws("team-"), aws("team-a-")],
    ["AWS default under a short prefix", aws("prod-us-"), aws()],
  ])("suggests prefixes that end the collision: %s", async (_name, first, second) => {
    await writeCloud("prod-us", first);
    await writeCloud("prod-us-east-1", second);
    const layout = await resolveLayout(root);
    const rejected = await loadRepo(layout);
    const examples = rejected.diagnostics.map((item) => /such as "([^"]+)" here/.exec(item.message)?.[1]);
    expect(examples).toHaveLength(2);
    expect(examples.every((example) => example !== undefined)).toBe(true);

    const field = first.includes("provider: aws") ? "role_name_prefix" : "service_account_prefix";
    const withPrefix = (cloud: string, prefix: string) =>
      `${cloud.replace(/\n {4}(role_name_prefix|service_account_prefix):.*\n/, "\n")}    ${field}: "${prefix}"\n`;
    await writeCloud("prod-us", withPrefix(first, examples[1] as string));
    await writeCloud("prod-us-east-1", withPrefix(second, examples[0] as string));

    const accepted = await loadRepo(layout);

    expect(accepted.diagnostics.filter((item) => item.code === "duplicate-cloud-identity")).toEqual([]);
  });

  it("asks the file without a prefix to set one", async () => {
    await writeCloud("prod-us-central1", gcp("kf-"));
    await writeCloud("staging-us-central1", gcp());

    const result = await loadRepo(await resolveLayout(root));
    const [prod, staging] = result.diagnostics;

    expect(prod?.message).toContain("which sets no prefix, so only a prefix there can end this");
    expect(prod?.message).not.toContain("such as");
    expect(staging?.message).toMatch(/such as "[a-z0-9-]+" here/);
  });

  it("ends the collision when one file takes its suggestion", async () => {
    await writeCloud("prod-us", aws("prod-us-"));
    await writeCloud("prod-us-east-1", aws());
    const layout = await resolveLayout(root);
    const rejected = await loadRepo(layout);
    const example = /such as "([^"]+)" here/.exec(
      rejected.diagnostics.find((item) => item.file === "vars/prod-us-east-1.yaml")?.message ?? "",
    )?.[1];

    await writeCloud("prod-us-east-1", aws(example));
    const accepted = await loadRepo(layout);

    expect(example).toBeDefined();
    expect(accepted.diagnostics.filter((item) => item.code === "duplicate-cloud-identity")).toEqual([]);
  });

  it("accepts prefixes whose difference cannot start a profile name", async () => {
    await writeCloud("prod-us-east-1", aws("kf"));
    await writeCloud("dev-us-east-1", aws("kf.dev-"));

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
  });

  it("accepts distinct prefixes, accounts or projects", async () => {
    await writeCloud("prod-us-east-1", aws());
    await writeCloud("staging-us-east-1", aws());
    await writeCloud("dev-us-east-1", aws("kubeflow-", "210987654321"));
    await writeCloud("prod-us-central1", gcp("prod-"));
    await writeCloud("staging-us-central1", gcp("stg-"));

    const result = await loadRepo(await resolveLayout(root));

    expect(result.diagnostics.filter((diagnostic) => diagnostic.severity === "error")).toEqual([]);
    expect(result.deployments).toHaveLength(5);
  });
});

describe("loadRepo with preloaded deployments", () => {
  let root: string;
  const remote =
    "gitops:\n  repo_url: https://git.example.com/platform/ops.git\n  destination_server: https://k8s.example.com\n";

  /** Writes `vars/<environment>-<region>.yaml` syncing to `gitops`. */
  async function writeVars(environment: string, gitops: string): Promise<void> {
    const top = `environment: ${environment}\nregion: us-east-1\n`;
    await writeFile(path.join(root, "vars", `${environment}-us-east-1.yaml`), varsYaml({ top, gitops }));
  }

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-repo-preloaded-"));
    await mkdir(path.join(root, "vars"));
    // dev and test sync to one remote cluster, which the check across files rejects.
    await writeVars("dev", remote);
    await writeVars("test", remote);
    await writeVars("prod", "gitops:\n  repo_url: https://git.example.com/platform/ops.git\n");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("takes an unchanged file as loaded", async () => {
    const layout = await resolveLayout(root);
    const first = await loadRepo(layout, ["vars/prod-us-east-1.yaml"], { fast: true, positioned: true });
    const [deployment] = first.deployments;
    if (deployment === undefined) throw new Error("prod-us-east-1 did not load");
    const text = first.sources["vars/prod-us-east-1.yaml"] ?? "";
    const preloaded = new Map([["vars/prod-us-east-1.yaml", { text, deployment }]]);

    const again = await loadRepo(layout, ["vars/prod-us-east-1.yaml"], {
      fast: true,
      positioned: true,
      preloaded,
    });
    await writeFile(path.join(root, "vars/prod-us-east-1.yaml"), `# edited\n${text}`);
    const changed = await loadRepo(layout, ["vars/prod-us-east-1.yaml"], {
      fast: true,
      positioned: true,
      preloaded,
    });

    expect(again.deployments[0]).toBe(deployment);
    expect(again.varsSha256s).toEqual(first.varsSha256s);
    expect(changed.deployments[0]).not.toBe(deployment);
    expect(changed.deployments[0]).toEqual(deployment);
  });

  it("gives the errors of a full load", async () => {
    const layout = await resolveLayout(root);
    const files = ["vars/dev-us-east-1.yaml", "vars/prod-us-east-1.yaml", "vars/test-us-east-1.yaml"];
    const options = { fast: true, positioned: true } as const;
    // Each file loads alone without errors, as an edit opens the other deployments.
    const preloaded = new Map();
    for (const file of files) {
      const alone = await loadRepo(layout, [file], options);
      const [deployment] = alone.deployments;
      if (deployment === undefined) throw new Error(`${file} did not load alone`);
      preloaded.set(file, { text: alone.sources[file], deployment });
    }

    const full = await loadRepo(layout, files, options);
    const fromPreloaded = await loadRepo(layout, files, { ...options, preloaded });

    const errors = (diagnostics: Diagnostic[]) =>
      diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors(full.diagnostics).map((diagnostic) => diagnostic.code)).toContain("duplicate-destination");
    expect(errors(fromPreloaded.diagnostics)).toEqual(errors(full.diagnostics));
    expect(fromPreloaded.deployments).toEqual(full.deployments);
    expect(fromPreloaded.sources).toEqual(full.sources);
  });
});
