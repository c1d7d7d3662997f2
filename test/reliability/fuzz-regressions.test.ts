/**
 * Inputs the fuzzer found to break the loader, shrunk by hand, kept so each kind of
 * failure stays fixed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadVarsText } from "../../src/config/load.js";

const FILE = "vars/staging-local.yaml";
const OPTIONS = { file: FILE, outputPath: "deployments/staging-local" };
const VALID = readFileSync(path.resolve(import.meta.dirname, "../fixtures/vars/staging-local.yaml"), "utf8");

function codes(text: string): string[] {
  return [...new Set(loadVarsText(text, OPTIONS).diagnostics.map((diagnostic) => diagnostic.code))];
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fuzz regressions", () => {
  it("150k syntax errors give diagnostics", () => {
    // Spreading this many diagnostics into push() used to exceed the call stack. The parser
    // still reports 150k errors; the tokens after the first one out of place are left out.
    const result = loadVarsText("]\n".repeat(150_000), OPTIONS);

    expect(result.deployment).toBeUndefined();
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ code: "yaml-syntax", file: FILE, line: 1, column: 1 });
  }, 30_000);

  // Spreading a rule's diagnostics as call arguments (`push(...list)`) overflowed the call
  // stack at about 125k problems, and the CLI printed a stack trace.
  it("150k rule diagnostics give diagnostics", () => {
    const namespaces = Array(150_000).fill("shared").join(", ");
    const text = VALID.replace("deploy_namespaces: [shared]", `deploy_namespaces: [${namespaces}]`);
    expect(text).not.toBe(VALID);

    const result = loadVarsText(text, OPTIONS);

    expect(result.deployment).toBeUndefined();
    expect(result.diagnostics.some((diagnostic) => diagnostic.code === "duplicate-namespace")).toBe(true);
  }, 30_000);

  it("bidi override in email is invalid", () => {
    const text = VALID.replace("erin@example.com", "\u202eerin@example.com");
    expect(text).not.toBe(VALID);

    const diagnostics = loadVarsText(text, OPTIONS).diagnostics;

    expect(diagnostics.map((diagnostic) => diagnostic.code)).toContain("invalid-email");
    expect(diagnostics.find((diagnostic) => diagnostic.code === "invalid-email")?.message).toContain(
      "U+202E",
    );
  });

  it("zero-width space in email is invalid", () => {
    const text = VALID.replace("erin@example.com", "erin@exa\u200bmple.com");

    expect(codes(text)).toContain("invalid-email");
  });

  it("combining marks in email stay valid", () => {
    // Internationalized addresses may use combining marks; only invisible characters are rejected.
    const text = VALID.replace("erin@example.com", "rene\u0301@example.com");

    expect(loadVarsText(text, OPTIONS).deployment?.users.map((user) => user.email)).toContain(
      "rene\u0301@example.com",
    );
  });

  it("mapping as key warns nowhere", () => {
    const warn = vi.spyOn(process, "emitWarning");

    const result = loadVarsText(`${VALID}? [a, b]\n: 1\n`, OPTIONS);

    expect(warn).not.toHaveBeenCalled();
    expect(result.deployment).toBeUndefined();
    expect(result.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(["wrong-type"]);
  });
});
