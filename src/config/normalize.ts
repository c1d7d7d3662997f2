/**
 * Builds the deployment model from a vars file that passed every check: defaults filled
 * in, lists sorted, quantities canonical, so the order of entries never changes the output.
 */

import { defaultRoleNamePrefix } from "../model/names.js";
import { canonicalQuantity } from "../model/quantity.js";
import type { CloudSettings, Deployment, DeployNamespace, NamespaceGrant, User } from "../model/types.js";
import { DEFAULT_CONTAINER_RESOURCES, DEFAULT_IDENTITY_NAMESPACE, type VarsInput } from "./schema.js";

export interface NormalizeOptions {
  file: string;
  outputPath: string;
}

export function normalizeVars(vars: VarsInput, options: NormalizeOptions): Deployment {
  const { environment, region } = vars;
  const resources = vars.kubeflow.default_container_resources;

  return {
    name: `${environment}-${region}`,
    environment,
    region,
    varsFile: options.file,
    outputPath: options.outputPath,
    kubeflow: {
      profileOwner: vars.kubeflow.profile_owner,
      useridHeader: vars.kubeflow.userid_header,
      useridPrefix: vars.kubeflow.userid_prefix,
      gatewayPrincipals: [...vars.kubeflow.gateway_principals],
      namespaceLabels: sortedRecord(vars.kubeflow.namespace_labels),
      defaultContainerResources: {
        requests: canonicalResources({
          ...DEFAULT_CONTAINER_RESOURCES.requests,
          ...definedOnly(resources?.requests),
        }),
        limits: canonicalResources({
          ...DEFAULT_CONTAINER_RESOURCES.limits,
          ...definedOnly(resources?.limits),
        }),
      },
    },
    identity: {
      lowercaseEmails: vars.identity?.lowercase_emails ?? false,
      ...(vars.identity?.username_pattern !== undefined
        ? { usernamePattern: vars.identity.username_pattern }
        : {}),
      ...(vars.identity?.idp_name !== undefined ? { idpName: vars.identity.idp_name } : {}),
    },
    cloud: normalizeCloud(vars),
    gitops: {
      repoUrl: vars.gitops.repo_url,
      targetRevision: vars.gitops.target_revision,
      argocdNamespace: vars.gitops.argocd_namespace,
      destinationServer: vars.gitops.destination_server,
      appName: vars.gitops.app_name,
    },
    deployNamespaces: normalizeNamespaces(vars),
    users: normalizeUsers(vars),
  };
}

function normalizeCloud(vars: VarsInput): CloudSettings {
  const cloud = vars.cloud;
  const provider = cloud?.provider ?? "none";
  const settings: CloudSettings = {
    provider,
    identityNamespace: cloud?.identity_namespace ?? DEFAULT_IDENTITY_NAMESPACE,
  };

  if (provider === "aws" && cloud?.aws) {
    const aws = cloud.aws;
    settings.aws = {
      accountId: aws.account_id,
      oidcProvider: aws.oidc_provider,
      roleNamePrefix: aws.role_name_prefix ?? defaultRoleNamePrefix(vars),
      ...(aws.permissions_boundary_arn !== undefined
        ? { permissionsBoundaryArn: aws.permissions_boundary_arn }
        : {}),
      defaultPolicyArns: [...aws.default_policy_arns],
    };
  }
  if (provider === "gcp" && cloud?.gcp) {
    settings.gcp = {
      projectId: cloud.gcp.project_id,
      serviceAccountPrefix: cloud.gcp.service_account_prefix,
      defaultRoles: [...cloud.gcp.default_roles],
    };
  }
  return settings;
}

function normalizeNamespaces(vars: VarsInput): DeployNamespace[] {
  const entries = vars.users?.deploy_namespaces ?? vars.users?.deployments ?? [];
  const namespaces = entries.map((entry): DeployNamespace => {
    if (typeof entry === "string") return { name: entry, resourceQuota: {}, awsPolicyArns: [], gcpRoles: [] };
    return {
      name: entry.name,
      resourceQuota: canonicalResources(entry.resource_quota ?? {}),
      awsPolicyArns: [...(entry.aws?.policy_arns ?? [])],
      gcpRoles: [...(entry.gcp?.roles ?? [])],
    };
  });
  return namespaces.sort((a, b) => compare(a.name, b.name));
}

function normalizeUsers(vars: VarsInput): User[] {
  const users = (vars.users?.users ?? []).map((user): User => {
    const grants = user.allowed_namespaces.map(
      (grant): NamespaceGrant =>
        typeof grant === "string"
          ? { namespace: grant, access: "edit" }
          : { namespace: grant.name, access: grant.access },
    );
    return {
      email: user.email,
      username: user.username,
      roles: [...user.roles].sort(compare),
      disabled: user.disabled,
      allowedNamespaces: grants.sort((a, b) => compare(a.namespace, b.namespace)),
    };
  });
  return users.sort((a, b) => compare(a.username, b.username));
}

/** Canonical quantities sorted by resource name; values were checked by the quota rules. */
function canonicalResources(resources: Record<string, string | number>): Record<string, string> {
  const canonical: Record<string, string> = {};
  for (const [key, value] of Object.entries(resources).sort(([a], [b]) => compare(a, b))) {
    canonical[key] = canonicalQuantity(String(value)) ?? String(value);
  }
  return canonical;
}

function definedOnly(resources: { cpu?: string | number; memory?: string | number } | undefined) {
  const defined: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(resources ?? {})) {
    if (value !== undefined) defined[key] = value;
  }
  return defined;
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compare(a, b)));
}

/** Compares by UTF-16 code units, so the order never depends on the locale. */
function compare(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
