/**
 * A small CSV parser following RFC 4180: fields separated by commas, records by
 * CRLF or LF; a field in double quotes may contain commas, line breaks and doubled
 * quotes (`""` for `"`). It reports malformed quoting with the record number and the
 * line and column where the problem is.
 */

export class CsvError extends Error {
  /** 1-based record number, counting the header as record 1. */
  readonly record: number;
  /** 1-based physical line of the problem. */
  readonly line: number;
  /** 1-based column of the problem in that line, in UTF-16 code units; a byte order mark does not count. */
  readonly column: number;

  constructor(record: number, line: number, column: number, message: string) {
    super(message);
    this.name = "CsvError";
    this.record = record;
    this.line = line;
    this.column = column;
  }
}

/** A place in the CSV text: 1-based line, and 1-based column in UTF-16 code units without a byte order mark. */
export interface CsvPosition {
  line: number;
  column: number;
}

/** One record with the physical line it starts on. */
export interface CsvRecord {
  /** 1-based line of the record's first character. A quoted field with line breaks makes the next record start later. */
  line: number;
  fields: string[];
  /** The start of each field (its opening quote when quoted), in the order of `fields`. */
  positions: CsvPosition[];
}

/** Parses CSV text into records of fields. A final line break does not start an empty record. */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).map((record) => record.fields);
}

/**
 * Parses CSV text into records with their first line. Lines are counted at each LF, so CRLF
 * counts once and a lone CR does not end a line, as in the diagnostics of the vars file.
 */
export function parseCsvRecords(text: string): CsvRecord[] {
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let positions: CsvPosition[] = [];
  let fieldStart: CsvPosition = { line: 1, column: 1 };
  let field = "";
  let quoted = false;
  let fieldStarted = false;
  let line = 1;
  let lineStart = 0;
  let recordLine = 1;
  let quoteLine = 1;
  let quoteColumn = 1;
  let i = 0;

  const fail = (message: string, at = i): never => {
    throw new CsvError(records.length + 1, line, at - lineStart + 1, message);
  };
  // Called after the separator or line break before a field, so `i` is the field's first character.
  const startField = (): void => {
    fieldStart = { line, column: i - lineStart + 1 };
  };
  const endField = (): void => {
    fields.push(field);
    positions.push(fieldStart);
    field = "";
    fieldStarted = false;
  };
  const endRecord = (): void => {
    endField();
    records.push({ line: recordLine, fields, positions });
    fields = [];
    positions = [];
  };
  const newLine = (next: number): void => {
    line++;
    lineStart = next;
  };

  while (i < input.length) {
    const char = input[i] as string;
    if (quoted) {
      if (char === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = input[i];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          fail(`unexpected character "${next}" after a closing quote`);
        }
        continue;
      }
      field += char;
      i++;
      if (char === "\n") newLine(i);
      continue;
    }

    if (char === '"') {
      if (fieldStarted || field !== "") {
        fail('a quote inside an unquoted field; quote the whole field and double the quote ("")');
      }
      quoted = true;
      fieldStarted = true;
      quoteLine = line;
      quoteColumn = i - lineStart + 1;
      i++;
    } else if (char === ",") {
      endField();
      i++;
      startField();
    } else if (char === "\r" && input[i + 1] === "\n") {
      endRecord();
      i += 2;
      newLine(i);
      recordLine = line;
      startField();
    } else if (char === "\n") {
      endRecord();
      i++;
      newLine(i);
      recordLine = line;
      startField();
    } else {
      field += char;
      i++;
    }
  }

  if (quoted) {
    throw new CsvError(
      records.length + 1,
      quoteLine,
      quoteColumn,
      'a quoted field is not closed; add the closing quote (")',
    );
  }
  if (field !== "" || fieldStarted || fields.length > 0) endRecord();
  return records;
}
