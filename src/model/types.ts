/**
 * The deployment model: plain, normalized data built from one vars file.
 * Everything downstream of loading (generation, planning, listing) reads only this.
 * Lists are sorted so that the order of entries in the vars file never changes the output.
 */

export type CloudProvider = "aws" | "gcp" | "none";

/** A platform role from the vars file. */
export type CakeRole = "cake-admin" | "cake-user";

/** Access to a deploy namespace, as written in `allowed_namespaces`. */
export type NamespaceAccess = "edit" | "view";

/** A KFAM contributor role; `admin` is what a user has on their own private profile. */
export type ContributorRole = "admin" | "edit" | "view";

export interface KubeflowSettings {
  /** Owner of every Profile (`spec.owner.name`) and the `owner` annotation of its Namespace. */
  profileOwner: string;
  /** Request header that carries the user id, matched by AuthorizationPolicies. */
  useridHeader: string;
  /** Prefix the identity proxy puts before the email in `useridHeader`. */
  useridPrefix: string;
  gatewayPrincipals: string[];
  /** Labels of every profile Namespace, sorted by key. */
  namespaceLabels: Record<string, string>;
  /** Default container requests and limits put in a LimitRange where a quota constrains cpu or memory. */
  defaultContainerResources: { requests: Record<string, string>; limits: Record<string, string> };
}

export interface IdentitySettings {
  /** True when the identity provider lower-cases emails, so upper-case letters can never match. */
  lowercaseEmails: boolean;
  /** Optional regular expression that every username must match. */
  usernamePattern?: string;
  /**
   * A name for the identity provider that serves the deployment. Two deployments with
   * different names may spell one person's email in different case.
   */
  idpName?: string;
}

export interface AwsSettings {
  accountId: string;
  oidcProvider: string;
  /** Prefix of every generated IAM role name; defaults to `<environment>-<region>-`. */
  roleNamePrefix: string;
  permissionsBoundaryArn?: string;
  defaultPolicyArns: string[];
}

export interface GcpSettings {
  projectId: string;
  serviceAccountPrefix: string;
  defaultRoles: string[];
}

export interface CloudSettings {
  provider: CloudProvider;
  aws?: AwsSettings;
  gcp?: GcpSettings;
  /** Namespace that contains the cloud identity objects (ACK Roles, Config Connector objects). */
  identityNamespace: string;
}

export interface GitopsSettings {
  /** Required when an Argo CD Application is generated; validation reports its absence. */
  repoUrl: string;
  targetRevision: string;
  argocdNamespace: string;
  destinationServer: string;
  appName: string;
}

export interface DeployNamespace {
  name: string;
  /** ResourceQuota `hard` entries with canonical quantities, sorted by key. */
  resourceQuota: Record<string, string>;
  awsPolicyArns: string[];
  gcpRoles: string[];
}

export interface NamespaceGrant {
  namespace: string;
  access: NamespaceAccess;
}

export interface User {
  /** Exactly as the identity provider sends it; never rewritten. */
  email: string;
  username: string;
  roles: CakeRole[];
  disabled: boolean;
  /** Sorted by namespace. */
  allowedNamespaces: NamespaceGrant[];
}

export interface Deployment {
  /** `<environment>-<region>`, the name of the vars file and of the output folder. */
  name: string;
  environment: string;
  region: string;
  /** Path of the vars file relative to the repo root, with `/` separators. */
  varsFile: string;
  /** Path of the output folder relative to the repo root, with `/` separators. */
  outputPath: string;
  /**
   * Folder of the ops repo inside its git repository (`repo_path` in `cake.yaml`), without a
   * final `/`. Set only when it is not empty, so that the model of a repo at the top of its
   * git repository, and every fingerprint made from it, stays as it was before the key existed.
   */
  repoPath?: string;
  kubeflow: KubeflowSettings;
  identity: IdentitySettings;
  cloud: CloudSettings;
  gitops: GitopsSettings;
  /** Sorted by name. */
  deployNamespaces: DeployNamespace[];
  /** Sorted by username. */
  users: User[];
}

/** A Kubeflow profile: a user's private one, or a shared deploy namespace. */
export interface ProfileRef {
  name: string;
  kind: "user" | "shared";
  /** The owning user's email, for private profiles. */
  email?: string;
  resourceQuota: Record<string, string>;
  awsPolicyArns: string[];
  gcpRoles: string[];
}
