/**
 * Renders a repo plan as JSON in the shape documented in docs/plan-json.md. Each object
 * is rebuilt key by key, so this file alone fixes the key order and tools that diff the
 * JSON see no churn.
 */
import type {
  AccessChange,
  CloudIdentityChange,
  DeploymentPlan,
  PlanSide,
  PlanSummary,
  ProfileChange,
  RepoPlan,
  UserChange,
} from "./types.js";

/** Version of the JSON shape. It changes only when a field is removed or changes meaning. */
export const PLAN_JSON_VERSION = 1;

export function renderPlanJson(plan: RepoPlan): string {
  const document = {
    version: PLAN_JSON_VERSION,
    base: side(plan.base),
    head: side(plan.head),
    notes: plan.notes,
    destructive: plan.deployments.some((deployment) => deployment.destructive),
    summary: summary(plan.summary),
    deployments: plan.deployments.map(deployment),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function side(value: PlanSide) {
  return { source: value.source, ref: value.ref, commit: value.commit, refCommit: value.refCommit };
}

function summary(value: PlanSummary) {
  return {
    deploymentsAdded: value.deploymentsAdded,
    deploymentsRemoved: value.deploymentsRemoved,
    deploymentsChanged: value.deploymentsChanged,
    deploymentsUnchanged: value.deploymentsUnchanged,
    usersAdded: value.usersAdded,
    usersRemoved: value.usersRemoved,
    usersDisabled: value.usersDisabled,
    usersEnabled: value.usersEnabled,
    usersRenamed: value.usersRenamed,
    accessGained: value.accessGained,
    accessLost: value.accessLost,
    accessChanged: value.accessChanged,
    profilesCreated: value.profilesCreated,
    profilesRemoved: value.profilesRemoved,
    profilesHandedOver: value.profilesHandedOver,
    profilesRestored: value.profilesRestored,
    removedProfilesForgotten: value.removedProfilesForgotten,
    destructiveChanges: value.destructiveChanges,
  };
}

function deployment(value: DeploymentPlan) {
  return {
    deployment: value.deployment,
    varsFile: value.varsFile,
    status: value.status,
    destructive: value.destructive,
    baseValid: value.baseValid,
    baseManifest: value.baseManifest,
    baseAccessFrom: value.baseAccessFrom,
    orphanedOutput: value.orphanedOutput,
    prunedOutput: value.prunedOutput,
    varsDeletedIn: value.varsDeletedIn,
    users: value.users.map(user),
    access: value.access.map(access),
    profiles: value.profiles.map(profile),
    forgottenRemovedProfiles: value.forgottenRemovedProfiles.map((entry) => ({
      profile: entry.profile,
      kind: entry.kind,
      email: entry.email,
    })),
    deployNamespaces: value.deployNamespaces.map((entry) => ({
      change: entry.change,
      namespace: entry.namespace,
    })),
    quotas: value.quotas.map((entry) => ({
      profile: entry.profile,
      key: entry.key,
      from: entry.from,
      to: entry.to,
    })),
    cloudIdentity: value.cloudIdentity.map(cloudIdentity),
    owner: value.owner
      ? {
          from: value.owner.from,
          to: value.owner.to,
          destructive: value.owner.destructive,
          reason: value.owner.reason,
        }
      : null,
    settings: value.settings.map((entry) => ({ field: entry.field, from: entry.from, to: entry.to })),
  };
}

function user(value: UserChange) {
  return {
    change: value.change,
    email: value.email,
    username: value.username,
    previousUsername: value.previousUsername,
  };
}

function access(value: AccessChange) {
  return {
    change: value.change,
    email: value.email,
    namespace: value.namespace,
    from: value.from,
    to: value.to,
  };
}

function profile(value: ProfileChange) {
  return {
    change: value.change,
    profile: value.profile,
    kind: value.kind,
    email: value.email,
    previousKind: value.previousKind,
    previousEmail: value.previousEmail,
    destructive: value.destructive,
    reason: value.reason,
  };
}

function cloudIdentity(value: CloudIdentityChange) {
  return { change: value.change, profile: value.profile, field: value.field, from: value.from, to: value.to };
}
