/**
 * Finds the Argo CD objects that the ApplicationSet file of an ops repo shares by name with
 * the file of another ops repo in the same git repository. Argo CD keeps one object per kind,
 * namespace and name, so applying the second file replaces the first ApplicationSet, and its
 * controller deletes the Applications only the first one generated. The files that an older
 * `cake init` wrote in subfolders all use the names of an ops repo at the top. Two files with
 * different names can still generate one Application: `cake-` and deployment `teams-b-prod`
 * at the top, `cake-teams-b-` and deployment `prod` in `teams-b`. Argo CD does not stop two
 * ApplicationSets from owning one Application, so each rewrites it in turn.
 */
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { ARGOCD_APPLICATION_PATH } from "../generate/layout.js";
import type { PathFormatter } from "../repo/display-path.js";
import { APPLICATIONSET_FILE } from "../repo/layout.js";
import { shellWord } from "../repo/shell.js";

/** The objects that two ApplicationSet files share by kind, namespace and name. */
export interface ApplicationSetClash {
  /** Absolute path of this ops repo's ApplicationSet file. */
  file: string;
  /** Absolute path of the other ops repo's ApplicationSet file. */
  other: string;
  /**
   * The shared objects. An Application named by both files' template ends with `<deployment>`,
   * and one that both generate from the deployment folders of the work tree has its full name.
   */
  objects: ArgoObjectName[];
  /**
   * Absolute path of the ops repo whose file should get new names: the one in a subfolder,
   * this one when both are, because a file at the top keeps the names cake has always written.
   */
  fixRoot: string;
}

/** The kind, namespace and name of an object of an ApplicationSet file. */
export interface ArgoObjectName {
  kind: "AppProject" | "ApplicationSet" | "Application";
  /** Empty when the file names none, so that `kubectl apply` uses the current namespace. */
  namespace: string;
  name: string;
}

/**
 * Returns the clashes of the ApplicationSet file of the ops repo at `root` with the other
 * ApplicationSet files of its git repository, tracked or not, except ignored ones. Returns
 * none outside git, when the file is missing, or for a file that is not YAML.
 */
export async function applicationSetClashes(root: string): Promise<ApplicationSetClash[]> {
  const file = path.join(root, APPLICATIONSET_FILE);
  const own = await readArgoFile(file);
  if (own.names.length === 0) return [];
  const found = await findInGitRepository(root, `**/${APPLICATIONSET_FILE}`);
  if (found === undefined) return [];
  const deploymentFiles = await findInGitRepository(root, `**/${ARGOCD_APPLICATION_PATH}`);
  const applicationFiles = (deploymentFiles?.files ?? []).map((deploymentFile) =>
    path.relative(found.top, deploymentFile).split(path.sep).join("/"),
  );
  const ownGenerated = generatedApplications(own.templates, applicationFiles);

  const clashes: ApplicationSetClash[] = [];
  for (const other of found.files) {
    if (other === path.join(found.realRoot, APPLICATIONSET_FILE)) continue;
    const otherFile = await readArgoFile(other);
    const names = new Set(otherFile.names.map(objectKey));
    const objects = own.names.filter((name) => names.has(objectKey(name)));
    // Equal name templates already cover every Application both generate.
    if (!objects.some((object) => object.kind === "Application")) {
      const generated = new Set(generatedApplications(otherFile.templates, applicationFiles).map(objectKey));
      objects.push(...ownGenerated.filter((name) => generated.has(objectKey(name))));
    }
    if (objects.length === 0) continue;
    const otherRoot = path.dirname(path.dirname(other));
    clashes.push({ file, other, objects, fixRoot: found.realRoot === found.top ? otherRoot : root });
  }
  return clashes;
}

/**
 * Returns the absolute paths of the files of the git repository of `root` that match the glob
 * `pattern` from its top (see `listWorkTreeFiles`), with the top and the real path of `root`.
 * Git prints paths with symlinks resolved, so `realRoot` is what they compare with. Returns
 * undefined outside git, or when git is missing or fails: the other ops repos are then unknown.
 */
export async function findInGitRepository(
  root: string,
  pattern: string,
): Promise<{ top: string; realRoot: string; files: string[] } | undefined> {
  const { GitError, isRepo, listWorkTreeFiles, showToplevel } = await import("../git/git.js");
  try {
    if (!(await isRepo(root))) return undefined;
    const top = await showToplevel(root);
    const files = (await listWorkTreeFiles(top, pattern)).map((file) => path.join(top, ...file.split("/")));
    return { top, realRoot: await realpath(root), files };
  } catch (error) {
    if (error instanceof GitError) return undefined;
    throw error;
  }
}

function objectKey({ kind, namespace, name }: ArgoObjectName): string {
  return `${kind} ${namespace}/${name}`;
}

/**
 * Returns the warning for `clash`, with paths as `formatPath` prints them: what applying either file
 * does, and the commands that give the ops repo in a subfolder names of its own.
 */
export function applicationSetClashMessage(clash: ApplicationSetClash, formatPath: PathFormatter): string {
  const fixFile = path.join(clash.fixRoot, APPLICATIONSET_FILE);
  if (
    clash.objects.every((object) => object.kind === "Application" && !object.name.endsWith("<deployment>"))
  ) {
    return (
      `${formatPath(clash.file)} and ${formatPath(clash.other)} both generate ${clash.objects.map(objectKey).join(", ")} ` +
      "from different deployment folders: the two ApplicationSets take turns rewriting it, so it syncs either folder " +
      "and prunes the other's RoleBindings and AuthorizationPolicies. In spec.template.metadata.name of " +
      `${formatPath(fixFile)}, change the text before "{{" to one that no other ops repo's Application names start ` +
      "with, and apply the file: Argo CD re-creates its Applications under the new names, and with " +
      "preserveResourcesOnDeletion their resources stay"
    );
  }
  const keptFile = fixFile === clash.file ? clash.other : clash.file;
  const folder = formatPath(clash.fixRoot);
  const init = ["cake init", ...(folder === "." ? [] : [shellWord(folder)]), "--force"].join(" ");
  const applicationSet = clash.objects.find((object) => object.kind === "ApplicationSet");
  const deleteOld =
    applicationSet === undefined
      ? ""
      : ", or else delete the old ApplicationSet from the cluster " +
        `(kubectl delete applicationset ${shellWord(applicationSet.name)}` +
        `${applicationSet.namespace === "" ? "" : ` -n ${shellWord(applicationSet.namespace)}`}): ` +
        "its Applications go, and with preserveResourcesOnDeletion their resources stay";
  return (
    `${formatPath(clash.file)} and ${formatPath(clash.other)} both define ${clash.objects.map(objectKey).join(", ")}: ` +
    "applying one replaces the other's ApplicationSet, and Argo CD deletes the Applications that only the " +
    "replaced one generated, so their deployments stop syncing. " +
    `Delete ${formatPath(fixFile)}, run "${init}", which writes one whose names end with its folder, and apply it. ` +
    `Then apply ${formatPath(keptFile)} again if it still uses the old names${deleteOld}`
  );
}

/**
 * Reads the ApplicationSet file at `file` and returns a function that gives the Applications it
 * generates from a generated `argocd/application.yaml`, a path from the top of the git
 * repository. The function returns none for a missing or invalid file, or one whose templates
 * name Applications another way.
 */
export async function applicationSetNamer(
  file: string,
): Promise<(applicationFile: string) => ArgoObjectName[]> {
  const { templates } = await readArgoFile(file);
  return (applicationFile) => generatedApplications(templates, [applicationFile]);
}

/** The names an ApplicationSet file defines, and how its ApplicationSets name the Applications. */
interface ArgoFile {
  names: ArgoObjectName[];
  templates: ApplicationTemplate[];
}

/**
 * An ApplicationSet whose git files generator names each Application after one folder of a
 * matched file's path: `<prefix>{{ index .path.segments <segment> }}`, as `cake init` writes it.
 */
interface ApplicationTemplate {
  namespace: string;
  prefix: string;
  segment: number;
  /** The generator's `files` paths, as expressions that match a path from the top of the git repository. */
  paths: RegExp[];
  /** The `files` paths with `exclude: true`, which no generated Application comes from. */
  excludes: RegExp[];
}

/**
 * Returns the AppProjects and ApplicationSets of the YAML file at `file`, and the Applications
 * each ApplicationSet generates, named by the template's text before its first `{{` followed
 * by `<deployment>`. Returns none for a missing or invalid file.
 */
async function readArgoFile(file: string): Promise<ArgoFile> {
  const none: ArgoFile = { names: [], templates: [] };
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return none;
  }
  const names: ArgoObjectName[] = [];
  const templates: ApplicationTemplate[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) return none;
    const object = document.toJS() as ArgoObject | null;
    const name = object?.metadata?.name;
    if (typeof name !== "string" || (object?.kind !== "AppProject" && object?.kind !== "ApplicationSet"))
      continue;
    const namespace = object.metadata?.namespace ?? "";
    names.push({ kind: object.kind, namespace, name });
    const template = object.spec?.template?.metadata?.name;
    if (object.kind === "ApplicationSet" && typeof template === "string") {
      const prefix = template.split("{{")[0] ?? template;
      names.push({
        kind: "Application",
        namespace,
        name: prefix === template ? template : `${prefix}<deployment>`,
      });
      const applicationTemplate = templateOf(namespace, template, object.spec?.generators);
      if (applicationTemplate !== undefined) templates.push(applicationTemplate);
    }
  }
  return { names, templates };
}

/**
 * Returns how an ApplicationSet names its Applications when its template name is a prefix and
 * one folder of the path, and its generators are git files generators, or undefined.
 */
function templateOf(
  namespace: string,
  template: string,
  generators: unknown,
): ApplicationTemplate | undefined {
  const match = /^([^{]*)\{\{-? *index +\.path\.segments +(\d+) *-?\}\}$/.exec(template);
  if (match === null || !Array.isArray(generators)) return undefined;
  const paths: RegExp[] = [];
  const excludes: RegExp[] = [];
  for (const generator of generators as ArgoGenerator[]) {
    for (const entry of generator?.git?.files ?? []) {
      if (typeof entry?.path !== "string") continue;
      (entry.exclude === true ? excludes : paths).push(globExpression(entry.path));
    }
  }
  return { namespace, prefix: match[1] ?? "", segment: Number(match[2]), paths, excludes };
}

/**
 * Returns an expression for the glob of a git files generator: `*` and `?` within one folder,
 * `**` across folders.
 */
function globExpression(glob: string): RegExp {
  const source = glob
    .split(/(\*\*\/?|\*|\?)/)
    .map((part) => {
      if (part.startsWith("**")) return part.endsWith("/") ? "(?:.*/)?" : ".*";
      if (part === "*") return "[^/]*";
      if (part === "?") return "[^/]";
      return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${source}$`);
}

/**
 * Returns the Applications that `templates` generate from `files`, the generated
 * `argocd/application.yaml` files of the work tree as paths from the top of the git repository.
 * Argo CD reads the files at the generator's revision, so a folder not yet pushed is counted
 * too: it will generate its Application once merged.
 */
function generatedApplications(
  templates: readonly ApplicationTemplate[],
  files: readonly string[],
): ArgoObjectName[] {
  const names = new Map<string, ArgoObjectName>();
  for (const { namespace, prefix, segment, paths, excludes } of templates) {
    for (const file of files) {
      if (!paths.some((expression) => expression.test(file))) continue;
      if (excludes.some((expression) => expression.test(file))) continue;
      // `.path.segments` are the folders of the matched file's path.
      const folder = path.posix.dirname(file).split("/")[segment];
      if (folder === undefined) continue;
      const name: ArgoObjectName = { kind: "Application", namespace, name: `${prefix}${folder}` };
      names.set(objectKey(name), name);
    }
  }
  return [...names.values()];
}

/** The fields of an AppProject or ApplicationSet that carry names. */
interface ArgoObject {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: string };
  spec?: { template?: { metadata?: { name?: unknown } }; generators?: unknown };
}

/** The part of an ApplicationSet generator that names the files a git files generator reads. */
interface ArgoGenerator {
  git?: { files?: { path?: unknown; exclude?: unknown }[] };
}
