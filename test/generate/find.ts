/**
 * Looks generated objects up the way a user reads the output: by apiVersion, kind,
 * namespace and name, never by file.
 */
import type { GeneratedFile, GeneratedObject } from "../../src/generate/index.js";

export interface ObjectKey {
  apiVersion: string;
  kind: string;
  /** Left out for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

/** Returns every Kubernetes object of `files`, leaving out the kustomizations. */
export function allObjects(files: GeneratedFile[]): GeneratedObject[] {
  return files
    .flatMap((file) => file.objects)
    .filter((object) => object.kind !== "Kustomization")
    .map((object) => object as GeneratedObject);
}

/** Returns the objects of one apiVersion and kind. */
export function objectsOfKind(files: GeneratedFile[], apiVersion: string, kind: string): GeneratedObject[] {
  return allObjects(files).filter((object) => object.apiVersion === apiVersion && object.kind === kind);
}

/** Returns the object with `key`, or undefined when there is none. */
export function findObject(files: GeneratedFile[], key: ObjectKey): GeneratedObject | undefined {
  const matches = allObjects(files).filter(
    (object) =>
      object.apiVersion === key.apiVersion &&
      object.kind === key.kind &&
      object.metadata.namespace === key.namespace &&
      object.metadata.name === key.name,
  );
  if (matches.length > 1) throw new Error(`${matches.length} objects match ${describe(key)}`);
  return matches[0];
}

/** Returns the object with `key`, failing the test when there is none. */
export function getObject(files: GeneratedFile[], key: ObjectKey): GeneratedObject {
  const object = findObject(files, key);
  if (object === undefined) throw new Error(`no generated object ${describe(key)}`);
  return object;
}

/** Returns the path of the file that contains the object with `key`. */
export function fileOf(files: GeneratedFile[], key: ObjectKey): string | undefined {
  const object = findObject(files, key);
  return files.find((file) => file.objects.includes(object as Record<string, unknown>))?.path;
}

export const NAMESPACE = { apiVersion: "v1", kind: "Namespace" } as const;
export const PROFILE = { apiVersion: "kubeflow.org/v1", kind: "Profile" } as const;
export const LIMIT_RANGE = { apiVersion: "v1", kind: "LimitRange" } as const;
export const ROLE_BINDING = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding" } as const;
export const CLUSTER_ROLE = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole" } as const;
export const CLUSTER_ROLE_BINDING = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
} as const;
export const AUTHORIZATION_POLICY = {
  apiVersion: "security.istio.io/v1beta1",
  kind: "AuthorizationPolicy",
} as const;
export const ACK_ROLE = { apiVersion: "iam.services.k8s.aws/v1alpha1", kind: "Role" } as const;
export const IAM_SERVICE_ACCOUNT = {
  apiVersion: "iam.cnrm.cloud.google.com/v1beta1",
  kind: "IAMServiceAccount",
} as const;
export const IAM_POLICY_MEMBER = {
  apiVersion: "iam.cnrm.cloud.google.com/v1beta1",
  kind: "IAMPolicyMember",
} as const;
export const APPLICATION = { apiVersion: "argoproj.io/v1alpha1", kind: "Application" } as const;
export const APP_PROJECT = { apiVersion: "argoproj.io/v1alpha1", kind: "AppProject" } as const;

function describe(key: ObjectKey): string {
  const where = key.namespace === undefined ? "" : `${key.namespace}/`;
  return `${key.apiVersion} ${key.kind} ${where}${key.name}`;
}
