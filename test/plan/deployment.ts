/** Small builders of valid `Deployment` models for the plan tests. */
import type { Deployment, DeployNamespace, NamespaceGrant, User } from "../../src/model/types.js";

export function user(email: string, username: string, overrides: Partial<User> = {}): User {
  return { email, username, roles: ["cake-user"], disabled: false, allowedNamespaces: [], ...overrides };
}

export function grant(namespace: string, access: NamespaceGrant["access"] = "edit"): NamespaceGrant {
  return { namespace, access };
}

export function deployNamespace(name: string, overrides: Partial<DeployNamespace> = {}): DeployNamespace {
  return { name, resourceQuota: {}, awsPolicyArns: [], gcpRoles: [], ...overrides };
}

/** Builds deployment `dev-us-east-1` without cloud identity, with two deploy namespaces and no users. */
export function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    name: "dev-us-east-1",
    environment: "dev",
    region: "us-east-1",
    varsFile: "vars/dev-us-east-1.yaml",
    outputPath: "deployments/dev-us-east-1",
    kubeflow: {
      profileOwner: "kubeflow-platform@example.com",
      useridHeader: "kubeflow-userid",
      useridPrefix: "",
      gatewayPrincipals: ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"],
      namespaceLabels: { "istio-injection": "enabled" },
      defaultContainerResources: { requests: { cpu: "100m" }, limits: { cpu: "1" } },
    },
    identity: { lowercaseEmails: false },
    cloud: { provider: "none", identityNamespace: "cake-cloud-identity" },
    gitops: {
      repoUrl: "https://git.example.com/platform/ops.git",
      targetRevision: "main",
      argocdNamespace: "argocd",
      destinationServer: "https://kubernetes.default.svc",
      appName: "user-namespace",
    },
    deployNamespaces: [deployNamespace("ml-prod"), deployNamespace("ml-staging")],
    users: [],
    ...overrides,
  };
}

export function awsCloud(
  overrides: Partial<NonNullable<Deployment["cloud"]["aws"]>> = {},
): Deployment["cloud"] {
  return {
    provider: "aws",
    identityNamespace: "cake-cloud-identity",
    aws: {
      accountId: "123456789012",
      oidcProvider: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
      roleNamePrefix: "dev-us-east-1-",
      defaultPolicyArns: [],
      ...overrides,
    },
  };
}
