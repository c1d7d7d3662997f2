/**
 * Identity checks beyond the vars file itself: usernames against the team's
 * convention or `identity.username_pattern`, emails against the identity
 * provider's users, and emails against those of the other deployments.
 */
import { type Document, isMap, isScalar, isSeq, parseDocument } from "yaml";
import {
  appendDiagnostics,
  type Diagnostic,
  type DiagnosticCode,
  type Severity,
} from "../config/diagnostics.js";
import { EDIT_PARSE_OPTIONS } from "../edit/document.js";
import { SourceLines } from "../edit/text.js";
import type { Deployment, User } from "../model/types.js";
import { compileUsernamePattern, emailParts, inferConvention, mismatchedGroups } from "./convention.js";

export interface IdentityCheckOptions {
  /** Emails of the identity provider's users; without it, emails are not checked. */
  idpUsers?: readonly string[];
  /** Name of the IdP users file, for messages. */
  idpSource?: string;
  /** Source text of the vars file, for line and column; without it they are 0. */
  text?: string;
}

/**
 * Locates `users.users[i]` of a user in the document by exact email. The document is parsed
 * on the first diagnostic only: most files have none, and parsing a 10k-user file for
 * positions took 0.7 of the 1.7 seconds of `cake validate`.
 */
class UserLocator {
  private readonly indexes = new Map<string, number>();
  private readonly offsets = new Map<string, { email?: number; username?: number }>();
  private readonly lines: SourceLines | undefined;
  private documentOf: (() => Document) | undefined;

  constructor(documentOf: () => Document, text: string | undefined) {
    this.documentOf = documentOf;
    this.lines = text === undefined ? undefined : new SourceLines(text);
  }

  private locate(): void {
    if (this.documentOf === undefined) return;
    const document = this.documentOf();
    this.documentOf = undefined;
    const root = document.contents;
    const users = isMap(root) ? root.get("users", true) : undefined;
    const list = isMap(users) ? users.get("users", true) : undefined;
    if (!isSeq(list)) return;
    list.items.forEach((item, index) => {
      if (!isMap(item)) return;
      const email = item.get("email", true);
      const username = item.get("username", true);
      if (!isScalar(email) || typeof email.value !== "string") return;
      if (this.indexes.has(email.value)) return;
      this.indexes.set(email.value, index);
      this.offsets.set(email.value, {
        email: email.range?.[0],
        ...(isScalar(username) ? { username: username.range?.[0] } : {}),
      });
    });
  }

  diagnostic(
    deployment: Deployment,
    user: User,
    field: "email" | "username",
    severity: Severity,
    code: DiagnosticCode,
    message: string,
  ): Diagnostic {
    this.locate();
    const index = this.indexes.get(user.email);
    const offset = this.offsets.get(user.email)?.[field];
    const position =
      offset !== undefined && this.lines
        ? { line: this.lines.lineOf(offset) + 1, column: this.lines.columnOf(offset) + 1 }
        : { line: 0, column: 0 };
    return {
      severity,
      code,
      file: deployment.varsFile,
      ...position,
      path: index === undefined ? "users.users" : `users.users[${index}].${field}`,
      message,
    };
  }
}

/**
 * Checks usernames against the named groups of `identity.username_pattern`, or without
 * a pattern against the convention most usernames follow. With `idpUsers`, it also
 * checks every active user's email against the identity provider's users.
 */
export function checkIdentity(
  deployment: Deployment,
  document: Document | (() => Document),
  options: IdentityCheckOptions = {},
): Diagnostic[] {
  const locator = new UserLocator(typeof document === "function" ? document : () => document, options.text);
  return checkLocatedIdentity(deployment, locator, options);
}

function checkLocatedIdentity(
  deployment: Deployment,
  locator: UserLocator,
  options: IdentityCheckOptions,
): Diagnostic[] {
  const diagnostics = [...checkUsernames(deployment, locator)];
  if (options.idpUsers)
    appendDiagnostics(diagnostics, checkIdpEmails(deployment, locator, options.idpUsers, options.idpSource));
  return diagnostics;
}

function checkUsernames(deployment: Deployment, locator: UserLocator): Diagnostic[] {
  const pattern = compileUsernamePattern(deployment.identity.usernamePattern);
  if (pattern) {
    return deployment.users.flatMap((user) =>
      mismatchedGroups(pattern, user.email, user.username).map((mismatch) =>
        locator.diagnostic(
          deployment,
          user,
          "username",
          "warning",
          "username-pattern",
          `"${user.username}" matches identity.username_pattern, but its group "${mismatch.group}" is ` +
            `"${mismatch.captured}" where the email ${user.email} gives "${mismatch.expected}"; check the username`,
        ),
      ),
    );
  }

  const inferred = inferConvention(deployment.users);
  if (!inferred) return [];
  const { convention, followers, total } = inferred;
  return deployment.users.flatMap((user) => {
    const expected = convention.derive(emailParts(user.email));
    if (expected === undefined || expected === user.username) return [];
    return [
      locator.diagnostic(
        deployment,
        user,
        "username",
        "warning",
        "username-convention",
        `"${user.username}" departs from the convention ${followers} of ${total} usernames follow ` +
          `(${convention.description}), which gives "${expected}"; keep it if intended (renaming replaces the ` +
          "user's profile), or set identity.username_pattern to state the convention",
      ),
    ];
  });
}

/**
 * Reports active users whose email the identity provider does not send. Disabled
 * users are skipped: they get no bindings, and people who left are often gone from the IdP.
 */
function checkIdpEmails(
  deployment: Deployment,
  locator: UserLocator,
  idpUsers: readonly string[],
  source = "the IdP users file",
): Diagnostic[] {
  const exact = new Set(idpUsers);
  const byLowerCase = new Map<string, string>();
  for (const email of idpUsers)
    if (!byLowerCase.has(email.toLowerCase())) byLowerCase.set(email.toLowerCase(), email);

  // With identity.lowercase_emails, the IdP sends every email in lower case, whatever the case
  // in its user list, so the list matches case-insensitively.
  const lowercased = deployment.identity.lowercaseEmails;
  return deployment.users.flatMap((user) => {
    if (user.disabled || exact.has(user.email)) return [];
    const caseVariant = byLowerCase.get(user.email.toLowerCase());
    if (caseVariant !== undefined && lowercased) return [];
    if (caseVariant !== undefined) {
      return [
        locator.diagnostic(
          deployment,
          user,
          "email",
          "error",
          "idp-email-case",
          `"${user.email}" matches no IdP user, but the IdP has "${caseVariant}", which differs only in case; ` +
            `bindings compare emails exactly, so write "${caseVariant}" and reconcile with ` +
            `--allow-profile-handover=${deployment.name}/${user.username}, since the new spelling is a new identity`,
        ),
      ];
    }
    return [
      locator.diagnostic(
        deployment,
        user,
        "email",
        "warning",
        "idp-unknown-email",
        `"${user.email}" matches no user in ${source}; check the spelling, or disable the user if they left`,
      ),
    ];
  });
}

/**
 * Runs `checkIdentity` over every loaded deployment, and compares the emails of each with the
 * others'. A vars text is parsed again for positions when it has a diagnostic (the repo loader
 * keeps the texts, not the documents).
 */
export function checkRepoIdentity(
  loaded: { deployments: readonly Deployment[]; sources: Readonly<Record<string, string>> },
  options: Pick<IdentityCheckOptions, "idpUsers" | "idpSource"> = {},
): Diagnostic[] {
  const located = loaded.deployments.flatMap((deployment) => {
    const text = loaded.sources[deployment.varsFile];
    if (text === undefined) return [];
    const locator = new UserLocator(() => parseDocument(text, EDIT_PARSE_OPTIONS), text);
    return [{ deployment, locator }];
  });
  const diagnostics = located.flatMap(({ deployment, locator }) =>
    checkLocatedIdentity(deployment, locator, options),
  );
  appendDiagnostics(diagnostics, checkEmailCaseAcross(located));
  return diagnostics;
}

/** An active user of a deployment, with the locator of its vars file. */
interface LocatedUser {
  deployment: Deployment;
  user: User;
  locator: UserLocator;
}

/**
 * Warns about an active user whose email differs only in case from an active user's email in
 * another deployment. Bindings compare emails exactly, so when one identity provider serves
 * both deployments, one spelling matches no request there. A pair is not reported when the
 * difference has a known cause: one deployment's identity provider lower-cases emails
 * (`identity.lowercase_emails`), or the two name different identity providers
 * (`identity.idp_name`), which may store one person's email in different case.
 */
function checkEmailCaseAcross(
  located: readonly { deployment: Deployment; locator: UserLocator }[],
): Diagnostic[] {
  if (located.length < 2) return [];
  const byFoldedEmail = new Map<string, LocatedUser[]>();
  for (const { deployment, locator } of located) {
    for (const user of deployment.users) {
      if (user.disabled) continue;
      const key = user.email.toLowerCase();
      const group = byFoldedEmail.get(key);
      if (group === undefined) byFoldedEmail.set(key, [{ deployment, user, locator }]);
      else group.push({ deployment, user, locator });
    }
  }

  const diagnostics: Diagnostic[] = [];
  for (const group of byFoldedEmail.values()) {
    if (group.length < 2) continue;
    for (const entry of group) {
      const others = group.filter(
        (other) =>
          other.deployment !== entry.deployment &&
          other.user.email !== entry.user.email &&
          !caseDifferenceExplained(entry.deployment, other.deployment),
      );
      if (others.length === 0) continue;
      const spellings = others.map((other) => `"${other.user.email}" in ${other.deployment.varsFile}`);
      const diagnostic = entry.locator.diagnostic(
        entry.deployment,
        entry.user,
        "email",
        "warning",
        "email-case-across-deployments",
        `"${entry.user.email}" differs only in case from ${spellings.join(", ")}; bindings compare emails ` +
          "exactly, so if one identity provider serves both deployments, one spelling matches no request. " +
          "Write the spelling the identity provider sends in every file, or, if the deployments have " +
          "different identity providers, set a different identity.idp_name in each",
      );
      diagnostics.push({ ...diagnostic, mentionedFiles: others.map((other) => other.deployment.varsFile) });
    }
  }
  return diagnostics;
}

/** Returns whether an email may differ in case between deployments `a` and `b` on purpose. */
function caseDifferenceExplained(a: Deployment, b: Deployment): boolean {
  if (a.identity.lowercaseEmails || b.identity.lowercaseEmails) return true;
  const [first, second] = [a.identity.idpName, b.identity.idpName];
  return first !== undefined && second !== undefined && first !== second;
}
