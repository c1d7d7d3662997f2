/**
 * Builders of valid `Deployment` models for tests, normalized the way the loader
 * normalizes them (defaults filled in, users sorted by username, namespaces by name).
 */
import type {
  AwsSettings,
  CloudSettings,
  Deployment,
  DeployNamespace,
  GcpSettings,
  KubeflowSettings,
  NamespaceGrant,
  User,
} from "../../src/model/types.js";

/** The upstream Kubeflow gateway principals: the ingress gateway and the pipelines UI. */
export const DEFAULT_GATEWAY_PRINCIPALS = [
  "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
  "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
];

/** The labels the Kubeflow profile controller sets on profile namespaces. */
export const DEFAULT_NAMESPACE_LABELS: Record<string, string> = {
  "app.kubernetes.io/part-of": "kubeflow-profile",
  "istio-injection": "enabled",
  "katib.kubeflow.org/metrics-collector-injection": "enabled",
  "pipelines.kubeflow.org/enabled": "true",
  "serving.kubeflow.org/inferenceservice": "enabled",
};

export interface UserInput {
  email: string;
  username: string;
  roles?: User["roles"];
  disabled?: boolean;
  /** A namespace name alone means `edit` access. */
  allowedNamespaces?: (string | NamespaceGrant)[];
}

/** Returns a user: `cake-user`, enabled, with the given grants sorted by namespace. */
export function makeUser(input: UserInput): User {
  const grants = (input.allowedNamespaces ?? []).map((grant) =>
    typeof grant === "string" ? { namespace: grant, access: "edit" as const } : grant,
  );
  return {
    email: input.email,
    username: input.username,
    roles: input.roles ?? ["cake-user"],
    disabled: input.disabled ?? false,
    allowedNamespaces: grants.sort((a, b) => compare(a.namespace, b.namespace)),
  };
}

/** Returns a deploy namespace with no quota and no cloud extras unless given. */
export function makeNamespace(
  name: string,
  extras: Partial<Omit<DeployNamespace, "name">> = {},
): DeployNamespace {
  return {
    name,
    resourceQuota: extras.resourceQuota ?? {},
    awsPolicyArns: extras.awsPolicyArns ?? [],
    gcpRoles: extras.gcpRoles ?? [],
  };
}

export function awsSettings(overrides: Partial<AwsSettings> = {}): AwsSettings {
  return {
    accountId: "123456789012",
    oidcProvider: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E",
    roleNamePrefix: "prod-us-east-1-",
    defaultPolicyArns: [],
    ...overrides,
  };
}

export function gcpSettings(overrides: Partial<GcpSettings> = {}): GcpSettings {
  return { projectId: "cake-prod-123456", serviceAccountPrefix: "", defaultRoles: [], ...overrides };
}

export interface DeploymentInput {
  environment?: string;
  region?: string;
  users?: User[];
  deployNamespaces?: DeployNamespace[];
  provider?: CloudSettings["provider"];
  aws?: Partial<AwsSettings>;
  gcp?: Partial<GcpSettings>;
  kubeflow?: Partial<KubeflowSettings>;
  identityNamespace?: string;
}

/**
 * Returns a valid deployment `prod-us-east-1` with upstream Kubeflow defaults, provider
 * `none` unless given, and the given users and namespaces sorted as the loader sorts them.
 */
export function makeDeployment(input: DeploymentInput = {}): Deployment {
  const environment = input.environment ?? "prod";
  const region = input.region ?? "us-east-1";
  const name = `${environment}-${region}`;
  const provider = input.provider ?? "none";

  const cloud: CloudSettings = {
    provider,
    identityNamespace: input.identityNamespace ?? "cake-cloud-identity",
  };
  if (provider === "aws") cloud.aws = awsSettings({ roleNamePrefix: `${name}-`, ...input.aws });
  if (provider === "gcp") cloud.gcp = gcpSettings(input.gcp);

  return {
    name,
    environment,
    region,
    varsFile: `vars/${name}.yaml`,
    outputPath: `deployments/${name}`,
    kubeflow: {
      profileOwner: "kubeflow-platform@example.com",
      useridHeader: "kubeflow-userid",
      useridPrefix: "",
      gatewayPrincipals: [...DEFAULT_GATEWAY_PRINCIPALS],
      namespaceLabels: { ...DEFAULT_NAMESPACE_LABELS },
      defaultContainerResources: {
        requests: { cpu: "100m", memory: "256Mi" },
        limits: { cpu: "1", memory: "1Gi" },
      },
      ...input.kubeflow,
    },
    identity: { lowercaseEmails: false },
    cloud,
    gitops: {
      repoUrl: "https://git.example.com/platform/ops.git",
      targetRevision: "main",
      argocdNamespace: "argocd",
      destinationServer: "https://kubernetes.default.svc",
      appName: "user-namespace",
    },
    deployNamespaces: [...(input.deployNamespaces ?? [])].sort((a, b) => compare(a.name, b.name)),
    users: [...(input.users ?? [])].sort((a, b) => compare(a.username, b.username)),
  };
}

/**
 * Returns the model of the example vars file of the vars format: three users (one
 * disabled), `ml-staging`, and `ml-prod` with a quota and cloud extras. With `gcp`,
 * service account ids get the prefix `kf-`.
 */
export function exampleDeployment(provider: CloudSettings["provider"] = "aws"): Deployment {
  return makeDeployment({
    provider,
    aws: {
      roleNamePrefix: "cake-prod-use1-",
      permissionsBoundaryArn: "arn:aws:iam::123456789012:policy/cake-boundary",
    },
    // GCP service account ids need 6 characters; the prefix makes "cwu" long enough.
    gcp: { serviceAccountPrefix: "kf-" },
    deployNamespaces: [
      makeNamespace("ml-staging"),
      makeNamespace("ml-prod", {
        resourceQuota: { "requests.cpu": "64", "requests.memory": "256Gi", "requests.nvidia.com/gpu": "8" },
        awsPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
        gcpRoles: ["roles/storage.objectViewer"],
      }),
    ],
    users: [
      makeUser({
        email: "Alice.Smith@example.com",
        username: "asmith",
        roles: ["cake-admin"],
        allowedNamespaces: ["ml-staging", "ml-prod"],
      }),
      makeUser({
        email: "bob@example.com",
        username: "bjones",
        allowedNamespaces: ["ml-staging", { namespace: "ml-prod", access: "view" }],
      }),
      makeUser({ email: "carol@example.com", username: "cwu", disabled: true }),
    ],
  });
}

function compare(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
