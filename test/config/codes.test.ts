import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES } from "../../src/config/diagnostics.js";

const configDir = path.join(import.meta.dirname, "..", "..", "src", "config");

function readTree(dir: string, accept: (name: string) => boolean): string {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter(accept)
    .map((name) => readFileSync(path.join(dir, name), "utf8"))
    .join("\n");
}

// Codes the loader emits: those quoted in src/config outside the list of codes itself.
const loaderText = readTree(configDir, (name) => name.endsWith(".ts") && name !== "diagnostics.ts");
const testText = readTree(
  import.meta.dirname,
  (name) => name.endsWith(".test.ts") && name !== "codes.test.ts",
);
const loaderCodes = DIAGNOSTIC_CODES.filter((code) => loaderText.includes(`"${code}"`));

describe("diagnostic codes", () => {
  it("the loader emits most codes", () => {
    expect(loaderCodes.length).toBeGreaterThan(40);
  });

  for (const code of loaderCodes) {
    it(`${code} has a test`, () => {
      expect(testText).toContain(`"${code}"`);
    });
  }
});
