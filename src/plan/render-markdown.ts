/**
 * Renders a repo plan as GitHub-flavoured markdown for a pull request or merge request
 * comment: a summary line, a destructive warning on top, then one table per deployment.
 * Every value from the vars (emails, names, quantities) is in a code span, so it is shown
 * verbatim and never becomes a link, a mention or markup.
 */
import { plural } from "../config/format.js";
import { shellWord } from "../repo/shell.js";
import { deploymentNotes, describeSide, needsReview, type RenderOptions } from "./render-text.js";
import { type Cell, type PlanRow, planRows, ROW_KINDS, type RowKind } from "./rows.js";
import { describeSummary } from "./summary.js";
import type { DeploymentPlan, RepoPlan } from "./types.js";

/** GitHub rejects comments over 65536 characters, so the plan stays below it with room for a footer. */
const MAX_COMMENT_CHARS = 60_000;
const DEFAULT_MAX_ROWS = 200;
/** Profiles a grouped cloud identity row names before it counts the rest; the text plan names all. */
const MAX_LISTED_PROFILES = 10;

export interface MarkdownOptions extends RenderOptions {
  /**
   * Maximum number of table rows shown per deployment, default 200. The most important rows
   * are kept and the rest are counted by kind.
   */
  maxRowsPerDeployment?: number;
}

export function renderPlanMarkdown(plan: RepoPlan, options: MarkdownOptions = {}): string {
  // Shrink the tables until the comment fits, because a comment that is too long is not posted at all.
  let maxRows = options.maxRowsPerDeployment ?? DEFAULT_MAX_ROWS;
  let text = renderWithLimit(plan, maxRows, options);
  while (text.length > MAX_COMMENT_CHARS && maxRows > 5) {
    maxRows = Math.floor(maxRows / 2);
    text = renderWithLimit(plan, maxRows, options);
  }
  if (text.length <= MAX_COMMENT_CHARS) return text;

  // Many deployments can still exceed the limit with 5 rows each: cut at a line boundary.
  const cut = text.lastIndexOf("\n", MAX_COMMENT_CHARS);
  return `${text.slice(0, cut)}\n\n_The plan is too long for one comment; run \`${planCommand(plan, options)}\` for the rest._\n`;
}

/**
 * Returns the `cake plan` command that prints the whole of this plan as text, to run in a
 * checkout from where this one ran: the same refs and layout options.
 */
function planCommand(plan: RepoPlan, options: RenderOptions): string {
  const refs = [plan.base, plan.head].map((side, index) =>
    side.ref === null ? "" : ` ${index === 0 ? "--base" : "--head"} ${shellWord(side.ref)}`,
  );
  return `cake plan${options.layoutFlags ?? ""}${refs.join("")}`;
}

function renderWithLimit(plan: RepoPlan, maxRows: number, options: RenderOptions): string {
  const lines = ["## cake plan", ""];
  lines.push(`From ${escapeText(describeSide(plan.base))} to ${escapeText(describeSide(plan.head))}.`, "");
  for (const note of plan.notes) lines.push(`> **Note:** ${escapeText(note)}`, "");
  lines.push(`**${escapeText(describeSummary(plan.summary))}**`, "");

  if (plan.summary.destructiveChanges > 0) {
    lines.push(
      `> **Warning: ${plural(plan.summary.destructiveChanges, "destructive change")}.** ` +
        "A removed Profile is deleted together with its namespace and all data in it, " +
        "a handed-over Profile gives its namespace and data to someone else, " +
        "and an owner change breaks existing Profiles. Read the reasons below before merging.",
      "",
    );
  }

  const forgotten = plan.summary.removedProfilesForgotten;
  if (forgotten > 0) {
    lines.push(
      `> **Warning: ${plural(forgotten, "Profile")} removed earlier ${forgotten === 1 ? "is" : "are"} no longer recorded in the output.** ` +
        "Argo CD still keeps their namespaces and data, but a later change that gives one of these names " +
        "to someone else would not be flagged as a handover. See the rows marked ? below.",
      "",
    );
  }

  const changed = plan.deployments.filter(needsReview);
  if (changed.length === 0) lines.push("No access changes.", "");
  for (const deployment of changed)
    lines.push(...renderDeployment(deployment, maxRows, planCommand(plan, options), options));
  return `${lines.join("\n").trimEnd()}\n`;
}

function renderDeployment(
  deployment: DeploymentPlan,
  maxRows: number,
  command: string,
  options: RenderOptions,
): string[] {
  const lines = [
    `### ${codeSpan(deployment.deployment)} (${deployment.status})`,
    "",
    `Vars file: ${codeSpan(deployment.varsFile)}`,
    "",
  ];
  for (const note of deploymentNotes(deployment, options)) lines.push(`_Note: ${escapeText(note)}._`, "");

  const reasons = destructiveItems(deployment);
  if (reasons.length > 0) {
    lines.push("**Destructive:**", "", ...reasons.slice(0, maxRows).map((reason) => `- ${reason}`));
    if (reasons.length > maxRows) lines.push(`- _and ${reasons.length - maxRows} more_`);
    lines.push("");
  }

  const { shown, cut } = selectRows(planRows(deployment, MAX_LISTED_PROFILES), maxRows);
  lines.push("| | Change | Subject | Namespace | From | To |", "| --- | --- | --- | --- | --- | --- |");
  for (const row of shown) lines.push(renderRow(row));
  if (cut.length > 0) {
    lines.push(
      "",
      `_${cut.length} more changes not shown (${describeCut(cut)}); run \`${command}\` for the full list._`,
    );
  }
  lines.push("");
  return lines;
}

/**
 * Keeps at most `maxRows` rows, the most important kinds first (see `ROW_KINDS`), so that
 * bulk additions never push an access loss or a `cake-admin` grant out of the comment.
 * Kept rows stay in plan order.
 */
function selectRows(rows: readonly PlanRow[], maxRows: number): { shown: PlanRow[]; cut: PlanRow[] } {
  if (rows.length <= maxRows) return { shown: [...rows], cut: [] };

  const rank = (row: PlanRow): number => ROW_KINDS.indexOf(row.kind);
  const byImportance = rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => rank(a.row) - rank(b.row) || a.index - b.index);
  const shownIndexes = new Set(byImportance.slice(0, maxRows).map((entry) => entry.index));
  return {
    shown: rows.filter((_, index) => shownIndexes.has(index)),
    cut: rows.filter((_, index) => !shownIndexes.has(index)),
  };
}

const CUT_LABELS: Record<RowKind, string> = {
  destructive: "destructive",
  warning: "warning",
  "access-lost": "access lost",
  "cake-admin-gained": "cake-admin access gained",
  "access-changed": "access changed",
  "access-gained": "access gained",
  other: "other",
};

/** Counts the cut rows by kind, most important first, such as "3 access lost, 200 other". */
function describeCut(cut: readonly PlanRow[]): string {
  return ROW_KINDS.map((kind) => [kind, cut.filter((row) => row.kind === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${CUT_LABELS[kind]}`)
    .join(", ");
}

function renderRow(row: PlanRow): string {
  const marker = row.marker === "!" ? "**!**" : escapeText(row.marker);
  const cells = [marker, escapeText(row.change), cellsMarkdown(row.subject), cellsMarkdown(row.where)];
  cells.push(cellsMarkdown(row.from), cellsMarkdown(row.to));
  return `| ${cells.map((cell) => escapePipes(cell)).join(" | ")} |`;
}

function destructiveItems(deployment: DeploymentPlan): string[] {
  const items: string[] = [];
  if (deployment.owner) {
    items.push(
      `Profile owner ${codeSpan(deployment.owner.from)} → ${codeSpan(deployment.owner.to)}: ${escapeReason(deployment.owner.reason)}.`,
    );
  }
  for (const profile of deployment.profiles) {
    if (profile.destructive && profile.reason) {
      items.push(`Profile ${codeSpan(profile.profile)}: ${escapeReason(profile.reason)}.`);
    }
  }
  return items;
}

function cellsMarkdown(cells: readonly Cell[]): string {
  return cells.map(cellMarkdown).join(", ");
}

/** Renders one cell. An empty value becomes `""` in code, because an empty code span is not markup. */
function cellMarkdown(cell: Cell): string {
  if (cell.kind === "words") return escapeText(cell.text);
  return codeSpan(cell.text === "" ? '""' : cell.text);
}

/**
 * Wraps a value in a code span. A value that contains backticks gets a longer fence, and
 * line breaks become spaces because a table row must stay on one line.
 */
export function codeSpan(value: string): string {
  const text = value.replace(/[\r\n]+/g, " ");
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  const padding = text.startsWith("`") || text.endsWith("`") || text.startsWith(" ") ? " " : "";
  return `${fence}${padding}${text}${padding}${fence}`;
}

/**
 * Escapes a reason sentence, whose words include emails from the vars. Each word with an `@`
 * goes into a code span, so that it becomes neither a mailto link nor a mention. The span
 * also keeps markup characters an email may contain (`a\`b_c@x`) as text.
 */
function escapeReason(text: string): string {
  return text
    .split(/(\s+)/)
    .map((word) => {
      if (!word.includes("@")) return escapeText(word);
      const [, token = word, tail = ""] = /^(.*?)([,.;:)]*)$/.exec(word) ?? [];
      return `${codeSpan(token)}${escapeText(tail)}`;
    })
    .join("");
}

/** Escapes the characters that would start markup in running text. */
export function escapeText(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[\\`*_[\]<>~&]/g, (character) => `\\${character}`);
}

/**
 * Escapes `|` so it cannot end a table cell. GitHub-flavoured markdown splits cells before
 * parsing code spans, so this applies inside code spans too, where `\|` shows as `|`.
 */
export function escapePipes(text: string): string {
  return text.replace(/\|/g, "\\|");
}
