/**
 * The grants, profiles, cloud identity and settings of one deployment model, flattened
 * into keyed maps so that two versions can be compared. The rules mirror the generator: active users get `admin` on their own
 * profile and their role in each allowed namespace, active cake-admins join the
 * `cake-admin` ClusterRoleBinding, and disabled users get nothing.
 */

import { applicationSourcePath } from "../generate/argocd.js";
import {
  awsPartition,
  awsRoleArn,
  awsRoleName,
  gcpServiceAccountEmail,
  gcpServiceAccountId,
  profilesOf,
} from "../model/names.js";
import type { Deployment, ProfileRef } from "../model/types.js";
import type { AccessRole, CloudIdentityField } from "./types.js";

/** Separator of the parts of a map key. Emails and names cannot contain a NUL character. */
const KEY_SEPARATOR = "\0";

export interface AccessGrant {
  email: string;
  namespace: string | null;
  role: AccessRole;
}

/** Returns every grant of the deployment keyed by email and namespace (one role per pair). */
export function accessGrants(deployment: Deployment): Map<string, AccessGrant> {
  const grants = new Map<string, AccessGrant>();
  const add = (grant: AccessGrant): void => {
    grants.set(accessKey(grant.email, grant.namespace), grant);
  };

  for (const user of deployment.users) {
    if (user.disabled) continue;
    add({ email: user.email, namespace: user.username, role: "admin" });
    for (const grant of user.allowedNamespaces) {
      add({ email: user.email, namespace: grant.namespace, role: grant.access });
    }
    if (user.roles.includes("cake-admin")) add({ email: user.email, namespace: null, role: "cake-admin" });
  }
  return grants;
}

export function accessKey(email: string, namespace: string | null): string {
  return `${email}${KEY_SEPARATOR}${namespace ?? ""}`;
}

/** One value of a profile's cloud identity. List fields give one entry per element. */
export interface CloudIdentityValue {
  field: CloudIdentityField;
  value: string;
}

/**
 * Returns the cloud identity of a profile: the IAM role ARN, boundary and policies on AWS,
 * or the service account and its roles on GCP. The list is empty when the provider is `none`.
 */
export function cloudIdentityOf(deployment: Deployment, profile: ProfileRef): CloudIdentityValue[] {
  const { cloud } = deployment;
  const values: CloudIdentityValue[] = [];

  if (cloud.provider === "aws" && cloud.aws) {
    const { aws } = cloud;
    values.push({
      field: "aws-role",
      value: awsRoleArn(
        awsPartition(deployment.region),
        aws.accountId,
        awsRoleName(aws.roleNamePrefix, profile.name),
      ),
    });
    if (aws.permissionsBoundaryArn)
      values.push({ field: "aws-permissions-boundary", value: aws.permissionsBoundaryArn });
    for (const arn of uniqueSorted([...aws.defaultPolicyArns, ...profile.awsPolicyArns])) {
      values.push({ field: "aws-policy", value: arn });
    }
  }

  if (cloud.provider === "gcp" && cloud.gcp) {
    const { gcp } = cloud;
    const accountId = gcpServiceAccountId(gcp.serviceAccountPrefix, profile.name);
    values.push({ field: "gcp-service-account", value: gcpServiceAccountEmail(gcp.projectId, accountId) });
    for (const role of uniqueSorted([...gcp.defaultRoles, ...profile.gcpRoles])) {
      values.push({ field: "gcp-role", value: role });
    }
  }
  return values;
}

/** Returns the profiles of a deployment keyed by name. */
export function profilesByName(deployment: Deployment | undefined): Map<string, ProfileRef> {
  if (!deployment) return new Map();
  return new Map(profilesOf(deployment).map((profile) => [profile.name, profile]));
}

/**
 * Returns the deployment-wide settings that change every generated object, as text keyed
 * by vars field path. A change to the userid header or prefix, for example, rewrites every
 * AuthorizationPolicy, and one that no longer matches the identity proxy locks everyone out.
 */
export function settingsOf(deployment: Deployment): Map<string, string> {
  const { kubeflow, identity, cloud, gitops } = deployment;
  const settings: [string, string | undefined][] = [
    ["kubeflow.userid_header", kubeflow.useridHeader],
    ["kubeflow.userid_prefix", kubeflow.useridPrefix],
    ["kubeflow.gateway_principals", kubeflow.gatewayPrincipals.join(", ")],
    ["kubeflow.namespace_labels", formatMap(kubeflow.namespaceLabels)],
    [
      "kubeflow.default_container_resources",
      `requests: ${formatMap(kubeflow.defaultContainerResources.requests)}; limits: ${formatMap(kubeflow.defaultContainerResources.limits)}`,
    ],
    ["identity.lowercase_emails", String(identity.lowercaseEmails)],
    ["cloud.provider", cloud.provider],
    ["cloud.identity_namespace", cloud.identityNamespace],
    ["cloud.aws.account_id", cloud.aws?.accountId],
    ["cloud.aws.oidc_provider", cloud.aws?.oidcProvider],
    ["cloud.gcp.project_id", cloud.gcp?.projectId],
    ["gitops.repo_url", gitops.repoUrl],
    ["gitops.target_revision", gitops.targetRevision],
    ["gitops.argocd_namespace", gitops.argocdNamespace],
    ["gitops.destination_server", gitops.destinationServer],
    ["gitops.app_name", gitops.appName],
    // Not a vars field: `repo_path` and `output_dir` in cake.yaml set it, and Argo CD syncs that folder.
    ["application_path", applicationSourcePath(deployment)],
  ];

  const result = new Map<string, string>();
  for (const [field, value] of settings) {
    if (value !== undefined) result.set(field, value);
  }
  return result;
}

function formatMap(map: Record<string, string>): string {
  return Object.keys(map)
    .sort()
    .map((key) => `${key}=${map[key]}`)
    .join(", ");
}

export function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareText);
}

/** Compares by UTF-16 code units, the order used everywhere in the plan so output never depends on locale. */
export function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/** Names the change from `from` to `to`, where null means "not set". */
export function changeKind(from: string | null, to: string | null): "added" | "removed" | "changed" {
  if (from === null) return "added";
  if (to === null) return "removed";
  return "changed";
}
