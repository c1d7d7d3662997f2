/**
 * Namespaces a profile must never claim: the profile controller adopts an existing
 * namespace only when its `owner` annotation matches, and system namespaces must not
 * become user profiles.
 */
import type { VarsView } from "./context.js";

const RESERVED_EXACT = [
  "default",
  "kubeflow",
  "istio-system",
  "cert-manager",
  "auth",
  "oauth2-proxy",
  "argocd",
];
const RESERVED_PREFIXES = ["kube-", "kubeflow-", "istio-", "knative-"];

/**
 * Returns why a name is reserved, or undefined when a profile may use it. With provider `none`
 * cake generates no identity namespace, so `cloud.identity_namespace` names nothing to protect.
 */
export function reservedReason(name: string, view: VarsView): string | undefined {
  return reservedNameReason(name, {
    identityNamespace: view.cloud.provider === "none" ? undefined : view.cloud.identityNamespace,
    argocdNamespace: view.gitops.argocdNamespace,
  });
}

/**
 * Returns why a name is reserved in a deployment with these namespaces, or undefined. A system
 * name's reason ends with the list of reserved names.
 */
export function reservedNameReason(
  name: string,
  namespaces: { identityNamespace?: string | undefined; argocdNamespace?: string | undefined },
): string | undefined {
  if (RESERVED_EXACT.includes(name)) return `it is a system namespace (reserved: ${RESERVED_SUMMARY})`;
  const prefix = RESERVED_PREFIXES.find((candidate) => name.startsWith(candidate));
  if (prefix)
    return `names starting with "${prefix}" belong to system components (reserved: ${RESERVED_SUMMARY})`;

  if (name === namespaces.identityNamespace) {
    return "it is cloud.identity_namespace, the namespace of the cloud identity objects";
  }
  if (name === namespaces.argocdNamespace) return "it is gitops.argocd_namespace, the namespace of Argo CD";
  return undefined;
}

const RESERVED_SUMMARY =
  "default, kube-*, kubeflow, kubeflow-*, istio-*, knative-*, cert-manager, auth, oauth2-proxy, argocd";
