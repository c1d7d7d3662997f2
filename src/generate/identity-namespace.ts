/**
 * The namespace of the cloud identity objects (ACK Roles, Config Connector objects).
 */
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { Deployment } from "../model/types.js";
import { requireGcpSettings } from "./cloud-settings.js";
import { CNRM_PROJECT_ANNOTATION } from "./gcp.js";
import {
  type GeneratedObject,
  managedLabels,
  SYNC_OPTIONS,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE,
  SYNC_WAVE_ANNOTATION,
  typedObject,
} from "./metadata.js";

/**
 * Returns the identity Namespace, or nothing when the provider is `none`. It is never pruned,
 * like a profile namespace, because deleting it deletes every cloud identity object in it,
 * and with `gcp` the project role grants of those objects. With `gcp` it also names the
 * project, which Config Connector uses for objects in it that name none.
 */
export function identityNamespace(deployment: Deployment): GeneratedObject[] {
  const { cloud } = deployment;
  if (cloud.provider === "none") return [];

  const annotations: Record<string, string> = {
    [SYNC_WAVE_ANNOTATION]: SYNC_WAVE.identityNamespace,
    [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.keepData,
  };
  if (cloud.provider === "gcp") annotations[CNRM_PROJECT_ANNOTATION] = requireGcpSettings(cloud).projectId;

  return [
    typedObject<INamespace>({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: cloud.identityNamespace, labels: managedLabels(), annotations },
    }),
  ];
}
