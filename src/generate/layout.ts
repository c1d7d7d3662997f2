/**
 * Assigns generated objects to files inside a deployment folder. One file per profile keeps
 * a one-user change to a few files even with 10k users, and keeps reviews readable:
 *
 * - `profiles/<profile>.yaml`: the profile's Namespace, Profile, LimitRange, cloud identity
 *   objects, and every contributor RoleBinding and AuthorizationPolicy in its namespace;
 * - `cluster/cake-admin.yaml`: the cake-admin ClusterRole and ClusterRoleBinding;
 * - `cloud/namespace.yaml`: the namespace of the cloud identity objects;
 * - `kustomization.yaml`: every file above, which is what the Argo CD Application syncs;
 * - `argocd/`: the Application and AppProject with their own kustomization, applied once
 *   into the Argo CD namespace and kept out of the synced files, so the Application does
 *   not manage itself.
 */
import { CakeError } from "../errors.js";
import { kustomization } from "./kustomization.js";
import { compareStrings, type GeneratedObject } from "./metadata.js";

/** A file of a deployment folder and the objects it contains, in order. */
export interface GeneratedFile {
  /** Path relative to the deployment folder, with `/` separators. */
  path: string;
  /** Plain JSON data. Objects may share nested parts (labels, subjects), so treat them as read-only. */
  objects: Record<string, unknown>[];
}

/** A file whose objects are all Kubernetes objects. */
export interface ObjectFile extends GeneratedFile {
  objects: GeneratedObject[];
}

export const KUSTOMIZATION_PATH = "kustomization.yaml";
export const CAKE_ADMIN_PATH = "cluster/cake-admin.yaml";
export const CLOUD_NAMESPACE_PATH = "cloud/namespace.yaml";
export const ARGOCD_APPLICATION_PATH = "argocd/application.yaml";
export const ARGOCD_APPPROJECT_PATH = "argocd/appproject.yaml";
export const ARGOCD_KUSTOMIZATION_PATH = "argocd/kustomization.yaml";

export function profilePath(profile: string): string {
  return `profiles/${profile}.yaml`;
}

/** The objects of the synced files, grouped by concern. */
export interface SyncedObjects {
  /** Objects of each profile's file that are not contributor access, by profile name. */
  profiles: Map<string, GeneratedObject[]>;
  /** RoleBindings and AuthorizationPolicies, each placed in the file of its namespace. */
  contributors: GeneratedObject[];
  cluster: GeneratedObject[];
  cloudNamespace: GeneratedObject[];
}

/** Returns the files that the Application syncs, each with sorted objects; files with no object are left out. */
export function syncedFiles(objects: SyncedObjects): ObjectFile[] {
  const byPath = new Map<string, GeneratedObject[]>();
  const place = (path: string, object: GeneratedObject): void => {
    const list = byPath.get(path);
    if (list === undefined) byPath.set(path, [object]);
    else list.push(object);
  };

  for (const [profile, profileObjects] of objects.profiles) {
    for (const object of profileObjects) place(profilePath(profile), object);
  }
  for (const object of objects.contributors) {
    const namespace = object.metadata.namespace;
    if (namespace === undefined || !objects.profiles.has(namespace)) {
      // Validation rejects grants of undeclared namespaces (`unknown-namespace`).
      throw new Error(
        `${object.kind} "${object.metadata.name}" is in namespace "${namespace}", which is not a profile of this deployment`,
      );
    }
    place(profilePath(namespace), object);
  }
  for (const object of objects.cluster) place(CAKE_ADMIN_PATH, object);
  for (const object of objects.cloudNamespace) place(CLOUD_NAMESPACE_PATH, object);

  const files = [...byPath].map(([path, list]) => ({ path, objects: sortObjects(list) }));
  assertUniqueObjects(files);
  return sortFiles(files);
}

/** Returns the kustomization at the root of the deployment folder, listing every synced file. */
export function syncedKustomizationFile(files: GeneratedFile[]): GeneratedFile {
  return { path: KUSTOMIZATION_PATH, objects: [kustomization(files.map((file) => file.path))] };
}

/** Returns the bootstrap files of `argocd/`: the Application, the AppProject and their kustomization. */
export function argocdFiles(application: GeneratedObject, appProject: GeneratedObject): GeneratedFile[] {
  // Paths in a kustomization are relative to its own folder.
  const inArgocdFolder = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
  return [
    { path: ARGOCD_APPLICATION_PATH, objects: [application] },
    { path: ARGOCD_APPPROJECT_PATH, objects: [appProject] },
    {
      path: ARGOCD_KUSTOMIZATION_PATH,
      objects: [kustomization([ARGOCD_APPLICATION_PATH, ARGOCD_APPPROJECT_PATH].map(inArgocdFolder))],
    },
  ];
}

/**
 * Order of kinds inside a file: what a reader looks at first (the namespace and its
 * Profile), then what sets up the namespace, then access. Unlisted kinds come last.
 */
const KIND_ORDER = new Map(
  [
    "v1 Namespace",
    "kubeflow.org/v1 Profile",
    "v1 LimitRange",
    "iam.services.k8s.aws/v1alpha1 Role",
    "iam.cnrm.cloud.google.com/v1beta1 IAMServiceAccount",
    "iam.cnrm.cloud.google.com/v1beta1 IAMPolicyMember",
    "rbac.authorization.k8s.io/v1 ClusterRole",
    "rbac.authorization.k8s.io/v1 ClusterRoleBinding",
    "rbac.authorization.k8s.io/v1 RoleBinding",
    "security.istio.io/v1beta1 AuthorizationPolicy",
  ].map((type, rank) => [type, rank]),
);

interface SortKey {
  object: GeneratedObject;
  rank: number;
  type: string;
  namespace: string;
}

/** Returns `objects` sorted by kind (see `KIND_ORDER`), then namespace, then name. */
export function sortObjects(objects: GeneratedObject[]): GeneratedObject[] {
  // The keys are computed once per object, not once per comparison: a deploy namespace
  // file can hold thousands of contributor objects.
  const keys = objects.map((object): SortKey => {
    const type = `${object.apiVersion} ${object.kind}`;
    return {
      object,
      rank: KIND_ORDER.get(type) ?? KIND_ORDER.size,
      type,
      namespace: object.metadata.namespace ?? "",
    };
  });
  keys.sort(
    (a, b) =>
      a.rank - b.rank ||
      (a.rank === KIND_ORDER.size ? compareStrings(a.type, b.type) : 0) ||
      compareStrings(a.namespace, b.namespace) ||
      compareStrings(a.object.metadata.name, b.object.metadata.name),
  );
  return keys.map((key) => key.object);
}

export function sortFiles<File extends GeneratedFile>(files: File[]): File[] {
  return [...files].sort((a, b) => compareStrings(a.path, b.path));
}

/**
 * Rejects two objects with the same kind, namespace and name: Argo CD would apply only one
 * of them. Validation rejects the inputs that lead here (such as two emails with the same
 * binding name), and the names of cloud identity objects are unique by construction, so
 * this guards those against gaps in the tests, which build whole deployments with it.
 * Reconcile renders only the files whose inputs changed and does not run it. Objects in sorted files are
 * compared with their neighbours. Only objects outside their file's own namespace (cloud
 * identity and cluster-scoped objects, a few per profile) can meet a twin in another file,
 * so only those go through a map.
 */
export function assertUniqueObjects(files: ObjectFile[]): void {
  const seen = new Map<string, string>();
  for (const file of files) {
    let previous: GeneratedObject | undefined;
    for (const object of file.objects) {
      if (previous !== undefined && sameObject(previous, object))
        duplicateObject(object, file.path, file.path);
      previous = object;

      if (object.kind === "RoleBinding" || object.kind === "AuthorizationPolicy") continue;
      const key = `${object.apiVersion} ${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name}`;
      const first = seen.get(key);
      if (first !== undefined) duplicateObject(object, first, file.path);
      seen.set(key, file.path);
    }
  }
}

function sameObject(a: GeneratedObject, b: GeneratedObject): boolean {
  return (
    a.metadata.name === b.metadata.name &&
    a.metadata.namespace === b.metadata.namespace &&
    a.kind === b.kind &&
    a.apiVersion === b.apiVersion
  );
}

function duplicateObject(object: GeneratedObject, firstPath: string, secondPath: string): never {
  const { namespace, name } = object.metadata;
  const where = namespace === undefined ? "" : ` in namespace "${namespace}"`;
  const files = firstPath === secondPath ? firstPath : `${firstPath} and ${secondPath}`;
  throw new CakeError(
    `two generated objects are both ${object.kind} "${name}"${where} (${files}); rename one of the users or namespaces they come from`,
  );
}
