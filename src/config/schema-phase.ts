/**
 * The schema phase of loading: checks structure and types with zod and turns each
 * issue into a diagnostic with a stable code, the value as written, and a fix.
 */
import { type core, z } from "zod";
import type { Diagnostic, DiagnosticCode } from "./diagnostics.js";
import { type DiagnosticSource, type FieldPath, formatPath, type Position } from "./field-path.js";
import { QUANTITY_SPELLING, quantityProblem } from "./rules/resource-quota.js";
import { type VarsInput, varsSchema } from "./schema.js";
import { likelyChoice, nearest } from "./suggest.js";

export function checkSchema(
  source: DiagnosticSource,
  data: unknown,
): { vars?: VarsInput; diagnostics: Diagnostic[] } {
  const result = varsSchema.safeParse(data);
  if (result.success) return { vars: result.data, diagnostics: [] };

  const issues = flattenIssues(result.error.issues);
  // A misspelled key (`regoin`) leaves the key it stands for missing. The unknown key's error
  // names the fix ("did you mean"), so the missing key is not reported a second time.
  const misspelled = new Set(
    issues.flatMap((issue) => {
      if (issue.code !== "unrecognized_keys") return [];
      const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
      const known = knownKeysAt(path);
      return issue.keys.flatMap((key) => {
        const suggestion = nearest(key, known);
        return suggestion === undefined ? [] : [formatPath([...path, suggestion])];
      });
    }),
  );
  const diagnostics = issues
    .flatMap((issue) => issueDiagnostics(source, data, issue))
    .filter(
      (diagnostic) =>
        (diagnostic.code !== "missing-key" && diagnostic.code !== "missing-repo-url") ||
        !misspelled.has(diagnostic.path),
    );
  return { diagnostics };
}

type Issue = core.$ZodIssue;

/** Replaces union issues by the issues of the branch that matches the value's shape. */
function flattenIssues(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== "invalid_union" || issue.errors.length === 0) return [issue];

    // A branch whose only complaint is the type of the whole value is the wrong branch.
    const matching = issue.errors.filter(
      (branch) => !(branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0),
    );
    if (matching.length !== 1 || !matching[0]) return [issue];
    const nested = matching[0].map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as Issue);
    return flattenIssues(nested);
  });
}

function issueDiagnostics(source: DiagnosticSource, data: unknown, issue: Issue): Diagnostic[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  const value = valueAt(data, path);

  switch (issue.code) {
    case "unrecognized_keys":
      // Merge keys are reported by the YAML phase; a second diagnostic would only repeat it.
      return issue.keys.filter((key) => key !== "<<").map((key) => unknownKey(source, path, key));
    case "invalid_type":
      return [
        value === undefined ? missingKey(source, data, path) : wrongType(source, path, issue.expected, value),
      ];
    case "invalid_value":
      return [invalidChoice(source, path, value, issue.values)];
    case "too_small":
      if (path.at(-1) === "roles") {
        return [
          source.diagnostic(
            "error",
            "empty-roles",
            path,
            "is empty; give the user cake-user, cake-admin or both",
          ),
        ];
      }
      break;
    case "invalid_union": {
      const expected = issue.errors.flatMap((branch) =>
        branch[0]?.code === "invalid_type" && branch[0].path.length === 0
          ? [typeNoun(branch[0].expected)]
          : [],
      );
      if (expected.includes("a number") && typeof value === "number" && !Number.isFinite(value))
        return [nonFiniteQuantity(source, path, value)];
      const noun = expected.length > 0 ? expected.join(" or ") : "a valid value";
      const fix = unionFix(source, path, expected, value);
      return [
        source.diagnostic(
          "error",
          "wrong-type",
          path,
          `must be ${noun} (got ${describeValue(source, path, value)})${fix ? `; ${fix}` : ""}`,
        ),
      ];
    }
    default:
      break;
  }
  return [source.diagnostic("error", "invalid-value", path, `${issue.message}`)];
}

/**
 * Reports a quantity that YAML reads as a number but JavaScript cannot hold (`9E990` loads as
 * Infinity, `.nan` as NaN). zod rejects such a number, so this is the one error for the value,
 * named as written. The fix does not suggest quotes, because the quoted text is no quantity either.
 */
function nonFiniteQuantity(source: DiagnosticSource, path: FieldPath, value: number): Diagnostic {
  const written = source.sourceTextOf(path) ?? String(value);
  return source.diagnostic(
    "error",
    "invalid-quantity",
    path,
    `${written} ${quantityProblem(written) ?? `is not a Kubernetes quantity; ${QUANTITY_SPELLING}`}`,
  );
}

function unknownKey(source: DiagnosticSource, path: FieldPath, key: string): Diagnostic {
  const known = knownKeysAt(path);
  const suggestion = nearest(key, known);
  const hint = suggestion ? `did you mean "${suggestion}"?` : `known keys: ${known.join(", ")}`;
  const where = path.length === 0 ? "at the top level" : `in ${formatPath(path)}`;
  return source.diagnostic("error", "unknown-key", [...path, key], `unknown key "${key}" ${where}; ${hint}`, {
    key: true,
  });
}

function missingKey(source: DiagnosticSource, data: unknown, path: FieldPath): Diagnostic {
  const key = String(path.at(-1));
  const parent = path.slice(0, -1);
  const where = parent.length === 0 ? "at the top level" : `in ${describeParent(data, parent)}`;
  const code: DiagnosticCode =
    formatPath(path) === "gitops.repo_url" || formatPath(path) === "gitops"
      ? "missing-repo-url"
      : "missing-key";
  const reason =
    code === "missing-repo-url" ? " (the Argo CD Application that syncs the output needs it)" : "";
  const owner = parent.at(-1);
  const place =
    parent.length === 0
      ? "at the top level"
      : typeof owner === "string"
        ? `under ${owner}:`
        : "to this entry";
  const fix = `add a line ${key}: <value> ${place}`;
  return source.diagnostic(
    "error",
    code,
    path,
    `required key "${key}" is missing ${where}${reason}; ${fix}`,
    {
      position: missingKeyPosition(source, parent),
    },
  );
}

/**
 * Returns where a key missing from the mapping at `parent` belongs: the parent's own key
 * (`aws:` for a key of `cloud.aws`), or the first key of a list entry, on the line of its `-`.
 * The first key inside a parent that is a key's value would point at a line that is right.
 */
function missingKeyPosition(source: DiagnosticSource, parent: FieldPath): Position {
  if (typeof parent.at(-1) === "string") return source.positionOf(parent, { key: true });
  return source.positionOf(parent);
}

/** Names the mapping at `path`, with the user's username or email for a user entry, which an index alone does not show. */
function describeParent(data: unknown, path: FieldPath): string {
  const formatted = formatPath(path);
  if (path.length !== 3 || path[0] !== "users" || path[1] !== "users") return formatted;
  const entry = valueAt(data, path);
  if (typeof entry !== "object" || entry === null) return formatted;
  const { username, email } = entry as { username?: unknown; email?: unknown };
  if (typeof username === "string") return `${formatted} (username ${username})`;
  if (typeof email === "string") return `${formatted} (email ${email})`;
  return formatted;
}

function wrongType(source: DiagnosticSource, path: FieldPath, expected: string, value: unknown): Diagnostic {
  const got = describeValue(source, path, value);
  const written = source.sourceTextOf(path) ?? (isPrimitive(value) ? String(value) : "");

  if (expected === "string" && (typeof value === "number" || typeof value === "boolean" || value === null)) {
    // An empty value or `~` is a missing value, not a word meant literally.
    const fix =
      value === null && (written === "" || written === "~") ? "write a value" : `quote it: "${written}"`;
    return source.diagnostic("error", "wrong-type", path, `must be a string (got ${got}); ${fix}`);
  }
  if (expected === "boolean") {
    return source.diagnostic(
      "error",
      "wrong-type",
      path,
      `must be true or false (got ${got}); ${booleanFix(value)}`,
    );
  }
  const fix = typeFix(path, expected, value, written);
  return source.diagnostic(
    "error",
    "wrong-type",
    path,
    `must be ${typeNoun(expected)} (got ${got})${fix ? `; ${fix}` : ""}`,
  );
}

/** Words that mean yes or no, as YAML 1.1 tools and people write them. */
const TRUE_WORDS = /^(true|yes|y|on|1)$/i;
const FALSE_WORDS = /^(false|no|n|off|0)$/i;

/** Returns the fix for a value where a boolean belongs: YAML 1.2 reads only true and false as booleans. */
function booleanFix(value: unknown): string {
  const text = typeof value === "string" || typeof value === "number" ? String(value).trim() : "";
  if (TRUE_WORDS.test(text)) return "write true, without quotes";
  if (FALSE_WORDS.test(text)) return "write false, without quotes";
  return "write true or false, without quotes";
}

/**
 * Returns how to write a value of the expected type in place of `value`, or undefined when no
 * fix applies. `written` is the value's source text, when it is a scalar.
 */
function typeFix(path: FieldPath, expected: string, value: unknown, written: string): string | undefined {
  const key = path.at(-1);
  if (expected === "array") {
    // Each user is a mapping, so a scalar in brackets would only move the error one level down.
    if (path.join(".") === "users.users") {
      return "write a list of user entries, each starting with '- email: ' and with its username, roles and allowed_namespaces below it";
    }
    if (isPrimitive(value) && value !== null && typeof key === "string") {
      return `write it as a list: ${key}: [${written}]`;
    }
    return "write a list, one item per line starting with '- ', or [item, item]";
  }
  if (expected === "object") {
    const keys = knownKeysAt(path, { deprecated: false });
    const shape = Array.isArray(value) ? "without '- ' before the keys" : "indented below it";
    return keys.length > 0
      ? `write a mapping of keys ${shape}; its keys are ${keys.join(", ")}`
      : `write a mapping of key: value lines ${shape}`;
  }
  if (expected === "string" && Array.isArray(value)) {
    const only = value.length === 1 ? value[0] : undefined;
    return isPrimitive(only) && only !== null && only !== undefined && typeof key === "string"
      ? `write a single value: ${key}: ${String(only)}`
      : "write a single value";
  }
  // Binary data is a mapping only to JavaScript; describeValue names its fix.
  if (expected === "string" && !(value instanceof Uint8Array)) return "write a single value, not a mapping";
  return undefined;
}

/** Returns how to write a value that matches none of a union's types, or undefined. */
function unionFix(
  source: DiagnosticSource,
  path: FieldPath,
  expectedNouns: readonly string[],
  value: unknown,
): string | undefined {
  const written = source.sourceTextOf(path) ?? (isPrimitive(value) ? String(value) : "");
  // The only union with a number is a Kubernetes quantity.
  if (expectedNouns.includes("a number")) return 'write a quantity, such as 4, "500m" or "16Gi"';
  if (
    expectedNouns.includes("a string") &&
    (typeof value === "boolean" || typeof value === "number" || value === null)
  ) {
    return value === null && (written === "" || written === "~") ? "write a value" : `quote it: "${written}"`;
  }
  if (Array.isArray(value)) return "write a single value, not a list";
  return undefined;
}

function typeNoun(expected: string): string {
  if (expected === "array") return "a list";
  // zod names a map with free keys (`namespace_labels`) a record.
  if (expected === "object" || expected === "record") return "a mapping";
  return `a ${expected}`;
}

function invalidChoice(
  source: DiagnosticSource,
  path: FieldPath,
  value: unknown,
  values: readonly unknown[],
): Diagnostic {
  const choices = values.map(String);
  const quotedValue = typeof value === "string" ? `"${value}"` : describeValue(source, path, value);
  const code = choiceCode(path);
  // A near miss such as `Cake-Admin` or `cake_user` gets the value it most likely means.
  const suggestion = typeof value === "string" ? likelyChoice(value, choices) : undefined;
  const hint = suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
  return source.diagnostic(
    "error",
    code,
    path,
    `${quotedValue} must be one of: ${choices.join(", ")}${hint}`,
  );
}

function choiceCode(path: FieldPath): DiagnosticCode {
  if (path.at(-2) === "roles") return "invalid-role";
  if (path.at(-1) === "access") return "invalid-access";
  return "invalid-value";
}

/** Describes a value with its type and source text: `number 007`, `boolean true`, `null`. */
function describeValue(source: DiagnosticSource, path: FieldPath, value: unknown): string {
  const written = source.sourceTextOf(path);
  if (value === null) return written ? "null" : "an empty value";
  if (Array.isArray(value)) return "a list";
  // The yaml package reads a `!!binary` value as bytes.
  if (value instanceof Uint8Array) return "binary data (a !!binary tag; remove the tag)";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `string "${value}"`;
  return `${typeof value} ${written ?? String(value)}`;
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== "object" && typeof value !== "function");
}

export function valueAt(data: unknown, path: FieldPath): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

/**
 * Returns the keys the schema defines for the mapping at `path`, for "did you mean" hints.
 * With `deprecated` false, keys marked deprecated (`users.deployments`) are left out.
 */
export function knownKeysAt(path: FieldPath, { deprecated = true } = {}): string[] {
  let schemas: z.ZodType[] = [varsSchema];
  for (const segment of path) {
    schemas = schemas.flatMap((schema) => {
      const inner = unwrap(schema);
      if (inner instanceof z.ZodObject && typeof segment === "string") {
        const shape = inner.shape as Record<string, z.ZodType>;
        return Object.hasOwn(shape, segment) && shape[segment] ? [shape[segment]] : [];
      }
      if (inner instanceof z.ZodArray && typeof segment === "number") return [inner.element as z.ZodType];
      return [];
    });
  }
  const keys = schemas.flatMap((schema) => {
    const inner = unwrap(schema);
    if (!(inner instanceof z.ZodObject)) return [];
    const shape = inner.shape as Record<string, z.ZodType>;
    return Object.keys(shape).filter(
      (key) => deprecated || z.globalRegistry.get(shape[key] as z.ZodType)?.deprecated !== true,
    );
  });
  return [...new Set(keys)];
}

/** Strips optional/default wrappers and picks the object branch of a union. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodUnion) {
      const object = (current.options as z.ZodType[]).find((option) => option instanceof z.ZodObject);
      if (!object) return current;
      current = object;
    } else {
      return current;
    }
  }
}
