/**
 * GCP identity of a profile, as Config Connector objects: a service account, the Workload
 * Identity binding that lets the profile's `default-editor` act as it, and its project roles.
 */
import {
  gcpRoleMemberName,
  gcpServiceAccountEmail,
  gcpServiceAccountId,
  gcpWorkloadIdentityMemberName,
  PROFILE_EDITOR_SERVICE_ACCOUNT,
} from "../model/names.js";
import type { Deployment, GcpSettings, ProfileRef } from "../model/types.js";
import { requireGcpSettings } from "./cloud-settings.js";
import {
  compareStrings,
  type GeneratedObject,
  managedLabels,
  SYNC_OPTIONS,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE,
  SYNC_WAVE_ANNOTATION,
} from "./metadata.js";

const CNRM_API_VERSION = "iam.cnrm.cloud.google.com/v1beta1";
export const CNRM_PROJECT_ANNOTATION = "cnrm.cloud.google.com/project-id";
const CNRM_DELETION_POLICY_ANNOTATION = "cnrm.cloud.google.com/deletion-policy";
const WORKLOAD_IDENTITY_USER_ROLE = "roles/iam.workloadIdentityUser";

export interface IamServiceAccountObject extends GeneratedObject {
  apiVersion: typeof CNRM_API_VERSION;
  kind: "IAMServiceAccount";
  spec: { displayName: string };
}

export interface IamPolicyMemberObject extends GeneratedObject {
  apiVersion: typeof CNRM_API_VERSION;
  kind: "IAMPolicyMember";
  spec: {
    member: string;
    role: string;
    resourceRef: { kind: "IAMServiceAccount"; name: string } | { kind: "Project"; external: string };
  };
}

/**
 * Returns the IAMServiceAccount and IAMPolicyMembers of a profile, or nothing unless the
 * deployment's provider is `gcp`.
 */
export function gcpIdentity(deployment: Deployment, profile: ProfileRef): GeneratedObject[] {
  if (deployment.cloud.provider !== "gcp") return [];
  const gcp = requireGcpSettings(deployment.cloud);
  const roles = [...new Set([...gcp.defaultRoles, ...profile.gcpRoles])].sort(compareStrings);

  return [
    iamServiceAccount(deployment, gcp, profile),
    workloadIdentityMember(deployment, gcp, profile),
    ...roles.map((role) => projectRoleMember(deployment, gcp, profile, role)),
  ];
}

/**
 * Returns the service account of a profile. It is abandoned, not deleted, when the object
 * goes, because workloads of a kept namespace may still use it.
 */
function iamServiceAccount(
  deployment: Deployment,
  gcp: GcpSettings,
  profile: ProfileRef,
): IamServiceAccountObject {
  return {
    apiVersion: CNRM_API_VERSION,
    kind: "IAMServiceAccount",
    metadata: {
      name: gcpServiceAccountId(gcp.serviceAccountPrefix, profile.name),
      namespace: deployment.cloud.identityNamespace,
      labels: managedLabels(),
      annotations: {
        [CNRM_PROJECT_ANNOTATION]: gcp.projectId,
        [CNRM_DELETION_POLICY_ANNOTATION]: "abandon",
        ...cloudIdentitySyncAnnotations(),
      },
    },
    spec: { displayName: `Kubeflow profile ${profile.name}` },
  };
}

/**
 * Returns the Workload Identity binding of a profile. The profile controller's
 * WorkloadIdentity plugin adds the same binding through the IAM API; this object makes it
 * independent of the controller's own GCP permissions.
 */
function workloadIdentityMember(
  deployment: Deployment,
  gcp: GcpSettings,
  profile: ProfileRef,
): IamPolicyMemberObject {
  const accountId = gcpServiceAccountId(gcp.serviceAccountPrefix, profile.name);
  return {
    apiVersion: CNRM_API_VERSION,
    kind: "IAMPolicyMember",
    metadata: {
      name: gcpWorkloadIdentityMemberName(accountId),
      namespace: deployment.cloud.identityNamespace,
      labels: managedLabels(),
      annotations: cloudIdentitySyncAnnotations(),
    },
    spec: {
      member: `serviceAccount:${gcp.projectId}.svc.id.goog[${profile.name}/${PROFILE_EDITOR_SERVICE_ACCOUNT}]`,
      role: WORKLOAD_IDENTITY_USER_ROLE,
      resourceRef: { kind: "IAMServiceAccount", name: accountId },
    },
  };
}

/**
 * Returns the grant of one project role to a profile's service account. It carries no
 * deletion policy: removing the role from the vars file must revoke it in GCP.
 */
function projectRoleMember(
  deployment: Deployment,
  gcp: GcpSettings,
  profile: ProfileRef,
  role: string,
): IamPolicyMemberObject {
  const accountId = gcpServiceAccountId(gcp.serviceAccountPrefix, profile.name);
  return {
    apiVersion: CNRM_API_VERSION,
    kind: "IAMPolicyMember",
    metadata: {
      name: gcpRoleMemberName(accountId, role),
      namespace: deployment.cloud.identityNamespace,
      labels: managedLabels(),
      annotations: cloudIdentitySyncAnnotations(),
    },
    spec: {
      member: `serviceAccount:${gcpServiceAccountEmail(gcp.projectId, accountId)}`,
      role,
      resourceRef: { kind: "Project", external: `projects/${gcp.projectId}` },
    },
  };
}

function cloudIdentitySyncAnnotations(): Record<string, string> {
  return {
    [SYNC_WAVE_ANNOTATION]: SYNC_WAVE.cloudIdentity,
    [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.cloudIdentity,
  };
}
