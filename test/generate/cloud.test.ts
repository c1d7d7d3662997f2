import { describe, expect, it } from "vitest";
import { generateDeployment } from "../../src/generate/index.js";
import { exampleDeployment, makeDeployment, makeNamespace, makeUser } from "../helpers/model.js";
import {
  ACK_ROLE,
  getObject,
  IAM_POLICY_MEMBER,
  IAM_SERVICE_ACCOUNT,
  NAMESPACE,
  objectsOfKind,
} from "./find.js";

const OIDC = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E";
const IDENTITY_NAMESPACE = "cake-cloud-identity";

function awsDeployment() {
  return makeDeployment({
    provider: "aws",
    aws: {
      roleNamePrefix: "cake-prod-use1-",
      defaultPolicyArns: ["arn:aws:iam::123456789012:policy/z-default", "arn:aws:iam::aws:policy/Shared"],
      permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/cake-boundary",
    },
    deployNamespaces: [
      makeNamespace("ml-prod", {
        awsPolicyArns: ["arn:aws:iam::aws:policy/Shared", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
      }),
    ],
    users: [makeUser({ email: "bob@example.com", username: "bjones" })],
  });
}

describe("ACK Role", () => {
  const files = generateDeployment(awsDeployment());

  it("is named after prefix and profile", () => {
    const role = getObject(files, {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "cake-prod-use1-ml-prod",
    });
    expect((role.spec as { name: string }).name).toBe("cake-prod-use1-ml-prod");
  });

  it("trusts the profile's default-editor", () => {
    const role = getObject(files, {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "cake-prod-use1-bjones",
    });
    const document = (role.spec as { assumeRolePolicyDocument: string }).assumeRolePolicyDocument;
    expect(JSON.parse(document)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${OIDC}` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${OIDC}:sub`]: "system:serviceaccount:bjones:default-editor",
              [`${OIDC}:aud`]: "sts.amazonaws.com",
            },
          },
        },
      ],
    });
  });

  it("writes the trust policy compact in fixed order", () => {
    const role = getObject(files, {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "cake-prod-use1-bjones",
    });
    const document = (role.spec as { assumeRolePolicyDocument: string }).assumeRolePolicyDocument;
    expect(document).not.toMatch(/\s/);
    expect(document.startsWith('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal"')).toBe(
      true,
    );
    expect(document.indexOf(":sub")).toBeLessThan(document.indexOf(":aud"));
  });

  it("merges policies deduplicated and sorted", () => {
    const role = getObject(files, {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "cake-prod-use1-ml-prod",
    });
    expect((role.spec as { policies: string[] }).policies).toEqual([
      "arn:aws:iam::123456789012:policy/z-default",
      "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
      "arn:aws:iam::aws:policy/Shared",
    ]);
  });

  it("sets the permissions boundary", () => {
    const role = getObject(files, {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "cake-prod-use1-bjones",
    });
    expect((role.spec as { permissionsBoundary: string }).permissionsBoundary).toBe(
      "arn:aws:iam::123456789012:policy/cake-boundary",
    );
  });

  it("omits empty policies and boundary", () => {
    const deployment = makeDeployment({
      provider: "aws",
      users: [makeUser({ email: "bob@example.com", username: "bjones" })],
    });
    const role = getObject(generateDeployment(deployment), {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "prod-us-east-1-bjones",
    });
    expect(Object.keys(role.spec as object).sort()).toEqual(["assumeRolePolicyDocument", "name"]);
  });

  it("retains the IAM role on deletion", () => {
    const role = getObject(files, {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "cake-prod-use1-bjones",
    });
    expect(role.metadata.annotations).toEqual({
      "services.k8s.aws/deletion-policy": "retain",
      "argocd.argoproj.io/sync-wave": "-2",
      "argocd.argoproj.io/sync-options": "Delete=false,SkipDryRunOnMissingResource=true",
    });
    expect(role.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cake" });
  });

  it("exists for every profile", () => {
    const names = objectsOfKind(files, ACK_ROLE.apiVersion, ACK_ROLE.kind).map((role) => role.metadata.name);
    expect(names).toEqual(["cake-prod-use1-bjones", "cake-prod-use1-ml-prod"]);
  });

  it("matches the Profile plugin ARN", () => {
    const deployment = exampleDeployment("aws");
    const generated = generateDeployment(deployment);
    const profile = getObject(generated, { apiVersion: "kubeflow.org/v1", kind: "Profile", name: "asmith" });
    const role = getObject(generated, {
      ...ACK_ROLE,
      namespace: IDENTITY_NAMESPACE,
      name: "cake-prod-use1-asmith",
    });
    const plugin = (profile.spec as { plugins: { spec: { awsIamRole: string } }[] }).plugins[0];
    expect(plugin?.spec.awsIamRole).toBe(
      `arn:aws:iam::123456789012:role/${(role.spec as { name: string }).name}`,
    );
  });
});

describe("AWS partitions", () => {
  const cases = [
    { region: "cn-north-1", partition: "aws-cn" },
    { region: "us-gov-west-1", partition: "aws-us-gov" },
    { region: "eu-central-1", partition: "aws" },
  ];
  for (const { region, partition } of cases) {
    it(`uses ${partition} ARNs in ${region}`, () => {
      const deployment = makeDeployment({
        region,
        provider: "aws",
        users: [makeUser({ email: "bob@example.com", username: "bjones" })],
      });
      const generated = generateDeployment(deployment);
      const profile = getObject(generated, {
        apiVersion: "kubeflow.org/v1",
        kind: "Profile",
        name: "bjones",
      });
      const role = getObject(generated, {
        ...ACK_ROLE,
        namespace: IDENTITY_NAMESPACE,
        name: `prod-${region}-bjones`,
      });

      const plugin = (profile.spec as { plugins: { spec: { awsIamRole: string } }[] }).plugins[0];
      expect(plugin?.spec.awsIamRole).toBe(`arn:${partition}:iam::123456789012:role/prod-${region}-bjones`);
      const trust = JSON.parse((role.spec as { assumeRolePolicyDocument: string }).assumeRolePolicyDocument);
      expect(trust.Statement[0].Principal.Federated).toMatch(
        new RegExp(`^arn:${partition}:iam::123456789012:oidc-provider/`),
      );
      // The token audience is the same in every partition.
      expect(Object.values(trust.Statement[0].Condition.StringEquals)).toContain("sts.amazonaws.com");
    });
  }
});

function gcpDeployment() {
  return makeDeployment({
    provider: "gcp",
    gcp: {
      projectId: "cake-prod-123456",
      serviceAccountPrefix: "kf-",
      defaultRoles: ["roles/logging.logWriter", "roles/storage.objectViewer"],
    },
    deployNamespaces: [
      makeNamespace("ml-prod", { gcpRoles: ["roles/storage.objectViewer", "roles/bigquery.user"] }),
    ],
    users: [makeUser({ email: "bob@example.com", username: "bjones" })],
  });
}

describe("GCP IAMServiceAccount", () => {
  const files = generateDeployment(gcpDeployment());

  it("is named after prefix and profile", () => {
    const account = getObject(files, {
      ...IAM_SERVICE_ACCOUNT,
      namespace: IDENTITY_NAMESPACE,
      name: "kf-ml-prod",
    });
    expect(account.spec).toEqual({ displayName: "Kubeflow profile ml-prod" });
  });

  it("names its project and is abandoned", () => {
    const account = getObject(files, {
      ...IAM_SERVICE_ACCOUNT,
      namespace: IDENTITY_NAMESPACE,
      name: "kf-bjones",
    });
    expect(account.metadata.annotations).toEqual({
      "cnrm.cloud.google.com/project-id": "cake-prod-123456",
      "cnrm.cloud.google.com/deletion-policy": "abandon",
      "argocd.argoproj.io/sync-wave": "-2",
      "argocd.argoproj.io/sync-options": "Delete=false,SkipDryRunOnMissingResource=true",
    });
  });
});

describe("GCP IAMPolicyMember", () => {
  const files = generateDeployment(gcpDeployment());
  const members = objectsOfKind(files, IAM_POLICY_MEMBER.apiVersion, IAM_POLICY_MEMBER.kind);

  it("binds workload identity to default-editor", () => {
    const member = getObject(files, {
      ...IAM_POLICY_MEMBER,
      namespace: IDENTITY_NAMESPACE,
      name: "kf-bjones-workload-identity",
    });
    expect(member.spec).toEqual({
      member: "serviceAccount:cake-prod-123456.svc.id.goog[bjones/default-editor]",
      role: "roles/iam.workloadIdentityUser",
      resourceRef: { kind: "IAMServiceAccount", name: "kf-bjones" },
    });
  });

  it("grants each distinct role on the project", () => {
    const forProd = members.filter((member) =>
      (member.spec as { member: string }).member.includes("kf-ml-prod@"),
    );
    const roles = forProd.map((member) => (member.spec as { role: string }).role).sort();
    expect(roles).toEqual(["roles/bigquery.user", "roles/logging.logWriter", "roles/storage.objectViewer"]);
    for (const member of forProd) {
      expect((member.spec as { resourceRef: unknown }).resourceRef).toEqual({
        kind: "Project",
        external: "projects/cake-prod-123456",
      });
      expect((member.spec as { member: string }).member).toBe(
        "serviceAccount:kf-ml-prod@cake-prod-123456.iam.gserviceaccount.com",
      );
    }
  });

  it("has unique names within 63 characters", () => {
    const names = members.map((member) => member.metadata.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(63);
  });

  it("keeps the default deletion policy", () => {
    for (const member of members) {
      expect(member.metadata.annotations).not.toHaveProperty("cnrm.cloud.google.com/deletion-policy");
      expect(member.metadata.annotations?.["argocd.argoproj.io/sync-wave"]).toBe("-2");
    }
  });

  it("counts two defaults plus workload identity per user", () => {
    const forBob = members.filter((member) => member.metadata.name.startsWith("kf-bjones-"));
    expect(forBob).toHaveLength(3);
  });
});

describe("identity Namespace", () => {
  it("comes first and is never pruned", () => {
    const namespace = getObject(generateDeployment(awsDeployment()), {
      ...NAMESPACE,
      name: IDENTITY_NAMESPACE,
    });
    expect(namespace.metadata.annotations).toEqual({
      "argocd.argoproj.io/sync-wave": "-3",
      "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
    });
    expect(namespace.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cake" });
  });

  it("names the GCP project", () => {
    const namespace = getObject(generateDeployment(gcpDeployment()), {
      ...NAMESPACE,
      name: IDENTITY_NAMESPACE,
    });
    expect(namespace.metadata.annotations?.["cnrm.cloud.google.com/project-id"]).toBe("cake-prod-123456");
  });

  it("follows the configured name", () => {
    const deployment = makeDeployment({ provider: "aws", identityNamespace: "iam-objects" });
    expect(getObject(generateDeployment(deployment), { ...NAMESPACE, name: "iam-objects" })).toBeDefined();
  });
});

describe("provider none", () => {
  const files = generateDeployment(exampleDeployment("none"));

  it("generates no cloud objects", () => {
    const cloudGroups = files
      .flatMap((file) => file.objects)
      .filter((object) => /services\.k8s\.aws|cnrm\.cloud\.google\.com/.test(String(object.apiVersion)));
    expect(cloudGroups).toEqual([]);
  });

  it("generates no identity Namespace", () => {
    const names = objectsOfKind(files, "v1", "Namespace").map((namespace) => namespace.metadata.name);
    expect(names).not.toContain(IDENTITY_NAMESPACE);
  });
});
