/** The Argo CD Application's source repository and destination cluster. */
import { IN_CLUSTER_SERVER, SCP_LIKE_REPO_URL } from "../../model/names.js";
import type { Rule } from "./context.js";

const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
/** A host name followed by a path, as in a URL written without its scheme. */
const HOST_AND_PATH = /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(\/\S*)?$/;

const REPO_URL_FORMS =
  "write an https://, http:// or ssh:// URL, or the scp-like form git@host:path, " +
  "such as https://git.example.com/platform/ops.git";

export const repoUrlRule: Rule = {
  name: "repo-url",
  check({ source, view }) {
    const url = view.gitops.repoUrl;
    if (url === undefined) return [];
    const path = ["gitops", "repo_url"];

    if (url.trim() === "") {
      return [
        source.diagnostic(
          "error",
          "missing-repo-url",
          path,
          "is empty; set it to the URL of this ops repo (the Argo CD Application syncs from it)",
        ),
      ];
    }
    const problem = repoUrlProblem(url);
    return problem === undefined ? [] : [source.diagnostic("error", "invalid-repo-url", path, problem)];
  },
};

export const targetRevisionRule: Rule = {
  name: "target-revision",
  check({ source, view }) {
    const revision = view.gitops.targetRevision;
    if (revision === undefined || (revision !== "" && revision.trim() === revision)) return [];
    // Argo CD takes the revision as written: an empty one means the repo's HEAD, and a padded
    // one names a branch or tag no repository has.
    const problem =
      revision.trim() === ""
        ? 'is empty; write the branch, tag or commit Argo CD syncs from, such as "main", or remove the key for the default, main'
        : `"${revision}" has spaces around it, which Argo CD keeps; write "${revision.trim()}"`;
    return [source.diagnostic("error", "invalid-value", ["gitops", "target_revision"], problem)];
  },
};

/** Returns why `url` is not a repository URL Argo CD accepts, with the fix, or undefined for a good one. */
export function repoUrlProblem(url: string): string | undefined {
  const clean = withoutCredentials(url);
  if (clean !== url) {
    // The message masks them: it is printed in CI logs.
    const masked = clean.replace(/^([a-z]+:\/\/)([^/?#@]*@)?/i, (_, scheme: string, user?: string) =>
      user === undefined ? `${scheme}***@` : `${scheme}${user.slice(0, -1)}:***@`,
    );
    return (
      `"${masked}" carries credentials before "@"; the vars file and the generated Applications are ` +
      `committed, and Argo CD takes credentials from its repository Secrets, so write "${clean}"`
    );
  }
  if (isRepoUrl(url)) return undefined;
  const fix = HOST_AND_PATH.test(url) ? `write "https://${url}"` : REPO_URL_FORMS;
  return `"${url}" is not a repository URL Argo CD accepts; ${fix}`;
}

/**
 * Returns a URL without the credentials before its host, which CI clones often carry
 * (`https://oauth2:TOKEN@host/ops.git`): an http(s) URL without its user and password, an ssh
 * URL without its password. An ssh URL's user (`ssh://git@host/ops.git`) names an account, not
 * a secret, so it stays.
 */
export function withoutCredentials(url: string): string {
  return url.replace(/^(https?:\/\/)[^/?#]*@/i, "$1").replace(/^(ssh:\/\/[^/?#:@]*):[^/?#@]*@/i, "$1@");
}

/** Returns true for an https://, http:// or ssh:// URL with a host, or an scp-like `user@host:path`. */
function isRepoUrl(url: string): boolean {
  if (/\s/.test(url)) return false;
  if (SCP_LIKE_REPO_URL.test(url)) return true;
  const parsed = parseUrl(url);
  return (
    parsed !== undefined && ["https:", "http:", "ssh:"].includes(parsed.protocol) && parsed.hostname !== ""
  );
}

export const destinationServerRule: Rule = {
  name: "destination-server",
  check({ source, view }) {
    const server = view.gitops.destinationServer;
    if (server === undefined) return [];
    const path = ["gitops", "destination_server"];

    if (server.trim() === "") {
      return [
        source.diagnostic(
          "error",
          "invalid-destination-server",
          path,
          `is empty, and Argo CD rejects an Application without a destination server; remove the key to use ${IN_CLUSTER_SERVER} ` +
            "(the cluster Argo CD runs in), or write the https URL of the cluster's API server",
        ),
      ];
    }

    const parsed = /\s/.test(server) ? undefined : parseUrl(server);
    if (parsed?.protocol === "https:" && parsed.hostname !== "") return [];
    return [
      source.diagnostic(
        "error",
        "invalid-destination-server",
        path,
        `"${server}" is not an https URL of a Kubernetes API server; ${destinationFix(server)}`,
      ),
    ];
  },
};

function destinationFix(server: string): string {
  if (/^http:\/\//i.test(server)) return `write "https://${server.slice("http://".length)}"`;
  if (!URL_SCHEME.test(server) && HOST_AND_PATH.test(server)) return `write "https://${server}"`;
  return `write the API server's URL, such as ${IN_CLUSTER_SERVER} for the cluster Argo CD runs in`;
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
