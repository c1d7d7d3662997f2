/**
 * An Argo CD ApplicationSet that creates one Application per deployment folder, an
 * alternative to applying each deployment's generated `argocd/` folder by hand, and the
 * AppProject its Applications use. A git files generator reads each folder's generated
 * `argocd/application.yaml`, so every Application syncs the source that file names into the
 * cluster of the deployment's `gitops.destination_server`, and only folders that cake
 * generated get one. The files generator and `preserveResourcesOnDeletion` are part of Argo CD's
 * ApplicationSet controller.
 */
import { stringify } from "yaml";
import { DEFAULT_APP_NAME } from "../config/schema.js";
import { GENERATED_KINDS } from "../generate/argocd.js";
import { ARGOCD_APPLICATION_PATH } from "../generate/layout.js";
import { APPLICATIONSET_APPLICATION_PREFIX, IN_CLUSTER_SERVER } from "../model/names.js";
import { sha256 } from "../output/manifest.js";

export { APPLICATIONSET_FILE } from "../repo/layout.js";

/**
 * The name of the AppProject and of the ApplicationSet of an ops repo at the top of its git
 * repository. An ops repo in a subfolder gets its folder appended (see `applicationSetNames`).
 */
export const APPSET_PROJECT = "cake-deployments";

/**
 * Maximum length of the folder part of a name. In `cake-<folder>-<deployment>` it leaves 33 of
 * the 63 characters of a DNS-1123 label for the deployment's name.
 */
const MAX_FOLDER_PART = 24;

/** A folder name that the names of an ApplicationSet file can contain unchanged. */
const PLAIN_FOLDER = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The Argo CD object names of an ops repo's ApplicationSet file. */
export interface ApplicationSetNames {
  /** Name of both the AppProject and the ApplicationSet. */
  name: string;
  /** Start of each generated Application's name, followed by the deployment folder's name. */
  applicationPrefix: string;
}

/**
 * Returns the names that the ApplicationSet file of the ops repo at `repoPath` gives its
 * objects. Argo CD keeps one object per kind, namespace and name, so two ops repos of one git
 * repository that used the same names would replace each other's ApplicationSet, whose
 * controller then deletes the Applications that only the replaced one generated. An ops repo at
 * the top keeps the names that cake has always written. In a subfolder, the folder joins the
 * names so that no two folders share them: its parts joined by `--` when each part is lower-case
 * letters and digits between single `-`. Any other folder is written in lower case with `-` for
 * every run of other characters and ends with a hash of its path, so that `teams.b`, `Teams/B`,
 * `teams/b` and `teams-b` get four names. A folder longer than `MAX_FOLDER_PART` is cut and
 * hashed too.
 */
export function applicationSetNames(repoPath = ""): ApplicationSetNames {
  if (repoPath === "") return { name: APPSET_PROJECT, applicationPrefix: APPLICATIONSET_APPLICATION_PREFIX };
  const folder = folderPart(repoPath);
  return {
    name: `${APPSET_PROJECT}-${folder}`,
    applicationPrefix: `${APPLICATIONSET_APPLICATION_PREFIX}${folder}-`,
  };
}

/**
 * Returns the `gitops.app_name` of the example vars file that `cake init` writes for the ops
 * repo at `repoPath`: the default at the top of the git repository, else the default followed
 * by the folder part of `applicationSetNames`. Argo CD keeps one Application per namespace and
 * name, so the example deployments of two ops repos must not share the default.
 */
export function starterAppName(repoPath: string): string {
  return repoPath === "" ? DEFAULT_APP_NAME : `${DEFAULT_APP_NAME}-${folderPart(repoPath)}`;
}

/** Returns the part of the Argo CD names that stands for the subfolder `repoPath`. */
function folderPart(repoPath: string): string {
  const hash = sha256(repoPath).slice(0, 6);
  const parts = repoPath.split("/");
  const plain = parts.every((part) => PLAIN_FOLDER.test(part));
  let folder = plain
    ? parts.join("--")
    : repoPath
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "");
  if (folder === "") folder = hash;
  else if (!plain || folder.length > MAX_FOLDER_PART)
    folder = `${folder.slice(0, MAX_FOLDER_PART - hash.length - 1).replace(/-+$/, "")}-${hash}`;
  return folder;
}

/** The same retry as the generated Applications: the first sync of a new profile may wait for its namespace. */
const SYNC_RETRY = { limit: 5, backoff: { duration: "5s", factor: 2, maxDuration: "3m" } };

export interface ApplicationSetOptions {
  repoUrl: string;
  /** Folder of the generated deployments, relative to the repo root. */
  outputDir: string;
  /** Folder of the ops repo inside its git repository (`repo_path`); empty or absent at the top. */
  repoPath?: string;
  argocdNamespace?: string;
  targetRevision?: string;
}

export function applicationSetText(options: ApplicationSetOptions): string {
  const namespace = options.argocdNamespace ?? "argocd";
  // The branch the generator reads the generated files from: the remote's default branch unless set.
  const revision = options.targetRevision ?? "HEAD";
  // The git generator matches paths from the top of the git repository
  // (https://argo-cd.readthedocs.io/en/release-3.4/operator-manual/applicationset/Generators-Git/).
  const sourceDir = options.repoPath ? `${options.repoPath}/${options.outputDir}` : options.outputDir;
  // For a matched file, the generator's `.path.segments` are the parts of its folder's path.
  // The file's own keys (`.spec`) are parameters too (generateParamsFromGitFile in Argo CD's
  // applicationset/generators/git.go). The deployment folder's name follows the parts of `sourceDir`.
  const folder = `{{ index .path.segments ${sourceDir.split("/").length} }}`;
  const names = applicationSetNames(options.repoPath);

  const project = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AppProject",
    metadata: { name: names.name, namespace },
    spec: {
      description: "Profiles and access generated by cake",
      sourceRepos: [options.repoUrl],
      destinations: [{ server: IN_CLUSTER_SERVER, namespace: "*" }],
      clusterResourceWhitelist: GENERATED_KINDS.cluster,
      namespaceResourceWhitelist: GENERATED_KINDS.namespaced,
    },
  };

  const applicationSet = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "ApplicationSet",
    metadata: { name: names.name, namespace },
    spec: {
      goTemplate: true,
      goTemplateOptions: ["missingkey=error"],
      generators: [
        {
          git: {
            repoURL: options.repoUrl,
            revision,
            files: [{ path: `${sourceDir}/*/${ARGOCD_APPLICATION_PATH}` }],
          },
        },
      ],
      template: {
        metadata: { name: `${names.applicationPrefix}${folder}` },
        spec: {
          project: names.name,
          // The generated Application's source and destination: `gitops.repo_url`,
          // `gitops.target_revision`, the deployment folder and `gitops.destination_server`.
          source: {
            repoURL: "{{ .spec.source.repoURL }}",
            targetRevision: "{{ .spec.source.targetRevision }}",
            path: "{{ .spec.source.path }}",
          },
          destination: { server: "{{ .spec.destination.server }}" },
          syncPolicy: { automated: { prune: true, selfHeal: true }, retry: SYNC_RETRY },
        },
      },
      // Deleting the ApplicationSet leaves the Applications' resources (Profiles and their data) in place.
      syncPolicy: { preserveResourcesOnDeletion: true },
    },
  };

  const header = [
    '# Written by "cake init". One Argo CD Application per deployment folder under',
    `# ${sourceDir}/ that contains a generated ${ARGOCD_APPLICATION_PATH}, with that`,
    "# file's repo, revision, path and cluster (gitops.repo_url, target_revision,",
    "# destination_server). Apply it once, in place of the argocd/ folder that cake",
    "# generates inside each deployment. The AppProject allows this repo URL and the",
    "# in-cluster server only: add each other destination_server to its destinations,",
    "# or Argo CD refuses to sync that deployment. When each cluster runs its own",
    `# Argo CD, narrow the files path (${sourceDir}/prod-*/${ARGOCD_APPLICATION_PATH}).`,
  ];
  if (options.repoPath) {
    header.push(
      `# The names end with the folder ${options.repoPath}, so that the ApplicationSet of another`,
      "# ops repo in this git repository cannot replace this one.",
    );
  }
  return `${header.join("\n")}\n${stringify(project, { lineWidth: 0 })}---\n${stringify(applicationSet, { lineWidth: 0 })}`;
}
