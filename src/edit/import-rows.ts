/**
 * The CSV side of `cake user import`: reading the rows of the file and reporting their
 * problems. Every problem names the file, the line and column where the bad field starts,
 * the column's name and the value, so one run lists all of them.
 */
import type { DiagnosticCode } from "../config/diagnostics.js";
import { textPosition } from "../config/field-path.js";
import { printable } from "../config/format.js";
import { NAMESPACE_ACCESS } from "../config/schema.js";
import { nearest } from "../config/suggest.js";
import { CakeError } from "../errors.js";
import { nonAsciiCodePoints } from "../model/code-points.js";
import type { NamespaceAccess } from "../model/types.js";
import { CsvError, type CsvPosition, parseCsvRecords } from "./csv.js";
import { EditError, type EditErrorCode } from "./errors.js";
import { parseRoles } from "./options.js";
import type { Rejection } from "./session.js";
import { emailTwinDifference, type NamespaceGrantInput } from "./users.js";

export const IMPORT_COLUMNS = ["email", "username", "roles", "namespaces"] as const;

export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/**
 * Stable codes of row problems: the code of the edit check or of the vars file diagnostic
 * that rejects the row, or one of these import codes. `field-count` is a row whose number
 * of fields differs from the header's, `missing-value` an empty required field, and
 * `username-change` a row that would rename an existing user, and `username-differs` a row
 * whose new user cannot have one username in every deployment of the import.
 */
export type ImportProblemCode =
  | EditErrorCode
  | DiagnosticCode
  | "field-count"
  | "missing-value"
  | "username-change"
  | "username-differs";

/** A problem of one import row, reported with those of every other row. */
export interface RowProblem {
  /** 1-based physical line where the row starts in the CSV file. */
  line: number;
  /** The column of the bad value, or undefined when the problem concerns the whole row. */
  field?: ImportColumn;
  /** The start of the field, or of the row when `field` is undefined. */
  position: CsvPosition;
  code: ImportProblemCode;
  /** The problem, with the bad value quoted, and the fix. */
  message: string;
  /**
   * The vars file, as text output names it, whose rule the row breaks. The printed problem
   * states that this file would be invalid, then gives the message.
   */
  varsFile?: string;
}

/** One data row of the CSV file, with the values of its columns that could be read. */
export interface ImportRow {
  /** 1-based physical line where the row starts. A quoted field may continue on later lines. */
  line: number;
  email: string;
  username: string;
  /** The valid roles of the row. Each invalid one is a problem of the `roles` column. */
  roles: string[];
  /** The grants with a valid access. Each invalid one is a problem of the `namespaces` column. */
  grants: NamespaceGrantInput[];
  /** The start of each column's field. */
  positions: Record<ImportColumn, CsvPosition>;
}

/** A parsed import file: its rows and the problems found without the vars file. */
export interface ImportCsv {
  /** The file as the user named it, for messages. */
  file: string;
  /** The columns in the order the header lists them. */
  header: ImportColumn[];
  /** Every row that has the right number of fields, including rows with problems. */
  rows: ImportRow[];
  problems: RowProblem[];
}

/** Maximum number of problems listed in one message; the rest are only counted, so 500 bad rows do not fill the terminal. */
export const MAX_LISTED_PROBLEMS = 100;

/**
 * Parses the CSV text and checks each row's values. Rows keep their good values, so later
 * checks against the vars file can report the other problems of the same row. A broken
 * header or a CSV syntax error throws, because no row can be read after it.
 */
export function readImportCsv(text: string, file: string): ImportCsv {
  // Decoding puts U+FFFD where the bytes are not UTF-8, and an email with a lost byte matches
  // no identity the provider sends.
  // UTF-16 puts a NUL byte beside every ASCII character.
  if (text.includes("\u0000")) {
    throw new CakeError(
      `${file}: the file contains NUL bytes, so it may be UTF-16; save the CSV as UTF-8 (in Excel: CSV UTF-8); nothing was imported.`,
    );
  }
  const replaced = text.indexOf("\uFFFD");
  if (replaced >= 0) {
    const { line, column } = textPosition(text, replaced);
    throw new CakeError(
      `${file}:${line}:${column}: the file contains bytes that are not UTF-8 (shown as U+FFFD), such as ` +
        "an é saved as Latin-1 or Windows-1252; save the CSV as UTF-8 (in Excel: CSV UTF-8); nothing was imported.",
    );
  }
  let records: ReturnType<typeof parseCsvRecords>;
  try {
    records = parseCsvRecords(text);
  } catch (error) {
    if (error instanceof CsvError) {
      // A file separated by ";" quotes the fields that contain one, which breaks the comma parse first.
      const separator = otherSeparator([text.slice(0, text.search(/\r|\n|$/))]);
      if (separator !== undefined) throw new CakeError(`${file}:1: ${separator}; nothing was imported.`);
      throw new CakeError(`${file}:${error.line}:${error.column}: ${error.message}; nothing was imported.`);
    }
    throw error;
  }

  const header = readHeader(records[0]?.fields ?? [], file);
  const rows: ImportRow[] = [];
  const problems: RowProblem[] = [];
  const seen = new Map<string, { email: string; line: number }>();
  for (const record of records.slice(1)) {
    if (record.fields.length === 1 && record.fields[0]?.trim() === "") continue;
    const report = (field: ImportColumn | undefined, code: ImportProblemCode, message: string): void => {
      const position = field === undefined ? undefined : record.positions[header.indexOf(field)];
      problems.push(rowProblem(record.line, field, position, code, message));
    };
    if (record.fields.length !== header.length) {
      report(
        undefined,
        "field-count",
        `${record.fields.length} fields, but the header has ${header.length}; ` +
          "quote a value that contains a comma, or add the missing commas",
      );
      continue;
    }

    const value = (name: ImportColumn): string => (record.fields[header.indexOf(name)] ?? "").trim();
    const email = value("email");
    if (email === "")
      report("email", "missing-value", "the email is empty; every row needs the user's email");
    // Keyed by the lower-case NFC form, so a row that differs from an earlier one only in case or
    // Unicode form is reported here too, whether or not the earlier row has other problems.
    const key = email.normalize("NFC").toLowerCase();
    const earlier = seen.get(key);
    if (email !== "" && earlier !== undefined) {
      report("email", "duplicate-email", duplicateEmailMessage(email, earlier));
    }
    if (email !== "" && earlier === undefined) seen.set(key, { email, line: record.line });

    rows.push({
      line: record.line,
      email,
      username: value("username"),
      roles: readRoles(splitList(value("roles")), (message) => report("roles", "invalid-value", message)),
      grants: readGrants(splitList(value("namespaces")), (code, message) =>
        report("namespaces", code, message),
      ),
      positions: Object.fromEntries(
        header.map((column, index) => [column, record.positions[index] ?? { line: record.line, column: 1 }]),
      ) as Record<ImportColumn, CsvPosition>,
    });
  }
  return { file, header, rows, problems };
}

/** Describes a row's email that an earlier row has too, exactly or in another case or Unicode form. */
function duplicateEmailMessage(email: string, earlier: { email: string; line: number }): string {
  if (earlier.email === email)
    return `email "${email}" is already on line ${earlier.line}; merge the two rows`;
  const difference = emailTwinDifference(email, earlier.email);
  const codePoints =
    difference === "case"
      ? ""
      : ` (${nonAsciiCodePoints(email)} where line ${earlier.line} has ${nonAsciiCodePoints(earlier.email)})`;
  return (
    `email "${email}" differs only in ${difference} from "${earlier.email}" on line ${earlier.line}${codePoints}; ` +
    "the identity provider sends one of them, so keep one row with the exact email it sends"
  );
}

/** Returns a problem of the row starting on `line`, placed at `position` or else at the row's start. */
export function rowProblem(
  line: number,
  field: ImportColumn | undefined,
  position: CsvPosition | undefined,
  code: ImportProblemCode,
  message: string,
): RowProblem {
  return {
    line,
    ...(field === undefined ? {} : { field }),
    position: position ?? { line, column: 1 },
    code,
    message,
  };
}

function readHeader(names: readonly string[], file: string): ImportColumn[] {
  // Column names in any case, as spreadsheets capitalize them (`Email`); the IdP reader does the same.
  const header = names.map((name) => name.trim().toLowerCase());
  const missing = IMPORT_COLUMNS.filter((column) => !header.includes(column));
  const unknown = header.filter((name) => !(IMPORT_COLUMNS as readonly string[]).includes(name));
  const repeated = header.filter((name, index) => header.indexOf(name) !== index);
  if (missing.length > 0 || unknown.length > 0 || repeated.length > 0) {
    const cause = headerCause(header);
    if (cause !== undefined) throw new CakeError(`${file}:1: ${cause}; nothing was imported.`);
    throw new CakeError(
      `${file}:1: the header must name the columns ${IMPORT_COLUMNS.join(",")}` +
        `${missing.length > 0 ? `; missing: ${missing.join(", ")}` : ""}` +
        `${unknown.length > 0 ? `; unknown: ${unknown.map((name) => (name === "" ? '"" (an empty column name: a trailing comma, or an empty line before the header)' : name)).join(", ")}` : ""}` +
        `${repeated.length > 0 ? `; repeated: ${repeated.join(", ")}` : ""}; nothing was imported.`,
    );
  }
  return header as ImportColumn[];
}

/**
 * Returns why a header that names no known column failed, when the file shows it: line ends of
 * a lone CR (as old Mac programs write), which make the whole file one line, or a separator
 * other than the comma.
 */
function headerCause(header: readonly string[]): string | undefined {
  if (header.some((name) => name.includes("\r"))) {
    return "the lines end in a CR alone, so the file reads as one line; save it with LF or CRLF line ends";
  }
  return otherSeparator(header);
}

/**
 * Returns the cause when `header`, the header's fields, is one field separated by `;`, a tab
 * or `|`. Spreadsheet programs write `;` in locales whose decimal mark is the comma.
 */
function otherSeparator(header: readonly string[]): string | undefined {
  if (header.length !== 1) return undefined;
  const separator = [";", "\t", "|"].find((candidate) => header[0]?.includes(candidate));
  if (separator === undefined) return undefined;
  const name = separator === "\t" ? "tabs" : `"${separator}"`;
  return (
    `the columns are separated by ${name}, and cake reads commas; export the file with commas ` +
    "between the fields, or replace the separators with commas"
  );
}

function splitList(value: string): string[] {
  return value
    .split(";")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** Returns the valid roles and passes each invalid one to `report`. */
function readRoles(roles: readonly string[], report: (message: string) => void): string[] {
  const valid: string[] = [];
  for (const role of roles) {
    try {
      valid.push(...parseRoles([role]));
    } catch (error) {
      if (!(error instanceof EditError)) throw error;
      report(withoutFinalPeriod(error.message));
    }
  }
  return [...new Set(valid)];
}

/**
 * Returns the grants with a valid access (`NAME`, `NAME:view`, `NAME:edit`) and passes each
 * invalid one, and each namespace named again, to `report`.
 */
function readGrants(
  values: readonly string[],
  report: (code: "invalid-value" | "duplicate-grant", message: string) => void,
): NamespaceGrantInput[] {
  const grants: NamespaceGrantInput[] = [];
  const written = new Map<string, string>();
  for (const value of values) {
    const colon = value.lastIndexOf(":");
    const namespace = colon < 0 ? value : value.slice(0, colon);
    const access = colon < 0 ? "edit" : value.slice(colon + 1);
    if (!isAccess(access)) {
      report(
        "invalid-value",
        `invalid access "${access}" in "${value}"; use one of: ${NAMESPACE_ACCESS.join(", ")}, ` +
          `or write the namespace alone for edit${accessSuggestion(namespace, access)}`,
      );
      continue;
    }
    const earlier = written.get(namespace);
    if (earlier !== undefined) {
      // The two spellings are shown when they differ, as "team-a" and "team-a:view" do.
      const spellings = earlier === value ? "" : ` ("${earlier}" and "${value}")`;
      const fix = earlier === value ? "remove one" : "keep one, with the access you mean";
      report("duplicate-grant", `namespace "${namespace}" is listed twice${spellings}; ${fix}`);
      continue;
    }
    written.set(namespace, value);
    grants.push({ namespace, access });
  }
  return grants;
}

/** Returns the grant as the row most likely means it, for an access such as `View` or `veiw`. */
function accessSuggestion(namespace: string, access: string): string {
  const suggestion = nearest(access, NAMESPACE_ACCESS);
  return suggestion === undefined ? "" : `. Did you mean "${namespace}:${suggestion}"?`;
}

function isAccess(value: string): value is NamespaceAccess {
  return (NAMESPACE_ACCESS as readonly string[]).includes(value);
}

export function withoutFinalPeriod(message: string): string {
  return message.replace(/\.$/, "");
}

/** An import rejected for its row problems, so nothing was written. Exit code 1. */
export class ImportError extends CakeError {
  readonly problems: readonly RowProblem[];

  constructor(message: string, problems: readonly RowProblem[]) {
    super(message, 1);
    this.name = "ImportError";
    this.problems = problems;
  }
}

/**
 * Throws one ImportError that lists the problems ordered by line, then by the column's
 * place in the header, when there are any. Problems of the whole row come first.
 */
export function throwProblems(
  csv: Pick<ImportCsv, "file" | "header">,
  problems: readonly RowProblem[],
): void {
  if (problems.length > 0) throw importError(csv, problems);
}

/** Returns the ImportError that lists `problems`, as `throwProblems` throws it. */
export function importError(
  csv: Pick<ImportCsv, "file" | "header">,
  problems: readonly RowProblem[],
): ImportError {
  const place = (problem: RowProblem): number =>
    problem.field === undefined ? -1 : csv.header.indexOf(problem.field);
  const sorted = [...problems].sort((a, b) => a.line - b.line || place(a) - place(b));

  const rows = new Set(sorted.map((problem) => problem.line)).size;
  const listed = sorted
    .slice(0, MAX_LISTED_PROBLEMS)
    .map((problem) => `\n  ${formatProblem(csv.file, problem)}`);
  const more = sorted.length - listed.length;
  return new ImportError(
    `${csv.file}: ${count(sorted.length, "problem")} in ${count(rows, "row")}, so nothing was imported:` +
      `${listed.join("")}${more > 0 ? `\n  and ${count(more, "more problem")}, not listed` : ""}`,
    sorted,
  );
}

/** Formats a problem as `users.csv:5:21: error [unknown-namespace] namespaces: <message>` on one line. */
export function formatProblem(file: string, problem: RowProblem): string {
  const field = problem.field === undefined ? "" : `${problem.field}: `;
  const { line, column } = problem.position;
  const message =
    problem.varsFile === undefined
      ? problem.message
      : `${problem.varsFile} would be invalid: ${problem.message}`;
  // A quoted value may contain line breaks, which would split the problem over lines.
  return printable(`${file}:${line}:${column}: error [${problem.code}] ${field}${shortened(message)}`);
}

/** Maximum length of a problem message printed whole, because a CSV field of megabytes would repeat in it. */
const MAX_MESSAGE_LENGTH = 1000;

/** Returns `message`, or its start and end around a count of the characters left out, which keeps the fix at its end. */
function shortened(message: string): string {
  if (message.length <= MAX_MESSAGE_LENGTH) return message;
  const keep = MAX_MESSAGE_LENGTH / 2;
  const omitted = message.length - 2 * keep;
  return `${message.slice(0, keep)}[${omitted} characters left out]${message.slice(-keep)}`;
}

export function count(value: number, noun: string): string {
  return `${value} ${noun}${value === 1 ? "" : "s"}`;
}

/**
 * Returns the error of an import of several deployments that some of them rejected. A row
 * problem that several deployments find, such as an invalid role, is listed once. One that
 * depends on the vars file, and that not every deployment in `names` finds, starts with the
 * deployments that find it. A deployment that rejected the import for another reason, such
 * as an invalid vars file, follows with its own message.
 */
export function importRejectionError(
  csv: Pick<ImportCsv, "file" | "header" | "problems">,
  rejections: readonly Rejection[],
  names: readonly string[],
): CakeError {
  const keyOf = ({ line, field, position, code, message }: RowProblem): string =>
    JSON.stringify([line, field, position.line, position.column, code, message]);
  const found = new Map<string, { problem: RowProblem; deployments: string[] }>();
  const otherErrors: string[] = [];
  for (const { name, error } of rejections) {
    if (!(error instanceof ImportError)) {
      otherErrors.push(`${name}: ${error.message}`);
      continue;
    }
    for (const problem of error.problems) {
      const entry = found.get(keyOf(problem)) ?? { problem, deployments: [] };
      entry.deployments.push(name);
      found.set(keyOf(problem), entry);
    }
  }

  // The CSV's own problems are found without a vars file. A `username-differs` message names
  // the deployments it concerns, and one deployment reports it.
  const everywhere = new Set(csv.problems.map(keyOf));
  // The label names the deployments of a broken vars rule, so the problem leaves out their files.
  const problems = [...found.values()].map(({ problem, deployments }) => {
    const { varsFile: _, ...general } = problem;
    return deployments.length === names.length ||
      everywhere.has(keyOf(problem)) ||
      problem.code === "username-differs"
      ? general
      : { ...general, message: `in ${joinedList(deployments)}: ${problem.message}` };
  });
  const parts = problems.length === 0 ? otherErrors : [importError(csv, problems).message, ...otherErrors];
  return new CakeError(`${parts.join("\n")}\nno deployment was changed.`, rejections[0]?.error.exitCode ?? 1);
}

function joinedList(names: readonly string[]): string {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
