/**
 * Generation: pure functions from the deployment model to the files of its deployment
 * folder. Nothing here reads or writes the disk; the writer in `src/output` does.
 */
import type { Deployment } from "../model/types.js";
import { assertUniqueObjects, type GeneratedFile, type ObjectFile } from "./layout.js";
import { planDeploymentFiles } from "./plan.js";

export type { GeneratedFile } from "./layout.js";
export type { GeneratedObject } from "./metadata.js";
export { type PlannedFile, planDeploymentFiles } from "./plan.js";

/**
 * Returns every file of a deployment folder, sorted by path. The same model gives equal
 * output whatever the order of its users and namespaces.
 */
export function generateDeployment(deployment: Deployment): GeneratedFile[] {
  const files = planDeploymentFiles(deployment).map((file) => file.build());
  assertUniqueObjects(files.filter((file): file is ObjectFile => !file.path.endsWith("kustomization.yaml")));
  return files;
}
