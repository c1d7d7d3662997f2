import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type GeneratedFile, generateDeployment } from "../../src/generate/index.js";
import type { Deployment } from "../../src/model/types.js";
import { exampleDeployment, makeDeployment, makeNamespace, makeUser } from "../helpers/model.js";
import { AUTHORIZATION_POLICY, fileOf, NAMESPACE, ROLE_BINDING } from "./find.js";

function paths(files: GeneratedFile[]): string[] {
  return files.map((file) => file.path);
}

describe("deployment layout", () => {
  it("has one file per profile", () => {
    expect(paths(generateDeployment(exampleDeployment("aws")))).toEqual([
      "argocd/application.yaml",
      "argocd/appproject.yaml",
      "argocd/kustomization.yaml",
      "cloud/namespace.yaml",
      "cluster/cake-admin.yaml",
      "kustomization.yaml",
      "profiles/asmith.yaml",
      "profiles/bjones.yaml",
      "profiles/cwu.yaml",
      "profiles/ml-prod.yaml",
      "profiles/ml-staging.yaml",
    ]);
  });

  it("has no cloud file without a cloud", () => {
    expect(paths(generateDeployment(exampleDeployment("none")))).not.toContain("cloud/namespace.yaml");
  });

  it("lists every synced file in the kustomization", () => {
    const files = generateDeployment(exampleDeployment("gcp"));
    const root = files.find((file) => file.path === "kustomization.yaml");
    expect(root?.objects).toEqual([
      {
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: [
          "cloud/namespace.yaml",
          "cluster/cake-admin.yaml",
          "profiles/asmith.yaml",
          "profiles/bjones.yaml",
          "profiles/cwu.yaml",
          "profiles/ml-prod.yaml",
          "profiles/ml-staging.yaml",
        ],
      },
    ]);
  });

  it("keeps Argo CD out of the synced kustomization", () => {
    const files = generateDeployment(exampleDeployment("aws"));
    const argocd = files.find((file) => file.path === "argocd/kustomization.yaml");
    expect(argocd?.objects).toEqual([
      {
        apiVersion: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources: ["application.yaml", "appproject.yaml"],
      },
    ]);
  });

  it("puts access in the namespace's file", () => {
    const files = generateDeployment(exampleDeployment("aws"));
    const key = { namespace: "ml-prod", name: "user-bob-example-com-clusterrole-view" };
    expect(fileOf(files, { ...ROLE_BINDING, ...key })).toBe("profiles/ml-prod.yaml");
    expect(fileOf(files, { ...AUTHORIZATION_POLICY, ...key })).toBe("profiles/ml-prod.yaml");
    expect(
      fileOf(files, {
        apiVersion: "iam.services.k8s.aws/v1alpha1",
        kind: "Role",
        namespace: "cake-cloud-identity",
        name: "cake-prod-use1-ml-prod",
      }),
    ).toBe("profiles/ml-prod.yaml");
    expect(fileOf(files, { ...NAMESPACE, name: "cake-cloud-identity" })).toBe("cloud/namespace.yaml");
  });

  it("orders objects by kind then name", () => {
    const files = generateDeployment(exampleDeployment("gcp"));
    const file = files.find((candidate) => candidate.path === "profiles/ml-prod.yaml");
    const order = file?.objects.map(
      (object) => `${object.kind} ${(object.metadata as { name: string }).name}`,
    );
    expect(order).toEqual([
      "Namespace ml-prod",
      "Profile ml-prod",
      "LimitRange cake-default-limits",
      "IAMServiceAccount kf-ml-prod",
      expect.stringMatching(/^IAMPolicyMember kf-ml-prod-storage-objectviewer-[0-9a-f]{8}$/),
      "IAMPolicyMember kf-ml-prod-workload-identity",
      "RoleBinding user-alice-smith-example-com-clusterrole-edit",
      "RoleBinding user-bob-example-com-clusterrole-view",
      "AuthorizationPolicy user-alice-smith-example-com-clusterrole-edit",
      "AuthorizationPolicy user-bob-example-com-clusterrole-view",
    ]);
  });

  it("changes one file per grant", () => {
    const before = generateDeployment(exampleDeployment("aws"));
    const deployment = exampleDeployment("aws");
    const bob = deployment.users.find((user) => user.username === "bjones");
    if (bob === undefined) throw new Error("the example has no bjones");
    bob.allowedNamespaces = bob.allowedNamespaces.filter((grant) => grant.namespace !== "ml-staging");
    const after = generateDeployment(deployment);

    const changed = after
      .filter((file) => JSON.stringify(file) !== JSON.stringify(before.find((old) => old.path === file.path)))
      .map((file) => file.path);
    expect(changed).toEqual(["profiles/ml-staging.yaml"]);
  });

  it("rejects objects with the same name", () => {
    const deployment = makeDeployment({
      deployNamespaces: [makeNamespace("team-a")],
      users: [
        makeUser({ email: "a.b@example.com", username: "ab1", allowedNamespaces: ["team-a"] }),
        makeUser({ email: "a_b@example.com", username: "ab2", allowedNamespaces: ["team-a"] }),
      ],
    });
    expect(() => generateDeployment(deployment)).toThrow(/user-a-b-example-com-clusterrole-edit/);
  });
});

function reversed(deployment: Deployment): Deployment {
  return {
    ...deployment,
    users: [...deployment.users].reverse().map((user) => ({
      ...user,
      roles: [...user.roles].reverse(),
      allowedNamespaces: [...user.allowedNamespaces].reverse(),
    })),
    deployNamespaces: [...deployment.deployNamespaces].reverse().map((namespace) => ({
      ...namespace,
      awsPolicyArns: [...namespace.awsPolicyArns].reverse(),
      gcpRoles: [...namespace.gcpRoles].reverse(),
    })),
  };
}

describe("generation determinism", () => {
  it.each(["aws", "gcp", "none"] as const)("ignores input order on %s", (provider) => {
    const deployment = exampleDeployment(provider);
    deployment.users.push(
      makeUser({
        email: "zed@example.com",
        username: "zed",
        roles: ["cake-admin"],
        allowedNamespaces: ["ml-prod"],
      }),
    );
    expect(generateDeployment(reversed(deployment))).toEqual(generateDeployment(deployment));
    expect(JSON.stringify(generateDeployment(reversed(deployment)))).toBe(
      JSON.stringify(generateDeployment(deployment)),
    );
  });

  it("ignores any permutation of entries", () => {
    const deployment = exampleDeployment("gcp");
    for (const name of ["dora", "eli", "fay", "gus"]) {
      deployment.users.push(
        makeUser({
          email: `${name}@example.com`,
          username: name,
          roles: ["cake-admin"],
          allowedNamespaces: ["ml-prod"],
        }),
      );
    }
    const expected = JSON.stringify(generateDeployment(deployment));
    const { users, deployNamespaces } = deployment;
    fc.assert(
      fc.property(
        fc.shuffledSubarray(users, { minLength: users.length }),
        fc.shuffledSubarray(deployNamespaces, { minLength: deployNamespaces.length }),
        (shuffledUsers, shuffledNamespaces) => {
          const shuffled = { ...deployment, users: shuffledUsers, deployNamespaces: shuffledNamespaces };
          expect(JSON.stringify(generateDeployment(shuffled))).toBe(expected);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("gives equal output twice", () => {
    const deployment = exampleDeployment("gcp");
    expect(JSON.stringify(generateDeployment(deployment))).toBe(
      JSON.stringify(generateDeployment(deployment)),
    );
  });

  it("does not share arrays with the model", () => {
    const deployment = exampleDeployment("none");
    const files = generateDeployment(deployment);
    deployment.kubeflow.gatewayPrincipals.push("cluster.local/ns/x/sa/y");
    expect(JSON.stringify(files)).not.toContain("cluster.local/ns/x/sa/y");
  });
});
