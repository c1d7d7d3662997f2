/**
 * Contributor access in exactly the form Kubeflow's access management (KFAM) writes it, so
 * the dashboard lists these bindings and can remove them: per (user, namespace, role) one
 * RoleBinding and one AuthorizationPolicy with the same name and annotations.
 */
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1beta1";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { bindingName, contributorClusterRole } from "../model/names.js";
import type { ContributorRole, Deployment, User } from "../model/types.js";
import {
  type GeneratedObject,
  managedLabels,
  SYNC_OPTIONS,
  SYNC_OPTIONS_ANNOTATION,
  toPlainObject,
} from "./metadata.js";

/** One contributor role of one user in one profile namespace. */
export interface ContributorGrant {
  email: string;
  namespace: string;
  role: ContributorRole;
}

/**
 * Returns the grants of every active user: `admin` on their own private profile, and
 * `edit` or `view` on each allowed deploy namespace. Disabled users get none, but their
 * profile stays.
 */
export function contributorGrants(deployment: Deployment): ContributorGrant[] {
  return deployment.users.filter((user) => !user.disabled).flatMap(grantsOf);
}

function grantsOf(user: User): ContributorGrant[] {
  return [
    { email: user.email, namespace: user.username, role: "admin" },
    ...user.allowedNamespaces.map((grant) => ({
      email: user.email,
      namespace: grant.namespace,
      role: grant.access,
    })),
  ];
}

/** Returns the RoleBinding and AuthorizationPolicy of every contributor grant. */
export function contributorAccess(deployment: Deployment): GeneratedObject[] {
  return contributorGrants(deployment).flatMap((grant) => [
    contributorRoleBinding(grant),
    contributorAuthorizationPolicy(deployment, grant),
  ]);
}

/**
 * Returns the RoleBinding of a grant. KFAM lists bindings by the `user` and `role`
 * annotations and fails the whole listing of a namespace when one of them has more than
 * one subject, so there is exactly one. Both `apiGroup` fields are written although the API
 * server defaults them, so the live object equals git.
 */
export function contributorRoleBinding(grant: ContributorGrant): GeneratedObject {
  const roleBinding = new RoleBinding({
    metadata: {
      name: bindingName(grant.email, grant.role),
      namespace: grant.namespace,
      labels: managedLabels(),
      annotations: { user: grant.email, role: grant.role },
    },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: contributorClusterRole(grant.role),
    },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: grant.email }],
  });
  return toPlainObject(roleBinding);
}

/**
 * Returns the AuthorizationPolicy of a grant: requests that reach the namespace through the
 * gateway principals (the ingress gateway and the pipelines UI) with the user's id in the
 * user id header. The id is `<userid_prefix><email>`; the prefix belongs only here, never in
 * RBAC. No action (so ALLOW) and no selector (every workload), as KFAM writes it.
 */
export function contributorAuthorizationPolicy(
  deployment: Deployment,
  grant: ContributorGrant,
): GeneratedObject {
  const { kubeflow } = deployment;
  const policy = new AuthorizationPolicy({
    metadata: {
      name: bindingName(grant.email, grant.role),
      namespace: grant.namespace,
      labels: managedLabels(),
      annotations: {
        user: grant.email,
        role: grant.role,
        [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.customResource,
      },
    },
    spec: {
      rules: [
        {
          from: [{ source: { principals: [...kubeflow.gatewayPrincipals] } }],
          when: [
            {
              key: `request.headers[${kubeflow.useridHeader}]`,
              values: [`${kubeflow.useridPrefix}${grant.email}`],
            },
          ],
        },
      ],
    },
  });
  return toPlainObject(policy);
}
