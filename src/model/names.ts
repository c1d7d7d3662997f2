/**
 * Names derived from vars values, with the limits each consumer enforces. Generation
 * and validation share these functions, so a name that validates is the name generated.
 */
import { createHash } from "node:crypto";
import type { ContributorRole, Deployment, ProfileRef } from "./types.js";

const NON_ALPHANUMERIC_RUNS = /[^a-zA-Z0-9]+/g;

/**
 * Returns the name KFAM gives the RoleBinding and AuthorizationPolicy of a contributor:
 * `user-<email>-clusterrole-<role>`, where every run of characters outside `[a-zA-Z0-9]`
 * becomes one `-` and the result is lower-cased. This is `getBindingName` in Kubeflow's
 * access-management (`kfam/bindings.go`, the same from Kubeflow v1.5 to dashboard v2),
 * so the dashboard can list and remove the bindings cake generates.
 */
export function bindingName(email: string, role: ContributorRole): string {
  const safeEmail = email.replace(NON_ALPHANUMERIC_RUNS, "-");
  return `user-${safeEmail}-clusterrole-${role}`.toLowerCase().replace(NON_ALPHANUMERIC_RUNS, "-");
}

/** Returns the ClusterRole a contributor role binds to (`kubeflow-admin`, `kubeflow-edit`, `kubeflow-view`). */
export function contributorClusterRole(role: ContributorRole): string {
  return `kubeflow-${role}`;
}

/** Returns the IAM role name of a profile: `<role_name_prefix><profile>`. */
export function awsRoleName(roleNamePrefix: string, profile: string): string {
  return `${roleNamePrefix}${profile}`;
}

/** An AWS partition: ARNs of one partition never reach into another. */
export type AwsPartition = "aws" | "aws-cn" | "aws-us-gov";

/**
 * Returns the partition of an AWS region: `aws-cn` for the China regions (`cn-north-1`,
 * `cn-northwest-1`), `aws-us-gov` for GovCloud (`us-gov-west-1`, `us-gov-east-1`), and `aws`
 * for every other name, including deployment regions that are not AWS region names.
 */
export function awsPartition(region: string): AwsPartition {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** Returns the ARN of an IAM role: `arn:<partition>:iam::<account>:role/<name>`. */
export function awsRoleArn(partition: AwsPartition, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

/** Returns the GCP service account id (the part before `@`) of a profile. */
export function gcpServiceAccountId(serviceAccountPrefix: string, profile: string): string {
  return `${serviceAccountPrefix}${profile}`;
}

export function gcpServiceAccountEmail(projectId: string, accountId: string): string {
  return `${accountId}@${projectId}.iam.gserviceaccount.com`;
}

/**
 * Returns the name of the IAMPolicyMember that lets a profile's `default-editor`
 * Kubernetes service account act as its GCP service account (at most 30 + 18 characters).
 */
export function gcpWorkloadIdentityMemberName(accountId: string): string {
  return `${accountId}-workload-identity`;
}

/**
 * Returns the name of the IAMPolicyMember that grants `role` on the project to a profile's
 * GCP service account: `<account id>-<readable role>-<hash>`, at most 63 characters. The
 * readable part is cut to fit. The hash (the first 8 hex digits of a SHA-256) keeps apart
 * roles that differ only in case or in the cut part. It is the role's alone while the name
 * contains the whole readable role. A cut name no longer shows where the account id ends
 * (`p` with `p-x-...` and `p-x` with `x-...`), so then the hash covers the account id too.
 */
export function gcpRoleMemberName(accountId: string, role: string): string {
  const words = role
    .replace(/^roles\//, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-");
  const budget = NAME_LIMITS.kubernetesLabel - accountId.length - 8 - 2;
  const cut = words.length > budget;
  const hash = createHash("sha256")
    .update(cut ? `${accountId}\0${role}` : role)
    .digest("hex")
    .slice(0, 8);
  const readable = words.slice(0, Math.max(budget, 0)).replace(/^-+|-+$/g, "");
  return readable === "" ? `${accountId}-${hash}` : `${accountId}-${readable}-${hash}`;
}

/**
 * Start of the name that the ApplicationSet of `cake init` gives the Application of each
 * deployment folder, followed by the folder's name, in an ops repo at the top of its git
 * repository. In a subfolder the folder of the ops repo follows it too.
 */
export const APPLICATIONSET_APPLICATION_PREFIX = "cake-";

/** Name of the ClusterRole and ClusterRoleBinding that give cake-admins read access for audits. */
export const CAKE_ADMIN_RBAC_NAME = "cake-admin";

/** Name of the LimitRange that sets container defaults in a profile namespace with a compute quota. */
export const DEFAULT_LIMIT_RANGE_NAME = "cake-default-limits";

/** The Kubernetes service account of a profile that the profile controller binds cloud identities to. */
export const PROFILE_EDITOR_SERVICE_ACCOUNT = "default-editor";

/** Returns the default IAM role name prefix: `<environment>-<region>-`. */
export function defaultRoleNamePrefix(deployment: Pick<Deployment, "environment" | "region">): string {
  return `${deployment.environment}-${deployment.region}-`;
}

/** Limits of derived names, with the system that enforces each. */
export const NAME_LIMITS = {
  /** DNS-1123 label: Namespace and Profile names, label values. */
  kubernetesLabel: 63,
  /** DNS-1123 subdomain: RoleBinding and AuthorizationPolicy names. */
  kubernetesSubdomain: 253,
  /** IAM `RoleName`: 1 to 64 characters of `[\w+=,.@-]`. */
  awsRoleName: 64,
  /** GCP service account id: 6 to 30 characters, `[a-z][a-z0-9-]*[a-z0-9]`. */
  gcpServiceAccountIdMin: 6,
  gcpServiceAccountIdMax: 30,
  /**
   * Argo CD Application names: with label resource tracking, Argo CD writes the name into the
   * `app.kubernetes.io/instance` label of every object it syncs, and a label value has at most 63.
   */
  argocdApplication: 63,
} as const;

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An HTTP field name is a token, one or more of these characters (RFC 9110: `token = 1*tchar`). */
export const HTTP_HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const AWS_ROLE_NAME = /^[\w+=,.@-]+$/;
export const GCP_SERVICE_ACCOUNT_ID = /^[a-z][a-z0-9-]*[a-z0-9]$/;

/** Returns the user's email of each private profile among `profiles`, by profile name. */
export function profileUsersOf(profiles: readonly ProfileRef[]): Record<string, string> {
  const users: Record<string, string> = {};
  for (const profile of profiles) {
    if (profile.kind === "user" && profile.email !== undefined) users[profile.name] = profile.email;
  }
  return users;
}

/** Returns the private profiles (one per user) and shared profiles (one per deploy namespace), sorted by name. */
export function profilesOf(deployment: Deployment): ProfileRef[] {
  const profiles: ProfileRef[] = [
    ...deployment.users.map((user) => ({
      name: user.username,
      kind: "user" as const,
      email: user.email,
      resourceQuota: {},
      awsPolicyArns: [],
      gcpRoles: [],
    })),
    ...deployment.deployNamespaces.map((namespace) => ({
      name: namespace.name,
      kind: "shared" as const,
      resourceQuota: namespace.resourceQuota,
      awsPolicyArns: namespace.awsPolicyArns,
      gcpRoles: namespace.gcpRoles,
    })),
  ];
  return profiles.sort((a, b) => {
    if (a.name === b.name) return 0;
    return a.name < b.name ? -1 : 1;
  });
}

/** The API server address of the cluster Argo CD runs in: the `gitops.destination_server` default. */
export const IN_CLUSTER_SERVER = "https://kubernetes.default.svc";

/**
 * The scp-like form of an SSH repository URL, `user@host:path`, which Argo CD accepts besides
 * https://, http:// and ssh:// URLs.
 */
export const SCP_LIKE_REPO_URL = /^[^\s@/:]+@[^\s@/:]+:\S+$/;

/** Returns the emails of the deployment's active cake-admins, in the order of its users. */
export function activeAdminEmails(deployment: Deployment): string[] {
  return deployment.users
    .filter((user) => !user.disabled && user.roles.includes("cake-admin"))
    .map((user) => user.email);
}

/** The label cake sets on every object it generates, over any value the vars give it. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "cake";
