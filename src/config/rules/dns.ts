import { DNS1123_LABEL, NAME_LIMITS } from "../../model/names.js";
import type { DiagnosticSource, FieldPath } from "../field-path.js";
import { YAML11_BOOLEAN_WORDS } from "../yaml11.js";

/** Returns what is wrong with a DNS-1123 label, or undefined when it is valid. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > NAME_LIMITS.kubernetesLabel) {
    return `has ${name.length} characters (limit ${NAME_LIMITS.kubernetesLabel})`;
  }
  if (!DNS1123_LABEL.test(name)) {
    return "is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)";
  }
  return undefined;
}

/** Suggests a DNS-1123 label close to `name`: lower-cased, other characters turned into '-'. */
export function suggestDnsLabel(name: string): string | undefined {
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, NAME_LIMITS.kubernetesLabel)
    .replace(/-+$/, "");
  return suggestion.length > 0 && suggestion !== name ? suggestion : undefined;
}

/**
 * Returns the fix for an invalid DNS-1123 label: a close valid label when there is one, else
 * `fallback`, else the rule for writing one. A suggestion that is a YAML 1.1 boolean word
 * (`Yes` gives `yes`) gets the advice to quote it, because the next check warns `yaml11-boolean`
 * on it unquoted. Set `quoted` when the value is quoted already, or when the editor writes it,
 * since the editor quotes such words.
 */
export function dnsLabelFix(name: string, fallback?: string, quoted = false): string {
  const suggestion = suggestDnsLabel(name);
  if (suggestion && !quoted && YAML11_BOOLEAN_WORDS.test(suggestion)) {
    return `write "${suggestion}" with its quotes, since YAML 1.1 tools read an unquoted ${suggestion} as a boolean`;
  }
  if (suggestion) return `use "${suggestion}"`;
  return (
    fallback ?? "write 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
  );
}

/**
 * Returns true when the scalar at `path` is written in quotes. Without the source text (the
 * fast path of loading) it returns false, so the fix includes the advice to quote, which is never wrong.
 */
export function writtenQuoted(source: DiagnosticSource, path: FieldPath): boolean {
  const written = source.sourceTextOf(path);
  return written !== undefined && /^["']/.test(written);
}
