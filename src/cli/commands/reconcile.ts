/**
 * `cake reconcile`: regenerates each deployment folder from its vars file, or with
 * `--check` reports what is out of date and writes nothing.
 */

import { lstatSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { diagnosticsToJson, formatErrorsFirst } from "../../config/format.js";
import { UsageError } from "../../errors.js";
import { MANIFEST_FILE } from "../../output/manifest.js";
import {
  argocdChanged,
  argocdReminder,
  type DeploymentReport,
  foreignFolderMessage,
  isDrift,
  ReconcileBlockedError,
  type ReconcileResult,
  reconcile,
  shallowHistoryMessage,
  unknownHoldersMessage,
  unmatchedAllowancesMessage,
  unmatchedHandoversMessage,
} from "../../output/reconcile.js";
import type { FileAction } from "../../output/writer.js";
import { type CommandLocation, makePathFormatter, type PathFormatter } from "../../repo/display-path.js";
import type { RepoLayout } from "../../repo/layout.js";
import { initFolderArgument, resolveCommandLayout } from "../../repo/root.js";
import { layoutFlags, pruneCommand, shellWord, withLayoutFlags } from "../../repo/shell.js";
import { deploymentsOutsideSparseCheckout } from "../../repo/sparse-checkout.js";
import { deploymentNameOfFile, listVarsFiles } from "../../repo/vars-files.js";
import type { CommandContext } from "../io.js";

interface ReconcileCliOptions {
  repo?: string;
  varsDir?: string;
  outputDir?: string;
  deployment: string[];
  check?: boolean;
  allowProfileDeletion: string[];
  allowProfileHandover: string[];
  allowOwnerChange?: boolean;
  pruneOrphans?: boolean;
  wait?: number;
  format: "text" | "json";
  verbose?: boolean;
}

/** Without --verbose, a deployment's changed paths are listed only up to this many. */
const MAX_LISTED_PATHS = 20;
/** Reconcile prints at most this many warnings; `cake validate` prints them all. */

export function register(program: Command, context: CommandContext): void {
  program
    .command("reconcile")
    .description(
      "Regenerate the deployment folders from the vars files; with --check, report drift and write nothing.",
    )
    .option(
      "--repo <dir>",
      "ops repo root (default: the current folder or the nearest one above it with cake.yaml)",
    )
    .option("--vars-dir <dir>", "folder of the vars files, relative to the repo root")
    .option("--output-dir <dir>", "folder of the generated deployments, relative to the repo root")
    .option(
      "--deployment <name>",
      "reconcile only this deployment (<environment>-<region>); repeat for more",
      collect,
      [],
    )
    .option(
      "--check",
      "write nothing; exit 1 when any output is stale, missing, extra or edited by hand, or a folder cake did not write is in the output folder",
    )
    .option(
      "--allow-profile-deletion <names>",
      "comma-separated Profiles that may leave the output (NAME, DEPLOYMENT/NAME, or DEPLOYMENT/* for all of one deployment); repeatable",
      collectList,
      [],
    )
    .option(
      "--allow-profile-handover <names>",
      "comma-separated Profiles whose namespace and data may go to another user or become shared (NAME, DEPLOYMENT/NAME, DEPLOYMENT/* or *); repeatable",
      collectList,
      [],
    )
    .option("--allow-owner-change", "allow kubeflow.profile_owner to change for existing Profiles")
    .option("--prune-orphans", "delete the output of deployments whose vars file was deleted")
    .option(
      "--wait <seconds>",
      "wait up to this many seconds for another cake command to finish",
      parseSeconds,
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--verbose", "list every written and removed file")
    .action(async (options: ReconcileCliOptions) => {
      await runReconcile(options, context);
    });
}

async function runReconcile(options: ReconcileCliOptions, context: CommandContext): Promise<void> {
  const { io } = context;
  const layout = await resolveCommandLayout(io.cwd, options);
  const rootInfo = await stat(layout.root).catch(() => undefined);
  if (!rootInfo?.isDirectory()) throw new UsageError(`the repo folder ${layout.root} does not exist.`);
  if (options.check && options.pruneOrphans) {
    throw new UsageError("--check writes nothing, so it cannot be combined with --prune-orphans.");
  }

  const location = { root: layout.root, cwd: io.cwd };
  const formatPath = makePathFormatter(location);
  const { deployments, skipped } = await sparseSelection(layout, options);
  if (skipped.length > 0) {
    const note = withLayoutFlags(
      sparseNote(skipped, deployments.length === 0, options.check === true),
      options,
    );
    io.stderr.write(`cake: note: ${note}.\n`);
  }
  // Every deployment skipped: an empty selection would mean every deployment to reconcile.
  if (skipped.length > 0 && deployments.length === 0) {
    if (options.format === "json")
      io.stdout.write(`${JSON.stringify(toJson(emptyResult(options)), null, 2)}\n`);
    return;
  }
  let result: ReconcileResult;
  try {
    result = await reconcile({
      layout,
      deployments,
      check: options.check ?? false,
      allowProfileDeletion: options.allowProfileDeletion,
      allowProfileHandover: options.allowProfileHandover,
      allowOwnerChange: options.allowOwnerChange ?? false,
      pruneOrphans: options.pruneOrphans ?? false,
      formatPath,
      ...(options.wait === undefined ? {} : { waitMs: options.wait * 1000 }),
    });
  } catch (error) {
    // Machines get the reasons as data; the CLI boundary still prints the message for people.
    if (error instanceof ReconcileBlockedError && options.format === "json") {
      const { profileDeletions, profileHandovers, ownerChanges, conflicts } = error;
      const { unmatchedAllowances, unmatchedHandoverAllowances, interruptedRunsCompleted } = error;
      const blocked = {
        profileDeletions,
        profileHandovers,
        ownerChanges,
        conflicts,
        unmatchedAllowances,
        unmatchedHandoverAllowances,
        interruptedRunsCompleted,
        interruptedRunsChanged: error.interruptedRunsChanged,
      };
      io.stdout.write(`${JSON.stringify({ valid: true, check: false, blocked }, null, 2)}\n`);
    }
    throw error;
  }

  if (options.format === "json") io.stdout.write(`${JSON.stringify(toJson(result), null, 2)}\n`);
  else if (result.valid) {
    const staged = result.check ? undefined : await stagedPaths(layout.root, result.deployments);
    io.stdout.write(renderText(result, options.verbose ?? false, location, layoutFlags(options), staged));
  }
  if (options.format === "text" && result.diagnostics.length > 0) {
    io.stderr.write(reconcileDiagnostics(result, layoutFlags(options), formatPath));
  }
  if (result.noDeployments !== undefined) io.stderr.write(`cake: note: ${result.noDeployments}.\n`);
  if (result.unmatchedAllowances !== undefined) {
    io.stderr.write(`cake: warning: ${unmatchedAllowancesMessage(result.unmatchedAllowances)}.\n`);
  }
  if (result.unmatchedHandoverAllowances !== undefined) {
    io.stderr.write(`cake: warning: ${unmatchedHandoversMessage(result.unmatchedHandoverAllowances)}.\n`);
  }
  if (result.unknownHolders !== undefined) {
    io.stderr.write(
      `cake: warning: ${unknownHoldersMessage(result.unknownHolders, result.unknownHoldersReasons)}.\n`,
    );
  }
  if (result.shallowHistory !== undefined) {
    io.stderr.write(`cake: warning: ${shallowHistoryMessage(result.shallowHistory)}.\n`);
  }
  const shadowed = result.shadowedCodeowners ?? [];
  // The paths are relative to the top of the git work tree, which `repoPlace` gets from git.
  const top = shadowed.length === 0 ? "" : await workTreeTop(layout);
  for (const shadowedFile of shadowed) {
    const { forge } = shadowedFile;
    const read = formatPath(path.join(top, ...shadowedFile.read.split("/")));
    const ignored = formatPath(path.join(top, ...shadowedFile.ignored.split("/")));
    io.stderr.write(
      `cake: warning: ${forge} reads ${read}, which cake did not write, and ignores ${ignored}, so the ` +
        `cake-admins are not required reviewers there; keep one CODEOWNERS: delete ${read}, or delete ` +
        `${ignored} and keep the cake-admin rules in ${read} by hand.\n`,
    );
  }
  for (const file of result.foreignCodeowners ?? []) {
    const folder = path.relative(io.cwd, layout.root).split(path.sep).join("/") || ".";
    io.stderr.write(
      `cake: warning: ${formatPath(file)} holds the rules cake wrote for another ops repo of this git repository, ` +
        "and none for this one, so no cake-admin review is required for its vars. Cake keeps one ops repo's " +
        "rules per file: merge the rules of both by hand (this one's are what " +
        `"cake init ${shellWord(folder)} --codeowners --stdout" prints) and delete the two comment lines cake wrote at its top, ` +
        "so that cake no longer rewrites or checks it.\n",
    );
  }
  if (result.outdatedApplicationSet !== undefined) {
    const { file, repoUrl } = result.outdatedApplicationSet;
    const relative = (target: string): string => path.relative(io.cwd, target).split(path.sep).join("/");
    const folder = relative(layout.root);
    const command = [
      "cake init",
      ...(folder === "" ? [] : [shellWord(folder)]),
      "--force --repo-url",
      repoUrl === undefined ? "URL" : shellWord(repoUrl),
    ].join(" ");
    // In a subfolder the current file has other names, so applying it leaves the old ApplicationSet in place.
    const renamed =
      layout.repoPath === ""
        ? ""
        : " The current file names its ApplicationSet after the folder of this ops repo, so once it is applied, " +
          "delete the old ApplicationSet from the cluster unless another ops repo's file still defines it: its " +
          "Applications go, and with preserveResourcesOnDeletion their resources stay.";
    io.stderr.write(
      `cake: warning: ${formatPath(file)} was written by an older cake init: it syncs every folder under ` +
        `${layout.outputDir}/ from branch main into the cluster Argo CD runs in, whatever ` +
        `gitops.destination_server and gitops.target_revision say; delete it and run "${command}" to write the ` +
        `current one, then update the "Argo CD" section of the ops repo README, which describes the old file.${renamed}\n`,
    );
  }
  if (result.applicationSetClashes !== undefined) {
    const { applicationSetClashMessage } = await import("../../init/applicationset-clashes.js");
    for (const clash of result.applicationSetClashes) {
      io.stderr.write(`cake: warning: ${applicationSetClashMessage(clash, formatPath)}.\n`);
    }
  }
  if (result.applicationClashes !== undefined || result.clusterClashes !== undefined) {
    const { acrossRepoMessages } = await import("../../init/across-repos.js");
    for (const message of acrossRepoMessages(result, formatPath)) {
      io.stderr.write(`cake: warning: ${message}.\n`);
    }
  }
  if (result.longApplicationNames !== undefined) {
    const { longApplicationNameMessage } = await import("../../init/applicationset-names.js");
    for (const long of result.longApplicationNames) {
      io.stderr.write(`cake: warning: ${longApplicationNameMessage(long, formatPath)}.\n`);
    }
  }
  if (result.unusedRepoUrls !== undefined || result.unlistedRepoUrls !== undefined) {
    const { repoUrlMessages } = await import("../../init/applicationset-repos.js");
    for (const message of repoUrlMessages(result, formatPath)) {
      io.stderr.write(`cake: warning: ${message}.\n`);
    }
  }
  for (const folder of result.foreignFolders ?? []) {
    const symlink =
      lstatSync(path.join(layout.root, folder), { throwIfNoEntry: false })?.isSymbolicLink() ?? false;
    io.stderr.write(
      `cake: warning: ${foreignFolderMessage(folder, layout.outputDir, symlink, formatPath)}.\n`,
    );
  }

  if (!result.valid) {
    const where = options.format === "json" ? "listed in the JSON output" : "above";
    const written = result.check ? "" : ", so nothing was written";
    io.stderr.write(`cake: the vars files have errors${written}; fix the errors ${where}.\n`);
    context.setExitCode(1);
  } else if (result.check && result.drift) {
    if (result.deployments.some(isDrift)) {
      io.stderr.write(
        `cake: the generated output is out of date; ${driftAdvice(result, layoutFlags(options))}.\n`,
      );
    }
    if (result.foreignFolders !== undefined) {
      io.stderr.write(
        `cake: ${formatPath(layout.outputDir)}/ holds folders that cake did not write, named above; delete them or move them out.\n`,
      );
    }
    if (result.staleCodeowners !== undefined) {
      const folder = initFolderArgument(options, layout.root, formatPath);
      io.stderr.write(
        `cake: ${formatPath(result.staleCodeowners)} does not name the current ` +
          `cake-admins of the vars files as reviewers; run "cake init${folder} --codeowners" and commit it.\n`,
      );
    }
    context.setExitCode(1);
  }
}

/** Returns the absolute path of the top of the git work tree that contains the ops repo. */
async function workTreeTop(layout: RepoLayout): Promise<string> {
  const { repoPlace } = await import("../../init/codeowners.js");
  return (await repoPlace(layout.root, layout.repoPath)).top;
}

/** Returns what to run after a `--check` that found drift: plain reconcile keeps orphaned output. */
function driftAdvice(result: ReconcileResult, flags: string): string {
  const drifting = result.deployments.filter(isDrift);
  const orphans = drifting.filter((report) => report.orphan).length;
  const upgradeOnly = drifting.every(
    (report) =>
      report.olderManifest && report.changes.length === 0 && !report.orphan && !report.journalPending,
  );
  if (upgradeOnly) {
    return (
      "only manifests in the format of an older cake differ, which a newer cake rewrites once; " +
      `run "cake reconcile${flags}" and commit the rewritten .cake-manifest.json files`
    );
  }
  if (orphans === 0) return guardedReconcileAdvice(drifting, flags);
  const prune = pruneCommand(
    drifting.filter((report) => report.orphan).map((report) => report.name),
    flags,
  );
  if (orphans === drifting.length) {
    return `run "${prune}" to delete the output of deleted vars files with its Profiles, or restore the vars files`;
  }
  return `run "cake reconcile${flags}" to update it, and "${prune}" to delete the output of deleted vars files with its Profiles`;
}

/** The number of handovers in one deployment that the advice of `--check` names one by one. */
const MAX_NAMED_HANDOVERS = 10;

/**
 * Returns the advice to run reconcile, with the flags that its guards will ask for. Reconcile
 * rejects a Profile that leaves the output or changes hands unless a flag names it, so the advice
 * names those that the check found, and `cake plan` shows who loses what.
 */
function guardedReconcileAdvice(drifting: readonly DeploymentReport[], flags: string): string {
  const namesOf = (profiles: (report: DeploymentReport) => string[] | undefined): string[] =>
    drifting.flatMap((report) => (profiles(report) ?? []).map((profile) => `${report.name}/${profile}`));
  const removed = namesOf((report) => report.profilesLeaving);
  // A new email domain hands over every Profile of a deployment, so past ten the deployment's `/*` names them.
  const handedOver = namesOf((report) =>
    (report.profilesChangingHands?.length ?? 0) > MAX_NAMED_HANDOVERS ? ["*"] : report.profilesChangingHands,
  );
  if (removed.length === 0 && handedOver.length === 0) return `run "cake reconcile${flags}" to update it`;

  const allowances: string[] = [];
  const reasons: string[] = [];
  if (removed.length > 0) {
    allowances.push(`--allow-profile-deletion=${removed.join(",")}`);
    reasons.push("leave the output");
  }
  if (handedOver.length > 0) {
    allowances.push(`--allow-profile-handover=${shellWord(handedOver.join(","))}`);
    reasons.push("change hands");
  }
  const flagWords = allowances.length === 1 ? "the flag" : "these flags";
  return (
    `run "cake reconcile${flags} ${allowances.join(" ")}" to update it ` +
    `(reconcile asks for ${flagWords} because those Profiles ${reasons.join(" or ")}; ` +
    `"cake plan${flags}" shows why)`
  );
}

/**
 * Returns the diagnostics to print. Errors are all shown; warnings are capped, because a
 * large deployment can have thousands (one per upper-case email) and `cake validate` lists
 * them all with positions.
 */
function reconcileDiagnostics(result: ReconcileResult, flags: string, formatPath: PathFormatter): string {
  // A valid result has warnings only; its summary line is left out.
  return formatErrorsFirst(result.diagnostics, {
    sources: result.sources,
    formatPath,
    summary: !result.valid,
    layoutFlags: flags,
  });
}

/**
 * Returns the deployments to reconcile and those skipped because a sparse checkout leaves out
 * their output folder (see `deploymentsOutsideSparseCheckout`). Only a run over every
 * deployment skips any: `--deployment` names them, and `--prune-orphans` retires folders.
 */
async function sparseSelection(
  layout: RepoLayout,
  options: ReconcileCliOptions,
): Promise<{ deployments: string[]; skipped: string[] }> {
  if (options.deployment.length > 0 || options.pruneOrphans)
    return { deployments: options.deployment, skipped: [] };
  const skipped = await deploymentsOutsideSparseCheckout(layout);
  if (skipped.length === 0) return { deployments: [], skipped };
  const outside = new Set(skipped);
  const names = (await listVarsFiles(layout)).map(deploymentNameOfFile);
  return { deployments: names.filter((name) => !outside.has(name)), skipped };
}

/**
 * Returns the note that names the deployments a sparse checkout made the run skip; `all` when it
 * skipped every one. Under `check` the suggested command checks them too, since `--check` writes nothing.
 */
function sparseNote(skipped: readonly string[], all: boolean, check: boolean): string {
  const single = skipped.length === 1;
  const names = skipped.join(", ");
  const flags = skipped.map((name) => ` --deployment ${shellWord(name)}`).join("");
  let skippedText: string;
  if (all) skippedText = `every deployment (${names})`;
  else skippedText = `${single ? "deployment" : "deployments"} ${names}`;
  const folders = single ? "its output folder" : "their output folders";
  const verb = check ? "check" : "reconcile";
  const effect = all ? `, so nothing was ${check ? "checked" : "reconciled"}` : "";
  return (
    `skipped ${skippedText}, because the sparse checkout leaves out ${folders}${effect}; ` +
    `to ${verb} ${single ? "it" : "them"} anyway, run "cake reconcile${check ? " --check" : ""}${flags}"`
  );
}

/** Returns the result of a run that reconciled no deployment. */
function emptyResult(options: ReconcileCliOptions): ReconcileResult {
  return {
    valid: true,
    check: options.check ?? false,
    diagnostics: [],
    sources: {},
    deployments: [],
    drift: false,
  };
}

/**
 * Returns one summary line per deployment, each followed by its changed paths when they are few
 * or `verbose`. `flags` are the layout options the commands it suggests repeat (see `layoutFlags`).
 * `staged` gives, per deployment, the paths its `git add` hint names (see `pathsToStage`); a
 * deployment it lacks gets its folder named. Paths are relative to `location.cwd`, or to the
 * repo root without a location.
 */
export function renderText(
  result: ReconcileResult,
  verbose: boolean,
  location?: CommandLocation,
  flags = "",
  staged?: ReadonlyMap<string, readonly string[]>,
): string {
  const lines: string[] = [];
  const formatPath = makePathFormatter(location);
  for (const report of result.deployments) {
    const details = result.check ? checkDetails(report, formatPath) : writeDetails(report, formatPath);
    lines.push(`${report.name}: ${result.check ? checkSummary(report, flags) : writeSummary(report, flags)}`);
    const listed = result.check || verbose || details.length <= MAX_LISTED_PATHS;
    // What happened to an interrupted run is printed even when the paths are not.
    const notes = result.check ? [] : recoveryNotes(report);
    // One push per line: `--check` lists every path, and 100k or more arguments overflow the stack.
    for (const detail of [...notes, ...(listed ? details : [])]) lines.push(`  ${detail}`);
    const reminder = result.check ? undefined : argocdReminder(report, location);
    if (reminder !== undefined) lines.push(`  ${reminder}`);
    const merged = result.check ? undefined : mergeConflictNote(report, formatPath, staged?.get(report.name));
    if (merged !== undefined) lines.push(`  ${merged}`);
  }
  if (result.deployments.length === 0) lines.push("no vars files found; nothing to reconcile");
  // Listed with the deployments, so that their "up to date" lines do not read as a passing check.
  if (result.check && result.staleCodeowners !== undefined) {
    lines.push(`${formatPath(result.staleCodeowners)}: stale (does not name the current cake-admins)`);
  }
  return `${lines.join("\n")}\n`;
}

function writeSummary(report: DeploymentReport, flags: string): string {
  if (report.orphan && report.changes.length === 0 && !report.manifestChanged) {
    return `output of a deleted vars file, kept (to delete it and its Profiles, run "${pruneCommand([report.name], flags)}")`;
  }
  const marked = new Set(report.mergeConflicts);
  const written = countWithoutMarkers(report, "create") + countWithoutMarkers(report, "update");
  const restored = countWithoutMarkers(report, "restore");
  const parts = [
    `${written} written`,
    `${report.unchanged} unchanged`,
    `${countOf(report, "remove")} removed`,
  ];
  if (restored > 0) parts.push(`${restored} restored`);
  if (marked.size > 0)
    parts.push(`${marked.size} merge ${marked.size === 1 ? "conflict" : "conflicts"} resolved`);
  // Only the manifest changed, such as its cake version or after a line-ending conversion.
  if (report.manifestChanged && report.changes.length === 0 && !report.orphan && marked.size === 0)
    parts.push("manifest updated");
  if (report.orphan) parts.push("vars file deleted");
  return parts.join(", ");
}

/** Returns the lines that report what this run did with the journal of an interrupted run. */
function recoveryNotes(report: DeploymentReport): string[] {
  const notes: string[] = [];
  if (report.journalTorn !== undefined) {
    notes.push(
      `discarded an interrupted reconcile whose staged files did not have the bytes its journal recorded ` +
        `(cut short by a crash or power loss): ${report.journalTorn.join(", ")}; planned the folder again`,
    );
  } else if (report.journalDiscarded) {
    notes.push(
      "discarded an interrupted reconcile of a vars file that has changed since, and planned from the current one",
    );
  } else if (report.journalPending) {
    notes.push("completed an interrupted reconcile");
  }
  const renamed = report.journalWritten?.length ?? 0;
  const deleted = report.journalRemoved?.length ?? 0;
  if (renamed + deleted > 0) {
    const files = (count: number): string => `${count} ${count === 1 ? "file" : "files"}`;
    const done = [
      ...(renamed > 0 ? [`written ${files(renamed)}`] : []),
      ...(deleted > 0 ? [`removed ${files(deleted)}`] : []),
    ].join(" and ");
    notes.push(
      `the interrupted reconcile had ${done} before it stopped; this report counts them with this run's changes`,
    );
  }
  return notes;
}

function writeDetails(report: DeploymentReport, formatPath: PathFormatter): string[] {
  const details: string[] = [];
  const marked = new Set(report.mergeConflicts);
  for (const change of report.changes) {
    const file = formatPath(`${report.folder}/${change.path}`);
    if (change.action === "remove") details.push(`removed ${file}`);
    else if (marked.has(change.path)) details.push(`replaced git merge conflict markers in ${file}`);
    else if (change.action === "restore") details.push(`restored hand-edited file ${file}`);
    else details.push(`wrote ${file}`);
  }
  if (marked.has(MANIFEST_FILE)) {
    details.push(`replaced git merge conflict markers in ${formatPath(`${report.folder}/${MANIFEST_FILE}`)}`);
  }
  return details;
}

/**
 * Returns the line that follows a run that replaced git merge conflict markers: git still
 * lists those files as unmerged until they are staged. The command names `paths` (relative to
 * the repo root), or the deployment folder when they are unknown.
 */
function mergeConflictNote(
  report: DeploymentReport,
  formatPath: PathFormatter,
  paths: readonly string[] | undefined,
): string | undefined {
  if (report.mergeConflicts === undefined) return undefined;
  const words = (paths ?? [report.folder]).map((file) => shellWord(formatPath(file)));
  return `git lists conflicted files as unmerged until they are staged: run "git add ${words.join(" ")}"`;
}

function checkSummary(report: DeploymentReport, flags: string): string {
  if (!isDrift(report)) return "up to date";
  if (report.orphan) {
    return `output of a deleted vars file (to delete it and its Profiles, run "${pruneCommand([report.name], flags)}")`;
  }
  const marked = new Set(report.mergeConflicts);
  const manifestStale = report.manifestChanged && !report.manifestMissing && !marked.has(MANIFEST_FILE);
  // The manifest is listed as a stale file among the details, so it is counted with them.
  const parts = [
    [countWithoutMarkers(report, "update") + (manifestStale ? 1 : 0), "stale"],
    [countOf(report, "create") + (report.manifestMissing ? 1 : 0), "missing"],
    [countOf(report, "remove"), "extra"],
    [countWithoutMarkers(report, "restore"), "hand-edited"],
    [marked.size, "with git merge conflict markers"],
    [report.conflicts.length, "in the way"],
  ]
    .filter(([count]) => (count as number) > 0)
    .map(([count, label]) => `${count} ${label}`);
  if (report.journalPending) parts.push("interrupted run");
  return parts.join(", ");
}

/** The `--check` label and note of a file with git merge conflict markers, which `cake reconcile` replaces. */
const MERGE_CONFLICT_LABEL: [string, string] = [
  "conflicted",
  '(has git merge conflict markers; "cake reconcile" replaces them)',
];

const CHECK_LABELS: Record<Exclude<FileAction, "unchanged">, [string, string]> = {
  update: ["stale", "(would change)"],
  create: ["missing", "(would be written)"],
  remove: ["extra", "(would be removed)"],
  restore: ["hand-edited", "(differs from what cake last wrote)"],
};

function checkDetails(report: DeploymentReport, formatPath: PathFormatter): string[] {
  const folder = formatPath(report.folder);
  if (report.orphan) return [`no vars file for ${folder}`];
  const details: string[] = [];
  if (report.journalPending) {
    details.push(
      `interrupted run ${folder}/.cake-journal.json (the next reconcile completes it, or discards it when the vars file changed since)`,
    );
  }
  const marked = new Set(report.mergeConflicts);
  for (const change of report.changes) {
    if (change.action === "unchanged") continue;
    const [label, note] = marked.has(change.path) ? MERGE_CONFLICT_LABEL : CHECK_LABELS[change.action];
    details.push(`${label} ${formatPath(`${report.folder}/${change.path}`)} ${note}`);
  }
  for (const file of report.conflicts)
    details.push(`in the way ${formatPath(`${report.folder}/${file}`)} (not generated by cake)`);
  if (report.manifestMissing) {
    details.push(`missing ${folder}/.cake-manifest.json (would be written)`);
  } else if (marked.has(MANIFEST_FILE)) {
    details.push(`${MERGE_CONFLICT_LABEL[0]} ${folder}/${MANIFEST_FILE} ${MERGE_CONFLICT_LABEL[1]}`);
  } else if (report.manifestChanged) {
    const note = report.olderManifest ? "format of an older cake, rewritten once" : "would change";
    details.push(`stale ${folder}/.cake-manifest.json (${note})`);
  }
  return details;
}

/** Returns the number of changes with `action` whose file had no git merge conflict markers. */
function countWithoutMarkers(report: DeploymentReport, action: FileAction): number {
  const marked = new Set(report.mergeConflicts);
  return report.changes.filter((change) => change.action === action && !marked.has(change.path)).length;
}

function countOf(report: DeploymentReport, action: FileAction): number {
  return pathsOf(report, action).length;
}

/** Returns the paths (relative to the deployment folder) of the changes with `action`. */
function pathsOf(report: DeploymentReport, action: FileAction): string[] {
  return report.changes.filter((change) => change.action === action).map((change) => change.path);
}

function toJson(result: ReconcileResult): unknown {
  return {
    valid: result.valid,
    check: result.check,
    ...(result.check ? { upToDate: result.valid && !result.drift } : {}),
    deployments: result.deployments.map((report) => ({
      name: report.name,
      folder: report.folder,
      varsFile: report.varsFile ?? null,
      orphan: report.orphan,
      ...(result.check
        ? {
            stale: pathsOf(report, "update"),
            missing: pathsOf(report, "create"),
            extra: pathsOf(report, "remove"),
            handEdited: pathsOf(report, "restore"),
          }
        : {
            written: [...pathsOf(report, "create"), ...pathsOf(report, "update")].sort(),
            restored: pathsOf(report, "restore"),
            removed: pathsOf(report, "remove"),
            argocdChanged: argocdChanged(report),
          }),
      unchanged: report.unchanged,
      conflicts: report.conflicts,
      manifestChanged: report.manifestChanged,
      olderManifest: report.olderManifest,
      journalPending: report.journalPending,
      journalDiscarded: report.journalDiscarded ?? false,
      journalTorn: report.journalTorn ?? [],
      journalWritten: report.journalWritten ?? [],
      journalRemoved: report.journalRemoved ?? [],
      mergeConflicts: report.mergeConflicts ?? [],
    })),
    diagnostics: diagnosticsToJson(result.diagnostics).diagnostics,
    ...(result.unmatchedAllowances === undefined ? {} : { unmatchedAllowances: result.unmatchedAllowances }),
    ...(result.unmatchedHandoverAllowances === undefined
      ? {}
      : { unmatchedHandoverAllowances: result.unmatchedHandoverAllowances }),
    ...(result.foreignFolders === undefined ? {} : { foreignFolders: result.foreignFolders }),
    ...(result.staleCodeowners === undefined ? {} : { staleCodeowners: result.staleCodeowners }),
    ...(result.shadowedCodeowners === undefined ? {} : { shadowedCodeowners: result.shadowedCodeowners }),
    ...(result.foreignCodeowners === undefined ? {} : { foreignCodeowners: result.foreignCodeowners }),
    ...(result.outdatedApplicationSet === undefined
      ? {}
      : { outdatedApplicationSet: result.outdatedApplicationSet.file }),
    ...(result.applicationSetClashes === undefined
      ? {}
      : {
          applicationSetClashes: result.applicationSetClashes.map(({ file, other, objects }) => ({
            file,
            other,
            objects,
          })),
        }),
    ...(result.applicationClashes === undefined ? {} : { applicationClashes: result.applicationClashes }),
    ...(result.longApplicationNames === undefined
      ? {}
      : { longApplicationNames: result.longApplicationNames }),
    ...(result.clusterClashes === undefined ? {} : { clusterClashes: result.clusterClashes }),
    ...(result.unusedRepoUrls === undefined ? {} : { unusedRepoUrls: result.unusedRepoUrls }),
    ...(result.unlistedRepoUrls === undefined ? {} : { unlistedRepoUrls: result.unlistedRepoUrls }),
    ...(result.unknownHolders === undefined ? {} : { unknownHolders: result.unknownHolders }),
    ...(result.shallowHistory === undefined ? {} : { shallowHistory: result.shallowHistory }),
    ...(result.unknownHoldersReasons === undefined
      ? {}
      : { unknownHoldersReasons: result.unknownHoldersReasons }),
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectList(value: string, previous: string[]): string[] {
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length === 0)
    throw new InvalidArgumentError("Expected one or more Profile names, separated by commas.");
  return [...previous, ...names];
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new InvalidArgumentError(`Expected a number of seconds (0 or more), got "${value}".`);
  }
  return seconds;
}

/** Returns the `git add` paths of a run that replaced conflict markers (see `pathsToStage`); only such a run loads that module. */
async function stagedPaths(
  root: string,
  reports: readonly DeploymentReport[],
): Promise<Map<string, string[]>> {
  if (!reports.some((report) => report.mergeConflicts !== undefined)) return new Map();
  const { pathsToStage } = await import("../../output/merge-staging.js");
  return pathsToStage(root, reports);
}
