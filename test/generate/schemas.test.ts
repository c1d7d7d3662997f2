import { describe, expect, it } from "vitest";
import { type GeneratedObject, generateDeployment } from "../../src/generate/index.js";
import { exampleDeployment, makeDeployment, makeNamespace, makeUser } from "../helpers/model.js";
import { allObjects } from "./find.js";
import { schemaErrors } from "./schemas.js";

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
