/**
 * Diffs two versions of one deployment model into a `DeploymentPlan`. Pure: no I/O,
 * and the result depends only on the models, never on the order of entries in the vars.
 */
import { nonAsciiCodePoints, sameUnicodeText } from "../model/code-points.js";
import type { Deployment, ProfileRef, User } from "../model/types.js";
import {
  type AccessGrant,
  accessGrants,
  accessKey,
  changeKind,
  cloudIdentityOf,
  compareText,
  profilesByName,
  settingsOf,
  uniqueSorted,
} from "./state.js";
import type {
  AccessChange,
  CloudIdentityChange,
  DeploymentOutput,
  DeploymentPlan,
  ForgottenRemovedProfile,
  NamespaceChange,
  OwnerChange,
  ProfileChange,
  QuotaChange,
  SettingChange,
  UserChange,
} from "./types.js";

export interface PlanOptions {
  /** False when the base vars file existed but did not validate, so `base` is undefined. */
  baseValid?: boolean;
  /**
   * The committed output at base, for a `base` that is undefined because its vars file is
   * invalid or absent. Its Profiles and owner then stand in for the base model's.
   */
  baseOutput?: DeploymentOutput;
  /**
   * Profiles that left the base output in earlier changes, with their last holders (null: a
   * deploy namespace). Argo CD keeps their namespaces, so one that comes back for someone
   * else is a handover, and one that comes back for the same holder is restored.
   */
  removedAtBase?: Readonly<Record<string, string | null>>;
  /**
   * The output manifest at head, to find the `removedAtBase` entries that the head no longer
   * records. Null means the head has no manifest for this deployment (its folder is gone).
   * Leave it out when the head output was not read, and no entry is reported as forgotten.
   */
  headOutput?: DeploymentOutput | null;
  /** The head output folder of a vars file deleted at head, which reconcile keeps. */
  orphanedOutput?: string;
  /** The base output folder of a vars file deleted in an earlier change, which the head deletes. */
  prunedOutput?: string;
  /** For `prunedOutput`: the commit that deleted the vars file, whose parent's version is `base`. */
  varsDeletedIn?: string;
  /**
   * The access that the base output's bindings grant (see `loadOutputAccess`), used with
   * `baseOutput`, so that access lost shows without a base model.
   */
  baseAccess?: { folder: string; grants: readonly AccessGrant[] };
  /** The deployment and vars file names, needed only when neither side has a model. */
  names?: { deployment: string; varsFile: string };
}

/**
 * Returns the changes from `base` to `head`. An undefined side is a vars file that does
 * not exist there (or is invalid), so the deployment is all-added or all-removed, except
 * for the Profiles and owner that `options.baseOutput` records.
 */
export function planChanges(
  base: Deployment | undefined,
  head: Deployment | undefined,
  options: PlanOptions = {},
): DeploymentPlan {
  const current = head ?? base;
  const names = current ? { deployment: current.name, varsFile: current.varsFile } : options.names;
  if (!names) throw new Error("planChanges needs a base or a head deployment, or their names");
  const baseOutput = base ? undefined : options.baseOutput;
  const baseValid = options.baseValid ?? true;

  const users = diffUsers(base, head);
  const outputAccess = baseOutput ? options.baseAccess : undefined;
  const access = diffAccess(base, head, outputAccess?.grants);
  const removedAtBase = options.removedAtBase ?? {};
  const profiles = baseOutput
    ? diffOutputProfiles(baseOutput, head, baseValid, removedAtBase, options.prunedOutput)
    : diffProfiles(base, head, removedAtBase, options.prunedOutput);
  const forgottenRemovedProfiles =
    options.headOutput === undefined ? [] : forgottenRemovals(removedAtBase, head, options.headOutput);
  const deployNamespaces = diffDeployNamespaces(base, head);
  const both = base && head ? { base, head } : undefined;
  // A new vars file's deploy namespaces are added ones too: their quotas and permissions show.
  const quotas = head ? diffQuotas(base, head) : [];
  const cloudIdentity = head ? diffCloudIdentity(base, head) : [];
  const settings = both ? diffSettings(both.base, both.head) : [];
  let owner: OwnerChange | null = null;
  if (head && (base || baseOutput)) {
    owner = diffOwner(base?.kubeflow.profileOwner ?? baseOutput?.profileOwner, head.kubeflow.profileOwner);
  }

  const changed =
    users.length + access.length + profiles.length + deployNamespaces.length > 0 ||
    quotas.length + cloudIdentity.length + settings.length > 0 ||
    owner !== null;
  // An invalid base vars file still exists, so its deployment is not new.
  const existsAtBase = base !== undefined || !baseValid;

  return {
    deployment: names.deployment,
    varsFile: names.varsFile,
    status: statusOf(existsAtBase, head !== undefined, changed),
    destructive: owner !== null || profiles.some((profile) => profile.destructive),
    baseValid,
    baseManifest: baseOutput?.manifestFile ?? null,
    baseAccessFrom: outputAccess?.folder ?? null,
    orphanedOutput: head ? null : (options.orphanedOutput ?? null),
    prunedOutput: head ? null : (options.prunedOutput ?? null),
    varsDeletedIn: head ? null : (options.varsDeletedIn ?? null),
    users,
    access,
    profiles,
    forgottenRemovedProfiles,
    deployNamespaces,
    quotas,
    cloudIdentity,
    owner,
    settings,
  };
}

function statusOf(existsAtBase: boolean, existsAtHead: boolean, changed: boolean): DeploymentPlan["status"] {
  if (!existsAtHead) return "removed";
  if (!existsAtBase) return "added";
  return changed ? "changed" : "unchanged";
}

function diffUsers(base: Deployment | undefined, head: Deployment | undefined): UserChange[] {
  const before = new Map((base?.users ?? []).map((user) => [user.email, user]));
  const after = new Map((head?.users ?? []).map((user) => [user.email, user]));
  const changes: UserChange[] = [];
  const change = (kind: UserChange["change"], user: User, previousUsername: string | null = null): void => {
    changes.push({ change: kind, email: user.email, username: user.username, previousUsername });
  };

  for (const email of uniqueSorted([...before.keys(), ...after.keys()])) {
    const old = before.get(email);
    const now = after.get(email);
    if (!old && now) change("added", now);
    else if (old && !now) change("removed", old);
    else if (old && now) {
      if (old.username !== now.username) change("username-changed", now, old.username);
      if (!old.disabled && now.disabled) change("disabled", now);
      if (old.disabled && !now.disabled) change("enabled", now);
    }
  }
  return changes;
}

function diffAccess(
  base: Deployment | undefined,
  head: Deployment | undefined,
  outputGrants: readonly AccessGrant[] = [],
): AccessChange[] {
  const before = base
    ? accessGrants(base)
    : new Map(outputGrants.map((grant) => [accessKey(grant.email, grant.namespace), grant]));
  const after = head ? accessGrants(head) : new Map();
  const changes: AccessChange[] = [];

  for (const [key, grant] of before) {
    const now = after.get(key);
    if (!now)
      changes.push({
        change: "lost",
        email: grant.email,
        namespace: grant.namespace,
        from: grant.role,
        to: null,
      });
    else if (now.role !== grant.role) {
      changes.push({
        change: "changed",
        email: grant.email,
        namespace: grant.namespace,
        from: grant.role,
        to: now.role,
      });
    }
  }
  for (const [key, grant] of after) {
    if (!before.has(key)) {
      changes.push({
        change: "gained",
        email: grant.email,
        namespace: grant.namespace,
        from: null,
        to: grant.role,
      });
    }
  }

  // Cluster-wide membership (namespace null) sorts before the namespaces of the same user.
  return changes.sort(
    (a, b) =>
      compareText(a.email, b.email) ||
      compareText(
        a.namespace === null ? "" : `_${a.namespace}`,
        b.namespace === null ? "" : `_${b.namespace}`,
      ),
  );
}

function diffProfiles(
  base: Deployment | undefined,
  head: Deployment | undefined,
  removedAtBase: Readonly<Record<string, string | null>>,
  prunedOutput: string | undefined,
): ProfileChange[] {
  const before = profilesByName(base);
  const after = profilesByName(head);
  const headUsers = new Map((head?.users ?? []).map((user) => [user.email, user]));
  const changes: ProfileChange[] = [];

  for (const name of uniqueSorted([...before.keys(), ...after.keys()])) {
    const old = before.get(name);
    const now = after.get(name);
    if (!old && now) {
      changes.push(returningOrCreated(now, removedAtBase));
    } else if (old && !now) {
      const owner = old.email === undefined ? undefined : headUsers.get(old.email);
      const reason = removalReason(old, head, owner, before, removedAtBase, prunedOutput);
      changes.push(profileChange("removed", old, reason));
    } else if (old && now && changesHolder(old, now)) {
      changes.push({
        ...profileChange("handed-over", now, handoverReason(old, now)),
        previousKind: old.kind,
        previousEmail: old.email ?? null,
      });
    }
  }
  return changes;
}

/**
 * Builds a profile change. A removal and a handover are always destructive and carry
 * their reason. A creation and a restoration are not destructive and carry none.
 */
function profileChange(
  change: ProfileChange["change"],
  profile: ProfileRef,
  reason: string | null,
): ProfileChange {
  return {
    change,
    profile: profile.name,
    kind: profile.kind,
    email: profile.email ?? null,
    previousKind: null,
    previousEmail: null,
    destructive: change === "removed" || change === "handed-over",
    reason,
  };
}

/** True when a Profile present on both sides belongs to someone else at head. */
function changesHolder(old: ProfileRef, now: ProfileRef): boolean {
  return old.kind !== now.kind || old.email !== now.email;
}

/** Names whose data a profile holds, as in `the private profile of ann@example.com`. */
function describeHolder(profile: ProfileRef): string {
  return profile.kind === "user"
    ? `the private profile of ${profile.email ?? "an unknown user"}`
    : `deploy namespace "${profile.name}"`;
}

/**
 * Explains that a handed-over Profile keeps its namespace and data, whose data that is,
 * and who gets it. Nothing is deleted or recreated, so the new holder finds everything
 * the old one left in the namespace.
 */
function handoverReason(old: ProfileRef, now: ProfileRef): string {
  const dataStays = `namespace "${old.name}" keeps all data of ${describeHolder(old)} (notebooks, volumes, pipelines)`;
  if (
    now.kind === "user" &&
    old.email !== undefined &&
    now.email !== undefined &&
    sameUnicodeText(old.email, now.email)
  ) {
    return (
      `${dataStays}; the two emails look the same but are written with other Unicode code points ` +
      `(${nonAsciiCodePoints(old.email)} and ${nonAsciiCodePoints(now.email)}), and the identity provider sends one of them`
    );
  }
  if (now.kind === "user") {
    return (
      `${dataStays}, and ${now.email} becomes its admin; ` +
      `to keep that data from ${now.email}, give that user a username that names no existing profile`
    );
  }
  return (
    `${dataStays}, and it becomes a deploy namespace that every user granted "${now.name}" can open; ` +
    "to keep that data private, give the deploy namespace a new name"
  );
}

/**
 * Explains what a Profile removal deletes and the usual way to keep the data. `owner` is
 * the head entry of the private profile's user, present when only the username changed,
 * and `before` contains the base profiles, to tell whether the new username's profile exists.
 */
function removalReason(
  profile: ProfileRef,
  head: Deployment | undefined,
  owner: User | undefined,
  before: ReadonlyMap<string, ProfileRef>,
  removedAtBase: Readonly<Record<string, string | null>>,
  prunedOutput: string | undefined,
): string {
  const loss = `deleting Profile "${profile.name}" deletes namespace "${profile.name}" and all data in it (notebooks, volumes, pipelines)`;
  if (prunedOutput !== undefined) return `${prunedReason(prunedOutput, loss)}. ${RESTORE_VARS}`;
  if (!head) return `the vars file was deleted, and ${loss}`;
  if (profile.kind === "shared")
    return `${loss}; keep the deploy namespace in the vars file to keep the data`;

  if (owner) {
    const existing = before.get(owner.username);
    if (existing) {
      return (
        `${loss}; the username changed to "${owner.username}", which names an existing profile ` +
        `with the data of ${describeHolder(existing)}, not a new, empty one`
      );
    }
    if (Object.hasOwn(removedAtBase, owner.username)) {
      const keptProfile = heldBy(owner.username, removedAtBase[owner.username] ?? null);
      return (
        `${loss}; the username changed to "${owner.username}", which names a Profile removed earlier ` +
        `that Argo CD kept (Prune=false), with the data of ${describeHolder(keptProfile)}, not a new, empty one`
      );
    }
    return `${loss}; the username changed to "${owner.username}", which creates a new, empty profile`;
  }
  return `${loss}; set "disabled: true" on the user instead of removing the entry to keep the data`;
}

/**
 * Returns the change of a Profile that the head adds: a creation, or, when the base output
 * records that the name left earlier, a restoration for the same holder or a handover for
 * another one. Argo CD kept the namespace of the earlier Profile, so neither starts empty.
 */
function returningOrCreated(
  now: ProfileRef,
  removedAtBase: Readonly<Record<string, string | null>>,
): ProfileChange {
  if (!Object.hasOwn(removedAtBase, now.name)) return profileChange("created", now, null);
  const old = heldBy(now.name, removedAtBase[now.name] ?? null);
  if (!changesHolder(old, now)) return profileChange("restored", now, null);
  return {
    ...profileChange(
      "handed-over",
      now,
      `the base output removed it earlier, and Argo CD keeps a removed Profile (Prune=false): ${handoverReason(old, now)}`,
    ),
    previousKind: old.kind,
    previousEmail: old.email ?? null,
  };
}

/**
 * Compares the Profiles of the base output manifest with those of `head`. A removed Profile
 * has no kind or owner. A Profile on both sides is a handover when the manifest records
 * another holder for it (version 1 manifests record none). A Profile new at head is checked
 * against `removedAtBase` as with a valid base.
 */
function diffOutputProfiles(
  output: DeploymentOutput,
  head: Deployment | undefined,
  baseValid: boolean,
  removedAtBase: Readonly<Record<string, string | null>>,
  prunedOutput: string | undefined,
): ProfileChange[] {
  const before = new Set(output.profiles);
  const after = profilesByName(head);
  const changes: ProfileChange[] = [];

  for (const name of uniqueSorted([...before, ...after.keys()])) {
    const now = after.get(name);
    if (now && !before.has(name)) changes.push(returningOrCreated(now, removedAtBase));
    const recorded = now && before.has(name) ? recordedHolder(output, name) : undefined;
    if (now && recorded && changesHolder(recorded, now)) {
      changes.push({
        ...profileChange("handed-over", now, handoverReason(recorded, now)),
        previousKind: recorded.kind,
        previousEmail: recorded.email ?? null,
      });
    }
    if (!now) {
      // A version 2 manifest records each private profile's user; a version 1 manifest does not.
      const holder = recordedHolder(output, name);
      changes.push({
        change: "removed",
        profile: name,
        kind: holder?.kind ?? null,
        email: holder?.email ?? null,
        previousKind: null,
        previousEmail: null,
        destructive: true,
        reason: outputRemovalReason(name, output, head !== undefined, baseValid, prunedOutput),
      });
    }
  }
  return changes;
}

/** Returns the holder that a version 2 manifest records for `name`, or undefined without one. */
function recordedHolder(output: DeploymentOutput, name: string): ProfileRef | undefined {
  if (output.profileUsers === undefined) return undefined;
  return heldBy(name, output.profileUsers[name] ?? null);
}

/**
 * Returns a Profile known only by its holder, as an output manifest records it: a user's
 * private profile, or a deploy namespace when `email` is null.
 */
function heldBy(name: string, email: string | null): ProfileRef {
  return {
    name,
    kind: email === null ? "shared" : "user",
    ...(email === null ? {} : { email }),
    resourceQuota: {},
    awsPolicyArns: [],
    gcpRoles: [],
  };
}

/**
 * Returns the `removedAtBase` entries that `headOutput` no longer records while neither the
 * head vars nor the head output hold that Profile again. Reconcile drops an entry only when
 * its Profile is back in the output, so any other loss comes from a deleted folder
 * (`--prune-orphans`) or a deleted or edited manifest.
 */
function forgottenRemovals(
  removedAtBase: Readonly<Record<string, string | null>>,
  head: Deployment | undefined,
  headOutput: DeploymentOutput | null,
): ForgottenRemovedProfile[] {
  const heldAtHead = new Set([...profilesByName(head).keys(), ...(headOutput?.profiles ?? [])]);
  const recorded = headOutput?.removedProfiles ?? {};
  const forgotten: ForgottenRemovedProfile[] = [];

  for (const name of uniqueSorted(Object.keys(removedAtBase))) {
    if (heldAtHead.has(name) || Object.hasOwn(recorded, name)) continue;
    const email = removedAtBase[name] ?? null;
    forgotten.push({ profile: name, kind: email === null ? "shared" : "user", email });
  }
  return forgotten;
}

function outputRemovalReason(
  name: string,
  output: DeploymentOutput,
  headExists: boolean,
  baseValid: boolean,
  prunedOutput: string | undefined,
): string {
  const loss = `deleting Profile "${name}" deletes namespace "${name}" and all data in it (notebooks, volumes, pipelines)`;
  if (prunedOutput !== undefined) {
    return `${prunedReason(prunedOutput, loss)}; ${output.manifestFile} at base lists it. ${RESTORE_VARS}`;
  }
  const source = `${output.manifestFile} at base lists it, because the base vars file is ${baseValid ? "absent" : "invalid"}`;
  if (!headExists) return `the vars file was deleted, and ${loss}; ${source}`;
  return (
    `${loss}; ${source}. To keep the data, keep the name in the vars file: ` +
    `as the username of a user with "disabled: true", or as a deploy namespace`
  );
}

const RESTORE_VARS = "To keep the deployment, restore its vars file instead";

function prunedReason(prunedOutput: string, loss: string): string {
  return `the head deletes ${prunedOutput}, the output of a vars file deleted in an earlier change, and ${loss}`;
}

function diffDeployNamespaces(base: Deployment | undefined, head: Deployment | undefined): NamespaceChange[] {
  const before = new Set((base?.deployNamespaces ?? []).map((namespace) => namespace.name));
  const after = new Set((head?.deployNamespaces ?? []).map((namespace) => namespace.name));
  const changes: NamespaceChange[] = [];

  for (const name of uniqueSorted([...before, ...after])) {
    if (!before.has(name)) changes.push({ change: "added", namespace: name });
    else if (!after.has(name)) changes.push({ change: "removed", namespace: name });
  }
  return changes;
}

/**
 * Compares the quotas of profiles present on both sides, and lists those of added deploy
 * namespaces. A new user's private profile has no quota of its own, so it shows none.
 */
function diffQuotas(base: Deployment | undefined, head: Deployment): QuotaChange[] {
  const before = profilesByName(base);
  const changes: QuotaChange[] = [];

  for (const [name, now] of profilesByName(head)) {
    // A new deploy namespace's quota is a resource decision to review too; a new user's private
    // profile has none of its own.
    const none: Record<string, string> = {};
    const old = before.get(name) ?? (now.kind === "shared" ? { resourceQuota: none } : undefined);
    if (!old) continue;
    for (const key of uniqueSorted([...Object.keys(old.resourceQuota), ...Object.keys(now.resourceQuota)])) {
      const from = old.resourceQuota[key] ?? null;
      const to = now.resourceQuota[key] ?? null;
      if (from !== to) changes.push({ profile: name, key, from, to });
    }
  }
  return changes;
}

/**
 * Compares the cloud identity of profiles present on both sides, and lists that of added
 * deploy namespaces. Single-valued fields (role ARN, boundary, service account) change in
 * place; list fields (policies, roles) give one entry per added or removed element.
 */
function diffCloudIdentity(base: Deployment | undefined, head: Deployment): CloudIdentityChange[] {
  const before = profilesByName(base);
  const changes: CloudIdentityChange[] = [];

  for (const [name, nowProfile] of profilesByName(head)) {
    const oldProfile = before.get(name);
    // A new deploy namespace's cloud permissions are listed as added, for review; a new
    // user's private profile gets only the defaults every profile has.
    if (!oldProfile && nowProfile.kind !== "shared") continue;
    const old = base && oldProfile ? cloudIdentityOf(base, oldProfile) : [];
    const now = cloudIdentityOf(head, nowProfile);

    for (const field of ["aws-role", "aws-permissions-boundary", "gcp-service-account"] as const) {
      const from = old.find((entry) => entry.field === field)?.value ?? null;
      const to = now.find((entry) => entry.field === field)?.value ?? null;
      if (from === to) continue;
      changes.push({ profile: name, field, change: changeKind(from, to), from, to });
    }

    for (const field of ["aws-policy", "gcp-role"] as const) {
      const from = new Set(old.filter((entry) => entry.field === field).map((entry) => entry.value));
      const to = new Set(now.filter((entry) => entry.field === field).map((entry) => entry.value));
      for (const value of uniqueSorted([...from, ...to])) {
        if (!to.has(value)) changes.push({ profile: name, field, change: "removed", from: value, to: null });
        else if (!from.has(value))
          changes.push({ profile: name, field, change: "added", from: null, to: value });
      }
    }
  }
  return changes;
}

function diffOwner(from: string | undefined, to: string): OwnerChange | null {
  if (from === undefined || from === to) return null;
  return {
    from,
    to,
    destructive: true,
    reason:
      "the Kubeflow profile controller stops managing an existing namespace whose owner annotation " +
      "differs from its Profile owner, so every existing profile of this deployment breaks until migrated",
  };
}

function diffSettings(base: Deployment, head: Deployment): SettingChange[] {
  const before = settingsOf(base);
  const after = settingsOf(head);
  const changes: SettingChange[] = [];

  for (const field of uniqueSorted([...before.keys(), ...after.keys()])) {
    const from = before.get(field) ?? null;
    const to = after.get(field) ?? null;
    if (from !== to) changes.push({ field, from, to });
  }
  return changes;
}
