/**
 * Namespaces and Profiles: one pair per profile (a user's private one or a deploy namespace).
 */
import type { INamespace } from "kubernetes-models/v1/Namespace";
import {
  awsPartition,
  awsRoleArn,
  awsRoleName,
  gcpServiceAccountEmail,
  gcpServiceAccountId,
} from "../model/names.js";
import type { Deployment, ProfileRef } from "../model/types.js";
import { requireAwsSettings, requireGcpSettings } from "./cloud-settings.js";
import {
  type GeneratedObject,
  managedLabels,
  SYNC_OPTIONS,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE,
  SYNC_WAVE_ANNOTATION,
  typedObject,
} from "./metadata.js";

/** A Profile plugin (`kubeflow.org/v1` `Plugin`: TypeMeta plus a free-form spec). */
export interface ProfilePlugin {
  kind: "AwsIamForServiceAccount" | "WorkloadIdentity";
  spec: Record<string, unknown>;
}

/** A `kubeflow.org/v1` Profile; no typed model of it exists, so it is built as plain data. */
export interface ProfileObject extends GeneratedObject {
  apiVersion: "kubeflow.org/v1";
  kind: "Profile";
  spec: {
    owner: { kind: "User"; apiGroup: "rbac.authorization.k8s.io"; name: string };
    resourceQuotaSpec?: { hard: Record<string, string> };
    plugins?: ProfilePlugin[];
  };
}

/** Returns the Namespace and the Profile of a profile. */
export function namespaceAndProfile(deployment: Deployment, profile: ProfileRef): GeneratedObject[] {
  return [profileNamespace(deployment, profile), profileObject(deployment, profile)];
}

/**
 * Returns the Namespace of a profile. The profile controller adopts an existing namespace
 * only when its `owner` annotation equals the Profile's `spec.owner.name` exactly, and then
 * only adds missing labels (Kubeflow profile controller, `profile_controller.go`). So cake
 * sets the annotation and every label itself.
 */
export function profileNamespace(deployment: Deployment, profile: ProfileRef): GeneratedObject {
  return typedObject<INamespace>({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: profile.name,
      labels: managedLabels(deployment.kubeflow.namespaceLabels),
      annotations: {
        owner: deployment.kubeflow.profileOwner,
        [SYNC_WAVE_ANNOTATION]: SYNC_WAVE.profileNamespace,
        [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.keepData,
      },
    },
  });
}

/**
 * Returns the Profile of a profile. Its owner is the platform identity, never a person,
 * because Kubeflow cannot change a Profile's owner without losing control of the namespace.
 * Empty fields are left out: Argo CD would otherwise report the Profile out of sync forever.
 */
export function profileObject(deployment: Deployment, profile: ProfileRef): ProfileObject {
  const spec: ProfileObject["spec"] = {
    owner: { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: deployment.kubeflow.profileOwner },
  };
  if (Object.keys(profile.resourceQuota).length > 0) {
    spec.resourceQuotaSpec = { hard: { ...profile.resourceQuota } };
  }
  const plugins = profilePlugins(deployment, profile);
  if (plugins.length > 0) spec.plugins = plugins;

  return {
    apiVersion: "kubeflow.org/v1",
    kind: "Profile",
    metadata: {
      name: profile.name,
      labels: managedLabels(),
      annotations: {
        [SYNC_WAVE_ANNOTATION]: SYNC_WAVE.profile,
        [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.profile,
      },
    },
    spec,
  };
}

/**
 * Returns the cloud plugin of a profile. The AWS plugin is `annotateOnly` because cake
 * generates the role's trust policy itself. Without it, the profile controller rewrites
 * the trust policy and fights the IAM controller. The GCP plugin has no such option.
 */
function profilePlugins(deployment: Deployment, profile: ProfileRef): ProfilePlugin[] {
  const { cloud } = deployment;
  if (cloud.provider === "aws") {
    const aws = requireAwsSettings(cloud);
    const partition = awsPartition(deployment.region);
    const roleArn = awsRoleArn(partition, aws.accountId, awsRoleName(aws.roleNamePrefix, profile.name));
    return [{ kind: "AwsIamForServiceAccount", spec: { awsIamRole: roleArn, annotateOnly: true } }];
  }
  if (cloud.provider === "gcp") {
    const gcp = requireGcpSettings(cloud);
    const accountId = gcpServiceAccountId(gcp.serviceAccountPrefix, profile.name);
    const email = gcpServiceAccountEmail(gcp.projectId, accountId);
    return [{ kind: "WorkloadIdentity", spec: { gcpServiceAccount: email } }];
  }
  return [];
}
