/** Renders a repo plan as plain text for a terminal. */
import { plural } from "../config/format.js";
import { pruneCommand } from "../repo/shell.js";
import { type Cell, type PlanRow, planRows } from "./rows.js";
import { describeSummary } from "./summary.js";
import type { DeploymentPlan, PlanSide, RepoPlan } from "./types.js";

/** Options of the text and markdown plans. */
export interface RenderOptions {
  /**
   * The layout options the plan was run with, as `layoutFlags` returns them, which the
   * commands that the notes suggest repeat.
   */
  layoutFlags?: string;
}

export function renderPlanText(plan: RepoPlan, options: RenderOptions = {}): string {
  const lines: string[] = [`Plan from ${describeSide(plan.base)} to ${describeSide(plan.head)}`];
  for (const note of plan.notes) lines.push(`NOTE: ${note}`);
  lines.push(describeSummary(plan.summary));

  const changed = plan.deployments.filter(needsReview);
  if (changed.length === 0) {
    lines.push("No access changes.");
    return `${lines.join("\n")}\n`;
  }
  const destructive = plan.summary.destructiveChanges;
  if (destructive > 0) {
    const effects =
      destructive === 1
        ? "deletes a Profile with its data, hands a Profile and its data to someone else, or breaks Profiles"
        : "delete a Profile with its data, hand a Profile and its data to someone else, or break Profiles";
    lines.push(`DESTRUCTIVE: ${plural(destructive, "change")} ${effects}; see the lines marked "!".`);
  }
  const forgotten = plan.summary.removedProfilesForgotten;
  if (forgotten > 0) {
    lines.push(
      `WARNING: ${plural(forgotten, "Profile")} removed earlier ${forgotten === 1 ? "is" : "are"} no longer recorded in the output, so a later handover of their names would not be caught; see the lines marked "?".`,
    );
  }

  for (const deployment of changed) {
    lines.push("");
    for (const line of renderDeployment(deployment, options)) lines.push(line);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * True when a deployment has rows to show: its vars changed, or the head output no longer
 * records Profiles removed earlier, which can happen while the vars stay the same.
 */
export function needsReview(deployment: DeploymentPlan): boolean {
  return deployment.status !== "unchanged" || deployment.forgottenRemovedProfiles.length > 0;
}

/**
 * Names a side for headers and warnings: `main (3f1c0a9b2d4e)`, or `main (merge base
 * 3f1c0a9b2d4e)` when the commit compared is not the one the ref names.
 */
export function describeSide(side: PlanSide): string {
  if (side.source === "working-tree") return "the working tree";
  if (side.source === "empty") return "an empty repository";
  const short = side.commit?.slice(0, 12) ?? "";
  if (!side.ref || side.ref === side.commit) return short;
  return side.refCommit === side.commit ? `${side.ref} (${short})` : `${side.ref} (merge base ${short})`;
}

function renderDeployment(deployment: DeploymentPlan, options: RenderOptions): string[] {
  const lines = [`${deployment.deployment} (${deployment.varsFile}): ${deployment.status}`];
  for (const note of deploymentNotes(deployment, options)) lines.push(`  note: ${note}`);

  const rows = planRows(deployment);
  // Loops, not Math.max(...rows) or push(...lines): a new deployment of 50k users has 300k
  // rows, more than a call takes arguments.
  let changeWidth = 0;
  for (const row of rows) changeWidth = Math.max(changeWidth, row.change.length);
  for (const row of rows) {
    lines.push(`  ${row.marker} ${row.change.padEnd(changeWidth)}  ${describeRow(row)}`.trimEnd());
  }

  for (const reason of destructiveReasons(deployment)) lines.push(`  ! ${reason}`);
  return lines;
}

/** Returns the notes a reader needs to read a deployment's rows right, one sentence each. */
export function deploymentNotes(deployment: DeploymentPlan, options: RenderOptions = {}): string[] {
  const notes: string[] = [];
  const base = baseNote(deployment);
  if (base) notes.push(base);
  if (deployment.orphanedOutput) {
    const prune = pruneCommand([deployment.deployment], options.layoutFlags);
    notes.push(
      `the vars file is deleted, but cake reconcile keeps its output folder ${deployment.orphanedOutput}, ` +
        `so none of the changes below happen until "${prune}" deletes that folder`,
    );
  }
  if (deployment.prunedOutput) {
    const missing = "because the history at hand lacks the vars file (fetch more history to see it)";
    let source = `the users, access and Profiles below are those of ${deployment.varsFile} before commit ${deployment.varsDeletedIn?.slice(0, 12)} deleted it`;
    if (deployment.varsDeletedIn === null) {
      source = deployment.baseAccessFrom
        ? `the Profiles below are those the base manifest lists and the access that of the RoleBindings in ${deployment.baseAccessFrom}, and its users are not listed, ${missing}`
        : `the Profiles below are those the base manifest lists, and the access its users had is not listed, ${missing}`;
    }
    notes.push(
      `the vars file was deleted in an earlier change, and the head deletes its output folder ${deployment.prunedOutput}; ${source}`,
    );
  }
  const forgotten = forgottenNote(deployment);
  if (forgotten) notes.push(forgotten);
  return notes;
}

/**
 * Explains the risk of `removedProfiles` entries that the head drops. Argo CD keeps the
 * namespaces of removed Profiles (Prune=false), and only those entries tell cake that the
 * names still hold data.
 */
function forgottenNote(deployment: DeploymentPlan): string | undefined {
  const names = deployment.forgottenRemovedProfiles.map((entry) => entry.profile);
  if (names.length === 0) return undefined;
  const quoted = names.map((name) => `"${name}"`).join(", ");
  if (deployment.status === "removed") {
    // A retired deployment has no manifest left to record them in.
    return (
      `retiring the deployment forgets that Profiles ${quoted} were removed earlier, and Argo CD kept their namespaces with their data; ` +
      "delete those namespaces from the cluster if the data should go, because a deployment that later reuses one of these names " +
      "would get its data without a warning"
    );
  }
  return (
    `the head output no longer records the removal of Profiles ${quoted}, whose namespaces Argo CD keeps; ` +
    "if one of these names is given to someone else later, the plan shows it as created and not as handed over, " +
    'and reconcile does not stop it, so put the entries back into "removedProfiles" of the deployment\'s ' +
    ".cake-manifest.json (as at the base commit), or delete those namespaces from the cluster first"
  );
}

function baseNote(deployment: DeploymentPlan): string | undefined {
  // Without a base model, the settings, deploy namespaces, quotas and cloud identity at base
  // are unknown: a reader must know that a setting change (userid_header, say) is not listed.
  const unknown =
    "its users, deploy namespaces, quotas and cloud identity show as added, and no setting change is listed " +
    "(compare the generated output to review them)";
  const sources = [
    ...(deployment.baseManifest
      ? [`the Profiles and owner at base come from ${deployment.baseManifest}`]
      : []),
    ...(deployment.baseAccessFrom
      ? [`the access at base from the RoleBindings in ${deployment.baseAccessFrom}`]
      : deployment.baseManifest
        ? ["its access shows as added too"]
        : []),
  ].join(", and ");
  if (!deployment.baseValid) {
    return deployment.baseManifest
      ? `the vars file at base is invalid, so ${unknown}; ${sources}`
      : "the vars file at base is invalid, so it is treated as absent: everything shows as added, and no setting change is listed";
  }
  // The note of a pruned folder names where its Profiles come from.
  if (deployment.baseManifest && !deployment.prunedOutput) {
    return `there is no vars file at base, so ${unknown}; ${sources}`;
  }
  return undefined;
}

function describeRow(row: PlanRow): string {
  const parts = [cellsText(row.subject), cellsText(row.where)].filter((part) => part !== "");
  // Decided by the cells, not their text: an empty value such as `userid_prefix: ""` is a side too.
  if (row.from.length > 0 && row.to.length > 0) parts.push(`${cellsText(row.from)} -> ${cellsText(row.to)}`);
  else if (row.from.length > 0) parts.push(cellsText(row.from));
  else if (row.to.length > 0) parts.push(cellsText(row.to));
  return parts.join("  ");
}

/** Joins cells with commas, showing an empty value as `""` so it stays visible. */
function cellsText(cells: readonly Cell[]): string {
  return cells.map((cell) => (cell.kind === "value" && cell.text === "" ? '""' : cell.text)).join(", ");
}

/** Returns the reason of every destructive change of a deployment, one sentence each. */
export function destructiveReasons(deployment: DeploymentPlan): string[] {
  const reasons: string[] = [];
  if (deployment.owner) {
    reasons.push(
      `Profile owner ${deployment.owner.from} -> ${deployment.owner.to}: ${deployment.owner.reason}.`,
    );
  }
  for (const profile of deployment.profiles) {
    if (profile.destructive && profile.reason) reasons.push(`Profile ${profile.profile}: ${profile.reason}.`);
  }
  return reasons;
}
