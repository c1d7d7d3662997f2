/**
 * Username conventions: how a team derives usernames from emails. Cake infers the
 * convention most existing usernames follow, warns about usernames that depart from
 * it, and proposes usernames for new users.
 */

import { reservedNameReason } from "../config/rules/reserved.js";
import { CakeError } from "../errors.js";
import { DNS1123_LABEL, NAME_LIMITS } from "../model/names.js";
import type { Deployment } from "../model/types.js";

/**
 * The parts of an email a username is derived from, in the compatibility form (NFKC), so
 * that a fullwidth or ligature letter gives the letter it stands for (`ｂob` gives `bob`).
 */
export interface EmailParts {
  /** The part before the last `@`, in NFKC and lower-cased. */
  local: string;
  /** The part after the last `@`, in NFKC and lower-cased. */
  domain: string;
  /** The first word of the local part without its `+tag`, when that has at least two words. */
  first?: string;
  /** The last word of the local part without its `+tag`, when that has at least two words. */
  last?: string;
  /** All words of the local part: runs of letters and digits. */
  words: readonly string[];
}

export interface UsernameConvention {
  id: string;
  /** Description of the convention, for messages. */
  description: string;
  /** The username this convention gives for an email, or undefined when it does not apply. */
  derive(parts: EmailParts): string | undefined;
}

/**
 * Parts of emails split before. `cake user import` infers the convention from every user for
 * each row, so without it a large import spends most of its time splitting the same emails.
 */
const splitEmails = new Map<string, Readonly<EmailParts>>();
const SPLIT_EMAILS_LIMIT = 200_000;

/** Splits an email into the parts conventions use. The result is shared: do not change it. */
export function emailParts(email: string): Readonly<EmailParts> {
  const known = splitEmails.get(email);
  if (known !== undefined) return known;
  const parts = splitEmail(email);
  if (splitEmails.size >= SPLIT_EMAILS_LIMIT) splitEmails.clear();
  splitEmails.set(email, parts);
  return parts;
}

function splitEmail(written: string): EmailParts {
  const email = written.normalize("NFKC");
  const at = email.lastIndexOf("@");
  const local = (at >= 0 ? email.slice(0, at) : email).toLowerCase();
  const domain = (at >= 0 ? email.slice(at + 1) : "").toLowerCase();
  const words = local.split(/[^a-z0-9]+/).filter((word) => word !== "");
  const parts: EmailParts = { local, domain, words };
  // A `+tag` sub-address is no part of the person's name.
  const nameWords = (local.split("+")[0] ?? "").split(/[^a-z0-9]+/).filter((word) => word !== "");
  if (nameWords.length >= 2) {
    parts.first = nameWords[0];
    parts.last = nameWords[nameWords.length - 1];
  }
  return parts;
}

/** The conventions cake recognizes, in order of preference when several fit equally. */
export const USERNAME_CONVENTIONS: readonly UsernameConvention[] = [
  {
    id: "local-hyphenated",
    description: "the email's local part with dots, underscores and plus signs turned into hyphens",
    derive: (parts) => (parts.words.length > 0 ? parts.words.join("-") : undefined),
  },
  {
    id: "first-last",
    description: "first and last name joined by a hyphen (first.last becomes first-last)",
    derive: (parts) => (parts.first && parts.last ? `${parts.first}-${parts.last}` : undefined),
  },
  {
    id: "initial-last",
    description: "first initial followed by the last name (alice.smith becomes asmith)",
    derive: (parts) => (parts.first && parts.last ? `${parts.first[0]}${parts.last}` : undefined),
  },
  {
    id: "local-joined",
    description: "the email's local part without separators",
    derive: (parts) => (parts.words.length > 0 ? parts.words.join("") : undefined),
  },
  {
    id: "first-name",
    description: "the first word of the email's local part",
    derive: (parts) => parts.words[0],
  },
];

/** Minimum share of users that must follow a convention before cake infers it. */
export const INFERENCE_MIN_SHARE = 0.6;
/** Minimum number of users before cake infers a convention. */
export const INFERENCE_MIN_USERS = 5;

export interface InferredConvention {
  convention: UsernameConvention;
  /** Users whose username is what the convention gives. */
  followers: number;
  /** Users the convention applies to (their email has the parts it needs). */
  applicable: number;
  total: number;
}

/**
 * Infers the convention that a clear majority of usernames follow: at least 60% of at
 * least 5 users. Returns undefined when no convention reaches that share.
 */
export function inferConvention(
  users: readonly { email: string; username: string }[],
): InferredConvention | undefined {
  const tally = new ConventionTally();
  for (const user of users) tally.add(user);
  return tally.inferred();
}

/**
 * How many users each convention applies to and how many follow it. The counts of a user are
 * added to the others', so an import that adds users one by one keeps a tally instead of
 * inferring the convention from every user again for each row.
 */
export class ConventionTally {
  private readonly followers = USERNAME_CONVENTIONS.map(() => 0);
  private readonly applicable = USERNAME_CONVENTIONS.map(() => 0);
  private total = 0;

  /** Number of users added. */
  get userCount(): number {
    return this.total;
  }

  add(user: { email: string; username: string }): void {
    const parts = emailParts(user.email);
    this.total++;
    USERNAME_CONVENTIONS.forEach((convention, index) => {
      const expected = convention.derive(parts);
      if (expected === undefined) return;
      this.applicable[index] = (this.applicable[index] as number) + 1;
      if (expected === user.username) this.followers[index] = (this.followers[index] as number) + 1;
    });
  }

  /** Returns the convention that at least 60% of at least 5 users follow, or undefined. */
  inferred(): InferredConvention | undefined {
    if (this.total < INFERENCE_MIN_USERS) return undefined;
    let best: InferredConvention | undefined;
    USERNAME_CONVENTIONS.forEach((convention, index) => {
      const followers = this.followers[index] as number;
      // Earlier conventions win ties, so the order of USERNAME_CONVENTIONS is the preference.
      if (!best || followers > best.followers) {
        best = { convention, followers, applicable: this.applicable[index] as number, total: this.total };
      }
    });
    if (!best || best.followers / this.total < INFERENCE_MIN_SHARE) return undefined;
    return best;
  }
}

/**
 * The names a proposed username must avoid (users and deploy namespaces) and the convention
 * tally of the users. An import keeps one and adds each user it adds, so proposing a username
 * for a row does not read every user again.
 */
export class UsernameIndex {
  private readonly takenNames: Set<string>;
  private readonly tally = new ConventionTally();

  constructor(deployment: Pick<Deployment, "users" | "deployNamespaces">) {
    this.takenNames = new Set(deployment.deployNamespaces.map((namespace) => namespace.name));
    for (const user of deployment.users) this.add(user);
  }

  add(user: { email: string; username: string }): void {
    this.takenNames.add(user.username);
    this.tally.add(user);
  }

  has(name: string): boolean {
    return this.takenNames.has(name);
  }

  inferred(): InferredConvention | undefined {
    return this.tally.inferred();
  }

  /** Number of users the convention is inferred from. */
  get userCount(): number {
    return this.tally.userCount;
  }
}

/** Turns a derived name into a DNS-1123 label of at most 63 characters. */
export function toLabel(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .slice(0, NAME_LIMITS.kubernetesLabel)
    .replace(/^-+|-+$/g, "");
}

export interface UsernamePattern {
  regex: RegExp;
  /** Named groups of the pattern that name email parts (`local`, `domain`, `first`, `last`). */
  groups: (keyof EmailParts)[];
}

const PART_GROUPS = ["local", "domain", "first", "last"] as const;

/** Compiles `identity.username_pattern`; undefined when it is missing or does not compile (the loader reports that). */
export function compileUsernamePattern(pattern: string | undefined): UsernamePattern | undefined {
  if (pattern === undefined) return undefined;
  try {
    // Anchored as the loader anchors it: the whole username must match.
    const regex = new RegExp(`^(?:${pattern})$`, "u");
    const groups = PART_GROUPS.filter((group) => new RegExp(`\\(\\?<${group}>`).test(pattern));
    return { regex, groups };
  } catch {
    return undefined;
  }
}

/**
 * Checks the named groups of a username pattern against the email: each captured
 * group must equal the email part of that name (hyphenated, since usernames cannot
 * hold dots), or be its first letter. Returns the groups that disagree.
 */
export function mismatchedGroups(
  pattern: UsernamePattern,
  email: string,
  username: string,
): { group: string; captured: string; expected: string }[] {
  const match = pattern.regex.exec(username);
  if (!match?.groups) return [];
  const parts = emailParts(email);
  const mismatches: { group: string; captured: string; expected: string }[] = [];
  for (const group of pattern.groups) {
    const captured = match.groups[group];
    const part = parts[group];
    if (captured === undefined || typeof part !== "string") continue;
    const expected = group === "local" || group === "domain" ? toLabel(part) : part;
    const initial = captured.length === 1 && expected.startsWith(captured);
    if (captured !== expected && !initial) mismatches.push({ group, captured, expected });
  }
  return mismatches;
}

export interface UsernameProposal {
  username: string;
  /** Why this username: the convention or pattern it follows. */
  reason: string;
}

/**
 * Proposes a username for a new user: from `identity.username_pattern` when set, else
 * from the inferred convention, else the local part hyphenated. A name already taken by
 * a user, a deploy namespace or a Profile in `removedForOthers` gets a numeric suffix.
 * `index` contains the users and deploy namespaces of `deployment`. A caller that proposes many
 * usernames keeps one up to date instead of letting each call build it.
 */
export function proposeUsername(
  email: string,
  deployment: Deployment,
  removedForOthers: Pick<ReadonlySet<string>, "has"> = new Set(),
  index: UsernameIndex = new UsernameIndex(deployment),
): UsernameProposal {
  const parts = emailParts(email);
  const pattern = compileUsernamePattern(deployment.identity.usernamePattern);
  let username: string | undefined;
  let reason: string;

  if (pattern) {
    const fitting = USERNAME_CONVENTIONS.map((convention) => ({
      convention,
      name: convention.derive(parts),
    })).find(
      ({ name }) =>
        name !== undefined &&
        pattern.regex.test(toLabel(name)) &&
        mismatchedGroups(pattern, email, toLabel(name)).length === 0,
    );
    username = fitting?.name;
    reason = fitting
      ? `it matches identity.username_pattern (${fitting.convention.description})`
      : "no known convention matches identity.username_pattern, so it is the email's local part hyphenated";
  } else {
    const inferred = index.inferred();
    const derived = inferred?.convention.derive(parts);
    // A local part without letters or digits ("._", "Ü") derives an empty name.
    username = derived === undefined || toLabel(derived) === "" ? undefined : derived;
    if (inferred === undefined && index.userCount < INFERENCE_MIN_USERS) {
      reason =
        `it is the email's local part hyphenated (cake infers a convention from ${INFERENCE_MIN_USERS} users or more, ` +
        `and this deployment has ${index.userCount})`;
    } else if (inferred === undefined) {
      reason = "it is the email's local part hyphenated (no convention is followed by most users)";
    } else if (username === undefined) {
      // A one-word local part such as "nora" has no first and last name to apply the convention to.
      reason =
        `the convention ${inferred.followers} of ${inferred.total} users follow, ${inferred.convention.description}, ` +
        "does not apply to this email's local part, so it is the local part hyphenated";
    } else {
      reason = `it follows the convention ${inferred.followers} of ${inferred.total} users follow: ${inferred.convention.description}`;
    }
  }

  const label = toLabel(username ?? USERNAME_CONVENTIONS[0]?.derive(parts) ?? "");
  const unusable = [...new Set(parts.local.match(/[^a-z0-9._+-]/gu) ?? [])];
  if (label === "") {
    reason = 'the email\'s local part has no letters or digits a username can use, so it is "user"';
  } else if (unusable.length > 0) {
    reason += `; a username holds only a-z, 0-9 and -, so it leaves out ${unusable.map((character) => JSON.stringify(character)).join(", ")} of the email`;
  }
  const proposed = uniqueName(
    label || "user",
    deployment,
    (name) => index.has(name) || removedForOthers.has(name),
  );
  if (proposed !== (label || "user"))
    reason += `; "${label || "user"}" was taken, reserved or too long, so "${proposed}"`;
  return { username: proposed, reason };
}

/**
 * Returns `base`, shortened to fit every name derived from it and suffixed with `-2`, `-3`
 * when it is taken or reserved (`default@example.com` must not propose `default`). `isTaken`
 * returns true for the name of a user, a deploy namespace or a Profile that left the output for
 * another holder (whose namespace Argo CD keeps).
 */
function uniqueName(base: string, deployment: Deployment, isTaken: (name: string) => boolean): string {
  const namespaces = {
    // Without a cloud provider no identity namespace is generated, as the vars check assumes.
    identityNamespace: deployment.cloud.provider === "none" ? undefined : deployment.cloud.identityNamespace,
    argocdNamespace: deployment.gitops.argocdNamespace,
  };
  const usable = (name: string): boolean =>
    !isTaken(name) && DNS1123_LABEL.test(name) && reservedNameReason(name, namespaces) === undefined;
  const limit = usernameLimit(deployment);
  // A reserved prefix (`kube-`, `istio-`) stays reserved whatever the suffix, so it gets one in front.
  const unreserved = reservedNameReason(`${base}-2`, namespaces) === undefined ? base : `user-${base}`;
  // A GCP service account id needs 6 characters or more, prefix included: "bo" becomes "bo-user".
  const start = unreserved.length < usernameMinimum(deployment) ? `${unreserved}-user` : unreserved;
  const fitted = start.slice(0, limit).replace(/-+$/, "");
  if (usable(fitted)) return fitted;
  for (let suffix = 2; suffix < MAX_SUFFIX; suffix++) {
    const tail = `-${suffix}`;
    const candidate = `${start.slice(0, limit - tail.length).replace(/-+$/, "")}${tail}`;
    if (usable(candidate)) return candidate;
  }
  throw new CakeError(
    `cake found no free username for this email within ${limit} characters; pass --username to choose one.`,
  );
}

/** Suffixes tried before giving up; a deployment has far fewer users than this. */
const MAX_SUFFIX = 100_000;

/** Returns the shortest username whose GCP service account id is long enough; 1 elsewhere. */
function usernameMinimum(deployment: Deployment): number {
  const { cloud } = deployment;
  if (cloud.provider !== "gcp" || !cloud.gcp) return 1;
  return NAME_LIMITS.gcpServiceAccountIdMin - cloud.gcp.serviceAccountPrefix.length;
}

/** Returns the longest username whose derived names (namespace, IAM role, service account id) all fit. */
function usernameLimit(deployment: Deployment): number {
  const { cloud } = deployment;
  let limit: number = NAME_LIMITS.kubernetesLabel;
  if (cloud.provider === "aws" && cloud.aws)
    limit = Math.min(limit, NAME_LIMITS.awsRoleName - cloud.aws.roleNamePrefix.length);
  if (cloud.provider === "gcp" && cloud.gcp) {
    limit = Math.min(limit, NAME_LIMITS.gcpServiceAccountIdMax - cloud.gcp.serviceAccountPrefix.length);
  }
  return Math.max(limit, 1);
}
