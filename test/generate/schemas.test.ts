import { readFileSync } from "node:fs";
import { Application, AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1beta1";
import { Ajv } from "ajv";
import { ClusterRole, ClusterRoleBinding, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { LimitRange, Namespace } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { type GeneratedObject, generateDeployment } from "../../src/generate/index.js";
import { exampleDeployment, makeDeployment, makeNamespace, makeUser } from "../helpers/model.js";
import { allObjects } from "./find.js";

/** Upstream schemas bundled with `kubernetes-models`, keyed by "apiVersion kind". */
const TYPED_MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1 Namespace": Namespace,
  "v1 LimitRange": LimitRange,
  "rbac.authorization.k8s.io/v1 RoleBinding": RoleBinding,
  "rbac.authorization.k8s.io/v1 ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1 ClusterRoleBinding": ClusterRoleBinding,
  "security.istio.io/v1beta1 AuthorizationPolicy": AuthorizationPolicy,
  "argoproj.io/v1alpha1 Application": Application,
  "argoproj.io/v1alpha1 AppProject": AppProject,
};

function readSchema(name: string): object {
  return JSON.parse(readFileSync(new URL(`../schemas/${name}`, import.meta.url), "utf8")) as object;
}

const ajv = new Ajv({ allErrors: true, strictTypes: false });
ajv.addSchema(readSchema("metadata.schema.json"));
const CRD_VALIDATORS = {
  "kubeflow.org/v1 Profile": ajv.compile(readSchema("profile.schema.json")),
  "iam.services.k8s.aws/v1alpha1 Role": ajv.compile(readSchema("ack-role.schema.json")),
  "iam.cnrm.cloud.google.com/v1beta1 IAMServiceAccount": ajv.compile(
    readSchema("iam-service-account.schema.json"),
  ),
  "iam.cnrm.cloud.google.com/v1beta1 IAMPolicyMember": ajv.compile(
    readSchema("iam-policy-member.schema.json"),
  ),
};

/** Returns the schema errors of `object`, or an empty list when it is valid. */
function schemaErrors(object: GeneratedObject): string[] {
  const key = `${object.apiVersion} ${object.kind}`;
  const Model = TYPED_MODELS[key];
  if (Model !== undefined) {
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return [String(error)];
    }
  }
  const validate = CRD_VALIDATORS[key as keyof typeof CRD_VALIDATORS];
  if (validate === undefined) return [`no schema for ${key}`];
  if (validate(object)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

function richDeployment(provider: "aws" | "gcp" | "none") {
  const deployment = exampleDeployment(provider);
  deployment.deployNamespaces.push(
    makeNamespace("team-compute", {
      resourceQuota: { cpu: "8", memory: "16Gi", pods: "50" },
      gcpRoles: ["projects/cake-prod-123456/roles/customReader"],
    }),
  );
  deployment.users.push(
    makeUser({
      email: "o'neil+ml@sub.example.network",
      username: "oneil",
      allowedNamespaces: ["team-compute"],
    }),
  );
  return deployment;
}

describe("generated objects", () => {
  it.each(["aws", "gcp", "none"] as const)("match upstream schemas on %s", (provider) => {
    const objects = allObjects(generateDeployment(richDeployment(provider)));
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) {
      expect(schemaErrors(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    }
  });

  it("match schemas without users", () => {
    for (const object of allObjects(generateDeployment(makeDeployment({ provider: "gcp" })))) {
      expect(schemaErrors(object), `${object.kind} ${object.metadata.name}`).toEqual([]);
    }
  });

  it("carry the managed-by label", () => {
    for (const provider of ["aws", "gcp", "none"] as const) {
      for (const object of allObjects(generateDeployment(richDeployment(provider)))) {
        expect(
          object.metadata.labels?.["app.kubernetes.io/managed-by"],
          `${object.kind} ${object.metadata.name}`,
        ).toBe("cake");
      }
    }
  });

  it("hold no empty lists or maps", () => {
    const empties: string[] = [];
    const visit = (value: unknown, path: string): void => {
      if (Array.isArray(value)) {
        if (value.length === 0) empties.push(path);
        for (const [index, item] of value.entries()) visit(item, `${path}[${index}]`);
      } else if (typeof value === "object" && value !== null) {
        if (Object.keys(value).length === 0) empties.push(path);
        for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
      } else if (value === undefined || value === null) {
        empties.push(path);
      }
    };
    for (const provider of ["aws", "gcp", "none"] as const) {
      for (const file of generateDeployment(richDeployment(provider))) visit(file.objects, file.path);
      for (const file of generateDeployment(makeDeployment({ provider }))) visit(file.objects, file.path);
    }
    expect(empties).toEqual([]);
  });
});

describe("CRD schemas", () => {
  const files = generateDeployment(exampleDeployment("gcp"));
  const profile = allObjects(files).find((object) => object.kind === "Profile");
  const member = allObjects(files).find((object) => object.kind === "IAMPolicyMember");
  if (profile === undefined || member === undefined)
    throw new Error("the example has no Profile or IAMPolicyMember");

  it("reject a Profile owner without kind", () => {
    const spec = profile.spec as { owner: Record<string, unknown> };
    const broken = { ...profile, spec: { ...spec, owner: { name: "someone@example.com" } } };
    expect(schemaErrors(broken)).not.toEqual([]);
  });

  it("reject an unknown Profile field", () => {
    const broken = { ...profile, spec: { ...(profile.spec as object), owners: [] } };
    expect(schemaErrors(broken)).not.toEqual([]);
  });

  it("reject a namespaced Profile", () => {
    const broken = { ...profile, metadata: { ...profile.metadata, namespace: "kubeflow" } };
    expect(schemaErrors(broken)).not.toEqual([]);
  });

  it("reject a malformed IAM role", () => {
    const broken = { ...member, spec: { ...(member.spec as object), role: "storage.objectViewer" } };
    expect(schemaErrors(broken)).not.toEqual([]);
  });

  it("reject an ACK Role name over 64", () => {
    const deployment = exampleDeployment("aws");
    const role = allObjects(generateDeployment(deployment)).find((object) => object.kind === "Role");
    if (role === undefined) throw new Error("the aws example has no Role");
    const broken = { ...role, spec: { ...(role.spec as object), name: "r".repeat(65) } };
    expect(schemaErrors(broken)).not.toEqual([]);
  });
});

describe("typed model schemas", () => {
  const files = generateDeployment(exampleDeployment("none"));
  const roleBinding = allObjects(files).find((object) => object.kind === "RoleBinding");
  if (roleBinding === undefined) throw new Error("the example has no RoleBinding");

  it("reject a RoleBinding without roleRef", () => {
    const { roleRef: _roleRef, ...broken } = roleBinding;
    expect(schemaErrors(broken as GeneratedObject)).not.toEqual([]);
  });

  it("reject a subject without name", () => {
    const broken = { ...roleBinding, subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io" }] };
    expect(schemaErrors(broken)).not.toEqual([]);
  });
});
