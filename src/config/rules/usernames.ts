import type { Diagnostic } from "../diagnostics.js";
import { type FieldPath, formatPath } from "../field-path.js";
import type { Rule } from "./context.js";
import { dnsLabelFix, dnsLabelProblem, writtenQuoted } from "./dns.js";
import { reservedProfileFix, reservedReason } from "./reserved.js";

/** A username names the user's private Profile and its namespace, so it is a free DNS-1123 label. */
export const usernameRule: Rule = {
  name: "username",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    const firstByName = new Map<string, FieldPath>();

    for (const entry of view.users) {
      const { username } = entry.value;
      if (username === undefined) continue;
      const path = [...entry.path, "username"];
      const problem = dnsLabelProblem(username);
      const reserved = reservedReason(username, view);
      const first = firstByName.get(username);

      if (problem) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "invalid-dns-label",
            path,
            `"${username}" ${problem}; it names the user's Profile and namespace; ${dnsLabelFix(username, undefined, writtenQuoted(source, path))}`,
          ),
        );
      } else if (reserved) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "reserved-namespace",
            path,
            `"${username}" is reserved: ${reserved}; ${reservedProfileFix(reserved, "choose another username")}`,
          ),
        );
      }

      if (first) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "duplicate-username",
            path,
            `"${username}" is already used by ${formatPath(first)}; each user needs their own username`,
          ),
        );
      } else {
        firstByName.set(username, path);
      }

      if (view.declaredNamespaceNames.has(username)) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "username-is-namespace",
            path,
            `"${username}" is also a deploy namespace in users.${view.namespacesKey}; a username names a private profile, so choose another`,
          ),
        );
      }
    }
    return diagnostics;
  },
};

/**
 * When `identity.username_pattern` is set, usernames should match it as a whole. The
 * pattern is a hook for site conventions (such as `[a-z]+[0-9]*`), so mismatches warn.
 */
export const usernamePatternRule: Rule = {
  name: "username-pattern",
  check({ source, view }) {
    const pattern = view.identity.usernamePattern;
    if (pattern === undefined) return [];

    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${pattern})$`, "u");
    } catch (error) {
      return [
        source.diagnostic(
          "error",
          "invalid-value",
          ["identity", "username_pattern"],
          `"${pattern}" is not a valid regular expression (${(error as Error).message}); fix or remove it`,
        ),
      ];
    }

    return view.users
      .filter((entry) => entry.value.username !== undefined && !regex.test(entry.value.username))
      .map((entry) =>
        source.diagnostic(
          "warning",
          "username-pattern",
          [...entry.path, "username"],
          `"${entry.value.username}" does not match identity.username_pattern "${pattern}"; rename the user or adjust the pattern`,
        ),
      );
  },
};
