/**
 * An ops repo in a subfolder that moved inside its git repository between the base commit
 * and the head (`ops/` to `platform/ops/`). The plan reads the base at the old folder, so the
 * same deployments are compared instead of all showing as added.
 */
import { UsageError } from "../errors.js";
import { renamedFiles, showFile, showToplevel } from "../git/git.js";
import type { Deployment } from "../model/types.js";
import { CONFIG_FILE, type LayoutFlags, type RepoLayout, resolveLayoutFromText } from "../repo/layout.js";
import type { DeploymentOutput } from "./types.js";

/** The folders of a moved ops repo in its git repository, each empty (the top) or ending in `/`. */
export interface MovedRepo {
  from: string;
  to: string;
}

/**
 * Returns where the ops repo at `prefix` (its folder in the git repository, as `git rev-parse
 * --show-prefix` gives it) was at `baseCommit`, from the files git finds renamed into it up to
 * `headCommit` (the working tree when null). Returns undefined when no file was renamed into
 * it with the same path inside, or when such renames come from more than one folder.
 */
export async function findMovedRepo(
  root: string,
  prefix: string,
  baseCommit: string,
  headCommit: string | null,
): Promise<MovedRepo | undefined> {
  const origins = new Set<string>();
  for (const { from, to } of await renamedFiles(root, baseCommit, headCommit ?? undefined)) {
    if (!to.startsWith(prefix)) continue;
    const inside = to.slice(prefix.length);
    if (from === inside || from.endsWith(`/${inside}`))
      origins.add(from.slice(0, from.length - inside.length));
  }
  const [from] = origins;
  return origins.size === 1 && from !== undefined && from !== prefix ? { from, to: prefix } : undefined;
}

/**
 * Returns the layout of the base side of a moved ops repo: rooted at the top of the git
 * repository, with the folders of the `cake.yaml` at the old folder, or the flags, under it.
 * @throws UsageError for an invalid `cake.yaml` at the base commit.
 */
export async function movedBaseLayout(
  workingTree: RepoLayout,
  moved: MovedRepo,
  commit: string,
  flags: LayoutFlags,
): Promise<RepoLayout> {
  const top = await showToplevel(workingTree.root);
  const config = `${moved.from}${CONFIG_FILE}`;
  const bothFlags = flags.varsDir !== undefined && flags.outputDir !== undefined;
  const text = bothFlags ? undefined : await showFile(top, commit, config);
  let layout: RepoLayout;
  try {
    layout = await resolveLayoutFromText(top, text, `${commit.slice(0, 12)}:${config}`, flags);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `${error.message} That is ${config} at the base commit of the plan, where the ops repo was before it moved; ` +
        "pass both --vars-dir and --output-dir to plan without reading it.",
    );
  }
  return {
    ...layout,
    varsDir: `${moved.from}${layout.varsDir}`,
    outputDir: `${moved.from}${layout.outputDir}`,
  };
}

/** Returns `outputs` with each folder at its path in the moved ops repo, for looking it up at the head. */
export function outputsAtHeadPaths(
  outputs: ReadonlyMap<string, DeploymentOutput>,
  moved: MovedRepo,
): Map<string, DeploymentOutput> {
  const atHead = (file: string): string =>
    file.startsWith(moved.from) ? file.slice(moved.from.length) : file;
  return new Map(
    [...outputs].map(([name, output]) => [
      name,
      { ...output, folder: atHead(output.folder), manifestFile: atHead(output.manifestFile) },
    ]),
  );
}

/**
 * Returns `vars` with each deployment's vars file and output folder relative to the ops repo's
 * folder at the base, as they were generated there. The Argo CD Application's path is
 * `repo_path` followed by the output folder, so a path from the top would count `repo_path` twice.
 */
export function varsAtOldRoot<Vars extends { deployment?: Deployment }>(vars: Vars, moved: MovedRepo): Vars {
  const deployment = vars.deployment;
  if (deployment === undefined) return vars;
  const relative = (file: string): string =>
    file.startsWith(moved.from) ? file.slice(moved.from.length) : file;
  return {
    ...vars,
    deployment: {
      ...deployment,
      varsFile: relative(deployment.varsFile),
      outputPath: relative(deployment.outputPath),
    },
  };
}

/** Returns the plan's note about the move. */
export function movedNote(moved: MovedRepo, baseCommit: string): string {
  const folder = (prefix: string): string => (prefix === "" ? "the top of the git repository" : prefix);
  return (
    `the ops repo moved from ${folder(moved.from)} to ${folder(moved.to)} after the base commit ` +
    `${baseCommit.slice(0, 12)}, so the base is read from ${folder(moved.from)}`
  );
}
