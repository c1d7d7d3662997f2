import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { CakeError, UsageError } from "../errors.js";
import { assertRealPathInside } from "./paths.js";

/** The folders of an ops repo's vars files and generated output, relative to its root. */
export interface RepoLayout {
  /** Absolute path of the repo root. */
  root: string;
  /** Folder of the vars files, relative to `root`, with `/` separators. */
  varsDir: string;
  /** Folder of the generated deployments, relative to `root`, with `/` separators. */
  outputDir: string;
}

export const CONFIG_FILE = "cake.yaml";
export const DEFAULT_VARS_DIR = "vars";
export const DEFAULT_OUTPUT_DIR = "deployments";
/** The vars folder of repos set up for the cookiecutter generator that cake replaces. */
export const LEGACY_VARS_DIR = "platform/scripts/gen_deploy/vars";

interface RepoConfig {
  vars_dir?: string;
  output_dir?: string;
}

export interface LayoutFlags {
  varsDir?: string;
  outputDir?: string;
}

/**
 * Resolves the layout of the repo at `root`: flags win over `cake.yaml`, which wins
 * over the defaults (`vars/`, `deployments/`).
 */
export async function resolveLayout(root: string, flags: LayoutFlags = {}): Promise<RepoLayout> {
  const absoluteRoot = path.resolve(root);
  const info = await stat(absoluteRoot).catch(() => undefined);
  if (!info?.isDirectory()) {
    const problem = info === undefined ? "does not exist" : "is not a folder";
    throw new UsageError(
      `the repo folder ${absoluteRoot} ${problem}; pass --repo with the root of the ops repo.`,
    );
  }
  const config = await readConfig(absoluteRoot);
  const varsDir = normalizeDir(
    absoluteRoot,
    flags.varsDir ?? config.vars_dir ?? DEFAULT_VARS_DIR,
    "vars_dir",
  );
  const outputDir = normalizeDir(
    absoluteRoot,
    flags.outputDir ?? config.output_dir ?? DEFAULT_OUTPUT_DIR,
    "output_dir",
  );
  // A symlinked vars or output folder must not lead cake outside the repo.
  await assertRealPathInside(absoluteRoot, varsDir);
  await assertRealPathInside(absoluteRoot, outputDir);
  return { root: absoluteRoot, varsDir, outputDir };
}

async function readConfig(root: string): Promise<RepoConfig> {
  const file = path.join(root, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CakeError(`${CONFIG_FILE}: cannot be read: ${(error as Error).message}`);
  }

  // Most repos have no config file, so the YAML parser and zod load only for those that do.
  const [{ parse }, { z }] = await Promise.all([import("yaml"), import("zod")]);
  const configSchema = z.strictObject({
    vars_dir: z.string().min(1).optional(),
    output_dir: z.string().min(1).optional(),
  });
  let data: unknown;
  try {
    data = parse(text) ?? {};
  } catch (error) {
    throw new CakeError(`${CONFIG_FILE}: invalid YAML: ${(error as Error).message}`);
  }

  const result = configSchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new CakeError(
      `${CONFIG_FILE}: invalid repo config: ${issues.join("; ")}. Known keys: vars_dir, output_dir.`,
    );
  }
  return result.data;
}

function normalizeDir(root: string, dir: string, field: string): string {
  if (dir.includes("\0")) throw new CakeError(`${field} ${JSON.stringify(dir)} contains a NUL character.`, 2);
  const absolute = path.resolve(root, dir);
  const relative = path.relative(root, absolute);
  if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new CakeError(`${field} "${dir}" must be a folder inside the repo ${root}.`, 2);
  }
  return relative.split(path.sep).join("/");
}
