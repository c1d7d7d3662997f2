/** Builds vars file text for plan tests that commit vars files to real git repos. */

export interface VarsUser {
  email: string;
  username: string;
  roles?: string[];
  namespaces?: string[];
  disabled?: boolean;
}

export interface VarsOptions {
  environment?: string;
  region?: string;
  profileOwner?: string;
  deployNamespaces?: string[];
  /** Extra YAML under `users.deploy_namespaces`, such as an entry with a quota. */
  extraNamespaceYaml?: string;
  users?: VarsUser[];
}

export function varsText(options: VarsOptions = {}): string {
  const namespaces = options.deployNamespaces ?? ["ml-staging", "ml-prod"];
  const lines = [
    `environment: ${options.environment ?? "dev"}`,
    `region: ${options.region ?? "us-east-1"}`,
    "kubeflow:",
    `  profile_owner: ${options.profileOwner ?? "kubeflow-platform@example.com"}`,
    "cloud:",
    "  provider: none",
    "gitops:",
    "  repo_url: https://git.example.com/platform/ops.git",
    "users:",
    "  deploy_namespaces:",
    ...namespaces.map((name) => `    - ${name}`),
  ];
  if (options.extraNamespaceYaml) lines.push(options.extraNamespaceYaml.trimEnd());

  lines.push("  users:");
  for (const user of options.users ?? []) {
    lines.push(`    - email: "${user.email}"`);
    lines.push(`      username: ${user.username}`);
    lines.push(`      roles: [${(user.roles ?? ["cake-user"]).join(", ")}]`);
    lines.push(`      allowed_namespaces: [${(user.namespaces ?? []).join(", ")}]`);
    if (user.disabled) lines.push("      disabled: true");
  }
  if ((options.users ?? []).length === 0) lines[lines.length - 1] = "  users: []";
  return `${lines.join("\n")}\n`;
}
