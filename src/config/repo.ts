/** Loads every vars file of an ops repo. */
import path from "node:path";
import type { Deployment } from "../model/types.js";
import type { PathFormatter } from "../repo/display-path.js";
import type { RepoLayout } from "../repo/layout.js";
import { assertRealPathInside } from "../repo/paths.js";
import { checkOneFilePerFolder, deploymentNameOfFile, listVarsFiles } from "../repo/vars-files.js";
import { claimCollisions, type DeploymentClaims, deploymentClaims } from "./claims.js";
import { withAttributeMarkerSizes } from "./conflict-markers.js";
import { type Diagnostic, sortDiagnostics } from "./diagnostics.js";
import type { LoadSnapshot } from "./incremental.js";
import type { LoadOptions, LoadResult, PreviousLoad } from "./load.js";
import { loadFast, placedBy, readVarsFile, unplaced } from "./load-fast.js";

export { listVarsFiles };

export interface RepoLoadResult {
  /** Deployments of the files without errors, sorted by name. */
  deployments: Deployment[];
  /** Diagnostics of every file, sorted by file, line and column. */
  diagnostics: Diagnostic[];
  /** Text of each file that could be read, by its path relative to the repo root, for source excerpts. */
  sources: Record<string, string>;
  /** sha256 of the bytes of each file in `sources`, by the same path. */
  varsSha256s: Record<string, string>;
  /** Files loaded, relative to the repo root with `/` separators. */
  files: string[];
  /** With `incremental`: per deployment folder, its new snapshot and the profiles a change may affect. */
  reuse: Map<string, DeploymentReuse>;
}

/** The result of an incremental load that reconcile uses for a deployment. */
export interface DeploymentReuse {
  /** For the next load; absent when the file's layout does not allow one. */
  snapshot?: LoadSnapshot;
  /** Present when the file was loaded incrementally: the profiles whose inputs may have changed. */
  affectedProfiles?: Set<string>;
}

export interface RepoLoadOptions {
  /** Take the loader's fast path where it cannot change the result. */
  fast?: boolean;
  /** With `fast`: as `LoadOptions.positioned`. */
  positioned?: boolean;
  /**
   * With `fast`: return a snapshot of each file for the next load, and load a file
   * incrementally from the previous load this returns for its output folder.
   */
  incremental?: { previous(outputPath: string): PreviousLoad | undefined };
  /** The Argo CD Applications of deployments not loaded, checked for name collisions with the loaded ones. */
  otherClaims?: readonly DeploymentClaims[];
  /** The formatter of the paths that errors print (see `makePathFormatter`); default: relative to the repo root. */
  formatPath?: PathFormatter;
  /**
   * Deployments loaded without errors from the given texts, by vars file as `files` names it
   * relative to the root. A file whose text is still the same is not loaded again, and its
   * warnings are left out of the result.
   */
  preloaded?: ReadonlyMap<string, PreloadedDeployment>;
}

/** A deployment that an earlier load of `text` gave without errors. */
export interface PreloadedDeployment {
  text: string;
  deployment: Deployment;
}

/**
 * Loads the given vars files (paths relative to the repo root, or absolute), or every
 * `*.yaml`/`*.yml` file in the layout's vars folder. A deployment's output folder is
 * `<outputDir>/<name>`.
 */
export async function loadRepo(
  layout: RepoLayout,
  files?: readonly string[],
  options: RepoLoadOptions = {},
): Promise<RepoLoadResult> {
  // A file named twice (`a.yaml ./a.yaml`) is loaded once.
  const relativeFiles = [
    ...new Set(files ? files.map((file) => toRepoPath(layout, file)) : await listVarsFiles(layout)),
  ];
  checkOneFilePerFolder(
    relativeFiles.map((file) => ({
      varsFile: file,
      outputPath: `${layout.outputDir}/${deploymentNameOfFile(file)}`,
    })),
    options.formatPath,
  );
  const loadedFiles = await Promise.all(
    relativeFiles.map(async (file) => {
      const name = deploymentNameOfFile(file);
      const outputPath = `${layout.outputDir}/${name}`;
      await checkInsideRepo(layout, file, outputPath);
      const previous = options.fast ? options.incremental?.previous(outputPath) : undefined;
      const result = await loadFile(
        path.resolve(layout.root, file),
        {
          file,
          outputPath,
          ...(options.fast ? { fast: true } : {}),
          ...(options.fast && options.incremental ? { snapshot: true } : {}),
          ...(options.positioned ? { positioned: true } : {}),
          ...(previous ? { previous } : {}),
        },
        options.preloaded?.get(file),
      );
      return { file, outputPath, result };
    }),
  );
  const results = await withAttributeMarkerSizes(layout.root, loadedFiles);

  const sources: Record<string, string> = {};
  const varsSha256s: Record<string, string> = {};
  for (const { file, result } of results) {
    if (result.text !== undefined) sources[file] = result.text;
    if (result.varsSha256 !== undefined) varsSha256s[file] = result.varsSha256;
  }
  const loaded = results.flatMap(({ result }) => (result.deployment ? [result.deployment] : []));
  const collisions = claimCollisions(loaded.map(deploymentClaims), sources, options.otherClaims ?? []);
  // As for any other error, a deployment with a collision is left out of the result.
  const colliding = new Set(collisions.map((diagnostic) => diagnostic.file));
  const deployments = loaded.filter((deployment) => !colliding.has(deployment.varsFile));
  const reuse = new Map<string, DeploymentReuse>();
  for (const { outputPath, result } of results) {
    if (result.deployment === undefined || colliding.has(result.deployment.varsFile)) continue;
    reuse.set(outputPath, {
      ...(result.snapshot ? { snapshot: result.snapshot } : {}),
      ...(result.affectedProfiles ? { affectedProfiles: result.affectedProfiles } : {}),
    });
  }
  return {
    deployments: deployments.sort((a, b) => compareNames(a.name, b.name)),
    diagnostics: sortDiagnostics([...results.flatMap(({ result }) => result.diagnostics), ...collisions]),
    sources,
    varsSha256s,
    files: relativeFiles,
    reuse,
  };
}

/**
 * Loads one vars file, or takes `preloaded` when the file's text is still the one it was
 * loaded from. The full loader, and with it the `yaml` package, is imported only when the fast
 * path cannot load the file: it costs about 30 ms to load.
 */
async function loadFile(
  absolutePath: string,
  options: LoadOptions,
  preloaded?: PreloadedDeployment,
): Promise<LoadResult> {
  const read = await readVarsFile(absolutePath, options.file);
  if (!("text" in read)) return read;
  if (preloaded?.text === read.text) {
    return { deployment: preloaded.deployment, diagnostics: [], text: read.text, varsSha256: read.sha256 };
  }
  const fast = options.fast ? loadFast(read.text, options) : undefined;
  if (fast !== undefined && !unplaced(fast, options)) return { ...fast, varsSha256: read.sha256 };
  const { loadVarsText } = await import("./load.js");
  const full = loadVarsText(read.text, { ...options, fast: false });
  return { ...(fast === undefined ? full : placedBy(fast, full)), varsSha256: read.sha256 };
}

/**
 * Rejects a vars file or output folder in the repo that a symlink leads outside it.
 * A file named by an absolute path outside the repo (`cake validate /tmp/x.yaml`) is
 * read where it is, as requested.
 */
async function checkInsideRepo(layout: RepoLayout, file: string, outputPath: string): Promise<void> {
  if (!path.isAbsolute(file)) await assertRealPathInside(layout.root, file);
  await assertRealPathInside(layout.root, outputPath);
}

/** Compares by UTF-16 code units, so the order never depends on the locale. */
function compareNames(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function toRepoPath(layout: RepoLayout, file: string): string {
  const absolute = path.resolve(layout.root, file);
  const relative = path.relative(layout.root, absolute);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return absolute.split(path.sep).join("/");
  return relative.split(path.sep).join("/");
}
