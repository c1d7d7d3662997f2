/**
 * Cloud settings: the provider's block is present, its ids and ARNs are well-formed, and no other
 * provider's settings are left in the file.
 */
import { awsPartition } from "../../model/names.js";
import type { Diagnostic } from "../diagnostics.js";
import type { FieldPath } from "../field-path.js";
import type { Rule, RuleContext } from "./context.js";

/** IAM policy ARNs, AWS-managed (`aws`) or customer-managed, in every partition; paths allowed. */
const POLICY_ARN = /^arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]+$/;
const ACCOUNT_ID = /^\d{12}$/;
/** Host and path of an OIDC issuer, as IAM names the provider: no scheme, no trailing slash. */
const OIDC_PROVIDER =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+(\/[A-Za-z0-9._~-]+)*$/;
const GCP_PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const GCP_ROLE =
  /^(roles\/[A-Za-z0-9_.]+|projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/roles\/[A-Za-z0-9_.]+|organizations\/\d+\/roles\/[A-Za-z0-9_.]+)$/;

export const cloudSettingsRule: Rule = {
  name: "cloud-settings",
  check({ source, view }) {
    const provider = view.cloud.provider;
    if ((provider !== "aws" && provider !== "gcp") || view.cloud[provider] !== undefined) return [];
    const example = provider === "aws" ? 'account_id: "123456789012" and oidc_provider' : "project_id";
    return [
      source.diagnostic(
        "error",
        "missing-cloud-settings",
        ["cloud", "provider"],
        `"${provider}" needs a cloud.${provider} block, which is missing; add cloud.${provider} with ${example}`,
      ),
    ];
  },
};

/**
 * The settings of a provider other than `cloud.provider` generate nothing. A block left over from
 * a provider change would look effective in review, so each one is a warning.
 */
export const unusedCloudSettingsRule: Rule = {
  name: "unused-cloud-settings",
  check({ source, view }) {
    const provider = view.cloud.provider;
    if (provider !== "aws" && provider !== "gcp" && provider !== "none") return [];

    const diagnostics: Diagnostic[] = [];
    for (const block of ["aws", "gcp"] as const) {
      if (block === provider) continue;
      const message =
        `is ignored because cloud.provider is "${provider}", so cake generates nothing from it; ` +
        `remove the block, or set cloud.provider: ${block}`;
      if (view.cloud[block] !== undefined) {
        diagnostics.push(
          source.diagnostic("warning", "unused-cloud-settings", ["cloud", block], message, { key: true }),
        );
      }
      for (const entry of view.deployNamespaces) {
        const present = block === "aws" ? entry.value.hasAws : entry.value.hasGcp;
        if (!present) continue;
        diagnostics.push(
          source.diagnostic("warning", "unused-cloud-settings", [...entry.path, block], message, {
            key: true,
          }),
        );
      }
    }
    return diagnostics;
  },
};

function policyArnDiagnostics(
  context: RuleContext,
  arns: readonly (string | undefined)[],
  path: FieldPath,
): Diagnostic[] {
  return arns.flatMap((arn, index) => {
    if (arn === undefined) return [];
    const diagnostic = policyArnDiagnostic(context, arn, [...path, index]);
    return diagnostic ? [diagnostic] : [];
  });
}

function policyArnDiagnostic(context: RuleContext, arn: string, path: FieldPath): Diagnostic | undefined {
  if (!POLICY_ARN.test(arn)) {
    return context.source.diagnostic(
      "error",
      "invalid-arn",
      path,
      `"${arn}" is not an IAM policy ARN; expected arn:aws:iam::<12-digit account or "aws">:policy/<name>, ` +
        "such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    );
  }

  // IAM cannot attach a policy of another partition, and cake builds the role's own ARNs in
  // the partition of the deployment's region.
  const { region } = context.view;
  const arnPartition = arn.split(":")[1];
  if (context.view.cloud.provider !== "aws" || region === undefined) return undefined;
  const partition = awsPartition(region);
  if (arnPartition === partition) return undefined;
  return context.source.diagnostic(
    "error",
    "invalid-arn",
    path,
    `"${arn}" is in partition ${arnPartition}, but region "${region}" is in partition ${partition}, ` +
      `and IAM never attaches a policy across partitions; write arn:${partition}:${arn.split(":").slice(2).join(":")}`,
  );
}

export const awsSettingsRule: Rule = {
  name: "aws-settings",
  check(context) {
    const { source, view } = context;
    const aws = view.cloud.aws;
    if (!aws) return [];
    const diagnostics: Diagnostic[] = [];

    if (aws.accountId !== undefined && !ACCOUNT_ID.test(aws.accountId)) {
      diagnostics.push(
        source.diagnostic(
          "error",
          "invalid-account-id",
          ["cloud", "aws", "account_id"],
          `"${aws.accountId}" is not an AWS account id; write the 12 digits as a quoted string, such as "123456789012"`,
        ),
      );
    }

    const oidcProvider = aws.oidcProvider;
    if (oidcProvider !== undefined && !OIDC_PROVIDER.test(oidcProvider)) {
      const withoutScheme = oidcProvider.replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
      const fix =
        withoutScheme !== oidcProvider && OIDC_PROVIDER.test(withoutScheme)
          ? `write "${withoutScheme}" (no scheme, no trailing slash)`
          : "write the issuer's host and path without https://, such as oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE";
      diagnostics.push(
        source.diagnostic(
          "error",
          "invalid-oidc-provider",
          ["cloud", "aws", "oidc_provider"],
          `"${oidcProvider}" is not an OIDC provider host and path; ${fix}`,
        ),
      );
    }

    if (aws.permissionsBoundaryArn !== undefined) {
      const boundary = policyArnDiagnostic(context, aws.permissionsBoundaryArn, [
        "cloud",
        "aws",
        "permissions_boundary_arn",
      ]);
      if (boundary) diagnostics.push(boundary);
    }
    diagnostics.push(
      ...policyArnDiagnostics(context, aws.defaultPolicyArns, ["cloud", "aws", "default_policy_arns"]),
    );
    for (const entry of view.deployNamespaces) {
      diagnostics.push(
        ...policyArnDiagnostics(context, entry.value.awsPolicyArns, [...entry.path, "aws", "policy_arns"]),
      );
    }
    return diagnostics;
  },
};

function gcpRoleDiagnostics(
  context: RuleContext,
  roles: readonly (string | undefined)[],
  path: FieldPath,
): Diagnostic[] {
  return roles.flatMap((role, index) =>
    role === undefined || GCP_ROLE.test(role)
      ? []
      : [
          context.source.diagnostic(
            "error",
            "invalid-gcp-role",
            [...path, index],
            `"${role}" is not a GCP IAM role; expected roles/<name>, projects/<project>/roles/<name> or ` +
              "organizations/<id>/roles/<name>, such as roles/storage.objectViewer",
          ),
        ],
  );
}

export const gcpSettingsRule: Rule = {
  name: "gcp-settings",
  check(context) {
    const { source, view } = context;
    const gcp = view.cloud.gcp;
    if (!gcp) return [];
    const diagnostics: Diagnostic[] = [];

    if (gcp.projectId !== undefined && !GCP_PROJECT_ID.test(gcp.projectId)) {
      diagnostics.push(
        source.diagnostic(
          "error",
          "invalid-project-id",
          ["cloud", "gcp", "project_id"],
          `"${gcp.projectId}" is not a GCP project id; it has 6 to 30 lower-case letters, digits and '-', ` +
            "starts with a letter and does not end with '-'",
        ),
      );
    }
    diagnostics.push(...gcpRoleDiagnostics(context, gcp.defaultRoles, ["cloud", "gcp", "default_roles"]));
    for (const entry of view.deployNamespaces) {
      diagnostics.push(...gcpRoleDiagnostics(context, entry.value.gcpRoles, [...entry.path, "gcp", "roles"]));
    }
    return diagnostics;
  },
};
