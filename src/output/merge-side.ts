/**
 * Facts from git about the side of a conflicted merge that alone had a Profile: whether the
 * branch Argo CD syncs contains that side's commit. The deletion guard states it and still
 * requires `--allow-profile-deletion`, because git cannot see which revision Argo CD last
 * synced. The remote may have moved since the last fetch, and a person may sync an
 * Application to any revision by hand, so nothing git stores proves the Profile absent.
 */
import type { FolderPlan } from "./writer.js";

/** The branch Argo CD syncs, compared with the commit of one side of a conflicted merge. */
export interface TargetBranchFacts {
  /** The ref read for `gitops.target_revision`, as `origin/main`. */
  ref: string;
  /** The commit of the side that alone had the Profile: HEAD for ours, MERGE_HEAD or the like for theirs. */
  sideCommit: string;
  /** True when `ref` is that commit or has it in its history. */
  containsSide: boolean;
}

/** The facts about each side of a conflicted merge in one deployment folder. */
export type MergeSideFacts = Partial<Record<"ours" | "theirs", TargetBranchFacts>>;

/**
 * The refs that contain the commit of the side being merged: `git merge`, `git rebase`,
 * `git cherry-pick` and `git revert` each write one while they stop at a conflict.
 */
const THEIRS_REFS = ["MERGE_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD"];

/**
 * Returns, per deployment folder and merge side, the comparison of that side with the branch
 * Argo CD syncs, for the one-side Profiles of `plans` (see `TargetBranchFacts`). Only folders whose manifest had conflict markers with a
 * Profile on one side get an entry, so a run without such a manifest starts no git. A folder
 * whose target revision, or side commit, git cannot resolve gets none.
 */
export async function targetBranchFacts(
  root: string,
  plans: readonly FolderPlan[],
): Promise<Map<string, MergeSideFacts>> {
  const facts = new Map<string, MergeSideFacts>();
  const oneSided = plans.filter(
    (plan) => Object.keys(plan.previousManifest?.oneSideProfiles ?? {}).length > 0,
  );
  if (oneSided.length === 0) return facts;
  // Imported here, because only a run over a manifest with conflict markers needs git.
  const { GitError, isAncestor, revParse } = await import("../git/git.js");

  try {
    const sides = { ours: await revParse(root, "HEAD"), theirs: await theirsCommit(root) };
    for (const plan of oneSided) {
      const revision = plan.desired?.deployment?.gitops.targetRevision;
      const target = revision === undefined ? undefined : await resolveTarget(root, revision);
      if (target === undefined) continue;
      const folderFacts: MergeSideFacts = {};
      for (const side of ["ours", "theirs"] as const) {
        const sideCommit = sides[side];
        if (sideCommit === undefined) continue;
        const containsSide = await isAncestor(root, sideCommit, target.commit);
        folderFacts[side] = { ref: target.ref, sideCommit, containsSide };
      }
      facts.set(plan.folder, folderFacts);
    }
  } catch (error) {
    // Without git, or in a folder git rejects, the guard message states no facts from it.
    if (error instanceof GitError) return new Map();
    throw error;
  }
  return facts;
}

async function theirsCommit(root: string): Promise<string | undefined> {
  const { revParse } = await import("../git/git.js");
  for (const ref of THEIRS_REFS) {
    const commit = await revParse(root, ref);
    if (commit !== undefined) return commit;
  }
  return undefined;
}

/**
 * Returns the ref and commit that stand for `gitops.target_revision`: the remote-tracking
 * branch `origin/<revision>` when it exists, because Argo CD reads the remote, else the
 * revision itself (a tag, a commit, or a local branch of a repository without a remote).
 * `HEAD` means the remote's default branch, so only `origin/HEAD` stands for it.
 */
async function resolveTarget(
  root: string,
  revision: string,
): Promise<{ ref: string; commit: string } | undefined> {
  if (revision === "" || revision.startsWith("-")) return undefined;
  const { revParse } = await import("../git/git.js");
  const remote = `origin/${revision}`;
  const remoteCommit = await revParse(root, `refs/remotes/${remote}`);
  if (remoteCommit !== undefined) return { ref: remote, commit: remoteCommit };
  if (revision === "HEAD") return undefined;
  const commit = await revParse(root, revision);
  return commit === undefined ? undefined : { ref: revision, commit };
}
