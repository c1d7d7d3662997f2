/**
 * Diagnostics: the one shape every check reports in. Codes are stable; tests
 * assert codes and positions, so the wording of messages can improve freely.
 */

export type Severity = "error" | "warning";

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  /** Path of the file as given to the loader (usually relative to the repo root). */
  file: string;
  /** 1-based; 0 when the problem has no position (a missing file, say). */
  line: number;
  /** 1-based; 0 when the problem has no position. */
  column: number;
  /** Field path such as `users.users[3].email`; empty for the whole file. */
  path: string;
  /** The problem, the bad value quoted, and how to fix it. */
  message: string;
  /**
   * Other files that `message` names, written as `file` is. Text output shows them as it shows
   * `file`, relative to the current folder; JSON output keeps the message as it is.
   */
  mentionedFiles?: string[];
  /**
   * Set on a diagnostic without a position whose position is its key's rather than its
   * value's, so that the fast path of loading can locate it in the text later.
   */
  atKey?: true;
}

export const DIAGNOSTIC_CODES = [
  // YAML syntax and schema
  "yaml-syntax",
  "merge-conflict",
  "yaml-duplicate-key",
  "yaml-tab-indent",
  "yaml-version",
  "yaml-merge-key",
  "yaml-alias-key",
  "yaml-tag",
  "yaml-alias-limit",
  "yaml-not-mapping",
  "yaml11-boolean",
  "wrong-type",
  "unknown-key",
  "missing-key",
  "invalid-value",
  "deprecated-key",
  "conflicting-keys",
  // deployment identity
  "file-name-mismatch",
  "invalid-dns-label",
  // emails
  "invalid-email",
  "duplicate-email",
  "duplicate-email-case",
  "duplicate-email-unicode",
  "profile-owner-user",
  "email-uppercase",
  "email-uppercase-lowercased-idp",
  "email-not-nfc",
  "email-has-userid-prefix",
  "email-idp-prefix",
  // usernames and namespaces
  "duplicate-username",
  "username-is-namespace",
  "username-pattern",
  "username-convention",
  "reserved-namespace",
  "duplicate-namespace",
  // roles and grants
  "empty-roles",
  "invalid-role",
  "duplicate-role",
  "unknown-namespace",
  "duplicate-grant",
  "invalid-access",
  // derived names
  "name-too-long",
  "invalid-derived-name",
  "binding-name-collision",
  // quotas
  "invalid-quota-key",
  "invalid-quantity",
  "invalid-label",
  // Istio AuthorizationPolicy inputs
  "invalid-gateway-principal",
  "invalid-header-name",
  "iap-userid-prefix",
  // cloud
  "invalid-account-id",
  "invalid-arn",
  "invalid-project-id",
  "invalid-gcp-role",
  "invalid-oidc-provider",
  "missing-cloud-settings",
  "duplicate-cloud-identity",
  "unused-cloud-settings",
  // identity provider (cake validate --idp-users)
  "idp-unknown-email",
  "idp-email-case",
  // emails across the deployments of a repo (cake validate)
  "email-case-across-deployments",
  // gitops
  "missing-repo-url",
  "invalid-repo-url",
  "duplicate-destination",
  "invalid-destination-server",
  "duplicate-app-name",
  "applicationset-name-too-long",
  // repository layout (cake.yaml)
  "repo-path-mismatch",
  // files
  "file-not-found",
  "file-unreadable",
] as const;

export type DiagnosticCode = (typeof DIAGNOSTIC_CODES)[number];

/** Returns an error about a whole vars file that could not be read, so it has no position. */
export function fileError(
  code: "file-not-found" | "file-unreadable",
  file: string,
  message: string,
): Diagnostic {
  return { severity: "error", code, file, line: 0, column: 0, path: "", message };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === "error");
}

/**
 * Appends `items` in a loop: `push(...items)` passes every item as an argument, and a damaged
 * file with 100k+ diagnostics overflows the call stack.
 */
export function appendDiagnostics(target: Diagnostic[], items: readonly Diagnostic[]): void {
  for (const item of items) target.push(item);
}

/** Sorts diagnostics by file, line, column and code, so output is stable. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code),
  );
}
