/**
 * Reads an export of the identity provider's users: a CSV file with an `email`
 * column, or a JSON array of email strings or of objects with an `email` field.
 */
import { readFile } from "node:fs/promises";
import { CsvError, parseCsv } from "../edit/csv.js";
import { CakeError, readFailureReason, UsageError } from "../errors.js";

/** Parses the text of an IdP users file; `file` names it in errors. */
export function parseIdpUsers(text: string, file: string): string[] {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  // A JSON object is read as JSON too, so that its error reports that an array is expected.
  const json = trimmed.startsWith("[") || trimmed.startsWith("{");
  return json ? parseJsonUsers(trimmed, file) : parseCsvUsers(text, file);
}

function parseJsonUsers(text: string, file: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CakeError(`${file}: invalid JSON (${(error as Error).message}).`);
  }
  if (!Array.isArray(data)) {
    throw new CakeError(
      `${file}: expected a JSON array of emails or of objects with an "email" field, such as [{"email": "ann@example.com"}].`,
    );
  }
  return data.map((entry, index) => {
    if (typeof entry === "string") return entry;
    if (
      entry !== null &&
      typeof entry === "object" &&
      typeof (entry as { email?: unknown }).email === "string"
    ) {
      return (entry as { email: string }).email;
    }
    throw new CakeError(
      `${file}: entry [${index}] is ${JSON.stringify(entry)}; expected an email string or an object with an "email" string.`,
    );
  });
}

function parseCsvUsers(text: string, file: string): string[] {
  let records: string[][];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw new CakeError(`${file}: row ${error.record}: ${error.message}.`);
    throw error;
  }
  const header = (records[0] ?? []).map((name) => name.trim().toLowerCase());
  const column = header.indexOf("email");
  if (column < 0) {
    throw new CakeError(
      `${file}: the first row must be a CSV header with an "email" column (found: ${header.join(", ")}).`,
    );
  }
  return records
    .slice(1)
    .map((record) => (record[column] ?? "").trim())
    .filter((email) => email !== "");
}

/** Reads and parses an IdP users file; a missing file is a usage error. */
export async function readIdpUsers(absolutePath: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(absolutePath, "utf8");
  } catch (error) {
    throw new UsageError(
      `--idp-users file ${absolutePath} cannot be read: ${readFailureReason(error)}; check the path.`,
    );
  }
  return parseIdpUsers(text, absolutePath);
}
