/**
 * Finds the deployments whose generated Argo CD Application has the namespace and name of a
 * deployment's in another ops repo of the same git repository. `gitops.app_name` defaults to
 * `user-namespace` in every vars file, so two ops repos with a deployment of the same name
 * generate the same Application and AppProject. When one Argo CD applies both `argocd/`
 * folders, the second `kubectl apply -k` replaces the first Application, which then syncs the
 * other repo's folder and prunes the first repo's RoleBindings and AuthorizationPolicies.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parse } from "yaml";
import { serverKey } from "../config/claims.js";
import { ARGOCD_APPLICATION_PATH } from "../generate/layout.js";
import { IN_CLUSTER_SERVER } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import type { PathFormatter } from "../repo/display-path.js";
import { CONFIG_FILE, DEFAULT_VARS_DIR, type RepoLayout } from "../repo/layout.js";
import { findInGitRepository } from "./applicationset-clashes.js";
import type { ClusterClash } from "./cluster-clashes.js";

/** A deployment of this ops repo whose Application another ops repo's deployment generates too. */
export interface ApplicationClash {
  deployment: string;
  varsFile: string;
  argocdNamespace: string;
  appName: string;
  /** Absolute path of the other ops repo's generated `argocd/application.yaml`. */
  other: string;
}

/** The generated Application of a deployment folder in another ops repo. */
export interface OtherApplication {
  file: string;
  deployment: string;
  namespace: string;
  name: string;
  server: string;
}

/**
 * Returns the deployments of the ops repo at `layout` whose Application one Argo CD would
 * keep under the same namespace and name as a deployment's of another ops repo in its git
 * repository. The other repos' generated files give their Applications (tracked, or untracked
 * and not ignored). Cake cannot see which Argo CD applies a folder, so it assumes what the
 * `duplicate-app-name` check within one ops repo assumes: one Argo CD for both when either
 * syncs to a remote `gitops.destination_server`. Both deployments syncing in-cluster are
 * assumed to share a cluster, and so an Argo CD, when their names (`<environment>-<region>`)
 * are equal. Returns none outside git or without a git that runs.
 */
export async function applicationClashes(
  layout: RepoLayout,
  deployments: readonly Deployment[],
): Promise<ApplicationClash[]> {
  const others = await otherApplications(layout);
  const inCluster = serverKey(IN_CLUSTER_SERVER);
  const clashes: ApplicationClash[] = [];
  for (const deployment of deployments) {
    const { argocdNamespace, appName, destinationServer } = deployment.gitops;
    const server = serverKey(destinationServer);
    for (const other of others) {
      if (other.namespace !== argocdNamespace || other.name !== appName) continue;
      const oneArgocd =
        server !== inCluster || serverKey(other.server) !== inCluster || other.deployment === deployment.name;
      if (!oneArgocd) continue;
      clashes.push({
        deployment: deployment.name,
        varsFile: deployment.varsFile,
        argocdNamespace,
        appName,
        other: other.file,
      });
    }
  }
  return clashes;
}

/**
 * Returns the generated Applications of the git repository of `layout` outside its output
 * folder. A file that is not an Application, as cake generates it, is left out, and so is one
 * that this ops repo left in an output folder it no longer uses.
 */
export async function otherApplications(layout: RepoLayout): Promise<OtherApplication[]> {
  const found = await findInGitRepository(layout.root, `**/${ARGOCD_APPLICATION_PATH}`);
  if (found === undefined) return [];

  const ownOutput = `${path.join(found.realRoot, layout.outputDir)}${path.sep}`;
  const applications: OtherApplication[] = [];
  for (const file of found.files) {
    if (file.startsWith(ownOutput) || (await isOwnOldOutput(file, found.realRoot))) continue;
    const application = await readApplication(file);
    if (application !== undefined) applications.push(application);
  }
  return applications;
}

/**
 * Returns whether the generated `<deployment>/argocd/application.yaml` at `file` is output of
 * the ops repo at `root` that `output_dir` no longer names, such as `deployments/` after a
 * move to `out/`. It is when no folder between `root` and the deployment folder has a
 * `cake.yaml` or a `vars` folder, which would make it the root of a nested ops repo.
 * NOTE: a nested ops repo with neither, its vars folder named in the nested repo's options
 * only, is taken as this repo's old output, so its clashes go unreported.
 */
async function isOwnOldOutput(file: string, root: string): Promise<boolean> {
  if (!file.startsWith(`${root}${path.sep}`)) return false;
  const marksRoot = async (folder: string, entry: string) =>
    (await stat(path.join(folder, entry)).catch(() => undefined)) !== undefined;
  // The folder that contains the deployment folders, then each folder above it.
  let folder = path.dirname(path.dirname(path.dirname(file)));
  while (folder.startsWith(`${root}${path.sep}`)) {
    if ((await marksRoot(folder, CONFIG_FILE)) || (await marksRoot(folder, DEFAULT_VARS_DIR))) return false;
    folder = path.dirname(folder);
  }
  return true;
}

/** Returns the Application in the generated file `file`, or undefined for any other file. */
async function readApplication(file: string): Promise<OtherApplication | undefined> {
  let object: unknown;
  try {
    object = parse(await readFile(file, "utf8"));
  } catch {
    return undefined;
  }
  const application = object as {
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
    spec?: { destination?: { server?: unknown } };
  } | null;
  const name = application?.metadata?.name;
  const namespace = application?.metadata?.namespace;
  const server = application?.spec?.destination?.server;
  if (application?.kind !== "Application" || typeof name !== "string" || typeof namespace !== "string")
    return undefined;
  if (typeof server !== "string") return undefined;
  // The file is `<output>/<deployment>/argocd/application.yaml`.
  const deployment = path.basename(path.dirname(path.dirname(file)));
  return { file, deployment, namespace, name, server };
}

/**
/**
 * Returns the warning for `clash`, with paths as `formatPath` prints them: what applying both
 * `argocd/` folders does, and how to give the deployment a name of its own. The cake-admin
 * ClusterRoleBinding that two deployments of one cluster share is mentioned only when
 * `clusterClashes` has no warning for the same pair, which explains it in full.
 */
export function applicationClashMessage(
  clash: ApplicationClash,
  formatPath: PathFormatter,
  clusterClashes: readonly ClusterClash[] = [],
): string {
  const other = formatPath(clash.other);
  const varsFile = formatPath(clash.varsFile);
  // The other deployment's folder is the parent of its `argocd/` folder.
  const otherFolder = path.dirname(path.dirname(clash.other));
  const sharedCluster = clusterClashes.some(
    (cluster) => cluster.deployment === clash.deployment && cluster.other === otherFolder,
  );
  // The caller ends the message with a period.
  const clusterAdvice = sharedCluster
    ? ""
    : ". If both deployments sync one cluster, they also both manage its cake-admin ClusterRoleBinding: keep the " +
      "deployments of a cluster in one ops repo";
  return (
    `${varsFile}: Argo CD Application "${clash.appName}" in namespace "${clash.argocdNamespace}" of deployment ` +
    `${clash.deployment} is also the Application of ${other}, in another ops repo of this git repository. If one ` +
    "Argo CD applies both argocd/ folders, the second kubectl apply replaces the first Application, which then " +
    "syncs the other folder and prunes this deployment's RoleBindings and AuthorizationPolicies. Set a distinct " +
    "gitops.app_name in one of the two vars files, run cake reconcile and apply its new argocd/ folder, then " +
    `apply the other deployment's argocd/ folder again, which takes the old name back${clusterAdvice}`
  );
}
