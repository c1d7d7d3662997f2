/**
 * ResourceQuota keys and quantities, and the LimitRange defaults. Quantities are checked
 * with the parser that also produces the canonical form written to the output.
 */
import { MAX_QUANTITY_EXPONENT, parseQuantity, type QuantityResult } from "../../model/quantity.js";
import type { Diagnostic } from "../diagnostics.js";
import type { DiagnosticSource, FieldPath } from "../field-path.js";
import { DEFAULT_CONTAINER_RESOURCES } from "../schema.js";
import { nearest } from "../suggest.js";
import type { Rule } from "./context.js";

/** Resource names a ResourceQuota accepts without a domain (Kubernetes docs, "Resource Quotas"). */
const STANDARD_QUOTA_NAMES = [
  "cpu",
  "memory",
  "ephemeral-storage",
  "pods",
  "services",
  "services.loadbalancers",
  "services.nodeports",
  "secrets",
  "configmaps",
  "persistentvolumeclaims",
  "replicationcontrollers",
  "resourcequotas",
  "requests.cpu",
  "requests.memory",
  "requests.storage",
  "requests.ephemeral-storage",
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
];

const DNS_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const QUOTA_NAME_PATTERNS = [
  // Huge pages: hugepages-2Mi, requests.hugepages-1Gi.
  /^(requests\.)?hugepages-[0-9]+(Ki|Mi|Gi|Ti|Pi|Ei)?$/,
  // Object counts: count/<resource> or count/<resource>.<group>.
  new RegExp(`^count/${DNS_SUBDOMAIN}$`),
  // Per storage class: <class>.storageclass.storage.k8s.io/requests.storage or /persistentvolumeclaims.
  new RegExp(
    `^${DNS_SUBDOMAIN}\\.storageclass\\.storage\\.k8s\\.io/(requests\\.storage|persistentvolumeclaims)$`,
  ),
  // Extended resources: only the requests. prefix is allowed, because they cannot be overcommitted.
  new RegExp(`^requests\\.${DNS_SUBDOMAIN}\\.[a-z]+/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`),
];

export function isQuotaResourceName(key: string): boolean {
  return STANDARD_QUOTA_NAMES.includes(key) || QUOTA_NAME_PATTERNS.some((pattern) => pattern.test(key));
}

/** Returns what is wrong with a ResourceQuota key and how to fix it, or undefined when it is valid. */
export function quotaKeyProblem(key: string): string | undefined {
  if (isQuotaResourceName(key)) return undefined;
  return `is not a ResourceQuota resource name; ${quotaKeyFix(key)}`;
}

function quotaKeyFix(key: string): string {
  if (/^limits\.[^/]+\/.+$/.test(key)) {
    return `use "requests.${key.slice("limits.".length)}" (extended resources are quota'd by requests only)`;
  }
  if (/^[^/.]+\.[^/]+\/[^/]+$/.test(key) && !key.startsWith("requests.")) {
    return `use "requests.${key}" for an extended resource`;
  }
  const suggestion = nearest(key, STANDARD_QUOTA_NAMES);
  return suggestion
    ? `did you mean "${suggestion}"?`
    : "use a ResourceQuota resource name such as requests.cpu, limits.memory, pods, count/<resource> or requests.<domain>/<resource>";
}

/** How to write a quantity, for the fix part of a message. */
export const QUANTITY_SPELLING =
  'write a number with an optional suffix (m, k, M, G, Ki, Mi, Gi, ...), such as "500m" or "16Gi"';

/**
 * Returns a diagnostic when `value` is not a non-negative Kubernetes quantity. A YAML number
 * that loads as Infinity or NaN (`9E990`, `.inf`, `.nan`) gets none here, because the schema
 * phase already reports it with the value as written.
 */
export function quantityDiagnostic(
  source: DiagnosticSource,
  path: FieldPath,
  value: string | number,
): Diagnostic | undefined {
  if (typeof value === "number" && !Number.isFinite(value)) return undefined;

  const radix = typeof value === "number" ? radixNumberProblem(source.sourceTextOf(path)) : undefined;
  if (radix !== undefined) return source.diagnostic("error", "invalid-quantity", path, radix);

  // A YAML integer past 2^53 is rounded when loaded (12345678901234567890 becomes
  // 12345678901234567000), and the rounded value would be written without a word.
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    const written = source.sourceTextOf(path) ?? String(value);
    return source.diagnostic(
      "error",
      "invalid-quantity",
      path,
      `${written} is too large for a YAML number to hold exactly; quote it: "${written}"`,
    );
  }
  const text = String(value);
  const written = typeof value === "number" ? source.sourceTextOf(path) : undefined;
  if (written !== undefined && written !== text && changedByLoading(written, parseQuantity(text))) {
    // What was written is no quantity either (`1e-400`), so the number it loads as does not matter.
    const writtenProblem = quantityProblem(written);
    const message =
      writtenProblem === undefined
        ? `${written} loads from YAML as the number ${text}, a different quantity; quote it: "${written}"`
        : `${written} ${writtenProblem}`;
    return source.diagnostic("error", "invalid-quantity", path, message);
  }
  const problem = quantityProblem(text);
  return problem === undefined
    ? undefined
    : source.diagnostic("error", "invalid-quantity", path, `"${text}" ${problem}`);
}

/** A YAML 1.2 core schema integer in base 16 or 8 (`0x10`, `0o10`), which loads as a number. */
const RADIX_NUMBER = /^0(x[0-9a-fA-F]+|o[0-7]+)$/;

/**
 * Returns the problem of a quantity written as a hexadecimal or octal number, or undefined for
 * any other text. YAML loads `0x10` as 16, but Kubernetes reads quantities in decimal only and
 * rejects the text "0x10", so the value written and the value generated would differ unseen.
 */
function radixNumberProblem(written: string | undefined): string | undefined {
  if (written === undefined || !RADIX_NUMBER.test(written)) return undefined;
  const base = written[1] === "x" ? "a hexadecimal" : "an octal";
  // BigInt reads both prefixes exactly, also past 2^53, where the number must be quoted to load exactly.
  const decimal = BigInt(written);
  const fix = decimal <= BigInt(Number.MAX_SAFE_INTEGER) ? `${decimal}` : `"${decimal}"`;
  return `${written} is ${base} number (${decimal}), but a Kubernetes quantity is decimal only; write ${fix}`;
}

/** Returns what is wrong with a quota or default quantity and how to fix it, or undefined when it is valid. */
export function quantityProblem(text: string): string | undefined {
  const parsed = parseQuantity(text);
  if (parsed.ok && parsed.quantity.nanos >= 0n) return undefined;
  if (parsed.ok) return "is negative; quotas and defaults must be 0 or more";
  const range = exponentRangeProblem(text);
  if (range !== undefined) return range;
  const fix = parsed.suggestion ? `did you mean ${parsed.suggestion}?` : QUANTITY_SPELLING;
  return `is not a Kubernetes quantity; ${fix}`;
}

/** A decimal number with an exponent, such as `1e-400`, which YAML reads as a number. */
const EXPONENT_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)[eE]([+-]?\d+)$/;

/**
 * Returns what is wrong with a number whose exponent is outside what a quantity may have
 * (`9E990`, `1e-400`), with a value that would be accepted, or undefined for any other text.
 */
function exponentRangeProblem(text: string): string | undefined {
  const match = EXPONENT_NUMBER.exec(text);
  if (match === null) return undefined;
  const exponent = Number(match[2]);
  if (Math.abs(exponent) <= MAX_QUANTITY_EXPONENT) return undefined;

  const range = `its exponent ${match[2]} is outside the range a quantity can hold (-${MAX_QUANTITY_EXPONENT} to ${MAX_QUANTITY_EXPONENT})`;
  if (exponent > 0) {
    return `is out of range: ${range}; write a smaller value, such as "${match[1]}e${MAX_QUANTITY_EXPONENT}" at most`;
  }
  // Kubernetes rounds a quantity up to whole nanounits (10^-9), so 1n is the smallest above 0.
  return `is out of range: ${range}, and a quantity holds nothing finer than 1n (10^-9); write 0, or 1n for the smallest amount above 0`;
}

/**
 * Returns true when the number YAML loaded, `loaded` parsed, is another quantity than the
 * text `written`. A JavaScript number has about 17 significant digits, between 1e-323 and 1e308, so
 * `1e-400` loads as 0 and `1.0000000000000000001` as 1. A written exponent beyond what a
 * quantity allows is no quantity, but its loaded value can be one.
 */
function changedByLoading(written: string, loaded: QuantityResult): boolean {
  const exact = parseQuantity(written);
  if (exact.ok) return !loaded.ok || exact.quantity.nanos !== loaded.quantity.nanos;
  return EXPONENT_NUMBER.test(written) && loaded.ok;
}

export const resourceQuotaRule: Rule = {
  name: "resource-quota",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    for (const entry of view.deployNamespaces) {
      for (const [key, value] of Object.entries(entry.value.resourceQuota)) {
        const path = [...entry.path, "resource_quota", key];
        const keyProblem = quotaKeyProblem(key);
        if (keyProblem) {
          diagnostics.push(
            source.diagnostic("error", "invalid-quota-key", path, `"${key}" ${keyProblem}`, { key: true }),
          );
        }
        const invalid = quantityDiagnostic(source, path, value);
        if (invalid) diagnostics.push(invalid);
      }
    }
    return diagnostics;
  },
};

export const containerDefaultsRule: Rule = {
  name: "default-container-resources",
  check({ source, view }) {
    const resources = view.kubeflow.defaultContainerResources;
    const diagnostics: Diagnostic[] = [];
    for (const kind of ["requests", "limits"] as const) {
      for (const [resource, value] of Object.entries(resources[kind])) {
        const invalid = quantityDiagnostic(
          source,
          ["kubeflow", "default_container_resources", kind, resource],
          value,
        );
        if (invalid) diagnostics.push(invalid);
      }
    }
    if (diagnostics.length === 0) diagnostics.push(...requestAboveLimit(source, resources));
    return diagnostics;
  },
};

/**
 * Reports a default request above the default limit for the same resource, with the built-in
 * defaults filled in: the API server rejects such a LimitRange, so the sync would fail.
 */
function requestAboveLimit(
  source: DiagnosticSource,
  resources: { requests: Record<string, string | number>; limits: Record<string, string | number> },
): Diagnostic[] {
  const requests = { ...DEFAULT_CONTAINER_RESOURCES.requests, ...resources.requests };
  const limits = { ...DEFAULT_CONTAINER_RESOURCES.limits, ...resources.limits };
  const diagnostics: Diagnostic[] = [];
  for (const [resource, request] of Object.entries(requests)) {
    const limit = limits[resource as keyof typeof limits];
    if (limit === undefined) continue;
    const parsedRequest = parseQuantity(String(request));
    const parsedLimit = parseQuantity(String(limit));
    if (!parsedRequest.ok || !parsedLimit.ok || parsedRequest.quantity.nanos <= parsedLimit.quantity.nanos)
      continue;

    const fromFile = resource in resources.requests ? "requests" : "limits";
    diagnostics.push(
      source.diagnostic(
        "error",
        "invalid-quantity",
        ["kubeflow", "default_container_resources", fromFile, resource],
        `the default ${resource} request ${JSON.stringify(String(request))} is above the default ${resource} limit ` +
          `${JSON.stringify(String(limit))}, and the API server rejects such a LimitRange; ` +
          `raise limits.${resource} or lower requests.${resource}`,
      ),
    );
  }
  return diagnostics;
}
