import type { Diagnostic } from "../diagnostics.js";
import { type FieldPath, formatPath } from "../field-path.js";
import { namespaceNamePath, type Rule } from "./context.js";
import { dnsLabelFix, dnsLabelProblem, writtenQuoted } from "./dns.js";
import { reservedProfileFix, reservedReason } from "./reserved.js";

/** Deploy namespace names become shared Profiles and namespaces: DNS-1123 labels, unique, not reserved. */
export const deployNamespaceRule: Rule = {
  name: "deploy-namespace",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    const firstByName = new Map<string, FieldPath>();

    for (const entry of view.deployNamespaces) {
      const { name } = entry.value;
      const path = namespaceNamePath(entry);
      const problem = dnsLabelProblem(name);
      const reserved = reservedReason(name, view);

      if (problem) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "invalid-dns-label",
            path,
            `"${name}" ${problem}; it names a shared Profile and its namespace; ${dnsLabelFix(name, undefined, writtenQuoted(source, path))}`,
          ),
        );
      } else if (reserved) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "reserved-namespace",
            path,
            `"${name}" is reserved: ${reserved}; ${reservedProfileFix(reserved, "choose another name")}`,
          ),
        );
      }

      const first = firstByName.get(name);
      if (first) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "duplicate-namespace",
            path,
            `"${name}" is already declared at ${formatPath(first)}; keep one entry`,
          ),
        );
      } else {
        firstByName.set(name, path);
      }
    }
    return diagnostics;
  },
};

/** `users.deployments` is the older spelling of `users.deploy_namespaces`. */
export const deprecatedKeysRule: Rule = {
  name: "deprecated-keys",
  check({ source }) {
    if (!source.mappingHasKey(["users"], "deployments")) return [];

    if (source.mappingHasKey(["users"], "deploy_namespaces")) {
      return [
        source.diagnostic(
          "error",
          "conflicting-keys",
          ["users", "deployments"],
          "is set together with users.deploy_namespaces; move its entries into users.deploy_namespaces and delete it",
          { key: true },
        ),
      ];
    }
    return [
      source.diagnostic(
        "warning",
        "deprecated-key",
        ["users", "deployments"],
        "is the older spelling of users.deploy_namespaces; rename the key to deploy_namespaces",
        { key: true },
      ),
    ];
  },
};
