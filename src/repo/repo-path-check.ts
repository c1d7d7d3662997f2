/**
 * The check of `repo_path` in `cake.yaml` against the folder the ops repo is in now. It runs
 * git, so only `cake validate` runs it: reconcile reads `repo_path` as written and never
 * spawns git.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { isMap, isNode, LineCounter, parseDocument } from "yaml";
import type { Diagnostic } from "../config/diagnostics.js";
import { GitError, isRepo, showPrefix } from "../git/git.js";
import { CONFIG_FILE, type RepoLayout } from "./layout.js";

export interface RepoPathCheck {
  diagnostics: Diagnostic[];
  /** Text of `cake.yaml` when a diagnostic points into it, for the source line in the output. */
  source?: string;
}

/**
 * Warns with `repo-path-mismatch` when the ops repo at `layout.root` is inside a git work tree
 * at another folder than `layout.repoPath`, as after the folder moved: the generated Argo CD
 * source paths would name a folder that does not exist. Outside git, or when git is missing or
 * rejects the repository, there is nothing to compare with and it returns no diagnostic.
 */
export async function checkRepoPath(layout: RepoLayout): Promise<RepoPathCheck> {
  let actual: string;
  try {
    if (!(await isRepo(layout.root))) return { diagnostics: [] };
    actual = (await showPrefix(layout.root)).replace(/\/$/, "");
  } catch (error) {
    if (error instanceof GitError) return { diagnostics: [] };
    throw error;
  }
  if (actual === layout.repoPath) return { diagnostics: [] };

  const text = await readFile(path.join(layout.root, CONFIG_FILE), "utf8").catch(() => undefined);
  const position = text === undefined ? { line: 0, column: 0 } : repoPathPosition(text);
  const written = layout.repoPath === "" ? "not set" : `"${layout.repoPath}"`;
  const where =
    actual === "" ? "the top of its git repository" : `the folder "${actual}" of its git repository`;
  const fix =
    actual === ""
      ? "remove repo_path from cake.yaml"
      : text !== undefined
        ? `set repo_path: ${JSON.stringify(actual)} in cake.yaml`
        : (await isFolder(path.join(layout.root, layout.varsDir)))
          ? `create cake.yaml at the ops repo root with repo_path: ${JSON.stringify(actual)}`
          : // A root without cake.yaml or a vars folder is likely a wrong guess, as vars/ of a repo
            // without cake.yaml is, and a cake.yaml there would break the repo.
            `"${actual}" has no cake.yaml and no vars folder, so it may not be the ops repo root: run cake ` +
            `from the root or pass --repo, or, if "${actual}" is the root, create cake.yaml in it with ` +
            `repo_path: ${JSON.stringify(actual)}`;
  const diagnostic: Diagnostic = {
    severity: "warning",
    code: "repo-path-mismatch",
    file: CONFIG_FILE,
    ...position,
    path: "repo_path",
    message:
      `repo_path is ${written}, but this ops repo is ${where}, so the Argo CD Applications would sync a ` +
      `folder that does not exist; ${fix} and run "cake reconcile".`,
  };
  return { diagnostics: [diagnostic], ...(text === undefined ? {} : { source: text }) };
}

/** Returns the position of the `repo_path` value, or line 1, column 1 (the whole file) without one. */
function repoPathPosition(text: string): { line: number; column: number } {
  const lineCounter = new LineCounter();
  // resolveLayout has parsed this text already, so it is a mapping or empty.
  const document = parseDocument(text, { lineCounter });
  const value = isMap(document.contents) ? document.contents.get("repo_path", true) : undefined;
  const offset = isNode(value) ? value.range?.[0] : undefined;
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

async function isFolder(folder: string): Promise<boolean> {
  return (await stat(folder).catch(() => undefined))?.isDirectory() === true;
}
