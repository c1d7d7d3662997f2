import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  generatedHeader,
  hasGeneratedHeader,
  serializeDocument,
  serializeFile,
} from "../../src/output/serialize.js";

const HEADER = generatedHeader("vars/prod-us-east-1.yaml");

/** Parses with YAML 1.1 rules, as older tools (PyYAML, Go yaml.v2) read the output. */
function parseYaml11(text: string): unknown {
  return parse(text, { version: "1.1" });
}

describe("serializeDocument", () => {
  it("orders root and metadata keys first", () => {
    const text = serializeDocument({
      spec: { b: 1, a: 2 },
      metadata: { labels: { z: "1", a: "2" }, namespace: "ns", name: "alice" },
      kind: "Namespace",
      apiVersion: "v1",
    });
    expect(text).toBe(
      [
        "apiVersion: v1",
        "kind: Namespace",
        "metadata:",
        "  name: alice",
        "  namespace: ns",
        "  labels:",
        '    a: "2"',
        '    z: "1"',
        "spec:",
        "  a: 2",
        "  b: 1",
        "",
      ].join("\n"),
    );
  });

  it("sorts other keys by code unit", () => {
    const text = serializeDocument({ b: 1, B: 2, a: 3, ä: 4, _: 5 });
    const keys = text
      .trimEnd()
      .split("\n")
      .map((line) => line.split(":")[0]);
    expect(keys).toEqual(["B", "_", "a", "b", '"ä"']);
  });

  it("indents sequences under their key", () => {
    const text = serializeDocument({
      rules: [{ from: [{ source: { principals: ["a", "b"] } }], when: [{ key: "k", values: ["v"] }] }],
      nested: [["x", "z"], []],
    });
    expect(text).toBe(
      [
        "nested:",
        "  - - x",
        "    - z",
        "  - []",
        "rules:",
        "  - from:",
        "      - source:",
        "          principals:",
        "            - a",
        "            - b",
        "    when:",
        "      - key: k",
        "        values:",
        "          - v",
        "",
      ].join("\n"),
    );
  });

  it("writes empty collections in flow style", () => {
    expect(serializeDocument({ a: {}, b: [] })).toBe("a: {}\nb: []\n");
    expect(serializeDocument({})).toBe("{}\n");
  });

  it("drops undefined values", () => {
    expect(serializeDocument({ a: undefined, b: 1 })).toBe("b: 1\n");
  });

  it("uses toJSON of typed objects", () => {
    const typed = { toJSON: () => ({ kind: "Namespace", apiVersion: "v1" }) };
    expect(serializeDocument({ item: typed })).toBe("item:\n  apiVersion: v1\n  kind: Namespace\n");
  });

  it("rejects values that are not JSON data", () => {
    expect(() => serializeDocument({ a: Number.NaN })).toThrow(TypeError);
    expect(() => serializeDocument({ a: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => serializeDocument({ a: 10n })).toThrow(TypeError);
    expect(() => serializeDocument({ a: () => 1 })).toThrow(TypeError);
  });

  const quotedCases: [string, string][] = [
    ["", '""'],
    ["yes", '"yes"'],
    ["No", '"No"'],
    ["on", '"on"'],
    ["OFF", '"OFF"'],
    ["y", '"y"'],
    ["true", '"true"'],
    ["null", '"null"'],
    ["~", '"~"'],
    ["0x1F", '"0x1F"'],
    ["1e3", '"1e3"'],
    [".inf", '".inf"'],
    ["007", '"007"'],
    ["64", '"64"'],
    ["256Gi", '"256Gi"'],
    ["1:20", '"1:20"'],
    ["2001-12-14", '"2001-12-14"'],
    ["<<", '"<<"'],
    ["a: b", '"a: b"'],
    ["a #b", '"a #b"'],
    [" lead", '" lead"'],
    ["trail ", '"trail "'],
    ["-dash", '"-dash"'],
    ["*alias", '"*alias"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["tab\there", '"tab\\there"'],
    ["bell\u0007", '"bell\\u0007"'],
    ["nel\u0085", '"nel\\u0085"'],
    ["line\u2028sep", '"line\\u2028sep"'],
    ["key:", '"key:"'],
  ];
  it.each(quotedCases)("quotes %j", (value, expected) => {
    expect(serializeDocument({ v: value })).toBe(`v: ${expected}\n`);
  });

  const plainCases = [
    "kubeflow-platform@example.com",
    "rbac.authorization.k8s.io/v1",
    "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
    "request.headers[kubeflow-userid]",
    "Prune=false,Delete=false",
    "arn:aws:iam::123456789012:role/prod-alice",
    "/healthz",
    "Alice.Smith@example.com",
  ];
  it.each(plainCases)("writes %j plain", (value) => {
    expect(serializeDocument({ v: value })).toBe(`v: ${value}\n`);
  });

  it("writes multi-line strings as literal blocks", () => {
    const text = serializeDocument({ policy: '{\n  "Version": "2012-10-17"\n}', list: ["a\nb\n"] });
    expect(text).toBe(
      [
        "list:",
        "  - |",
        "    a",
        "    b",
        "policy: |-",
        "  {",
        '    "Version": "2012-10-17"',
        "  }",
        "",
      ].join("\n"),
    );
    expect(parse(text)).toEqual({ policy: '{\n  "Version": "2012-10-17"\n}', list: ["a\nb\n"] });
  });

  it("quotes multi-line strings a literal block would change", () => {
    for (const value of ["a\n\n", " indented\nx", "trailing \nx", "tab\t\nx", "cr\r\nx", "\n"]) {
      const text = serializeDocument({ v: value });
      expect(text.startsWith('v: "')).toBe(true);
      expect(parse(text)).toEqual({ v: value });
    }
  });

  it("quotes keys that need it", () => {
    const keys = ["", "yes", "123", "a: b", "#x", "- x", "line\nbreak", "x".repeat(1100)];
    const object = Object.fromEntries(keys.map((key, index) => [key, index]));
    expect(parse(serializeDocument(object))).toEqual(object);
  });
});

describe("serializeFile", () => {
  it("writes the header as comments", () => {
    const text = serializeFile({ path: "a.yaml", objects: [{ kind: "A" }] }, HEADER);
    expect(text.split("\n")[0]).toBe(
      '# Generated by cake from vars/prod-us-east-1.yaml. Do not edit: run "cake reconcile" instead.',
    );
    expect(hasGeneratedHeader(text)).toBe(true);
    expect(hasGeneratedHeader("apiVersion: v1\n")).toBe(false);
  });

  it("comments every line of a multi-line header", () => {
    const text = serializeFile({ path: "a.yaml", objects: [] }, "one\n\ntwo");
    expect(text).toBe("# one\n#\n# two\n");
  });

  it("separates documents with ---", () => {
    const objects = [{ kind: "A", apiVersion: "v1" }, { kind: "B", apiVersion: "v1" }, {}];
    const text = serializeFile({ path: "a.yaml", objects }, HEADER);
    const documents = parseAllDocuments(text);
    expect(Array.isArray(documents)).toBe(true);
    expect((documents as { toJS(): unknown }[]).map((document) => document.toJS())).toEqual(objects);
    expect(text.match(/^---$/gm)).toHaveLength(2);
  });

  it("ends with one LF and has no CR", () => {
    const text = serializeFile({ path: "a.yaml", objects: [{ a: "x\ny" }, { b: 1 }] }, HEADER);
    expect(text.endsWith("\n")).toBe(true);
    expect(text.endsWith("\n\n")).toBe(false);
    expect(text.includes("\r")).toBe(false);
  });

  it("gives identical bytes for reordered input", () => {
    const first = serializeFile(
      { path: "a.yaml", objects: [{ kind: "K", spec: { a: 1, b: [1, 2] }, apiVersion: "v" }] },
      HEADER,
    );
    const second = serializeFile(
      { path: "a.yaml", objects: [{ apiVersion: "v", spec: { b: [1, 2], a: 1 }, kind: "K" }] },
      HEADER,
    );
    expect(second).toBe(first);
  });
});

/** Strings built to hit YAML edge cases: indicators, look-alike scalars, whitespace, control and non-BMP characters. */
const trickyString = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom(
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "",
    " ",
    "0x1F",
    "0o17",
    "0b101",
    "1e3",
    "1E3",
    "e0",
    "E+5",
    ".inf",
    "-.inf",
    ".NaN",
    "007",
    "+12",
    "1_000",
    "1:20",
    "2001-12-14",
    "<<",
    "=",
    "-",
    "?",
    ":",
    "a: b",
    "a #b",
    "#",
    "&a",
    "*a",
    "!tag",
    "|",
    ">",
    "%",
    "@",
    "`",
    "'",
    '"',
    "[a]",
    "{a}",
    "a,b",
    "\t",
    "\n",
    "\r\n",
    "\u0085",
    "\u2028",
    "\ufeff",
    "\u007f",
    "\ud800",
    "😀",
    "---",
    "...",
    " lead",
    "trail ",
    "a\n\nb",
  ),
  fc
    .array(
      fc.constantFrom("a", " ", ":", "#", "-", "\n", "\t", "'", '"', "\\", "0", ".", "e", "😀", "\u0000"),
      {
        maxLength: 12,
      },
    )
    .map((parts) => parts.join("")),
);

/** JSON-like values, as generators produce them. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    trickyString,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(
      trickyString.filter((key) => key !== "__proto__"),
      tie("value"),
      { maxKeys: 4 },
    ),
  ),
})).value;

const document = fc.dictionary(
  trickyString.filter((key) => key !== "__proto__"),
  jsonValue,
  { maxKeys: 6 },
);

describe("serializeFile round trip", () => {
  it("parses back to the input in YAML 1.2", () => {
    fc.assert(
      fc.property(fc.array(document, { minLength: 1, maxLength: 3 }), (objects) => {
        const text = serializeFile({ path: "a.yaml", objects }, HEADER);
        const parsed = parseAllDocuments(text);
        if (!Array.isArray(parsed)) throw new Error("expected documents");
        for (const doc of parsed) expect(doc.errors).toEqual([]);
        expect(parsed.map((doc) => doc.toJS())).toEqual(objects);
      }),
      { numRuns: 1000 },
    );
  });

  it("parses strings back unchanged in YAML 1.1", () => {
    fc.assert(
      fc.property(trickyString, trickyString, (key, value) => {
        fc.pre(key !== "__proto__");
        expect(parseYaml11(serializeDocument({ [key]: value }))).toEqual({ [key]: value });
      }),
      { numRuns: 2000 },
    );
  });

  it("is byte-identical for the same input", () => {
    fc.assert(
      fc.property(document, (object) => {
        const copy = structuredClone(object);
        expect(serializeDocument(copy)).toBe(serializeDocument(object));
      }),
    );
  });
});
