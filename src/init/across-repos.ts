/**
 * The checks against the other ops repos of the same git repository that `cake validate`,
 * `cake plan` and `cake reconcile --check` share: a deployment whose Argo CD Application or
 * cluster a deployment of another ops repo has too. They read the other repos' generated
 * output, never their vars files, and find nothing outside git.
 */
import type { Deployment } from "../model/types.js";
import type { PathFormatter } from "../repo/display-path.js";
import type { RepoLayout } from "../repo/layout.js";
import { type ApplicationClash, applicationClashes, applicationClashMessage } from "./application-clashes.js";
import { type ClusterClash, clusterClashes, clusterClashMessage } from "./cluster-clashes.js";

/** The clashes of the deployments of one ops repo with other ops repos; an empty list is left out. */
export interface AcrossRepoClashes {
  applicationClashes?: ApplicationClash[];
  clusterClashes?: ClusterClash[];
}

/** Returns the clashes of `deployments`, of the ops repo at `layout`, with the other ops repos. */
export async function acrossRepoClashes(
  layout: RepoLayout,
  deployments: readonly Deployment[],
): Promise<AcrossRepoClashes> {
  const applications = await applicationClashes(layout, deployments);
  const clusters = await clusterClashes(layout, deployments);
  return {
    ...(applications.length === 0 ? {} : { applicationClashes: applications }),
    ...(clusters.length === 0 ? {} : { clusterClashes: clusters }),
  };
}

/** Returns the warning of each clash, without the final period, with paths as `formatPath` prints them. */
export function acrossRepoMessages(clashes: AcrossRepoClashes, formatPath: PathFormatter): string[] {
  return [
    ...(clashes.applicationClashes ?? []).map((clash) =>
      applicationClashMessage(clash, formatPath, clashes.clusterClashes),
    ),
    ...(clashes.clusterClashes ?? []).map((clash) => clusterClashMessage(clash, formatPath)),
  ];
}
