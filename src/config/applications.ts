/**
 * A check across vars files: two deployments whose Argo CD Applications one Argo CD instance
 * would keep under the same name. `kubectl apply -k deployments/<name>/argocd` of the second
 * replaces the first deployment's Application and AppProject, and the first deployment's
 * output stops syncing without any error: revoked access stays in its cluster.
 */
import { IN_CLUSTER_SERVER, NAME_LIMITS } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import type { Diagnostic } from "./diagnostics.js";
import { withTextPositions } from "./text-positions.js";

/** The fields that name a deployment's Argo CD Application, enough to find two that collide. */
export interface ApplicationTarget {
  /** Deployment name, `<environment>-<region>`. */
  name: string;
  varsFile: string;
  argocdNamespace: string;
  appName: string;
  destinationServer: string;
}

/** Returns the Application target of a loaded deployment. */
export function applicationTarget(deployment: Deployment): ApplicationTarget {
  const { argocdNamespace, appName, destinationServer } = deployment.gitops;
  return {
    name: deployment.name,
    varsFile: deployment.varsFile,
    argocdNamespace,
    appName,
    destinationServer,
  };
}

/**
 * Returns an error for each of `targets` whose Application shares its namespace and name with
 * another's, when one of them syncs to a remote cluster. Deployments that all sync in-cluster
 * run an Argo CD each, so equal names there are fine. A remote destination means one Argo CD
 * manages several clusters, and then the names must differ. `others` are deployments that
 * were not loaded (reconcile found them up to date): they count as partners but get no
 * error of their own. `sources` contains the vars texts by file, to find the line of
 * `gitops.app_name`.
 */
export function applicationNameCollisions(
  targets: readonly ApplicationTarget[],
  sources: Readonly<Record<string, string>>,
  others: readonly ApplicationTarget[] = [],
): Diagnostic[] {
  const byApplication = new Map<string, ApplicationTarget[]>();
  for (const target of [...targets, ...others]) {
    const key = `${target.argocdNamespace}/${target.appName}`;
    byApplication.set(key, [...(byApplication.get(key) ?? []), target]);
  }

  const reported = new Set(targets);
  const diagnostics: Diagnostic[] = [];
  for (const group of byApplication.values()) {
    if (group.length < 2) continue;
    if (group.every((target) => target.destinationServer === IN_CLUSTER_SERVER)) continue;
    for (const target of group) {
      if (!reported.has(target)) continue;
      const partners = group.filter((other) => other !== target).map((other) => other.varsFile);
      const diagnostic: Diagnostic = {
        severity: "error",
        code: "duplicate-app-name",
        file: target.varsFile,
        line: 0,
        column: 0,
        path: "gitops.app_name",
        message:
          `Argo CD Application "${target.appName}" in namespace "${target.argocdNamespace}" is also the ` +
          `Application of ${partners.join(", ")}, and a gitops.destination_server outside the cluster ` +
          "means one Argo CD manages them: applying the second argocd/ folder replaces the first " +
          `deployment's Application. Set a distinct gitops.app_name${suggestion(target)}, apply the new ` +
          "argocd/ folder, then delete the old Application: it has no resources finalizer, so nothing " +
          "it synced is deleted.",
      };
      diagnostics.push(locate(diagnostic, sources[target.varsFile]));
    }
  }
  return diagnostics;
}

function suggestion(target: ApplicationTarget): string {
  const name = `${target.appName}-${target.name}`;
  return name.length <= NAME_LIMITS.argocdApplication ? ` such as "${name}"` : "";
}

/** Places `diagnostic` on `gitops.app_name`, or on the `gitops` key when the name is the default. */
function locate(diagnostic: Diagnostic, text: string | undefined): Diagnostic {
  if (text === undefined) return diagnostic;
  const [located] = withTextPositions(text, [diagnostic]);
  if (located !== undefined && located.line > 0) return located;
  const header = /^gitops:/m.exec(text);
  if (header === null) return diagnostic;
  const line = text.slice(0, header.index).split("\n").length;
  return { ...diagnostic, line, column: 1, path: "gitops" };
}
