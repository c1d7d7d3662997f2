/** The README that `cake init` writes for the platform team that owns the ops repo. */
import { CAKE_VERSION } from "../version.js";
import { repoArgument } from "./ci.js";

export interface ReadmeOptions {
  varsDir: string;
  outputDir: string;
  exampleDeployment: string;
  /** Folder of the ops repo inside its git repository; empty or absent at the top. */
  repoPath?: string;
}

export function readmeText(options: ReadmeOptions): string {
  const { varsDir, outputDir, exampleDeployment } = options;
  const repoPath = options.repoPath ?? "";
  // In a subfolder the forge files sit at the top of the git repository, outside this folder.
  const atTop = (file: string): string =>
    repoPath === "" ? `\`${file}\`` : `\`/${file}\` (top of the git repository)`;
  return `# Kubeflow access (ops repo)

This repository decides who may use which Kubeflow namespace. People edit one vars
file per deployment; cake generates the Kubernetes objects
from it; a reviewed merge lands both; Argo CD applies the generated objects. Nothing
is applied to a cluster by hand.

## What goes where

| path | what | edited by |
| --- | --- | --- |
| \`${varsDir}/<environment>-<region>.yaml\` | one deployment: its users, their roles, the deploy namespaces and quotas | people, or \`cake user ...\` / \`cake namespace ...\` |
| \`${outputDir}/<environment>-<region>/\` | the generated Namespaces, Profiles, RoleBindings, AuthorizationPolicies, cloud identity and Argo CD objects | \`cake reconcile\` only; never by hand |
| \`schema/vars.schema.json\` | the JSON Schema of vars files; editors use it for completion and checks | \`cake schema > schema/vars.schema.json\` after upgrading cake |
| \`cake.yaml\` | where the vars and generated folders are | people, rarely |
| ${repoPath === "" ? "`CODEOWNERS`" : "`CODEOWNERS` at the top of the git repository, or in its `.github/`, `docs/` or `.gitlab/`"} | the cake-admins of each deployment review its changes, and any cake-admin the rest ${repoPath === "" ? "(a new deployment, CI, this file)" : "of this folder (a new deployment, cake.yaml)"} | \`cake init --codeowners\` |
| \`argocd/applicationset.yaml\` | one Argo CD Application per folder with a generated \`argocd/application.yaml\` | people, once |
| ${atTop(".github/workflows/cake.yml")}, ${atTop(".gitlab-ci.yml")} | the checks every change request runs | people, rarely |

## Commands

\`\`\`sh
cake validate                 # check every vars file; errors name file:line:column and the fix
cake reconcile                # regenerate ${outputDir}/ from ${varsDir}/ (writes only what changed)
cake plan                     # who gains or loses which access, compared with the default branch
cake user add --deployment ${exampleDeployment} --email jane@example.com --role cake-user --namespace ml-staging
cake user disable --deployment ${exampleDeployment} --email jane@example.com   # revoke access, keep her data
cake init --codeowners        # rewrite CODEOWNERS after cake-admins change
\`\`\`

## How a change is made and reviewed

1. Create a branch, edit \`${varsDir}/<deployment>.yaml\` (or use \`cake user ...\`), run
   \`cake validate\` and \`cake reconcile\`, and commit the vars file together with the
   regenerated \`${outputDir}/<deployment>/\` folder.
2. Open a pull request (merge request on GitLab). CI runs \`cake validate\` and
   \`cake reconcile --check\`, which fails when the committed output does not match the
   vars or was edited by hand, and posts \`cake plan\` as a comment: the users added and
   removed, and each access gained, lost or changed.
3. A cake-admin of the deployment reviews it (CODEOWNERS makes their review required once
   branch protection requires code owner reviews). Read the plan's **destructive** warnings
   with care: a removed Profile is deleted together with its namespace and all data in it.
4. After the merge, Argo CD syncs the generated folder.

To revoke someone's access but keep their notebooks and volumes, set \`disabled: true\` on
the user instead of deleting the entry. \`cake reconcile\` refuses to drop a Profile unless
\`--allow-profile-deletion=<name>\` is given.

## CI setup

- Set the CAKE_PACKAGE variable (a repository variable on GitHub, a CI/CD variable on
  GitLab) to the npm install spec of cake, such as \`@your-org/cake@${CAKE_VERSION}\` from your
  registry or a git URL, unless \`cake init --cake-package\` already wrote it into the files.
- GitHub: the plan comment needs \`pull-requests: write\`, which the workflow requests.
  Pull requests from forks get a read-only token, so they get no comment.
- GitLab: the job token cannot write merge request notes. Add a project access token with
  the \`api\` scope as the masked variable CAKE_GITLAB_TOKEN to get the plan as a note;
  without it the plan is a job artifact linked from the merge request.

## Argo CD

Either apply \`${outputDir}/<deployment>/argocd/\` once per deployment (an Application and
an AppProject that allows exactly the generated kinds), or apply
\`argocd/applicationset.yaml\` once to get one Application per generated folder. Neither
prunes Profiles or Namespaces: they carry \`Prune=false,Delete=false\`, and deleting an
Application or the ApplicationSet leaves them in place.

The ApplicationSet reads each deployment's generated \`argocd/application.yaml\`, so each
Application syncs the repo, revision and folder that file names into the cluster that
\`gitops.destination_server\` names. Its AppProject allows this repo's URL and the
in-cluster server only: add each other server to the AppProject's \`destinations\`, or Argo
CD refuses to sync the deployments that name it.
${repoPath === "" ? "" : subfolderSection(repoPath)}`;
}

/** Returns the README section of an ops repo in the subfolder `repoPath` of its git repository. */
function subfolderSection(repoPath: string): string {
  const code = (text: string): string => `\`${text}\``;
  return [
    "",
    "## An ops repo in a subfolder",
    "",
    `This ops repo is the folder ${code(`${repoPath}/`)} of a larger git repository.`,
    "",
    "- GitHub and GitLab read CI files and CODEOWNERS only near the top of the git",
    `  repository, so ${code("cake init")} wrote them there, each cake command with`,
    `  ${code(repoArgument(repoPath).trimStart())}. Files that existed there were kept: add the cake checks and`,
    `  the rules of ${code("cake init --codeowners --stdout")} to them by hand.`,
    "- The CI runs on every change request of the repository, also one that does not touch",
    "  this folder, because on GitHub a path filter leaves a required check pending, which",
    "  blocks the merge.",
    `- ${code("repo_path")} in ${code("cake.yaml")} is this folder. Argo CD reads source paths from the top`,
    "  of the git repository, so the generated Applications and the ApplicationSet start",
    `  their paths with it. When the folder moves, update ${code("repo_path")} (${code("cake validate")}`,
    `  warns) and run ${code("cake reconcile")}.`,
    "",
  ].join("\n");
}
