/**
 * The files to stage after a reconcile that replaced git merge conflict markers. Git lists
 * conflicted files as unmerged until `git add` stages them, and a merge commit takes only
 * staged files, so the `git add` that cake suggests names each file the person resolved or
 * cake wrote.
 */
import { MANIFEST_FILE } from "./manifest.js";
import type { DeploymentReport } from "./reconcile.js";

/**
 * Returns, per deployment name, the paths (relative to the repo root `root`) that a `git add`
 * must stage after this run, for each deployment whose output had conflict markers. They are:
 *
 * - the vars file, when git still lists it as unmerged. The run passed, so it has no markers.
 * - every file the run wrote, and the manifest when it changed.
 * - every file the run removed that the index lists, because `git add` fails on a path that
 *   neither the index nor the working tree has.
 *
 * Outside a git work tree, or where git fails, no vars file is listed and every removed file
 * is. Deployments without conflict markers get no entry, so a normal run starts no git.
 */
export async function pathsToStage(
  root: string,
  reports: readonly DeploymentReport[],
): Promise<Map<string, string[]>> {
  const conflicted = reports.filter((report) => report.mergeConflicts !== undefined);
  const staged = new Map<string, string[]>();
  if (conflicted.length === 0) return staged;

  const removed = conflicted.flatMap((report) =>
    report.changes
      .filter((change) => change.action === "remove")
      .map((change) => `${report.folder}/${change.path}`),
  );
  // Imported here, because only a run that replaced conflict markers needs git.
  const { GitError, indexStates } = await import("../git/git.js");
  const varsFiles = conflicted.flatMap((report) => (report.varsFile === undefined ? [] : [report.varsFile]));
  const states = await indexStates(root, [...varsFiles, ...removed]).catch((error: unknown) => {
    if (error instanceof GitError) return undefined;
    throw error;
  });

  for (const report of conflicted) {
    const paths: string[] = [];
    if (report.varsFile !== undefined && states?.get(report.varsFile) === "unmerged")
      paths.push(report.varsFile);
    for (const change of report.changes) {
      const file = `${report.folder}/${change.path}`;
      if (change.action === "remove" && states !== undefined && !states.has(file)) continue;
      paths.push(file);
    }
    if (report.manifestChanged || report.mergeConflicts?.includes(MANIFEST_FILE)) {
      paths.push(`${report.folder}/${MANIFEST_FILE}`);
    }
    staged.set(report.name, [...new Set(paths)]);
  }
  return staged;
}
