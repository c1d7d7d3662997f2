/**
 * The Argo CD Application that syncs a deployment folder, and the AppProject that limits it
 * to the kinds cake generates.
 */
import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { IAppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject";
import type { Deployment } from "../model/types.js";
import { type GeneratedObject, managedLabels, typedObject } from "./metadata.js";

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
 * Every kind cake generates into a deployment folder, cluster-scoped and namespaced apart,
 * each sorted by group, then kind. A test checks that generated output has no other kind.
 */
export const GENERATED_KINDS: { cluster: GroupKind[]; namespaced: GroupKind[] } = {
  cluster: [
    { group: "", kind: "Namespace" },
    { group: "kubeflow.org", kind: "Profile" },
    { group: "rbac.authorization.k8s.io", kind: "ClusterRole" },
    { group: "rbac.authorization.k8s.io", kind: "ClusterRoleBinding" },
  ],
  namespaced: [
    { group: "", kind: "LimitRange" },
    { group: "iam.cnrm.cloud.google.com", kind: "IAMPolicyMember" },
    { group: "iam.cnrm.cloud.google.com", kind: "IAMServiceAccount" },
    { group: "iam.services.k8s.aws", kind: "Role" },
    { group: "rbac.authorization.k8s.io", kind: "RoleBinding" },
    { group: "security.istio.io", kind: "AuthorizationPolicy" },
  ],
};

/**
 * Returns the AppProject of a deployment: one source repo, one destination server, and every
 * kind cake generates, whether or not the output has one now. Argo CD leaves a live object of
 * a kind the project does not permit out of the comparison, and so never prunes it
 * (controller/state.go, `IsLiveResourcePermitted`). A project narrowed to the current kinds
 * would hide the RoleBindings of the last user disabled, whose access would then stay.
 */
export function argocdAppProject(deployment: Deployment): GeneratedObject {
  const { gitops } = deployment;

  return typedObject<IAppProject>({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AppProject",
    metadata: { name: gitops.appName, namespace: gitops.argocdNamespace, labels: managedLabels() },
    spec: {
      sourceRepos: [gitops.repoUrl],
      destinations: [{ server: gitops.destinationServer, namespace: "*" }],
      clusterResourceWhitelist: GENERATED_KINDS.cluster,
      namespaceResourceWhitelist: GENERATED_KINDS.namespaced,
    },
  });
}
