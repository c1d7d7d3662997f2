/**
 * Read access across the cluster for cake-admins, so they can audit who has access where.
 */
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import { CAKE_ADMIN_RBAC_NAME } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import { compareStrings, type GeneratedObject, managedLabels, typedObject } from "./metadata.js";

const READ_VERBS = ["get", "list", "watch"];

/** Returns the `cake-admin` ClusterRole and the ClusterRoleBinding of the active cake-admins. */
export function cakeAdminRbac(deployment: Deployment): GeneratedObject[] {
  return [cakeAdminClusterRole(), cakeAdminClusterRoleBinding(deployment)];
}

export function cakeAdminClusterRole(): GeneratedObject {
  return typedObject<IClusterRole>({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name: CAKE_ADMIN_RBAC_NAME, labels: managedLabels() },
    rules: [
      { apiGroups: [""], resources: ["namespaces"], verbs: [...READ_VERBS] },
      { apiGroups: ["kubeflow.org"], resources: ["profiles"], verbs: [...READ_VERBS] },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: [...READ_VERBS] },
      { apiGroups: ["security.istio.io"], resources: ["authorizationpolicies"], verbs: [...READ_VERBS] },
    ],
  });
}

/**
 * Returns the binding of every active cake-admin, one User subject each, sorted by email.
 * With no active cake-admin the binding stays, without a `subjects` key: the API server
 * drops an empty list, which would leave Argo CD reporting the binding out of sync forever.
 */
export function cakeAdminClusterRoleBinding(deployment: Deployment): GeneratedObject {
  const emails = deployment.users
    .filter((user) => !user.disabled && user.roles.includes("cake-admin"))
    .map((user) => user.email)
    .sort(compareStrings);

  return typedObject<IClusterRoleBinding>({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: CAKE_ADMIN_RBAC_NAME, labels: managedLabels() },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: CAKE_ADMIN_RBAC_NAME },
    ...(emails.length > 0
      ? {
          subjects: emails.map((email) => ({
            apiGroup: "rbac.authorization.k8s.io",
            kind: "User",
            name: email,
          })),
        }
      : {}),
  });
}
