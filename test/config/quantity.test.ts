import { describe, expect, it } from "vitest";
import { canonicalQuantity, parseQuantity } from "../../src/model/quantity.js";

describe("canonicalQuantity", () => {
  // Expected values are what the API server stores (resource.Quantity.String()).
  const table: [string, string][] = [
    ["1000m", "1"],
    ["1024Mi", "1Gi"],
    ["0.5", "500m"],
    ["1.5Gi", "1536Mi"],
    ["1.5", "1500m"],
    ["64", "64"],
    ["1000", "1k"],
    ["100m", "100m"],
    ["256Mi", "256Mi"],
    ["0.5Gi", "512Mi"],
    ["2048Ki", "2Mi"],
    ["0.1Ki", "102400m"],
    ["512", "512"],
    ["1e3", "1e3"],
    ["12e2", "1200"],
    ["0", "0"],
    ["0Gi", "0"],
    ["0.1n", "1n"],
    [".5", "500m"],
    ["1E", "1E"],
    ["16Gi", "16Gi"],
    ["2000Mi", "2000Mi"],
  ];

  for (const [input, expected] of table) {
    it(`stores ${input} as ${expected}`, () => {
      expect(canonicalQuantity(input)).toBe(expected);
    });
  }
});

describe("parseQuantity", () => {
  const suggestions: [string, string][] = [
    ["20gi", "20Gi"],
    ["512mi", "512Mi"],
    ["1 Gi", "1Gi"],
  ];
  for (const [input, suggestion] of suggestions) {
    it(`suggests ${suggestion} for ${input}`, () => {
      expect(parseQuantity(input)).toEqual({ ok: false, suggestion });
    });
  }

  it("suggests both bases for GB", () => {
    expect(parseQuantity("2GB")).toEqual({
      ok: false,
      suggestion: "2G (powers of 1000) or 2Gi (powers of 1024)",
    });
  });

  it("suggests both bases for K", () => {
    expect(parseQuantity("1K")).toEqual({
      ok: false,
      suggestion: "1k (powers of 1000) or 1Ki (powers of 1024)",
    });
  });

  const invalid = ["", "abc", "Gi", "1..5", "1Gi5", "--1", "1e", "1e99"];
  for (const input of invalid) {
    it(`rejects "${input}"`, () => {
      expect(parseQuantity(input).ok).toBe(false);
    });
  }

  it("keeps the sign of negative values", () => {
    expect(parseQuantity("-1")).toEqual({
      ok: true,
      quantity: { nanos: -1_000_000_000n, format: "decimal-si" },
    });
  });
});
