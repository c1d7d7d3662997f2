/**
 * Compares the repo URLs in the ApplicationSet file of `cake init` with the deployments'
 * `gitops.repo_url`, both ways. The file names the ops repo twice: in the AppProject's
 * `sourceRepos`, which Argo CD checks each Application's source against, and in the git
 * generator's `repoURL`, which the generator clones. A URL left at the placeholder, or at the
 * URL before a `gitops.repo_url` change, makes Argo CD reject every generated Application or
 * generate none. A deployment whose URL the file does not list gets its Application rejected,
 * or one that syncs another repo than the one the generator found the deployment in.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Node } from "yaml";
import type { Deployment } from "../model/types.js";
import type { PathFormatter } from "../repo/display-path.js";
import { APPLICATIONSET_FILE, type RepoLayout } from "../repo/layout.js";

/** The repo URL of a deployment, from its loaded vars or from the local cache. */
export interface DeploymentRepoUrl {
  name: string;
  varsFile: string;
  repoUrl: string;
}

/** A deployment whose `gitops.repo_url` a field of the ApplicationSet file does not list. */
export interface UnlistedRepoUrl {
  deployment: string;
  varsFile: string;
  repoUrl: string;
  /** Absolute path of the ApplicationSet file. */
  file: string;
  /** The object whose field does not list the URL, such as `AppProject cake-deployments`. */
  object: string;
  /** `spec.sourceRepos` or `spec.generators[].git.repoURL`. */
  field: string;
  /** The URLs (or `sourceRepos` patterns) that the field lists. */
  listed: string[];
}

/** The repo URLs that the ApplicationSet file and the deployments do not share, each way. */
export interface RepoUrlMismatches {
  unused: UnusedRepoUrl[];
  unlisted: UnlistedRepoUrl[];
}

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

/** The repo URLs of one field of an object in the ApplicationSet file, with their positions. */
interface ListedUrls {
  object: string;
  field: string;
  /** Whether an entry lets a deployment with the repo URL `url` through. */
  matches: (entry: string, url: string) => boolean;
  entries: { url: string; line: number; column: number; path: string }[];
}

/** Returns whether an entry of an AppProject's `sourceRepos`, a glob in Argo CD, lets `url` through. */
function sourceRepoMatches(pattern: string, url: string): boolean {
  // An entry that starts with `!` is no repo URL that a deployment could use, and Argo CD may
  // read it as a deny pattern (which versions do was not checked), so it is never reported.
  return !pattern.startsWith("!") && globMatches(pattern, url);
}

function generatorMatches(entry: string, url: string): boolean {
  return entry === url;
}

/**
 * Returns the repo URL fields of the ApplicationSet file's `text`, as `listedRepoUrls` does, but
 * without positions (line and column 0). It parses with js-yaml, which reconcile has loaded
 * already, so a run whose URLs all match never loads the `yaml` package (about 40 ms).
 */
async function listedRepoUrlsQuickly(text: string): Promise<ListedUrls[]> {
  const { CORE_SCHEMA, loadAll } = await import("js-yaml");
  let documents: unknown[];
  try {
    documents = loadAll(text, undefined, { schema: CORE_SCHEMA });
  } catch {
    return [];
  }
  const at = (value: unknown, ...keys: (string | number)[]): unknown =>
    keys.reduce<unknown>(
      (node, key) => (typeof node === "object" && node !== null ? (node as never)[key] : undefined),
      value,
    );
  const entriesOf = (values: unknown[], pathOf: (index: number) => string): ListedUrls["entries"] =>
    values.flatMap((url, index) =>
      typeof url === "string" ? [{ url, line: 0, column: 0, path: pathOf(index) }] : [],
    );
  const fields: ListedUrls[] = [];
  for (const document of documents) {
    const kind = String(at(document, "kind") ?? "");
    const object = `${kind} ${String(at(document, "metadata", "name") ?? "")}`;
    if (kind === "AppProject") {
      const sourceRepos = at(document, "spec", "sourceRepos");
      if (!Array.isArray(sourceRepos)) continue;
      const entries = entriesOf(sourceRepos, (index) => `spec.sourceRepos[${index}]`);
      fields.push({ object, field: "spec.sourceRepos", matches: sourceRepoMatches, entries });
    } else if (kind === "ApplicationSet") {
      const generators = at(document, "spec", "generators");
      if (!Array.isArray(generators)) continue;
      const urls = generators.map((generator) => at(generator, "git", "repoURL"));
      const entries = entriesOf(urls, (index) => `spec.generators[${index}].git.repoURL`);
      fields.push({ object, field: "spec.generators[].git.repoURL", matches: generatorMatches, entries });
    }
  }
  return fields.filter((field) => field.entries.length > 0);
}

/**
 * Returns the repo URL fields of the ApplicationSet file's `text`: the `sourceRepos` of each
 * AppProject, whose entries are globs in Argo CD (`*` matches any text), and the `repoURL` of
 * the git generators of each ApplicationSet. Returns none when the text is not YAML.
 */
async function listedRepoUrls(text: string): Promise<ListedUrls[]> {
  // Imported only here, to place the warnings: `listedRepoUrlsQuickly` finds whether there are any.
  const { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } = await import("yaml");
  const lineCounter = new LineCounter();
  const fields: ListedUrls[] = [];
  const entryOf = (node: unknown, entryPath: string): ListedUrls["entries"] => {
    if (!isScalar(node) || typeof node.value !== "string") return [];
    const { line, col } = lineCounter.linePos((node as Node).range?.[0] ?? 0);
    return [{ url: node.value, line, column: col, path: entryPath }];
  };
  for (const document of parseAllDocuments(text, { lineCounter })) {
    if (!("errors" in document) || document.errors.length > 0) return [];
    const root = document.contents;
    if (!isMap(root)) continue;
    const kind = String(root.get("kind") ?? "");
    const object = `${kind} ${String(document.getIn(["metadata", "name"]) ?? "")}`;
    if (kind === "AppProject") {
      const sourceRepos = document.getIn(["spec", "sourceRepos"], true);
      if (!isSeq(sourceRepos)) continue;
      fields.push({
        object,
        field: "spec.sourceRepos",
        matches: sourceRepoMatches,
        entries: sourceRepos.items.flatMap((item, index) => entryOf(item, `spec.sourceRepos[${index}]`)),
      });
    } else if (kind === "ApplicationSet") {
      const generators = document.getIn(["spec", "generators"], true);
      if (!isSeq(generators)) continue;
      fields.push({
        object,
        field: "spec.generators[].git.repoURL",
        matches: generatorMatches,
        entries: generators.items.flatMap((generator, index) =>
          isMap(generator)
            ? entryOf(generator.getIn(["git", "repoURL"], true), `spec.generators[${index}].git.repoURL`)
            : [],
        ),
      });
    }
  }
  return fields.filter((field) => field.entries.length > 0);
}

/**
 * Returns the repo URLs of the ApplicationSet file at `layout` that no deployment's
 * `gitops.repo_url` matches, and the deployments whose `gitops.repo_url` a field of the file
 * does not list. A deployment is reported only for a field without an unused URL, because the
 * warning about that URL already lists the deployments' URLs to put there. Returns none when
 * the file is missing or not YAML, or when there are no deployments to compare with.
 */
export async function repoUrlMismatches(
  layout: RepoLayout,
  deployments: readonly DeploymentRepoUrl[],
): Promise<RepoUrlMismatches> {
  if (deployments.length === 0) return { unused: [], unlisted: [] };
  const file = path.join(layout.root, APPLICATIONSET_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return { unused: [], unlisted: [] };
  }
  const quick = compareRepoUrls(file, await listedRepoUrlsQuickly(text), deployments);
  if (quick.unused.length === 0 && quick.unlisted.length === 0) return quick;
  return compareRepoUrls(file, await listedRepoUrls(text), deployments);
}

function compareRepoUrls(
  file: string,
  fields: readonly ListedUrls[],
  deployments: readonly DeploymentRepoUrl[],
): RepoUrlMismatches {
  const mismatches: RepoUrlMismatches = { unused: [], unlisted: [] };
  const repoUrls = [...new Set(deployments.map((deployment) => deployment.repoUrl))].sort();
  for (const listed of fields) {
    const { object, field, matches, entries } = listed;
    const unused = entries.filter(
      (entry) => !entry.url.startsWith("!") && !repoUrls.some((url) => matches(entry.url, url)),
    );
    for (const entry of unused) {
      const { line, column, path: entryPath, url } = entry;
      mismatches.unused.push({ file, line, column, object, field: entryPath, url, repoUrls });
    }
    if (unused.length > 0) continue;
    const urls = entries.map((entry) => entry.url);
    for (const deployment of deployments) {
      if (entries.some((entry) => matches(entry.url, deployment.repoUrl))) continue;
      mismatches.unlisted.push({
        deployment: deployment.name,
        varsFile: deployment.varsFile,
        repoUrl: deployment.repoUrl,
        file,
        object,
        field,
        listed: urls,
      });
    }
  }
  return mismatches;
}

/** Returns the repo URL of each of `deployments`. */
export function repoUrlsOf(deployments: readonly Deployment[]): DeploymentRepoUrl[] {
  return deployments.map(({ name, varsFile, gitops }) => ({ name, varsFile, repoUrl: gitops.repoUrl }));
}

/** Returns whether the glob `pattern`, in which `*` stands for any text, matches `url`. */
function globMatches(pattern: string, url: string): boolean {
  const expression = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${expression}$`).test(url);
}

/** Returns the warning for `unlisted`, with the file and field that do not list the URL, and the fix. */
export function unlistedRepoUrlMessage(unlisted: UnlistedRepoUrl, formatPath: PathFormatter): string {
  const listed = unlisted.listed.join(", ");
  const where = `${unlisted.field} of ${unlisted.object} in ${formatPath(unlisted.file)}`;
  const effect = unlisted.field.startsWith("spec.sourceRepos")
    ? `matches no entry of ${where} (${listed}), so if you apply that file, Argo CD rejects the Application ` +
      "it generates for this deployment"
    : `differs from ${where} (${listed}), so if you apply that file, the Application it generates for this deployment ` +
      "syncs another repo than the one the generator found the deployment in";
  const fix = unlisted.field.startsWith("spec.sourceRepos")
    ? "add the URL to that field"
    : "replace the generator's repoURL with it";
  return (
    `${formatPath(unlisted.varsFile)}: gitops.repo_url "${unlisted.repoUrl}" of deployment ${unlisted.deployment} ` +
    `${effect}. Correct gitops.repo_url, or ${fix} and apply the file again`
  );
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

/** The mismatches as the JSON output of `reconcile --check` and `validate` names them; an empty list is left out. */
export interface RepoUrlFields {
  unusedRepoUrls?: UnusedRepoUrl[];
  unlistedRepoUrls?: UnlistedRepoUrl[];
}

/** Returns the output fields of `mismatches`. */
export function repoUrlFields(mismatches: RepoUrlMismatches): RepoUrlFields {
  return {
    ...(mismatches.unused.length === 0 ? {} : { unusedRepoUrls: mismatches.unused }),
    ...(mismatches.unlisted.length === 0 ? {} : { unlistedRepoUrls: mismatches.unlisted }),
  };
}

/** Returns the warning of each mismatch, without the final period. */
export function repoUrlMessages(mismatches: RepoUrlFields, formatPath: PathFormatter): string[] {
  return [
    ...(mismatches.unusedRepoUrls ?? []).map((unused) => unusedRepoUrlMessage(unused, formatPath)),
    ...(mismatches.unlistedRepoUrls ?? []).map((unlisted) => unlistedRepoUrlMessage(unlisted, formatPath)),
  ];
}
