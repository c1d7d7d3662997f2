/**
 * `cake validate`: checks vars files and reports every problem with file, line, column,
 * field path and fix. Exit 0 when valid (warnings allowed), 1 when invalid, 2 on usage errors.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { type Command, Option } from "commander";
import { hasErrors, sortDiagnostics } from "../../config/diagnostics.js";
import { diagnosticsToJson, formatDiagnostics } from "../../config/format.js";
import { listVarsFiles, loadRepo, type RepoLoadResult } from "../../config/repo.js";
import { UsageError } from "../../errors.js";
import { checkRepoIdentity } from "../../identity/check.js";
import { readIdpUsers } from "../../identity/idp.js";
import type { RepoUrlFields } from "../../init/applicationset-repos.js";
import { makePathFormatter } from "../../repo/display-path.js";
import { CONFIG_FILE, type RepoLayout } from "../../repo/layout.js";
import { checkRepoPath } from "../../repo/repo-path-check.js";
import { resolveCommandLayout } from "../../repo/root.js";
import type { CommandContext } from "../io.js";

interface ValidateOptions {
  repo?: string;
  varsDir?: string;
  outputDir?: string;
  format: "text" | "json";
  idpUsers?: string;
}

export function register(program: Command, context: CommandContext): void {
  program
    .command("validate")
    .description("Check vars files and report every problem (default: every file in the repo's vars folder).")
    .argument("[files...]", "vars files to check, relative to the current folder")
    .option(
      "--repo <dir>",
      "ops repo root (default: the current folder or the nearest one above it with cake.yaml)",
    )
    .option("--vars-dir <dir>", "folder of the vars files, relative to the repo root")
    .option("--output-dir <dir>", "folder of the generated deployments, relative to the repo root")
    .addOption(
      new Option("--format <format>", "text (diagnostics on stderr) or json (on stdout)")
        .choices(["text", "json"])
        .default("text"),
    )
    .option(
      "--idp-users <file>",
      "the identity provider's users (CSV with an email column, or a JSON array) to check vars emails against",
    )
    .action(async (files: string[], options: ValidateOptions) => {
      await runValidate(files, options, context);
    });
}

async function runValidate(
  files: string[],
  options: ValidateOptions,
  context: CommandContext,
): Promise<void> {
  const { io } = context;
  const layout = await resolveCommandLayout(io.cwd, options);
  const formatPath = makePathFormatter({ root: layout.root, cwd: io.cwd });

  const selected = files.map((file) => path.resolve(io.cwd, file));
  // Errors name each argument as typed, which is the path the user can correct.
  for (const [index, file] of files.entries()) {
    const info = await stat(selected[index] ?? file).catch(() => undefined);
    if (info?.isDirectory()) {
      throw new UsageError(
        `${file} is a folder; name vars files, or leave out the file arguments to validate every vars file of the repo.`,
      );
    }
    if (!info?.isFile()) throw new UsageError(`vars file ${file} not found.`);
  }
  if (selected.length === 0 && (await listVarsFiles(layout)).length === 0) {
    // A repo that retired its last deployment passes, so its CI keeps passing. Otherwise the
    // usage error is the one reconcile --check gives.
    const { noVarsOutcome } = await import("../../output/reconcile.js");
    const note = await noVarsOutcome(layout, false, formatPath);
    if (note !== undefined) io.stderr.write(`cake: note: ${note}.\n`);
  }

  const idpUsers = options.idpUsers ? await readIdpUsers(path.resolve(io.cwd, options.idpUsers)) : undefined;
  // The fast path gives the full load's diagnostics, and a file loads several times faster.
  const result = await loadRepo(layout, selected.length > 0 ? selected : undefined, {
    fast: true,
    positioned: true,
    formatPath,
  });
  const repoPath = await checkRepoPath(layout);
  if (repoPath.source !== undefined) result.sources[CONFIG_FILE] = repoPath.source;
  result.diagnostics = sortDiagnostics([
    ...result.diagnostics,
    ...checkRepoIdentity(result, idpUsers ? { idpUsers, idpSource: options.idpUsers } : {}),
    ...repoPath.diagnostics,
  ]);
  // Only vars files count as valid or not. cake.yaml is checked too, but it is not a vars file.
  const validated = new Set(result.files);
  // The warnings of reconcile --check about other ops repos, for a pre-commit hook that runs validate.
  const { acrossRepoClashes, acrossRepoMessages } = await import("../../init/across-repos.js");
  const clashes = await acrossRepoClashes(layout, result.deployments);
  // The ApplicationSet file serves every deployment, so only a check of all of them can tell.
  const repoUrls = selected.length === 0 ? await repoUrlWarnings(layout, result) : {};
  const invalidFiles = new Set(
    result.diagnostics
      .filter((diagnostic) => diagnostic.severity === "error" && validated.has(diagnostic.file))
      .map((diagnostic) => diagnostic.file),
  );

  if (options.format === "json") {
    const output = { ...diagnosticsToJson(result.diagnostics), ...clashes, ...repoUrls };
    io.stdout.write(`${JSON.stringify(output)}\n`);
  } else {
    if (result.diagnostics.length > 0) {
      io.stderr.write(formatDiagnostics(result.diagnostics, { sources: result.sources, formatPath }));
    }
    const { repoUrlMessages } = await import("../../init/applicationset-repos.js");
    for (const message of [
      ...acrossRepoMessages(clashes, formatPath),
      ...repoUrlMessages(repoUrls, formatPath),
    ]) {
      io.stderr.write(`cake: warning: ${message}.\n`);
    }
    const total = result.files.length;
    const valid = total - invalidFiles.size;
    const noun = total === 1 ? "file" : "files";
    io.stdout.write(
      invalidFiles.size === 0 ? `${total} ${noun} valid\n` : `${valid} of ${total} ${noun} valid\n`,
    );
  }

  if (hasErrors(result.diagnostics)) context.setExitCode(1);
}

/**
 * Returns the repo URLs that the ApplicationSet file and the vars files do not share, each
 * way, when every vars file is valid: the URL of an invalid one is unknown.
 */
async function repoUrlWarnings(layout: RepoLayout, result: RepoLoadResult): Promise<RepoUrlFields> {
  if (result.deployments.length !== result.files.length) return {};
  const { repoUrlFields, repoUrlMismatches, repoUrlsOf } = await import("../../init/applicationset-repos.js");
  return repoUrlFields(await repoUrlMismatches(layout, repoUrlsOf(result.deployments)));
}
