import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { CommandContext, TextSink } from "../cli/io.js";
import { withAttributeMarkerSize } from "../config/conflict-markers.js";
import { type Diagnostic, hasErrors } from "../config/diagnostics.js";
import { formatDiagnostics, formatErrorsFirst } from "../config/format.js";
import { loadVarsText, type PreviousLoad } from "../config/load.js";
import type { PreloadedDeployment } from "../config/repo.js";
import { didYouMean } from "../config/suggest.js";
import { CakeError, systemErrorMessage, UsageError } from "../errors.js";
import { activeAdminEmails, profilesOf } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import { writeFileAtomic } from "../output/atomic.js";
import { readStoredLoad } from "../output/cache.js";
import { deleteStrayTempFiles } from "../output/journal.js";
import { withRepoLock } from "../output/lock.js";
import { listedProfiles, readManifest } from "../output/manifest.js";
import { renderSettings } from "../output/parallel-render.js";
import {
  argocdReminder,
  type DeploymentReport,
  errorsBesideEdit,
  reconcile,
  shallowHistoryMessage,
  unknownHoldersMessage,
} from "../output/reconcile.js";
import { makePathFormatter, type PathFormatter, repoRelative } from "../repo/display-path.js";
import type { LayoutFlags, RepoLayout } from "../repo/layout.js";
import { assertNoSymlinkedFolder, assertRealPathInside } from "../repo/paths.js";
import { initFolderArgument, resolveCommandLayout } from "../repo/root.js";
import { layoutFlags, withLayoutFlags } from "../repo/shell.js";
import {
  checkOneFilePerFolder,
  deploymentNameOfFile,
  listVarsFiles,
  misplacedVarsHint,
} from "../repo/vars-files.js";
import { EditError } from "./errors.js";

/** Options every editing command takes. */
export interface EditCommandOptions extends LayoutFlags {
  repo?: string;
  deployment: string;
  /** False with `--no-reconcile`. */
  reconcile?: boolean;
  /** Seconds to wait for the repo lock. */
  wait?: string;
}

/** A deployment opened for editing. */
export interface EditTarget {
  name: string;
  /** Absolute path of the repo root. */
  root: string;
  /** Path of the vars file relative to the repo root, with `/` separators. */
  file: string;
  /** The vars file as text output names it, relative to the current folder (see `makePathFormatter`). */
  shownFile: string;
  absolutePath: string;
  text: string;
  deployment: Deployment;
  /**
   * The warnings of `text`; an edit reports only the warnings it adds. Undefined when the
   * target was opened from the stored load of the last reconcile, which keeps no warnings.
   */
  warnings: Diagnostic[] | undefined;
  /**
   * The load of `text` with its snapshot, when the fast path could take it, so a check of
   * the edited text re-reads only the users the edit changed (see `config/incremental.ts`).
   */
  load?: PreviousLoad;
}

/** Result of an edit function: the new text and a one-line description of the change. */
export interface EditOutcome {
  text: string;
  /** Such as `added user erin@example.com (username erin)`; shown after the file name. */
  summary: string;
  /** Notes printed before the summary, such as how a username was chosen. */
  notes?: string[];
}

export interface EditRequest {
  /** The command as the lock file records it, such as `user add`. */
  command: string;
  /**
   * Reads every target deployment before the first edit, for edits that must agree across them.
   * `others` are the other valid deployments of the repo, which the edit does not change.
   */
  prepare?(targets: readonly EditTarget[], others: readonly EditTarget[]): void | Promise<void>;
  edit(target: EditTarget): EditOutcome | Promise<EditOutcome>;
  /** Profiles the change removes on purpose, passed to reconcile. */
  allowProfileDeletion?: (target: EditTarget) => string[];
  /** True to print the plan and write nothing. */
  dryRun?: boolean;
  /**
   * With `--deployment all`, a deployment that refuses the edit stops it everywhere instead
   * of being skipped: `user import` promises that a bad row imports nothing.
   */
  allOrNothing?: boolean;
  /**
   * Builds the error of an `allOrNothing` edit that some deployments rejected, in place of one
   * message per deployment. `names` lists every deployment of the run.
   */
  rejectionError?(rejections: readonly Rejection[], names: readonly string[]): CakeError;
}

/** A deployment that rejected an edit of `--deployment all`, with its error. */
export interface Rejection {
  name: string;
  error: CakeError;
}

interface Applied {
  target: EditTarget;
  outcome: EditOutcome;
  /** The model of the edited text. */
  edited: Deployment;
}

/** Runs an edit against the deployment(s) named by `--deployment` and reports on the context's streams. */
export async function runEdit(
  context: CommandContext,
  options: EditCommandOptions,
  request: EditRequest,
): Promise<void> {
  const { io } = context;
  const layout = await resolveCommandLayout(io.cwd, options);
  const formatPath = makePathFormatter({ root: layout.root, cwd: io.cwd });
  const wait = waitMs(options.wait);
  // The reconcile after the edit would reject a bad setting only after the vars file is written.
  if (options.reconcile !== false) renderSettings();

  if (request.dryRun) {
    for (const { target, outcome } of await prepareEdits(context, layout, formatPath, options, request))
      io.stdout.write(`${target.shownFile}: dry run, nothing written: ${outcome.summary}\n`);
    return;
  }
  // The vars files are read, edited and written, and the output reconciled, under one lock.
  // Parallel edits queue (with --wait) instead of failing or losing each other's changes, and
  // no other command can take the lock between an edit and its reconcile.
  await withRepoLock(
    layout.root,
    request.command,
    async () => {
      // A vars edit killed between writing its temporary file and the rename leaves the file.
      await deleteStrayTempFiles(path.join(layout.root, layout.varsDir));
      // The deployments the edit reads without changing them: the checks after it load them once.
      const others: EditTarget[] = [];
      const edits =
        options.reconcile === false
          ? await prepareEdits(context, layout, formatPath, options, request)
          : await prepareUnblockedEdits(context, layout, formatPath, options, request, others);
      await writeUnlessChanged(
        edits.map(({ target, outcome }) => ({
          file: target.shownFile,
          absolutePath: target.absolutePath,
          before: target.text,
          after: outcome.text,
        })),
      );
      if (edits.length > 0) await afterWrite(context, layout, formatPath, options, request, edits, others);
    },
    { waitMs: wait },
  );
}

/**
 * Runs `prepareEdits`, then rejects the edits when another vars file would make their reconcile
 * fail. The output of `prepareEdits` is buffered until then, and dropped when the reconcile is
 * blocked: its warning that a deployment is left out, its notes and its skipped deployments
 * describe a change that is not made, and the blocking error names the cause in full.
 */
async function prepareUnblockedEdits(
  context: CommandContext,
  layout: RepoLayout,
  formatPath: PathFormatter,
  options: EditCommandOptions,
  request: EditRequest,
  others: EditTarget[],
): Promise<Applied[]> {
  const buffered: { sink: TextSink; text: string }[] = [];
  const buffer = (sink: TextSink): TextSink => ({ write: (text: string) => buffered.push({ sink, text }) });
  const flush = (): void => {
    for (const { sink, text } of buffered) sink.write(text);
  };
  const { io } = context;
  const bufferedContext = { ...context, io: { ...io, stdout: buffer(io.stdout), stderr: buffer(io.stderr) } };

  let edits: Applied[];
  try {
    edits = await prepareEdits(bufferedContext, layout, formatPath, options, request, others);
  } catch (error) {
    // The edit's own error comes after what the edit printed, as without the check.
    flush();
    throw error;
  }
  await rejectBlockedReconcile(layout, edits, formatPath, others);
  flush();
  return edits;
}

/** Prints what the edits did and reconciles their deployments, under the lock that wrote them. */
async function afterWrite(
  context: CommandContext,
  layout: RepoLayout,
  formatPath: PathFormatter,
  options: EditCommandOptions,
  request: EditRequest,
  applied: Applied[],
  others: readonly EditTarget[],
): Promise<void> {
  const { io } = context;
  for (const { target, outcome } of applied) io.stdout.write(`${target.shownFile}: ${outcome.summary}\n`);
  await remindCodeowners(context, layout, formatPath, options, applied);

  if (options.reconcile === false) {
    // A removal with --delete-profile is blocked by reconcile's guard unless the command names the Profile.
    const allowed = applied.flatMap(({ target }) =>
      (request.allowProfileDeletion?.(target) ?? []).map((profile) => `${target.name}/${profile}`),
    );
    const command =
      allowed.length === 0
        ? `cake reconcile${layoutFlags(options)}`
        : `cake reconcile${layoutFlags(options)} --allow-profile-deletion=${allowed.join(",")}`;
    io.stdout.write(`Not reconciled (--no-reconcile); run "${command}" to regenerate the output.\n`);
    return;
  }
  await reconcileApplied(context, layout, formatPath, applied, request, layoutFlags(options), others);
}

/**
 * Prints which CODEOWNERS to regenerate when the edit changed the active cake-admins of a
 * deployment and a CODEOWNERS that cake wrote no longer names them. `reconcile --check` fails
 * until the file is regenerated, so the reminder comes with the change that needs it.
 */
async function remindCodeowners(
  context: CommandContext,
  layout: RepoLayout,
  formatPath: PathFormatter,
  options: EditCommandOptions,
  applied: readonly Applied[],
): Promise<void> {
  const admins = (deployment: Deployment) => activeAdminEmails(deployment).sort().join("\n");
  for (const { target, edited } of applied) {
    if (admins(target.deployment) === admins(edited)) continue;
    const { codeownersBehind } = await import("../init/codeowners.js");
    const behind = await codeownersBehind(layout.root, edited, layout.repoPath);
    if (behind === undefined) continue;
    const { io } = context;
    const folder = initFolderArgument(options, layout.root, formatPath);
    io.stdout.write(
      `The cake-admins of ${edited.name} changed, and ${formatPath(behind)} does not name them ` +
        `as reviewers yet: run "cake init${folder} --codeowners" and commit it with this change ` +
        `("cake reconcile${layoutFlags(options)} --check" fails until then).\n`,
    );
    return;
  }
}

/** Returns the deployments of `others` by vars file, for the loads after the edit to take as loaded. */
function preloadedOf(others: readonly EditTarget[]): Map<string, PreloadedDeployment> {
  return new Map(others.map(({ file, text, deployment }) => [file, { text, deployment }]));
}

/**
 * Rejects an edit whose reconcile would fail because of another vars file, before anything is
 * written. A written edit that is not reconciled would leave the output out of date. `others`
 * are the deployments the edit opened without changing them, which need no second load.
 */
async function rejectBlockedReconcile(
  layout: RepoLayout,
  edits: readonly Applied[],
  formatPath: PathFormatter,
  others: readonly EditTarget[],
): Promise<void> {
  if (edits.length === 0) return;
  const blocking = await errorsBesideEdit(
    layout,
    edits.map(({ target }) => ({ deployment: target.deployment, text: target.text })),
    preloadedOf(others),
  );
  if (blocking.diagnostics.length === 0) return;
  throw new CakeError(
    "the reconcile after this change would fail, so nothing was written:\n" +
      formatDiagnostics(blocking.diagnostics, { sources: blocking.sources ?? {}, formatPath }).trimEnd() +
      "\nFix these errors first, or pass --no-reconcile to write the vars change alone.",
  );
}

/**
 * Opens each target deployment and applies the edit in memory. Notes and skipped targets go to
 * the streams. The other deployments that the request's `prepare` opens are added to `others`.
 */
async function prepareEdits(
  context: CommandContext,
  layout: RepoLayout,
  formatPath: PathFormatter,
  options: EditCommandOptions,
  request: EditRequest,
  others: EditTarget[] = [],
): Promise<Applied[]> {
  const { io } = context;
  const all = options.deployment === "all";
  const names = all ? await deploymentNames(layout, formatPath) : [options.deployment];

  const applied: Applied[] = [];
  // A deployment where the change is already in place is one the change applies to, so a
  // repeated `--deployment all` run succeeds as a repeated single-deployment run does.
  let alreadyInPlace = 0;
  // Printed once no deployment rejects the edit, because a rejection changes nothing anywhere.
  const unchanged: string[] = [];
  // Warnings of the edited texts, printed once no deployment rejects the edit, because after a
  // rejection no file has the lines they point at.
  const warningBlocks: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const rejections: Rejection[] = [];
  const refuse = (name: string, file: string | undefined, error: unknown): void => {
    // A refused edit names the vars file it was refused in.
    if (!all && error instanceof EditError && file !== undefined) {
      throw new EditError(error.code, `${file}: ${error.message}`);
    }
    if (!all || !(error instanceof CakeError) || error instanceof UsageError) throw error;
    if (request.allOrNothing) {
      rejections.push({ name, error });
      return;
    }
    skipped.push({
      name,
      reason: error instanceof EditError ? (error.reason ?? error.message) : error.message,
    });
  };

  const targets: EditTarget[] = [];
  for (const name of names) {
    try {
      targets.push(await openTarget(layout, name, !all, formatPath));
    } catch (error) {
      refuse(name, undefined, error);
    }
  }
  if (request.prepare !== undefined) {
    if (!all) others.push(...(await openOthers(context, layout, formatPath, options, names)));
    await request.prepare(targets, others);
  }

  for (const target of targets) {
    try {
      const outcome = await request.edit(target);
      if (outcome.text === target.text) {
        unchanged.push(`${target.shownFile}: nothing to change: ${outcome.summary}\n`);
        alreadyInPlace += 1;
        continue;
      }
      const { warnings, deployment } = checkEditedText(target, outcome.text, formatPath);
      await rejectHandover(target, deployment);
      if (warnings.length > 0) {
        // An import of many rows can add a warning per row; the first ten stand for the rest.
        // A dry run writes nothing, so its lines are not those of the file on disk.
        if (request.dryRun) {
          warningBlocks.push("warnings the change would add (lines are those of the edited file):\n");
        }
        warningBlocks.push(
          formatErrorsFirst(warnings, {
            sources: { [target.file]: outcome.text },
            formatPath,
            summary: false,
            layoutFlags: layoutFlags(options),
            ...(request.dryRun
              ? {
                  moreWarningsHint: `run the command without --dry-run, then "cake validate${layoutFlags(options)}", to list them`,
                }
              : {}),
          }),
        );
      }
      applied.push({ target, outcome, edited: deployment });
    } catch (error) {
      refuse(target.name, target.shownFile, error);
    }
  }

  // Every refusing deployment is named, in the order of `names`, so one run lists every problem to fix.
  const order = (name: string): number => names.indexOf(name);
  rejections.sort((a, b) => order(a.name) - order(b.name));
  skipped.sort((a, b) => order(a.name) - order(b.name));
  if (rejections.length > 0 && request.rejectionError !== undefined) {
    throw request.rejectionError(rejections, names);
  }
  if (rejections.length > 0) {
    const reasons = rejections.map(({ name, error }) => `${name}: ${error.message}`).join("\n");
    throw new CakeError(`${reasons}\nno deployment was changed.`, rejections[0]?.error.exitCode ?? 1);
  }
  for (const block of warningBlocks) io.stderr.write(block);
  for (const line of unchanged) io.stdout.write(line);
  for (const { name, reason } of skipped)
    io.stderr.write(`cake: skipped ${name}: ${withLayoutFlags(reason, options)}\n`);
  if (all && applied.length === 0 && alreadyInPlace === 0 && skipped.length > 0) {
    throw new CakeError("the change applies to no deployment; nothing was written.");
  }
  for (const { target, outcome } of applied) {
    for (const note of outcome.notes ?? [])
      io.stdout.write(`${target.shownFile}: ${withLayoutFlags(note, options)}\n`);
  }
  return applied;
}

/**
 * Opens the deployments of the repo other than `names`, for an edit of one deployment that must
 * agree with them. A deployment that cannot be opened, such as an invalid vars file, is left out
 * with a warning, because the edit does not change it.
 */
async function openOthers(
  context: CommandContext,
  layout: RepoLayout,
  formatPath: PathFormatter,
  options: EditCommandOptions,
  names: readonly string[],
): Promise<EditTarget[]> {
  const others: EditTarget[] = [];
  for (const name of await deploymentNames(layout, formatPath)) {
    if (names.includes(name)) continue;
    try {
      others.push(await openTarget(layout, name, false, formatPath));
    } catch (error) {
      if (!(error instanceof CakeError)) throw error;
      // The error of openTarget tells the user to fix the file before editing it, but this edit
      // does not change that file.
      context.io.stderr.write(
        `cake: warning: ${name} is left out of the checks across deployments, because its vars file ` +
          `cannot be opened; run "cake validate${layoutFlags(options)}" to see why.\n`,
      );
    }
  }
  return others;
}

function waitMs(wait: string | undefined): number {
  if (wait === undefined) return 0;
  const seconds = Number(wait);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new UsageError(`--wait "${wait}" must be a number of seconds.`);
  return seconds * 1000;
}

/** Lists the deployment names of every vars file in the repo, sorted. */
async function deploymentNames(layout: RepoLayout, formatPath: PathFormatter): Promise<string[]> {
  const folder = path.join(layout.root, layout.varsDir);
  let files: string[];
  try {
    files = await readdir(folder);
  } catch {
    const hint = (await misplacedVarsHint(layout, formatPath)) ?? "pass --repo or --vars-dir.";
    throw new UsageError(`no vars folder at ${formatPath(layout.varsDir)}; ${hint}`);
  }
  const names = files.filter((file) => /\.ya?ml$/.test(file)).map((file) => file.replace(/\.ya?ml$/, ""));
  if (names.length === 0) {
    const hint = (await misplacedVarsHint(layout, formatPath)) ?? "check --repo and --vars-dir.";
    throw new UsageError(`no vars files in ${formatPath(layout.varsDir)}; ${hint}`);
  }
  return names.sort();
}

/**
 * Reads and validates the vars file of a deployment; an invalid file is an error, shown in full
 * when `verbose`. `formatPath` gives the paths that messages print.
 */
export async function openTarget(
  layout: RepoLayout,
  name: string,
  verbose = true,
  formatPath: PathFormatter = repoRelative,
): Promise<EditTarget> {
  // With `x.yaml` beside `x.yml`, the edit would pick one, and its reconcile would then reject
  // both after the vars change was written.
  checkOneFilePerFolder(
    (await listVarsFiles(layout)).map((file) => ({
      varsFile: file,
      outputPath: `${layout.outputDir}/${deploymentNameOfFile(file)}`,
    })),
    formatPath,
  );
  const found = await findVarsFile(layout, name);
  if (!found) {
    const names = await deploymentNames(layout, formatPath);
    throw new UsageError(
      `no vars file for deployment "${name}" in ${formatPath(layout.varsDir)}/ (known deployments: ${names.join(", ")}).` +
        `${didYouMean(name, names)} Use the file's name without .yaml, or "all".`,
    );
  }
  // A vars file symlinked inside the repo is edited where it really is, so the link stays a link.
  const realPath = await assertRealPathInside(layout.root, found.file);
  const outputPath = `${layout.outputDir}/${name}`;
  // Checked before the vars file is written, so an output folder reconcile rejects stops the edit.
  await assertRealPathInside(layout.root, outputPath);
  await assertNoSymlinkedFolder(layout.root, outputPath);
  const text = await readFile(realPath, "utf8");
  // A file that the last reconcile on this machine loaded, byte for byte, was valid then, and
  // its stored load gives the model without parsing the file: 0.35 of the 0.8 seconds of a
  // grant at 10k users. The stored load keeps no warnings (see `checkEditedText`).
  const stored = readStoredLoad(layout.root, outputPath);
  const previous = stored?.text === text ? stored : undefined;
  // The fast path gives the full load's result or none, so an invalid file still gets the
  // full load's diagnostics. A large file loads several times faster.
  const loadResult = loadVarsText(text, {
    file: found.file,
    outputPath,
    fast: true,
    snapshot: true,
    positioned: true,
    ...(previous === undefined ? {} : { previous }),
  });
  const result = await withAttributeMarkerSize(layout.root, {
    file: found.file,
    outputPath,
    result: loadResult,
  });
  if (!result.deployment || hasErrors(result.diagnostics)) {
    const detail = verbose
      ? `\n${formatDiagnostics(errorsOnly(result.diagnostics), { sources: { [found.file]: text }, formatPath })}`
      : "";
    throw new CakeError(
      `${formatPath(found.file)} is invalid; fix it (run "cake validate") before editing it.${detail}`,
    );
  }
  return {
    name,
    root: layout.root,
    file: found.file,
    shownFile: formatPath(found.file),
    absolutePath: realPath,
    text,
    deployment: result.deployment,
    // `affectedProfiles` marks a load from `previous`, which lists no warnings of unchanged text.
    warnings:
      result.affectedProfiles !== undefined
        ? undefined
        : result.diagnostics.filter((diagnostic) => diagnostic.severity === "warning"),
    ...(result.snapshot === undefined ? {} : { load: { text, snapshot: result.snapshot } }),
  };
}

async function findVarsFile(
  layout: RepoLayout,
  name: string,
): Promise<{ file: string; absolutePath: string } | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return undefined;
  for (const extension of [".yaml", ".yml"]) {
    const file = `${layout.varsDir}/${name}${extension}`;
    const absolutePath = path.join(layout.root, file);
    try {
      await readFile(absolutePath);
      return { file, absolutePath };
    } catch {
      // Try the next extension.
    }
  }
  return undefined;
}

function errorsOnly(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.severity === "error");
}

/**
 * Validates the edited text with the loader; an invalid result is an error listing its
 * diagnostics. Returns the warnings the edit adds, such as an email with upper-case letters.
 * Warnings are matched by code and message, because their paths shift when an entry is added.
 */
function checkEditedText(
  target: EditTarget,
  text: string,
  formatPath: PathFormatter,
): { warnings: Diagnostic[]; deployment: Deployment } {
  const options = { file: target.file, outputPath: target.deployment.outputPath, fast: true };
  const result = loadVarsText(text, {
    ...options,
    positioned: true,
    snapshot: target.warnings === undefined,
    ...(target.load === undefined ? {} : { previous: target.load }),
  });
  if (result.deployment && !hasErrors(result.diagnostics)) {
    // A target opened from the stored load has no warnings. Loading the text before the edit
    // incrementally from the edited text gives the warnings of the entries the edit changed.
    const before =
      target.warnings ??
      (result.diagnostics.some((diagnostic) => diagnostic.severity === "warning")
        ? loadVarsText(target.text, {
            ...options,
            ...(result.snapshot === undefined ? {} : { previous: { text, snapshot: result.snapshot } }),
          }).diagnostics
        : []);
    const known = new Set(before.map((warning) => `${warning.code}\n${warning.message}`));
    const warnings = result.diagnostics.filter(
      (diagnostic) =>
        diagnostic.severity === "warning" && !known.has(`${diagnostic.code}\n${diagnostic.message}`),
    );
    return { warnings, deployment: result.deployment };
  }
  const errors = errorsOnly(result.diagnostics);
  throw new EditError(
    "invalid-value",
    "the change would make the vars file invalid, so nothing was written (lines are those of the edited file):\n" +
      formatDiagnostics(errors, { sources: { [target.file]: text }, formatPath }).trimEnd(),
  );
}

/**
 * Rejects an edit that gives a Profile name to someone other than the holder the output
 * records, such as a username that was a removed user's private profile, which Argo CD keeps.
 * Reconcile would stop on it after the vars file is written, so the edit stops first.
 * Holders that the edit does not change are left to reconcile.
 */
async function rejectHandover(target: EditTarget, edited: Deployment): Promise<void> {
  const check = await loadHandoverCheck(target, edited);
  check(edited);
}

/**
 * Returns the Profiles that left, or are leaving, the target's output, with their last holders: those
 * the manifest records as removed, and those it lists whose entries the vars file no longer has.
 */
export async function removedProfilesOf(target: EditTarget): Promise<Record<string, string | null>> {
  const manifest = await readManifest(path.join(target.root, target.deployment.outputPath)).catch(
    () => undefined,
  );
  if (manifest === undefined) return {};
  // A Profile still in the output whose entry left the vars file (removed without a reconcile
  // since) keeps its holder as much as one the manifest records as removed.
  const inVars = new Set(profilesOf(target.deployment).map((profile) => profile.name));
  const leaving = manifest.profiles
    .filter((profile) => !inVars.has(profile))
    .map((profile): [string, string | null] => [profile, manifest.profileUsers?.[profile] ?? null]);
  const known = listedProfiles(manifest);
  const history = await deletedProfilesOf(target, (profile) => !known.has(profile));
  return { ...history, ...Object.fromEntries(leaving), ...manifest.removedProfiles };
}

/**
 * Returns the Profiles that left the target's output through git alone, without a
 * `removedProfiles` record (see `profilesDeletedInHistory`), among those `include` accepts.
 */
async function deletedProfilesOf(
  target: EditTarget,
  include: (profile: string) => boolean,
): Promise<Record<string, string | null>> {
  const { profilesDeletedInHistory } = await import("../output/deleted-output.js");
  return profilesDeletedInHistory(target.root, target.deployment.outputPath, include);
}

/**
 * Returns the names in `removed` that left the output with a holder other than `email`, which
 * a proposed username must avoid: Argo CD keeps their namespaces and data.
 */
export function keptForOthers(removed: Readonly<Record<string, string | null>>, email: string): Set<string> {
  return new Set(
    Object.entries(removed)
      .filter(([, holder]) => holder !== email)
      .map(([name]) => name),
  );
}

/** Throws an EditError (`profile-handover`) when the edited deployment hands a kept Profile to someone else. */
export type HandoverCheck = (edited: Deployment) => void;

/**
 * Reads the output manifest of the target once and returns the check `rejectHandover` runs,
 * so an edit of many steps, such as an import, can check each step. Without a manifest
 * (never reconciled), the check passes. Profiles that left the output through git alone are
 * looked up in git history: those of `edited` that the manifest does not list, or, without
 * `edited`, all of them.
 */
export async function loadHandoverCheck(target: EditTarget, edited?: Deployment): Promise<HandoverCheck> {
  const manifest = await readManifest(path.join(target.root, target.deployment.outputPath)).catch(
    () => undefined,
  );
  if (manifest === undefined) return () => {};
  const before = new Map(
    profilesOf(target.deployment).map((profile) => [profile.name, profile.email ?? null]),
  );
  const present = new Set(manifest.profiles);
  const known = listedProfiles(manifest);
  // A single edit looks up only the Profiles it adds, so an edit that adds none runs no git.
  const added =
    edited === undefined
      ? undefined
      : new Set(
          profilesOf(edited)
            .map((profile) => profile.name)
            .filter((profile) => !known.has(profile)),
        );
  const include = (profile: string): boolean =>
    added === undefined ? !known.has(profile) : added.has(profile);
  const history = added?.size === 0 ? {} : await deletedProfilesOf(target, include);
  const removed = { ...history, ...manifest.removedProfiles };

  return (edited) => {
    for (const profile of profilesOf(edited)) {
      const holder = profile.email ?? null;
      if (before.has(profile.name) && before.get(profile.name) === holder) continue;
      let recorded: string | null | undefined;
      if (present.has(profile.name)) {
        recorded =
          manifest.profileUsers === undefined ? undefined : (manifest.profileUsers[profile.name] ?? null);
      } else if (Object.hasOwn(removed, profile.name)) {
        recorded = removed[profile.name] ?? null;
      }
      if (recorded === undefined || recorded === holder) continue;
      const was = recorded === null ? "a deploy namespace" : `the private profile of ${recorded}`;
      throw new EditError(
        "profile-handover",
        `Profile "${profile.name}" was ${was}, and Argo CD keeps its namespace and data, so the change would ` +
          `hand them to ${holder === null ? "every user of the deploy namespace" : holder}; nothing was written. ` +
          "Choose another name. When both emails name the same person, or the namespace was deleted from the " +
          "cluster, make the change in the vars file by hand and run " +
          `"cake reconcile --allow-profile-handover=${target.name}/${profile.name}".`,
      );
    }
  };
}

/** A vars file to write: the text the edit started from and the new text. */
export interface EditedFile {
  /** The file as messages name it. */
  file: string;
  absolutePath: string;
  before: string;
  after: string;
}

/**
 * Writes every edited file. Each file is read again first: when its bytes differ from those
 * the edit started from, someone changed it meanwhile (an editor saved it, `git pull` updated
 * it), and nothing is written, so that change is not silently undone. The repo lock keeps out
 * other cake commands, but not people and other tools.
 */
export async function writeUnlessChanged(files: readonly EditedFile[]): Promise<void> {
  for (const file of files) {
    const current = await readFile(file.absolutePath, "utf8").catch(() => undefined);
    if (current !== file.before) {
      throw new CakeError(
        `${file.file} changed while cake was editing it; nothing was written. Rerun the command on the new version.`,
      );
    }
  }
  for (const file of files) await writeFileAtomic(file.absolutePath, file.after);
}

async function reconcileApplied(
  context: CommandContext,
  layout: RepoLayout,
  formatPath: PathFormatter,
  applied: Applied[],
  request: EditRequest,
  /** The layout options of the command, for the command a failure suggests. */
  flags: string,
  others: readonly EditTarget[],
): Promise<void> {
  const allowProfileDeletion = applied.flatMap(({ target }) => request.allowProfileDeletion?.(target) ?? []);
  try {
    const result = await reconcile({
      layout,
      deployments: applied.map(({ target }) => target.name),
      allowProfileDeletion,
      lockHeld: true,
      formatPath,
      preloaded: preloadedOf(others),
    });
    if (!result.valid) {
      throw new CakeError(
        `another vars file has errors, so nothing was reconciled:\n${formatDiagnostics(errorsOnly(result.diagnostics), { sources: result.sources, formatPath }).trimEnd()}`,
      );
    }
    if (result.unknownHolders !== undefined) {
      context.io.stderr.write(
        `cake: warning: ${unknownHoldersMessage(result.unknownHolders, result.unknownHoldersReasons)}.\n`,
      );
    }
    if (result.shallowHistory !== undefined) {
      context.io.stderr.write(`cake: warning: ${shallowHistoryMessage(result.shallowHistory)}.\n`);
    }
    for (const report of result.deployments) {
      context.io.stdout.write(`${summarizeReport(report)}\n`);
      const reminder = argocdReminder(report, { root: layout.root, cwd: context.io.cwd });
      if (reminder !== undefined) context.io.stdout.write(`  ${reminder}\n`);
    }
  } catch (error) {
    const message = error instanceof CakeError ? error.message : systemErrorMessage(error);
    if (message === undefined) throw error;
    // Another sentence follows, so the message must end with a period. A guard's list ends without one.
    const sentence = /[.!?]$/.test(message.trimEnd()) ? message.trimEnd() : `${message.trimEnd()}.`;
    throw new CakeError(
      `the vars change was written, but reconcile failed: ${sentence} Once that is fixed, run "cake reconcile${flags}" ` +
        "to regenerate the output (the edit is already in the vars file).",
      error instanceof CakeError ? error.exitCode : 1,
    );
  }
}

/** Formats one line per deployment as `cake reconcile` prints it: `dev-eu-west-1: 3 written, 40 unchanged, 0 removed`. */
function summarizeReport(report: DeploymentReport): string {
  const removed = report.changes.filter((change) => change.action === "remove").length;
  const written = report.changes.length - removed;
  return `${report.name}: ${written} written, ${report.unchanged} unchanged, ${removed} removed`;
}
