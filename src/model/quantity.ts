/**
 * Kubernetes resource quantities (`resource.Quantity` in k8s.io/apimachinery): parsing and
 * the canonical form the API server stores. Emitting the canonical form keeps Argo CD from
 * reporting a diff after every sync (`1000m` is stored as `1`, `1024Mi` as `1Gi`).
 */

/** Notation of a quantity. The API server keeps the notation of the input when it canonicalizes. */
type QuantityFormat = "binary-si" | "decimal-si" | "decimal-exponent";

export interface ParsedQuantity {
  /** The value in units of 10^-9, rounded up the way the API server rounds sub-nano precision. */
  nanos: bigint;
  format: QuantityFormat;
}

export type QuantityResult = { ok: true; quantity: ParsedQuantity } | { ok: false; suggestion?: string };

const NUMBER_AND_SUFFIX = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/;

const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(
  Object.entries(DECIMAL_SUFFIXES).map(([suffix, exp]) => [exp, suffix]),
);
const BINARY_SUFFIX_BY_POWER = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const DECIMAL_EXPONENT = /^[eE]([+-]?\d+)$/;

/** The largest exponent, either way, that a quantity written as `<number>e<exponent>` may have. */
export const MAX_QUANTITY_EXPONENT = 30;

const NANO = 10n ** 9n;

/** Parses a quantity as the API server does. Returns `ok: false`, with a suggested spelling when one fits, for invalid text. */
export function parseQuantity(text: string): QuantityResult {
  const match = NUMBER_AND_SUFFIX.exec(text);
  if (!match) return { ok: false };
  const [, sign = "", digits = "", suffix = ""] = match;

  const scale = scaleOfSuffix(suffix);
  if (!scale) return { ok: false, suggestion: suggestSpelling(`${sign}${digits}`, suffix) };

  const [whole = "", fraction = ""] = digits.split(".");
  let numerator = BigInt(`${whole}${fraction}` || "0") * NANO;
  let denominator = 10n ** BigInt(fraction.length);
  if (scale.base === 2) numerator *= 2n ** BigInt(scale.power);
  else if (scale.power >= 0) numerator *= 10n ** BigInt(scale.power);
  else denominator *= 10n ** BigInt(-scale.power);

  // Precision below 10^-9 is rounded up (away from zero), as resource.Quantity does.
  let nanos = numerator / denominator;
  if (numerator % denominator !== 0n) nanos += 1n;
  if (sign === "-") nanos = -nanos;
  return { ok: true, quantity: { nanos, format: scale.format } };
}

function scaleOfSuffix(suffix: string): { base: 2 | 10; power: number; format: QuantityFormat } | undefined {
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) return { base: 2, power: binary * 10, format: "binary-si" };

  const decimal = DECIMAL_SUFFIXES[suffix];
  if (decimal !== undefined) return { base: 10, power: decimal, format: "decimal-si" };

  const exponent = DECIMAL_EXPONENT.exec(suffix);
  if (exponent?.[1] !== undefined) {
    const power = Number(exponent[1]);
    // Beyond this the value overflows what resource.Quantity can hold.
    if (Math.abs(power) > MAX_QUANTITY_EXPONENT) return undefined;
    return { base: 10, power, format: "decimal-exponent" };
  }
  return undefined;
}

/** Suggests a spelling for common suffix mistakes: `20gi` -> `20Gi`, `1K` -> `1k`, `2GB` -> `2G or 2Gi`. */
function suggestSpelling(number: string, suffix: string): string | undefined {
  const trimmed = suffix.trim();
  const binary = Object.keys(BINARY_SUFFIXES).find((known) => known.toLowerCase() === trimmed.toLowerCase());
  if (binary) return `${number}${binary}`;

  const bytes = /^([kKmMgGtTpPeE])i?[bB]$/.exec(trimmed);
  if (bytes?.[1]) {
    const letter = bytes[1] === "k" || bytes[1] === "K" ? "k" : bytes[1].toUpperCase();
    const binaryLetter = letter.toUpperCase();
    return trimmed.toLowerCase().includes("i")
      ? `${number}${binaryLetter}i`
      : `${number}${letter} (powers of 1000) or ${number}${binaryLetter}i (powers of 1024)`;
  }

  if (trimmed === "K") return `${number}k (powers of 1000) or ${number}Ki (powers of 1024)`;
  if (trimmed !== suffix && scaleOfSuffix(trimmed)) return `${number}${trimmed}`;
  return undefined;
}

/**
 * Returns the string the API server stores for a quantity (`Quantity.String()`): the largest
 * suffix that keeps the number whole, in the format of the input. Binary values below 1024
 * or with fractional bytes fall back to decimal suffixes, as Kubernetes does.
 */
export function formatQuantity(quantity: ParsedQuantity): string {
  const { nanos } = quantity;
  if (nanos === 0n) return "0";

  const magnitude = nanos < 0n ? -nanos : nanos;
  const sign = nanos < 0n ? "-" : "";
  if (quantity.format === "binary-si" && magnitude >= 1024n * NANO && magnitude % NANO === 0n) {
    let value = magnitude / NANO;
    let power = 0;
    while (power < BINARY_SUFFIX_BY_POWER.length - 1 && value % 1024n === 0n) {
      value /= 1024n;
      power += 1;
    }
    return `${sign}${value}${BINARY_SUFFIX_BY_POWER[power]}`;
  }

  // Decimal: exponents in steps of 3 from 10^-9, as large as keeps the mantissa whole.
  let mantissa = magnitude;
  let exponent = -9;
  while (exponent < 18 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  if (quantity.format === "decimal-exponent") {
    return exponent === 0 ? `${sign}${mantissa}` : `${sign}${mantissa}e${exponent}`;
  }
  return `${sign}${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) ?? ""}`;
}

/** Returns the canonical form of a quantity, or undefined when the text is not a quantity. */
export function canonicalQuantity(text: string): string | undefined {
  const result = parseQuantity(text);
  return result.ok ? formatQuantity(result.quantity) : undefined;
}
