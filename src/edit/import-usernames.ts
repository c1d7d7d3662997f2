/**
 * One username per person across the deployments of an ops repo, for `cake user import` and
 * `cake user add`. The username names the person's Profile and namespace, so a person added to
 * several deployments expects the same one in each. Each deployment's own proposal can differ,
 * because another user has the name in one of them, or because their users follow another
 * convention. An edit of one deployment reads the others too: a person keeps the username
 * they have there, and a name another person has there is not proposed.
 *
 * A person is an email compared ignoring case and Unicode form, as the duplicate-email rule
 * of a vars file compares them: one identity provider may send `Alice@example.com` where a
 * deployment behind another one, which lower-cases emails, has `alice@example.com`.
 */
import { emailLookalikeKey } from "../config/rules/emails.js";
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

/**
 * Reads the deployments of the repo that an edit does not change, for `shareUsernames`: their
 * users, and the Profiles that left their output, whose names a proposal avoids.
 */
export function otherDeployments(others: readonly EditTarget[]): Promise<ImportDeployment[]> {
  return importDeployments(others);
}

/**
 * The username of a row in every deployment that adds its user, or the reason there is none.
 * A problem is reported in the deployment `reportIn` alone, so that an import of several
 * deployments lists it once. The other deployments leave the row out without a message.
 */
export type SharedUsername =
  | {
      username: string;
      note?: string;
      /** True when the username is the one the person has in another deployment, so no other is accepted. */
      kept?: boolean;
    }
  | { problem: string; reportIn: string };

interface Tracked extends ImportDeployment {
  /** True for a deployment the edit changes, false for one whose users only constrain it. */
  target: boolean;
  index: UsernameIndex;
  /** Username by person (see `personKey`), with the users the rows before add. */
  usernames: Map<string, string>;
  /** The exact email by username, with the users the rows before add. */
  holders: Map<string, string>;
}

/**
 * The input that gives a new user's username: the `username` column of `cake user import`,
 * or `--username` of `cake user add`.
 */
export type UsernameInput = "column" | "option";

/**
 * Chooses one username for each row that adds a user and leaves the username column empty, by
 * the row's line. A person who exists in some deployment of the repo keeps that username. A new
 * person gets the name every target proposes when they agree and no other person has it in
 * another deployment, else a name free in all deployments, in the convention most of the
 * targets' proposals follow. A row that gives a username gets a problem when the person has
 * other usernames in `others` or another person has it there. Its conflicts in `deployments`
 * are left to the checks of each deployment. The rows are taken in order, and each row's
 * name is taken for the rows after it. Rows in `skipped` (such as a bad email) get none.
 * `input` is where the fix of a problem gives a username.
 */
export function shareUsernames(
  rows: readonly Pick<ImportRow, "line" | "email" | "username">[],
  deployments: readonly ImportDeployment[],
  skipped: ReadonlySet<number>,
  others: readonly ImportDeployment[] = [],
  input: UsernameInput = "column",
): Map<number, SharedUsername> {
  const tracked = [
    ...deployments.map((each) => track(each, true)),
    ...others.map((each) => track(each, false)),
  ];
  const shared = new Map<number, SharedUsername>();

  for (const row of rows) {
    if (row.email === "" || skipped.has(row.line)) continue;
    const person = personKey(row.email);
    const existing = tracked.filter((each) => each.usernames.has(person));
    const fresh = tracked.filter((each) => each.target && !each.usernames.has(person));
    const [first] = fresh;
    if (first === undefined) continue;

    let username = row.username;
    if (username === "") {
      const result =
        existing.length > 0
          ? keepUsername(row.email, existing, fresh, input)
          : agree(row.email, fresh, tracked);
      shared.set(row.line, result);
      if (!("username" in result)) continue;
      username = result.username;
    } else {
      // A target refuses a taken name or a rename itself, so only the rest of the repo is checked.
      const rest = tracked.filter((each) => !each.target);
      const leaveOut = ", or leave the username empty to get one chosen";
      const problem =
        keptNameConflict(row.email, tracked, fresh) ??
        otherUsernameProblem(row.email, username, rest, leaveOut) ??
        otherHolderProblem(row.email, username, rest, leaveOut);
      if (problem !== undefined) {
        shared.set(row.line, { problem, reportIn: first.name });
        continue;
      }
    }
    for (const each of fresh) {
      each.index.add({ email: row.email, username });
      each.usernames.set(person, username);
      each.holders.set(username, row.email);
    }
  }
  return shared;
}

/**
 * Returns why `username`, given on the command line for a new user, cannot be their one
 * username in every deployment of the repo, or undefined when it can. `deployments` are those
 * that add the person, `others` the rest of the repo. The person may already have another
 * username somewhere, or the name may be taken in a deployment that adds them, or be another
 * person's in the rest of the repo. With one deployment in `deployments`, a name taken there
 * is left to the edit, unless the person has that name elsewhere.
 */
export function givenUsernameProblem(
  email: string,
  username: string,
  deployments: readonly ImportDeployment[],
  others: readonly ImportDeployment[] = [],
): string | undefined {
  const person = personKey(email);
  const tracked = [
    ...deployments.map((each) => track(each, true)),
    ...others.map((each) => track(each, false)),
  ];
  const fresh = tracked.filter((each) => each.target && !each.usernames.has(person));
  // A person who exists in every target is refused there, as a duplicate email.
  if (fresh.length === 0) return undefined;
  const leaveOut = ", or leave --username out";
  const problem =
    keptNameConflict(email, tracked, fresh) ??
    otherUsernameProblem(email, username, tracked, leaveOut) ??
    otherHolderProblem(
      email,
      username,
      tracked.filter((each) => !each.target),
      leaveOut,
    );
  if (problem !== undefined) return problem;

  const existing = tracked.filter((each) => each.usernames.has(person));
  for (const each of fresh) {
    const reason = unavailable(each, person, username);
    if (reason === undefined) continue;
    if (existing.length > 0) return conflict(email, username, existing, each, reason);
    // The edit of a single deployment refuses the name with its own message, which names the
    // holder of a kept Profile.
    if (deployments.length < 2) return undefined;
    return (
      `"${username}" is ${reason.text} in ${each.name}; a person needs one username, which names their ` +
      "Profile, in every deployment, so choose a name free in all of them, or leave --username out to get one proposed"
    );
  }
  return undefined;
}

/** Returns the key that identifies a person across deployments: the email ignoring case and Unicode form. */
function personKey(email: string): string {
  return emailLookalikeKey(email);
}

function track(each: ImportDeployment, target: boolean): Tracked {
  return {
    ...each,
    target,
    index: new UsernameIndex(each.deployment),
    usernames: new Map(each.deployment.users.map((user) => [personKey(user.email), user.username])),
    holders: new Map(each.deployment.users.map((user) => [user.username, user.email])),
  };
}

/**
 * Returns why `username` cannot be the person's when they already have usernames in
 * `tracked`: it must be one of them. `leaveOut` ends the fix when leaving the username out
 * gives the person's one username.
 */
function otherUsernameProblem(
  email: string,
  username: string,
  tracked: readonly Tracked[],
  leaveOut: string,
): string | undefined {
  const person = personKey(email);
  const existing = tracked.filter((each) => each.usernames.has(person));
  const names = [...new Set(existing.map((each) => each.usernames.get(person) as string))];
  if (names.length === 0 || names.includes(username)) return undefined;
  const held = existing.map((each) => `"${each.usernames.get(person)}" in ${each.name}`).join(", ");
  // A person who already has several usernames gets no new one, so any of theirs is accepted.
  const choice =
    names.length === 1 ? `use "${names[0]}"${leaveOut}` : `use one of them, ${quotedList(names)}`;
  return (
    `${email} has ${names.length === 1 ? "username" : "usernames"} ${held}; a person needs one ` +
    `username, which names their Profile, in every deployment, so ${choice}`
  );
}

/**
 * Returns why `username` cannot go to a person who has no username in `others`: another person
 * has it there. `leaveOut` ends the fix.
 */
function otherHolderProblem(
  email: string,
  username: string,
  others: readonly Tracked[],
  leaveOut: string,
): string | undefined {
  const person = personKey(email);
  if (others.some((each) => each.usernames.has(person))) return undefined;
  for (const each of others) {
    const holder = each.holders.get(username);
    if (holder === undefined) continue;
    return (
      `"${username}" is the username of ${holder} in ${each.name}; a username names one person in ` +
      `every deployment, so choose another${leaveOut}`
    );
  }
  return undefined;
}

/** Returns the username the person has where they exist, when it is theirs to take everywhere else. */
function keepUsername(
  email: string,
  existing: readonly Tracked[],
  fresh: readonly Tracked[],
  input: UsernameInput,
): SharedUsername {
  const person = personKey(email);
  const [first] = fresh as [Tracked];
  const names = [...new Set(existing.map((each) => each.usernames.get(person) as string))];
  const [username] = names;
  if (username === undefined || names.length > 1) {
    const held = existing.map((each) => `"${each.usernames.get(person)}" in ${each.name}`).join(", ");
    // An import gives a target where the person exists the row as an update, which rejects
    // another username. `user add` skips such a target, so it needs no narrower --deployment.
    const alone =
      input === "column" && existing.some((each) => each.target)
        ? `, and run the command for ${fresh.map((each) => each.name).join(", ")} alone (--deployment ${fresh.length === 1 ? first.name : "NAME"})`
        : "";
    const give = input === "column" ? "as the username" : "with --username";
    return {
      problem:
        `${email} already has different usernames (${held}), so cake cannot choose one for ` +
        `${fresh.map((each) => each.name).join(", ")}; give one of them, ${quotedList(names)}, ${give}${alone}, ` +
        "so that no deployment adds another",
      reportIn: first.name,
    };
  }

  for (const each of fresh) {
    const reason = unavailable(each, person, username);
    if (reason === undefined) continue;
    return { problem: conflict(email, username, existing, each, reason), reportIn: each.name };
  }
  const source = existing.map((each) => each.name).join(", ");
  return { username, note: `the username ${spelledIn(existing, email)} has in ${source}`, kept: true };
}

/**
 * Returns the conflict message when the one username the person has in `tracked` is unavailable
 * in a deployment of `fresh`. A row or `--username` that gives another name gets it too,
 * because the fixes of the other messages, taking the person's username or leaving it out,
 * would both fail on that deployment.
 */
function keptNameConflict(
  email: string,
  tracked: readonly Tracked[],
  fresh: readonly Tracked[],
): string | undefined {
  const person = personKey(email);
  const existing = tracked.filter((each) => each.usernames.has(person));
  const names = new Set(existing.map((each) => each.usernames.get(person) as string));
  const [username] = names;
  if (username === undefined || names.size > 1) return undefined;
  for (const each of fresh) {
    const reason = unavailable(each, person, username);
    if (reason !== undefined) return conflict(email, username, existing, each, reason);
  }
  return undefined;
}

/**
 * Returns the message for a person whose username in `existing` is unavailable in `blocked`. The
 * person ends up with one username only when the name is freed there, or when they get a name
 * free everywhere where they are first, so the fix names both and no other.
 */
function conflict(
  email: string,
  username: string,
  existing: readonly Tracked[],
  blocked: Tracked,
  reason: Unavailable,
): string {
  const source = existing.map((each) => each.name).join(", ");
  const free = reason.free === undefined ? "" : `${reason.free} in ${blocked.name}, or `;
  return (
    `${spelledIn(existing, email)} has username "${username}" in ${source}, but in ${blocked.name} "${username}" is ${reason.text}. ` +
    `A person needs one username, which names their Profile, in every deployment, so ${free}` +
    `first give ${email} a username that is free in every deployment, in ${source}. A username ` +
    'change replaces the Profile and the namespace it names, so check it with "cake plan"'
  );
}

interface Unavailable {
  /** The reason the name is not free, such as `already used by bob@example.com`. */
  text: string;
  /** How to free it, when the name can be freed without touching a kept namespace. */
  free?: string;
}

/** Returns why `username` cannot go to a person in a deployment, or undefined when it can. */
function unavailable(each: Tracked, person: string, username: string): Unavailable | undefined {
  const holder = each.holders.get(username);
  if (holder !== undefined)
    return { text: `already used by ${holder}`, free: `give ${holder} another username` };
  if (each.deployment.deployNamespaces.some((namespace) => namespace.name === username)) {
    return { text: "a deploy namespace", free: "rename that deploy namespace" };
  }
  // The kept namespace still contains its last user's data, which cake does not delete.
  if (keptForPerson(each, person).has(username))
    return { text: "a Profile Argo CD keeps for its last holder" };
  return undefined;
}

/** Returns the kept Profiles of a deployment whose last holder is not the person, or unknown. */
function keptForPerson(each: Tracked, person: string): Set<string> {
  const names = Object.entries(each.removed)
    .filter(([, holder]) => holder === null || personKey(holder) !== person)
    .map(([name]) => name);
  return new Set(names);
}

/**
 * Returns the name every target proposes when no other person has it in any deployment, or
 * else one free in all of them.
 */
function agree(email: string, fresh: readonly Tracked[], tracked: readonly Tracked[]): SharedUsername {
  const kept = fresh.map((each) => keptForOthers(each.removed, email));
  const own = fresh.map((each, index) => proposeUsername(email, each.deployment, kept[index], each.index));
  const [proposal] = own;
  const agreed = own.every((each) => each.username === proposal?.username) ? proposal?.username : undefined;
  // The targets' own proposals avoid their own names, so only the other deployments can hold it.
  // A Profile that Argo CD keeps there for someone else clashes with no object of the targets,
  // which sync other clusters and name cloud identities with other prefixes. It is avoided all
  // the same: its last holder gets it back when added there again, and the new person could
  // not be added there under their one username.
  const person = personKey(email);
  const describeHolder = (each: Tracked, name: string): string | undefined => {
    const holder = each.holders.get(name);
    if (holder !== undefined) return `the username of ${holder}`;
    if (!keptForPerson(each, person).has(name)) return undefined;
    const last = each.removed[name];
    return last === null || last === undefined
      ? "the Profile of a removed deploy namespace, which Argo CD keeps"
      : `a Profile Argo CD keeps for ${last}`;
  };
  const elsewhere =
    agreed === undefined
      ? undefined
      : tracked.find((each) => !each.target && describeHolder(each, agreed) !== undefined);
  if (agreed !== undefined && elsewhere === undefined) return { username: agreed };

  // Each target proposes again, avoiding the names taken in any deployment. The proposals can
  // still differ when the targets follow different conventions; the most common one wins,
  // and among equals the first target's.
  const takenAnywhere = {
    has: (name: string) =>
      tracked.some((each) => describeHolder(each, name) !== undefined) ||
      fresh.some((each, index) => each.index.has(name) || kept[index]?.has(name)),
  };
  const free = fresh.map(
    (each) => proposeUsername(email, each.deployment, takenAnywhere, each.index).username,
  );
  const votes = new Map<string, number>();
  for (const name of free) votes.set(name, (votes.get(name) ?? 0) + 1);
  const username = [...votes.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  if (agreed !== undefined && elsewhere !== undefined) {
    return {
      username,
      note: `a name free in every deployment ("${agreed}" is ${describeHolder(elsewhere, agreed)} in ${elsewhere.name})`,
    };
  }
  return { username, note: "free in every deployment that gets the user" };
}

/**
 * Returns the person's email as the first of `existing` writes it, which can differ from
 * `email` in case or Unicode form, so a message names the entry a reader can find there.
 */
function spelledIn(existing: readonly Tracked[], email: string): string {
  const person = personKey(email);
  const [first] = existing;
  const username = first?.usernames.get(person);
  return (username === undefined ? undefined : first?.holders.get(username)) ?? email;
}

function quotedList(names: readonly string[]): string {
  const quoted = names.map((name) => `"${name}"`);
  return quoted.length < 2 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}
