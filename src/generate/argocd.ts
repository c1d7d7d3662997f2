/**
 * The Argo CD Application that syncs a deployment folder, and the AppProject that limits it
 * to the kinds cake generates.
 */
import { Application, AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import type { Deployment } from "../model/types.js";
import { compareStrings, type GeneratedObject, managedLabels, toPlainObject } from "./metadata.js";

/** An Argo CD resource filter entry; `group` is `""` for the core API group. */
export interface GroupKind {
  group: string;
  kind: string;
}

/**
 * Returns the Application of a deployment. Automated sync prunes contributor access that
 * left git and reverts hand edits. Retry covers the first sync of a new profile, because
 * the profile controller may create its namespace seconds after the Profile. The
 * Application has no resources finalizer, so deleting it never cascades to user data.
 * Fields equal to their defaults (such as `allowEmpty: false`) are left out, because Argo
 * CD would otherwise report them as a difference forever.
 */
export function argocdApplication(deployment: Deployment): GeneratedObject {
  const { gitops } = deployment;
  const application = new Application({
    metadata: { name: gitops.appName, namespace: gitops.argocdNamespace, labels: managedLabels() },
    spec: {
      project: gitops.appName,
      source: {
        repoURL: gitops.repoUrl,
        targetRevision: gitops.targetRevision,
        path: deployment.outputPath,
      },
      destination: { server: gitops.destinationServer },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
      },
    },
  });
  return toPlainObject(application);
}

/**
 * Returns the AppProject of a deployment: one source repo, one destination server, and
 * exactly the kinds of `syncedObjects`. Argo CD reads an absent namespaced whitelist as
 * "every namespaced kind", so with no namespaced object at all every kind is denied instead.
 */
export function argocdAppProject(deployment: Deployment, syncedObjects: GeneratedObject[]): GeneratedObject {
  const { gitops } = deployment;
  const clusterKinds = groupKinds(syncedObjects.filter((object) => object.metadata.namespace === undefined));
  const namespacedKinds = groupKinds(
    syncedObjects.filter((object) => object.metadata.namespace !== undefined),
  );

  const project = new AppProject({
    metadata: { name: gitops.appName, namespace: gitops.argocdNamespace, labels: managedLabels() },
    spec: {
      sourceRepos: [gitops.repoUrl],
      destinations: [{ server: gitops.destinationServer, namespace: "*" }],
      clusterResourceWhitelist: clusterKinds.length > 0 ? clusterKinds : undefined,
      namespaceResourceWhitelist: namespacedKinds.length > 0 ? namespacedKinds : undefined,
      namespaceResourceBlacklist: namespacedKinds.length > 0 ? undefined : [{ group: "*", kind: "*" }],
    },
  });
  return toPlainObject(project);
}

/** Returns the distinct (group, kind) pairs of `objects`, sorted by group, then kind. */
export function groupKinds(objects: GeneratedObject[]): GroupKind[] {
  const byKey = new Map<string, GroupKind>();
  for (const object of objects) {
    const slash = object.apiVersion.lastIndexOf("/");
    const group = slash === -1 ? "" : object.apiVersion.slice(0, slash);
    byKey.set(`${group}/${object.kind}`, { group, kind: object.kind });
  }
  return [...byKey.values()].sort(
    (a, b) => compareStrings(a.group, b.group) || compareStrings(a.kind, b.kind),
  );
}
