import type { AwsSettings, CloudSettings, GcpSettings } from "../model/types.js";

/**
 * Returns the AWS settings of a deployment whose provider is `aws`. Validation reports
 * missing settings (`missing-cloud-settings`), so reaching the throw is a bug.
 */
export function requireAwsSettings(cloud: CloudSettings): AwsSettings {
  if (cloud.aws === undefined)
    throw new Error("cloud.provider is aws but the model has no cloud.aws settings");
  return cloud.aws;
}

/** Returns the GCP settings of a deployment whose provider is `gcp`; see `requireAwsSettings`. */
export function requireGcpSettings(cloud: CloudSettings): GcpSettings {
  if (cloud.gcp === undefined)
    throw new Error("cloud.provider is gcp but the model has no cloud.gcp settings");
  return cloud.gcp;
}
