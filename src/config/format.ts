/**
 * Output of diagnostics: a human format (one block per diagnostic, with the source line and
 * a caret under the column) and the JSON shape machines read.
 */
import type { PathFormatter } from "../repo/display-path.js";
import { CONFIG_FILE } from "../repo/layout.js";
import type { Diagnostic } from "./diagnostics.js";

export interface FormatOptions {
  /** Text of each file by its `Diagnostic.file`, to show the source line and a caret. */
  sources?: Readonly<Record<string, string>>;
  /** Append a summary line such as `2 errors, 1 warning in 1 file`; default true. */
  summary?: boolean;
  /** The step that lists the warnings `formatErrorsFirst` leaves out; default: run `cake validate`. */
  moreWarningsHint?: string;
  /** The layout options the default step's `cake validate` repeats, as `layoutFlags` returns them. */
  layoutFlags?: string;
  /** The formatter of `Diagnostic.file` for printing (see `makePathFormatter`); default: unchanged. */
  formatPath?: PathFormatter;
}

/**
 * Formats diagnostics for people:
 * `vars/prod-us-east-1.yaml:12:14: error [invalid-email] users.users[3].email: <message>`,
 * then the source line and a caret when the source is known.
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions = {}): string {
  const lines: string[] = [];
  // Each source is split into lines once: splitting it per diagnostic is quadratic on large files.
  const sourceLines = new Map<string, string[]>();
  for (const diagnostic of diagnostics) {
    lines.push(headline(diagnostic, options.formatPath));
    const source = options.sources?.[diagnostic.file];
    if (source === undefined || diagnostic.line <= 0) continue;

    let split = sourceLines.get(diagnostic.file);
    if (split === undefined) {
      split = source.replace(/^\uFEFF/, "").split(/\r?\n/);
      sourceLines.set(diagnostic.file, split);
    }
    lines.push(...excerpt(split, diagnostic.line, diagnostic.column));
  }
  if (options.summary ?? true) lines.push(summarizeDiagnostics(diagnostics, options.formatPath));
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** Warnings that a command other than `cake validate` lists before it counts the rest. */
const MAX_LISTED_WARNINGS = 10;

/**
 * Formats every error, then at most `MAX_LISTED_WARNINGS` warnings and a count of the others,
 * then the summary of them all. A large deployment can have thousands of warnings (one per
 * upper-case email), and an error printed among them is lost; `cake validate` lists them all.
 */
export function formatErrorsFirst(diagnostics: readonly Diagnostic[], options: FormatOptions = {}): string {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error");
  const warnings = diagnostics.filter((diagnostic) => diagnostic.severity !== "error");
  const shown = warnings.slice(0, MAX_LISTED_WARNINGS);
  const hidden = warnings.length - shown.length;
  const hint =
    options.moreWarningsHint ?? `run "cake validate${options.layoutFlags ?? ""}" to list every warning`;
  const more = hidden > 0 ? `${hidden} more warnings not shown; ${hint}.\n` : "";
  const summary =
    (options.summary ?? true) ? `${summarizeDiagnostics(diagnostics, options.formatPath)}\n` : "";
  const listed = {
    ...(options.sources ? { sources: options.sources } : {}),
    ...(options.formatPath ? { formatPath: options.formatPath } : {}),
    summary: false,
  };
  return formatDiagnostics([...errors, ...shown], listed) + more + summary;
}

function headline(diagnostic: Diagnostic, formatPath: PathFormatter | undefined): string {
  const file = formatPath?.(diagnostic.file) ?? diagnostic.file;
  const position = diagnostic.line > 0 ? `:${diagnostic.line}:${diagnostic.column}` : "";
  const path = diagnostic.path === "" ? "" : `${diagnostic.path}: `;
  const message =
    formatPath === undefined || diagnostic.mentionedFiles === undefined
      ? diagnostic.message
      : withShownPaths(diagnostic.message, diagnostic.mentionedFiles, formatPath);
  return printable(
    `${file}${position}: ${diagnostic.severity} [${diagnostic.code}] ${path}${shorten(message)}`,
  );
}

/**
 * Returns `message` with each of `files` written as `formatPath` shows it. A name counts only
 * as a whole path, not inside a longer one (`teams/vars/a.yaml`, `vars/a.yaml.bak`), though a
 * period that ends a sentence may follow it. Longer names are tried first.
 */
function withShownPaths(message: string, files: readonly string[], formatPath: PathFormatter): string {
  const names = [...new Set(files)].sort((a, b) => b.length - a.length);
  if (names.length === 0) return message;
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\w./-])(?:${escaped.join("|")})(?![\\w/-]|\\.\\w)`, "g");
  return message.replace(pattern, (name) => formatPath(name));
}

/** Maximum length of a message printed in full; a value of 100k characters must not fill the terminal. */
const MAX_MESSAGE = 1000;
/** Characters of a long source line shown before and after the column. */
const EXCERPT_BEFORE = 100;
const EXCERPT_AFTER = 150;

function shorten(message: string): string {
  if (message.length <= MAX_MESSAGE) return message;
  return `${message.slice(0, MAX_MESSAGE)}… (${message.length - MAX_MESSAGE} more characters)`;
}

/**
 * Returns the source line, indented, and a caret under the column. Tabs are kept so the caret
 * lines up. Of a long line, only the part around the column is shown, between "…" marks.
 */
function excerpt(sourceLines: readonly string[], line: number, column: number): string[] {
  const full = sourceLines[line - 1];
  if (full === undefined) return [];
  const at = Math.max(column - 1, 0);
  const start = Math.max(at - EXCERPT_BEFORE, 0);
  const end = Math.min(at + EXCERPT_AFTER, full.length);
  const lead = start > 0 ? "…" : "";
  const text = `${lead}${full.slice(start, end)}${end < full.length ? "…" : ""}`;
  const before = printable(`${lead}${full.slice(start, at)}`).replace(/[^\t]/g, " ");
  return [`    ${printable(text)}`, `    ${before}^`];
}

/** Control characters other than tab, as C0 and C1 (U+0080 to U+009F) and DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the expression exists to find control characters.
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Returns `text` with control characters shown as `\xNN`. A vars file (from a pull request,
 * say) could otherwise send terminal escape sequences through a quoted value or a source line.
 */
export function printable(text: string): string {
  return escapeControls(text, CONTROL_CHARACTERS);
}

/** Control characters other than tab and line feed, for text of several lines. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the expression exists to find control characters.
const CONTROL_CHARACTERS_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Returns `text` with control characters other than line breaks shown as `\xNN`, for error
 * messages that quote values from CSV files, paths or cake.yaml.
 */
export function printableLines(text: string): string {
  return escapeControls(text, CONTROL_CHARACTERS_BUT_NEWLINE);
}

function escapeControls(text: string, pattern: RegExp): string {
  return text.replace(pattern, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * Returns a summary such as `2 errors, 1 warning in 1 file`, counting the vars files that have
 * diagnostics. A diagnostic of `cake.yaml` names that file apart, as in `0 errors, 2 warnings in
 * 1 vars file and cake.yaml`, so that the count matches the vars files that `cake validate`
 * counts as valid or not. `formatPath` gives the path of `cake.yaml` as the diagnostics show it.
 */
export function summarizeDiagnostics(
  diagnostics: readonly Diagnostic[],
  formatPath: PathFormatter = (file) => file,
): string {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const files = new Set(diagnostics.map((diagnostic) => diagnostic.file));
  const counts = `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
  if (!files.delete(CONFIG_FILE)) return `${counts} in ${plural(files.size, "file")}`;
  const config = formatPath(CONFIG_FILE);
  return files.size === 0
    ? `${counts} in ${config}`
    : `${counts} in ${plural(files.size, "vars file")} and ${config}`;
}

/** Returns the count and the noun in the singular or plural that the count takes, such as `1 file` or `2 files`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** The JSON shape of `cake validate --format json`. */
export interface DiagnosticsJson {
  diagnostics: Pick<Diagnostic, "severity" | "code" | "file" | "line" | "column" | "path" | "message">[];
}

export function diagnosticsToJson(diagnostics: readonly Diagnostic[]): DiagnosticsJson {
  return {
    diagnostics: diagnostics.map(({ severity, code, file, line, column, path, message }) => ({
      severity,
      code,
      file,
      line,
      column,
      path,
      message,
    })),
  };
}
