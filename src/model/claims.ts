/**
 * The names a deployment claims outside its own folder: its Argo CD Application and the
 * account or project and prefix of its cloud identities. Reconcile records them in the
 * local cache, so the checks across vars files (`src/config/claims.ts`) can compare a
 * changed deployment with the ones it did not load. This module stays free of the loader,
 * because the writer imports it on every run.
 */
import type { Deployment } from "./types.js";

/** The fields of a deployment that name things outside its folder, enough to find two that collide. */
export interface DeploymentClaims {
  /** Deployment name, `<environment>-<region>`. */
  name: string;
  varsFile: string;
  argocdNamespace: string;
  appName: string;
  destinationServer: string;
  /** `gitops.repo_url`; absent in a local cache that an older cake wrote. */
  repoUrl?: string;
  /** The account or project and name prefix of the cloud identities; absent with `cloud.provider: none`. */
  cloudIdentity?: CloudIdentityScope;
}

/** The account or project of a deployment's cloud identities and the prefix of their names. */
export interface CloudIdentityScope {
  provider: "aws" | "gcp";
  /** AWS account id or GCP project id. */
  scope: string;
  /** `cloud.aws.role_name_prefix` (its default resolved) or `cloud.gcp.service_account_prefix`. */
  prefix: string;
}

/** Returns the claims of a loaded deployment. */
export function deploymentClaims(deployment: Deployment): DeploymentClaims {
  const { argocdNamespace, appName, destinationServer, repoUrl } = deployment.gitops;
  const { aws, gcp, provider } = deployment.cloud;
  let cloudIdentity: CloudIdentityScope | undefined;
  if (provider === "aws" && aws !== undefined) {
    cloudIdentity = { provider, scope: aws.accountId, prefix: aws.roleNamePrefix };
  } else if (provider === "gcp" && gcp !== undefined) {
    cloudIdentity = { provider, scope: gcp.projectId, prefix: gcp.serviceAccountPrefix };
  }
  return {
    name: deployment.name,
    varsFile: deployment.varsFile,
    argocdNamespace,
    appName,
    destinationServer,
    repoUrl,
    ...(cloudIdentity === undefined ? {} : { cloudIdentity }),
  };
}
