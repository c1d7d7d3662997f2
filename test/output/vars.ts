/** Vars files and repos on disk for reconcile tests. */
import { stringify } from "yaml";
import { makeTempDir, writeTree } from "./tree.js";

export interface VarsUser {
  email: string;
  username: string;
  roles?: string[];
  allowed_namespaces?: (string | { name: string; access: "edit" | "view" })[];
  disabled?: boolean;
}

export interface VarsInput {
  environment?: string;
  region?: string;
  owner?: string;
  namespaces?: string[];
  users?: VarsUser[];
  repoUrl?: string;
}

export const ALICE: VarsUser = {
  email: "Alice.Smith@example.com",
  username: "asmith",
  allowed_namespaces: ["ml-prod"],
};
export const BOB: VarsUser = {
  email: "bob@example.com",
  username: "bjones",
  allowed_namespaces: ["ml-prod"],
};

/** Returns the text of a valid vars file without cloud identity. */
export function varsText(input: VarsInput = {}): string {
  const data = {
    environment: input.environment ?? "prod",
    region: input.region ?? "us-east-1",
    kubeflow: { profile_owner: input.owner ?? "kubeflow-platform@example.com" },
    cloud: { provider: "none" },
    gitops: { repo_url: input.repoUrl ?? "https://git.example.com/platform/ops.git" },
    users: {
      deploy_namespaces: input.namespaces ?? ["ml-prod"],
      users: (input.users ?? [ALICE, BOB]).map((user) => ({
        roles: ["cake-user"],
        allowed_namespaces: [],
        ...user,
      })),
    },
  };
  return `# Vars of a test deployment.\n${stringify(data)}`;
}

/** Creates a repo in a new temporary folder with the given files (paths relative to its root). */
export async function makeRepo(files: Record<string, string>): Promise<string> {
  const root = await makeTempDir("cake-repo-");
  await writeTree(root, files);
  return root;
}
