import { describe, expect, it } from "vitest";
import { CsvError, parseCsv, parseCsvRecords } from "../../src/edit/csv.js";

describe("parseCsv", () => {
  const cases: [string, string, string[][]][] = [
    [
      "plain fields",
      "a,b,c\n1,2,3\n",
      [
        ["a", "b", "c"],
        ["1", "2", "3"],
      ],
    ],
    [
      "CRLF records",
      "a,b\r\n1,2\r\n",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "no final line break",
      "a,b\n1,2",
      [
        ["a", "b"],
        ["1", "2"],
      ],
    ],
    [
      "empty fields",
      "a,,c\n,,\n",
      [
        ["a", "", "c"],
        ["", "", ""],
      ],
    ],
    ["quoted comma", 'a,"b,c"\n', [["a", "b,c"]]],
    ["doubled quote", '"say ""hi"""\n', [['say "hi"']]],
    ["line break in quotes", '"line1\nline2",x\n', [["line1\nline2", "x"]]],
    ["empty quoted field", '"",x\n', [["", "x"]]],
    ["byte order mark", "\uFEFFemail\nA@b.c\n", [["email"], ["A@b.c"]]],
    ["spaces kept", " a , b \n", [[" a ", " b "]]],
  ];
  for (const [name, text, expected] of cases) {
    it(name, () => {
      expect(parseCsv(text)).toEqual(expected);
    });
  }

  it("unclosed quote names the record", () => {
    expect(() => parseCsv('a\n"b\n')).toThrow(CsvError);
    try {
      parseCsv('a\n"b\n');
    } catch (error) {
      expect((error as CsvError).record).toBe(2);
    }
  });

  it("quote inside an unquoted field fails", () => {
    expect(() => parseCsv('a\nb"c\n')).toThrow(CsvError);
  });

  it("text after a closing quote fails", () => {
    expect(() => parseCsv('"a"b\n')).toThrow(CsvError);
  });

  it("records keep their first line", () => {
    const text = '\uFEFFa,b\r\n"x\r\ny",1\r\n\r\nz,"2\n\n"\nlast,3';

    const lines = parseCsvRecords(text).map((record) => record.line);

    expect(lines).toEqual([1, 2, 4, 5, 8]);
  });

  it("fields keep their line and column", () => {
    const text = '\uFEFFa,b\r\n"x\r\ny",1\r\n\r\nz,"2\n\n"\nlast,3';

    const positions = parseCsvRecords(text).map((record) =>
      record.positions.map(({ line, column }) => `${line}:${column}`),
    );

    // The byte order mark is no column, and a field after a quoted line break starts on its last line.
    expect(positions).toEqual([["1:1", "1:3"], ["2:1", "3:4"], ["4:1"], ["5:1", "5:3"], ["8:1", "8:6"]]);
  });

  it("unclosed quote names its line and column", () => {
    let thrown: unknown;
    try {
      parseCsv('a,b\r\n1,2\r\n3,"4\r\n5,6\r\n');
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(CsvError);
    expect(thrown).toMatchObject({ record: 3, line: 3, column: 3 });
  });

  it("text after a closing quote names its column", () => {
    expect(() => parseCsv('a\n"b"c\n')).toThrow(expect.objectContaining({ line: 2, column: 4 }));
  });
});
