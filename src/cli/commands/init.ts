/** `cake init`: lays out a new ops repo, or regenerates its CODEOWNERS with `--codeowners`. */
import { readFileSync } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { loadRepo } from "../../config/repo.js";
import { UsageError } from "../../errors.js";
import { applicationClashes, applicationClashMessage } from "../../init/application-clashes.js";
import { applicationSetClashes, applicationSetClashMessage } from "../../init/applicationset-clashes.js";
import { longApplicationNameMessage, longApplicationNames } from "../../init/applicationset-names.js";
import { CAKE_PACKAGE_PATTERN, GITHUB_WORKFLOW_FILE, GITLAB_CI_FILE, repoArgument } from "../../init/ci.js";
import { clusterClashes, clusterClashMessage } from "../../init/cluster-clashes.js";
import { CODEOWNERS_HEADER, CODEOWNERS_LOCATIONS, rulesOfAnotherRepo } from "../../init/codeowners.js";
import {
  type InitResult,
  initRepo,
  PLACEHOLDER_REPO_URL,
  regenerateCodeowners,
  renderCodeownersFor,
  shownPath,
} from "../../init/init.js";
import { makePathFormatter } from "../../repo/display-path.js";
import { resolveLayout } from "../../repo/layout.js";
import { shellWord } from "../../repo/shell.js";
import { listVarsFiles } from "../../repo/vars-files.js";
import type { CommandContext } from "../io.js";

interface InitCommandOptions {
  force?: boolean;
  git: boolean;
  repoUrl?: string;
  cakePackage: string;
  codeowners?: boolean;
  stdout?: boolean;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command("init")
    .description(
      "Create an ops repo: an example vars file, schema, CI pipelines, Argo CD ApplicationSet, CODEOWNERS.",
    )
    .argument("[dir]", "folder to set up (default: the current folder)")
    .option("--force", "add the missing starter files even when the vars folder has files (never overwrites)")
    .option("--no-git", "do not run git init when the folder is not a git repository")
    .option("--repo-url <url>", "URL Argo CD clones the repo from (default: the origin remote)")
    .option(
      "--cake-package <spec>",
      "npm install spec of cake for CI (default: set CAKE_PACKAGE in the forge)",
      "",
    )
    .option("--codeowners", "only regenerate CODEOWNERS from the cake-admins in the vars files")
    .option("--stdout", "with --codeowners, print CODEOWNERS instead of writing it")
    .action(async (dir: string | undefined, options: InitCommandOptions) => {
      const root = path.resolve(context.io.cwd, dir ?? ".");
      if (options.codeowners) {
        // The starter files' options would be ignored, so an init that meant them is stopped.
        const ignored = [
          ...(options.force ? ["--force"] : []),
          ...(options.git ? [] : ["--no-git"]),
          ...(options.repoUrl !== undefined ? ["--repo-url"] : []),
          ...(options.cakePackage !== "" ? ["--cake-package"] : []),
        ];
        if (ignored.length > 0) {
          throw new UsageError(
            `${ignored.join(", ")} ${ignored.length === 1 ? "does" : "do"} not go with --codeowners, which only ` +
              "regenerates CODEOWNERS; run cake init without --codeowners for the starter files.",
          );
        }
        await runCodeowners(root, options, context);
      } else await runInit(root, options, context);
    });
}

async function runInit(root: string, options: InitCommandOptions, context: CommandContext): Promise<void> {
  if (options.stdout) throw new UsageError("--stdout works only together with --codeowners.");
  if (options.repoUrl !== undefined && !/^[^\s"'\\]+$/.test(options.repoUrl)) {
    throw new UsageError(
      `--repo-url "${options.repoUrl}" is not a URL; it must not contain spaces or quotes.`,
    );
  }
  if (!CAKE_PACKAGE_PATTERN.test(options.cakePackage)) {
    throw new UsageError(
      `--cake-package "${options.cakePackage}" is not an npm install spec cake can write safely; ` +
        "use a name@version, a git URL or a tarball URL.",
    );
  }

  const result = await initRepo({
    dir: root,
    force: options.force ?? false,
    git: options.git,
    cakePackage: options.cakePackage,
    cwd: context.io.cwd,
    ...(options.repoUrl !== undefined ? { repoUrl: options.repoUrl } : {}),
  });

  const { stdout } = context.io;
  // Paths are relative to the current folder, because some may be outside DIR (at the top of git).
  const relativeToCwd = (file: string): string =>
    path.relative(context.io.cwd, file).split(path.sep).join("/");
  for (const file of result.created) stdout.write(`Writing: ${relativeToCwd(file)}\n`);
  for (const file of result.kept) stdout.write(`Keeping: ${relativeToCwd(file)} (exists)\n`);
  if (result.gitInitialized) {
    stdout.write(`Initialized a git repository in ${shownPath(root, { dir: root, cwd: context.io.cwd })}\n`);
  }
  if (result.repoUrlNote !== undefined) stdout.write(`Note: ${result.repoUrlNote}.\n`);

  // The commands run in the ops repo, which is not the current folder after `cake init DIR`.
  const repoFlag = relativeToCwd(root) === "" ? "" : ` --repo ${shellWord(relativeToCwd(root))}`;
  const layout = await resolveLayout(root, {}, context.io.cwd);
  // Kept files count too: --force with --repo-url adds missing files but never rewrites one.
  // So do the vars files of an existing ops repo, which init neither writes nor keeps.
  const varsFiles = (await listVarsFiles(layout)).map((file) => path.join(root, file));
  const candidates = [...new Set([...result.created, ...result.kept, ...varsFiles])];
  const withPlaceholder = (await filesContaining(candidates, PLACEHOLDER_REPO_URL)).map(relativeToCwd);
  const next = ["Next steps:"];
  // The URL step comes first, so that the first reconcile generates Applications with the real URL.
  if (withPlaceholder.length > 0) {
    next.push(`  replace ${PLACEHOLDER_REPO_URL} with your ops repo's URL in ${withPlaceholder.join(", ")}`);
  }
  next.push(`  cake validate${repoFlag} && cake reconcile${repoFlag}     # then commit everything`);
  if (result.repoPath !== "") next.push(...(await keptForgeFileSteps(result, relativeToCwd)));
  const formatPath = makePathFormatter({ root, cwd: context.io.cwd });
  for (const clash of await applicationSetClashes(root)) {
    next.push(`  ${applicationSetClashMessage(clash, formatPath)}`);
  }
  // The same check as reconcile --check, so that a clash shows before the first reconcile.
  const { deployments } = await loadRepo(layout);
  const sharedClusters = await clusterClashes(layout, deployments);
  for (const clash of await applicationClashes(layout, deployments)) {
    next.push(`  ${applicationClashMessage(clash, formatPath, sharedClusters)}`);
  }
  for (const clash of sharedClusters) {
    next.push(`  ${clusterClashMessage(clash, formatPath)}`);
  }
  for (const long of await longApplicationNames(layout, deployments)) {
    next.push(`  ${longApplicationNameMessage(long, formatPath)}`);
  }
  if (options.cakePackage === "")
    next.push("  set the CAKE_PACKAGE CI variable to the npm install spec of cake");
  else {
    // --force keeps CI files too, so the spec reaches only the ones it writes.
    const ciFiles = [GITHUB_WORKFLOW_FILE, GITLAB_CI_FILE].map((file) =>
      path.join(result.top, ...file.split("/")),
    );
    const keptCi = result.kept.filter((file) => ciFiles.includes(file));
    const without = keptCi.filter((file) => !readFileSync(file, "utf8").includes(options.cakePackage));
    if (without.length > 0) {
      next.push(
        `  ${without.map(relativeToCwd).join(" and ")} existed and ${without.length === 1 ? "was" : "were"} kept without ` +
          `--cake-package: set CAKE_PACKAGE to ${shellWord(options.cakePackage)} there, or delete ${without.length === 1 ? "it" : "them"} and rerun`,
      );
    }
  }
  stdout.write(`${next.join("\n")}\n`);
}

async function runCodeowners(
  root: string,
  options: InitCommandOptions,
  context: CommandContext,
): Promise<void> {
  // The layout's own message names --repo, which cake init takes as its DIR argument instead.
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) {
    const problem = info === undefined ? "does not exist" : "is not a folder";
    const shown = shownPath(root, { dir: root, cwd: context.io.cwd });
    throw new UsageError(`${shown} ${problem}; give cake init the ops repo's folder as DIR.`);
  }
  if (options.stdout) {
    context.io.stdout.write(await renderCodeownersFor(root, context.io.cwd));
    return;
  }
  const result = await regenerateCodeowners(root, context.io.cwd);
  // git names the top of the work tree by its real path, so the current folder is resolved too.
  const cwd = await realpath(context.io.cwd).catch(() => context.io.cwd);
  for (const { file: absolute, status } of result.files) {
    const file = path.relative(cwd, absolute).split(path.sep).join("/") || absolute;
    context.io.stdout.write(status === "written" ? `Writing: ${file}\n` : `${file} is current\n`);
  }
}

/** Returns the files of `files` (absolute paths) whose text contains `needle`. */
async function filesContaining(files: readonly string[], needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8").catch(() => "");
    if (text.includes(needle)) found.push(file);
  }
  return found;
}

/**
 * Returns the "Next steps" lines for the CI files and the CODEOWNERS that an ops repo in a
 * subfolder found at the top of the git repository and kept: what to add to each by hand.
 * A CODEOWNERS that cake wrote needs nothing: "cake init --codeowners" rewrites it.
 */
async function keptForgeFileSteps(
  result: InitResult,
  relativeToCwd: (file: string) => string,
): Promise<string[]> {
  const repo = repoArgument(result.repoPath);
  const checks =
    `cake validate${repo}, cake reconcile --check${repo} and ` +
    `cake plan${repo} --base origin/<target branch> --format markdown`;
  const steps: string[] = [];
  for (const file of result.kept) {
    const relative = path.relative(result.top, file).split(path.sep).join("/");
    if (relative === GITHUB_WORKFLOW_FILE || relative === GITLAB_CI_FILE) {
      steps.push(`  ${relativeToCwd(file)} existed and was kept: add steps that run ${checks}`);
    } else if (
      (CODEOWNERS_LOCATIONS as readonly string[]).includes(relative) &&
      (!(await writtenByCake(file)) || (await holdsAnotherRepo(file, result.repoPath)))
    ) {
      const ofAnotherRepo = (await writtenByCake(file))
        ? ", and delete the two comment lines cake wrote at its top (it holds another ops repo's rules, which cake would keep rewriting)"
        : "";
      steps.push(
        `  ${relativeToCwd(file)} existed and was kept: add the rules that "cake init --codeowners --stdout" prints in ${result.repoPath}${ofAnotherRepo}`,
      );
    }
  }
  return steps;
}

/** Returns true for a CODEOWNERS that cake wrote for another ops repo than the one at `repoPath`. */
async function holdsAnotherRepo(codeowners: string, repoPath: string): Promise<boolean> {
  const text = await readFile(codeowners, "utf8").catch(() => "");
  return rulesOfAnotherRepo(text, repoPath === "" ? "" : `${repoPath}/`);
}

async function writtenByCake(codeowners: string): Promise<boolean> {
  return (await readFile(codeowners, "utf8").catch(() => "")).startsWith(CODEOWNERS_HEADER);
}
