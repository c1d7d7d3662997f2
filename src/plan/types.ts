/**
 * The access plan: what changes between two versions of a deployment's vars, in the
 * words a reviewer needs (who gains or loses what, which Profiles go). Every field is
 * always present (`null` where it does not apply), so the JSON output has a fixed shape.
 */
import type { ContributorRole } from "../model/types.js";

export type DeploymentStatus = "added" | "removed" | "changed" | "unchanged";

export interface UserChange {
  change: "added" | "removed" | "disabled" | "enabled" | "username-changed";
  /** The identity, byte for byte as in the vars file. */
  email: string;
  /** The username at head, or at base for a removed user. */
  username: string;
  /** The username at base, for `username-changed`; otherwise null. */
  previousUsername: string | null;
}

/**
 * A contributor role in a namespace, or `cake-admin` for membership of the cluster-wide
 * `cake-admin` ClusterRoleBinding.
 */
export type AccessRole = ContributorRole | "cake-admin";

export interface AccessChange {
  change: "gained" | "lost" | "changed";
  email: string;
  /** The namespace of the RoleBinding, or null for the cluster-wide `cake-admin` ClusterRoleBinding. */
  namespace: string | null;
  from: AccessRole | null;
  to: AccessRole | null;
}

export interface ProfileChange {
  /**
   * `handed-over` is a Profile on both sides whose holder changes: another user's private
   * profile, or a private profile that becomes a deploy namespace, or the reverse. The
   * namespace and its data stay, so they pass to the new holder. `restored` is a Profile
   * that the base output records as removed earlier and that the head brings back for the
   * same holder, who finds the namespace and data that Argo CD kept.
   */
  change: "created" | "removed" | "handed-over" | "restored";
  /** The Profile name, which is also its namespace. */
  profile: string;
  /**
   * `user` for a private profile, `shared` for a deploy namespace, or null for a Profile
   * known only from the base output manifest, which does not record the kind.
   */
  kind: "user" | "shared" | null;
  /** The owning user of a private profile (at head, for `handed-over`); null for shared ones. */
  email: string | null;
  /** The kind at base, for `handed-over`; otherwise null. */
  previousKind: "user" | "shared" | null;
  /** The owning user at base of a private profile, for `handed-over`; otherwise null. */
  previousEmail: string | null;
  destructive: boolean;
  /** The reason the change is destructive and how to avoid it, or null when it is not destructive. */
  reason: string | null;
}

/**
 * A Profile that the base output manifest records as removed earlier and that no head output
 * records any more, while the head does not bring it back either. Argo CD still keeps its
 * namespace, but a later change that gives the name to someone else is no longer a handover.
 */
export interface ForgottenRemovedProfile {
  /** The Profile name, which is also its namespace. */
  profile: string;
  /** `user` for a private profile, `shared` for a deploy namespace. */
  kind: "user" | "shared";
  /** The last holder's email for a private profile; null for a deploy namespace. */
  email: string | null;
}

export interface NamespaceChange {
  change: "added" | "removed";
  namespace: string;
}

export interface QuotaChange {
  profile: string;
  /** A ResourceQuota resource name such as `requests.cpu`. */
  key: string;
  from: string | null;
  to: string | null;
}

export type CloudIdentityField =
  | "aws-role"
  | "aws-permissions-boundary"
  | "aws-policy"
  | "gcp-service-account"
  | "gcp-role";

export interface CloudIdentityChange {
  profile: string;
  field: CloudIdentityField;
  change: "added" | "removed" | "changed";
  from: string | null;
  to: string | null;
}

export interface OwnerChange {
  from: string;
  to: string;
  destructive: true;
  reason: string;
}

/** A deployment-wide setting that changes what every generated object looks like. */
export interface SettingChange {
  /** The vars field path, such as `kubeflow.userid_header`. */
  field: string;
  from: string | null;
  to: string | null;
}

/** The Profiles and owner recorded in one deployment folder's output manifest. */
export interface DeploymentOutput {
  /** Path of the deployment folder relative to the repo root, with `/` separators. */
  folder: string;
  /** Path of the manifest relative to the repo root, with `/` separators. */
  manifestFile: string;
  /** Names of the Profiles in the output, sorted. */
  profiles: string[];
  profileOwner: string;
  /** The private Profiles with their users' emails; absent in version 1 manifests. */
  profileUsers?: Record<string, string>;
  /** Profiles that left the output earlier, with their last holders (null: a deploy namespace). */
  removedProfiles?: Record<string, string | null>;
  /** The vars file the output was generated from, as the manifest records it. */
  varsFile?: string;
}

export interface DeploymentPlan {
  /** `<environment>-<region>`. */
  deployment: string;
  /** The vars file at head, or at base when it was deleted. */
  varsFile: string;
  status: DeploymentStatus;
  /** True when any change deletes a Profile, hands one over, or changes the Profile owner. */
  destructive: boolean;
  /** False when the vars file at base did not validate and was treated as absent. */
  baseValid: boolean;
  /**
   * The output manifest at base whose Profiles and owner replace those of a base vars file
   * that is invalid or absent. Null when the base vars file is valid or has no manifest.
   */
  baseManifest: string | null;
  /**
   * The output folder at base whose RoleBindings give the access at base, where the base vars
   * file is invalid or absent and the folder has files there. Null otherwise; without a vars
   * file or such a folder at base, all access at head shows as gained.
   */
  baseAccessFrom: string | null;
  /**
   * The output folder at head of a vars file deleted at head. `cake reconcile` keeps such
   * orphaned output until `--prune-orphans`, so the removals take effect only then. Null
   * when the vars file exists at head or its folder is gone.
   */
  orphanedOutput: string | null;
  /**
   * The output folder at base of a vars file deleted in an earlier change, which the head
   * deletes (`cake reconcile --prune-orphans`). Its Profiles leave, as the base manifest lists
   * them. Null for every other deployment.
   */
  prunedOutput: string | null;
  /**
   * For `prunedOutput`: the commit that deleted the vars file. The version before it gives the
   * users, access and Profiles at base. Null when the history at hand lacks it (a shallow
   * clone, say): the Profiles then come from the base manifest, and the access from its RoleBindings.
   */
  varsDeletedIn: string | null;
  users: UserChange[];
  access: AccessChange[];
  profiles: ProfileChange[];
  /**
   * Entries of the base manifest's `removedProfiles` that the head drops: not recorded at head,
   * not restored and not handed over. Not destructive, so `destructive` ignores them.
   */
  forgottenRemovedProfiles: ForgottenRemovedProfile[];
  deployNamespaces: NamespaceChange[];
  quotas: QuotaChange[];
  cloudIdentity: CloudIdentityChange[];
  owner: OwnerChange | null;
  settings: SettingChange[];
}

export interface PlanSummary {
  deploymentsAdded: number;
  deploymentsRemoved: number;
  deploymentsChanged: number;
  deploymentsUnchanged: number;
  usersAdded: number;
  usersRemoved: number;
  usersDisabled: number;
  usersEnabled: number;
  /** Users whose username changed: they move from one private profile to another. */
  usersRenamed: number;
  accessGained: number;
  accessLost: number;
  accessChanged: number;
  profilesCreated: number;
  profilesRemoved: number;
  profilesHandedOver: number;
  /** Profiles removed earlier that come back to the same holder. */
  profilesRestored: number;
  /** Entries of base `removedProfiles` that the head output no longer records. */
  removedProfilesForgotten: number;
  /** The number of destructive changes: removed and handed-over Profiles plus owner changes. */
  destructiveChanges: number;
}

/**
 * One side of the comparison: a commit, the files in the working tree, or nothing (the
 * base of a repository without commits, so every deployment shows as added).
 */
export interface PlanSide {
  source: "commit" | "working-tree" | "empty";
  /** The ref as given (or chosen by default); null for the working tree and empty. */
  ref: string | null;
  /** The full commit id compared; null for the working tree and empty. */
  commit: string | null;
  /**
   * The full commit id `ref` names; null for the working tree and empty. For the base it
   * differs from `commit` when the ref moved on after the head forked from it, and `commit`
   * is then their merge base.
   */
  refCommit: string | null;
}

export interface RepoPlan {
  base: PlanSide;
  head: PlanSide;
  /** Facts about the comparison itself that a reviewer needs to read it right, such as an ops folder new at the base. */
  notes: string[];
  summary: PlanSummary;
  /** Every deployment present at base or head, unchanged ones included, sorted by name. */
  deployments: DeploymentPlan[];
}
