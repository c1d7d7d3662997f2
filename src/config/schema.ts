/**
 * The vars file schema: structure and types only. Rules under `rules/` check values
 * (emails, names, quantities, ARNs) so their diagnostics carry precise codes and fixes.
 */
import { z } from "zod";
import {
  DNS1123_LABEL,
  HTTP_HEADER_NAME,
  IN_CLUSTER_SERVER,
  NAME_LIMITS,
  SCP_LIKE_REPO_URL,
} from "../model/names.js";

export const DEFAULT_GATEWAY_PRINCIPALS = [
  "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
  "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
];

/** The labels Kubeflow's profile controller sets on a profile namespace. */
export const DEFAULT_NAMESPACE_LABELS: Record<string, string> = {
  "istio-injection": "enabled",
  "app.kubernetes.io/part-of": "kubeflow-profile",
  "katib.kubeflow.org/metrics-collector-injection": "enabled",
  "pipelines.kubeflow.org/enabled": "true",
  "serving.kubeflow.org/inferenceservice": "enabled",
};

export const DEFAULT_CONTAINER_RESOURCES = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "1", memory: "1Gi" },
};

export const DEFAULT_IDENTITY_NAMESPACE = "cake-cloud-identity";
export const DEFAULT_ARGOCD_NAMESPACE = "argocd";
export const DEFAULT_APP_NAME = "user-namespace";

export const CAKE_ROLES = ["cake-admin", "cake-user"] as const;
export const NAMESPACE_ACCESS = ["edit", "view"] as const;
export const CLOUD_PROVIDERS = ["aws", "gcp", "none"] as const;

/**
 * Returns a string schema whose pattern only editors check. The rules enforce it instead,
 * because their diagnostics carry a code and a fix.
 */
function patternString(pattern: RegExp, maxLength?: number) {
  return z
    .string()
    .meta(maxLength === undefined ? { pattern: pattern.source } : { pattern: pattern.source, maxLength });
}

const dnsLabel = () => patternString(DNS1123_LABEL, NAME_LIMITS.kubernetesLabel);

/** The repository URL forms Argo CD accepts: https://, http://, ssh://, or scp-like `user@host:path`. */
const REPO_URL = new RegExp(`^(https?://[^\\s/]+|ssh://[^\\s/]+)\\S*$|${SCP_LIKE_REPO_URL.source}`);

/** A Kubernetes quantity; YAML numbers are accepted because Kubernetes accepts them too. */
const quantity = z
  .union([z.string(), z.number()])
  .describe('A Kubernetes quantity such as "500m", "4", "16Gi".');

const computeResources = z.strictObject({
  cpu: quantity.optional(),
  memory: quantity.optional(),
});

const kubeflowSchema = z
  .strictObject({
    profile_owner: z
      .string()
      .describe("Email of the platform identity that owns every Profile (spec.owner.name)."),
    userid_header: patternString(HTTP_HEADER_NAME)
      .default("kubeflow-userid")
      .describe("Request header that carries the user's email, as the identity proxy sets it."),
    userid_prefix: z
      .string()
      .default("")
      .describe(
        'Prefix the identity proxy puts before the email, such as "accounts.google.com:" behind IAP.',
      ),
    gateway_principals: z
      .array(patternString(/^\S+$/))
      .meta({ minItems: 1 })
      .default(DEFAULT_GATEWAY_PRINCIPALS)
      .describe("Istio principals allowed to forward user requests (source.principals)."),
    namespace_labels: z
      .record(z.string(), z.string())
      .default(DEFAULT_NAMESPACE_LABELS)
      .describe(
        "Labels of every profile Namespace; the default is what the profile controller sets. Setting it replaces the default.",
      ),
    default_container_resources: z
      .strictObject({
        requests: computeResources.optional().describe("Default container requests (cpu, memory)."),
        limits: computeResources.optional().describe("Default container limits (cpu, memory)."),
      })
      .optional()
      .describe(
        "Container defaults of the LimitRange added where a quota constrains cpu or memory, so pods " +
          "that declare no resources (such as Kubeflow Pipelines' per-namespace pods) still start.",
      ),
  })
  .describe("How Kubeflow identifies users and labels profile namespaces.");

const identitySchema = z
  .strictObject({
    lowercase_emails: z
      .boolean()
      .default(false)
      .describe("True when the identity provider lower-cases emails (for example Dex emailToLowercase)."),
    username_pattern: z
      .string()
      .optional()
      .describe("Regular expression every username should match (whole string); mismatches are warnings."),
    idp_name: z
      .string()
      .optional()
      .describe(
        "Name of the identity provider of this deployment; deployments with different names may spell an email in different case.",
      ),
  })
  .describe("What the identity provider sends.");

const awsSchema = z
  .strictObject({
    account_id: patternString(/^\d{12}$/).describe(
      'AWS account id: a quoted 12-digit string such as "123456789012".',
    ),
    oidc_provider: z
      .string()
      .describe("The cluster's OIDC provider, host and path without https:// (IRSA trust policy)."),
    role_name_prefix: z
      .string()
      .optional()
      .describe('Prefix of every generated IAM role name; default "<environment>-<region>-".'),
    permissions_boundary_arn: z.string().optional().describe("IAM policy ARN set as every role's boundary."),
    default_policy_arns: z
      .array(z.string())
      .default([])
      .describe("IAM policy ARNs attached to every profile's role."),
  })
  .describe("AWS IAM roles for service accounts (ACK IAM Role per profile).");

const gcpSchema = z
  .strictObject({
    project_id: patternString(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/).describe(
      "GCP project id: 6 to 30 characters, lower case.",
    ),
    service_account_prefix: z.string().default("").describe("Prefix of every generated service account id."),
    default_roles: z
      .array(z.string())
      .default([])
      .describe("IAM roles granted to every profile's service account."),
  })
  .describe("GCP Workload Identity (Config Connector service account per profile).");

const cloudSchema = z
  .strictObject({
    provider: z.enum(CLOUD_PROVIDERS).describe("Cloud identity per profile: aws, gcp or none."),
    aws: awsSchema.optional(),
    gcp: gcpSchema.optional(),
    identity_namespace: dnsLabel()
      .default(DEFAULT_IDENTITY_NAMESPACE)
      .describe("Namespace that contains the cloud identity objects."),
  })
  .describe("Cloud identity for profile workloads.");

const gitopsSchema = z
  .strictObject({
    repo_url: patternString(REPO_URL).describe(
      "URL of this ops repo, the source of the Argo CD Application.",
    ),
    target_revision: z.string().default("main").describe("Git revision Argo CD syncs."),
    argocd_namespace: dnsLabel()
      .default(DEFAULT_ARGOCD_NAMESPACE)
      .describe("Namespace of Argo CD and of the Application."),
    destination_server: patternString(/^https:\/\/[^\s/]+\S*$/)
      .default(IN_CLUSTER_SERVER)
      .describe("Cluster API server the Application deploys to."),
    app_name: dnsLabel().default(DEFAULT_APP_NAME).describe("Name of the Argo CD Application."),
  })
  .describe("The Argo CD Application that syncs the generated folder.");

export const deployNamespaceObjectSchema = z.strictObject({
  name: dnsLabel().describe("Namespace and shared Profile name (DNS-1123 label)."),
  resource_quota: z
    .record(z.string(), quantity)
    .optional()
    .describe('ResourceQuota hard limits, such as requests.cpu: "64" or requests.nvidia.com/gpu: "8".'),
  aws: z
    .strictObject({
      policy_arns: z.array(z.string()).default([]).describe("IAM policy ARNs for this namespace."),
    })
    .optional()
    .describe(
      "AWS extras: policies attached to this namespace's role besides cloud.aws.default_policy_arns.",
    ),
  gcp: z
    .strictObject({ roles: z.array(z.string()).default([]).describe("IAM roles for this namespace.") })
    .optional()
    .describe(
      "GCP extras: roles granted to this namespace's service account besides cloud.gcp.default_roles.",
    ),
});

export const deployNamespaceSchema = z
  .union([dnsLabel(), deployNamespaceObjectSchema])
  .describe("A shared profile: a plain name, or an object with quota and cloud extras.");

const deployNamespacesSchema = z.array(deployNamespaceSchema);

export const grantSchema = z
  .union([
    z.string(),
    z.strictObject({
      name: z.string().describe("A deploy namespace."),
      access: z.enum(NAMESPACE_ACCESS).default("edit").describe("edit (default) or view."),
    }),
  ])
  .describe("A deploy namespace the user may use: a plain name (edit access) or {name, access}.");

export const userSchema = z.strictObject({
  email: z.string().describe("Exactly what the identity provider sends; case-sensitive, never rewritten."),
  username: dnsLabel().describe("DNS-1123 label; names the user's private profile and its namespace."),
  roles: z.array(z.enum(CAKE_ROLES)).min(1).describe("cake-admin and/or cake-user."),
  allowed_namespaces: z.array(grantSchema).default([]).describe("Deploy namespaces the user may use."),
  disabled: z
    .boolean()
    .default(false)
    .describe("Revokes every binding of the user; their profile and data are kept."),
});

const usersSectionSchema = z
  .strictObject({
    deploy_namespaces: deployNamespacesSchema
      .optional()
      .describe("Shared profiles used as deployment environments."),
    deployments: deployNamespacesSchema
      .optional()
      .meta({ deprecated: true })
      .describe("Deprecated spelling of deploy_namespaces."),
    users: z.array(userSchema).default([]).describe("People and their access."),
  })
  .describe("Users and deploy namespaces.");

export const varsSchema = z
  .strictObject({
    environment: dnsLabel().describe("DNS-1123 label; the file name is <environment>-<region>.yaml."),
    region: dnsLabel().describe("DNS-1123 label; the file name is <environment>-<region>.yaml."),
    kubeflow: kubeflowSchema,
    identity: identitySchema.optional(),
    cloud: cloudSchema.optional(),
    gitops: gitopsSchema,
    users: usersSectionSchema.optional(),
  })
  .describe("One cake deployment: a Kubeflow cluster in one environment and region.");

export type VarsInput = z.output<typeof varsSchema>;
export type UserInput = z.output<typeof userSchema>;
export type DeployNamespaceInput = z.output<typeof deployNamespaceSchema>;
export type GrantInput = z.output<typeof grantSchema>;
export type KubeflowInput = z.output<typeof kubeflowSchema>;
export type IdentityInput = z.output<typeof identitySchema>;
export type CloudInput = z.output<typeof cloudSchema>;
export type GitopsInput = z.output<typeof gitopsSchema>;

/** The sections of a vars file, parsed one by one so a bad section does not hide checks of the others. */
export const sectionSchemas = {
  kubeflow: kubeflowSchema,
  identity: identitySchema,
  cloud: cloudSchema,
  gitops: gitopsSchema,
  user: userSchema,
  deployNamespace: deployNamespaceSchema,
} as const;

/**
 * Returns the JSON Schema of a vars file, for editors and the `schema` command. It targets
 * draft-07 because the YAML language server behind editor plugins supports draft-07 fully
 * and later drafts only in part.
 */
export function varsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(varsSchema, { io: "input", target: "draft-7" });
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "cake vars file",
    ...schema,
  };
}

/** Returns the committed text of `schema/vars.schema.json`: two-space JSON with a final newline. */
export function varsJsonSchemaText(): string {
  return `${JSON.stringify(varsJsonSchema(), null, 2)}\n`;
}
