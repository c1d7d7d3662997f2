/**
 * Finds the deployments whose Application, as the ApplicationSet file of their ops repo names
 * it, is longer than a label value. Argo CD with label resource tracking (the default before
 * Argo CD 3.0, a setting since) writes the Application name into the
 * `app.kubernetes.io/instance` label of every object it syncs. Kubernetes rejects a label
 * value of more than 63 characters, so every sync of that Application fails. Annotation
 * tracking, the default since 3.0, has no such limit.
 */
import path from "node:path";
import { ARGOCD_APPLICATION_PATH } from "../generate/layout.js";
import { APPLICATIONSET_APPLICATION_PREFIX, NAME_LIMITS } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import type { PathFormatter } from "../repo/display-path.js";
import { APPLICATIONSET_FILE, type RepoLayout } from "../repo/layout.js";
import { applicationSetNamer } from "./applicationset-clashes.js";

/** A deployment whose ApplicationSet Application name exceeds the limit of a label value. */
export interface LongApplicationName {
  deployment: string;
  varsFile: string;
  /** Absolute path of the ops repo's ApplicationSet file. */
  file: string;
  /** The name of the Application that the file generates for the deployment. */
  name: string;
}

/**
 * Returns the deployments of the ops repo at `layout` whose Application, as its ApplicationSet
 * file names it, has more than 63 characters. With `exceptVarsWarnings`, a deployment whose name
 * alone makes `cake-<deployment>` too long is left out, for a command that prints the
 * `applicationset-name-too-long` warning of its vars file already. Returns none when the file
 * is missing or not YAML.
 */
export async function longApplicationNames(
  layout: RepoLayout,
  deployments: readonly Deployment[],
  { exceptVarsWarnings = false } = {},
): Promise<LongApplicationName[]> {
  const file = path.join(layout.root, APPLICATIONSET_FILE);
  const prefix = layout.repoPath === "" ? "" : `${layout.repoPath}/`;
  const applicationsOf = await applicationSetNamer(file);
  const long: LongApplicationName[] = [];
  for (const deployment of deployments) {
    const warned =
      `${APPLICATIONSET_APPLICATION_PREFIX}${deployment.name}`.length > NAME_LIMITS.argocdApplication;
    if (exceptVarsWarnings && warned) continue;
    // The generator matches paths from the top of the git repository, where `repo_path` starts them.
    const applicationFile = `${prefix}${layout.outputDir}/${deployment.name}/${ARGOCD_APPLICATION_PATH}`;
    for (const { name } of applicationsOf(applicationFile)) {
      if (name.length <= NAME_LIMITS.argocdApplication) continue;
      long.push({ deployment: deployment.name, varsFile: deployment.varsFile, file, name });
    }
  }
  return long;
}

/** Returns the warning for `long`, with the path of the file as `formatPath` prints it, and the fixes. */
export function longApplicationNameMessage(long: LongApplicationName, formatPath: PathFormatter): string {
  const file = formatPath(long.file);
  return (
    `${file} names the Argo CD Application of deployment ${long.deployment} "${long.name}", of ` +
    `${long.name.length} characters (limit ${NAME_LIMITS.argocdApplication}). An Argo CD with label resource ` +
    "tracking (the default before 3.0) writes that name into a label of every object, so each sync of the " +
    "deployment fails. If you apply that file, set application.resourceTrackingMethod: annotation in the " +
    'argocd-cm ConfigMap, or shorten the text before "{{" in its spec.template.metadata.name and apply it ' +
    "again: Argo CD re-creates its Applications under the new names, and with preserveResourcesOnDeletion " +
    "their resources stay"
  );
}
