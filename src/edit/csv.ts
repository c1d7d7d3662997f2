/**
 * A small CSV parser following RFC 4180: fields separated by commas, records by
 * CRLF or LF; a field in double quotes may contain commas, line breaks and doubled
 * quotes (`""` for `"`). It reports malformed quoting with the record number.
 */

export class CsvError extends Error {
  /** 1-based record number, counting the header as record 1. */
  readonly record: number;

  constructor(record: number, message: string) {
    super(message);
    this.name = "CsvError";
    this.record = record;
  }
}

/** Parses CSV text into records of fields. A final line break does not start an empty record. */
export function parseCsv(text: string): string[][] {
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let fieldStarted = false;
  let i = 0;

  const endField = (): void => {
    record.push(field);
    field = "";
    fieldStarted = false;
  };
  const endRecord = (): void => {
    endField();
    records.push(record);
    record = [];
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
          throw new CsvError(records.length + 1, `unexpected character "${next}" after a closing quote`);
        }
        continue;
      }
      field += char;
      i++;
      continue;
    }

    if (char === '"') {
      if (fieldStarted || field !== "") {
        throw new CsvError(
          records.length + 1,
          'a quote inside an unquoted field; quote the whole field and double the quote ("")',
        );
      }
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (char === ",") {
      endField();
      i++;
    } else if (char === "\r" && input[i + 1] === "\n") {
      endRecord();
      i += 2;
    } else if (char === "\n") {
      endRecord();
      i++;
    } else {
      field += char;
      i++;
    }
  }

  if (quoted) throw new CsvError(records.length + 1, "a quoted field is not closed");
  if (field !== "" || fieldStarted || record.length > 0) endRecord();
  return records;
}
