/**
 * The file plan behind incremental reconcile: fingerprints must change exactly when a
 * file's bytes can change, and the AppProject kinds computed from the model must equal
 * the kinds of the fully built objects.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GENERATED_KINDS } from "../../src/generate/argocd.js";
import { generateDeployment, planDeploymentFiles } from "../../src/generate/index.js";
import type { ObjectFile } from "../../src/generate/layout.js";
import type { Deployment } from "../../src/model/types.js";
import { exampleDeployment, makeDeployment, makeNamespace, makeUser } from "../helpers/model.js";

function fingerprints(deployment: Deployment): Map<string, string | undefined> {
  return new Map(planDeploymentFiles(deployment).map((file) => [file.path, file.fingerprint]));
}

function changedFingerprints(before: Deployment, after: Deployment): string[] {
  const old = fingerprints(before);
  return [...fingerprints(after)]
    .filter(([path, fingerprint]) => fingerprint !== undefined && old.get(path) !== fingerprint)
    .map(([path]) => path)
    .sort();
}

const TEAM = ["team-a", "team-b", "team-c"].map((name) => makeNamespace(name));

function teamDeployment(bobAccess: "edit" | "view", provider: "aws" | "gcp" | "none" = "aws"): Deployment {
  return makeDeployment({
    provider,
    gcp: { serviceAccountPrefix: "kf-" },
    deployNamespaces: [...TEAM, makeNamespace("team-q", { resourceQuota: { cpu: "4" } })],
    users: [
      makeUser({ email: "alice@example.com", username: "alice", allowedNamespaces: ["team-a", "team-b"] }),
      makeUser({
        email: "bob@example.com",
        username: "bobby",
        allowedNamespaces: [{ namespace: "team-b", access: bobAccess }],
      }),
      makeUser({
        email: "carol@example.com",
        username: "carol",
        disabled: true,
        allowedNamespaces: ["team-c"],
      }),
    ],
  });
}

describe("planDeploymentFiles", () => {
  it("builds what generateDeployment returns", () => {
    const deployment = exampleDeployment("gcp");

    const built = planDeploymentFiles(deployment).map((file) => file.build());

    expect(built).toEqual(generateDeployment(deployment));
  });

  it("fingerprints change only for the grant's namespace", () => {
    expect(changedFingerprints(teamDeployment("edit"), teamDeployment("view"))).toEqual([
      "profiles/team-b.yaml",
    ]);
  });

  it("disabling a user changes their profile and grants", () => {
    const before = teamDeployment("edit");
    const after = structuredClone(before);
    const alice = after.users.find((user) => user.username === "alice");
    if (alice === undefined) throw new Error("fixture has no alice");
    alice.disabled = true;

    expect(changedFingerprints(before, after)).toEqual([
      "profiles/alice.yaml",
      "profiles/team-a.yaml",
      "profiles/team-b.yaml",
    ]);
  });

  it("a deployment setting changes every profile fingerprint", () => {
    const before = teamDeployment("edit");
    const after = structuredClone(before);
    after.kubeflow.useridPrefix = "accounts.google.com:";

    expect(changedFingerprints(before, after)).toEqual(
      [...fingerprints(before).keys()].filter((path) => path.startsWith("profiles/")).sort(),
    );
  });

  it("eager files change fingerprint with their objects", () => {
    const before = teamDeployment("edit");
    const after = structuredClone(before);
    after.gitops.targetRevision = "release";

    expect(changedFingerprints(before, after)).toEqual(
      expect.arrayContaining([
        "argocd/application.yaml",
        ...[...fingerprints(before).keys()].filter((path) => path.startsWith("profiles/")),
      ]),
    );
    expect(changedFingerprints(before, after)).not.toContain("kustomization.yaml");
  });

  it("a quota change touches its namespace only", () => {
    const before = teamDeployment("edit");
    const after = structuredClone(before);
    const quota = after.deployNamespaces.find((namespace) => namespace.name === "team-q");
    if (quota === undefined) throw new Error("fixture has no team-q");
    quota.resourceQuota = { cpu: "8" };

    expect(changedFingerprints(before, after)).toEqual(["profiles/team-q.yaml"]);
  });

  it("AppProject allows every kind cake generates, whatever the output has now", () => {
    const providers = fc.constantFrom("aws" as const, "gcp" as const, "none" as const);
    fc.assert(
      fc.property(providers, fc.boolean(), fc.boolean(), fc.boolean(), (provider, quota, grants, users) => {
        const deployment = makeDeployment({
          provider,
          gcp: { serviceAccountPrefix: "kf-" },
          deployNamespaces: [
            makeNamespace("team-a", { resourceQuota: quota ? { "limits.memory": "1Gi" } : {} }),
          ],
          users: users
            ? [
                makeUser({
                  email: "alice@example.com",
                  username: "alice",
                  disabled: !grants,
                  allowedNamespaces: ["team-a"],
                }),
              ]
            : [],
        });
        const files = generateDeployment(deployment);
        const synced = files.filter(
          (file): file is ObjectFile =>
            !file.path.startsWith("argocd/") && file.path !== "kustomization.yaml",
        );
        const project = files.find((file) => file.path === "argocd/appproject.yaml")?.objects[0] as {
          spec: { clusterResourceWhitelist?: unknown; namespaceResourceWhitelist?: unknown };
        };
        const allowed = (scope: "cluster" | "namespaced") =>
          new Set(GENERATED_KINDS[scope].map(({ group, kind }) => `${group}/${kind}`));
        const groupOf = (apiVersion: string) =>
          apiVersion.includes("/") ? apiVersion.replace(/\/[^/]*$/, "") : "";

        // The same list for every deployment: a kind that left it would hide its leftover objects from pruning.
        expect(project.spec.clusterResourceWhitelist).toEqual(GENERATED_KINDS.cluster);
        expect(project.spec.namespaceResourceWhitelist).toEqual(GENERATED_KINDS.namespaced);
        for (const object of synced.flatMap((file) => file.objects)) {
          const scope = object.metadata.namespace === undefined ? "cluster" : "namespaced";
          expect(allowed(scope).has(`${groupOf(object.apiVersion)}/${object.kind}`), object.kind).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});
