import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { expectValid, lineDiff, readFixture } from "../edit/helpers.js";
import { cake, makeRepo, readVars, snapshot } from "../edit/repo.js";

const original = readFixture("dev-eu-west-1.yaml");
const D = ["--deployment", "dev-eu-west-1"];

let repo: string;
beforeEach(async () => {
  repo = await makeRepo();
});

async function expectFailure(expectedCode: number, ...argv: string[]) {
  const before = await snapshot(repo);
  const result = await cake(repo, ...argv);
  expect(result.code).toBe(expectedCode);
  expect(await snapshot(repo)).toEqual(before);
  return result;
}

function varsPath(): string {
  return path.join(repo, "vars", "dev-eu-west-1.yaml");
}

async function outputProfiles(): Promise<string[]> {
  const manifest = path.join(repo, "deployments", "dev-eu-west-1", ".cake-manifest.json");
  return JSON.parse(await readFile(manifest, "utf8")).profiles;
}

describe("cake namespace add", () => {
  it("adds a namespace with quotas and reconciles", async () => {
    const result = await cake(
      repo,
      "namespace",
      "add",
      ...D,
      "fraud",
      "--quota",
      "requests.cpu=16",
      "--quota",
      "limits.memory=64Gi",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lineDiff(original, await readVars(repo)).added).toEqual([
      "25:     - name: fraud",
      "26:       resource_quota:",
      '27:         requests.cpu: "16"',
      "28:         limits.memory: 64Gi",
    ]);
    expect(await outputProfiles()).toContain("fraud");
  });

  it("invalid quantity is a usage error", async () => {
    const result = await expectFailure(
      2,
      "namespace",
      "add",
      ...D,
      "fraud",
      "--quota",
      "requests.memory=20gi",
    );

    expect(result.stderr).toBe(
      'cake: --quota "requests.memory=20gi": "20gi" is not a Kubernetes quantity; did you mean 20Gi? Run `cake namespace add --help` for usage.\n',
    );
  });

  it("invalid quota key is a usage error", async () => {
    const result = await expectFailure(2, "namespace", "add", ...D, "fraud", "--quota", "nvidia.com/gpu=2");

    expect(result.stderr).toBe(
      'cake: --quota "nvidia.com/gpu=2": "nvidia.com/gpu" is not a ResourceQuota resource name; ' +
        'use "requests.nvidia.com/gpu" for an extended resource. Run `cake namespace add --help` for usage.\n',
    );
  });

  it("malformed quota writes nothing", async () => {
    const result = await expectFailure(2, "namespace", "add", ...D, "fraud", "--quota", "requests.cpu");

    expect(result.stderr).toBe(
      'cake: --quota "requests.cpu" is invalid; write it as KEY=VALUE, such as requests.cpu=16. Run `cake namespace add --help` for usage.\n',
    );
  });

  it("quota key given twice is a usage error", async () => {
    const result = await expectFailure(
      2,
      "namespace",
      "add",
      ...D,
      "fraud",
      "--quota",
      "requests.cpu=1",
      "--quota",
      "requests.cpu=2",
    );

    expect(result.stderr).toBe(
      'cake: --quota key "requests.cpu" is given twice; give each key once. Run `cake namespace add --help` for usage.\n',
    );
  });

  it("invalid name is a usage error", async () => {
    const result = await expectFailure(2, "namespace", "add", ...D, "Fraud_Team");

    expect(result.stderr).toBe(
      'cake: the namespace name "Fraud_Team" is not a DNS-1123 label (lower-case letters, digits and ' +
        "'-', starting and ending with a letter or digit); it names a deploy namespace; use \"fraud-team\". Run `cake namespace add --help` for usage.\n",
    );
  });

  it("empty name is a usage error", async () => {
    const result = await expectFailure(2, "namespace", "add", ...D, "");

    expect(result.stderr).toMatch(/^cake: the namespace name "" is empty; /);
  });

  it("system namespace is a usage error", async () => {
    const result = await expectFailure(2, "namespace", "add", ...D, "kube-system");

    expect(result.stderr).toBe(
      'cake: the namespace name "kube-system" is reserved: names starting with "kube-" belong to system ' +
        "components (reserved: default, kube-*, kubeflow, kubeflow-*, istio-*, knative-*, cert-manager, auth, " +
        "oauth2-proxy, argocd); choose another name. Run `cake namespace add --help` for usage.\n",
    );
  });

  it("identity namespace is reported in the vars file", async () => {
    // cloud.identity_namespace defaults to cake-cloud-identity; the vars file can set another.
    const aws =
      "cloud:\n  provider: aws\n  aws:\n" +
      '    account_id: "123456789012"\n    oidc_provider: oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE\n';
    await writeFile(varsPath(), original.replace("cloud:\n  provider: none\n", aws));
    const result = await expectFailure(1, "namespace", "add", ...D, "cake-cloud-identity");

    expect(result.stderr).toContain("[reserved-namespace]");
    expect(result.stderr).toContain(
      "it is cloud.identity_namespace, the namespace of the cloud identity objects;",
    );
  });

  it("identity namespace is free without a cloud", async () => {
    const result = await cake(repo, "namespace", "add", ...D, "--no-reconcile", "cake-cloud-identity");

    expect(result.code).toBe(0);
    expect(await readVars(repo)).toContain("- cake-cloud-identity");
  });

  it("username asks for another namespace name", async () => {
    const result = await expectFailure(1, "namespace", "add", ...D, "asmith");

    expect(result.stderr).toBe(
      'cake: vars/dev-eu-west-1.yaml: namespace "asmith" is the private profile of user Alice.Smith@example.com ' +
        "(username asmith); a deploy namespace needs a name that no user has, so choose another namespace name.\n",
    );
  });

  it("existing name writes nothing", async () => {
    await expectFailure(1, "namespace", "add", ...D, "team-a");
  });

  it("missing name is a usage error", async () => {
    await expectFailure(2, "namespace", "add", ...D);
  });
});

describe("cake namespace remove", () => {
  it("refuses while users have grants", async () => {
    const result = await expectFailure(1, "namespace", "remove", ...D, "team-a");
    expect(result.stderr).toMatch(/--revoke-grants/);
  });

  it("names both flags a granted profile needs", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);

    const result = await expectFailure(1, "namespace", "remove", ...D, "team-a");

    expect(result.stderr).toBe(
      'cake: vars/dev-eu-west-1.yaml: namespace "team-a" is still granted to bob@example.com, carol@example.com, ' +
        'and removing it would delete its Profile together with namespace "team-a" and all its data. ' +
        "To revoke those grants and delete it, rerun with --revoke-grants --delete-profile.\n",
    );
  });

  it("refuses to delete a reconciled profile", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const result = await expectFailure(1, "namespace", "remove", ...D, "team-a", "--revoke-grants");
    expect(result.stderr).toMatch(/--delete-profile/);
  });

  it("revokes grants and deletes with both flags", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const result = await cake(
      repo,
      "namespace",
      "remove",
      ...D,
      "team-a",
      "--revoke-grants",
      "--delete-profile",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const deployment = expectValid(await readVars(repo));
    expect(deployment.deployNamespaces.map((namespace) => namespace.name)).toEqual(["ml-prod", "ml-staging"]);
    expect(await outputProfiles()).not.toContain("team-a");
  });

  it("names revoked users in file order", async () => {
    // divanov's entry comes before bjones's and cwu's, but sorts after them by username.
    const grant = ["--email", "dmitri.ivanov@example.com", "--namespace", "team-a", "--no-reconcile"];
    expect((await cake(repo, "user", "grant", ...D, ...grant)).code).toBe(0);

    const result = await cake(
      repo,
      "namespace",
      "remove",
      ...D,
      "team-a",
      "--revoke-grants",
      "--no-reconcile",
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "removed deploy namespace team-a and revoked the grants of dmitri.ivanov@example.com, bob@example.com, carol@example.com",
    );
  });

  it("unknown namespace writes nothing", async () => {
    const result = await expectFailure(1, "namespace", "remove", ...D, "ml-dev");

    expect(result.stderr).toContain(
      "; there is nothing to remove; check the name with `cake namespace list`.",
    );
    expect(result.stderr).not.toContain("cake namespace add");
  });

  it("names at most ten declared namespaces", async () => {
    const many = Array.from({ length: 15 }, (_, index) => `team-x${index}`);
    for (const name of many)
      expect((await cake(repo, "namespace", "add", ...D, name, "--no-reconcile")).code).toBe(0);

    const result = await expectFailure(
      1,
      "user",
      "grant",
      ...D,
      "--email",
      "bob@example.com",
      "--namespace",
      "nope",
    );

    expect(result.stderr).toContain("and 8 more");
    expect(result.stderr).not.toContain("team-x14");
  });
});

describe("cake namespace list", () => {
  it("json lists quotas and contributors", async () => {
    const result = await cake(repo, "namespace", "list", ...D, "--format", "json");
    expect(result.code).toBe(0);
    const { namespaces } = JSON.parse(result.stdout);
    expect(namespaces.map((namespace: { name: string }) => namespace.name)).toEqual([
      "ml-prod",
      "ml-staging",
      "team-a",
    ]);
    expect(namespaces[0]).toEqual({
      deployment: "dev-eu-west-1",
      name: "ml-prod",
      resourceQuota: { "requests.cpu": "64", "requests.memory": "256Gi" },
      contributors: [
        { email: "Alice.Smith@example.com", username: "asmith", access: "edit", disabled: false },
        { email: "dmitri.ivanov@example.com", username: "divanov", access: "view", disabled: false },
      ],
    });
  });

  it("table has a row per contributor", async () => {
    const result = await cake(repo, "namespace", "list", ...D);
    expect(result.code).toBe(0);
    expect(result.stdout.trimEnd().split("\n")).toHaveLength(1 + 7);
  });

  it("unknown deployment is a usage error", async () => {
    await expectFailure(2, "namespace", "list", "--deployment", "prod-x");
  });
});
