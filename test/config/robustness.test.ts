import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { loadVarsText } from "../../src/config/load.js";
import { fixtureText } from "./helpers.js";

const OPTIONS = { file: "vars/prod-us-east-1.yaml", outputPath: "deployments/prod-us-east-1" };

/** Replaces the value at a random path of `data` with `replacement`. */
function replaceAt(data: unknown, choices: number[], replacement: unknown): unknown {
  if (choices.length === 0 || data === null || typeof data !== "object") return replacement;
  const [choice = 0, ...rest] = choices;
  if (Array.isArray(data)) {
    if (data.length === 0) return replacement;
    const index = choice % data.length;
    return data.map((item, position) => (position === index ? replaceAt(item, rest, replacement) : item));
  }
  const keys = Object.keys(data);
  if (keys.length === 0) return replacement;
  const key = keys[choice % keys.length] ?? "";
  return { ...data, [key]: replaceAt((data as Record<string, unknown>)[key], rest, replacement) };
}

describe("loader robustness", () => {
  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const result = loadVarsText(text, OPTIONS);

        expect(Array.isArray(result.diagnostics)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on a mutated valid file", () => {
    const base: unknown = parse(fixtureText("prod-us-east-1.yaml"));

    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.jsonValue({ maxDepth: 3 }),
        (choices, replacement) => {
          const mutated = replaceAt(base, choices, replacement);
          const result = loadVarsText(stringify(mutated), OPTIONS);

          // A deployment exists exactly when there is no error.
          const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
          expect(result.deployment === undefined).toBe(errors.length > 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  const objectKeyInputs: [string, string][] = [
    ["toString", "environment: {toString: 0}\n"],
    ["valueOf", "users:\n  users:\n    - email: {valueOf: 1}\n"],
    ["__proto__", "__proto__: {environment: prod}\nkubeflow: {constructor: x}\n"],
    ["constructor", "users:\n  constructor: [1]\n  users: [{email: a@b.co, toString: x}]\n"],
  ];
  for (const [name, text] of objectKeyInputs) {
    it(`handles a ${name} key`, () => {
      const result = loadVarsText(text, OPTIONS);

      expect(result.diagnostics.length).toBeGreaterThan(0);
      expect(result.deployment).toBeUndefined();
    });
  }

  it("positions are inside the file", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.jsonValue({ maxDepth: 2 }),
        (choices, replacement) => {
          const base = parse(fixtureText("dev-europe-west1.yaml"));
          const text = stringify(replaceAt(base, choices, replacement));
          const lineCount = text.split("\n").length;

          for (const diagnostic of loadVarsText(text, { ...OPTIONS, file: "vars/dev-europe-west1.yaml" })
            .diagnostics) {
            expect(diagnostic.line).toBeGreaterThanOrEqual(1);
            expect(diagnostic.line).toBeLessThanOrEqual(lineCount);
            expect(diagnostic.column).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
