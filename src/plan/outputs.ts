/**
 * Reads the generated output of a plan side: the `.cake-manifest.json` of a deployment
 * folder as committed at a git commit, or as it is in the working tree. The manifest
 * lists the Profiles the output contains, so it shows what exists where the vars cannot.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { CORE_SCHEMA, load } from "js-yaml";
import { CakeError } from "../errors.js";
import { listFiles, listFolders, readFolder, showFile } from "../git/git.js";
import { CAKE_ADMIN_RBAC_NAME, contributorClusterRole, profilesOf } from "../model/names.js";
import type { ContributorRole } from "../model/types.js";
import { lastCommittedProfiles, profilesDeletedInHistory } from "../output/deleted-output.js";
import { listedProfiles, MANIFEST_FILE, parseConflictedManifest, parseManifest } from "../output/manifest.js";
import type { RepoLayout } from "../repo/layout.js";
import { attributeMarkerSize } from "../repo/marker-sizes.js";
import type { LoadedVars } from "./sources.js";
import type { AccessGrant } from "./state.js";
import type { DeploymentOutput } from "./types.js";

/**
 * Loads the manifests of the deployment folders `names` at `commit`, or from the working
 * tree when `commit` is undefined. A folder without a manifest is left out of the map.
 * @throws CakeError when a manifest exists but is not one cake wrote.
 */
export async function loadOutputs(
  layout: RepoLayout,
  commit: string | undefined,
  names: Iterable<string>,
): Promise<Map<string, DeploymentOutput>> {
  const outputs = new Map<string, DeploymentOutput>();
  for (const name of names) {
    const folder = `${layout.outputDir}/${name}`;
    const manifestFile = `${folder}/${MANIFEST_FILE}`;
    const text = commit
      ? await showFile(layout.root, commit, manifestFile)
      : await readWorkingTreeFile(layout.root, manifestFile);
    if (text === undefined) continue;

    // A working tree in the middle of a merge has both sides of the manifest; the plan reads their union.
    let manifest = parseManifest(text) ?? parseConflictedManifest(text);
    // Markers of another size than git's default need the file's `conflict-marker-size` attribute.
    if (manifest === undefined && commit === undefined) {
      manifest = parseConflictedManifest(text, await attributeMarkerSize(layout.root, manifestFile));
    }
    if (manifest === undefined) {
      const where = commit ? `at commit ${commit.slice(0, 12)}` : "in the working tree";
      throw new CakeError(
        `${manifestFile} ${where} is not a valid cake manifest, so the plan cannot tell which Profiles ` +
          `exist there; restore it from git history or rerun "cake reconcile" to rebuild it.`,
      );
    }
    outputs.set(name, {
      folder,
      manifestFile,
      profiles: manifest.profiles,
      profileOwner: manifest.profileOwner,
      varsFile: manifest.varsFile,
      ...(manifest.profileUsers === undefined ? {} : { profileUsers: manifest.profileUsers }),
      ...(manifest.removedProfiles === undefined ? {} : { removedProfiles: manifest.removedProfiles }),
    });
  }
  return outputs;
}

const ROLE_OF_CLUSTER_ROLE = new Map(
  (["admin", "edit", "view"] as const).map((role): [string, ContributorRole] => [
    contributorClusterRole(role),
    role,
  ]),
);

/**
 * Returns the access that the generated output in `folder` grants at `commit`: the role of
 * each User that a RoleBinding binds to a contributor ClusterRole (`kubeflow-admin`, `-edit`,
 * `-view`) in its namespace, and `cake-admin` for each User of the `cake-admin`
 * ClusterRoleBinding. These bindings are what the cluster enforces, so they give the access
 * where the vars file at base cannot (invalid, or absent beside committed output).
 * Returns undefined when the folder has no file at `commit`.
 */
export async function loadOutputAccess(
  root: string,
  commit: string,
  folder: string,
): Promise<AccessGrant[] | undefined> {
  const files = await readFolder(root, commit, folder);
  if (files.size === 0) return undefined;
  const grants: AccessGrant[] = [];
  for (const [file, text] of files) {
    if (!file.endsWith(".yaml")) continue;
    // Only binding documents are parsed: a profile file is mostly AuthorizationPolicies.
    for (const document of text.split(/^---$/m)) {
      if (!/^kind: (Cluster)?RoleBinding$/m.test(document)) continue;
      grants.push(...bindingAccess(load(document, { schema: CORE_SCHEMA })));
    }
  }
  return grants;
}

function bindingAccess(value: unknown): AccessGrant[] {
  const binding = (value ?? {}) as {
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
    roleRef?: { kind?: unknown; name?: unknown };
    subjects?: unknown;
  };
  const users = Array.isArray(binding.subjects)
    ? binding.subjects.flatMap((subject: { kind?: unknown; name?: unknown } | null) =>
        subject?.kind === "User" && typeof subject.name === "string" ? [subject.name] : [],
      )
    : [];
  const roleRef = binding.roleRef ?? {};
  if (binding.kind === "ClusterRoleBinding") {
    const isCakeAdmin =
      binding.metadata?.name === CAKE_ADMIN_RBAC_NAME && roleRef.name === CAKE_ADMIN_RBAC_NAME;
    return isCakeAdmin ? users.map((email) => ({ email, namespace: null, role: "cake-admin" })) : [];
  }
  const role = typeof roleRef.name === "string" ? ROLE_OF_CLUSTER_ROLE.get(roleRef.name) : undefined;
  const namespace = binding.metadata?.namespace;
  if (binding.kind !== "RoleBinding" || roleRef.kind !== "ClusterRole" || role === undefined) return [];
  if (typeof namespace !== "string") return [];
  return users.map((email) => ({ email, namespace, role }));
}

/**
 * Returns, for each of `names` without a manifest at `commit`, the Profiles that the folder's
 * last committed manifest before it records (see `lastCommittedProfiles`): output deleted in an
 * earlier change, whose Profiles Argo CD kept. Deployments without such a record are left out.
 */
export async function keptProfilesAt(
  layout: RepoLayout,
  commit: string,
  names: Iterable<string>,
  outputs: ReadonlyMap<string, DeploymentOutput>,
): Promise<Map<string, Record<string, string | null>>> {
  const keptByName = new Map<string, Record<string, string | null>>();
  for (const name of names) {
    if (outputs.has(name)) continue;
    const profiles = await lastCommittedProfiles(layout.root, `${layout.outputDir}/${name}`, commit);
    if (Object.keys(profiles).length > 0) keptByName.set(name, profiles);
  }
  return keptByName;
}

/**
 * Adds to `kept` the Profiles that Argo CD kept though no manifest records their removal. For
 * each deployment with a manifest at `commit`, those are the Profiles new at head whose files
 * git history at `commit` shows deleted from the folder (such as by a `git revert` of the
 * commit that added a user), each with its holder then. A new holder of such a name is a
 * handover. Git runs only for deployments that gain a Profile, and their names are returned.
 */
export async function addProfilesDeletedEarlier(
  kept: Map<string, Record<string, string | null>>,
  layout: RepoLayout,
  commit: string,
  headVars: readonly LoadedVars[],
  outputs: ReadonlyMap<string, DeploymentOutput>,
): Promise<string[]> {
  const searched: string[] = [];
  for (const vars of headVars) {
    const output = outputs.get(vars.name);
    if (output === undefined || vars.deployment === undefined) continue;
    const known = listedProfiles(output);
    const added = new Set(
      profilesOf(vars.deployment)
        .map((profile) => profile.name)
        .filter((profile) => !known.has(profile)),
    );
    if (added.size === 0) continue;

    const include = (profile: string): boolean => added.has(profile);
    const deleted = await profilesDeletedInHistory(layout.root, output.folder, include, commit);
    if (Object.keys(deleted).length > 0) kept.set(vars.name, { ...kept.get(vars.name), ...deleted });
    searched.push(vars.name);
  }
  return searched;
}

/**
 * Returns the deployment folders at `commit` that no vars file at base or at head names:
 * output that a plain `cake reconcile` kept after its vars file was deleted in an earlier
 * change. The plan reads them on both sides, because the head may prune them.
 */
export async function orphanedFolders(
  layout: RepoLayout,
  commit: string,
  baseVars: readonly LoadedVars[],
  headVars: readonly LoadedVars[],
): Promise<string[]> {
  const named = new Set(namesWithAnyVars(baseVars, headVars));
  return (await listFolders(layout.root, commit, layout.outputDir)).filter((name) => !named.has(name));
}

/**
 * Returns the orphaned folders (see `orphanedFolders`) that the head deletes: folders whose
 * base manifest the plan read and that no longer exist at `commit`, or in the working tree
 * when `commit` is undefined. A folder that keeps any file, even without its manifest, is not
 * pruned. The folder is looked up at its base path, so a change of `output_dir` does not
 * count as a prune.
 */
export async function prunedFolders(
  root: string,
  commit: string | undefined,
  orphaned: readonly string[],
  baseOutputs: ReadonlyMap<string, DeploymentOutput>,
): Promise<string[]> {
  const pruned: string[] = [];
  for (const name of orphaned) {
    const folder = baseOutputs.get(name)?.folder;
    if (folder === undefined) continue;
    if (!(await hasEntries(root, commit, folder))) pruned.push(name);
  }
  return pruned;
}

/**
 * Returns true when `folder` (relative to `root`) has at least one entry at `commit`, or in
 * the working tree when `commit` is undefined. An empty folder counts as absent, as in git.
 */
export async function hasEntries(root: string, commit: string | undefined, folder: string): Promise<boolean> {
  if (commit !== undefined) {
    return (
      (await listFiles(root, commit, folder)).length > 0 ||
      (await listFolders(root, commit, folder)).length > 0
    );
  }
  try {
    return (await readdir(path.join(root, ...folder.split("/")))).length > 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw error;
  }
}

async function readWorkingTreeFile(root: string, file: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(root, ...file.split("/")), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/**
 * Returns every deployment with a vars file at base or at head. The plan reads the base output
 * of each: a valid base still needs the Profiles that left the output earlier, whose
 * namespaces Argo CD keeps.
 */
export function namesWithAnyVars(baseVars: readonly LoadedVars[], headVars: readonly LoadedVars[]): string[] {
  return [...new Set([...baseVars, ...headVars].map((vars) => vars.name))];
}

/** Returns the deployments whose vars file exists at base but not at head. */
export function namesDeletedAtHead(
  baseVars: readonly LoadedVars[],
  headVars: readonly LoadedVars[],
): string[] {
  const atHead = new Set(headVars.map((vars) => vars.name));
  return baseVars.filter((vars) => !atHead.has(vars.name)).map((vars) => vars.name);
}

/**
 * Returns the deployments whose base manifest records `removedProfiles`. The plan reads their
 * head output too, to find the entries that the head no longer records.
 */
export function namesWithRemovedProfiles(baseOutputs: ReadonlyMap<string, DeploymentOutput>): string[] {
  return [...baseOutputs]
    .filter(([, output]) => Object.keys(output.removedProfiles ?? {}).length > 0)
    .map(([name]) => name);
}
