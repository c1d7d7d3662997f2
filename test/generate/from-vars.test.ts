import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadVarsFile } from "../../src/config/load.js";
import { generateDeployment } from "../../src/generate/index.js";
import type { Deployment } from "../../src/model/types.js";
import {
  ACK_ROLE,
  AUTHORIZATION_POLICY,
  allObjects,
  CLUSTER_ROLE_BINDING,
  findObject,
  getObject,
  IAM_POLICY_MEMBER,
  LIMIT_RANGE,
  PROFILE,
  ROLE_BINDING,
} from "./find.js";
import { schemaErrors } from "./schemas.js";

/** The example vars file of the vars format, as a platform admin would write it. */
const VARS_FORMAT_EXAMPLE = `environment: prod
region: us-east-1

kubeflow:
  profile_owner: kubeflow-platform@example.com

identity:
  lowercase_emails: false

cloud:
  provider: aws
  aws:
    account_id: "123456789012"
    oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E
    role_name_prefix: cake-prod-use1-
    permissions_boundary_arn: arn:aws:iam::123456789012:policy/cake-boundary
    default_policy_arns: []

gitops:
  repo_url: https://git.example.com/platform/ops.git

users:
  deploy_namespaces:
    - ml-staging
    - name: ml-prod
      resource_quota:
        requests.cpu: "64"
        requests.memory: 256Gi
        requests.nvidia.com/gpu: "8"
      aws:
        policy_arns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
  users:
    - email: Alice.Smith@example.com
      username: asmith
      roles: [cake-admin]
      allowed_namespaces: [ml-staging, ml-prod]
    - email: bob@example.com
      username: bjones
      roles: [cake-user]
      allowed_namespaces:
        - ml-staging
        - name: ml-prod
          access: view
    - email: carol@example.com
      username: cwu
      roles: [cake-user]
      disabled: true
`;

let tempDir = "";

async function loadExample(text: string, name: string): Promise<Deployment> {
  const file = path.join(tempDir, `${name}.yaml`);
  await writeFile(file, text, "utf8");
  const result = await loadVarsFile(file, { file: `vars/${name}.yaml`, outputPath: `deployments/${name}` });
  const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
  expect(errors).toEqual([]);
  if (result.deployment === undefined) throw new Error(`vars/${name}.yaml gave no deployment`);
  return result.deployment;
}

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), "cake-generate-"));
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

describe("vars format example", () => {
  it("generates the documented objects", async () => {
    const files = generateDeployment(await loadExample(VARS_FORMAT_EXAMPLE, "prod-us-east-1"));
    const edit = { namespace: "ml-staging", name: "user-alice-smith-example-com-clusterrole-edit" };

    expect(getObject(files, { ...ROLE_BINDING, ...edit }).metadata.annotations?.user).toBe(
      "Alice.Smith@example.com",
    );
    expect(getObject(files, { ...AUTHORIZATION_POLICY, ...edit })).toBeDefined();
    expect(getObject(files, { ...PROFILE, name: "cwu" })).toBeDefined();
    expect(
      getObject(files, { ...LIMIT_RANGE, namespace: "ml-prod", name: "cake-default-limits" }),
    ).toBeDefined();
    expect(
      getObject(files, { ...ACK_ROLE, namespace: "cake-cloud-identity", name: "cake-prod-use1-ml-prod" })
        .spec,
    ).toMatchObject({
      policies: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
      permissionsBoundary: "arn:aws:iam::123456789012:policy/cake-boundary",
    });
    expect(getObject(files, { ...CLUSTER_ROLE_BINDING, name: "cake-admin" }).subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "Alice.Smith@example.com" },
    ]);
  });

  it("gives the disabled user nothing", async () => {
    const files = generateDeployment(await loadExample(VARS_FORMAT_EXAMPLE, "prod-us-east-1"));
    const forCarol = allObjects(files).filter(
      (object) => object.metadata.annotations?.user === "carol@example.com",
    );
    expect(forCarol).toEqual([]);
  });

  it("matches upstream schemas", async () => {
    const files = generateDeployment(await loadExample(VARS_FORMAT_EXAMPLE, "prod-us-east-1"));
    for (const object of allObjects(files)) {
      expect(schemaErrors(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    }
  });

  it("ignores the order of entries", async () => {
    const reordered = VARS_FORMAT_EXAMPLE.replace(
      "    - ml-staging\n    - name: ml-prod",
      "    - name: ml-prod",
    ).replace(
      "        policy_arns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n",
      (line) => `${line}    - ml-staging\n`,
    );
    expect(reordered).not.toBe(VARS_FORMAT_EXAMPLE);

    const original = generateDeployment(await loadExample(VARS_FORMAT_EXAMPLE, "prod-us-east-1"));
    const shuffled = generateDeployment(await loadExample(reordered, "prod-us-east-1"));
    expect(shuffled).toEqual(original);
  });
});

describe("example ops repo", () => {
  const varsDir = path.resolve(import.meta.dirname, "../../examples/ops/vars");

  it("generates valid objects for every vars file", async () => {
    const names = (await readdir(varsDir)).filter((file) => file.endsWith(".yaml"));
    expect(names.length).toBeGreaterThan(0);

    for (const fileName of names) {
      const name = fileName.replace(/\.yaml$/, "");
      const result = await loadVarsFile(path.join(varsDir, fileName), {
        file: `vars/${fileName}`,
        outputPath: `deployments/${name}`,
      });
      expect(
        result.diagnostics.filter((diagnostic) => diagnostic.severity === "error"),
        fileName,
      ).toEqual([]);
      if (result.deployment === undefined) throw new Error(`${fileName} gave no deployment`);

      for (const object of allObjects(generateDeployment(result.deployment))) {
        expect(schemaErrors(object), `${fileName}: ${object.kind} ${object.metadata.name}`).toEqual([]);
      }
    }
  });

  it("prefixes the IAP user id", async () => {
    const fileName = "staging-europe-west1.yaml";
    const result = await loadVarsFile(path.join(varsDir, fileName), {
      file: `vars/${fileName}`,
      outputPath: "deployments/staging-europe-west1",
    });
    if (result.deployment === undefined) throw new Error(`${fileName} gave no deployment`);
    const files = generateDeployment(result.deployment);
    const policy = getObject(files, {
      ...AUTHORIZATION_POLICY,
      namespace: "ml-sandbox",
      name: "user-alice-smith-example-com-clusterrole-edit",
    });
    const rule = (policy.spec as { rules: { when: unknown }[] }).rules[0];
    expect(rule?.when).toEqual([
      {
        key: "request.headers[x-goog-authenticated-user-email]",
        values: ["accounts.google.com:alice.smith@example.com"],
      },
    ]);
    expect(
      findObject(files, {
        ...IAM_POLICY_MEMBER,
        namespace: "cake-cloud-identity",
        name: "kf-asmith-workload-identity",
      }),
    ).toBeDefined();
  });
});
