/**
 * Turns a deployment plan into table rows shared by the text and markdown renderers, so
 * both list the same changes in the same order: destructive changes first, then warnings,
 * users, access, profiles, deploy namespaces, quotas, cloud identity and settings.
 */
import { changeKind } from "./state.js";
import type {
  AccessChange,
  AccessRole,
  CloudIdentityChange,
  DeploymentPlan,
  ProfileChange,
} from "./types.js";

/** A table cell: a value from the vars (shown verbatim, in code in markdown) or fixed words. */
export interface Cell {
  kind: "value" | "words";
  text: string;
}

/**
 * The kinds of plan rows, most important first. A renderer that must leave rows out keeps
 * them in this order: destructive changes, warnings, access lost, cluster-wide `cake-admin`
 * access gained, access changed, access gained, then everything else.
 */
export const ROW_KINDS = [
  "destructive",
  "warning",
  "access-lost",
  "cake-admin-gained",
  "access-changed",
  "access-gained",
  "other",
] as const;

export type RowKind = (typeof ROW_KINDS)[number];

export interface PlanRow {
  kind: RowKind;
  /** `+` added or gained, `-` removed or lost, `~` changed, `!` destructive, `?` a warning to read. */
  marker: "+" | "-" | "~" | "!" | "?";
  change: string;
  subject: Cell[];
  where: Cell[];
  from: Cell[];
  to: Cell[];
}

const value = (text: string): Cell[] => [{ kind: "value", text }];
const words = (text: string): Cell[] => [{ kind: "words", text }];
const optional = (text: string | null): Cell[] => (text === null ? [] : value(text));

/**
 * Returns the rows of a deployment's plan. `maxListedProfiles` caps the profiles a grouped row
 * names before it counts the rest: a pull request comment has a size limit, a terminal none.
 */
export function planRows(plan: DeploymentPlan, maxListedProfiles = Number.POSITIVE_INFINITY): PlanRow[] {
  const rows: PlanRow[] = [];

  if (plan.owner) {
    rows.push({
      kind: "destructive",
      marker: "!",
      change: "Profile owner changed",
      subject: words("every Profile"),
      where: [],
      from: value(plan.owner.from),
      to: value(plan.owner.to),
    });
  }
  for (const profile of plan.profiles.filter((entry) => entry.change === "removed")) {
    rows.push({
      kind: "destructive",
      marker: "!",
      change: "Profile removed",
      subject: value(profile.profile),
      where: profileKind(profile.kind),
      from: optional(profile.email),
      to: [],
    });
  }
  for (const profile of plan.profiles.filter((entry) => entry.change === "handed-over")) {
    rows.push({
      kind: "destructive",
      marker: "!",
      change: "Profile handed over",
      subject: value(profile.profile),
      where: [],
      from: holderCells(profile.previousKind, profile.previousEmail),
      to: holderCells(profile.kind, profile.email),
    });
  }
  for (const forgotten of plan.forgottenRemovedProfiles) {
    rows.push({
      kind: "warning",
      marker: "?",
      change: "Removed Profile forgotten",
      subject: value(forgotten.profile),
      where: profileKind(forgotten.kind),
      from: optional(forgotten.email),
      to: [],
    });
  }

  for (const user of plan.users) rows.push(userRow(user));
  for (const access of plan.access) {
    rows.push({
      kind: accessKind(access),
      marker: markerOf(access.change),
      change: `Access ${access.change}`,
      subject: value(access.email),
      where: access.namespace === null ? words("cluster-wide") : value(access.namespace),
      from: roleCells(access.from),
      to: roleCells(access.to),
    });
  }

  for (const profile of plan.profiles.filter((entry) => entry.change === "created")) {
    rows.push({
      kind: "other",
      marker: "+",
      change: "Profile created",
      subject: value(profile.profile),
      where: profileKind(profile.kind),
      from: [],
      to: optional(profile.email),
    });
  }
  // The earlier holder gets the Profile back, and with it the namespace and data Argo CD kept.
  for (const profile of plan.profiles.filter((entry) => entry.change === "restored")) {
    rows.push({
      kind: "other",
      marker: "+",
      change: "Profile restored",
      subject: value(profile.profile),
      where: profileKind(profile.kind),
      from: words("removed earlier"),
      to: restoredHolderCells(profile),
    });
  }
  for (const namespace of plan.deployNamespaces) {
    const added = namespace.change === "added";
    rows.push({
      kind: "other",
      marker: added ? "+" : "-",
      change: added ? "Deploy namespace added" : "Deploy namespace removed",
      subject: value(namespace.namespace),
      where: [],
      from: [],
      to: [],
    });
  }
  for (const quota of plan.quotas) {
    rows.push({
      kind: "other",
      marker: markerOf(changeKind(quota.from, quota.to)),
      change: "Quota changed",
      subject: value(quota.key),
      where: value(quota.profile),
      from: quota.from === null ? words("none") : value(quota.from),
      to: quota.to === null ? words("none") : value(quota.to),
    });
  }

  // One push per row: a deployment can have 100k profiles, and that many arguments overflow the stack.
  for (const row of cloudIdentityRows(plan.cloudIdentity, maxListedProfiles)) rows.push(row);
  for (const setting of plan.settings) {
    rows.push({
      kind: "other",
      marker: "~",
      change: "Setting changed",
      subject: value(setting.field),
      where: [],
      from: setting.from === null ? words("unset") : value(setting.from),
      to: setting.to === null ? words("unset") : value(setting.to),
    });
  }
  return rows;
}

function accessKind(access: AccessChange): RowKind {
  if (access.change === "lost") return "access-lost";
  if (access.change === "changed") return "access-changed";
  return access.namespace === null ? "cake-admin-gained" : "access-gained";
}

function markerOf(change: string): PlanRow["marker"] {
  if (change === "added" || change === "gained") return "+";
  if (change === "removed" || change === "lost") return "-";
  return "~";
}

function userRow(user: DeploymentPlan["users"][number]): PlanRow {
  switch (user.change) {
    case "added":
      return {
        kind: "other",
        marker: "+",
        change: "User added",
        subject: value(user.email),
        where: privateProfile(user.username),
        from: [],
        to: [],
      };
    case "removed":
      return {
        kind: "other",
        marker: "-",
        change: "User removed",
        subject: value(user.email),
        where: privateProfile(user.username),
        from: [],
        to: [],
      };
    case "disabled":
      return {
        kind: "other",
        marker: "-",
        change: "User disabled",
        subject: value(user.email),
        where: privateProfile(user.username),
        from: [],
        to: [],
      };
    case "enabled":
      return {
        kind: "other",
        marker: "+",
        change: "User re-enabled",
        subject: value(user.email),
        where: privateProfile(user.username),
        from: [],
        to: [],
      };
    case "username-changed":
      return {
        kind: "other",
        marker: "~",
        change: "Username changed",
        subject: value(user.email),
        where: [],
        from: optional(user.previousUsername),
        to: value(user.username),
      };
  }
}

function profileKind(kind: ProfileChange["kind"]): Cell[] {
  if (kind === "user") return words("private profile");
  if (kind === "shared") return words("deploy namespace");
  return words("listed in the base output");
}

/** Names the holder of a profile: its user's email, or "deploy namespace". */
function holderCells(kind: ProfileChange["kind"], email: string | null): Cell[] {
  if (kind === "user" && email !== null) return value(email);
  return profileKind(kind);
}

/** Names the holder of a restored Profile, who is the one it had when it was removed. */
function restoredHolderCells(profile: ProfileChange): Cell[] {
  if (profile.email === null) return words("same deploy namespace, data kept");
  return [...value(profile.email), ...words("same holder, namespace and data kept")];
}

/** Names a user's private profile: its namespace is the username. */
function privateProfile(username: string): Cell[] {
  return [...value(username), ...words("private profile")];
}

function roleCells(role: AccessRole | null): Cell[] {
  if (role === null) return [];
  return role === "cake-admin" ? words("cake-admin (ClusterRoleBinding)") : value(role);
}

function listCells(profiles: readonly string[], max: number): Cell[] {
  const cells = profiles.slice(0, max).flatMap((profile) => value(profile));
  const rest = profiles.length - max;
  return rest > 0 ? [...cells, ...words(`and ${rest} more`)] : cells;
}

const CLOUD_LABELS: Record<CloudIdentityChange["field"], string> = {
  "aws-role": "IAM role",
  "aws-permissions-boundary": "IAM permissions boundary",
  "aws-policy": "IAM policy",
  "gcp-service-account": "GCP service account",
  "gcp-role": "GCP role",
};

/**
 * Groups cloud identity changes that are the same for several profiles (a default policy
 * added to every role, say) into one row that lists the profiles.
 */
function cloudIdentityRows(changes: readonly CloudIdentityChange[], maxListedProfiles: number): PlanRow[] {
  const groups = new Map<string, { change: CloudIdentityChange; profiles: string[] }>();
  for (const change of changes) {
    const key = JSON.stringify([change.field, change.change, change.from, change.to]);
    const group = groups.get(key);
    if (group) group.profiles.push(change.profile);
    else groups.set(key, { change, profiles: [change.profile] });
  }

  return [...groups.values()].map(({ change, profiles }) => ({
    kind: "other",
    marker: markerOf(change.change),
    change: `${CLOUD_LABELS[change.field]} ${change.change}`,
    subject: [],
    where: listCells(profiles, maxListedProfiles),
    from: optional(change.from),
    to: optional(change.to),
  }));
}
