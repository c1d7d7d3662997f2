/**
 * The example vars file `cake init` writes: a valid, commented deployment that shows every
 * section a platform team fills in. Values from the command line are inserted as JSON
 * strings, which are valid YAML double-quoted scalars, so no value can break the YAML.
 */

export const EXAMPLE_DEPLOYMENT = "dev-us-east-1";

export interface VarsExampleOptions {
  /** URL of the ops repo, for `gitops.repo_url`. */
  repoUrl: string;
  /** Path of the JSON Schema relative to the vars file, for the yaml-language-server comment. */
  schemaPath: string;
  /** `gitops.app_name`, written only when it is not the default (see `starterAppName`). */
  appName?: string;
}

export function varsExampleText(options: VarsExampleOptions): string {
  return `# yaml-language-server: $schema=${options.schemaPath}
#
# One deployment: the Kubeflow cluster of one environment in one region. The file name
# must be "<environment>-<region>.yaml". After editing, run "cake validate" and
# "cake reconcile", then commit this file together with deployments/${EXAMPLE_DEPLOYMENT}/.
environment: dev
region: us-east-1

kubeflow:
  # A platform identity owns every Profile, so offboarding a person never needs an owner
  # change (the Kubeflow profile controller does not support one). Use a group mailbox.
  profile_owner: kubeflow-platform@example.com
  # The header and prefix your identity proxy sets; these are the Kubeflow defaults.
  # Behind Google IAP: userid_header: x-goog-authenticated-user-email and
  # userid_prefix: "accounts.google.com:".
  userid_header: kubeflow-userid
  userid_prefix: ""

identity:
  # Set to true when the identity provider lower-cases emails (Dex emailToLowercase).
  lowercase_emails: false

cloud:
  # aws: one IAM role per profile (ACK), gcp: one service account per profile (Config
  # Connector), none: no cloud identity.
  provider: none
  # aws:
  #   account_id: "123456789012"
  #   oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E
  #   default_policy_arns: []
  # gcp:
  #   project_id: my-project-123456
  #   default_roles: []

gitops:
  # The URL Argo CD clones this repo from.
  repo_url: ${JSON.stringify(options.repoUrl)}
  target_revision: main
${appNameLines(options.appName)}
users:
  # Shared profiles that teams deploy to. A plain name, or an object with a quota.
  deploy_namespaces:
    - ml-staging
    - name: ml-prod
      resource_quota:
        requests.cpu: "16"
        requests.memory: 64Gi

  users:
    # Emails are identities: write them exactly as the identity provider sends them.
    # cake-admins approve changes to this file (see CODEOWNERS).
    - email: platform-admin@example.com
      username: platform-admin
      roles: [cake-admin]
      allowed_namespaces: [ml-staging, ml-prod]
    - email: data-scientist@example.com
      username: data-scientist
      roles: [cake-user]
      allowed_namespaces:
        - ml-staging                 # edit access, the default
        - name: ml-prod
          access: view
`;
}

/**
 * Returns the `gitops.app_name` lines of an ops repo in a subfolder. Another ops repo of the git
 * repository generates an Application of the same namespace and name for a deployment of the same
 * name unless the names differ, and one Argo CD would then keep only one of the two.
 */
function appNameLines(appName: string | undefined): string {
  if (appName === undefined) return "";
  return [
    "  # The Argo CD Application and AppProject of this deployment. Each ops repo of this git",
    "  # repository needs its own, so the name ends with the folder of this ops repo.",
    `  app_name: ${appName}`,
    "",
  ].join("\n");
}
