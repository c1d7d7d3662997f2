/**
 * Kustomization files: the list of files a folder contributes to `kustomize build`.
 */
import { compareStrings } from "./metadata.js";

export const KUSTOMIZATION_API_VERSION = "kustomize.config.k8s.io/v1beta1";

/**
 * Returns a Kustomization listing `resources` (paths relative to its folder), sorted. It
 * is build input for kustomize, not an object applied to the cluster, so it carries no
 * metadata or labels.
 */
export function kustomization(resources: string[]): Record<string, unknown> {
  return {
    apiVersion: KUSTOMIZATION_API_VERSION,
    kind: "Kustomization",
    resources: [...resources].sort(compareStrings),
  };
}
