/**
 * Contributor access in exactly the form Kubeflow's access management (KFAM) writes it, so
 * the dashboard lists these bindings and can remove them: per (user, namespace, role) one
 * RoleBinding and one AuthorizationPolicy with the same name and annotations.
 *
 * These are the most numerous objects: one pair per grant, so 600k objects for 50k users
 * with 5 namespaces each. They are built as plain data checked against the
 * `kubernetes-models` types, because constructing a model and calling `toJSON()` copies
 * each object twice. Tests validate them with the models' upstream schemas. Parts that do
 * not depend on the namespace (labels, roleRef, subjects, the policy spec, annotations)
 * are shared by all objects of a user, which halves the objects allocated. Consumers must
 * treat generated objects as read-only.
 */
import type { IAuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1beta1";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { bindingName, contributorClusterRole } from "../model/names.js";
import type { ContributorRole, Deployment, User } from "../model/types.js";
import { type GeneratedObject, MANAGED_LABELS, SYNC_OPTIONS, SYNC_OPTIONS_ANNOTATION } from "./metadata.js";

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

/** Returns the grants of one user, whether or not the user is disabled. */
export function grantsOf(user: User): ContributorGrant[] {
  return [
    { email: user.email, namespace: user.username, role: "admin" },
    ...user.allowedNamespaces.map((grant) => ({
      email: user.email,
      namespace: grant.namespace,
      role: grant.access,
    })),
  ];
}

/** Parts equal in every contributor object of a deployment. */
interface DeploymentParts {
  roleRefs: Record<ContributorRole, IRoleBinding["roleRef"]>;
  from: PolicyRule["from"];
  headerKey: string;
  useridPrefix: string;
}

/** Parts equal in every contributor object of one user, whatever the namespace. */
interface UserParts {
  subjects: IRoleBinding["subjects"];
  policySpec: IAuthorizationPolicy["spec"];
  roleBindingAnnotations: Record<ContributorRole, Record<string, string>>;
  policyAnnotations: Record<ContributorRole, Record<string, string>>;
}

type PolicyRule = NonNullable<NonNullable<IAuthorizationPolicy["spec"]>["rules"]>[number];

/** Returns the RoleBinding and AuthorizationPolicy of every contributor grant. */
export function contributorAccess(deployment: Deployment): GeneratedObject[] {
  const build = contributorBuilder(deployment);
  const objects: GeneratedObject[] = [];
  for (const user of deployment.users) {
    if (user.disabled) continue;
    for (const grant of grantsOf(user)) objects.push(...build(grant));
  }
  return objects;
}

/**
 * Returns a function that builds the RoleBinding and AuthorizationPolicy of one grant. It
 * shares the parts that do not depend on the namespace between all grants of a user, so
 * callers that build one namespace at a time get the same sharing as `contributorAccess`.
 */
export function contributorBuilder(deployment: Deployment): (grant: ContributorGrant) => GeneratedObject[] {
  const { kubeflow } = deployment;
  const shared: DeploymentParts = {
    roleRefs: { admin: clusterRoleRef("admin"), edit: clusterRoleRef("edit"), view: clusterRoleRef("view") },
    from: [{ source: { principals: [...kubeflow.gatewayPrincipals] } }],
    headerKey: `request.headers[${kubeflow.useridHeader}]`,
    useridPrefix: kubeflow.useridPrefix,
  };
  const partsByEmail = new Map<string, UserParts>();

  return (grant) => {
    let parts = partsByEmail.get(grant.email);
    if (parts === undefined) {
      parts = userParts(grant.email, shared);
      partsByEmail.set(grant.email, parts);
    }
    const name = bindingName(grant.email, grant.role);
    return [
      contributorRoleBinding(grant, name, shared, parts),
      contributorAuthorizationPolicy(grant, name, parts),
    ];
  };
}

function clusterRoleRef(role: ContributorRole): IRoleBinding["roleRef"] {
  return { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: contributorClusterRole(role) };
}

/** Returns the parts of a user's contributor objects that do not depend on the namespace. */
function userParts(email: string, shared: DeploymentParts): UserParts {
  const annotations = (role: ContributorRole) => ({ user: email, role });
  const policyAnnotations = (role: ContributorRole) => ({
    ...annotations(role),
    [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.customResource,
  });

  return {
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: email }],
    policySpec: {
      rules: [
        { from: shared.from, when: [{ key: shared.headerKey, values: [`${shared.useridPrefix}${email}`] }] },
      ],
    },
    roleBindingAnnotations: {
      admin: annotations("admin"),
      edit: annotations("edit"),
      view: annotations("view"),
    },
    policyAnnotations: {
      admin: policyAnnotations("admin"),
      edit: policyAnnotations("edit"),
      view: policyAnnotations("view"),
    },
  };
}

/**
 * Returns the RoleBinding of a grant. KFAM lists bindings by the `user` and `role`
 * annotations and fails the whole listing of a namespace when one of them has more than
 * one subject, so there is exactly one. Both `apiGroup` fields are written although the API
 * server defaults them, so the live object equals git.
 */
function contributorRoleBinding(
  grant: ContributorGrant,
  name: string,
  shared: DeploymentParts,
  parts: UserParts,
): GeneratedObject {
  const roleBinding: IRoleBinding & GeneratedObject = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: {
      name,
      namespace: grant.namespace,
      labels: MANAGED_LABELS,
      annotations: parts.roleBindingAnnotations[grant.role],
    },
    roleRef: shared.roleRefs[grant.role],
    subjects: parts.subjects,
  };
  return roleBinding;
}

/**
 * Returns the AuthorizationPolicy of a grant: requests that reach the namespace through the
 * gateway principals (the ingress gateway and the pipelines UI) with the user's id in the
 * user id header. The id is `<userid_prefix><email>`, and the prefix belongs only here,
 * never in RBAC. No action (so ALLOW) and no selector (every workload), as KFAM writes it.
 */
function contributorAuthorizationPolicy(
  grant: ContributorGrant,
  name: string,
  parts: UserParts,
): GeneratedObject {
  const policy: IAuthorizationPolicy & GeneratedObject = {
    apiVersion: "security.istio.io/v1beta1",
    kind: "AuthorizationPolicy",
    metadata: {
      name,
      namespace: grant.namespace,
      labels: MANAGED_LABELS,
      annotations: parts.policyAnnotations[grant.role],
    },
    spec: parts.policySpec,
  };
  return policy;
}
