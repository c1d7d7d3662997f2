/**
 * The input of a validation rule. Rules run even when the schema phase found errors. The
 * view keeps every field whose type is right and drops the others, which the schema phase
 * reports, so one bad field does not hide the problems of the rest of the file.
 */

import type { Diagnostic } from "../diagnostics.js";
import type { DiagnosticSource, FieldPath } from "../field-path.js";
import { DEFAULT_APP_NAME, DEFAULT_ARGOCD_NAMESPACE, DEFAULT_IDENTITY_NAMESPACE } from "../schema.js";
import { knownKeysAt } from "../schema-phase.js";
import { nearest } from "../suggest.js";

/** An entry of a list with its position in the file. */
export interface Entry<T> {
  index: number;
  path: FieldPath;
  value: T;
}

export type Quantity = string | number;

export interface DeployNamespaceView {
  name: string;
  resourceQuota: Record<string, Quantity>;
  /** Items keep their index; an item of the wrong type is undefined. */
  awsPolicyArns: (string | undefined)[];
  gcpRoles: (string | undefined)[];
  /** True for the `{name: ...}` form, whose name sits one level deeper. */
  objectForm: boolean;
  /** True when the entry has an `aws` key, whatever its value. */
  hasAws: boolean;
  /** True when the entry has a `gcp` key, whatever its value. */
  hasGcp: boolean;
}

export interface GrantView {
  namespace: string;
  /** undefined when `access` is missing from the object form or has the wrong type. */
  access: string | undefined;
  objectForm: boolean;
}

export interface UserView {
  email?: string;
  username?: string;
  roles: (string | undefined)[];
  allowedNamespaces: (GrantView | undefined)[];
  disabled: boolean;
}

export interface VarsView {
  environment?: string;
  region?: string;
  kubeflow: {
    profileOwner?: string;
    /** undefined when the key is missing (the default applies) or is not a string. */
    useridHeader?: string;
    useridPrefix: string;
    /** undefined when the key is missing (the defaults apply) or is not a list. */
    gatewayPrincipals?: (string | undefined)[];
    namespaceLabels: Record<string, string>;
    defaultContainerResources: { requests: Record<string, Quantity>; limits: Record<string, Quantity> };
  };
  identity: { lowercaseEmails: boolean; usernamePattern?: string };
  cloud: {
    provider?: string;
    identityNamespace: string;
    aws?: {
      accountId?: string;
      oidcProvider?: string;
      roleNamePrefix?: string;
      permissionsBoundaryArn?: string;
      defaultPolicyArns: (string | undefined)[];
    };
    gcp?: { projectId?: string; serviceAccountPrefix: string; defaultRoles: (string | undefined)[] };
  };
  gitops: {
    repoUrl?: string;
    argocdNamespace: string;
    appName?: string;
    destinationServer?: string;
    targetRevision?: string;
  };
  /** The key that contains the deploy namespaces: `deploy_namespaces`, or the older `deployments`. */
  namespacesKey: "deploy_namespaces" | "deployments";
  /**
   * State of the key of `users` that declares deploy namespaces. It is `present` with a list as
   * its value, and `not-a-list` with any other value, such as an empty one. Without the key, it
   * is `misspelled` when an unknown key of `users` is reported as a misspelling of it, else `missing`.
   */
  namespacesKeyState: "present" | "not-a-list" | "misspelled" | "missing";
  deployNamespaces: Entry<DeployNamespaceView>[];
  /** Every name declared as a deploy namespace. */
  declaredNamespaceNames: Set<string>;
  users: Entry<UserView>[];
}

export interface RuleContext {
  source: DiagnosticSource;
  view: VarsView;
  /** The deployment name the file name implies: `<environment>-<region>`. */
  expectedName: string;
}

/** A named check that returns diagnostics. Its contract is to not throw on bad input. */
export interface Rule {
  name: string;
  check(context: RuleContext): Diagnostic[];
}

/** Returns the path of a deploy namespace's name: `users.deploy_namespaces[1]` or `...[1].name`. */
export function namespaceNamePath(entry: Entry<DeployNamespaceView>): FieldPath {
  return entry.value.objectForm ? [...entry.path, "name"] : entry.path;
}

/** Returns the path of a grant's namespace: `...allowed_namespaces[0]` or `...allowed_namespaces[0].name`. */
export function grantNamePath(user: Entry<UserView>, index: number, grant: GrantView): FieldPath {
  const path = [...user.path, "allowed_namespaces", index];
  return grant.objectForm ? [...path, "name"] : path;
}

/**
 * Classifies the key of `users` that declares deploy namespaces. With both keys given, the value
 * of `deploy_namespaces` is the one read. A key counts as misspelled by the same "did you mean"
 * test that the schema phase's unknown-key error uses.
 */
function namespacesKeyStateOf(usersSection: Record<string, unknown>): VarsView["namespacesKeyState"] {
  const namespaceKeys = ["deploy_namespaces", "deployments"];
  const presentKey = namespaceKeys.find((key) => Object.hasOwn(usersSection, key));
  if (presentKey !== undefined) return Array.isArray(usersSection[presentKey]) ? "present" : "not-a-list";

  const known = knownKeysAt(["users"]);
  const misspelled = Object.keys(usersSection).some((key) => {
    if (known.includes(key)) return false;
    const suggestion = nearest(key, known);
    return suggestion !== undefined && namespaceKeys.includes(suggestion);
  });
  return misspelled ? "misspelled" : "missing";
}

export function buildView(data: unknown): VarsView {
  const root = asRecord(data);
  const kubeflow = asRecord(root.kubeflow);
  const resources = asRecord(kubeflow.default_container_resources);
  const identity = asRecord(root.identity);
  const cloud = asRecord(root.cloud);
  const gitops = asRecord(root.gitops);
  const usersSection = asRecord(root.users);
  const namespacesKey =
    usersSection.deploy_namespaces === undefined && usersSection.deployments !== undefined
      ? "deployments"
      : "deploy_namespaces";
  const deployNamespaces = namespaceEntries(usersSection[namespacesKey], namespacesKey);
  const namespacesKeyState = namespacesKeyStateOf(usersSection);

  return {
    environment: string(root.environment),
    region: string(root.region),
    kubeflow: {
      profileOwner: string(kubeflow.profile_owner),
      useridHeader: string(kubeflow.userid_header),
      gatewayPrincipals: Array.isArray(kubeflow.gateway_principals)
        ? stringList(kubeflow.gateway_principals)
        : undefined,
      useridPrefix: string(kubeflow.userid_prefix) ?? "",
      namespaceLabels: stringRecord(kubeflow.namespace_labels),
      defaultContainerResources: {
        requests: quantityRecord(resources.requests),
        limits: quantityRecord(resources.limits),
      },
    },
    identity: {
      lowercaseEmails: identity.lowercase_emails === true,
      usernamePattern: string(identity.username_pattern),
    },
    cloud: {
      // A file without a `cloud` key uses provider `none`.
      provider: root.cloud === undefined ? "none" : string(cloud.provider),
      identityNamespace: string(cloud.identity_namespace) ?? DEFAULT_IDENTITY_NAMESPACE,
      aws: cloud.aws === undefined ? undefined : awsView(asRecord(cloud.aws)),
      gcp: cloud.gcp === undefined ? undefined : gcpView(asRecord(cloud.gcp)),
    },
    gitops: {
      repoUrl: string(gitops.repo_url),
      argocdNamespace: string(gitops.argocd_namespace) ?? DEFAULT_ARGOCD_NAMESPACE,
      appName: gitops.app_name === undefined ? DEFAULT_APP_NAME : string(gitops.app_name),
      destinationServer: string(gitops.destination_server),
      targetRevision: string(gitops.target_revision),
    },
    namespacesKey,
    namespacesKeyState,
    deployNamespaces,
    declaredNamespaceNames: new Set(deployNamespaces.map((entry) => entry.value.name)),
    users: listEntries(usersSection.users, ["users", "users"], userView),
  };
}

function awsView(aws: Record<string, unknown>): NonNullable<VarsView["cloud"]["aws"]> {
  return {
    accountId: string(aws.account_id),
    oidcProvider: string(aws.oidc_provider),
    roleNamePrefix: string(aws.role_name_prefix),
    permissionsBoundaryArn: string(aws.permissions_boundary_arn),
    defaultPolicyArns: stringList(aws.default_policy_arns),
  };
}

function gcpView(gcp: Record<string, unknown>): NonNullable<VarsView["cloud"]["gcp"]> {
  return {
    projectId: string(gcp.project_id),
    serviceAccountPrefix: string(gcp.service_account_prefix) ?? "",
    defaultRoles: stringList(gcp.default_roles),
  };
}

function userView(item: unknown): UserView | undefined {
  if (!isRecord(item)) return undefined;
  const grants = Array.isArray(item.allowed_namespaces) ? item.allowed_namespaces : [];
  return {
    email: string(item.email),
    username: string(item.username),
    roles: stringList(item.roles),
    allowedNamespaces: grants.map(grantView),
    disabled: item.disabled === true,
  };
}

function grantView(item: unknown): GrantView | undefined {
  if (typeof item === "string") return { namespace: item, access: "edit", objectForm: false };
  if (!isRecord(item) || typeof item.name !== "string") return undefined;
  const access = item.access === undefined ? "edit" : string(item.access);
  return { namespace: item.name, access, objectForm: true };
}

function namespaceEntries(list: unknown, key: string): Entry<DeployNamespaceView>[] {
  return listEntries(list, ["users", key], (item) => {
    if (typeof item === "string") {
      return {
        name: item,
        resourceQuota: {},
        awsPolicyArns: [],
        gcpRoles: [],
        objectForm: false,
        hasAws: false,
        hasGcp: false,
      };
    }
    if (!isRecord(item) || typeof item.name !== "string") return undefined;
    return {
      name: item.name,
      resourceQuota: quantityRecord(item.resource_quota),
      awsPolicyArns: stringList(asRecord(item.aws).policy_arns),
      gcpRoles: stringList(asRecord(item.gcp).roles),
      objectForm: true,
      hasAws: item.aws !== undefined,
      hasGcp: item.gcp !== undefined,
    };
  });
}

function listEntries<T>(list: unknown, path: FieldPath, parse: (item: unknown) => T | undefined): Entry<T>[] {
  if (!Array.isArray(list)) return [];
  const entries: Entry<T>[] = [];
  list.forEach((item, index) => {
    const value = parse(item);
    if (value !== undefined) entries.push({ index, path: [...path, index], value });
  });
  return entries;
}

function string(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function stringList(value: unknown): (string | undefined)[] {
  return Array.isArray(value) ? value.map(string) : [];
}

function stringRecord(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(asRecord(value)).filter(([, item]) => typeof item === "string"),
  ) as Record<string, string>;
}

function quantityRecord(value: unknown): Record<string, Quantity> {
  return Object.fromEntries(
    Object.entries(asRecord(value)).filter(
      ([, item]) => typeof item === "string" || typeof item === "number",
    ),
  ) as Record<string, Quantity>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
