/**
 * Reads an export of the identity provider's users: a CSV file with an `email`
 * column, or a JSON array of email strings or of objects with an `email` field.
 */
import { readFile } from "node:fs/promises";
import { CsvError, parseCsv } from "../edit/csv.js";
import { CakeError, readFailureReason, UsageError } from "../errors.js";

/** Parses the text of an IdP users file; `file` names it in errors. */
export function parseIdpUsers(text: string, file: string): string[] {
  // A file read as the wrong encoding would give emails that match no user, and the warnings
  // would then tell to disable people who are in the identity provider.
  if (text.includes("\u0000")) {
    throw new CakeError(
      `${file} contains NUL characters, so it is not UTF-8 text (it may be UTF-16, as PowerShell's ">" writes); save it as UTF-8.`,
    );
  }
  const replaced = text.indexOf("\uFFFD");
  if (replaced >= 0) {
    const line = text.slice(0, replaced).split("\n").length;
    throw new CakeError(
      `${file}:${line}: the file is not UTF-8 (an "é" saved as Latin-1, say); save it as UTF-8.`,
    );
  }
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
    if (typeof entry === "string") return entry.trim();
    if (
      entry !== null &&
      typeof entry === "object" &&
      typeof (entry as { email?: unknown }).email === "string"
    ) {
      return (entry as { email: string }).email.trim();
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
  // A row with another number of fields (an unquoted comma in a name) would give the email
  // column another field.
  const width = records[0]?.length ?? 0;
  const ragged = records.findIndex(
    (record, index) => index > 0 && record.length !== width && record.join("") !== "",
  );
  if (ragged > 0) {
    throw new CakeError(
      `${file}: row ${ragged + 1} has ${records[ragged]?.length} fields where the header has ${width}; ` +
        "quote a value that contains a comma.",
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
