/**
 * Finds the deployments that sync the same cluster as a deployment of another ops repo in
 * the same git repository, and the cluster-scoped objects both generate. Every deployment
 * generates the `cake-admin` ClusterRole and ClusterRoleBinding, and a Namespace and a Profile
 * per username and deploy namespace. Two Applications that sync one object each overwrite it
 * with their own ops repo's version, so the ClusterRoleBinding grants one repo's cake-admins or
 * the other's, and a Profile's owner and quota follow whichever Application synced last. Within
 * one ops repo, the `duplicate-destination` error covers the same case.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { serverKey } from "../config/claims.js";
import { CAKE_ADMIN_PATH, CLOUD_NAMESPACE_PATH } from "../generate/layout.js";
import { compareStrings } from "../generate/metadata.js";
import { CAKE_ADMIN_RBAC_NAME, IN_CLUSTER_SERVER, profilesOf } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import type { PathFormatter } from "../repo/display-path.js";
import type { RepoLayout } from "../repo/layout.js";
import { otherApplications } from "./application-clashes.js";

/** A cluster-scoped object of a deployment folder. */
export interface ClusterObject {
  kind: string;
  name: string;
}

/** A deployment of this ops repo whose cluster another ops repo's deployment syncs too. */
export interface ClusterClash {
  deployment: string;
  varsFile: string;
  /** The `gitops.destination_server` of both deployments. */
  server: string;
  /** Absolute path of the other ops repo's deployment folder. */
  other: string;
  /** The cluster-scoped objects that both deployments generate, sorted by kind and name. */
  objects: ClusterObject[];
}

/**
 * Returns the deployments of the ops repo at `layout` that sync the cluster of a deployment in
 * another ops repo of its git repository, when the two generate cluster-scoped objects of the
 * same kind and name. The other repos' generated `argocd/application.yaml` files give their
 * deployments and servers. Two deployments sync one cluster when they name the same remote
 * `gitops.destination_server`, or when both sync in-cluster and have the same name (the same
 * environment and region), as the Application clash check assumes. Returns none outside git.
 */
export async function clusterClashes(
  layout: RepoLayout,
  deployments: readonly Deployment[],
): Promise<ClusterClash[]> {
  const others = await otherApplications(layout);
  const inCluster = serverKey(IN_CLUSTER_SERVER);
  const clashes: ClusterClash[] = [];
  for (const deployment of deployments) {
    const server = serverKey(deployment.gitops.destinationServer);
    const own = ownClusterObjects(deployment);
    for (const other of others) {
      if (serverKey(other.server) !== server) continue;
      if (server === inCluster && other.deployment !== deployment.name) continue;
      const folder = path.dirname(path.dirname(other.file));
      const theirs = new Set((await folderClusterObjects(folder)).map(objectKey));
      const objects = own.filter((object) => theirs.has(objectKey(object)));
      if (objects.length === 0) continue;
      clashes.push({
        deployment: deployment.name,
        varsFile: deployment.varsFile,
        server: deployment.gitops.destinationServer,
        other: folder,
        objects,
      });
    }
  }
  return clashes;
}

/** Returns the cluster-scoped objects that `deployment` generates, sorted by kind and name. */
function ownClusterObjects(deployment: Deployment): ClusterObject[] {
  const objects: ClusterObject[] = [
    { kind: "ClusterRole", name: CAKE_ADMIN_RBAC_NAME },
    { kind: "ClusterRoleBinding", name: CAKE_ADMIN_RBAC_NAME },
  ];
  for (const profile of profilesOf(deployment)) {
    objects.push({ kind: "Namespace", name: profile.name }, { kind: "Profile", name: profile.name });
  }
  if (deployment.cloud.provider !== "none") {
    objects.push({ kind: "Namespace", name: deployment.cloud.identityNamespace });
  }
  return sortObjects(objects);
}

/**
 * Returns the cluster-scoped objects of the generated deployment folder `folder`: those of its
 * cake-admin and cloud namespace files, and a Namespace and a Profile for each profile file,
 * `profiles/<profile>.yaml`, whose name is the profile's. A file that is missing or not YAML
 * adds none.
 */
async function folderClusterObjects(folder: string): Promise<ClusterObject[]> {
  const objects: ClusterObject[] = [];
  for (const file of [CAKE_ADMIN_PATH, CLOUD_NAMESPACE_PATH]) {
    objects.push(...(await objectsOfFile(path.join(folder, file))));
  }
  const profiles = await readdir(path.join(folder, "profiles")).catch(() => [] as string[]);
  for (const file of profiles) {
    if (!file.endsWith(".yaml")) continue;
    const name = file.slice(0, -".yaml".length);
    objects.push({ kind: "Namespace", name }, { kind: "Profile", name });
  }
  return objects;
}

/** Returns the objects of the YAML file at `file` that have a kind and a name. */
async function objectsOfFile(file: string): Promise<ClusterObject[]> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return [];
  const objects: ClusterObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) return [];
    const object = document.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
    const kind = object?.kind;
    const name = object?.metadata?.name;
    if (typeof kind === "string" && typeof name === "string") objects.push({ kind, name });
  }
  return objects;
}

function objectKey({ kind, name }: ClusterObject): string {
  return `${kind}/${name}`;
}

function sortObjects(objects: ClusterObject[]): ClusterObject[] {
  return objects.sort((a, b) => compareStrings(objectKey(a), objectKey(b)));
}

/** The number of objects a warning names before it counts the rest. */
const MAX_LISTED_OBJECTS = 6;

/**
 * Returns the warning for `clash`, with paths as `formatPath` prints them: the
 * objects both deployments manage, what two Applications do to them, and the fix.
 */
export function clusterClashMessage(clash: ClusterClash, formatPath: PathFormatter): string {
  const varsFile = formatPath(clash.varsFile);
  const listed = clash.objects.slice(0, MAX_LISTED_OBJECTS).map(objectKey);
  const rest = clash.objects.length - listed.length;
  const objects = rest === 0 ? listed.join(", ") : `${listed.join(", ")} and ${rest} more`;
  const cluster =
    serverKey(clash.server) === serverKey(IN_CLUSTER_SERVER)
      ? "both sync in-cluster under the same name, which cake takes as one cluster"
      : `both sync to ${clash.server}`;
  return (
    `${varsFile}: deployment ${clash.deployment} and ${formatPath(clash.other)}, in another ops repo of this git ` +
    `repository, ${cluster}, so two Applications apply ${objects}. Each sync overwrites these objects ` +
    "with its own ops repo's version, so the cake-admin ClusterRoleBinding grants one repo's cake-admins or " +
    "the other's, and a shared Profile's owner and quota follow whichever synced last. Keep the deployments " +
    "of one cluster in one ops repo: move the users of one of the two vars files into the other, or give each " +
    "deployment a cluster of its own"
  );
}
