import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/config/diagnostics.js";
import { diagnosticsToJson, formatDiagnostics, summarizeDiagnostics } from "../../src/config/format.js";
import { load, varsYaml } from "./helpers.js";

const emailError: Diagnostic = {
  severity: "error",
  code: "invalid-email",
  file: "vars/prod-us-east-1.yaml",
  line: 2,
  column: 10,
  path: "users.users[3].email",
  message: '"speech" is not an email address',
};

describe("formatDiagnostics", () => {
  it("prints position, severity, code and path", () => {
    const [headline] = formatDiagnostics([emailError], { summary: false }).split("\n");

    expect(headline).toBe(
      'vars/prod-us-east-1.yaml:2:10: error [invalid-email] users.users[3].email: "speech" is not an email address',
    );
  });

  it("shows mentioned files as the file", () => {
    const clash: Diagnostic = {
      ...emailError,
      message: "also in vars/a.yaml, not in teams/vars/a.yaml or vars/a.yaml.bak; see vars/a.yaml.",
      mentionedFiles: ["vars/a.yaml"],
    };
    const formatPath = (file: string) => `../${file}`;

    const [headline] = formatDiagnostics([clash], { summary: false, formatPath }).split("\n");

    expect(headline).toBe(
      "../vars/prod-us-east-1.yaml:2:10: error [invalid-email] users.users[3].email: " +
        "also in ../vars/a.yaml, not in teams/vars/a.yaml or vars/a.yaml.bak; see ../vars/a.yaml.",
    );
    expect(diagnosticsToJson([clash]).diagnostics[0]?.message).toBe(clash.message);
  });

  it("puts a caret under the column", () => {
    const source = "users:\n  - email: speech\n";
    const atSpeech: Diagnostic = { ...emailError, column: 12 };

    const lines = formatDiagnostics([atSpeech], {
      sources: { [atSpeech.file]: source },
      summary: false,
    }).split("\n");

    expect(lines[1]).toBe("      - email: speech");
    expect(lines[2]).toBe(`    ${" ".repeat(11)}^`);
    expect(lines[1]?.indexOf("speech")).toBe(lines[2]?.indexOf("^"));
  });

  it("keeps tabs so the caret lines up", () => {
    const source = "users:\n\t- email: speech\n";
    const tabbed: Diagnostic = { ...emailError, column: 11 };

    const lines = formatDiagnostics([tabbed], { sources: { [tabbed.file]: source }, summary: false }).split(
      "\n",
    );

    expect(lines[2]).toBe(`    \t${" ".repeat(9)}^`);
  });

  it("shows control characters as escapes", () => {
    const source = 'users:\n  - {x: "\x1b[2J", email: "a\x1b]0;owned\x07b"}\n';
    const escaped: Diagnostic = {
      ...emailError,
      column: 24,
      message: '"a\x1b]0;owned\x07b" is not an email address',
    };

    const lines = formatDiagnostics([escaped], { sources: { [escaped.file]: source }, summary: false }).split(
      "\n",
    );

    expect(lines[0]).toContain('"a\\x1b]0;owned\\x07b" is not an email address');
    expect(lines[1]).toBe('      - {x: "\\x1b[2J", email: "a\\x1b]0;owned\\x07b"}');
    // The caret stays under the value although the escapes widen the line.
    expect(lines[1]?.indexOf('"a\\x1b')).toBe(lines[2]?.indexOf("^"));
    const codes = [...lines.join("")].map((character) => character.charCodeAt(0));
    expect(codes.filter((code) => code < 0x20 || code === 0x7f)).toEqual([]);
  });

  it("shows the part of a long line around the column", () => {
    const source = `users:\n  - email: ${"x".repeat(500)}bad${"y".repeat(500)}\n`;
    const long: Diagnostic = {
      ...emailError,
      column: 12 + 500,
      message: `"${"x".repeat(2000)}" is not an email address`,
    };

    const lines = formatDiagnostics([long], { sources: { [long.file]: source }, summary: false }).split("\n");

    expect(lines[0]).toContain("… (1026 more characters)");
    expect(lines[1]?.length).toBeLessThan(300);
    expect(lines[1]?.slice(lines[2]?.indexOf("^"))).toMatch(/^bad/);
  });

  it("omits position and excerpt for file-level problems", () => {
    const missing: Diagnostic = {
      ...emailError,
      code: "file-not-found",
      line: 0,
      column: 0,
      path: "",
      message: "not found",
    };

    const output = formatDiagnostics([missing], { sources: { [missing.file]: "x: 1\n" } });

    expect(output.split("\n")[0]).toBe("vars/prod-us-east-1.yaml: error [file-not-found] not found");
    expect(output).not.toContain("^");
  });

  it("ends with a summary line", () => {
    const warning: Diagnostic = { ...emailError, severity: "warning", code: "email-uppercase" };

    const lines = formatDiagnostics([emailError, emailError, warning]).trimEnd().split("\n");

    expect(lines.at(-1)).toBe("2 errors, 1 warning in 1 file");
  });

  it("shows the source of a real load", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: platform\n" });
    const result = load(text);

    const output = formatDiagnostics(result.diagnostics, { sources: { "vars/prod-us-east-1.yaml": text } });

    expect(output).toContain("vars/prod-us-east-1.yaml:4:18: error [invalid-email] kubeflow.profile_owner:");
    expect(output).toContain("      profile_owner: platform\n                     ^\n");
  });
});

describe("summarizeDiagnostics", () => {
  it("counts files with diagnostics", () => {
    const other = { ...emailError, file: "vars/dev-eu-west-1.yaml" };

    expect(summarizeDiagnostics([emailError, other])).toBe("2 errors, 0 warnings in 2 files");
  });

  it("names cake.yaml apart from vars files", () => {
    const config: Diagnostic = { ...emailError, severity: "warning", file: "cake.yaml" };

    expect(summarizeDiagnostics([emailError, config])).toBe(
      "1 error, 1 warning in 1 vars file and cake.yaml",
    );
    expect(summarizeDiagnostics([config], (file) => `../${file}`)).toBe(
      "0 errors, 1 warning in ../cake.yaml",
    );
  });

  it("reports zero of each", () => {
    expect(summarizeDiagnostics([])).toBe("0 errors, 0 warnings in 0 files");
  });
});

describe("diagnosticsToJson", () => {
  it("has exactly the documented fields", () => {
    const json = diagnosticsToJson([{ ...emailError, extra: "dropped" } as Diagnostic]);

    expect(Object.keys(json)).toEqual(["diagnostics"]);
    expect(Object.keys(json.diagnostics[0] ?? {})).toEqual([
      "severity",
      "code",
      "file",
      "line",
      "column",
      "path",
      "message",
    ]);
  });
});
