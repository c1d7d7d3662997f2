import type { DeploymentPlan, PlanSummary } from "./types.js";

/** Counts the changes of every deployment plan. */
export function summarizePlans(plans: readonly DeploymentPlan[]): PlanSummary {
  const summary: PlanSummary = {
    deploymentsAdded: 0,
    deploymentsRemoved: 0,
    deploymentsChanged: 0,
    deploymentsUnchanged: 0,
    usersAdded: 0,
    usersRemoved: 0,
    usersDisabled: 0,
    usersEnabled: 0,
    usersRenamed: 0,
    accessGained: 0,
    accessLost: 0,
    accessChanged: 0,
    profilesCreated: 0,
    profilesRemoved: 0,
    profilesHandedOver: 0,
    profilesRestored: 0,
    removedProfilesForgotten: 0,
    destructiveChanges: 0,
  };

  for (const plan of plans) {
    if (plan.status === "added") summary.deploymentsAdded++;
    if (plan.status === "removed") summary.deploymentsRemoved++;
    if (plan.status === "changed") summary.deploymentsChanged++;
    if (plan.status === "unchanged") summary.deploymentsUnchanged++;

    for (const user of plan.users) {
      if (user.change === "added") summary.usersAdded++;
      if (user.change === "removed") summary.usersRemoved++;
      if (user.change === "disabled") summary.usersDisabled++;
      if (user.change === "enabled") summary.usersEnabled++;
      if (user.change === "username-changed") summary.usersRenamed++;
    }
    for (const access of plan.access) {
      if (access.change === "gained") summary.accessGained++;
      if (access.change === "lost") summary.accessLost++;
      if (access.change === "changed") summary.accessChanged++;
    }
    for (const profile of plan.profiles) {
      if (profile.change === "created") summary.profilesCreated++;
      if (profile.change === "removed") summary.profilesRemoved++;
      if (profile.change === "handed-over") summary.profilesHandedOver++;
      if (profile.change === "restored") summary.profilesRestored++;
      if (profile.destructive) summary.destructiveChanges++;
    }
    summary.removedProfilesForgotten += plan.forgottenRemovedProfiles.length;
    if (plan.owner) summary.destructiveChanges++;
  }
  return summary;
}

/** True when any deployment plan deletes a Profile, hands one over, or changes the Profile owner. */
export function isDestructive(plans: readonly DeploymentPlan[]): boolean {
  return plans.some((plan) => plan.destructive);
}

/** Describes the counts in one line, such as "Users: 1 added; Access: 2 gained, 1 lost". */
export function describeSummary(summary: PlanSummary): string {
  const groups: [string, [number, string][]][] = [
    [
      "Deployments",
      [
        [summary.deploymentsAdded, "added"],
        [summary.deploymentsRemoved, "removed"],
        [summary.deploymentsChanged, "changed"],
        [summary.deploymentsUnchanged, "unchanged"],
      ],
    ],
    [
      "Users",
      [
        [summary.usersAdded, "added"],
        [summary.usersRemoved, "removed"],
        [summary.usersDisabled, "disabled"],
        [summary.usersEnabled, "re-enabled"],
        [summary.usersRenamed, "with a new username"],
      ],
    ],
    [
      "Access",
      [
        [summary.accessGained, "gained"],
        [summary.accessLost, "lost"],
        [summary.accessChanged, "changed"],
      ],
    ],
    [
      "Profiles",
      [
        [summary.profilesCreated, "created"],
        [summary.profilesRemoved, "removed"],
        [summary.profilesHandedOver, "handed over"],
        [summary.profilesRestored, "restored"],
        [summary.removedProfilesForgotten, "no longer recorded as removed"],
      ],
    ],
  ];

  const parts: string[] = [];
  for (const [label, counts] of groups) {
    const nonZero = counts.filter(([count]) => count > 0).map(([count, word]) => `${count} ${word}`);
    if (nonZero.length > 0) parts.push(`${label}: ${nonZero.join(", ")}`);
  }
  return parts.length > 0 ? parts.join("; ") : "No deployments";
}
