/**
 * Loads every vars file of a repo as it is at a git commit or in the working tree, and
 * builds the repo plan from two such snapshots.
 */
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { claimCollisions, deploymentClaims } from "../config/claims.js";
import { withAttributeMarkerSize } from "../config/conflict-markers.js";
import type { Diagnostic } from "../config/diagnostics.js";
import { fileError, hasErrors } from "../config/diagnostics.js";
import { deploymentNameOfFile, loadVarsText, type PreviousLoad } from "../config/load.js";
import { CakeError, UsageError } from "../errors.js";
import { lastCommitChanging, listFiles, listFolders, showFile } from "../git/git.js";
import type { Deployment } from "../model/types.js";
import { CONFIG_FILE, type LayoutFlags, type RepoLayout, resolveLayoutFromText } from "../repo/layout.js";
import { assertRealPathInside } from "../repo/paths.js";
import { planChanges } from "./diff.js";
import { type AccessGrant, compareText } from "./state.js";
import { summarizePlans } from "./summary.js";
import type { DeploymentOutput, PlanSide, RepoPlan } from "./types.js";

const VARS_FILE = /\.ya?ml$/;

/**
 * Returns the layout of the plan side `role`. A commit is read with the `cake.yaml` of that
 * commit, because a change that moves the vars or output folder changes `cake.yaml` too,
 * and the other side's folders would find no files there. Flags override both sides; with
 * both flags given, the commit's `cake.yaml` is not read at all.
 * @throws UsageError for an invalid `cake.yaml` at the commit.
 */
export async function layoutOfSide(
  workingTree: RepoLayout,
  side: PlanSide,
  role: "base" | "head",
  flags: LayoutFlags,
): Promise<RepoLayout> {
  if (side.source !== "commit" || side.commit === null) return workingTree;

  const bothFlags = flags.varsDir !== undefined && flags.outputDir !== undefined;
  const text = bothFlags ? undefined : await showFile(workingTree.root, side.commit, CONFIG_FILE);
  try {
    return await resolveLayoutFromText(
      workingTree.root,
      text,
      `${side.commit.slice(0, 12)}:${CONFIG_FILE}`,
      flags,
    );
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `${error.message} That is ${CONFIG_FILE} at the ${role} commit of the plan; ` +
        "pass both --vars-dir and --output-dir to plan without reading it.",
    );
  }
}

/** One vars file as loaded at one side of the plan. */
export interface LoadedVars {
  /** `<environment>-<region>`, from the file name. */
  name: string;
  /** Path relative to the repo root, with `/` separators. */
  file: string;
  /** The file's text, for source excerpts under diagnostics. */
  text: string;
  /** Present only when the file has no errors. */
  deployment?: Deployment;
  diagnostics: Diagnostic[];
  /** The load with its snapshot, from which the other side's version of the file can load incrementally. */
  load?: PreviousLoad;
  /** For a vars file read from history: the commit that deleted it; the text is its parent's version. */
  deletedIn?: string;
  /** True for a folder named like a vars file (`vars/foo.yaml/`), which defines no deployment. */
  folder?: boolean;
}

/**
 * Loads the vars files of `layout` at `commit`, or from the working tree when `commit`
 * is undefined. Files that fail validation are returned with their diagnostics. A file of
 * `previous`, the other side of the plan, lets the same file load incrementally: a change
 * to a few users re-reads only those (see `config/incremental.ts`).
 */
export async function loadVarsSnapshot(
  layout: RepoLayout,
  commit: string | undefined,
  previous: readonly LoadedVars[] = [],
): Promise<LoadedVars[]> {
  const previousLoads = new Map(previous.flatMap((vars) => (vars.load ? [[vars.file, vars.load]] : [])));
  const names = commit ? await listFiles(layout.root, commit, layout.varsDir) : await listWorkingTree(layout);
  const files = names.filter((name) => VARS_FILE.test(name)).sort(compareText);

  const loaded: LoadedVars[] = commit ? await foldersNamedLikeVarsFiles(layout, commit) : [];
  for (const name of files) {
    const file = `${layout.varsDir}/${name}`;
    const text = commit
      ? await showFile(layout.root, commit, file)
      : await readFile(path.join(layout.root, ...file.split("/")), "utf8");
    if (text === undefined) continue;

    const deploymentName = deploymentNameOfFile(file);
    const load = previousLoads.get(file);
    // The fast path gives the full load's result or none, and the plan shows only errors,
    // which always come from the full load, so the positions of its warnings do not matter.
    const outputPath = `${layout.outputDir}/${deploymentName}`;
    const loadResult = loadVarsText(text, {
      file,
      outputPath,
      fast: true,
      snapshot: true,
      ...(load ? { previous: load } : {}),
    });
    // A commit has no conflict markers to find, but the working tree in a merge may.
    const result = commit
      ? loadResult
      : await withAttributeMarkerSize(layout.root, { file, outputPath, result: loadResult });
    loaded.push({
      name: deploymentName,
      file,
      text,
      diagnostics: result.diagnostics,
      ...(result.deployment ? { deployment: withRepoPath(result.deployment, layout) } : {}),
      ...(result.snapshot ? { load: { text, snapshot: result.snapshot } } : {}),
    });
  }

  loaded.sort((a, b) => compareText(a.file, b.file));
  rejectDuplicateNames(loaded);
  return withApplicationCollisions(loaded);
}

/**
 * Returns an invalid vars file for each folder at `commit` named like one (`vars/foo.yaml/`).
 * Validate and reconcile report such a folder in the working tree as an unreadable vars file,
 * so the plan must not skip it. At head it stops the plan, and at base it gets the warning of
 * an invalid base file.
 */
async function foldersNamedLikeVarsFiles(layout: RepoLayout, commit: string): Promise<LoadedVars[]> {
  const folders = (await listFolders(layout.root, commit, layout.varsDir)).filter((name) =>
    VARS_FILE.test(name),
  );
  return folders.map((name) => {
    const file = `${layout.varsDir}/${name}`;
    const message = `vars file ${file} is a folder at commit ${commit.slice(0, 12)}, not a regular file; replace it with a file`;
    return {
      name: deploymentNameOfFile(file),
      file,
      text: "",
      diagnostics: [fileError("file-unreadable", file, message)],
      folder: true,
    };
  });
}

/** Returns `deployment` with the `repo_path` of its side, which its Application's source path starts with. */
function withRepoPath(deployment: Deployment, layout: RepoLayout): Deployment {
  return layout.repoPath === "" ? deployment : { ...deployment, repoPath: layout.repoPath };
}

/**
 * Returns the vars file of each pruned folder in `names` (see `prunedFolders`), as committed
 * just before the commit that deleted it, so the plan of the prune lists the users and access
 * it ends. A file the history at hand lacks (a shallow clone) or that no longer validates is
 * left out: the base manifest then supplies the Profiles alone.
 */
export async function lastVarsOfPruned(
  layout: RepoLayout,
  commit: string,
  names: readonly string[],
  baseOutputs: ReadonlyMap<string, DeploymentOutput>,
): Promise<Map<string, LoadedVars>> {
  const found = new Map<string, LoadedVars>();
  for (const name of names) {
    const file = baseOutputs.get(name)?.varsFile;
    if (file === undefined) continue;
    const deletedIn = await lastCommitChanging(layout.root, commit, file);
    const text = deletedIn === undefined ? undefined : await showFile(layout.root, `${deletedIn}^`, file);
    if (deletedIn === undefined || text === undefined) continue;

    const result = loadVarsText(text, { file, outputPath: `${layout.outputDir}/${name}`, fast: true });
    if (!result.deployment || hasErrors(result.diagnostics) || result.deployment.name !== name) continue;
    found.set(name, {
      name,
      file,
      text,
      deployment: result.deployment,
      diagnostics: result.diagnostics,
      deletedIn,
    });
  }
  return found;
}

/**
 * Adds the `duplicate-app-name` errors that `cake reconcile` reports across files, and drops
 * the deployments of the files they name. A plan then never shows vars that reconcile rejects.
 */
function withApplicationCollisions(loaded: readonly LoadedVars[]): LoadedVars[] {
  const valid = loaded.flatMap((vars) => (vars.deployment ? [vars.deployment] : []));
  const sources = Object.fromEntries(loaded.map((vars) => [vars.file, vars.text]));
  const collisions = claimCollisions(valid.map(deploymentClaims), sources);
  if (collisions.length === 0) return [...loaded];

  return loaded.map((vars) => {
    const own = collisions.filter((diagnostic) => diagnostic.file === vars.file);
    if (own.length === 0) return vars;
    const { deployment: _dropped, ...rest } = vars;
    return { ...rest, diagnostics: [...vars.diagnostics, ...own] };
  });
}

async function listWorkingTree(layout: RepoLayout): Promise<string[]> {
  try {
    const folder = path.join(layout.root, ...layout.varsDir.split("/"));
    const entries = await readdir(folder, { withFileTypes: true });
    const files: string[] = [];
    for (const entry of entries) {
      if (entry.isFile()) {
        files.push(entry.name);
        continue;
      }
      if (!VARS_FILE.test(entry.name)) continue;
      const file = `${layout.varsDir}/${entry.name}`;
      // The other commands reject such an entry, so the plan must not read it as a deleted file.
      if (!entry.isSymbolicLink())
        throw new CakeError(`${file} is not a regular file; replace it with the vars file.`);
      // A symlinked vars file counts, as it does for the other commands, and under their rule:
      // it must lead to a file inside the repo. One that leads nowhere is not a deleted file.
      await assertRealPathInside(layout.root, file);
      const info = await stat(path.join(folder, entry.name)).catch((error: NodeJS.ErrnoException) => error);
      if (info instanceof Error) {
        throw new CakeError(
          `${file} is a symlink that cannot be followed (${info.code ?? info.message}); fix or replace it, then rerun.`,
        );
      }
      if (!info.isFile()) throw new CakeError(`${file} is a symlink to a folder; link it to the vars file.`);
      files.push(entry.name);
    }
    return files;
  } catch (error) {
    const folder = path.join(layout.root, ...layout.varsDir.split("/"));
    const dangling = await lstat(folder).then(
      (info) => info.isSymbolicLink(),
      () => false,
    );
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && dangling) {
      throw new CakeError(
        `the vars folder ${layout.varsDir} is a symlink that leads nowhere; fix or replace it, then rerun.`,
      );
    }
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Rejects two files that name one deployment, such as `dev-us-east-1.yaml` and `dev-us-east-1.yml`. */
function rejectDuplicateNames(loaded: readonly LoadedVars[]): void {
  const seen = new Map<string, string>();
  for (const vars of loaded) {
    const other = seen.get(vars.name);
    if (other) {
      throw new CakeError(
        `${other} and ${vars.file} both define deployment "${vars.name}"; delete one of them.`,
      );
    }
    seen.set(vars.name, vars.file);
  }
}

export interface PlanSnapshot {
  side: PlanSide;
  vars: LoadedVars[];
  /**
   * Output manifests of this side by deployment name, loaded only for the deployments that
   * need them. At head that is every deployment deleted at head and every one whose base
   * manifest has `removedProfiles`, because a deployment missing from the head map then
   * counts as having no manifest there.
   */
  outputs?: ReadonlyMap<string, DeploymentOutput>;
  /**
   * At base: the vars files of orphaned output folders that the head deletes, by deployment
   * name, as last committed before their deletion (see `lastVarsOfPruned`).
   */
  deletedVars?: ReadonlyMap<string, LoadedVars>;
  /**
   * At base: Profiles that Argo CD kept though no manifest at base records them, with their
   * holders. A deployment without a manifest at base gets those of its folder's last committed
   * manifest before it (see `keptProfilesAt`). Any other gets the Profiles new at head that
   * git history shows deleted earlier (see `addProfilesDeletedEarlier`).
   */
  keptProfiles?: ReadonlyMap<string, Record<string, string | null>>;
  /**
   * At base: for deployments whose vars file is invalid or absent there, the access their
   * output's bindings grant (see `loadOutputAccess`).
   */
  outputAccess?: ReadonlyMap<string, readonly AccessGrant[]>;
  /** At head: the orphaned output folders at base that the head deletes (see `prunedFolders`). */
  pruned?: ReadonlySet<string>;
}

export interface SnapshotPair {
  base: PlanSnapshot;
  head: PlanSnapshot;
}

/**
 * Builds the repo plan of two snapshots. A head file with errors must be handled by the
 * caller before this point. A base file with errors is treated as absent and its base
 * marked invalid. Where the base vars file is invalid or absent, the base output manifest
 * (when there is one) supplies the Profiles and owner that exist, so a Profile that leaves
 * still shows as a destructive removal. For a vars file deleted at head, the head outputs
 * tell whether its folder is still there (orphaned output). For a base manifest with
 * `removedProfiles`, the head outputs tell which of those entries the head still records.
 */
export function buildRepoPlan({ base, head }: SnapshotPair, notes: string[] = []): RepoPlan {
  const before = new Map(base.vars.map((vars) => [vars.name, vars]));
  const after = new Map(head.vars.map((vars) => [vars.name, vars]));
  // Output at base that no vars file on either side names, and that the head deletes.
  const pruned = new Set(
    [...(head.pruned ?? [])].filter(
      (name) => !before.has(name) && !after.has(name) && base.outputs?.has(name),
    ),
  );
  const names = [...new Set([...before.keys(), ...after.keys(), ...pruned])].sort(compareText);

  const deployments = names.flatMap((name) => {
    const old = before.get(name) ?? (pruned.has(name) ? base.deletedVars?.get(name) : undefined);
    const now = after.get(name);
    if (now && !now.deployment) {
      throw new CakeError(`${now.file} is invalid at head; run "cake validate" to see why.`);
    }
    const baseValid = !old || !hasErrors(old.diagnostics);
    const committedOutput = base.outputs?.get(name);
    const baseOutput = old?.deployment ? undefined : committedOutput;
    // An invalid base file with no head file and no base output has nothing to compare: it is left out.
    if (!old?.deployment && !now?.deployment && !baseOutput) return [];

    const varsFile = now?.file ?? old?.file ?? committedOutput?.varsFile ?? "";
    const orphanedOutput = now ? undefined : head.outputs?.get(name)?.folder;
    const kept = base.keptProfiles?.get(name);
    const removedAtBase =
      kept === undefined
        ? committedOutput?.removedProfiles
        : { ...kept, ...committedOutput?.removedProfiles };
    const headOutput = pruned.has(name) ? null : (head.outputs?.get(name) ?? null);
    const outputGrants = baseOutput ? base.outputAccess?.get(name) : undefined;
    // Profiles kept from output deleted earlier are in no manifest until reconcile writes the
    // deployment's first one, so without a head manifest nothing is forgotten yet.
    const checkForgotten =
      removedAtBase !== undefined &&
      head.outputs !== undefined &&
      (committedOutput !== undefined || headOutput !== null);
    return [
      planChanges(old?.deployment, now?.deployment, {
        baseValid,
        ...(baseOutput ? { baseOutput } : {}),
        ...(baseOutput && outputGrants
          ? { baseAccess: { folder: baseOutput.folder, grants: outputGrants } }
          : {}),
        ...(removedAtBase ? { removedAtBase } : {}),
        ...(checkForgotten ? { headOutput } : {}),
        ...(orphanedOutput ? { orphanedOutput } : {}),
        ...(pruned.has(name) && committedOutput ? { prunedOutput: committedOutput.folder } : {}),
        ...(pruned.has(name) && old?.deletedIn ? { varsDeletedIn: old.deletedIn } : {}),
        names: { deployment: name, varsFile },
      }),
    ];
  });

  return { base: base.side, head: head.side, notes, summary: summarizePlans(deployments), deployments };
}
