/**
 * Finds the repo URLs in the ApplicationSet file of `cake init` that no deployment uses. The
 * file names the ops repo twice: in the AppProject's `sourceRepos`, which Argo CD checks each
 * Application's source against, and in the git generator's `repoURL`, which the generator
 * clones. A URL left at the placeholder, or at the URL before a `gitops.repo_url` change,
 * makes Argo CD reject every generated Application or generate none.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import type { Deployment } from "../model/types.js";
import type { PathFormatter } from "../repo/display-path.js";
import { APPLICATIONSET_FILE, type RepoLayout } from "../repo/layout.js";

/** A repo URL of the ApplicationSet file that no deployment's `gitops.repo_url` matches. */
export interface UnusedRepoUrl {
  /** Absolute path of the ApplicationSet file. */
  file: string;
  line: number;
  column: number;
  /** The object that names the URL, such as `AppProject cake-deployments`. */
  object: string;
  /** The field path in that object, such as `spec.sourceRepos[0]`. */
  field: string;
  url: string;
  /** The distinct `gitops.repo_url` values of the deployments, sorted. */
  repoUrls: string[];
}

/**
 * Returns the `sourceRepos` entries of each AppProject and the `repoURL` of each git generator
 * of each ApplicationSet in the file at `layout` that no deployment's `gitops.repo_url` matches.
 * A `sourceRepos` entry is a glob in Argo CD, so `*` matches any text. Returns none when the
 * file is missing or not YAML, or when there are no deployments to compare with.
 */
export async function unusedRepoUrls(
  layout: RepoLayout,
  deployments: readonly Deployment[],
): Promise<UnusedRepoUrl[]> {
  if (deployments.length === 0) return [];
  const file = path.join(layout.root, APPLICATIONSET_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  const repoUrls = [...new Set(deployments.map((deployment) => deployment.gitops.repoUrl))].sort();
  const lineCounter = new LineCounter();
  const unused: UnusedRepoUrl[] = [];
  for (const document of parseAllDocuments(text, { lineCounter })) {
    if (!("errors" in document) || document.errors.length > 0) return [];
    const root = document.contents;
    if (!isMap(root)) continue;
    const kind = String(root.get("kind") ?? "");
    const name = String(document.getIn(["metadata", "name"]) ?? "");
    const report = (node: unknown, field: string, isUsed: (url: string) => boolean): void => {
      if (!isScalar(node) || typeof node.value !== "string") return;
      const url = node.value;
      if (isUsed(url)) return;
      const { line, col } = lineCounter.linePos((node as Node).range?.[0] ?? 0);
      unused.push({ file, line, column: col, object: `${kind} ${name}`, field, url, repoUrls });
    };
    if (kind === "AppProject") {
      const sourceRepos = document.getIn(["spec", "sourceRepos"], true);
      if (!isSeq(sourceRepos)) continue;
      sourceRepos.items.forEach((item, index) => {
        // An entry that starts with `!` is no repo URL that a deployment could use, and Argo CD may
        // read it as a deny pattern (which versions do was not checked), so it is never reported.
        report(
          item,
          `spec.sourceRepos[${index}]`,
          (pattern) => pattern.startsWith("!") || repoUrls.some((url) => globMatches(pattern, url)),
        );
      });
    } else if (kind === "ApplicationSet") {
      const generators = document.getIn(["spec", "generators"], true);
      if (!isSeq(generators)) continue;
      generators.items.forEach((generator, index) => {
        if (!isMap(generator)) return;
        const repoUrl = generator.getIn(["git", "repoURL"], true);
        report(repoUrl, `spec.generators[${index}].git.repoURL`, (url) => repoUrls.includes(url));
      });
    }
  }
  return unused;
}

/** Returns whether the glob `pattern`, in which `*` stands for any text, matches `url`. */
function globMatches(pattern: string, url: string): boolean {
  const expression = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${expression}$`).test(url);
}

/** Returns the warning for `unused`, with its place in the file, the URLs in use and the fix. */
export function unusedRepoUrlMessage(unused: UnusedRepoUrl, formatPath: PathFormatter): string {
  const place = `${formatPath(unused.file)}:${unused.line}:${unused.column}`;
  const inUse = unused.repoUrls.join(", ");
  const effect = unused.field.startsWith("spec.sourceRepos")
    ? "Argo CD rejects the generated Applications, whose repo this AppProject does not allow"
    : "the ApplicationSet looks for the deployment folders in another repo";
  const fix =
    unused.repoUrls.length === 1
      ? `Replace it with ${inUse}`
      : `Replace it with the gitops.repo_url values of the deployments (${inUse})`;
  return (
    `${place}: ${unused.field} of ${unused.object} is ${JSON.stringify(unused.url)}, the gitops.repo_url ` +
    `of no deployment, so if you apply the file, ${effect}. ${fix} and apply the file again`
  );
}
