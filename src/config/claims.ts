/**
 * Checks across vars files, of names that a deployment claims outside its own folder:
 *
 * - `duplicate-app-name`: two deployments whose Argo CD Applications one Argo CD instance
 *   would keep under the same name. `kubectl apply -k deployments/<name>/argocd` of the
 *   second replaces the first deployment's Application and AppProject, and the first
 *   deployment's output stops syncing without any error: revoked access stays in its cluster.
 * - `duplicate-cloud-identity`: two deployments that generate their cloud identities in the
 *   same AWS account or GCP project with prefixes of which one starts with the other (equal
 *   included). A profile of each can then get one IAM role or service account, declared by two
 *   clusters with different trust and permissions. IAM grants made through Config Connector
 *   only add, so the workloads of one deployment get the permissions granted in the other.
 * - `duplicate-destination`: two deployments that sync to the same remote API server. Both
 *   would manage the same cluster-scoped objects (Profiles, the `cake-admin` ClusterRoleBinding),
 *   and a username of one would reach the private namespace of the other's user.
 */

import { type CloudIdentityScope, type DeploymentClaims, deploymentClaims } from "../model/claims.js";
import { IN_CLUSTER_SERVER, NAME_LIMITS } from "../model/names.js";
import type { Diagnostic } from "./diagnostics.js";
import { withTextPositions } from "./text-positions.js";

export { type CloudIdentityScope, type DeploymentClaims, deploymentClaims };

/**
 * Returns every error of the checks across files, for `targets` against each other and
 * against `others` (deployments that were not loaded, which get no error of their own).
 */
export function claimCollisions(
  targets: readonly DeploymentClaims[],
  sources: Readonly<Record<string, string>>,
  others: readonly DeploymentClaims[] = [],
): Diagnostic[] {
  return [
    ...applicationNameCollisions(targets, sources, others),
    ...destinationCollisions(targets, sources, others),
    ...cloudIdentityCollisions(targets, sources, others),
  ];
}

/**
 * Returns an error for each of `targets` whose `gitops.destination_server` is another
 * deployment's as well. The in-cluster default names a different cluster in each deployment,
 * because each then runs its own Argo CD, so it is left out.
 */
export function destinationCollisions(
  targets: readonly DeploymentClaims[],
  sources: Readonly<Record<string, string>>,
  others: readonly DeploymentClaims[] = [],
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const all = [...targets, ...others];
  const inCluster = serverKey(IN_CLUSTER_SERVER);
  for (const target of targets) {
    const key = serverKey(target.destinationServer);
    if (key === inCluster) continue;
    const partners = all.filter((other) => other !== target && serverKey(other.destinationServer) === key);
    if (partners.length === 0) continue;
    const diagnostic: Diagnostic = {
      severity: "error",
      code: "duplicate-destination",
      file: target.varsFile,
      line: 0,
      column: 0,
      path: "gitops.destination_server",
      message:
        `"${target.destinationServer}" is also the destination of ${partners.map((other) => other.varsFile).join(", ")}: ` +
        "both deployments would manage the same Profiles and cake-admin ClusterRoleBinding in one cluster, " +
        "and a username in one would reach the private namespace of the other's user. Give each deployment " +
        "its own cluster, or merge the users into one vars file.",
      mentionedFiles: partners.map((other) => other.varsFile),
    };
    diagnostics.push(
      locateAt(diagnostic, sources[target.varsFile], [{ pattern: /^gitops:/m, path: "gitops" }]),
    );
  }
  return diagnostics;
}

/**
 * Returns an error for each of `targets` whose Application shares its namespace and name with
 * another's, when one of them syncs to a remote cluster. Deployments that all sync in-cluster
 * run an Argo CD each, so equal names there are fine. A remote destination means one Argo CD
 * manages several clusters, and then the names must differ. `others` are deployments that
 * were not loaded (reconcile found them up to date): they count as partners but get no
 * error of their own. `sources` contains the vars texts by file, to find the line of
 * `gitops.app_name`.
 */
export function applicationNameCollisions(
  targets: readonly DeploymentClaims[],
  sources: Readonly<Record<string, string>>,
  others: readonly DeploymentClaims[] = [],
): Diagnostic[] {
  const byApplication = new Map<string, DeploymentClaims[]>();
  for (const target of [...targets, ...others]) {
    const key = `${target.argocdNamespace}/${target.appName}`;
    byApplication.set(key, [...(byApplication.get(key) ?? []), target]);
  }

  const reported = new Set(targets);
  const diagnostics: Diagnostic[] = [];
  for (const group of byApplication.values()) {
    if (group.length < 2) continue;
    if (group.every((target) => serverKey(target.destinationServer) === serverKey(IN_CLUSTER_SERVER)))
      continue;
    for (const target of group) {
      if (!reported.has(target)) continue;
      const partners = group.filter((other) => other !== target).map((other) => other.varsFile);
      const diagnostic: Diagnostic = {
        severity: "error",
        code: "duplicate-app-name",
        file: target.varsFile,
        line: 0,
        column: 0,
        path: "gitops.app_name",
        message:
          `Argo CD Application "${target.appName}" in namespace "${target.argocdNamespace}" is also the ` +
          `Application of ${partners.join(", ")}, and a gitops.destination_server outside the cluster ` +
          "means one Argo CD manages them: applying the second argocd/ folder replaces the first " +
          `deployment's Application. Set a distinct gitops.app_name${suggestion(target)}, apply the new ` +
          "argocd/ folder, then delete the old Application: it has no resources finalizer, so nothing " +
          "it synced is deleted.",
        mentionedFiles: partners,
      };
      diagnostics.push(locate(diagnostic, sources[target.varsFile]));
    }
  }
  return diagnostics;
}

/**
 * Returns the API server a URL names, so that spellings of one server compare equal: the
 * host in lower case, without the default port 443 and without a trailing slash (the URL
 * parser does the first two). A URL that does not parse is compared as written.
 */
export function serverKey(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, "")}`;
  } catch {
    return url;
  }
}

/**
 * Returns an error for each of `targets` whose cloud identity prefix, in the same AWS account
 * or GCP project as another deployment, equals the other's or starts it. Prefixes `team-` and
 * `team-a-` both give `team-a-ml`, for profiles `a-ml` and `ml`. The names need not collide
 * yet, because the next user added to either deployment could make them collide.
 */
export function cloudIdentityCollisions(
  targets: readonly DeploymentClaims[],
  sources: Readonly<Record<string, string>>,
  others: readonly DeploymentClaims[] = [],
): Diagnostic[] {
  const byScope = new Map<string, DeploymentClaims[]>();
  for (const target of [...targets, ...others]) {
    const identity = target.cloudIdentity;
    if (identity === undefined) continue;
    const key = JSON.stringify([identity.provider, identity.scope]);
    byScope.set(key, [...(byScope.get(key) ?? []), target]);
  }

  const reported = new Set(targets);
  const diagnostics: Diagnostic[] = [];
  for (const group of byScope.values()) {
    const prefixOf = (claims: DeploymentClaims) => claims.cloudIdentity?.prefix ?? "";
    const partnersOf = (target: DeploymentClaims) =>
      group.filter((other) => other !== target && overlaps(prefixOf(target), prefixOf(other)));
    // Each example ends the collision when only its own file changes, and still does when the
    // others follow theirs: it avoids every other prefix and the examples given before it, in
    // name order. The empty prefix overlaps every other, so its own file must change anyway.
    const colliding = group.filter((target) => partnersOf(target).length > 0);
    const examples = new Map<DeploymentClaims, string | undefined>();
    const inNameOrder = [...colliding].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const target of inNameOrder) {
      const others = group.filter((other) => other !== target).map(prefixOf);
      const suggested = [...examples.values()].filter((example): example is string => example !== undefined);
      // Every prefix starts with the empty one, so beside it only the other file's change helps.
      const beside = partnersOf(target).some((other) => prefixOf(other) === "") && prefixOf(target) !== "";
      examples.set(
        target,
        beside
          ? undefined
          : prefixExample(target, [...others.filter((prefix) => prefix !== ""), ...suggested]),
      );
    }
    for (const target of colliding) {
      const identity = target.cloudIdentity;
      if (!reported.has(target) || identity === undefined) continue;
      const example = examples.get(target);
      diagnostics.push(
        cloudIdentityDiagnostic(target, identity, partnersOf(target), example, sources[target.varsFile]),
      );
    }
  }
  return diagnostics;
}

/**
 * Returns true when some profile name under `prefix` and some under `other` give one identity.
 * That is so when the prefixes are equal, or when the longer one is the shorter one followed by
 * the start of a profile name, a DNS label (lower-case letters, digits and `-`, starting with a
 * letter or digit).
 */
function overlaps(prefix: string, other: string): boolean {
  const [shorter, longer] = prefix.length <= other.length ? [prefix, other] : [other, prefix];
  if (!longer.startsWith(shorter)) return false;
  const rest = longer.slice(shorter.length);
  return rest === "" || /^[a-z0-9][a-z0-9-]*$/.test(rest);
}

function cloudIdentityDiagnostic(
  target: DeploymentClaims,
  identity: CloudIdentityScope,
  partners: readonly DeploymentClaims[],
  example: string | undefined,
  text: string | undefined,
): Diagnostic {
  const aws = identity.provider === "aws";
  const field = aws ? "cloud.aws.role_name_prefix" : "cloud.gcp.service_account_prefix";
  const identities = aws
    ? `IAM roles "${identity.prefix}<profile>" in AWS account ${identity.scope}`
    : `service accounts "${identity.prefix}<profile>" in GCP project ${identity.scope}`;
  const equal = partners.filter((other) => other.cloudIdentity?.prefix === identity.prefix);
  const nested = partners.filter((other) => other.cloudIdentity?.prefix !== identity.prefix);
  const reasons: string[] = [];
  if (equal.length > 0) {
    reasons.push(
      `are also the cloud identities of ${equal.map((other) => other.varsFile).join(", ")}: a user of both ` +
        "deployments would get one identity",
    );
  }
  for (const other of nested) {
    const otherPrefix = other.cloudIdentity?.prefix ?? "";
    const [here, there, name] = sharedName(identity.prefix, otherPrefix);
    const unprefixed =
      otherPrefix === "" ? ", which sets no prefix, so only a prefix there can end this" : "";
    reasons.push(
      `overlap those of ${other.varsFile} (prefix "${otherPrefix}"${unprefixed}): profile "${here}" here and ` +
        `profile "${there}" there would both get "${name}"`,
    );
  }
  const diagnostic: Diagnostic = {
    severity: "error",
    code: "duplicate-cloud-identity",
    file: target.varsFile,
    line: 0,
    column: 0,
    path: field,
    message:
      `${identities} ${reasons.join("; and ")}, managed by two clusters with different trust and permissions. ` +
      `Set a ${field} in each file that does not start with the other's${example === undefined ? "" : `, such as "${example}" here`}.`,
    mentionedFiles: partners.map((other) => other.varsFile),
  };
  const section = aws ? "aws" : "gcp";
  return locateAt(diagnostic, text, [
    { pattern: new RegExp(`^[ \\t]+${field.split(".").at(-1)}:`, "m"), path: field },
    { pattern: new RegExp(`^[ \\t]+${section}:`, "m"), path: `cloud.${section}` },
    { pattern: /^cloud:/m, path: "cloud" },
  ]);
}

/**
 * Returns an example of two profile names, one under `prefix` and one under `other` (which
 * starts with it or is started by it), that give the same identity, and that identity.
 */
function sharedName(prefix: string, other: string): [string, string, string] {
  const example = "ml";
  if (other.startsWith(prefix)) {
    const rest = other.slice(prefix.length);
    return [`${rest}${example}`, example, `${other}${example}`];
  }
  const rest = prefix.slice(other.length);
  return [example, `${rest}${example}`, `${prefix}${example}`];
}

/** Short forms of common environment names, for GCP prefix examples. */
const ENVIRONMENT_ABBREVIATIONS: Readonly<Record<string, string>> = {
  production: "prod",
  staging: "stg",
  development: "dev",
};

/** Returns a short form of `environment`: a common abbreviation, or its first 6 letters and digits. */
function abbreviated(environment: string): string {
  return ENVIRONMENT_ABBREVIATIONS[environment] ?? environment.replace(/[^a-z0-9]/g, "").slice(0, 6);
}

/**
 * Returns a prefix for `target` that overlaps none of `avoided`, the prefixes of the other
 * deployments in its account or project, or undefined when no candidate does. AWS candidates
 * are made of the deployment name. GCP ones take a few letters of the environment and the
 * region, at most 10 characters, because the prefix and the profile name share the 30
 * characters of a service account id.
 */
function prefixExample(target: DeploymentClaims, avoided: readonly string[]): string | undefined {
  const { name } = target;
  const [environment = "", ...region] = name.split("-");
  const short = (text: string, length: number) => text.replace(/[^a-z0-9]/g, "").slice(0, length);
  const candidates =
    target.cloudIdentity?.provider === "aws"
      ? [`${name}-`, `${name}-kf-`, `kf-${name}-`, `cake-${name}-`]
      : [
          `${abbreviated(environment) || "kf"}-`,
          `${abbreviated(environment) || "kf"}${short(region.join(""), 3)}-`,
          `kf${short(environment, 3)}${short(region.join(""), 3)}-`,
        ];
  return candidates.find(
    (candidate) =>
      /^[a-z]/.test(candidate) &&
      candidate !== target.cloudIdentity?.prefix &&
      avoided.every((other) => !overlaps(candidate, other)),
  );
}

function suggestion(target: DeploymentClaims): string {
  const name = `${target.appName}-${target.name}`;
  return name.length <= NAME_LIMITS.argocdApplication ? ` such as "${name}"` : "";
}

/** Places `diagnostic` on `gitops.app_name`, or on the `gitops` key when the name is the default. */
function locate(diagnostic: Diagnostic, text: string | undefined): Diagnostic {
  return locateAt(diagnostic, text, [{ pattern: /^gitops:/m, path: "gitops" }]);
}

/** A line pattern that locates a diagnostic, with the field path of the key it matches. */
interface KeyPattern {
  pattern: RegExp;
  path: string;
}

/**
 * Places `diagnostic` on the key its path names. When that key is absent because the value
 * is the default, it goes on the first of `keys` found in the text, with that key's path.
 */
function locateAt(diagnostic: Diagnostic, text: string | undefined, keys: readonly KeyPattern[]): Diagnostic {
  if (text === undefined) return diagnostic;
  const [located] = withTextPositions(text, [diagnostic]);
  if (located !== undefined && located.line > 0) return located;
  for (const key of keys) {
    const match = key.pattern.exec(text);
    if (match === null) continue;
    const line = text.slice(0, match.index).split("\n").length;
    const column = match[0].length - match[0].trimStart().length + 1;
    return { ...diagnostic, line, column, path: key.path };
  }
  return diagnostic;
}
