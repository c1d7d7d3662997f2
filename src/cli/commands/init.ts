/** `cake init`: lays out a new ops repo, or regenerates its CODEOWNERS with `--codeowners`. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { UsageError } from "../../errors.js";
import { CAKE_PACKAGE_PATTERN } from "../../init/ci.js";
import {
  initRepo,
  PLACEHOLDER_REPO_URL,
  regenerateCodeowners,
  renderCodeownersFor,
} from "../../init/init.js";
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
      if (options.codeowners) await runCodeowners(root, options, context);
      else await runInit(root, options, context);
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
    ...(options.repoUrl !== undefined ? { repoUrl: options.repoUrl } : {}),
  });

  const { stdout } = context.io;
  for (const file of result.created) stdout.write(`Writing: ${file}\n`);
  for (const file of result.kept) stdout.write(`Keeping: ${file} (exists)\n`);
  if (result.gitInitialized) stdout.write(`Initialized a git repository in ${root}\n`);

  const next = ["Next steps:", "  cake validate && cake reconcile     # then commit everything"];
  // Kept files count too: --force with --repo-url adds missing files but never rewrites one.
  const withPlaceholder = await filesContaining(
    root,
    [...result.created, ...result.kept],
    PLACEHOLDER_REPO_URL,
  );
  if (withPlaceholder.length > 0) {
    next.push(`  replace ${PLACEHOLDER_REPO_URL} with your ops repo's URL in ${withPlaceholder.join(", ")}`);
  }
  if (options.cakePackage === "")
    next.push("  set the CAKE_PACKAGE CI variable to the npm install spec of cake");
  stdout.write(`${next.join("\n")}\n`);
}

async function runCodeowners(
  root: string,
  options: InitCommandOptions,
  context: CommandContext,
): Promise<void> {
  if (options.stdout) {
    context.io.stdout.write(await renderCodeownersFor(root));
    return;
  }
  const result = await regenerateCodeowners(root);
  context.io.stdout.write(
    result.status === "written" ? `Writing: ${result.file}\n` : `${result.file} is current\n`,
  );
}

/** Returns the files of `files` (relative to `root`) whose text contains `needle`. */
async function filesContaining(root: string, files: readonly string[], needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of files) {
    const text = await readFile(path.join(root, file), "utf8").catch(() => "");
    if (text.includes(needle)) found.push(file);
  }
  return found;
}
