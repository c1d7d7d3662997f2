/**
 * The namespace of the cloud identity objects (ACK Roles, Config Connector objects).
 */
import { Namespace } from "kubernetes-models/v1";
import type { Deployment } from "../model/types.js";
import { CNRM_PROJECT_ANNOTATION } from "./gcp.js";
import {
  type GeneratedObject,
  managedLabels,
  SYNC_OPTIONS,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE,
  SYNC_WAVE_ANNOTATION,
  toPlainObject,
} from "./metadata.js";

/**
 * Returns the identity Namespace, or nothing when the provider is `none`. It is kept like a
 * profile namespace, because deleting it would delete the objects that keep the cloud
 * identities. With `gcp` it names the project, which Config Connector uses for objects in
 * it that name none.
 */
export function identityNamespace(deployment: Deployment): GeneratedObject[] {
  const { cloud } = deployment;
  if (cloud.provider === "none") return [];

  const annotations: Record<string, string> = {
    [SYNC_WAVE_ANNOTATION]: SYNC_WAVE.identityNamespace,
    [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.keepData,
  };
  if (cloud.provider === "gcp" && cloud.gcp !== undefined) {
    annotations[CNRM_PROJECT_ANNOTATION] = cloud.gcp.projectId;
  }

  const namespace = new Namespace({
    metadata: { name: cloud.identityNamespace, labels: managedLabels(), annotations },
  });
  return [toPlainObject(namespace)];
}
