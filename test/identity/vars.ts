import { parseDocument } from "yaml";
import { loadVarsText } from "../../src/config/load.js";
import type { Deployment } from "../../src/model/types.js";

export interface TestUser {
  email: string;
  username: string;
  disabled?: boolean;
}

/** Builds a valid vars text for `vars/dev-eu-west-1.yaml` with these users (all cake-user). */
export function varsText(users: readonly TestUser[], identity = ""): string {
  const entries = users
    .map(
      (user) =>
        `    - email: ${JSON.stringify(user.email)}\n      username: ${user.username}\n      roles: [cake-user]\n` +
        (user.disabled ? "      disabled: true\n" : ""),
    )
    .join("");
  return [
    "environment: dev",
    "region: eu-west-1",
    "kubeflow:",
    "  profile_owner: kubeflow-platform@example.com",
    ...(identity ? ["identity:", identity] : []),
    "cloud:",
    "  provider: none",
    "gitops:",
    "  repo_url: https://git.example.com/ops.git",
    "users:",
    "  deploy_namespaces: [ml-staging]",
    "  users:",
    entries,
  ].join("\n");
}

/** Loads `varsText(...)`; fails when the text is invalid. */
export function loadUsers(users: readonly TestUser[], identity = "") {
  const text = varsText(users, identity);
  const result = loadVarsText(text, {
    file: "vars/dev-eu-west-1.yaml",
    outputPath: "deployments/dev-eu-west-1",
  });
  if (!result.deployment) throw new Error(JSON.stringify(result.diagnostics));
  return { text, deployment: result.deployment as Deployment, document: parseDocument(text) };
}
