/**
 * Shapes and metadata shared by every generator: the plain object type handed to the
 * serializer, the `managed-by` label, and the Argo CD sync waves and sync options.
 */
import { MANAGED_BY, MANAGED_BY_LABEL } from "../model/names.js";

/** Metadata of a generated object; only the fields cake sets. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as plain JSON data, ready for the serializer. */
export interface GeneratedObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export { MANAGED_BY, MANAGED_BY_LABEL };

export const SYNC_WAVE_ANNOTATION = "argocd.argoproj.io/sync-wave";
export const SYNC_OPTIONS_ANNOTATION = "argocd.argoproj.io/sync-options";

/**
 * Argo CD sync waves (lowest first). Namespaced objects in profile namespaces stay in the
 * default wave 0 and carry no wave annotation, so 10k contributors add no lines for it.
 * Argo CD moves to the next wave once the previous one is synced and healthy. Cake
 * generates each profile's Namespace in an earlier wave, so namespaced objects find it.
 * The Application's retry covers a sync that still fails, such as one that meets a CRD
 * another Application has not installed yet.
 */
export const SYNC_WAVE = {
  /** The namespace of the cloud identity objects, before anything placed into it. */
  identityNamespace: "-3",
  /** Profile namespaces, created before their Profile so the profile controller adopts them. */
  profileNamespace: "-2",
  /** ACK Roles and Config Connector objects, ready before the Profile plugin refers to them. */
  cloudIdentity: "-2",
  profile: "-1",
} as const;

/**
 * Argo CD sync options (resource annotation). `Prune=false` (Argo CD v1.1) keeps an object
 * that left git, and `Delete=false` (v2.7) keeps it when the Application is deleted.
 * `SkipDryRunOnMissingResource=true` (v1.5.3) lets a sync start before the CRD of a kind
 * is installed.
 */
export const SYNC_OPTIONS = {
  /** Namespaces: removing them deletes every notebook and volume inside. */
  keepData: "Prune=false,Delete=false",
  /** Profiles: deleting one deletes its namespace, and the CRD comes from Kubeflow. */
  profile: "Prune=false,Delete=false,SkipDryRunOnMissingResource=true",
  /**
   * Cloud identity objects. They may be pruned, because their deletion policy keeps the
   * IAM role or service account in the cloud. `Delete=false` keeps them managed by their
   * controller if the Application itself is deleted.
   */
  cloudIdentity: "Delete=false,SkipDryRunOnMissingResource=true",
  /** Custom resources that hold no data, such as AuthorizationPolicies. */
  customResource: "SkipDryRunOnMissingResource=true",
} as const;

/**
 * The labels of objects that carry only `managed-by`. Every deployment's objects share
 * this one object, so it is frozen.
 */
export const MANAGED_LABELS: Readonly<Record<string, string>> = Object.freeze({
  [MANAGED_BY_LABEL]: MANAGED_BY,
});

/** Returns `labels` with the `managed-by: cake` label, which wins over a label of the same key. */
export function managedLabels(labels: Record<string, string> = {}): Record<string, string> {
  return { ...labels, [MANAGED_BY_LABEL]: MANAGED_BY };
}

/**
 * Returns `object`, typed with a `kubernetes-models` interface such as `INamespace`, as a
 * generated object. The compiler checks its fields against the interface, and tests validate
 * it against the upstream schema. The model classes are not used at run time: importing them
 * loads the validators of every kind in their API group, about 150 ms per process (measured on
 * a 2-core machine), and building one copies the data twice.
 */
export function typedObject<T extends { apiVersion: string; kind: string; metadata?: object }>(
  object: T & { metadata: ObjectMeta },
): GeneratedObject {
  return object;
}

/** Compares strings by UTF-16 code units, so order never depends on the locale. */
export function compareStrings(a: string, b: string): number {
  // One equality check and one ordering check: sorting 600k objects calls this millions of times.
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
