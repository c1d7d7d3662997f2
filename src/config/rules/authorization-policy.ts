/**
 * The `kubeflow` settings that every contributor AuthorizationPolicy is built from. Istio's
 * validating webhook rejects a policy whose `from.source` has no principals or an empty one,
 * and `request.headers[...]` needs a header name between the brackets.
 */
import { HTTP_HEADER_NAME } from "../../model/names.js";
import type { Diagnostic } from "../diagnostics.js";
import { DEFAULT_GATEWAY_PRINCIPALS } from "../schema.js";
import type { Rule } from "./context.js";

export const gatewayPrincipalsRule: Rule = {
  name: "gateway-principals",
  check({ source, view }) {
    const principals = view.kubeflow.gatewayPrincipals;
    if (principals === undefined) return [];
    const path = ["kubeflow", "gateway_principals"];

    if (principals.length === 0) {
      return [
        source.diagnostic(
          "error",
          "invalid-gateway-principal",
          path,
          "is an empty list, so every AuthorizationPolicy would get an empty from.source, which Istio rejects; " +
            `remove the key to use the Kubeflow defaults (${DEFAULT_GATEWAY_PRINCIPALS.join(", ")}) or list the principals`,
        ),
      ];
    }

    const diagnostics: Diagnostic[] = [];
    principals.forEach((principal, index) => {
      if (principal === undefined) return;
      const problem = principalProblem(principal);
      if (problem === undefined) return;
      diagnostics.push(
        source.diagnostic(
          "error",
          "invalid-gateway-principal",
          [...path, index],
          `${JSON.stringify(principal)} ${problem}; remove the entry or write a principal such as ` +
            `${DEFAULT_GATEWAY_PRINCIPALS[0]}`,
        ),
      );
    });
    return diagnostics;
  },
};

/** Returns what is wrong with a principal, or undefined when Istio can match it. */
function principalProblem(principal: string): string | undefined {
  if (principal.trim() === "") return "is empty, and Istio rejects an empty principal";
  // Principals are workload identities such as cluster.local/ns/<namespace>/sa/<service account>.
  if (/\s/.test(principal)) return "contains whitespace, so it never matches a workload identity";
  return undefined;
}

export const useridHeaderRule: Rule = {
  name: "userid-header",
  check({ source, view }) {
    const header = view.kubeflow.useridHeader;
    if (header === undefined || HTTP_HEADER_NAME.test(header)) return [];
    const path = ["kubeflow", "userid_header"];

    if (header.trim() === "") {
      return [
        source.diagnostic(
          "error",
          "invalid-header-name",
          path,
          `${JSON.stringify(header)} is empty, so every AuthorizationPolicy would get the key request.headers[], which names no header; ` +
            "remove the key to use kubeflow-userid, or write the header your identity proxy sets " +
            "(x-goog-authenticated-user-email behind Google IAP)",
        ),
      ];
    }

    const invalid = [...header].find((character) => !HTTP_HEADER_NAME.test(character)) ?? "";
    const trimmed = header.trim();
    const fix = HTTP_HEADER_NAME.test(trimmed)
      ? `write "${trimmed}"`
      : "use only letters, digits and !#$%&'*+-.^_`|~";
    return [
      source.diagnostic(
        "error",
        "invalid-header-name",
        path,
        `${JSON.stringify(header)} is not an HTTP header name: ${JSON.stringify(invalid)} is not allowed in one; ${fix}`,
      ),
    ];
  },
};

/** The header Google IAP sets for the user, and the prefix IAP puts before the email in it. */
const IAP_USER_EMAIL_HEADER = "x-goog-authenticated-user-email";
const IAP_USERID_PREFIX = "accounts.google.com:";

/**
 * Warns when `userid_header` is the Google IAP header but `userid_prefix` is not IAP's
 * prefix. IAP sends the header as "accounts.google.com:<email>" (Google Cloud IAP docs,
 * "Getting the user's identity"), so a policy that matches the bare email matches no request.
 * It is a warning, not an error, because a proxy between IAP and Kubeflow could rewrite the header.
 */
export const iapUseridPrefixRule: Rule = {
  name: "iap-userid-prefix",
  check({ source, view }) {
    const header = view.kubeflow.useridHeader;
    const prefix = view.kubeflow.useridPrefix;
    // HTTP header names are case-insensitive.
    if (header?.toLowerCase() !== IAP_USER_EMAIL_HEADER || prefix === IAP_USERID_PREFIX) return [];

    return [
      source.diagnostic(
        "warning",
        "iap-userid-prefix",
        ["kubeflow", "userid_header"],
        `"${header}" is the Google IAP header, whose value IAP sends as "${IAP_USERID_PREFIX}<email>", ` +
          `but kubeflow.userid_prefix is ${prefix === "" ? "empty or not set" : JSON.stringify(prefix)}, ` +
          "so no AuthorizationPolicy would match a user; " +
          `set userid_prefix: "${IAP_USERID_PREFIX}"`,
      ),
    ];
  },
};
