/**
 * Reconcile: regenerate every deployment folder from its vars file. All vars files
 * are loaded and every folder is planned before anything is written, so an invalid
 * vars file, a Profile that would be deleted, or an owner change stops the run with
 * the previous output untouched.
 */
import type { Dirent } from "node:fs";
import { existsSync, lstatSync, readFileSync, realpathSync, statSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type Diagnostic, hasErrors } from "../config/diagnostics.js";
import type { DeploymentReuse, PreloadedDeployment } from "../config/repo.js";
import { didYouMean } from "../config/suggest.js";
import { CakeError, readFailureReason, UsageError } from "../errors.js";
import { profilePath } from "../generate/layout.js";
import type { ApplicationClash } from "../init/application-clashes.js";
import type { ApplicationSetClash } from "../init/applicationset-clashes.js";
import type { LongApplicationName } from "../init/applicationset-names.js";
import type { DeploymentRepoUrl, UnlistedRepoUrl, UnusedRepoUrl } from "../init/applicationset-repos.js";
import type { ClusterClash } from "../init/cluster-clashes.js";
import type { ShadowedCodeowners } from "../init/codeowners.js";
import type { DeploymentClaims } from "../model/claims.js";
import { nonAsciiCodePoints, sameUnicodeText } from "../model/code-points.js";
import { profilesOf, profileUsersOf } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import {
  type CommandLocation,
  makePathFormatter,
  type PathFormatter,
  repoRelative,
} from "../repo/display-path.js";
import { APPLICATIONSET_FILE, CONFIG_FILE, type RepoLayout } from "../repo/layout.js";
import { rootLooksLikeVarsFolder } from "../repo/root.js";
import { pruneCommand, shellWord } from "../repo/shell.js";
import {
  checkOneFilePerFolder,
  deploymentNameOfFile,
  legacyVarsHint,
  listVarsFiles,
  misplacedVarsHint,
} from "../repo/vars-files.js";
import {
  foldersMatch,
  type OutputCache,
  readCache,
  readStoredLoad,
  statMatches,
  writeStoredLoad,
} from "./cache.js";
import {
  deleteStrayTempFiles,
  discardKeptJournal,
  JOURNAL_FILE,
  type Recovery,
  recoverFolder,
} from "./journal.js";
import { type LockOptions, withRepoLock } from "./lock.js";
import { MANIFEST_FILE, MANIFEST_VERSION, sha256 } from "./manifest.js";
import type { MergeSideFacts, TargetBranchFacts } from "./merge-side.js";
import { renderSettings } from "./parallel-render.js";
import { adminInProfileText } from "./profile-holder.js";
import { createSerializer, generatedHeader } from "./serialize.js";
import {
  applyPlan,
  checkWritable,
  compareText,
  type DesiredOutput,
  discardPlan,
  type FileChange,
  type FolderPlan,
  planFolder,
  planFolderRemoval,
  planHasChanges,
  recordCache,
} from "./writer.js";

export interface ReconcileOptions {
  layout: RepoLayout;
  /** Deployment names (`<environment>-<region>`) to reconcile; all when absent or empty. */
  deployments?: string[];
  /**
   * Other deployments that the caller loaded without errors, by vars file, such as those an
   * edit read: a file whose text is unchanged is not loaded again (see `RepoLoadOptions`).
   */
  preloaded?: ReadonlyMap<string, PreloadedDeployment>;
  /** Report what would change and write nothing. */
  check?: boolean;
  /** Profiles that may be deleted from the output, with their namespaces. */
  allowProfileDeletion?: string[];
  /** Profiles that may change hands: their namespace and data go to another user or become shared. */
  allowProfileHandover?: string[];
  /** Allow `kubeflow.profile_owner` to differ from the owner of the current output. */
  allowOwnerChange?: boolean;
  /** Delete the output of deployments whose vars file is gone. */
  pruneOrphans?: boolean;
  /** How long to wait for another cake command's repo lock, in milliseconds. */
  waitMs?: number;
  /**
   * The caller holds the repo lock already: an edit command reconciles under the lock it
   * wrote the vars file with, so no other command runs between the two.
   */
  lockHeld?: boolean;
  /** The formatter of the paths that error messages print (see `makePathFormatter`); default: relative to the repo root. */
  formatPath?: PathFormatter;
}

/** The outcome for one deployment folder. */
export interface DeploymentReport {
  name: string;
  /** Deployment folder relative to the repo root. */
  folder: string;
  /** Undefined for an orphan: output whose vars file is gone. */
  varsFile: string | undefined;
  orphan: boolean;
  /** Changes made, or with `check` the changes a reconcile would make; unchanged files left out. */
  changes: FileChange[];
  unchanged: number;
  /** Paths cake needs to write that hold files cake did not generate (reported by `check`). */
  conflicts: string[];
  /** True when the manifest changes (beyond the cake version in it). */
  manifestChanged: boolean;
  /** True when the folder has no manifest yet (a new or deleted folder), which the run writes. */
  manifestMissing?: boolean;
  /** True when the current manifest has the format of an older cake, which this run rewrites once. */
  olderManifest: boolean;
  /** With `check`: an interrupted run left a journal. Otherwise: a journal was rolled forward. */
  journalPending: boolean;
  /**
   * Files of the folder, the manifest included, that had git merge conflict markers: a
   * reconcile replaced them, or with `check` one would (see `FolderPlan.mergeConflicts`).
   */
  mergeConflicts?: string[];
  /**
   * True when the journal of an interrupted run was discarded because its vars file changed
   * since (see `recoverFolder`). This run planned the folder from the current vars instead.
   */
  journalDiscarded?: boolean;
  /**
   * For a discarded journal: the files whose temporary file no longer had the bytes the journal
   * recorded (a power loss cut them short), so this run planned the folder again instead.
   */
  journalTorn?: string[];
  /**
   * For a discarded journal: the files its run had renamed into place before it stopped. They
   * are among `changes`, because no run reported them before.
   */
  journalWritten?: string[];
  /**
   * For a discarded journal: the files its run had deleted before it stopped. They are among
   * `changes` as removed, unless this run writes them again.
   */
  journalRemoved?: string[];
  /**
   * Profiles that leave the output, whose deletion needs `--allow-profile-deletion`: those the
   * guard checks (see `checkGuards`). A profile file that no manifest lists, such as one that
   * `git stash` left untracked, is removed without the flag. A folder deleted in the working
   * tree has no file removal to show, but the Profiles of its manifest committed at HEAD count.
   */
  profilesLeaving?: string[];
  /**
   * With `check`: Profiles that would change hands, whose handover needs `--allow-profile-handover`.
   * They are those that the folder's manifest and the profile files on disk show. A run that writes
   * also reads git history for Profiles deleted without a record and for the holders of manifests
   * written before cake recorded them, so it can find more.
   */
  profilesChangingHands?: string[];
  /**
   * True when the `argocd/` files this run writes or removes end up as the folder's manifest
   * recorded them. A folder without a manifest is compared with the manifest committed at HEAD.
   * A deleted folder or a hand edit then comes back as Argo CD was last given it.
   */
  argocdAsRecorded?: boolean;
}

export interface ReconcileResult {
  /** False when a vars file has errors; then nothing was planned or written. */
  valid: boolean;
  check: boolean;
  diagnostics: Diagnostic[];
  /** Text of each vars file by path, for source lines in diagnostics. */
  sources: Record<string, string>;
  deployments: DeploymentReport[];
  /** With `check`: true when any folder is out of date. */
  drift: boolean;
  /** Entries of `allowProfileDeletion` that named no Profile leaving the output: typos, most likely. */
  unmatchedAllowances?: string[];
  /** Entries of `allowProfileHandover` that named no Profile changing hands. */
  unmatchedHandoverAllowances?: string[];
  /** Folders and symlinks of the output folder that cake did not write. With `check`, they are drift. */
  foreignFolders?: string[];
  /**
   * Profiles (`deployment/profile`) whose previous holder is unknown, so the handover guard
   * could not check them. Their files name no user (a deploy namespace or a disabled user),
   * the manifest records no holders (an older cake wrote it, or it was deleted), and HEAD gave
   * none either.
   */
  unknownHolders?: string[];
  /** For deployments in `unknownHolders` with a version 1 manifest: why HEAD did not give the holders. */
  unknownHoldersReasons?: Record<string, string>;
  /**
   * Deployments that gain Profiles in a shallow clone, whose history may lack the earlier
   * deletion of such a name, so the handover guard may miss it (see `profilesDeletedInHistory`).
   */
  shallowHistory?: string[];
  /**
   * With `check` over every deployment: the CODEOWNERS cake wrote, when its rules no longer
   * match the cake-admins of the vars files. It is drift.
   */
  staleCodeowners?: string;
  /**
   * With `--check` over every deployment: forges that read a CODEOWNERS cake did not write
   * before the one it wrote, so they ignore the cake-admin rules. A warning, not drift.
   */
  shadowedCodeowners?: ShadowedCodeowners[];
  /**
   * With `--check` over every deployment: CODEOWNERS files that cake wrote for another ops
   * repo of the same git repository, with no rule for this one. A warning, not drift.
   */
  foreignCodeowners?: string[];
  /**
   * With `--check` over every deployment: the ApplicationSet that an older `cake init` wrote,
   * which ignores each deployment's destination and revision. `file` is its absolute path, and
   * `repoUrl` the `gitops.repo_url` that most vars files name. A warning, not drift.
   */
  outdatedApplicationSet?: { file: string; repoUrl?: string };
  /**
   * With `--check`, or a run, over every deployment: the repo URLs of the ApplicationSet file
   * that no deployment's `gitops.repo_url` matches, such as the placeholder of `cake init`. A
   * warning, not drift.
   */
  unusedRepoUrls?: UnusedRepoUrl[];
  /**
   * With `--check`, or a run, over every deployment: the deployments whose `gitops.repo_url` a
   * field of the ApplicationSet file does not list. A warning, not drift.
   */
  unlistedRepoUrls?: UnlistedRepoUrl[];
  /** The note for a repo that has retired every deployment (see `noDeploymentsNote`). */
  noDeployments?: string;
  /**
   * With `--check` over every deployment: the objects that the ApplicationSet file of
   * `cake init` shares by name with that of another ops repo in the same git repository.
   * A warning, not drift.
   */
  applicationSetClashes?: ApplicationSetClash[];
  /**
   * With `--check` over every deployment: the deployments whose Application a deployment of
   * another ops repo in the same git repository generates too. A warning, not drift.
   */
  applicationClashes?: ApplicationClash[];
  /**
   * With `--check` over every deployment: the deployments whose Application, as this ops repo's
   * ApplicationSet file names it, is longer than a label value. A warning, not drift.
   */
  longApplicationNames?: LongApplicationName[];
  /**
   * With `--check` over every deployment: the deployments that sync the cluster of a deployment
   * of another ops repo in the same git repository, with the objects both generate. A warning,
   * not drift.
   */
  clusterClashes?: ClusterClash[];
}

/** The result of loading every vars file of a repo; a deployment is present only when its file has no errors. */
export interface LoadedRepo {
  deployments: Deployment[];
  diagnostics: Diagnostic[];
  /** Text of each vars file by path, for source lines in diagnostics. */
  sources?: Record<string, string>;
  /** sha256 of the bytes of each vars file loaded, by path; a file missing here is read again. */
  varsSha256s?: Record<string, string>;
  /** Deployments found up to date by the local cache, whose vars files were not loaded. */
  upToDate?: UpToDateDeployment[];
  /** By deployment folder: what an incremental load allows reconcile to reuse. */
  reuse?: Map<string, LoadReuse>;
}

/** An incremental load's result, with the sha256 of the previous text it started from. */
export interface LoadReuse extends DeploymentReuse {
  previousVarsSha256?: string;
}

/** A deployment whose vars file and output are exactly as the last reconcile on this machine left them. */
export interface UpToDateDeployment {
  name: string;
  folder: string;
  varsFile: string;
  files: number;
  /** The names the deployment claims outside its folder, as the cache recorded them. */
  claims?: DeploymentClaims;
}

/**
 * Loads the vars files of `options.layout` and reconciles their output. Unless
 * `check` is set, loading runs under the repo lock as well, so another cake command
 * cannot change a vars file between loading and writing.
 */
export async function reconcile(
  options: ReconcileOptions,
  load?: (layout: RepoLayout) => Promise<LoadedRepo>,
): Promise<ReconcileResult> {
  renderSettings();
  if (options.check) {
    const { loadRepo } = await import("../config/repo.js");
    const loaded = load
      ? await load(options.layout)
      : await loadRepo(options.layout, undefined, {
          fast: true,
          positioned: true,
          ...(options.formatPath === undefined ? {} : { formatPath: options.formatPath }),
        });
    const result = await reconcileLoaded(options, loaded);
    // CODEOWNERS names the cake-admins of every deployment, so only a check of all of them can tell.
    if (!result.valid || (options.deployments ?? []).length > 0) return result;
    const { foreignCodeowners, shadowedCodeowners, staleCodeowners } = await import("../init/codeowners.js");
    const { root, repoPath } = options.layout;
    // Rules rendered from no deployments would require no review at all, so a repo without
    // deployments keeps the last cake-admins as the reviewers of a new vars file.
    const stale =
      result.noDeployments === undefined
        ? await staleCodeowners(root, loaded.deployments, repoPath)
        : undefined;
    const shadowed = await shadowedCodeowners(root, repoPath);
    const foreign = await foreignCodeowners(root, repoPath);
    const outdated = await outdatedApplicationSet(root);
    const { applicationSetClashes } = await import("../init/applicationset-clashes.js");
    const clashes = await applicationSetClashes(root);
    const { acrossRepoClashes } = await import("../init/across-repos.js");
    const shared = await acrossRepoClashes(options.layout, loaded.deployments);
    const { longApplicationNames } = await import("../init/applicationset-names.js");
    // Its load printed the vars files' warning for the names that are too long at the top.
    const longNames = await longApplicationNames(options.layout, loaded.deployments, {
      exceptVarsWarnings: true,
    });
    const { repoUrlFields, repoUrlMismatches, repoUrlsOf } = await import("../init/applicationset-repos.js");
    const repoUrls = repoUrlFields(await repoUrlMismatches(options.layout, repoUrlsOf(loaded.deployments)));
    return {
      ...result,
      ...(stale === undefined ? {} : { drift: true, staleCodeowners: stale }),
      ...(shadowed.length === 0 ? {} : { shadowedCodeowners: shadowed }),
      ...(foreign.length === 0 ? {} : { foreignCodeowners: foreign }),
      ...(outdated === undefined
        ? {}
        : { outdatedApplicationSet: { file: outdated, ...mostCommonRepoUrl(loaded.deployments) } }),
      ...(clashes.length === 0 ? {} : { applicationSetClashes: clashes }),
      ...(shared.applicationClashes === undefined ? {} : { applicationClashes: shared.applicationClashes }),
      ...(longNames.length === 0 ? {} : { longApplicationNames: longNames }),
      ...repoUrls,
      ...(shared.clusterClashes === undefined ? {} : { clusterClashes: shared.clusterClashes }),
    };
  }
  const run = async (): Promise<ReconcileResult> => {
    // A vars edit killed between writing its temporary file and the rename leaves the file.
    await deleteStrayTempFiles(path.join(options.layout.root, options.layout.varsDir));
    const loaded = load ? await load(options.layout) : await loadChanged(options);
    const result = await reconcileLoaded(options, loaded, true);
    // A run that loads no vars file changed none since the last run, which warned already.
    if (!result.valid || (options.deployments ?? []).length > 0 || loaded.deployments.length === 0)
      return result;
    // Without the ApplicationSet file there is nothing to compare, and no module to load.
    if (!existsSync(path.join(options.layout.root, APPLICATIONSET_FILE))) return result;
    const { repoUrlFields, repoUrlMismatches, repoUrlsOf } = await import("../init/applicationset-repos.js");
    const known = knownRepoUrls(loaded, repoUrlsOf(loaded.deployments));
    if (known === undefined) return result;
    return { ...result, ...repoUrlFields(await repoUrlMismatches(options.layout, known)) };
  };
  return options.lockHeld ? run() : withRepoLock(options.layout.root, "reconcile", run, lockOptions(options));
}

/**
 * Returns the repo URL of every deployment of `loaded`: `ofLoaded` for the loaded ones, and for
 * the ones the local cache found up to date, the URL in the claims it recorded. Returns
 * undefined when the cache of one of them has no repo URL (an older cake wrote it).
 */
function knownRepoUrls(loaded: LoadedRepo, ofLoaded: DeploymentRepoUrl[]): DeploymentRepoUrl[] | undefined {
  const known = [...ofLoaded];
  for (const { name, varsFile, claims } of loaded.upToDate ?? []) {
    if (claims?.repoUrl === undefined) return undefined;
    known.push({ name, varsFile, repoUrl: claims.repoUrl });
  }
  return known;
}

/**
 * Loads the vars files whose deployment the local cache cannot prove up to date. A file
 * whose bytes, cake version and output are as the last reconcile on this machine left them
 * is neither parsed nor generated. Its deployment is reported with every file unchanged.
 */
async function loadChanged(options: ReconcileOptions): Promise<LoadedRepo> {
  const { layout } = options;
  const upToDate: UpToDateDeployment[] = [];
  const toLoad: string[] = [];
  const otherClaims: DeploymentClaims[] = [];
  const files = await listVarsFiles(layout);
  // Checked before the cache: a second file for a cached deployment must not slip through.
  checkOneFilePerFolder(
    files.map((file) => ({
      varsFile: file,
      outputPath: `${layout.outputDir}/${deploymentNameOfFile(file)}`,
    })),
    options.formatPath,
  );
  for (const file of files) {
    const name = deploymentNameOfFile(file);
    const current = findUpToDate(layout, file, `${layout.outputDir}/${name}`);
    if (current === undefined) {
      toLoad.push(file);
      continue;
    }
    upToDate.push({ ...current, name });
    if (current.claims !== undefined) otherClaims.push(current.claims);
  }

  // The loader and the generator are imported only when a vars file needs them. A file
  // changed in a few users is loaded incrementally from the previous load in the cache.
  if (toLoad.length === 0) return { ...emptyRepo(), upToDate };
  const { loadRepo } = await import("../config/repo.js");
  const previousSha256 = new Map<string, string>();
  const loaded = await loadRepo(layout, toLoad, {
    fast: true,
    positioned: true,
    otherClaims,
    ...(options.preloaded === undefined ? {} : { preloaded: options.preloaded }),
    ...(options.formatPath === undefined ? {} : { formatPath: options.formatPath }),
    incremental: {
      previous(outputPath) {
        const stored = readStoredLoad(layout.root, outputPath);
        if (stored !== undefined) previousSha256.set(outputPath, stored.varsSha256);
        return stored;
      },
    },
  });
  const reuse = new Map<string, LoadReuse>();
  for (const [folder, entry] of loaded.reuse) {
    const previousVarsSha256 = previousSha256.get(folder);
    reuse.set(folder, previousVarsSha256 === undefined ? entry : { ...entry, previousVarsSha256 });
  }
  return { ...loaded, upToDate, reuse };
}

/**
 * Returns the errors that would stop the reconcile after an edit of the `edited` deployments,
 * so the edit can be rejected before it is written. They are errors in the other vars files
 * and `duplicate-app-name` collisions of the edited deployments. A vars file whose bytes the
 * local cache recorded was valid at the last reconcile, so it is not loaded again, and neither
 * is one the edit loaded already without errors (`preloaded`) whose text is unchanged.
 */
export async function errorsBesideEdit(
  layout: RepoLayout,
  edited: readonly { deployment: Deployment; text: string }[],
  preloaded?: ReadonlyMap<string, PreloadedDeployment>,
): Promise<LoadedRepo> {
  const editedFiles = new Set(edited.map(({ deployment }) => deployment.varsFile));
  const files = (await listVarsFiles(layout)).filter((file) => !editedFiles.has(file));
  const toLoad: string[] = [];
  const cachedClaims: DeploymentClaims[] = [];
  for (const file of files) {
    const cache = readCache(layout.root, `${layout.outputDir}/${deploymentNameOfFile(file)}`);
    const bytes = cache === undefined ? undefined : vouchableBytes(layout.root, file);
    const valid = cache !== undefined && cache.varsFile === file && bytes !== undefined;
    if (valid && sha256(bytes) === cache.varsSha256) {
      if (cache.claims !== undefined) cachedClaims.push(cache.claims);
    } else {
      toLoad.push(file);
    }
  }

  const { claimCollisions, deploymentClaims } = await import("../config/claims.js");
  const { loadRepo } = await import("../config/repo.js");
  const others =
    toLoad.length === 0
      ? { ...emptyRepo(), sources: {} }
      : await loadRepo(layout, toLoad, {
          fast: true,
          positioned: true,
          otherClaims: cachedClaims,
          ...(preloaded === undefined ? {} : { preloaded }),
        });
  const sources: Record<string, string> = { ...others.sources };
  for (const { deployment, text } of edited) sources[deployment.varsFile] = text;
  const collisions = claimCollisions(
    edited.map(({ deployment }) => deploymentClaims(deployment)),
    sources,
    [...cachedClaims, ...others.deployments.map(deploymentClaims)],
  );
  const errors = [...others.diagnostics, ...collisions].filter(
    (diagnostic) => diagnostic.severity === "error",
  );
  return { deployments: [], diagnostics: errors, sources };
}

/**
 * Returns the bytes of `file` (relative to `root`) when the local cache may vouch for it: a
 * regular file, reached directly or through symlinks that stay inside `root`. Anything else
 * (a symlink out of the repo, a named pipe, which would block the read forever) is left to
 * the full load, which reports it, so the cache never turns that error into a success.
 */
function vouchableBytes(root: string, file: string): Buffer | undefined {
  const absolute = path.join(root, file);
  try {
    if (lstatSync(absolute).isSymbolicLink()) {
      const relative = path.relative(realpathSync(root), realpathSync(absolute));
      if (relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative))
        return undefined;
    }
    return statSync(absolute).isFile() ? readFileSync(absolute) : undefined;
  } catch {
    return undefined;
  }
}

function emptyRepo(): LoadedRepo {
  return { deployments: [], diagnostics: [], sources: {} };
}

function findUpToDate(
  layout: RepoLayout,
  varsFile: string,
  folder: string,
): (Omit<UpToDateDeployment, "name"> & { claims?: DeploymentClaims }) | undefined {
  const { root } = layout;
  const absolute = path.join(root, folder);
  const cache = readCache(root, folder);
  if (cache === undefined || cache.varsFile !== varsFile) return undefined;
  // A changed repo_path changes the Application's source path with the vars file unchanged.
  if ((cache.repoPath ?? "") !== layout.repoPath) return undefined;

  const varsBytes = vouchableBytes(root, varsFile);
  const manifestBytes = vouchableBytes(root, path.join(folder, MANIFEST_FILE));
  if (varsBytes === undefined || sha256(varsBytes) !== cache.varsSha256) return undefined;
  if (manifestBytes === undefined || sha256(manifestBytes) !== cache.manifestSha256) return undefined;
  if (existsSync(path.join(absolute, JOURNAL_FILE))) return undefined;

  // Unchanged folder mtimes mean no file was added, removed or renamed; unchanged file sizes
  // and mtimes mean no file was edited in place.
  if (!foldersMatch(absolute, cache)) return undefined;
  const cached = Object.keys(cache.files);
  for (const file of cached) {
    if (!statMatches(absolute, file, cache.files[file])) return undefined;
  }
  return {
    folder,
    varsFile,
    files: cached.length,
    ...(cache.claims === undefined ? {} : { claims: cache.claims }),
  };
}

/**
 * Reconciles the output of deployments already loaded from `options.layout`.
 * Without `check` it takes the repo lock, unless the caller already holds it (`lockHeld`).
 */
export async function reconcileLoaded(
  options: ReconcileOptions,
  loaded: LoadedRepo,
  lockHeld = false,
): Promise<ReconcileResult> {
  const check = options.check ?? false;
  const base = { check, diagnostics: loaded.diagnostics, sources: loaded.sources ?? {} };
  if (hasErrors(loaded.diagnostics)) return { ...base, valid: false, deployments: [], drift: false };

  const { layout } = options;
  checkOneFilePerFolder(loaded.deployments, options.formatPath);
  const upToDate = loaded.upToDate ?? [];
  const noVars = loaded.deployments.length === 0 && upToDate.length === 0;
  const noDeployments = noVars
    ? await noVarsOutcome(layout, options.pruneOrphans ?? false, options.formatPath)
    : undefined;
  const noteField = noDeployments === undefined ? {} : { noDeployments };
  const knownFolders = [
    ...loaded.deployments.map((deployment) => deployment.outputPath),
    ...upToDate.map((current) => current.folder),
  ];
  const names = options.deployments ?? [];
  const formatPath = options.formatPath ?? repoRelative;
  const { orphans: orphanFolders, foreign } = await scanOutputFolder(layout, knownFolders, formatPath);
  // Like orphans, folders cake did not write are reported only when every deployment is reconciled.
  const foreignFolders = names.length === 0 ? foreign : [];
  const foreignField = foreignFolders.length > 0 ? { foreignFolders } : {};
  const upToDateNames = new Set(upToDate.map((current) => current.name));
  const selected = selectDeployments(
    loaded.deployments,
    names.filter((name) => !upToDateNames.has(name)),
    orphanFolders,
    names.length > 0,
    [...upToDateNames],
  );
  const upToDateReports = upToDate
    .filter((current) => names.length === 0 || names.includes(current.name))
    .map(upToDateReport);
  const orphans = names.length === 0 ? orphanFolders : [];
  const reuse = loaded.reuse ?? new Map<string, LoadReuse>();
  const desired = await Promise.all(
    selected.map((deployment) =>
      renderDeployment(
        layout,
        deployment,
        reuse.get(deployment.outputPath),
        loaded.varsSha256s?.[deployment.varsFile],
      ),
    ),
  );
  for (const output of desired) await checkIsFolder(layout.root, output.folder, formatPath);

  if (check) {
    const plans = await planAll(layout.root, desired, orphans, false, false);
    const reports = plans.map((plan) => ({
      ...reportOf(plan, plan.journalPending),
      ...profilesChangingHands(plan, layout.root),
    }));
    const drift = reports.some(isDrift) || foreignFolders.length > 0;
    return { ...base, valid: true, deployments: reports, drift, ...foreignField, ...noteField };
  }

  let unmatchedAllowances: string[] = [];
  let unmatchedHandoverAllowances: string[] = [];
  let unknownHolders: string[] = [];
  let unknownHoldersReasons: Record<string, string> = {};
  let shallowHistory: string[] = [];
  const write = async (): Promise<DeploymentReport[]> => {
    const recoveries = new Map<string, Recovery>();
    for (const folder of [...desired.map((output) => output.folder), ...orphans]) {
      // A journal to discard stays until the guards pass, so a blocked run leaves the next one
      // what it needs to tell the interrupted run's files from hand edits and report them.
      const recovery = await recoverFolder(path.join(layout.root, folder), layout.root, {
        keepDiscarded: true,
      });
      if (recovery !== undefined) recoveries.set(folder, recovery);
    }

    const plans = await planAll(
      layout.root,
      desired,
      orphans,
      options.pruneOrphans ?? false,
      true,
      recoveries,
    );
    try {
      // Before the guards, which would otherwise report the pulled changes as undone by this run.
      await checkVarsUnchanged(layout.root, plans, formatPath);
      ({
        deletions: unmatchedAllowances,
        handovers: unmatchedHandoverAllowances,
        unknownHolders,
        unknownHoldersReasons,
      } = checkGuards(plans, options, await mergeSideFacts(layout.root, plans)));
      // The interrupted run already removed the Profiles these flags allowed it to.
      const usedByRecovery = allowancesUsedBy(recoveries, plans);
      unmatchedAllowances = unmatchedAllowances.filter((name) => !usedByRecovery.has(name));
      for (const plan of plans) checkWritable(layout.root, plan, formatPath);
    } catch (error) {
      for (const plan of plans) discardPlan(layout.root, plan);
      const completed = [...recoveries]
        .filter(([, recovery]) => recovery.action === "completed")
        .map(([folder, recovery]) => ({
          deployment: path.posix.basename(folder),
          written: recovery.written.length,
          removed: recovery.removed.length,
        }));
      const changedBefore = interruptedRunsChanged(recoveries);
      if (error instanceof ReconcileBlockedError && completed.length + changedBefore.length > 0) {
        throw new ReconcileBlockedError(
          error.profileDeletions,
          error.ownerChanges,
          error.conflicts,
          error.unmatchedAllowances,
          error.profileHandovers,
          error.unmatchedHandoverAllowances,
          completed,
          options.formatPath,
          changedBefore,
        );
      }
      throw error;
    }
    for (const [folder, recovery] of recoveries) {
      await discardKeptJournal(path.join(layout.root, folder), recovery);
    }

    shallowHistory = plans
      .filter((plan) => plan.shallowHistory)
      .map((plan) => path.posix.basename(plan.folder));
    const done: DeploymentReport[] = [...upToDateReports];
    for (const plan of plans) {
      await applyPlan(layout.root, plan);
      recordCache(layout.root, plan);
      if (plan.desired !== undefined) {
        const text = loaded.sources?.[plan.desired.varsFile];
        if (text !== undefined)
          writeStoredLoad(layout.root, plan.folder, text, reuse.get(plan.folder)?.snapshot);
      }
      done.push(reportAfterRecovery(reportOf(plan, false), recoveries.get(plan.folder)));
    }
    return done.sort((a, b) => compareText(a.name, b.name));
  };
  const reports = lockHeld
    ? await write()
    : await withRepoLock(layout.root, "reconcile", write, lockOptions(options));
  return {
    ...base,
    valid: true,
    deployments: reports,
    drift: false,
    ...foreignField,
    ...noteField,
    ...(unmatchedAllowances.length > 0 ? { unmatchedAllowances } : {}),
    ...(unmatchedHandoverAllowances.length > 0 ? { unmatchedHandoverAllowances } : {}),
    ...(unknownHolders.length > 0 ? { unknownHolders } : {}),
    ...(Object.keys(unknownHoldersReasons).length > 0 ? { unknownHoldersReasons } : {}),
    ...(shallowHistory.length > 0 ? { shallowHistory } : {}),
  };
}

/**
 * Rejects the run when a vars file whose output it changes no longer has the bytes it loaded.
 * The repo lock keeps out other cake commands, not git: a `git pull` or `git checkout` during
 * the run rewrites the vars file and its output, and the planned files would undo those changes.
 */
async function checkVarsUnchanged(
  root: string,
  plans: readonly FolderPlan[],
  formatPath: PathFormatter,
): Promise<void> {
  for (const plan of plans) {
    if (plan.desired === undefined || !planHasChanges(plan)) continue;
    const { varsFile, varsSha256 } = plan.desired;
    let current: string | undefined;
    try {
      current = sha256(await readFile(path.resolve(root, varsFile)));
    } catch {
      current = undefined;
    }
    if (current === varsSha256) continue;
    throw new CakeError(
      `${formatPath(varsFile)} changed while cake reconcile ran (a git pull, checkout or editor saved it), ` +
        'so nothing was written; run "cake reconcile" again.',
    );
  }
}

function lockOptions(options: ReconcileOptions): LockOptions {
  return options.waitMs === undefined ? {} : { waitMs: options.waitMs };
}

/** Returns the Profile names of `deployment`, and the private ones with their users' emails. */
function profileNames(deployment: Deployment): { profiles: string[]; profileUsers: Record<string, string> } {
  const profiles = profilesOf(deployment);
  return { profiles: profiles.map((profile) => profile.name), profileUsers: profileUsersOf(profiles) };
}

/**
 * Plans the files of `deployment`, with the manifest data that goes with them. Files are
 * generated and serialized only when the writer requests their bytes.
 */
export async function renderDeployment(
  layout: Pick<RepoLayout, "root" | "repoPath">,
  loaded: Deployment,
  reuse?: LoadReuse,
  loadedSha256?: string,
): Promise<DesiredOutput> {
  const { root } = layout;
  // The folder in the git repository comes from the layout, not the vars file, so it joins the model here.
  const deployment: Deployment = layout.repoPath === "" ? loaded : { ...loaded, repoPath: layout.repoPath };
  const { planDeploymentFiles } = await import("../generate/index.js");
  const header = generatedHeader(deployment.varsFile);
  const serializer = createSerializer();
  const knownFingerprint = reusableFingerprints(root, deployment, reuse);
  const files = planDeploymentFiles(deployment, knownFingerprint).map((file) => ({
    path: file.path,
    render: () => serializer.serializeFile(file.build(), header),
    ...(file.fingerprint === undefined ? {} : { fingerprint: file.fingerprint }),
  }));

  return {
    folder: deployment.outputPath,
    varsFile: deployment.varsFile,
    // The bytes that were loaded: a vars file saved since then must look changed to the next run.
    varsSha256: loadedSha256 ?? (await varsFileSha256(root, deployment.varsFile)),
    profileOwner: deployment.kubeflow.profileOwner,
    ...profileNames(deployment),
    files,
    deployment,
  };
}

async function varsFileSha256(root: string, varsFile: string): Promise<string> {
  try {
    return sha256(await readFile(path.resolve(root, varsFile)));
  } catch (error) {
    throw new CakeError(`cannot read ${varsFile}: ${readFailureReason(error)}`);
  }
}

/**
 * After an incremental load, returns the cached fingerprint of each profile the change cannot
 * affect. The cache must record the output of the very text the load started from, or an
 * unaffected profile's file could still be stale.
 */
function reusableFingerprints(
  root: string,
  deployment: Deployment,
  reuse: LoadReuse | undefined,
): ((profile: string) => string | undefined) | undefined {
  const affected = reuse?.affectedProfiles;
  if (affected === undefined || reuse?.previousVarsSha256 === undefined) return undefined;
  const cache: OutputCache | undefined = readCache(root, deployment.outputPath);
  if (cache === undefined || cache.varsSha256 !== reuse.previousVarsSha256) return undefined;
  return (profile) => (affected.has(profile) ? undefined : cache.files[profilePath(profile)]?.fingerprint);
}

/** Rejects a deployment folder path that exists as something other than a folder. */
async function checkIsFolder(root: string, folder: string, formatPath: PathFormatter): Promise<void> {
  const info = await stat(path.join(root, folder)).catch(() => undefined);
  if (info !== undefined && !info.isDirectory()) {
    throw new CakeError(
      `${formatPath(folder)} is a file, but cake writes a deployment folder there; move the file away and rerun.`,
    );
  }
}

/** Plans every selected folder; orphans are planned for removal when pruning, or reported as they are. */
async function planAll(
  root: string,
  desired: DesiredOutput[],
  orphans: string[],
  pruneOrphans: boolean,
  writing: boolean,
  recoveries?: ReadonlyMap<string, Recovery>,
): Promise<FolderPlan[]> {
  const plans: FolderPlan[] = [];
  try {
    for (const output of desired) {
      // `--check` proves the output from the bytes on disk and never trusts the cache.
      const cache = writing ? readCache(root, output.folder) : undefined;
      const ownWrites = recoveries?.get(output.folder)?.ownWrites;
      plans.push(
        await planFolder(root, output, cache, { stage: writing, ...(ownWrites ? { ownWrites } : {}) }),
      );
    }
  } catch (error) {
    for (const plan of plans) discardPlan(root, plan);
    throw error;
  }
  for (const folder of orphans) {
    const plan = await planFolderRemoval(root, folder);
    // A kept orphan is reported, and applying its emptied plan writes nothing.
    plans.push(pruneOrphans ? plan : { ...plan, changes: [], manifestChanged: false });
  }
  return plans;
}

function selectDeployments(
  deployments: Deployment[],
  names: string[],
  orphanFolders: string[],
  filtered: boolean,
  otherNames: string[],
): Deployment[] {
  if (names.length === 0) return filtered ? [] : deployments;

  const byName = new Map(deployments.map((deployment) => [deployment.name, deployment]));
  const unknown = names.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    const known = [...byName.keys(), ...otherNames].sort(compareText).join(", ") || "none";
    const orphanNames = new Set(orphanFolders.map((folder) => path.posix.basename(folder)));
    const hints = unknown
      .filter((name) => orphanNames.has(name))
      .map(
        (name) =>
          ` The output of "${name}" has no vars file; run reconcile --prune-orphans without --deployment to delete it.`,
      )
      .join("");
    // The editing commands take "all"; reconcile does every deployment without the option.
    const all = unknown.includes("all")
      ? " Leave out --deployment to reconcile every deployment."
      : hints === ""
        ? " Use the vars file's name without .yaml."
        : "";
    const knownNames = [...byName.keys(), ...otherNames];
    const typo = unknown.length === 1 ? didYouMean(unknown[0] as string, knownNames) : "";
    throw new UsageError(
      `--deployment ${unknown.map((name) => `"${name}"`).join(", ")} matches no vars file (known deployments: ${known}).${typo}${hints}${all}`,
    );
  }
  return [...new Set(names)].map((name) => byName.get(name) as Deployment);
}

/** The folders of the output folder that no vars file maps to. */
interface OutputFolderScan {
  /** Folders cake wrote (manifest or journal present): the output of deleted vars files. */
  orphans: string[];
  /** Folders and symlinks cake did not write, which an Argo CD ApplicationSet would still sync. */
  foreign: string[];
}

/** Sorts the folders of the output folder that no vars file maps to into orphans and foreign folders. */
async function scanOutputFolder(
  layout: RepoLayout,
  knownFolders: readonly string[],
  formatPath: PathFormatter = repoRelative,
): Promise<OutputFolderScan> {
  const known = new Set(knownFolders.map((folder) => folder.toLowerCase()));
  let entries: Dirent[];
  try {
    entries = await readdir(path.join(layout.root, layout.outputDir), { withFileTypes: true });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "ENOENT") return { orphans: [], foreign: [] };
    if (code === "ENOTDIR") {
      throw new CakeError(
        `${formatPath(layout.outputDir)} is a file, but cake writes the deployment folders there; move the file away, ` +
          "or set another output folder with --output-dir or output_dir in cake.yaml.",
      );
    }
    throw error;
  }

  const orphans: string[] = [];
  const foreign: string[] = [];
  for (const entry of entries) {
    const folder = `${layout.outputDir}/${entry.name}`;
    if (entry.isSymbolicLink()) {
      foreign.push(folder);
      continue;
    }
    if (!entry.isDirectory() || known.has(folder.toLowerCase())) continue;
    const names = await readdir(path.join(layout.root, folder));
    if (names.includes(MANIFEST_FILE) || names.includes(JOURNAL_FILE)) orphans.push(folder);
    // A folder that is empty, or contains only hidden entries such as `.gitkeep`, syncs nothing.
    else if (names.some((name) => !name.startsWith("."))) foreign.push(folder);
  }
  return { orphans: orphans.sort(compareText), foreign: foreign.sort(compareText) };
}

/**
 * Returns the warning for a folder of the output folder that cake did not write, given
 * relative to the repo root. The generator pattern `outputDir/*` stays relative to the repo
 * root, as Argo CD reads it.
 */
export function foreignFolderMessage(
  folder: string,
  outputDir: string,
  symlink = false,
  formatPath: PathFormatter = repoRelative,
): string {
  const shown = formatPath(folder);
  if (symlink) {
    return (
      `${shown} is a symlink, which cake never writes, and an Argo CD ApplicationSet with a directory generator ` +
      `over ${outputDir}/* would sync what it points to; delete it`
    );
  }
  return (
    `${shown} is not cake output (no vars file maps to it and it has no manifest), but an Argo CD ` +
    `ApplicationSet with a directory generator over ${outputDir}/* would sync it; delete it, or move it out of ${formatPath(outputDir)}/`
  );
}

function foldersToCheck(hasConfig: boolean): string {
  return hasConfig
    ? `check --repo, --vars-dir and vars_dir in ${CONFIG_FILE}`
    : "check --repo and --vars-dir";
}

/**
 * Returns the fix for an ops repo without vars files or generated output. Only `cake.yaml` at
 * the root distinguishes a repo that retired its last deployment from a wrong folder.
 */
export function noVarsFix(hasConfig: boolean, rootHasVarsFiles = false): string {
  if (rootHasVarsFiles) {
    // A vars folder taken for the root, as `cd vars` in a repo without cake.yaml outside git does.
    return (
      "the repo root is named like the vars folder and holds *.yaml files: run cake from the ops repo root, " +
      "or pass --repo with it (--repo .. from the vars folder)."
    );
  }
  const retired = hasConfig
    ? ""
    : `. If this ops repo has retired its last deployment, add a ${CONFIG_FILE} (it may be empty) at its root`;
  return `${foldersToCheck(hasConfig)}${retired}.`;
}

/**
 * Returns the `noDeployments` note for a repo without vars files, or undefined where reconcile
 * goes on without one, or throws a UsageError where the folders are more likely wrong. `cake
 * validate` calls it with `pruneOrphans` false, so both commands give the same advice.
 * `formatPath` gives the folders that the note and the errors name.
 */
export async function noVarsOutcome(
  layout: RepoLayout,
  pruneOrphans: boolean,
  formatPath: PathFormatter = repoRelative,
): Promise<string | undefined> {
  const note = await noDeploymentsNote(layout, formatPath);
  const varsDir = formatPath(layout.varsDir);
  const outputDir = formatPath(layout.outputDir);
  if (note !== undefined) return note;

  const { orphans } = await scanOutputFolder(layout, []);
  // The vars files of the cookiecutter layout: the likely fix, and then no prune is offered.
  const legacy = await misplacedVarsHint(layout, formatPath);
  const hasConfig =
    (await stat(path.join(layout.root, CONFIG_FILE)).catch(() => undefined))?.isFile() ?? false;
  const folders = foldersToCheck(hasConfig);
  if (orphans.length === 0) {
    const rootHasVarsFiles = !hasConfig && (await rootLooksLikeVarsFolder(layout));
    throw new UsageError(
      `no vars files (*.yaml, *.yml) found in ${varsDir} and no generated output in ${outputDir}; ` +
        (legacy ?? noVarsFix(hasConfig, rootHasVarsFiles)),
    );
  }
  // No vars file beside generated output is more often a wrong vars folder (a typo in
  // --vars-dir or cake.yaml) than every deployment retired. All output would then look
  // orphaned, and --check would advise deleting every Profile. Retiring them all takes
  // --prune-orphans, which names the folders it deletes.
  if (pruneOrphans) return undefined;
  throw new UsageError(
    `no vars files (*.yaml, *.yml) found in ${varsDir}, beside generated output in ${outputDir}; ` +
      (legacy ??
        `${folders}. To delete the output of every deployment, ` +
          `run "${pruneCommand(orphans.map((folder) => path.posix.basename(folder)))}".`),
  );
}

/**
 * Returns a note when the repo at `layout`, which has no vars files, has retired every
 * deployment: `cake.yaml` is at its root, the output folder has no folder cake wrote, and
 * the older layout's folder has no vars files. Otherwise returns undefined, because an
 * empty vars folder is then more likely a wrong `--repo` or `--vars-dir`.
 */
export async function noDeploymentsNote(
  layout: RepoLayout,
  formatPath: PathFormatter = repoRelative,
): Promise<string | undefined> {
  const config = await stat(path.join(layout.root, CONFIG_FILE)).catch(() => undefined);
  if (!config?.isFile() || (await legacyVarsHint(layout)) !== undefined) return undefined;
  const { orphans } = await scanOutputFolder(layout, []);
  return orphans.length > 0 ? undefined : noDeploymentsText(layout, formatPath);
}

/** Returns the text of the note for an ops repo without deployments (see `noDeploymentsNote`). */
export function noDeploymentsText(layout: RepoLayout, formatPath: PathFormatter = repoRelative): string {
  return (
    `no vars files (*.yaml, *.yml) in ${formatPath(layout.varsDir)} and no generated output in ${formatPath(layout.outputDir)}, ` +
    `so this ops repo has no deployments; if it should have some, check --vars-dir ` +
    `and vars_dir in ${CONFIG_FILE}`
  );
}

/** A Profile that reconcile would delete, with its namespace and data. */
export interface ProfileDeletion {
  deployment: string;
  profile: string;
  /** True when the deployment's vars file was deleted (`--prune-orphans`), not the Profile's entry. */
  orphan: boolean;
  /** The holder's new username, when the Profile leaves because its user was renamed. */
  renamedTo?: string;
  /**
   * The one side of a git merge that had the Profile, when the folder's manifest had conflict
   * markers that show it: `ours` is the branch checked out, `theirs` the branch merged into it.
   */
  mergeSide?: "ours" | "theirs";
  /**
   * For a `mergeSide` Profile: whether the branch Argo CD syncs contains that side's commit.
   * Absent when git cannot resolve `gitops.target_revision` or the side's commit.
   */
  targetBranch?: TargetBranchFacts;
}

/** A Profile that stays in the output while its namespace, and the data in it, changes hands. */
export interface ProfileHandover {
  deployment: string;
  profile: string;
  /** The email of the user whose private profile it was, or null for a deploy namespace. */
  from: string | null;
  /** The email of the user whose private profile it becomes, or null for a deploy namespace. */
  to: string | null;
  /** True when the Profile left the output in an earlier run and now comes back for someone else. */
  earlier?: boolean;
}

export interface OwnerChange {
  deployment: string;
  from: string;
  to: string;
}

/** An interrupted run's journal that a run completed, in one deployment folder. */
export interface InterruptedRunCompleted {
  deployment: string;
  /** Files the journal wrote and deleted. */
  written: number;
  removed: number;
}

/**
 * The files that an interrupted run changed before it stopped, in one deployment folder, when
 * its journal is to be discarded. Paths are relative to the deployment folder.
 */
export interface InterruptedRunChanges {
  deployment: string;
  /** Deployment folder relative to the repo root. */
  folder: string;
  /** Files it renamed into place (written or restored). */
  written: string[];
  removed: string[];
}

/**
 * Reconcile stopped before writing anything: it would delete Profiles or change
 * the profile owner without permission, or overwrite files cake did not generate.
 */
export class ReconcileBlockedError extends CakeError {
  constructor(
    readonly profileDeletions: ProfileDeletion[],
    readonly ownerChanges: OwnerChange[],
    /** Paths relative to the repo root. */
    readonly conflicts: string[],
    /** Entries of `--allow-profile-deletion` that named no Profile leaving the output. */
    readonly unmatchedAllowances: string[] = [],
    readonly profileHandovers: ProfileHandover[] = [],
    /** Entries of `--allow-profile-handover` that named no Profile changing hands. */
    readonly unmatchedHandoverAllowances: string[] = [],
    /**
     * Interrupted runs this run completed before its guards stopped it: their files were
     * written, so "nothing was written" would not be true.
     */
    readonly interruptedRunsCompleted: InterruptedRunCompleted[] = [],
    /** The formatter of the paths of `conflicts` and `interruptedRunsChanged` in the message. */
    formatPath: PathFormatter = repoRelative,
    /**
     * Interrupted runs whose journal is to be discarded and which had changed files before they
     * stopped. Those files stay changed, so "nothing was written" alone would mislead.
     */
    readonly interruptedRunsChanged: InterruptedRunChanges[] = [],
  ) {
    super(
      blockedMessage(
        profileDeletions,
        ownerChanges,
        conflicts.map(formatPath),
        profileHandovers,
        interruptedRunsCompleted,
        interruptedRunsChanged,
        formatPath,
        [
          ...(unmatchedAllowances.length > 0 ? [unmatchedAllowancesMessage(unmatchedAllowances)] : []),
          ...(unmatchedHandoverAllowances.length > 0
            ? [unmatchedHandoversMessage(unmatchedHandoverAllowances)]
            : []),
        ],
      ),
    );
    this.name = "ReconcileBlockedError";
  }
}

/**
 * Stops before any write when the output would lose a Profile (and with it the
 * namespace and its data) that `--allow-profile-deletion` does not name, when a Profile
 * would change hands without `--allow-profile-handover`, when the profile owner would
 * change without `--allow-owner-change`, or when a file cake did not generate is in the
 * way. Returns the allowances of each flag that matched nothing: typos, most likely.
 */
function checkGuards(
  plans: readonly FolderPlan[],
  options: ReconcileOptions,
  sideFacts: ReadonlyMap<string, MergeSideFacts>,
): {
  deletions: string[];
  handovers: string[];
  unknownHolders: string[];
  unknownHoldersReasons: Record<string, string>;
} {
  // A name alone allows the deletion in every deployment; `<deployment>/<profile>` in one.
  const allowed = new Set(options.allowProfileDeletion ?? []);
  const used = new Set<string>();
  // `DEPLOYMENT/*` allows every deletion in one deployment, to retire it with --prune-orphans.
  const isAllowed = (deployment: string, profile: string): boolean => {
    const names = [profile, `${deployment}/${profile}`, `${deployment}/*`].filter((name) =>
      allowed.has(name),
    );
    for (const name of names) used.add(name);
    return names.length > 0;
  };
  const handoversAllowed = new Set(options.allowProfileHandover ?? []);
  const handoversUsed = new Set<string>();
  const profileDeletions: ProfileDeletion[] = [];
  const profileHandovers: ProfileHandover[] = [];
  const ownerChanges: OwnerChange[] = [];
  const unknownHolders: string[] = [];
  const unknownHoldersReasons: Record<string, string> = {};

  for (const plan of plans) {
    const deployment = path.posix.basename(plan.folder);
    if (plan.desired === undefined && !options.pruneOrphans) continue;

    const remaining = new Set(plan.desired?.profiles ?? []);
    const current = new Set([...plan.previousProfiles, ...(plan.committedProfiles ?? [])]);
    for (const profile of [...current].sort(compareText)) {
      if (!remaining.has(profile) && !isAllowed(deployment, profile))
        profileDeletions.push({
          deployment,
          profile,
          orphan: plan.desired === undefined,
          ...renamed(plan, profile),
          ...mergeSideOf(plan, profile, sideFacts.get(plan.folder)),
        });
    }

    const found = handoversOf(plan, options.layout.root);
    for (const profile of found.unknownHolders) unknownHolders.push(`${deployment}/${profile}`);
    if (found.unknownHolders.length > 0 && plan.holdersProblem !== undefined) {
      unknownHoldersReasons[deployment] = plan.holdersProblem;
    }
    for (const handover of found.handovers) {
      const { profile } = handover;
      const names = [profile, `${deployment}/${profile}`, "*", `${deployment}/*`].filter((name) =>
        handoversAllowed.has(name),
      );
      for (const name of names) handoversUsed.add(name);
      if (names.length === 0) profileHandovers.push({ deployment, ...handover });
    }

    const owner = plan.desired?.profileOwner;
    const ownerChanged =
      owner !== undefined && plan.previousOwner !== undefined && owner !== plan.previousOwner;
    if (ownerChanged && !options.allowOwnerChange) {
      ownerChanges.push({ deployment, from: plan.previousOwner ?? "", to: owner });
    }
  }

  const conflicts = plans.flatMap((plan) => plan.conflicts.map((file) => `${plan.folder}/${file}`));
  const unmatched = [...allowed].filter((name) => !used.has(name)).sort(compareText);
  const handovers = [...handoversAllowed].filter((name) => !handoversUsed.has(name)).sort(compareText);
  const blocked = profileDeletions.length + profileHandovers.length + ownerChanges.length + conflicts.length;
  if (blocked > 0) {
    throw new ReconcileBlockedError(
      profileDeletions,
      ownerChanges,
      conflicts,
      unmatched,
      profileHandovers,
      handovers,
      [],
      options.formatPath,
    );
  }
  return { deletions: unmatched, handovers, unknownHolders, unknownHoldersReasons };
}

/** Returns the merge side that alone had `profile`, with the facts git has about that side. */
function mergeSideOf(
  plan: FolderPlan,
  profile: string,
  facts: MergeSideFacts | undefined,
): Pick<ProfileDeletion, "mergeSide" | "targetBranch"> {
  const side = plan.previousManifest?.oneSideProfiles?.[profile];
  if (side === undefined) return {};
  const targetBranch = facts?.[side];
  return targetBranch === undefined ? { mergeSide: side } : { mergeSide: side, targetBranch };
}

/**
 * Returns the new username of the user who held `profile` in the previous output, when that
 * user is still in the desired output under another private profile.
 */
function renamed(plan: FolderPlan, profile: string): { renamedTo?: string } {
  const holder = plan.previousManifest?.profileUsers?.[profile];
  if (holder === undefined || holder === null || plan.desired === undefined) return {};
  const now = Object.entries(plan.desired.profileUsers).find(([, email]) => email === holder)?.[0];
  return now === undefined || now === profile ? {} : { renamedTo: now };
}

/**
 * Returns the Profiles of `plan` that stay in the output with another user, or that turn
 * from a user's private profile into a deploy namespace or back. Emails are compared byte
 * for byte: they are identities. The previous holder of a profile file that this run
 * updates comes from that file, as cake last wrote it. Otherwise it comes from the
 * manifest, and a manifest without `profileUsers` (written before cake recorded them)
 * shows no handover.
 */
function handoversOf(
  plan: FolderPlan,
  root: string,
): { handovers: Omit<ProfileHandover, "deployment">[]; unknownHolders: string[] } {
  if (plan.desired === undefined) return { handovers: [], unknownHolders: [] };
  const previous = plan.previousManifest?.profileUsers;
  const before = new Set(plan.previousProfiles);
  const removed = { ...plan.keptProfiles, ...plan.previousManifest?.removedProfiles };
  const current = plan.desired.profileUsers;
  // A restored file was edited by hand, so only updated (and unchanged) files tell who held a Profile.
  const updated = new Set(
    plan.changes.filter((change) => change.action === "update").map((change) => change.path),
  );
  const unchanged = new Set(
    plan.changes.filter((change) => change.action === "unchanged").map((change) => change.path),
  );
  const handovers: Omit<ProfileHandover, "deployment">[] = [];
  const unknownHolders: string[] = [];
  for (const profile of plan.desired.profiles) {
    const to = current[profile] ?? null;
    if (before.has(profile)) {
      // Without recorded holders, unchanged files are read too, to name the Profiles cake cannot check.
      const file = profilePath(profile);
      const fromFile =
        updated.has(file) || (previous === undefined && unchanged.has(file))
          ? adminInFile(path.join(root, plan.folder, file))
          : undefined;
      if (fromFile === undefined && previous === undefined) unknownHolders.push(profile);
      const from = fromFile ?? (previous === undefined ? to : (previous[profile] ?? null));
      if (from !== to) handovers.push({ profile, from, to });
    } else if (Object.hasOwn(removed, profile)) {
      const from = removed[profile] ?? null;
      if (from !== to) handovers.push({ profile, from, to, earlier: true });
    }
  }
  return { handovers, unknownHolders };
}

function blockedMessage(
  profileDeletions: ProfileDeletion[],
  ownerChanges: OwnerChange[],
  conflicts: string[],
  profileHandovers: ProfileHandover[],
  completed: InterruptedRunCompleted[],
  changedBefore: InterruptedRunChanges[],
  formatPath: PathFormatter,
  unmatched: string[],
): string {
  const retired = [
    ...new Set(profileDeletions.filter((deletion) => deletion.orphan).map((deletion) => deletion.deployment)),
  ];
  const problems = [
    ...profileDeletions.map(
      ({ deployment, profile, orphan, renamedTo, mergeSide, targetBranch }) =>
        `${deployment}: Profile "${profile}" would leave the output. ` +
        (mergeSide === undefined ? "" : mergeSideNote(mergeSide, targetBranch)) +
        "Argo CD keeps it (Prune=false), " +
        `but whoever deletes it then deletes namespace "${profile}" with all its notebooks, volumes and pipelines. ` +
        (orphan
          ? "Its vars file was deleted: to keep the deployment, restore the vars file instead of pruning. "
          : renamedTo !== undefined
            ? `Its user's username changed to "${renamedTo}", so the user gets a new, empty Profile "${renamedTo}": ` +
              `to keep working with the data, keep the username "${profile}". `
            : "To revoke a user's access and keep the data, set disabled: true on the user instead of removing the entry; " +
              "for a deploy namespace, keep it in deploy_namespaces. ") +
        `To remove it anyway, rerun with --allow-profile-deletion=${deployment}/${profile}`,
    ),
    ...retired.map(
      (deployment) =>
        `${deployment}: to retire the whole deployment, allow all its Profiles at once with ` +
        `--allow-profile-deletion='${deployment}/*'`,
    ),
    ...profileHandovers.slice(0, MAX_LISTED_HANDOVERS).map(handoverProblem),
    ...(profileHandovers.length > MAX_LISTED_HANDOVERS
      ? [
          `and ${profileHandovers.length - MAX_LISTED_HANDOVERS} more Profiles would change hands. When every ` +
            "email of a deployment changes on purpose (a new email domain, say), rerun with " +
            `--allow-profile-handover=${profileHandovers[0]?.deployment}/*`,
        ]
      : []),
    ...ownerChanges.map(
      ({ deployment, from, to }) =>
        `${deployment}: kubeflow.profile_owner would change from "${from}" to "${to}". ` +
        "The Kubeflow profile controller does not support owner changes: it stops managing every existing " +
        "namespace whose owner annotation no longer matches its Profile. " +
        "To change the owner anyway, rerun with --allow-owner-change",
    ),
  ];
  if (conflicts.length > 0) {
    problems.push(
      "these paths are in the way: files cake did not generate (they have no cake header and are not in " +
        `${MANIFEST_FILE}), a folder where cake writes a file, or a file where it needs a folder:\n` +
        `${conflicts.map((file) => `    ${file}`).join("\n")}\n` +
        "  Move or delete them (git keeps their history), then rerun. Cake never overwrites files it did not generate.",
    );
  }
  problems.push(...unmatched);
  problems.push(...changedBefore.map((changes) => interruptedChangesProblem(changes, formatPath)));
  const done =
    completed.length === 0
      ? "nothing was written"
      : "nothing more was written, after completing the interrupted reconcile of " +
        completed
          .map(
            ({ deployment, written, removed }) =>
              `${deployment} (${written} ${written === 1 ? "file" : "files"} written, ${removed} removed)`,
          )
          .join(", ");
  const header =
    changedBefore.length === 0
      ? done
      : `${done}, but an interrupted reconcile of ` +
        `${changedBefore.map(({ deployment }) => deployment).join(", ")} had changed files before it stopped (listed below)`;
  return `${header}:\n${problems.map((problem) => `  ${problem}`).join("\n")}`;
}

/** The number of files of one interrupted run that a blocked message lists. */
const MAX_LISTED_INTERRUPTED_CHANGES = 10;

/** Lists the files an interrupted run changed, whose journal a blocked run keeps for the next run. */
function interruptedChangesProblem(changes: InterruptedRunChanges, formatPath: PathFormatter): string {
  const folderPath = (file: string): string => formatPath(`${changes.folder}/${file}`);
  const lines = [
    ...changes.written.map((file) => `wrote ${folderPath(file)}`),
    ...changes.removed.map((file) => `removed ${folderPath(file)}`),
  ];
  const listed = lines.slice(0, MAX_LISTED_INTERRUPTED_CHANGES).map((line) => `    ${line}`);
  if (lines.length > MAX_LISTED_INTERRUPTED_CHANGES) {
    listed.push(`    and ${lines.length - MAX_LISTED_INTERRUPTED_CHANGES} more (git status lists them)`);
  }
  return (
    `${changes.deployment}: the interrupted reconcile changed these files, and they stay as it left them. ` +
    "The first reconcile that gets past the checks above discards its journal and reports them:\n" +
    listed.join("\n")
  );
}

/**
 * Returns the user of the admin RoleBinding in a generated profile file: the private
 * profile's holder. Undefined when the file has none (a deploy namespace, a disabled user)
 * or cannot be read.
 */
function adminInFile(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return adminInProfileText(text);
}

/** Describes one handover, with advice for an email that changed only in case or Unicode form. */
function handoverProblem({ deployment, profile, from, to, earlier }: ProfileHandover): string {
  const allow = `--allow-profile-handover=${deployment}/${profile}`;
  if (earlier) {
    return (
      `${deployment}: Profile "${profile}" would come back as ${holder(to)}, but it left the output earlier as ` +
      `${holder(from)}. Argo CD keeps a removed Profile and its namespace (Prune=false), so unless someone ` +
      `deleted namespace "${profile}" from the cluster, its notebooks, volumes and pipelines would reach the ` +
      `new holder. Give the new user or deploy namespace another name, or, once the namespace is deleted, rerun with ${allow}`
    );
  }
  const lead = `${deployment}: Profile "${profile}" would change hands: it is ${holder(from)} and would become ${holder(to)}.`;
  if (from !== null && to !== null && sameUnicodeText(from, to)) {
    return (
      `${lead} The emails look the same but are written with other Unicode code points ` +
      `(${nonAsciiCodePoints(from)} and ${nonAsciiCodePoints(to)}), and cake compares identities byte for byte. ` +
      `When both name the same person (the identity provider sends the new form), rerun with ${allow}`
    );
  }
  if (from !== null && to !== null && from.toLowerCase() === to.toLowerCase()) {
    return (
      `${lead} The emails differ only in case, and cake compares identities byte for byte. When both ` +
      `name the same person (the identity provider sends the new form), rerun with ${allow}`
    );
  }
  return (
    `${lead} Namespace "${profile}" keeps its notebooks, volumes and pipelines, and its cloud identity keeps ` +
    "its name, so they would reach the new holder. Give the new user or deploy namespace another name. " +
    `When both emails name the same person (a new email address), or the data may go to the new holder, rerun with ${allow}`
  );
}

/** The number of handovers a blocked message describes one by one; a new email domain makes thousands. */
const MAX_LISTED_HANDOVERS = 10;

/** Returns the holder of a Profile in words: a user's private profile, or a deploy namespace. */
function holder(email: string | null): string {
  return email === null ? "a deploy namespace" : `the private profile of ${email}`;
}

function upToDateReport(current: UpToDateDeployment): DeploymentReport {
  return {
    name: current.name,
    folder: current.folder,
    varsFile: current.varsFile,
    orphan: false,
    changes: [],
    unchanged: current.files,
    conflicts: [],
    manifestChanged: false,
    olderManifest: false,
    journalPending: false,
  };
}

function reportOf(plan: FolderPlan, journalPending: boolean): DeploymentReport {
  return {
    name: path.posix.basename(plan.folder),
    folder: plan.folder,
    varsFile: plan.desired?.varsFile,
    orphan: plan.desired === undefined,
    changes: plan.changes.filter((change) => change.action !== "unchanged"),
    unchanged: plan.changes.filter((change) => change.action === "unchanged").length,
    conflicts: plan.conflicts,
    manifestChanged: plan.manifestChanged,
    olderManifest: (plan.previousManifest?.manifestVersion ?? MANIFEST_VERSION) < MANIFEST_VERSION,
    journalPending,
    ...(plan.mergeConflicts === undefined ? {} : { mergeConflicts: plan.mergeConflicts }),
    ...(plan.desired !== undefined && plan.previousManifest === undefined ? { manifestMissing: true } : {}),
    ...profilesLeaving(plan),
    ...(argocdAsRecorded(plan) ? { argocdAsRecorded: true } : {}),
  };
}

/**
 * Returns true when the desired `argocd/` files of `plan`, paths and bytes, are those that the
 * folder's manifest records, or without one, the manifest committed at HEAD. Without either
 * record nothing is known of what was applied, so it returns false.
 */
function argocdAsRecorded(plan: FolderPlan): boolean {
  const recorded = plan.previousManifest?.files ?? plan.committedFiles;
  if (recorded === undefined || plan.desired === undefined) return false;
  const isArgocd = (file: string) => file.startsWith(ARGOCD_FOLDER);
  const desired = [...plan.hashes].filter(([file]) => isArgocd(file));
  const before = Object.keys(recorded).filter(isArgocd);
  return desired.length === before.length && desired.every(([file, { sha256 }]) => recorded[file] === sha256);
}

function profilesLeaving(plan: FolderPlan): { profilesLeaving?: string[] } {
  const desired = new Set(plan.desired?.profiles ?? []);
  const current = new Set([...plan.previousProfiles, ...(plan.committedProfiles ?? [])]);
  const leaving = [...current].filter((profile) => !desired.has(profile)).sort(compareText);
  return leaving.length === 0 ? {} : { profilesLeaving: leaving };
}

function profilesChangingHands(plan: FolderPlan, root: string): { profilesChangingHands?: string[] } {
  const changing = handoversOf(plan, root)
    .handovers.map((handover) => handover.profile)
    .sort(compareText);
  return changing.length === 0 ? {} : { profilesChangingHands: changing };
}

/**
 * Returns the `--allow-profile-deletion` names that match Profiles whose files the journals of
 * interrupted runs removed, or that `plans` remove, by folder: `deployment/*`,
 * `deployment/profile` and `profile`. A discarded journal counts for the deletions its run
 * carried out before it stopped. A plan can remove a Profile file that the guards never saw
 * leave: after a discarded run renamed its manifest, which no longer records the file.
 */
function allowancesUsedBy(
  recoveries: ReadonlyMap<string, Recovery>,
  plans: readonly FolderPlan[],
): Set<string> {
  const removedByFolder = [
    ...[...recoveries].map(([folder, recovery]) => ({ folder, removed: recovery.removed })),
    ...plans.map((plan) => ({
      folder: plan.folder,
      removed: plan.changes.filter((change) => change.action === "remove").map((change) => change.path),
    })),
  ];
  const names = new Set<string>();
  for (const { folder, removed } of removedByFolder) {
    const deployment = path.posix.basename(folder);
    for (const file of removed) {
      const profile = /^profiles\/([^/]+)\.yaml$/.exec(file)?.[1];
      if (profile === undefined) continue;
      names.add(`${deployment}/*`).add(`${deployment}/${profile}`).add(profile);
    }
  }
  return names;
}

/**
 * Returns `report` with what the interrupted run and its recovery did first: the files its
 * journal wrote or removed count as this run's, because the run that started them ended
 * before it could report them. That holds for a discarded journal too, for the files its run
 * had renamed into place before it stopped.
 */
function reportAfterRecovery(report: DeploymentReport, recovery: Recovery | undefined): DeploymentReport {
  if (recovery === undefined) return report;
  const merged = withRecoveredChanges(report, recovery);
  if (recovery.action === "completed") return { ...merged, journalPending: true };
  // A manifest that the discarded run renamed records that run's output, not what was applied.
  // The `argocd/` files the run changed differ from what was applied, even where they match it.
  const argocdChangedBefore =
    recovery.manifestRenamed &&
    [...recovery.written, ...recovery.removed].some((file) => file.startsWith(ARGOCD_FOLDER));
  const { argocdAsRecorded, ...rest } = merged;
  return {
    ...rest,
    ...(argocdAsRecorded === true && !argocdChangedBefore ? { argocdAsRecorded } : {}),
    journalDiscarded: true,
    ...(recovery.torn.length > 0 ? { journalTorn: recovery.torn } : {}),
    ...(recovery.written.length > 0 ? { journalWritten: recovery.written } : {}),
    ...(recovery.removed.length > 0 ? { journalRemoved: recovery.removed } : {}),
  };
}

/** Returns the files that interrupted runs whose journals are to be discarded had changed. */
function interruptedRunsChanged(recoveries: ReadonlyMap<string, Recovery>): InterruptedRunChanges[] {
  return [...recoveries]
    .filter(([, recovery]) => recovery.action === "discarded")
    .filter(([, recovery]) => recovery.written.length + recovery.removed.length > 0)
    .map(([folder, recovery]) => ({
      deployment: path.posix.basename(folder),
      folder,
      written: recovery.written,
      removed: recovery.removed,
    }));
}

/**
 * Adds the files `recovery` lists as written or removed to the changes of `report`, unless this
 * run's plan changes them too, and takes the written ones out of the unchanged count.
 */
function withRecoveredChanges(report: DeploymentReport, recovery: Recovery): DeploymentReport {
  const planned = new Set(report.changes.map((change) => change.path));
  const restored = new Set(recovery.restored);
  const recovered: FileChange[] = [
    ...recovery.written
      .filter((file) => !planned.has(file))
      .map((file) => ({
        path: file,
        action: restored.has(file) ? ("restore" as const) : ("update" as const),
      })),
    ...recovery.removed
      .filter((file) => !planned.has(file))
      .map((file) => ({ path: file, action: "remove" as const })),
  ];
  const changes = [...report.changes, ...recovered].sort((a, b) => compareText(a.path, b.path));
  const unchanged = Math.max(
    0,
    report.unchanged - recovered.filter((change) => change.action !== "remove").length,
  );
  return { ...report, changes, unchanged };
}

/** Returns true when `report` (made with `check`) shows output that a reconcile would change. */
export function isDrift(report: DeploymentReport): boolean {
  return (
    report.orphan ||
    report.journalPending ||
    report.manifestChanged ||
    report.changes.length > 0 ||
    report.conflicts.length > 0
  );
}

/** How many Profiles `unknownHoldersMessage` names before it counts the rest. */
const MAX_LISTED_UNKNOWN = 10;

/** Warns about the Profiles whose previous holders the handover guard could not check. */
export function unknownHoldersMessage(
  names: readonly string[],
  reasons: Readonly<Record<string, string>> = {},
): string {
  const listed = names.slice(0, MAX_LISTED_UNKNOWN).join(", ");
  const more = names.length > MAX_LISTED_UNKNOWN ? ` and ${names.length - MAX_LISTED_UNKNOWN} more` : "";
  const reasonLines = Object.entries(reasons).map(([deployment, reason]) => `\n  ${deployment}: ${reason}`);
  return (
    `cake could not check whether Profiles ${listed}${more} changed hands. Their files name no user ` +
    "(deploy namespaces and disabled users), and their holders are recorded neither in the manifest " +
    "(written by an older cake, or deleted) nor in a vars file committed at HEAD that matches it. " +
    "Before committing, check in the vars file that each still belongs to the same user or deploy " +
    `namespace; from this run on, the manifest records the holders${reasonLines.join("")}`
  );
}

/** Names the `--allow-profile-deletion` entries that matched no Profile leaving the output. */
export function unmatchedAllowancesMessage(names: readonly string[]): string {
  const quoted = names.map((name) => `"${name}"`).join(", ");
  return (
    `--allow-profile-deletion named ${quoted}, but no such Profile leaves the output; ` +
    "check the spelling (NAME, DEPLOYMENT/NAME or DEPLOYMENT/*)"
  );
}

/** Names the `--allow-profile-handover` entries that matched no Profile changing hands. */
export function unmatchedHandoversMessage(names: readonly string[]): string {
  const quoted = names.map((name) => `"${name}"`).join(", ");
  return (
    `--allow-profile-handover named ${quoted}, but no such Profile changes hands; ` +
    "check the spelling (NAME, DEPLOYMENT/NAME, DEPLOYMENT/* or *)"
  );
}

/**
 * Returns true when reconcile wrote or removed a file of the folder's `argocd/`, in a
 * deployment that still has a vars file. The Application and AppProject are applied by hand,
 * so a changed `gitops` setting (a new repo URL or destination server) takes effect only once
 * they are applied.
 */
export function argocdChanged(report: DeploymentReport): boolean {
  if (report.orphan || report.argocdAsRecorded === true) return false;
  return report.changes.some(
    (change) => change.action !== "unchanged" && change.path.startsWith(ARGOCD_FOLDER),
  );
}

/** The folder of a deployment's Application and AppProject, which Argo CD does not sync. */
const ARGOCD_FOLDER = "argocd/";

/** The folders that a printed command line is relative to, so that it works as typed. */
/**
 * Returns the reminder to apply a changed `argocd/` folder, or undefined. Its paths are
 * relative to `location.cwd` (see `makePathFormatter`), so the `kubectl` command works when
 * pasted into the same shell. Without a location they are relative to the repo root.
 */
export function argocdReminder(report: DeploymentReport, location?: CommandLocation): string | undefined {
  if (!argocdChanged(report)) return undefined;
  const formatPath = makePathFormatter(location);
  const target = formatPath(`${report.folder}/argocd`);
  // The ApplicationSet of `cake init` replaces the per-deployment folders; applying one as well
  // would give the deployment a second Application.
  const appSetFile = location === undefined ? undefined : path.join(location.root, APPLICATIONSET_FILE);
  const appSetPath =
    appSetFile === undefined || !existsSync(appSetFile) ? undefined : formatPath(APPLICATIONSET_FILE);
  // The ApplicationSet has its own copy of the repo URL, and its AppProject lists the servers
  // it may sync into. Reconcile rewrites neither.
  const appSet =
    appSetPath === undefined
      ? ""
      : ` (skip this if the ApplicationSet of ${appSetPath} syncs this deployment, ` +
        "but edit that file by hand when gitops.repo_url changed, and add a new " +
        "gitops.destination_server to the destinations of its AppProject)";
  return (
    `${target}/ changed, and Argo CD does not sync it: apply it when this change merges, ` +
    `with kubectl apply -k ${shellWord(target)}${appSet}`
  );
}

/**
 * Returns the path of the ApplicationSet at `root` when an older `cake init` wrote it, with a
 * git directory generator. That one syncs every folder under the output folder from branch
 * `main` into the cluster Argo CD runs in, ignoring the vars files' destination and revision.
 * Returns undefined for a missing file, the current shape, or a file that cake did not write.
 */
export async function outdatedApplicationSet(root: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(root, APPLICATIONSET_FILE), "utf8");
  } catch {
    return undefined;
  }
  const written = text.startsWith('# Written by "cake init".');
  return written && /^ *directories:/m.test(text) ? path.join(root, APPLICATIONSET_FILE) : undefined;
}

/** Returns the `gitops.repo_url` that most deployments name, for a command to paste. */
function mostCommonRepoUrl(deployments: readonly Deployment[]): { repoUrl?: string } {
  const counts = new Map<string, number>();
  for (const deployment of deployments) {
    counts.set(deployment.gitops.repoUrl, (counts.get(deployment.gitops.repoUrl) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [url, count] of counts) if (best === undefined || count > (counts.get(best) ?? 0)) best = url;
  return best === undefined ? {} : { repoUrl: best };
}

/**
 * Returns what git shows of the branch Argo CD syncs for the Profiles only one side of a
 * conflicted manifest has (see `targetBranchFacts`). The module, and git, load only then.
 */
async function mergeSideFacts(
  root: string,
  plans: readonly FolderPlan[],
): Promise<Map<string, MergeSideFacts>> {
  const oneSided = plans.some((plan) => Object.keys(plan.previousManifest?.oneSideProfiles ?? {}).length > 0);
  if (!oneSided) return new Map();
  const { targetBranchFacts } = await import("./merge-side.js");
  return targetBranchFacts(root, plans);
}

/** Returns the sentences of the deletion guard about a Profile that one side of a conflicted merge had. */
export function mergeSideNote(side: "ours" | "theirs", facts: TargetBranchFacts | undefined): string {
  const branch = side === "ours" ? "the branch checked out" : "the branch being merged or rebased";
  const only = `Only ${branch} has it, by the two sides of the manifest's git merge conflict. `;
  if (facts === undefined) {
    return (
      `${only}If Argo CD never synced that branch, no such Profile exists in the cluster, and allowing its ` +
      "removal deletes nothing there. If it did, "
    );
  }

  const remote = facts.ref.startsWith("origin/");
  const target = `${facts.ref}${remote ? " (as of the last fetch)" : ""}, which Argo CD syncs by gitops.target_revision,`;
  const commit = facts.sideCommit.slice(0, 12);
  if (facts.containsSide) {
    return `${only}${target} contains that side's commit ${commit}, so Argo CD was given this Profile, and it likely exists in the cluster. `;
  }
  return (
    `${only}${target} does not contain that side's commit ${commit}. The Profile is then in the cluster only if ` +
    `an earlier commit of ${facts.ref} had it${remote ? ", the remote has moved since the last fetch" : ""}, ` +
    "or someone synced the Application to another revision by hand. Git cannot show which revision Argo CD " +
    "synced, so the guard still requires the flag. If it exists, "
  );
}

/** Returns the warning for deployments that gained Profiles in a shallow clone. */
export function shallowHistoryMessage(deployments: readonly string[]): string {
  return (
    `${deployments.join(", ")}: the new Profiles were checked against Profiles that left the output ` +
    "through git (such as by a git revert of an added user) in a shallow clone, whose history may lack an " +
    "earlier removal of the same name. Argo CD keeps such a Profile with its data, so run " +
    '"git fetch --unshallow" and then "cake plan", which shows a handover of one'
  );
}
