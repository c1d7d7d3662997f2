/** Settings outside users and clouds: the namespaces cake writes to, and Kubeflow labels. */

import { MANAGED_BY, MANAGED_BY_LABEL } from "../../model/names.js";
import type { Diagnostic } from "../diagnostics.js";
import type { DiagnosticSource, FieldPath, Position } from "../field-path.js";
import { DEFAULT_ARGOCD_NAMESPACE, DEFAULT_IDENTITY_NAMESPACE } from "../schema.js";
import type { Rule } from "./context.js";
import { dnsLabelFix, dnsLabelProblem, writtenQuoted } from "./dns.js";
import { reservedNameReason } from "./reserved.js";

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * `gitops.argocd_namespace` and `cloud.identity_namespace` name namespaces. Cake generates the
 * identity namespace as a Namespace object, so it must not be a system namespace either.
 */
export const settingsNamespacesRule: Rule = {
  name: "settings-namespaces",
  check({ source, view }) {
    const fields: [FieldPath, string | undefined, string][] = [
      [["gitops", "argocd_namespace"], view.gitops.argocdNamespace, DEFAULT_ARGOCD_NAMESPACE],
      [["cloud", "identity_namespace"], view.cloud.identityNamespace, DEFAULT_IDENTITY_NAMESPACE],
    ];
    const diagnostics = fields.flatMap(([path, value, fallback]) => {
      const problem = value === undefined ? undefined : dnsLabelProblem(value);
      if (value === undefined || !problem) return [];
      const fix = dnsLabelFix(
        value,
        `remove the key to use the default "${fallback}"`,
        writtenQuoted(source, path),
      );
      return [
        source.diagnostic(
          "error",
          "invalid-dns-label",
          path,
          `"${value}" ${problem}; it is a namespace name; ${fix}`,
        ),
      ];
    });

    for (const { value, position } of identityNamespaceCopies(source, view.cloud.identityNamespace)) {
      const reserved =
        dnsLabelProblem(value) === undefined
          ? reservedNameReason(value, { argocdNamespace: view.gitops.argocdNamespace })
          : undefined;
      if (reserved === undefined) continue;
      diagnostics.push(
        source.diagnostic(
          "error",
          "reserved-namespace",
          ["cloud", "identity_namespace"],
          `"${value}" is reserved: ${reserved}, and cake would generate ` +
            `and manage that Namespace; choose another name, or remove the key to use "${DEFAULT_IDENTITY_NAMESPACE}"`,
          position === undefined ? {} : { position },
        ),
      );
    }
    return diagnostics;
  },
};

/**
 * Returns the value of `cloud.identity_namespace` to check, or each copy of a duplicated key with
 * the position of its value. The loader keeps the last copy, but deleting that one, as the
 * duplicate-key error allows, keeps the other, so a reserved name is reported in every copy.
 */
function identityNamespaceCopies(
  source: DiagnosticSource,
  loaded: string,
): { value: string; position?: Position }[] {
  const copies = source.copiesOf(["cloud", "identity_namespace"]);
  if (copies.length === 0) return [{ value: loaded }];
  return copies.flatMap(({ value, position }) => (typeof value === "string" ? [{ value, position }] : []));
}

/** Returns what is wrong with a label key, or undefined when Kubernetes accepts it. */
function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !LABEL_PREFIX.test(prefix))) {
    return `its prefix "${prefix}" is not a DNS subdomain`;
  }
  if (name.length > 63 || !LABEL_NAME.test(name)) {
    return "its name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
  }
  return undefined;
}

export const namespaceLabelsRule: Rule = {
  name: "namespace-labels",
  check({ source, view }) {
    const labels = view.kubeflow.namespaceLabels;
    const diagnostics: Diagnostic[] = [];
    for (const [key, value] of Object.entries(labels)) {
      const path = ["kubeflow", "namespace_labels", key];
      const keyProblem =
        key === MANAGED_BY_LABEL
          ? `cake sets it to "${MANAGED_BY}" on every object it generates, so this value would be dropped; remove it`
          : labelKeyProblem(key);
      if (keyProblem) {
        diagnostics.push(
          source.diagnostic("error", "invalid-label", path, `label key "${key}" is invalid: ${keyProblem}`, {
            key: true,
          }),
        );
      }
      if (value !== "" && (value.length > 63 || !LABEL_NAME.test(value))) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "invalid-label",
            path,
            `label value "${value}" is invalid: it must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
          ),
        );
      }
    }
    return diagnostics;
  },
};
