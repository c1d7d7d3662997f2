/**
 * AWS identity of a profile: an ACK IAM Role that the profile's `default-editor` service
 * account assumes through IRSA (IAM roles for service accounts).
 */
import {
  type AwsPartition,
  awsPartition,
  awsRoleName,
  PROFILE_EDITOR_SERVICE_ACCOUNT,
} from "../model/names.js";
import type { AwsSettings, Deployment, ProfileRef } from "../model/types.js";
import { requireAwsSettings } from "./cloud-settings.js";
import {
  compareStrings,
  type GeneratedObject,
  managedLabels,
  SYNC_OPTIONS,
  SYNC_OPTIONS_ANNOTATION,
  SYNC_WAVE,
  SYNC_WAVE_ANNOTATION,
} from "./metadata.js";

/** An ACK `iam.services.k8s.aws/v1alpha1` Role (ACK iam-controller `apis/v1alpha1/role.go`). */
export interface AckRoleObject extends GeneratedObject {
  apiVersion: "iam.services.k8s.aws/v1alpha1";
  kind: "Role";
  spec: {
    name: string;
    assumeRolePolicyDocument: string;
    policies?: string[];
    permissionsBoundary?: string;
  };
}

/**
 * ACK deletes the IAM role together with its Role object unless this annotation is
 * `retain`. Running workloads of a kept namespace still use the role.
 */
const ACK_DELETION_POLICY_ANNOTATION = "services.k8s.aws/deletion-policy";

/** Returns the ACK Role of a profile, or nothing unless the deployment's provider is `aws`. */
export function awsIdentity(deployment: Deployment, profile: ProfileRef): GeneratedObject[] {
  if (deployment.cloud.provider !== "aws") return [];
  return [ackRole(deployment, profile)];
}

export function ackRole(deployment: Deployment, profile: ProfileRef): AckRoleObject {
  const aws = requireAwsSettings(deployment.cloud);
  const roleName = awsRoleName(aws.roleNamePrefix, profile.name);
  const policies = [...new Set([...aws.defaultPolicyArns, ...profile.awsPolicyArns])].sort(compareStrings);

  const spec: AckRoleObject["spec"] = {
    name: roleName,
    assumeRolePolicyDocument: trustPolicyDocument(aws, profile.name, awsPartition(deployment.region)),
  };
  if (policies.length > 0) spec.policies = policies;
  if (aws.permissionsBoundaryArn !== undefined) spec.permissionsBoundary = aws.permissionsBoundaryArn;

  return {
    apiVersion: "iam.services.k8s.aws/v1alpha1",
    kind: "Role",
    metadata: {
      name: roleName,
      namespace: deployment.cloud.identityNamespace,
      labels: managedLabels(),
      annotations: {
        [ACK_DELETION_POLICY_ANNOTATION]: "retain",
        [SYNC_WAVE_ANNOTATION]: SYNC_WAVE.cloudIdentity,
        [SYNC_OPTIONS_ANNOTATION]: SYNC_OPTIONS.cloudIdentity,
      },
    },
    spec,
  };
}

/** Returns the ARN of the IAM OIDC provider of the cluster's service account token issuer. */
export function oidcProviderArn(aws: AwsSettings, partition: AwsPartition): string {
  return `arn:${partition}:iam::${aws.accountId}:oidc-provider/${aws.oidcProvider}`;
}

/**
 * Returns the IRSA trust policy of a profile's role as compact JSON with keys in a fixed
 * order. It lets the profile's `default-editor` service account assume the role with a
 * web identity token that the cluster's OIDC provider issued for the STS audience. The
 * audience is `sts.amazonaws.com` in every partition, China included: it is the default
 * token audience of the EKS pod identity webhook, not an STS endpoint, and eksctl uses it
 * for `aws-cn` too.
 */
export function trustPolicyDocument(aws: AwsSettings, profile: string, partition: AwsPartition): string {
  const oidc = aws.oidcProvider;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn(aws, partition) },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${oidc}:sub`]: `system:serviceaccount:${profile}:${PROFILE_EDITOR_SERVICE_ACCOUNT}`,
            [`${oidc}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  });
}
