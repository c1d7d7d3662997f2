/**
 * One username per person across the deployments of `cake user import` and `cake user add`
 * with `--deployment all`. The username names the person's Profile and namespace, so a person
 * added to several deployments expects the same one in each. Each deployment's own proposal
 * can differ, because another user has the name in one of them, or because their users follow
 * another convention.
 */
import { proposeUsername, UsernameIndex } from "../identity/convention.js";
import type { Deployment } from "../model/types.js";
import type { ImportRow } from "./import-rows.js";
import { type EditTarget, keptForOthers, removedProfilesOf } from "./session.js";

/** A deployment an import applies to, with the Profiles that left its output and their last holders. */
export interface ImportDeployment {
  name: string;
  deployment: Deployment;
  removed: Readonly<Record<string, string | null>>;
}

/** Reads the Profiles that left the output of each target, for `shareUsernames`. */
export function importDeployments(targets: readonly EditTarget[]): Promise<ImportDeployment[]> {
  return Promise.all(
    targets.map(async (target) => ({
      name: target.name,
      deployment: target.deployment,
      removed: await removedProfilesOf(target),
    })),
  );
}

/** The username of a row in every deployment that adds its user, or why there is none. */
export type SharedUsername = { username: string; note?: string } | { problem: string };

interface Tracked extends ImportDeployment {
  index: UsernameIndex;
  /** Username by exact email, with the users the rows before add. */
  usernames: Map<string, string>;
  /** Email by username, with the users the rows before add. */
  holders: Map<string, string>;
}

/**
 * Chooses one username for each row that adds a user and leaves the username column empty, by
 * the row's line. A person who exists in some deployment keeps that username in the others.
 * A new person gets the name every deployment proposes when they agree, else a name free in all
 * of them, in the convention most of their proposals follow. The rows are taken in order, and
 * each row's name is taken for the rows after it. Rows in `skipped` (such as a bad email) get none.
 */
export function shareUsernames(
  rows: readonly Pick<ImportRow, "line" | "email" | "username">[],
  deployments: readonly ImportDeployment[],
  skipped: ReadonlySet<number>,
): Map<number, SharedUsername> {
  const tracked = deployments.map(track);
  const shared = new Map<number, SharedUsername>();

  for (const row of rows) {
    if (row.email === "" || skipped.has(row.line)) continue;
    const existing = tracked.filter((each) => each.usernames.has(row.email));
    const fresh = tracked.filter((each) => !each.usernames.has(row.email));
    if (fresh.length === 0) continue;

    let username = row.username;
    if (username === "") {
      const result = existing.length > 0 ? keepUsername(row.email, existing, fresh) : agree(row.email, fresh);
      shared.set(row.line, result);
      if (!("username" in result)) continue;
      username = result.username;
    }
    for (const each of fresh) {
      each.index.add({ email: row.email, username });
      each.usernames.set(row.email, username);
      each.holders.set(username, row.email);
    }
  }
  return shared;
}

/**
 * Returns why `username`, given on the command line for a person added with `--deployment all`,
 * cannot be their one username in every deployment, or undefined when it can. The person may
 * already have another username in some deployment, or the name may be taken in one that adds them.
 */
export function givenUsernameProblem(
  email: string,
  username: string,
  deployments: readonly ImportDeployment[],
): string | undefined {
  const tracked = deployments.map(track);
  const other = tracked.find((each) => each.usernames.has(email) && each.usernames.get(email) !== username);
  if (other !== undefined) {
    const theirs = other.usernames.get(email) as string;
    return (
      `${email} has username "${theirs}" in ${other.name}; a person needs one username, which names their ` +
      `Profile, in every deployment, so pass --username ${theirs} or leave --username out`
    );
  }
  // A person who has the username somewhere keeps it, so the fix is in the deployment that refuses it.
  const existing = tracked.some((each) => each.usernames.has(email));
  for (const each of tracked.filter((deployment) => !deployment.usernames.has(email))) {
    const reason = unavailable(each, email, username);
    if (reason === undefined) continue;
    const fix = existing
      ? `free the name there, or run the command for ${each.name} alone (--deployment ${each.name}) with another username`
      : "choose a name free in all of them, or leave --username out to get one proposed";
    return `"${username}" is ${reason} in ${each.name}; a person needs one username, which names their Profile, in every deployment, so ${fix}`;
  }
  return undefined;
}

function track(each: ImportDeployment): Tracked {
  return {
    ...each,
    index: new UsernameIndex(each.deployment),
    usernames: new Map(each.deployment.users.map((user) => [user.email, user.username])),
    holders: new Map(each.deployment.users.map((user) => [user.username, user.email])),
  };
}

/** Returns the username the person has where they exist, when it is theirs to take everywhere else. */
function keepUsername(
  email: string,
  existing: readonly Tracked[],
  fresh: readonly Tracked[],
): SharedUsername {
  const names = [...new Set(existing.map((each) => each.usernames.get(email) as string))];
  const [username] = names;
  if (username === undefined || names.length > 1) {
    const held = existing.map((each) => `"${each.usernames.get(email)}" in ${each.name}`).join(", ");
    return {
      problem:
        `${email} already has different usernames (${held}), so cake cannot choose one for ` +
        `${fresh.map((each) => each.name).join(", ")}; run the command for each of those alone ` +
        "(--deployment NAME) with the username you choose",
    };
  }

  const source = existing.map((each) => each.name).join(", ");
  for (const each of fresh) {
    const reason = unavailable(each, email, username);
    if (reason === undefined) continue;
    return {
      problem:
        `${email} has username "${username}" in ${source}, but in ${each.name} "${username}" is ${reason}; ` +
        "a person needs one username, which names their Profile, in every deployment, so free the name " +
        `there, or run the command for ${each.name} alone (--deployment ${each.name}) with another username`,
    };
  }
  return { username, note: `the username ${email} has in ${source}` };
}

/** Returns why `username` cannot go to `email` in a deployment, or undefined when it can. */
function unavailable(each: Tracked, email: string, username: string): string | undefined {
  const holder = each.holders.get(username);
  if (holder !== undefined) return `already used by ${holder}`;
  if (each.deployment.deployNamespaces.some((namespace) => namespace.name === username)) {
    return "a deploy namespace";
  }
  if (keptForOthers(each.removed, email).has(username)) return "a Profile Argo CD keeps for its last holder";
  return undefined;
}

/** Returns the name every deployment proposes, or else one free in all of them. */
function agree(email: string, fresh: readonly Tracked[]): SharedUsername {
  const kept = fresh.map((each) => keptForOthers(each.removed, email));
  const own = fresh.map((each, index) => proposeUsername(email, each.deployment, kept[index], each.index));
  if (own.every((proposal) => proposal.username === own[0]?.username)) {
    return { username: own[0]?.username as string };
  }

  // Each deployment proposes again, avoiding the names taken in any of them. The proposals can
  // still differ when the deployments follow different conventions; the most common one wins,
  // and among equals the first deployment's.
  const takenAnywhere = {
    has: (name: string) => fresh.some((each, index) => each.index.has(name) || kept[index]?.has(name)),
  };
  const free = fresh.map(
    (each) => proposeUsername(email, each.deployment, takenAnywhere, each.index).username,
  );
  const votes = new Map<string, number>();
  for (const name of free) votes.set(name, (votes.get(name) ?? 0) + 1);
  const username = [...votes.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  return { username, note: "free in every deployment that gets the user" };
}
