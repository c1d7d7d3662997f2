/**
 * Finds the deployments that sync the same cluster as a deployment of another ops repo in
 * the same git repository, and the cluster-scoped objects both generate. Every deployment
 * generates the `cake-admin` ClusterRole and ClusterRoleBinding, and a Namespace and a Profile
 * per username and deploy namespace. Two Applications that sync one object each overwrite it
 * with their own ops repo's version, so the ClusterRoleBinding grants one repo's cake-admins or
 * the other's, and a Profile's owner and quota follow whichever Application synced last. Within
 * one ops repo, the `duplicate-destination` error covers the same case.
 *
 * Only a cluster that both deployments' files name is taken as shared: the same remote API
 * server, or the same IAM OIDC provider in the trust policies of their IAM roles. Two
 * deployments that sync in-cluster name no cluster, because each Argo CD applies to the cluster
 * it runs in, and a name or region does not identify that cluster.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { serverKey } from "../config/claims.js";
import { oidcProviderArn } from "../generate/aws.js";
import { CAKE_ADMIN_PATH, CLOUD_NAMESPACE_PATH } from "../generate/layout.js";
import { compareStrings } from "../generate/metadata.js";
import { awsPartition, CAKE_ADMIN_RBAC_NAME, IN_CLUSTER_SERVER, profilesOf } from "../model/names.js";
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
  /** The `gitops.destination_server` of this deployment. */
  server: string;
  /**
   * The ARN of the IAM OIDC provider that the IAM roles of both deployments trust. Present when
   * only it shows the shared cluster: the servers differ, or both are the in-cluster default.
   */
  oidcProvider?: string;
  /** Absolute path of the other ops repo's deployment folder. */
  other: string;
  /** The cluster-scoped objects that both deployments generate, sorted by kind and name. */
  objects: ClusterObject[];
}

/**
 * Returns the deployments of the ops repo at `layout` that sync the cluster of a deployment in
 * another ops repo of its git repository, when the two generate cluster-scoped objects of the
 * same kind and name. The other repos' generated `argocd/application.yaml` files give their
 * deployments and servers, and their profile files the OIDC provider of their IAM roles. Two
 * deployments sync one cluster when they name the same remote `gitops.destination_server`, or
 * when the IAM roles of both trust the same OIDC provider, which is the service account token
 * issuer of one cluster. Returns none outside git.
 */
export async function clusterClashes(
  layout: RepoLayout,
  deployments: readonly Deployment[],
): Promise<ClusterClash[]> {
  const others = await otherApplications(layout);
  const inCluster = serverKey(IN_CLUSTER_SERVER);
  const issuers = new Map<string, Promise<string | undefined>>();
  const issuerOf = (folder: string): Promise<string | undefined> => {
    const known = issuers.get(folder) ?? folderOidcProvider(folder);
    issuers.set(folder, known);
    return known;
  };
  const clashes: ClusterClash[] = [];
  for (const deployment of deployments) {
    const server = serverKey(deployment.gitops.destinationServer);
    const issuer = ownOidcProvider(deployment);
    const own = ownClusterObjects(deployment);
    for (const other of others) {
      const folder = path.dirname(path.dirname(other.file));
      const sameServer = server !== inCluster && serverKey(other.server) === server;
      const sameIssuer = !sameServer && issuer !== undefined && (await issuerOf(folder)) === issuer;
      if (!sameServer && !sameIssuer) continue;
      const theirs = new Set((await folderClusterObjects(folder)).map(objectKey));
      const objects = own.filter((object) => theirs.has(objectKey(object)));
      if (objects.length === 0) continue;
      clashes.push({
        deployment: deployment.name,
        varsFile: deployment.varsFile,
        server: deployment.gitops.destinationServer,
        ...(sameIssuer ? { oidcProvider: issuer } : {}),
        other: folder,
        objects,
      });
    }
  }
  return clashes;
}

/** Returns the ARN of the OIDC provider that the IAM roles of `deployment` trust, if it has any. */
function ownOidcProvider(deployment: Deployment): string | undefined {
  const { aws, provider } = deployment.cloud;
  if (provider !== "aws" || aws === undefined) return undefined;
  return oidcProviderArn(aws, awsPartition(deployment.region));
}

/**
 * Returns the ARN of the OIDC provider that the first ACK IAM Role of the generated folder
 * `folder` trusts, from the `Federated` principal of its trust policy, or undefined when no
 * profile file has one. Every role of a deployment trusts the same provider.
 */
async function folderOidcProvider(folder: string): Promise<string | undefined> {
  const profiles = await readdir(path.join(folder, "profiles")).catch(() => [] as string[]);
  for (const file of profiles.sort(compareStrings)) {
    if (!file.endsWith(".yaml")) continue;
    const text = await readFile(path.join(folder, "profiles", file), "utf8").catch(() => "");
    // Most profile files of a deployment without AWS roles are skipped without parsing.
    if (!text.includes("oidc-provider/")) continue;
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) break;
      const arn = trustedOidcProvider(document.toJS());
      if (arn !== undefined) return arn;
    }
  }
  return undefined;
}

/** Returns the OIDC provider ARN of the trust policy of `object` when it is an ACK IAM Role. */
function trustedOidcProvider(object: unknown): string | undefined {
  const role = object as { kind?: unknown; spec?: { assumeRolePolicyDocument?: unknown } } | null;
  const document = role?.spec?.assumeRolePolicyDocument;
  if (role?.kind !== "Role" || typeof document !== "string") return undefined;
  let policy: { Statement?: { Principal?: { Federated?: unknown } }[] };
  try {
    policy = JSON.parse(document);
  } catch {
    return undefined;
  }
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [];
  for (const statement of statements) {
    const federated = statement?.Principal?.Federated;
    if (typeof federated === "string" && federated.includes(":oidc-provider/")) return federated;
  }
  return undefined;
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
    clash.oidcProvider === undefined
      ? `both sync to ${clash.server}`
      : `both sync the cluster of IAM OIDC provider ${clash.oidcProvider}, which the IAM roles of both ` +
        "deployments trust";
  return (
    `${varsFile}: deployment ${clash.deployment} and ${formatPath(clash.other)}, in another ops repo of this git ` +
    `repository, ${cluster}, so two Applications apply ${objects}. Each sync overwrites these objects ` +
    "with its own ops repo's version, so the cake-admin ClusterRoleBinding grants one repo's cake-admins or " +
    "the other's, and a shared Profile's owner and quota follow whichever synced last. Keep the deployments " +
    "of one cluster in one ops repo: move the users of one of the two vars files into the other, or give each " +
    "deployment a cluster of its own"
  );
}
