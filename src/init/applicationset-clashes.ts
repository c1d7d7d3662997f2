/**
 * Finds the Argo CD objects that the ApplicationSet file of an ops repo shares by name with
 * the file of another ops repo in the same git repository. Argo CD keeps one object per kind,
 * namespace and name, so applying the second file replaces the first ApplicationSet, and its
 * controller deletes the Applications only the first one generated. The files that an older
 * `cake init` wrote in subfolders all use the names of an ops repo at the top.
 */
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { APPLICATIONSET_FILE } from "../repo/layout.js";
import { shellWord } from "../repo/shell.js";

/** The objects that two ApplicationSet files share by kind, namespace and name. */
export interface ApplicationSetClash {
  /** Absolute path of this ops repo's ApplicationSet file. */
  file: string;
  /** Absolute path of the other ops repo's ApplicationSet file. */
  other: string;
  /** The shared objects; the name of the generated Applications ends with `<deployment>`. */
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
  const own = await objectNames(file);
  if (own.length === 0) return [];
  const found = await findInGitRepository(root, `**/${APPLICATIONSET_FILE}`);
  if (found === undefined) return [];

  const clashes: ApplicationSetClash[] = [];
  for (const other of found.files) {
    if (other === path.join(found.realRoot, APPLICATIONSET_FILE)) continue;
    const names = new Set((await objectNames(other)).map(objectKey));
    const objects = own.filter((name) => names.has(objectKey(name)));
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
 * Returns the warning for `clash`, with paths relative to `cwd`: what applying either file
 * does, and the commands that give the ops repo in a subfolder names of its own.
 */
export function applicationSetClashMessage(clash: ApplicationSetClash, cwd: string): string {
  const relative = (target: string): string => path.relative(cwd, target).split(path.sep).join("/") || ".";
  const fixFile = path.join(clash.fixRoot, APPLICATIONSET_FILE);
  const keptFile = fixFile === clash.file ? clash.other : clash.file;
  const folder = relative(clash.fixRoot);
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
    `${relative(clash.file)} and ${relative(clash.other)} both define ${clash.objects.map(objectKey).join(", ")}: ` +
    "applying one replaces the other's ApplicationSet, and Argo CD deletes the Applications that only the " +
    "replaced one generated, so their deployments stop syncing. " +
    `Delete ${relative(fixFile)}, run "${init}", which writes one whose names end with its folder, and apply it. ` +
    `Then apply ${relative(keptFile)} again if it still uses the old names${deleteOld}`
  );
}

/**
 * Returns the AppProjects and ApplicationSets of the YAML file at `file`, and the Applications
 * each ApplicationSet generates, named by the template's text before its first `{{` followed
 * by `<deployment>`. Returns none for a missing or invalid file.
 */
async function objectNames(file: string): Promise<ArgoObjectName[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  const names: ArgoObjectName[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) return [];
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
    }
  }
  return names;
}

/** The fields of an AppProject or ApplicationSet that carry names. */
interface ArgoObject {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: string };
  spec?: { template?: { metadata?: { name?: unknown } } };
}
