/**
 * `cake plan`: shows who gains or loses which access between two versions of the vars,
 * by default from the merge base with the default branch to the working tree.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { type Command, Option } from "commander";
import { hasErrors } from "../../config/diagnostics.js";
import { formatErrorsFirst, plural } from "../../config/format.js";
import { UsageError } from "../../errors.js";
import {
  branchBehindUpstream,
  danglingOriginHead,
  defaultBranch,
  isRepo,
  isShallow,
  listFolders,
  mergeBase,
  revParse,
  showFile,
  showPrefix,
} from "../../git/git.js";
import { inShallowClone } from "../../output/deleted-output.js";
import {
  findMovedRepo,
  type MovedRepo,
  movedBaseLayout,
  movedNote,
  outputsAtHeadPaths,
  varsAtOldRoot,
} from "../../plan/moved.js";
import {
  addProfilesDeletedEarlier,
  hasEntries,
  keptProfilesAt,
  loadOutputAccess,
  loadOutputs,
  namesDeletedAtHead,
  namesWithAnyVars,
  namesWithRemovedProfiles,
  orphanedFolders,
  prunedFolders,
} from "../../plan/outputs.js";
import { renderPlanJson } from "../../plan/render-json.js";
import { renderPlanMarkdown } from "../../plan/render-markdown.js";
import { describeSide, renderPlanText } from "../../plan/render-text.js";
import {
  buildRepoPlan,
  type LoadedVars,
  lastVarsOfPruned,
  layoutOfSide,
  loadVarsSnapshot,
} from "../../plan/sources.js";
import type { AccessGrant } from "../../plan/state.js";
import type { DeploymentOutput, PlanSide } from "../../plan/types.js";
import { makePathFormatter } from "../../repo/display-path.js";
import { CONFIG_FILE, type RepoLayout } from "../../repo/layout.js";
import { resolveCommandLayout, rootLooksLikeVarsFolder } from "../../repo/root.js";
import { layoutFlags } from "../../repo/shell.js";
import { misplacedVarsHint } from "../../repo/vars-files.js";
import type { CommandContext } from "../io.js";

interface PlanOptions {
  repo?: string;
  varsDir?: string;
  outputDir?: string;
  base?: string;
  head?: string;
  format: "text" | "markdown" | "json";
  failOn?: "destructive";
}

export function register(program: Command, context: CommandContext): void {
  program
    .command("plan")
    .description("Show the access changes between two versions of the vars files (who gains or loses what).")
    .option(
      "--repo <dir>",
      "ops repo root (default: the current folder or the nearest one above it with cake.yaml)",
    )
    .option("--vars-dir <dir>", "folder of the vars files, relative to the repo root")
    .option("--output-dir <dir>", "folder of the generated deployments, relative to the repo root")
    .option(
      "--base <ref>",
      "git ref to compare from, through its merge base with the head (default: the default branch)",
    )
    .option("--head <ref>", "git ref to compare to (default: the working tree)")
    .addOption(
      new Option("--format <format>", "output format").choices(["text", "markdown", "json"]).default("text"),
    )
    .addOption(
      new Option("--fail-on <kind>", "exit 1 when the plan has changes of this kind").choices([
        "destructive",
      ]),
    )
    .action(async (options: PlanOptions) => {
      await runPlan(options, context);
    });
}

async function runPlan(options: PlanOptions, context: CommandContext): Promise<void> {
  const { io } = context;
  const flags = {
    ...(options.varsDir ? { varsDir: options.varsDir } : {}),
    ...(options.outputDir ? { outputDir: options.outputDir } : {}),
  };
  const layout = await resolveCommandLayout(io.cwd, options);
  if (!(await isRepo(layout.root))) {
    throw new UsageError(
      `${layout.root} is not inside a git repository; cake plan compares the vars with a git ref.`,
    );
  }

  const head = await resolveHead(layout.root, options.head);
  const dangling = options.base === undefined ? await danglingOriginHead(layout.root) : undefined;
  const base = await resolveBase(layout.root, options.base, head, dangling);
  if (dangling !== undefined && base.ref !== null) {
    io.stderr.write(
      `cake: warning: origin/HEAD points to ${dangling}, which no longer exists, so the plan is from ${base.ref}; ` +
        `run "git remote set-head origin --auto" to point it to the remote's default branch, or pass --base.\n`,
    );
  }
  const headLayout = await layoutOfSide(layout, head, "head", flags);
  const moved = base.commit === null ? undefined : await movedSinceBase(layout, base.commit, head.commit);
  const baseLayout =
    moved === undefined || base.commit === null
      ? await layoutOfSide(layout, base, "base", flags)
      : await movedBaseLayout(layout, moved, base.commit, flags);
  const baseSnapshot =
    base.source === "empty" ? [] : await loadVarsSnapshot(baseLayout, base.commit ?? undefined);
  const baseVars =
    moved === undefined ? baseSnapshot : baseSnapshot.map((vars) => varsAtOldRoot(vars, moved));
  const headVars = await loadVarsSnapshot(headLayout, head.commit ?? undefined, baseVars);
  // Output kept after its vars file was deleted earlier: the head may prune it.
  const orphaned =
    base.commit === null ? [] : await orphanedFolders(baseLayout, base.commit, baseVars, headVars);
  // An empty plan here almost always means a wrong --repo or --vars-dir, not "no changes".
  const withoutVars = headVars.length === 0 && baseVars.length === 0;
  // A repo in the older layout gets the --vars-dir to pass, as the other commands give it.
  const fix = withoutVars
    ? ((await misplacedVarsHint(headLayout, makePathFormatter({ root: layout.root, cwd: io.cwd }))) ??
      (await noVarsFixAtHead(headLayout, head)))
    : "";
  const noVars = (): UsageError => {
    const folders =
      headLayout.varsDir === baseLayout.varsDir
        ? `in ${headLayout.varsDir}, neither at the base nor at the head`
        : `in ${baseLayout.varsDir} at the base nor in ${headLayout.varsDir} at the head`;
    return new UsageError(`no vars files (*.yaml, *.yml) found ${folders}; ${fix}`);
  };
  // A repo that retired its last deployment before the base has nothing to plan, and passes.
  const noDeployments =
    withoutVars && orphaned.length === 0 ? await noDeploymentsAtHead(headLayout, head) : undefined;
  if (withoutVars && orphaned.length === 0 && noDeployments === undefined) throw noVars();
  const notes =
    base.commit !== null && baseVars.length === 0 && headVars.length > 0
      ? await folderMissingNotes(layout, base.commit)
      : [];
  if (moved !== undefined && base.commit !== null) notes.push(movedNote(moved, base.commit));
  const behindNote = await baseBehindNote(layout.root, base);
  if (behindNote !== undefined) notes.push(behindNote);
  if (noDeployments !== undefined) notes.push(noDeployments);

  const invalidHead = headVars.filter((vars) => hasErrors(vars.diagnostics));
  if (invalidHead.length > 0) {
    const sources = Object.fromEntries(invalidHead.map((vars) => [vars.file, vars.text]));
    io.stderr.write(
      formatErrorsFirst(
        invalidHead.flatMap((vars) => vars.diagnostics),
        {
          sources,
          layoutFlags: layoutFlags(options),
          formatPath: makePathFormatter({ root: layout.root, cwd: io.cwd }),
        },
      ),
    );
    io.stderr.write(
      `cake: the vars at ${describeSide(head)} are invalid, so no plan was made; fix the errors above.\n`,
    );
    context.setExitCode(1);
    return;
  }
  if (head.commit === null) await warnAboutOtherRepos(headLayout, headVars, context);
  const baseOutputs =
    base.source === "empty"
      ? new Map<string, DeploymentOutput>()
      : await loadOutputs(baseLayout, base.commit ?? undefined, [
          ...namesWithAnyVars(baseVars, headVars),
          ...orphaned,
        ]);
  warnAboutInvalidBase(baseVars, headVars, baseOutputs, base, context);
  // A wrong --output-dir would hide a prune: the plan finds orphaned output in that folder.
  const namedOutput = flags.outputDir !== undefined && base.commit !== null;
  if (namedOutput && !(await hasOutputFolder(baseLayout, headLayout, base.commit as string, head.commit))) {
    context.io.stderr.write(
      `cake: warning: --output-dir ${flags.outputDir} names no folder at the base or the head, so the plan ` +
        "cannot see output that the change deletes; check the flag against output_dir in cake.yaml.\n",
    );
  }

  // Output deleted in an earlier change left its Profiles in the cluster, with their holders.
  const keptProfiles =
    base.commit === null
      ? new Map<string, Record<string, string | null>>()
      : await keptProfilesAt(baseLayout, base.commit, namesWithAnyVars([], headVars), baseOutputs);
  if (base.commit !== null) {
    const searched = await addProfilesDeletedEarlier(
      keptProfiles,
      baseLayout,
      base.commit,
      headVars,
      baseOutputs,
    );
    if (searched.length > 0 && (await inShallowClone(layout.root))) notes.push(shallowHistoryNote(searched));
  }
  const headOutputs = await loadOutputs(
    headLayout,
    head.commit ?? undefined,
    new Set([
      ...namesDeletedAtHead(baseVars, headVars),
      ...namesWithRemovedProfiles(baseOutputs),
      ...keptProfiles.keys(),
    ]),
  );
  const pruned = await prunedFolders(
    layout.root,
    head.commit ?? undefined,
    orphaned,
    moved === undefined ? baseOutputs : outputsAtHeadPaths(baseOutputs, moved),
  );
  // Without vars files, only output that the head deletes makes a plan: the last deployment
  // retired. Output kept on both sides is more likely a wrong --vars-dir.
  if (withoutVars && pruned.length === 0 && noDeployments === undefined) throw noVars();

  const lastVars =
    base.commit === null
      ? new Map<string, LoadedVars>()
      : await lastVarsOfPruned(baseLayout, base.commit, pruned, baseOutputs);
  const deletedVars =
    moved === undefined
      ? lastVars
      : new Map([...lastVars].map(([name, vars]) => [name, varsAtOldRoot(vars, moved)]));
  const outputAccess =
    base.commit === null
      ? new Map<string, AccessGrant[]>()
      : await baseOutputAccess(baseLayout, base.commit, baseVars, deletedVars, baseOutputs, [
          ...namesWithAnyVars(baseVars, headVars),
          ...pruned,
        ]);
  const plan = buildRepoPlan(
    {
      base: { side: base, vars: baseVars, outputs: baseOutputs, deletedVars, keptProfiles, outputAccess },
      head: { side: head, vars: headVars, outputs: headOutputs, pruned: new Set(pruned) },
    },
    notes,
  );
  const rendering = { layoutFlags: layoutFlags(options) };
  if (options.format === "json") io.stdout.write(renderPlanJson(plan));
  else if (options.format === "markdown") io.stdout.write(renderPlanMarkdown(plan, rendering));
  else io.stdout.write(renderPlanText(plan, rendering));

  if (options.failOn === "destructive" && plan.summary.destructiveChanges > 0) {
    io.stderr.write(
      `cake: the plan has ${plural(plan.summary.destructiveChanges, "destructive change")} and --fail-on destructive is set.\n`,
    );
    context.setExitCode(1);
  }
}

/**
 * Writes the warnings of `reconcile --check` about the other ops repos of the git repository
 * for the deployments of the working tree. A head commit gets none, because the other repos'
 * output is read from the working tree.
 */
async function warnAboutOtherRepos(
  layout: RepoLayout,
  vars: readonly LoadedVars[],
  context: CommandContext,
): Promise<void> {
  const deployments = vars.flatMap((each) => (each.deployment === undefined ? [] : [each.deployment]));
  const { acrossRepoClashes, acrossRepoMessages } = await import("../../init/across-repos.js");
  const clashes = await acrossRepoClashes(layout, deployments);
  const formatPath = makePathFormatter({ root: layout.root, cwd: context.io.cwd });
  for (const message of acrossRepoMessages(clashes, formatPath)) {
    context.io.stderr.write(`cake: warning: ${message}.\n`);
  }
}

/**
 * Returns where the ops repo was at the base commit when its folder did not exist there and
 * git finds its files renamed from another folder (see `findMovedRepo`).
 */
async function movedSinceBase(
  layout: RepoLayout,
  baseCommit: string,
  headCommit: string | null,
): Promise<MovedRepo | undefined> {
  const prefix = await showPrefix(layout.root);
  if (prefix === "" || (await hasEntries(layout.root, baseCommit, "."))) return undefined;
  return findMovedRepo(layout.root, prefix, baseCommit, headCommit);
}

/**
 * Returns a note when the base ref is a local branch that lacks commits of its upstream, as
 * such as a `main` not updated since the last `git fetch`. Its merge base with the head is then older
 * than the remote's, so the plan lists changes that are already merged there.
 */
async function baseBehindNote(root: string, base: PlanSide): Promise<string | undefined> {
  if (base.source !== "commit" || base.ref === null) return undefined;
  const behind = await branchBehindUpstream(root, base.ref);
  if (behind === undefined) return undefined;
  return (
    `the base ${base.ref} is ${plural(behind.behind, "commit")} behind its upstream ${behind.upstream} ` +
    `(as of the last fetch), so this plan may list changes already merged there; pass --base ${behind.upstream}, ` +
    `or update ${base.ref} first (git pull on it).`
  );
}

/**
 * Returns a note when the ops repo's folder did not exist at the base commit and no move was
 * found. The plan then reads each side at the folder's current path, so every deployment
 * shows as added.
 */
async function folderMissingNotes(layout: RepoLayout, baseCommit: string): Promise<string[]> {
  const prefix = await showPrefix(layout.root);
  if (prefix === "" || (await hasEntries(layout.root, baseCommit, "."))) return [];
  return [
    `${prefix} did not exist at the base commit ${baseCommit.slice(0, 12)}, so every deployment shows as added; ` +
      "if the ops repo moved there, plan from a commit after the move (--base) to see what changed.",
  ];
}

/**
 * Returns the note for a head without deployments (see `noDeploymentsNote`), or undefined. At a
 * commit, the head needs `cake.yaml` and no folder in its output folder.
 */
/** Returns the fix for no vars files at either side, as validate and reconcile give it for the head. */
async function noVarsFixAtHead(layout: RepoLayout, head: PlanSide): Promise<string> {
  const { noVarsFix } = await import("../../output/reconcile.js");
  const hasConfig =
    head.commit === null
      ? existsSync(path.join(layout.root, CONFIG_FILE))
      : (await showFile(layout.root, head.commit, CONFIG_FILE)) !== undefined;
  const rootHasVarsFiles = head.commit === null && !hasConfig && (await rootLooksLikeVarsFolder(layout));
  return noVarsFix(hasConfig, rootHasVarsFiles);
}

async function noDeploymentsAtHead(layout: RepoLayout, head: PlanSide): Promise<string | undefined> {
  const { noDeploymentsNote, noDeploymentsText } = await import("../../output/reconcile.js");
  if (head.commit === null) return noDeploymentsNote(layout);
  if ((await showFile(layout.root, head.commit, CONFIG_FILE)) === undefined) return undefined;
  const folders = await listFolders(layout.root, head.commit, layout.outputDir);
  return folders.length === 0 ? noDeploymentsText(layout) : undefined;
}

/** Returns true when the output folder has an entry at the base commit, or at the head. */
async function hasOutputFolder(
  baseLayout: RepoLayout,
  headLayout: RepoLayout,
  baseCommit: string,
  headCommit: string | null,
): Promise<boolean> {
  return (
    (await hasEntries(baseLayout.root, baseCommit, baseLayout.outputDir)) ||
    (await hasEntries(headLayout.root, headCommit ?? undefined, headLayout.outputDir))
  );
}

async function resolveHead(root: string, ref: string | undefined): Promise<PlanSide> {
  if (ref === undefined) return { source: "working-tree", ref: null, commit: null, refCommit: null };
  const commit = await resolveRef(root, ref, "--head");
  return { source: "commit", ref, commit, refCommit: commit };
}

/**
 * Returns the merge base of the base ref (default: the default branch) and the head, so the
 * plan shows only what the head changes, like `git diff BASE...HEAD` and a pull request do.
 * For a base that is an ancestor of the head, the merge base is the base itself.
 */
async function resolveBase(
  root: string,
  ref: string | undefined,
  head: PlanSide,
  danglingOriginHead: string | undefined,
): Promise<PlanSide> {
  const headCommit = head.commit ?? (await revParse(root, "HEAD"));
  // Right after `cake init` nothing is committed yet: compare the working tree with nothing.
  if (!headCommit && ref === undefined) return { source: "empty", ref: null, commit: null, refCommit: null };
  // On a branch without commits (a new orphan branch) there is no merge base: compare with the base itself.
  if (!headCommit) {
    const baseRef = ref as string;
    const commit = await resolveRef(root, baseRef, "--base");
    return { source: "commit", ref: baseRef, commit, refCommit: commit };
  }

  // A shallow clone (a CI checkout with the default depth of 1) lacks the history both
  // failures below need, and fetching it is the fix, not another ref.
  const unshallow = async (): Promise<string> =>
    (await isShallow(root))
      ? "; this is a shallow clone, so fetch the history first (git fetch --unshallow, or fetch-depth: 0 in GitHub Actions)"
      : "";
  const baseRef = ref ?? (await defaultBranch(root));
  if (baseRef === undefined) {
    const searched =
      "cannot find the default branch (origin/HEAD, main, master, origin/main or origin/master)";
    if (danglingOriginHead !== undefined) {
      throw new UsageError(
        `${searched}: origin/HEAD points to ${danglingOriginHead}, which no longer exists; run ` +
          `"git remote set-head origin --auto" to point it to the remote's default branch, or pass --base REF.`,
      );
    }
    throw new UsageError(`${searched}; pass --base REF${await unshallow()}.`);
  }
  const baseCommit = await resolveRef(root, baseRef, "--base");

  const fork = await mergeBase(root, headCommit, baseCommit);
  if (!fork) {
    const shallow = await unshallow();
    throw new UsageError(
      shallow === ""
        ? `${baseRef} and the head have no common history; pass a related --base REF.`
        : `${baseRef} and the head have no common history in this clone${shallow}.`,
    );
  }
  return { source: "commit", ref: baseRef, commit: fork, refCommit: baseCommit };
}

async function resolveRef(root: string, ref: string, option: string): Promise<string> {
  if (ref === "" || ref.startsWith("-")) {
    throw new UsageError(
      `${option} "${ref}" is not a valid git ref; refs cannot be empty or start with "-".`,
    );
  }
  const commit = await revParse(root, ref);
  if (!commit && !(await revParse(root, "HEAD"))) {
    throw new UsageError(
      `${option} "${ref}" names no commit: ${root} has no commits yet; leave out ${option} to plan ` +
        "against an empty repository, or commit first.",
    );
  }
  if (!commit) {
    // In a shallow clone the ref is often a commit before the fetched one, such as `main~1`.
    const fix = (await isShallow(root))
      ? "this is a shallow clone, so fetch the history first (git fetch --unshallow, or fetch-depth: 0 in GitHub Actions)"
      : "check the branch or tag name, or fetch it first";
    throw new UsageError(`${option} "${ref}" names no commit in ${root}; ${fix}.`);
  }
  return commit;
}

/**
 * Returns the access that the base output of each of `names` grants, for those whose vars
 * file at base is invalid or absent (see `loadOutputAccess`). A valid base vars file gives the
 * access itself, so its output is not read.
 */
async function baseOutputAccess(
  layout: RepoLayout,
  commit: string,
  baseVars: readonly LoadedVars[],
  deletedVars: ReadonlyMap<string, LoadedVars>,
  baseOutputs: ReadonlyMap<string, DeploymentOutput>,
  names: readonly string[],
): Promise<Map<string, AccessGrant[]>> {
  const valid = new Set(
    [...baseVars, ...deletedVars.values()].filter((vars) => vars.deployment).map((vars) => vars.name),
  );
  const access = new Map<string, AccessGrant[]>();
  for (const name of new Set(names)) {
    const output = baseOutputs.get(name);
    if (output === undefined || valid.has(name)) continue;
    const grants = await loadOutputAccess(layout.root, commit, output.folder);
    if (grants !== undefined) access.set(name, grants);
  }
  return access;
}

/**
 * Warns about base files that do not validate (written for an older cake, say), which the
 * plan treats as absent, and names the manifest the base Profiles come from instead.
 */
function warnAboutInvalidBase(
  baseVars: readonly LoadedVars[],
  headVars: readonly LoadedVars[],
  baseOutputs: ReadonlyMap<string, DeploymentOutput>,
  base: PlanSide,
  context: CommandContext,
): void {
  const headNames = new Set(headVars.map((vars) => vars.name));
  for (const vars of baseVars) {
    if (!hasErrors(vars.diagnostics)) continue;
    const manifest = baseOutputs.get(vars.name)?.manifestFile;
    let effect: string;
    if (headNames.has(vars.name)) {
      effect = manifest
        ? `treating it as absent, so its users, deploy namespaces, quotas and cloud identity show as added and no setting change is listed; the Profiles and owner at base come from ${manifest}, and the access at base from the RoleBindings in its folder`
        : "treating it as absent, so every entry shows as added and no setting change is listed";
    } else if (manifest) {
      effect = `it is deleted at head, and the Profiles it removes come from ${manifest} at base`;
    } else {
      effect = vars.folder
        ? "it is deleted at head, and as a folder it defined no deployment, so it removes nothing"
        : "it is deleted at head, and its removals cannot be listed";
    }
    // The base is not checked out, so the warning names its first error: there is no other way to see it.
    const first = vars.diagnostics.find((diagnostic) => diagnostic.severity === "error");
    const cause =
      first === undefined
        ? ""
        : ` Its first error: ${vars.file}:${first.line}:${first.column}: [${first.code}] ${first.path ? `${first.path}: ` : ""}${first.message}.`;
    context.io.stderr.write(
      `cake: warning: ${vars.file} is invalid at ${describeSide(base)}; ${effect}.${cause}\n`,
    );
  }
}

/** Returns the note for deployments whose new Profiles were checked in a shallow clone's history. */
function shallowHistoryNote(deployments: readonly string[]): string {
  return (
    `${deployments.join(", ")} gain Profiles, which were checked against Profiles that left the output ` +
    "through git (such as by a git revert of an added user) in a shallow clone. Its history may lack an " +
    'earlier removal of the same name, so a handover may be missing here; run "git fetch --unshallow" ' +
    "and plan again to check the whole history"
  );
}
