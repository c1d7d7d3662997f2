/**
 * The Argo CD Application that syncs a deployment folder, and the AppProject that limits it
 * to the kinds cake generates.
 */
import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { IAppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { Deployment } from "../model/types.js";
import type { ObjectFile } from "./layout.js";
import { compareStrings, type GeneratedObject, managedLabels, typedObject } from "./metadata.js";

/** An Argo CD resource filter entry; `group` is `""` for the core API group. */
export interface GroupKind {
  group: string;
  kind: string;
}

/**
 * Returns the Application of a deployment. Automated sync prunes contributor access that
 * left git and reverts hand edits. Retry covers a first sync that meets a missing CRD (the
 * Kubeflow, Istio or cloud controllers installed by another Application) or a namespace
 * that is not ready yet. The
 * Application has no resources finalizer, so deleting it never cascades to user data.
 * Fields equal to their defaults (such as `allowEmpty: false`) are left out, because Argo
 * CD would otherwise report them as a difference forever.
 */
export function argocdApplication(deployment: Deployment): GeneratedObject {
  const { gitops } = deployment;
  return typedObject<IApplication>({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: gitops.appName, namespace: gitops.argocdNamespace, labels: managedLabels() },
    spec: {
      project: gitops.appName,
      source: {
        repoURL: gitops.repoUrl,
        targetRevision: gitops.targetRevision,
        path: applicationSourcePath(deployment),
      },
      destination: { server: gitops.destinationServer },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        retry: { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } },
      },
    },
  });
}

/**
 * Returns the path of the deployment folder from the top of the git repository. Argo CD
 * reads `spec.source.path` as "a directory path within the Git repository"
 * (https://argo-cd.readthedocs.io/en/latest/user-guide/application-specification/), so an
 * ops repo in a subfolder needs its `repo_path` in front of the output path.
 */
export function applicationSourcePath(deployment: Deployment): string {
  return deployment.repoPath === undefined
    ? deployment.outputPath
    : `${deployment.repoPath}/${deployment.outputPath}`;
}

/**
 * Returns the AppProject of a deployment: one source repo, one destination server, and
 * exactly the kinds of `syncedFiles`. Argo CD reads an absent namespaced whitelist as
 * "every namespaced kind", so with no namespaced object at all every kind is denied instead.
 */
export function argocdAppProject(deployment: Deployment, syncedFiles: ObjectFile[]): GeneratedObject {
  return argocdAppProjectForKinds(deployment, resourceKinds(syncedFiles));
}

/** Returns the AppProject of a deployment whose synced objects have the given kinds. */
export function argocdAppProjectForKinds(
  deployment: Deployment,
  kinds: { cluster: GroupKind[]; namespaced: GroupKind[] },
): GeneratedObject {
  const { gitops } = deployment;

  return typedObject<IAppProject>({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AppProject",
    metadata: { name: gitops.appName, namespace: gitops.argocdNamespace, labels: managedLabels() },
    spec: {
      sourceRepos: [gitops.repoUrl],
      destinations: [{ server: gitops.destinationServer, namespace: "*" }],
      ...(kinds.cluster.length > 0 ? { clusterResourceWhitelist: kinds.cluster } : {}),
      ...(kinds.namespaced.length > 0
        ? { namespaceResourceWhitelist: kinds.namespaced }
        : { namespaceResourceBlacklist: [{ group: "*", kind: "*" }] }),
    },
  });
}

/**
 * Returns the distinct (group, kind) pairs of the objects in `files`, cluster-scoped and
 * namespaced apart, each sorted by group, then kind.
 */
export function resourceKinds(files: ObjectFile[]): { cluster: GroupKind[]; namespaced: GroupKind[] } {
  // Keyed by "cluster" or "namespaced", then apiVersion, then kind, so that 600k objects
  // allocate no key strings.
  const seen = { cluster: new Map<string, Set<string>>(), namespaced: new Map<string, Set<string>>() };
  for (const file of files) {
    for (const object of file.objects) {
      const byApiVersion = object.metadata.namespace === undefined ? seen.cluster : seen.namespaced;
      const kinds = byApiVersion.get(object.apiVersion);
      if (kinds === undefined) byApiVersion.set(object.apiVersion, new Set([object.kind]));
      else kinds.add(object.kind);
    }
  }
  return { cluster: sortedGroupKinds(seen.cluster), namespaced: sortedGroupKinds(seen.namespaced) };
}

export function sortedGroupKinds(kindsByApiVersion: Map<string, Set<string>>): GroupKind[] {
  const byKey = new Map<string, GroupKind>();
  for (const [apiVersion, kinds] of kindsByApiVersion) {
    const slash = apiVersion.lastIndexOf("/");
    const group = slash === -1 ? "" : apiVersion.slice(0, slash);
    for (const kind of kinds) byKey.set(`${group}/${kind}`, { group, kind });
  }
  return [...byKey.values()].sort(
    (a, b) => compareStrings(a.group, b.group) || compareStrings(a.kind, b.kind),
  );
}
