/**
 * The Profiles of a deployment folder as git last recorded them. Argo CD keeps a Profile that
 * leaves the output (Prune=false), and deleting the Application of a retired deployment
 * leaves its resources too, so the namespaces of a deployment whose folder was deleted
 * (`reconcile --prune-orphans`) stay in the cluster with their data. When the deployment comes
 * back, its new Profiles must be checked against those holders, or a new user would get an old
 * user's namespace without any guard. The folder's manifest is gone from disk then, so the
 * record comes from git history. Git is imported only here, and only for a folder without a
 * manifest.
 */
import path from "node:path";
import { profilePath } from "../generate/layout.js";
import { MANIFEST_FILE, type OutputManifest, parseManifest } from "./manifest.js";
import { adminInProfileText } from "./profile-holder.js";

/**
 * Returns the Profiles, with their holders (an email, or null for a deploy namespace), that
 * the last committed manifest of `folder` at or before `ref` records: its Profiles and its
 * removed Profiles. That manifest is the one at `ref`, or the one before the commit that
 * deleted it. Returns an empty record outside a git repository, without history (a shallow
 * clone, a repo without commits) or for a manifest cake cannot read. A manifest written before
 * cake recorded holders names none, so its Profiles count as deploy namespaces, which makes
 * any new private profile with one of their names a handover.
 * @param root the ops repo root; `folder` is relative to it.
 */
export async function lastCommittedProfiles(
  root: string,
  folder: string,
  ref = "HEAD",
): Promise<Record<string, string | null>> {
  return (await committedOutput(root, folder, ref)).kept;
}

/**
 * Returns `lastCommittedProfiles` as `kept`, and as `atRef` the Profiles of the manifest at
 * `ref` itself, when `ref` has one. Those are still the committed output: a folder deleted
 * from the working tree only (`rm -rf`) still contains them at `ref`, and Argo CD syncs them.
 * `filesAtRef` is the sha256 of each file that manifest records, present only when `ref` has it.
 */
export async function committedOutput(
  root: string,
  folder: string,
  ref = "HEAD",
): Promise<{ kept: Record<string, string | null>; atRef: string[]; filesAtRef?: Record<string, string> }> {
  const { isRepo, lastCommitChanging, mayBeInRepo, revParse, showFile } = await import("../git/git.js");
  const none = { kept: {}, atRef: [] };
  // A folder in no git repository has no committed output, and needs no git to say so.
  if (!mayBeInRepo(root)) return none;
  if (!(await isRepo(root)) || (await revParse(root, ref)) === undefined) return none;

  const file = `${folder}/${MANIFEST_FILE}`;
  let text = await showFile(root, ref, file);
  const atRef = text !== undefined;
  if (text === undefined) {
    const deletedIn = await lastCommitChanging(root, ref, file);
    if (deletedIn === undefined) return none;
    text = await showFile(root, `${deletedIn}^`, file);
  }
  const manifest = text === undefined ? undefined : parseManifest(text);
  if (manifest === undefined) return none;

  const kept: Record<string, string | null> = { ...manifest.removedProfiles };
  for (const profile of manifest.profiles) kept[profile] = manifest.profileUsers?.[profile] ?? null;
  return atRef ? { kept, atRef: [...manifest.profiles], filesAtRef: manifest.files } : { kept, atRef: [] };
}

/**
 * Returns the Profiles whose files in `folder` a commit at or before `ref` deleted, among
 * those `include` accepts, each with its holder before the newest such commit (an email, or
 * null for a deploy namespace). A removal that reconcile makes is recorded in the manifest's
 * `removedProfiles`, but a `git revert` of the commit that added a user, or a profile file
 * deleted and committed by hand, removes a Profile without that record. Argo CD keeps the
 * Profile and its namespace all the same (Prune=false), so a new Profile of that name for
 * someone else is a handover. Returns an empty record outside a git repository; a shallow
 * clone finds only the deletions in the history it has.
 * @param root the ops repo root; `folder` is relative to it.
 */
export async function profilesDeletedInHistory(
  root: string,
  folder: string,
  include: (profile: string) => boolean,
  ref = "HEAD",
): Promise<Record<string, string | null>> {
  const { isRepo, mayBeInRepo, revParse } = await import("../git/git.js");
  if (!mayBeInRepo(root) || !(await isRepo(root))) return {};
  const commit = await revParse(root, ref);
  if (commit === undefined) return {};

  const fileOf = (profile: string): string => `${folder}/${profilePath(profile)}`;
  // NOTE: only the folder's current path is scanned. Deletions made before the ops repo moved
  // inside its git repository, or before the output folder moved (`git mv` with a new
  // `output_dir`), are not found, so a new holder of such a name gets no handover guard.
  const deleted = await deletionsUpTo(root, folder, path.posix.dirname(fileOf("profile")), commit);
  const lookups: { profile: string; file: string; before: string }[] = [];
  for (const [file, deletedIn] of deleted) {
    const profile = path.posix.basename(file, ".yaml");
    if (fileOf(profile) === file && include(profile))
      lookups.push({ profile, file, before: `${deletedIn}^` });
  }
  const found: Record<string, string | null> = {};
  for (let start = 0; start < lookups.length; start += HOLDER_LOOKUP_CHUNK) {
    Object.assign(
      found,
      await holdersBefore(root, folder, lookups.slice(start, start + HOLDER_LOOKUP_CHUNK)),
    );
  }
  return found;
}

/**
 * The number of deletions whose holders one git call looks up. Each may read a manifest, about
 * 2 MB at 10,000 users by estimate (the example's is 3 KB for 15 Profiles), so a chunk stays
 * below the 256 MB that one git call may output.
 */
const HOLDER_LOOKUP_CHUNK = 32;

/**
 * Returns the holder of each deleted profile file in the commit `before` its deletion: from the
 * manifest there, or from the file itself when that manifest names no holders. Two git calls
 * read them all, because an import may look up hundreds.
 */
async function holdersBefore(
  root: string,
  folder: string,
  deletions: readonly { profile: string; file: string; before: string }[],
): Promise<Record<string, string | null>> {
  const { showFiles } = await import("../git/git.js");
  const manifestFile = `${folder}/${MANIFEST_FILE}`;
  const commits = [...new Set(deletions.map(({ before }) => before))];
  const texts = await showFiles(
    root,
    commits.map((before) => ({ ref: before, path: manifestFile })),
  );
  const manifests = new Map<string, OutputManifest | undefined>();
  for (const [index, before] of commits.entries()) {
    const text = texts[index];
    manifests.set(before, text === undefined ? undefined : parseManifest(text));
  }

  const found: Record<string, string | null> = {};
  const unrecorded: { profile: string; file: string; before: string }[] = [];
  for (const deletion of deletions) {
    const users = manifests.get(deletion.before)?.profileUsers;
    if (users !== undefined && Object.hasOwn(users, deletion.profile)) {
      found[deletion.profile] = users[deletion.profile] ?? null;
    } else {
      unrecorded.push(deletion);
    }
  }
  // A manifest written before cake recorded holders: the deleted file itself names its admin.
  const files = await showFiles(
    root,
    unrecorded.map(({ file, before }) => ({ ref: before, path: file })),
  );
  for (const [index, { profile }] of unrecorded.entries()) {
    const text = files[index];
    found[profile] = text === undefined ? null : (adminInProfileText(text) ?? null);
  }
  return found;
}

/**
 * Returns the files under `dir` that commits up to `commit` deleted (see `deletedFiles`). The
 * local cache keeps the last scan, so a later run reads only the commits since. Scanning
 * 10,000 commits that each change the folder took about one second of CPU on a 2-core
 * machine. A scan of a shallow clone is redone once a fetch deepens or unshallows the clone.
 */
async function deletionsUpTo(
  root: string,
  folder: string,
  dir: string,
  commit: string,
): Promise<Map<string, string>> {
  const { deletedFiles, isAncestor, shallowBoundary } = await import("../git/git.js");
  const { readDeletionScan, writeDeletionScan } = await import("./cache.js");
  const shallow = await shallowBoundary(root);
  const cached = readDeletionScan(root, folder);
  // A scan of full history stays true in any clone. A scan of a shallow clone does not once a
  // fetch has moved the boundary, because the history that the fetch added was never read.
  const sameHistory = cached?.shallow.length === 0 || cached?.shallow.join(" ") === shallow.join(" ");
  const usable = cached !== undefined && cached.dir === dir && sameHistory;
  if (usable && cached.commit === commit) return new Map(Object.entries(cached.deleted));

  let deleted: Map<string, string>;
  if (usable && (await isAncestor(root, cached.commit, commit).catch(() => false))) {
    deleted = new Map(Object.entries(cached.deleted));
    for (const [file, deletedIn] of await deletedFiles(root, commit, dir, cached.commit)) {
      deleted.set(file, deletedIn);
    }
  } else {
    deleted = await deletedFiles(root, commit, dir);
  }
  writeDeletionScan(root, folder, { commit, dir, shallow, deleted: Object.fromEntries(deleted) });
  return deleted;
}

/**
 * Returns true when `root` is in a shallow clone, whose history may lack the deletions that
 * `profilesDeletedInHistory` looks for. False outside a git repository.
 */
export async function inShallowClone(root: string): Promise<boolean> {
  const { isRepo, mayBeInRepo, shallowBoundary } = await import("../git/git.js");
  if (!mayBeInRepo(root) || !(await isRepo(root))) return false;
  return (await shallowBoundary(root)).length > 0;
}
