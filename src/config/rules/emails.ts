/**
 * Email rules. Emails are identities compared byte for byte by RoleBindings and by the
 * Istio header match, so they are checked, never rewritten.
 */
import { codePointLabel, nonAsciiCodePoints } from "../../model/code-points.js";
import type { Diagnostic } from "../diagnostics.js";
import { type FieldPath, formatPath } from "../field-path.js";
import type { Rule, RuleContext } from "./context.js";

/**
 * One `@`, a non-empty local part, a domain with a dot, and no whitespace or control
 * characters. Deliberately loose: `+`, `_` and long TLDs (`.network`) are valid, and a
 * stricter pattern has rejected real addresses before.
 */
const EMAIL = /^[^@\s\p{Cc}]+@[^@\s\p{Cc}.][^@\s\p{Cc}]*\.[^@\s\p{Cc}.]+$/u;

/**
 * Invisible characters: format characters (bidi overrides such as U+202E, zero-width
 * spaces, U+FEFF) and lone surrogates. They make two different identities look the
 * same in a review, or make a reviewed email read differently from the bytes sent.
 */
const INVISIBLE = /[\p{Cf}\p{Cs}]/u;

export function isEmail(value: string): boolean {
  return EMAIL.test(value) && !INVISIBLE.test(value) && !value.split("@")[1]?.includes("..");
}

/** Returns the first invisible or control character of `value` as `U+XXXX`, if there is one. */
export function hiddenCharacter(value: string): string | undefined {
  const found = /[\p{Cf}\p{Cs}\p{Cc}]/u.exec(value)?.[0];
  return found === undefined ? undefined : codePointLabel(found);
}

interface EmailField {
  path: FieldPath;
  email: string;
}

/** Returns every email field of the file: each user's email and the profile owner. */
function emailFields({ view }: RuleContext): EmailField[] {
  const fields: EmailField[] = [];
  for (const entry of view.users) {
    if (entry.value.email !== undefined)
      fields.push({ path: [...entry.path, "email"], email: entry.value.email });
  }
  if (view.kubeflow.profileOwner !== undefined) {
    fields.push({ path: ["kubeflow", "profile_owner"], email: view.kubeflow.profileOwner });
  }
  return fields;
}

export const emailFormatRule: Rule = {
  name: "email-format",
  check(context) {
    return emailFields(context)
      .filter((field) => !isEmail(field.email))
      .map((field) => {
        const hidden = hiddenCharacter(field.email);
        const message =
          hidden === undefined
            ? `"${field.email}" is not an email address; write the address exactly as the identity provider sends it (local@domain.tld)`
            : `${JSON.stringify(field.email)} contains the invisible or control character ${hidden}; delete it and type the address again`;
        return context.source.diagnostic("error", "invalid-email", field.path, message);
      });
  },
};

/**
 * Returns the key under which two emails are the same person to a reader: equal after Unicode
 * normalization (NFC) and in lower case. "café" typed as one code point or as "e" plus an
 * accent looks identical in review, but only one form can match what the IdP sends.
 */
export function emailLookalikeKey(email: string): string {
  return email.normalize("NFC").toLowerCase();
}

export const duplicateEmailRule: Rule = {
  name: "duplicate-email",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    const exact = new Map<string, FieldPath>();
    const folded = new Map<string, { path: FieldPath; email: string }>();
    for (const entry of view.users) {
      const { email } = entry.value;
      if (email === undefined) continue;
      const path = [...entry.path, "email"];
      const first = exact.get(email);
      const firstFolded = folded.get(emailLookalikeKey(email));
      if (first) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "duplicate-email",
            path,
            `"${email}" duplicates ${formatPath(first)}; keep one entry per identity and merge its roles and allowed_namespaces`,
          ),
        );
      } else if (firstFolded && email.toLowerCase() !== firstFolded.email.toLowerCase()) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "duplicate-email-unicode",
            path,
            `${JSON.stringify(email)} looks the same as ${formatPath(firstFolded.path)} ${JSON.stringify(firstFolded.email)} ` +
              "but is written with other Unicode code points (composed and decomposed accents); the identity " +
              "provider sends one form, so keep the entry that matches it exactly",
          ),
        );
      } else if (firstFolded) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "duplicate-email-case",
            path,
            `"${email}" duplicates ${formatPath(firstFolded.path)} "${firstFolded.email}" ignoring case; ` +
              "the identity provider sends one spelling, so keep the entry that matches it exactly",
          ),
        );
      }
      if (!first) exact.set(email, path);
      if (!firstFolded) folded.set(emailLookalikeKey(email), { path, email });
    }
    return diagnostics;
  },
};

/**
 * The profile controller binds `spec.owner` to `kubeflow-admin` and lets its header through
 * Istio in every profile namespace, so the owner has admin everywhere. A user entry with the
 * owner's email would only look limited: disabling it, or granting view, changes nothing.
 * Emails equal ignoring case count, because the identity provider sends one spelling.
 */
export const profileOwnerUserRule: Rule = {
  name: "profile-owner-user",
  check({ source, view }) {
    const owner = view.kubeflow.profileOwner;
    if (owner === undefined) return [];
    const ownerKey = emailLookalikeKey(owner);
    return view.users.flatMap((entry) => {
      const { email } = entry.value;
      if (email === undefined || emailLookalikeKey(email) !== ownerKey) return [];
      const same = email === owner ? "is" : `matches ("${owner}", ignoring case or Unicode form)`;
      return [
        source.diagnostic(
          "error",
          "profile-owner-user",
          [...entry.path, "email"],
          `"${email}" ${same} kubeflow.profile_owner, which owns every Profile and so has admin in every ` +
            "profile namespace, whatever this entry's roles, grants or disabled flag say; remove this entry. " +
            "To take that access away, the owner must change to a platform identity no person signs in as, " +
            "which breaks the existing Profiles of a deployment (see --allow-owner-change)",
        ),
      ];
    });
  },
};

export const emailCaseRule: Rule = {
  name: "email-case",
  check(context) {
    const lowercased = context.view.identity.lowercaseEmails;
    return emailFields(context)
      .filter((field) => field.email !== field.email.toLowerCase())
      .map((field) =>
        lowercased
          ? context.source.diagnostic(
              "error",
              "email-uppercase-lowercased-idp",
              field.path,
              `"${field.email}" contains upper-case letters but identity.lowercase_emails is true, so the identity provider ` +
                `will send "${field.email.toLowerCase()}"; write it in lower case`,
            )
          : context.source.diagnostic(
              "warning",
              "email-uppercase",
              field.path,
              `"${field.email}" contains upper-case letters; it is used verbatim and must match what the identity provider sends, ` +
                "case included",
            ),
      );
  },
};

/**
 * An email outside the composed Unicode form (NFC) looks like its composed twin in review but
 * is other bytes, and RoleBindings and the Istio header match compare bytes. Which form the
 * identity provider sends is not known here, so this is a warning.
 */
export const emailUnicodeFormRule: Rule = {
  name: "email-unicode-form",
  check(context) {
    return emailFields(context)
      .filter(
        (field) => /[\u0080-\u{10FFFF}]/u.test(field.email) && field.email !== field.email.normalize("NFC"),
      )
      .map((field) =>
        context.source.diagnostic(
          "warning",
          "email-not-nfc",
          field.path,
          `${JSON.stringify(field.email)} is not in the composed Unicode form (NFC): it has ` +
            `${nonAsciiCodePoints(field.email)} where NFC has ${nonAsciiCodePoints(field.email.normalize("NFC"))}; ` +
            "it looks the same but is other bytes, so write the form the identity provider sends",
        ),
      );
  },
};

export const useridPrefixRule: Rule = {
  name: "userid-prefix",
  check(context) {
    const prefix = context.view.kubeflow.useridPrefix;
    if (prefix === "") return [];
    // Compared ignoring case, because `Accounts.Google.com:bob@example.com` is the same mistake:
    // a header value pasted in place of the email.
    const lowerPrefix = prefix.toLowerCase();
    return emailFields(context)
      .filter((field) => field.email.toLowerCase().startsWith(lowerPrefix))
      .map((field) =>
        context.source.diagnostic(
          "error",
          "email-has-userid-prefix",
          field.path,
          `"${field.email}" starts with kubeflow.userid_prefix "${prefix}"` +
            `${field.email.startsWith(prefix) ? "" : " (ignoring case)"}; write the bare email ` +
            `"${field.email.slice(prefix.length)}" (the prefix is added only to the header match)`,
        ),
      );
  },
};

/**
 * An email whose local part has a `:` most likely starts with the prefix an identity proxy puts
 * before the email in the user id header, such as Google IAP's `accounts.google.com:`, pasted
 * together with the address. Kubeflow's `USERID_PREFIX` strips that prefix to get the user name
 * that RoleBindings carry, so the vars file contains the bare email and `kubeflow.userid_prefix`
 * contains the prefix. An unquoted local part cannot contain `:` (RFC 5322 dot-atom), but the
 * email rule is loose on purpose, and a setup without a prefix still matches consistently, so
 * this is a warning. Emails that `userid-prefix` reports already are left to it.
 */
export const emailIdpPrefixRule: Rule = {
  name: "email-idp-prefix",
  check(context) {
    const prefix = context.view.kubeflow.useridPrefix;
    return emailFields(context).flatMap((field) => {
      const at = field.email.lastIndexOf("@");
      const colon = field.email.lastIndexOf(":", at);
      if (at < 0 || colon < 0 || !isEmail(field.email)) return [];
      if (prefix !== "" && field.email.toLowerCase().startsWith(prefix.toLowerCase())) return [];

      const looksLike = field.email.slice(0, colon + 1);
      const bare = field.email.slice(colon + 1);
      const fix =
        prefix === ""
          ? `write the bare email "${bare}", and if the proxy sends "${looksLike}" before it, set kubeflow.userid_prefix: "${looksLike}"`
          : `write the bare email "${bare}" (cake adds kubeflow.userid_prefix "${prefix}" to the header match)`;
      return [
        context.source.diagnostic(
          "warning",
          "email-idp-prefix",
          field.path,
          `"${field.email}" starts with "${looksLike}", which looks like the prefix an identity proxy puts ` +
            `before the email in the user id header (Google IAP sends "accounts.google.com:<email>"); ${fix}`,
        ),
      ];
    });
  },
};
