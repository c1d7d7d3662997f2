/**
 * Generation: pure functions from the deployment model to the files of its deployment
 * folder. Nothing here reads or writes the disk; the writer in `src/output` does.
 */
import { profilesOf } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import { argocdApplication, argocdAppProject } from "./argocd.js";
import { awsIdentity } from "./aws.js";
import { cakeAdminRbac } from "./cake-admin.js";
import { contributorAccess } from "./contributors.js";
import { gcpIdentity } from "./gcp.js";
import { identityNamespace } from "./identity-namespace.js";
import {
  argocdFiles,
  type GeneratedFile,
  sortFiles,
  syncedFiles,
  syncedKustomizationFile,
} from "./layout.js";
import { limitRange } from "./limit-range.js";
import type { GeneratedObject } from "./metadata.js";
import { namespaceAndProfile } from "./profiles.js";

export type { GeneratedFile } from "./layout.js";
export type { GeneratedObject } from "./metadata.js";

/**
 * Returns every file of a deployment folder, sorted by path. The same model gives equal
 * output whatever the order of its users and namespaces.
 */
export function generateDeployment(deployment: Deployment): GeneratedFile[] {
  const profiles = new Map<string, GeneratedObject[]>();
  for (const profile of profilesOf(deployment)) {
    profiles.set(profile.name, [
      ...namespaceAndProfile(deployment, profile),
      ...limitRange(deployment, profile),
      ...awsIdentity(deployment, profile),
      ...gcpIdentity(deployment, profile),
    ]);
  }

  const synced = syncedFiles({
    profiles,
    contributors: contributorAccess(deployment),
    cluster: cakeAdminRbac(deployment),
    cloudNamespace: identityNamespace(deployment),
  });
  const bootstrap = argocdFiles(argocdApplication(deployment), argocdAppProject(deployment, synced));
  return sortFiles([...synced, syncedKustomizationFile(synced), ...bootstrap]);
}
