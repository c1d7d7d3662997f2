/**
 * The files of a deployment folder as a plan: each file with a fingerprint of every input it
 * is generated from, and a function that builds its objects on demand. Reconcile builds only
 * the files whose fingerprint changed since the last run, so a one-user change on a
 * deployment with thousands of users generates and serializes a handful of files.
 */
import { createHash } from "node:crypto";
import { profilesOf } from "../model/names.js";
import type { Deployment, ProfileRef } from "../model/types.js";
import { argocdApplication, argocdAppProject } from "./argocd.js";
import { awsIdentity } from "./aws.js";
import { cakeAdminRbac } from "./cake-admin.js";
import { type ContributorGrant, contributorBuilder, grantsOf } from "./contributors.js";
import { gcpIdentity } from "./gcp.js";
import { identityNamespace } from "./identity-namespace.js";
import { kustomization } from "./kustomization.js";
import {
  argocdFiles,
  CAKE_ADMIN_PATH,
  CLOUD_NAMESPACE_PATH,
  type GeneratedFile,
  KUSTOMIZATION_PATH,
  profilePath,
  sortObjects,
} from "./layout.js";
import { limitRange } from "./limit-range.js";
import { compareStrings, type GeneratedObject } from "./metadata.js";
import { namespaceAndProfile } from "./profiles.js";

export interface PlannedFile {
  /** Path relative to the deployment folder, with `/` separators. */
  path: string;
  /**
   * Digest of everything the file's bytes depend on, so reconcile can skip the file when it did
   * not change. The files built eagerly (kustomization, cake-admin, Argo CD) have the digest of
   * their objects, which costs less than serializing them: the kustomization lists every file.
   */
  fingerprint: string | undefined;
  build(): GeneratedFile;
}

/**
 * Returns the planned files of a deployment folder, sorted by path. `knownFingerprint` may give
 * the fingerprint of a profile's file when the caller knows its inputs did not change, which
 * saves hashing every profile's inputs.
 */
export function planDeploymentFiles(
  deployment: Deployment,
  knownFingerprint?: (profile: string) => string | undefined,
): PlannedFile[] {
  const profiles = profilesOf(deployment);
  // With most fingerprints known, only the other profiles need their grants, collected in one
  // pass. A file with a known fingerprint that must be built anyway (edited by hand, say) gets
  // every profile's grants grouped once.
  const known = new Map<string, string>();
  for (const profile of profiles) {
    const fingerprint = knownFingerprint?.(profile.name);
    if (fingerprint !== undefined) known.set(profile.name, fingerprint);
  }
  const grouped = groupGrants(
    deployment,
    known.size === 0
      ? undefined
      : new Set(profiles.filter((profile) => !known.has(profile.name)).map((profile) => profile.name)),
  );
  let all: Map<string, ContributorGrant[]> | undefined = known.size === 0 ? grouped : undefined;
  const grantsOfProfile = (name: string): ContributorGrant[] => {
    if (!known.has(name)) return grouped.get(name) ?? [];
    all ??= groupGrants(deployment);
    return all.get(name) ?? [];
  };
  const buildContributors = contributorBuilder(deployment);
  const settings = settingsDigest(deployment);

  const files: PlannedFile[] = profiles.map((profile) => ({
    path: profilePath(profile.name),
    fingerprint:
      known.get(profile.name) ??
      digest(settings, JSON.stringify(profile), JSON.stringify(grantsOfProfile(profile.name))),
    build: () => ({
      path: profilePath(profile.name),
      objects: sortObjects([
        ...profileObjects(deployment, profile),
        ...grantsOfProfile(profile.name).flatMap(buildContributors),
      ]),
    }),
  }));

  const cluster = cakeAdminRbac(deployment);
  files.push(eagerFile(deployment, CAKE_ADMIN_PATH, cluster));
  const cloudNamespace = identityNamespace(deployment);
  if (cloudNamespace.length > 0) files.push(eagerFile(deployment, CLOUD_NAMESPACE_PATH, cloudNamespace));

  const synced = files.map((file) => file.path).sort(compareStrings);
  files.push(eagerFile(deployment, KUSTOMIZATION_PATH, [kustomization(synced)]));

  const bootstrap = argocdFiles(argocdApplication(deployment), argocdAppProject(deployment));
  for (const file of bootstrap) files.push(eagerFile(deployment, file.path, file.objects));

  return files.sort((a, b) => compareStrings(a.path, b.path));
}

/** Returns the objects of a profile's file other than contributor access. */
function profileObjects(deployment: Deployment, profile: ProfileRef): GeneratedObject[] {
  return [
    ...namespaceAndProfile(deployment, profile),
    ...limitRange(deployment, profile),
    ...awsIdentity(deployment, profile),
    ...gcpIdentity(deployment, profile),
  ];
}

/**
 * Returns the grants of every active user by the namespace they apply to, in user order; with
 * `only`, the grants in those namespaces alone.
 */
function groupGrants(deployment: Deployment, only?: ReadonlySet<string>): Map<string, ContributorGrant[]> {
  const byNamespace = new Map<string, ContributorGrant[]>();
  for (const user of deployment.users) {
    if (user.disabled) continue;
    if (
      only !== undefined &&
      !only.has(user.username) &&
      !user.allowedNamespaces.some((grant) => only.has(grant.namespace))
    ) {
      continue;
    }
    for (const grant of grantsOf(user)) {
      if (only !== undefined && !only.has(grant.namespace)) continue;
      const list = byNamespace.get(grant.namespace);
      if (list === undefined) byNamespace.set(grant.namespace, [grant]);
      else list.push(grant);
    }
  }
  return byNamespace;
}

/**
 * Returns a digest of every deployment-wide input: the model without its users and deploy
 * namespaces, which each profile file adds for itself. A new field in the model is part of
 * it automatically, so no input can be forgotten.
 */
function settingsDigest(deployment: Deployment): string {
  const { users: _users, deployNamespaces: _namespaces, ...settings } = deployment;
  return digest(JSON.stringify(settings));
}

function digest(...parts: string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("base64url");
}

/** Returns a file whose objects are already built; its header names the vars file, so that is part of the digest. */
function eagerFile(deployment: Deployment, path: string, objects: Record<string, unknown>[]): PlannedFile {
  const file = { path, objects };
  return { path, fingerprint: digest(deployment.varsFile, JSON.stringify(objects)), build: () => file };
}
