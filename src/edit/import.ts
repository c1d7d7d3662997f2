/**
 * `cake user import`: adds or updates users from a CSV file with the header
 * `email,username,roles,namespaces`. Roles and namespaces are `;`-separated, and a
 * namespace may end in `:view` or `:edit`. An existing user (same email, exactly)
 * gets the row's roles when the row has some. The row's grants are added or changed.
 * Import never revokes a grant or renames a user, and one bad row fails the whole import.
 */
import { readFile } from "node:fs/promises";
import type { CommandContext } from "../cli/io.js";
import { hasErrors } from "../config/diagnostics.js";
import { loadVarsText } from "../config/load.js";
import { CakeError, readFailureReason, UsageError } from "../errors.js";
import { proposeUsername } from "../identity/convention.js";
import type { Deployment } from "../model/types.js";
import { CsvError, parseCsv } from "./csv.js";
import { EditError } from "./errors.js";
import { parseGrant, parseRoles } from "./options.js";
import { type EditCommandOptions, type EditOutcome, type EditTarget, runEdit } from "./session.js";
import { addUser, grantNamespace, grantsOf, type NamespaceGrantInput, setRoles } from "./users.js";

export const IMPORT_COLUMNS = ["email", "username", "roles", "namespaces"] as const;

/** One data row of the CSV file. */
export interface ImportRow {
  /** 1-based record number in the file; the header is row 1. */
  row: number;
  email: string;
  username: string;
  roles: string[];
  grants: NamespaceGrantInput[];
}

/** A problem of one import row, reported with those of every other row. */
export interface RowProblem {
  row: number;
  message: string;
}

/** Parses and checks the CSV text; throws a CakeError that names every row with a problem. */
export function parseImportCsv(text: string, file: string): ImportRow[] {
  const { rows, problems } = checkImportCsv(text, file);
  throwProblems(file, problems);
  return rows;
}

/**
 * Parses the CSV text and returns its good rows and the problems of the others. A broken
 * header or CSV syntax error still throws, because no row can be read after it.
 */
export function checkImportCsv(text: string, file: string): { rows: ImportRow[]; problems: RowProblem[] } {
  let records: string[][];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError)
      throw new CakeError(`${file}: row ${error.record}: ${error.message}; nothing was imported.`);
    throw error;
  }

  const header = (records[0] ?? []).map((name) => name.trim());
  const missing = IMPORT_COLUMNS.filter((column) => !header.includes(column));
  const unknown = header.filter((name) => !(IMPORT_COLUMNS as readonly string[]).includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    throw new CakeError(
      `${file}: row 1: the header must name the columns ${IMPORT_COLUMNS.join(",")}` +
        `${missing.length > 0 ? `; missing: ${missing.join(", ")}` : ""}${unknown.length > 0 ? `; unknown: ${unknown.join(", ")}` : ""}.`,
    );
  }

  const rows: ImportRow[] = [];
  const problems: RowProblem[] = [];
  const seen = new Map<string, number>();
  records.slice(1).forEach((record, index) => {
    const row = index + 2;
    if (record.length === 1 && record[0]?.trim() === "") return;
    const fail = (message: string): never => {
      throw new RowFailure(row, message);
    };
    try {
      rows.push(parseRow(record, header, row, seen, fail));
    } catch (error) {
      if (!(error instanceof RowFailure)) throw error;
      problems.push(error.problem);
    }
  });
  return { rows, problems };
}

/** Error that stops checking one row. Every row is checked before any problem is reported. */
class RowFailure extends Error {
  readonly problem: RowProblem;

  constructor(row: number, message: string) {
    super(`row ${row}: ${message}`);
    this.problem = { row, message };
  }
}

/** Throws one CakeError that lists every row problem in row order (the first 20), when there are any. */
function throwProblems(file: string, problems: readonly RowProblem[]): void {
  if (problems.length === 0) return;
  const sorted = [...problems].sort((a, b) => a.row - b.row);
  const listed = sorted
    .slice(0, MAX_LISTED_PROBLEMS)
    .map((problem) => `\n  ${file}: row ${problem.row}: ${problem.message}`);
  const more = problems.length - listed.length;
  throw new CakeError(
    `${problems.length === 1 ? "a row has a problem" : `${problems.length} rows have problems`}, so nothing was imported:` +
      `${listed.join("")}${more > 0 ? `\n  and ${more} more` : ""}`,
  );
}

const MAX_LISTED_PROBLEMS = 20;

/** Returns one data row as an ImportRow, or calls `fail` with its first problem. */
function parseRow(
  record: readonly string[],
  header: readonly string[],
  row: number,
  seen: Map<string, number>,
  fail: (message: string) => never,
): ImportRow {
  if (record.length !== header.length) fail(`${record.length} fields, but the header has ${header.length}`);

  const field = (name: string): string => (record[header.indexOf(name)] ?? "").trim();
  const email = field("email");
  if (email === "") fail("the email is empty");
  const earlier = seen.get(email);
  if (earlier !== undefined) fail(`email "${email}" is already on row ${earlier}`);
  seen.set(email, row);

  try {
    return {
      row,
      email,
      username: field("username"),
      roles: parseRoles(splitList(field("roles"))),
      grants: splitList(field("namespaces")).map(parseGrant),
    };
  } catch (error) {
    if (error instanceof EditError) fail(error.message.replace(/\.$/, ""));
    throw error;
  }
}

function splitList(value: string): string[] {
  return value
    .split(";")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * Applies the rows to a vars text and returns the new text with one plan line per row.
 * The `earlier` problems come from parsing the CSV. They are reported with the rows that
 * this step rejects, so one run names every bad row.
 */
export function applyImport(
  target: EditTarget,
  rows: readonly ImportRow[],
  file: string,
  earlier: readonly RowProblem[] = [],
): EditOutcome {
  let text = target.text;
  const plan: string[] = [];
  const taken: Deployment = { ...target.deployment, users: [...target.deployment.users] };
  let added = 0;
  let updated = 0;

  const problems: RowProblem[] = [...earlier];
  for (const row of rows) {
    const fail = (message: string): never => {
      throw new RowFailure(row.row, message);
    };
    const before = text;
    try {
      const existing = target.deployment.users.find((user) => user.email === row.email);
      if (existing) {
        if (row.username !== "" && row.username !== existing.username) {
          fail(
            `username "${row.username}" differs from "${existing.username}" of the existing user ${row.email}; ` +
              "import never renames a user (that would delete their profile), so leave the username empty or unchanged",
          );
        }
        text = updateUser(text, row);
        const change = text === before ? "unchanged" : "update";
        if (change === "update") updated++;
        plan.push(`row ${row.row}: ${change} ${row.email}${describeRow(row)}`);
      } else {
        if (row.roles.length === 0) fail(`new user ${row.email} needs at least one role`);
        const username = row.username !== "" ? row.username : proposeUsername(row.email, taken).username;
        text = addUser(text, { email: row.email, username, roles: row.roles, grants: row.grants });
        taken.users.push({ email: row.email, username, roles: [], disabled: false, allowedNamespaces: [] });
        added++;
        plan.push(`row ${row.row}: add ${row.email} (username ${username})${describeRow(row)}`);
      }
      checkRow(target, text, fail);
    } catch (error) {
      if (error instanceof RowFailure) problems.push(error.problem);
      else if (error instanceof EditError)
        problems.push({ row: row.row, message: error.message.replace(/\.$/, "") });
      else throw error;
      // The other rows are checked against the text without this one.
      text = before;
    }
  }
  throwProblems(file, problems);

  const summary = `${count(rows.length, "row")} imported: ${count(added, "user")} added, ${updated} updated`;
  return { text, summary, notes: plan };
}

function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? "" : "s"}`;
}

function updateUser(text: string, row: ImportRow): string {
  const ref = { email: row.email };
  let result = row.roles.length > 0 ? setRoles(text, ref, row.roles) : text;
  for (const grant of row.grants) {
    const current = grantsOf(result, ref).find((each) => each.namespace === grant.namespace);
    if (current?.access === grant.access) continue;
    result = grantNamespace(result, ref, grant);
  }
  return result;
}

function describeRow(row: ImportRow): string {
  const parts: string[] = [];
  if (row.roles.length > 0) parts.push(`roles ${row.roles.join(", ")}`);
  if (row.grants.length > 0) {
    parts.push(`grants ${row.grants.map((grant) => `${grant.namespace} (${grant.access})`).join(", ")}`);
  }
  return parts.length > 0 ? `: ${parts.join("; ")}` : "";
}

/** Validates the text after a row, so an invalid value is reported with the row that brought it. */
function checkRow(target: EditTarget, text: string, fail: (message: string) => never): void {
  const result = loadVarsText(text, { file: target.file, outputPath: target.deployment.outputPath });
  if (result.deployment && !hasErrors(result.diagnostics)) return;
  const problems = result.diagnostics
    .filter((diagnostic) => diagnostic.severity === "error")
    .map((diagnostic) => `${diagnostic.path}: ${diagnostic.message}`);
  fail(`the row makes ${target.file} invalid: ${problems.join("; ")}`);
}

export async function importUsers(
  context: CommandContext,
  file: string,
  options: EditCommandOptions & { dryRun?: boolean },
): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    // Like a missing --idp-users file, a CSV file that cannot be read is a usage error.
    throw new UsageError(`cannot read ${file}: ${readFailureReason(error)}; check the path.`);
  }
  const { rows, problems } = checkImportCsv(text, file);
  await runEdit(context, options, {
    command: "user import",
    edit: (target) => applyImport(target, rows, file, problems),
    dryRun: options.dryRun === true,
  });
}
