import { describe, expect, it } from "vitest";
import { generateDeployment } from "../../src/generate/index.js";
import { exampleDeployment, makeDeployment } from "../helpers/model.js";
import { APP_PROJECT, APPLICATION, getObject } from "./find.js";

describe("Argo CD Application", () => {
  const files = generateDeployment(exampleDeployment("aws"));
  const application = getObject(files, { ...APPLICATION, namespace: "argocd", name: "user-namespace" });

  it("syncs the deployment folder", () => {
    expect(application.spec).toEqual({
      project: "user-namespace",
      source: {
        repoURL: "https://git.example.com/platform/ops.git",
        targetRevision: "main",
        path: "deployments/prod-us-east-1",
      },
      destination: { server: "https://kubernetes.default.svc" },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
      },
    });
  });

  it("prefixes source path with repo path", () => {
    const inSubfolder = generateDeployment({ ...exampleDeployment("aws"), repoPath: "platform/ops" });
    const found = getObject(inSubfolder, { ...APPLICATION, namespace: "argocd", name: "user-namespace" });

    expect((found.spec as { source: { path: string } }).source.path).toBe(
      "platform/ops/deployments/prod-us-east-1",
    );
  });

  it("has no finalizers", () => {
    expect(application.metadata).not.toHaveProperty("finalizers");
    expect(application.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cake" });
  });

  it("leaves out default fields", () => {
    const automated = (application.spec as { syncPolicy: { automated: object } }).syncPolicy.automated;
    expect(automated).not.toHaveProperty("allowEmpty");
    expect(application.spec).not.toHaveProperty("ignoreDifferences");
    expect((application.spec as { syncPolicy: object }).syncPolicy).not.toHaveProperty("syncOptions");
  });

  it("follows the gitops settings", () => {
    const deployment = makeDeployment();
    deployment.gitops = {
      repoUrl: "ssh://git@git.example.com/ops.git",
      targetRevision: "release",
      argocdNamespace: "gitops",
      destinationServer: "https://10.0.0.1:6443",
      appName: "kubeflow-access",
    };
    const generated = generateDeployment(deployment);
    const app = getObject(generated, { ...APPLICATION, namespace: "gitops", name: "kubeflow-access" });
    const project = getObject(generated, { ...APP_PROJECT, namespace: "gitops", name: "kubeflow-access" });

    expect((app.spec as { project: string }).project).toBe("kubeflow-access");
    expect((app.spec as { source: unknown }).source).toEqual({
      repoURL: "ssh://git@git.example.com/ops.git",
      targetRevision: "release",
      path: "deployments/prod-us-east-1",
    });
    expect((app.spec as { destination: unknown }).destination).toEqual({ server: "https://10.0.0.1:6443" });
    expect((project.spec as { sourceRepos: string[] }).sourceRepos).toEqual([
      "ssh://git@git.example.com/ops.git",
    ]);
  });
});

describe("Argo CD AppProject", () => {
  const projectSpec = (deployment: Parameters<typeof generateDeployment>[0]) =>
    getObject(generateDeployment(deployment), { ...APP_PROJECT, namespace: "argocd", name: "user-namespace" })
      .spec as Record<string, unknown>;

  it("allows every kind cake generates", () => {
    expect(projectSpec(exampleDeployment("aws"))).toEqual({
      sourceRepos: ["https://git.example.com/platform/ops.git"],
      destinations: [{ server: "https://kubernetes.default.svc", namespace: "*" }],
      clusterResourceWhitelist: [
        { group: "", kind: "Namespace" },
        { group: "kubeflow.org", kind: "Profile" },
        { group: "rbac.authorization.k8s.io", kind: "ClusterRole" },
        { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" },
      ],
      namespaceResourceWhitelist: [
        { group: "", kind: "LimitRange" },
        { group: "iam.cnrm.cloud.google.com", kind: "IAMPolicyMember" },
        { group: "iam.cnrm.cloud.google.com", kind: "IAMServiceAccount" },
        { group: "iam.services.k8s.aws", kind: "Role" },
        { group: "rbac.authorization.k8s.io", kind: "RoleBinding" },
        { group: "security.istio.io", kind: "AuthorizationPolicy" },
      ],
    });
  });

  it("keeps kinds the output lost", () => {
    // Argo CD leaves objects of a kind the project does not permit out of the comparison: with
    // the last user disabled or the provider switched to none, their RoleBindings and cloud
    // identity objects would stay in the cluster.
    const full = projectSpec(exampleDeployment("gcp"));
    const nobody = projectSpec(makeDeployment({ provider: "none" }));

    expect(nobody.clusterResourceWhitelist).toEqual(full.clusterResourceWhitelist);
    expect(nobody.namespaceResourceWhitelist).toEqual(full.namespaceResourceWhitelist);
    expect(nobody).not.toHaveProperty("namespaceResourceBlacklist");
  });
});
