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

  if (name === namespaces.identityNamespace) return IDENTITY_NAMESPACE_REASON;
  if (name === namespaces.argocdNamespace) return ARGOCD_NAMESPACE_REASON;
  return undefined;
}

/** The reason of a name equal to `cloud.identity_namespace`, which the loader matches to tell it from a system name. */
export const IDENTITY_NAMESPACE_REASON =
  "it is cloud.identity_namespace, the namespace of the cloud identity objects";
/** The reason of a name equal to `gitops.argocd_namespace`. */
export const ARGOCD_NAMESPACE_REASON = "it is gitops.argocd_namespace, the namespace of Argo CD";

/**
 * Returns the fix of a reserved profile name. A profile that has the name of the identity
 * namespace is mostly one that existed while `cloud.provider` was `none`, where the name was
 * free. Renaming it replaces the Profile and deletes its namespace, while another
 * `cloud.identity_namespace` costs nothing before the provider's first reconcile.
 */
export function reservedProfileFix(reason: string, rename: string): string {
  if (reason !== IDENTITY_NAMESPACE_REASON) return rename;
  return (
    "if this profile exists already (cloud.provider was none until now), set cloud.identity_namespace " +
    `to a name no profile uses instead, because renaming the profile deletes its namespace and data; otherwise ${rename}`
  );
}

const RESERVED_SUMMARY =
  "default, kube-*, kubeflow, kubeflow-*, istio-*, knative-*, cert-manager, auth, oauth2-proxy, argocd";
