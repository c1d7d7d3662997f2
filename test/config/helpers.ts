/** Builders and lookups shared by the vars loading tests. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic, DiagnosticCode } from "../../src/config/diagnostics.js";
import { type LoadResult, loadVarsText } from "../../src/config/load.js";

export const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "vars");

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES_DIR, name), "utf8");
}

export interface VarsParts {
  top?: string;
  kubeflow?: string;
  identity?: string;
  cloud?: string;
  gitops?: string;
  users?: string;
}

const DEFAULT_PARTS: Required<VarsParts> = {
  top: "environment: prod\nregion: us-east-1\n",
  kubeflow: "kubeflow:\n  profile_owner: platform@example.com\n",
  identity: "",
  cloud: "",
  gitops: "gitops:\n  repo_url: https://git.example.com/platform/ops.git\n",
  users: [
    "users:",
    "  deploy_namespaces: [team-a]",
    "  users:",
    "    - email: alice@example.com",
    "      username: alice",
    "      roles: [cake-user]",
    "      allowed_namespaces: [team-a]",
    "",
  ].join("\n"),
};

/** Returns a valid vars file for `vars/prod-us-east-1.yaml`, with the given sections replaced. */
export function varsYaml(parts: VarsParts = {}): string {
  const merged = { ...DEFAULT_PARTS, ...parts };
  return [merged.top, merged.kubeflow, merged.identity, merged.cloud, merged.gitops, merged.users].join("");
}

/** Returns a users section with the given deploy namespaces block and user entries (YAML lines). */
export function usersYaml(namespaces: string, users: string[]): string {
  return users.length === 0
    ? `users:\n${namespaces}  users: []\n`
    : `users:\n${namespaces}  users:\n${users.join("")}`;
}

/** Returns one user entry in block style, indented for `usersYaml`. */
export function userYaml(fields: Record<string, string>): string {
  const [first, ...rest] = Object.entries(fields);
  if (!first) return "";
  const lines = [`    - ${first[0]}: ${first[1]}`, ...rest.map(([key, value]) => `      ${key}: ${value}`)];
  return `${lines.join("\n")}\n`;
}

export function load(text: string, file = "vars/prod-us-east-1.yaml"): LoadResult {
  return loadVarsText(text, {
    file,
    outputPath: `deployments/${path.basename(file).replace(/\.ya?ml$/, "")}`,
  });
}

/** Returns the 1-based line and column of the `occurrence`-th appearance of `needle` in `text`. */
export function positionOf(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let offset = -1;
  for (let found = 0; found < occurrence; found++) {
    offset = text.indexOf(needle, offset + 1);
    if (offset < 0) throw new Error(`"${needle}" occurs fewer than ${occurrence} times in the test input`);
  }
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

export function withCode(result: LoadResult, code: DiagnosticCode): Diagnostic[] {
  return result.diagnostics.filter((diagnostic) => diagnostic.code === code);
}

export function codes(result: LoadResult): DiagnosticCode[] {
  return result.diagnostics.map((diagnostic) => diagnostic.code);
}

/** Returns the one diagnostic with `code`; throws, listing every diagnostic, when there is not exactly one. */
export function single(result: LoadResult, code: DiagnosticCode): Diagnostic {
  const found = withCode(result, code);
  if (found.length !== 1 || !found[0]) {
    throw new Error(
      `expected one ${code} diagnostic, got ${found.length}: ${JSON.stringify(result.diagnostics, null, 2)}`,
    );
  }
  return found[0];
}
