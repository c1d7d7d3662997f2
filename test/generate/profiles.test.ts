import { describe, expect, it } from "vitest";
import { generateDeployment } from "../../src/generate/index.js";
import { exampleDeployment, makeDeployment, makeNamespace, makeUser } from "../helpers/model.js";
import { getObject, NAMESPACE, objectsOfKind, PROFILE } from "./find.js";

const OWNER = "kubeflow-platform@example.com";

describe("profile Namespace", () => {
  const files = generateDeployment(exampleDeployment("none"));

  it("exists for every user and deploy namespace", () => {
    const names = objectsOfKind(files, "v1", "Namespace").map((object) => object.metadata.name);
    expect(names).toEqual(["asmith", "bjones", "cwu", "ml-prod", "ml-staging"]);
  });

  it("carries the owner annotation", () => {
    const namespace = getObject(files, { ...NAMESPACE, name: "ml-prod" });
    expect(namespace.metadata.annotations?.owner).toBe(OWNER);
  });

  it("carries the namespace labels and managed-by", () => {
    const namespace = getObject(files, { ...NAMESPACE, name: "bjones" });
    expect(namespace.metadata.labels).toEqual({
      "app.kubernetes.io/part-of": "kubeflow-profile",
      "istio-injection": "enabled",
      "katib.kubeflow.org/metrics-collector-injection": "enabled",
      "pipelines.kubeflow.org/enabled": "true",
      "serving.kubeflow.org/inferenceservice": "enabled",
      "app.kubernetes.io/managed-by": "cake",
    });
  });

  it("keeps managed-by over a vars label", () => {
    const deployment = makeDeployment({
      users: [makeUser({ email: "bob@example.com", username: "bob" })],
      kubeflow: { namespaceLabels: { "app.kubernetes.io/managed-by": "someone-else", team: "ml" } },
    });
    const namespace = getObject(generateDeployment(deployment), { ...NAMESPACE, name: "bob" });
    expect(namespace.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cake", team: "ml" });
  });

  it("comes before the Profile and is never pruned", () => {
    const namespace = getObject(files, { ...NAMESPACE, name: "asmith" });
    expect(namespace.metadata.annotations?.["argocd.argoproj.io/sync-wave"]).toBe("-2");
    expect(namespace.metadata.annotations?.["argocd.argoproj.io/sync-options"]).toBe(
      "Prune=false,Delete=false",
    );
  });

  it("has nothing but metadata", () => {
    const namespace = getObject(files, { ...NAMESPACE, name: "asmith" });
    expect(Object.keys(namespace).sort()).toEqual(["apiVersion", "kind", "metadata"]);
  });
});

describe("Profile", () => {
  it("is owned by the platform User", () => {
    const files = generateDeployment(exampleDeployment("none"));
    for (const profile of objectsOfKind(files, "kubeflow.org/v1", "Profile")) {
      const spec = profile.spec as Record<string, unknown>;
      expect(spec.owner).toEqual({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: OWNER });
    }
  });

  it("copies a mixed-case owner verbatim", () => {
    const deployment = makeDeployment({
      deployNamespaces: [makeNamespace("team-a")],
      kubeflow: { profileOwner: "Kubeflow-Platform@Example.com" },
    });
    const files = generateDeployment(deployment);
    const profile = getObject(files, { ...PROFILE, name: "team-a" });
    expect((profile.spec as { owner: { name: string } }).owner.name).toBe("Kubeflow-Platform@Example.com");
    expect(getObject(files, { ...NAMESPACE, name: "team-a" }).metadata.annotations?.owner).toBe(
      "Kubeflow-Platform@Example.com",
    );
  });

  it("has only the owner without quota or cloud", () => {
    const files = generateDeployment(exampleDeployment("none"));
    const profile = getObject(files, { ...PROFILE, name: "ml-staging" });
    expect(profile.spec).toEqual({
      owner: { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: OWNER },
    });
  });

  it("sets the quota of a deploy namespace", () => {
    const files = generateDeployment(exampleDeployment("none"));
    const profile = getObject(files, { ...PROFILE, name: "ml-prod" });
    expect((profile.spec as Record<string, unknown>).resourceQuotaSpec).toEqual({
      hard: { "requests.cpu": "64", "requests.memory": "256Gi", "requests.nvidia.com/gpu": "8" },
    });
  });

  it("comes after its Namespace and is never pruned", () => {
    const files = generateDeployment(exampleDeployment("none"));
    const profile = getObject(files, { ...PROFILE, name: "asmith" });
    expect(profile.metadata.annotations).toEqual({
      "argocd.argoproj.io/sync-wave": "-1",
      "argocd.argoproj.io/sync-options": "Prune=false,Delete=false,SkipDryRunOnMissingResource=true",
    });
    expect(profile.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cake" });
  });

  it("is cluster-scoped", () => {
    const files = generateDeployment(exampleDeployment("none"));
    expect(getObject(files, { ...PROFILE, name: "asmith" }).metadata.namespace).toBeUndefined();
  });

  it("gets the IRSA plugin on aws", () => {
    const files = generateDeployment(exampleDeployment("aws"));
    const profile = getObject(files, { ...PROFILE, name: "ml-prod" });
    expect((profile.spec as Record<string, unknown>).plugins).toEqual([
      {
        kind: "AwsIamForServiceAccount",
        spec: { awsIamRole: "arn:aws:iam::123456789012:role/cake-prod-use1-ml-prod", annotateOnly: true },
      },
    ]);
  });

  it("gets the Workload Identity plugin on gcp", () => {
    const deployment = makeDeployment({
      provider: "gcp",
      gcp: { projectId: "cake-prod-123456", serviceAccountPrefix: "kf-" },
      users: [makeUser({ email: "bob@example.com", username: "bjones" })],
    });
    const profile = getObject(generateDeployment(deployment), { ...PROFILE, name: "bjones" });
    expect((profile.spec as Record<string, unknown>).plugins).toEqual([
      {
        kind: "WorkloadIdentity",
        spec: { gcpServiceAccount: "kf-bjones@cake-prod-123456.iam.gserviceaccount.com" },
      },
    ]);
  });

  it("has no plugins key without a cloud", () => {
    const files = generateDeployment(exampleDeployment("none"));
    const profile = getObject(files, { ...PROFILE, name: "ml-prod" });
    expect(profile.spec).not.toHaveProperty("plugins");
  });

  it("stays for a disabled user", () => {
    const files = generateDeployment(exampleDeployment("aws"));
    expect(getObject(files, { ...PROFILE, name: "cwu" })).toBeDefined();
    expect(getObject(files, { ...NAMESPACE, name: "cwu" })).toBeDefined();
  });
});
