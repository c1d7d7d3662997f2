/**
 * CODEOWNERS that make the active cake-admins of each deployment the required reviewers
 * of its vars file and of its generated folder. GitHub and GitLab both accept an email in
 * place of a username when the email belongs to an account on the forge. An email that
 * matches no account is flagged by the forge as an invalid owner, so it adds no reviewer.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { activeAdminEmails } from "../model/names.js";
import type { Deployment } from "../model/types.js";
import { compareText } from "../plan/state.js";
import { shellWord } from "../repo/shell.js";
import { GITHUB_WORKFLOW_FILE } from "./ci.js";

export const CODEOWNERS_FILE = "CODEOWNERS";

/**
 * The paths at which the forges read CODEOWNERS, relative to the top of the git repository. GitHub reads
 * `.github/`, the root, then `docs/`, and uses the first it finds
 * (https://docs.github.com/enterprise/2.11/user/articles/about-codeowners). GitLab reads the
 * root, `docs/`, then `.gitlab/`, and uses the first
 * (https://gitlab.com/gitlab-org/gitlab/-/issues/219916). Writing a second file could
 * override the team's rules on one forge, so cake uses the first one that exists.
 */
export const CODEOWNERS_LOCATIONS = [
  CODEOWNERS_FILE,
  `.github/${CODEOWNERS_FILE}`,
  `docs/${CODEOWNERS_FILE}`,
  `.gitlab/${CODEOWNERS_FILE}`,
] as const;

/** The places each forge searches, in its order (sources above `CODEOWNERS_LOCATIONS`). */
const FORGE_ORDERS = {
  GitHub: [`.github/${CODEOWNERS_FILE}`, CODEOWNERS_FILE, `docs/${CODEOWNERS_FILE}`],
  GitLab: [CODEOWNERS_FILE, `docs/${CODEOWNERS_FILE}`, `.gitlab/${CODEOWNERS_FILE}`],
} as const;

/** A CODEOWNERS that cake wrote, which a forge ignores because it reads another file first. */
export interface ShadowedCodeowners {
  forge: keyof typeof FORGE_ORDERS;
  /** The file the forge reads, relative to the top of the work tree. */
  read: string;
  /** The file cake wrote that the forge ignores, relative to the top. */
  ignored: string;
}

/**
 * Returns each forge that reads a CODEOWNERS cake did not write for this ops repo before one
 * that cake wrote: on that forge, the cake-admins are not required reviewers.
 */
export async function shadowedCodeowners(root: string, repoPath = ""): Promise<ShadowedCodeowners[]> {
  const { place, owned } = await readOwnedCodeowners(root, repoPath);
  const ownedPaths = new Set(
    owned.map(({ file }) => path.relative(place.top, file).split(path.sep).join("/")),
  );
  const shadowed: ShadowedCodeowners[] = [];
  for (const [forge, order] of Object.entries(FORGE_ORDERS) as [
    ShadowedCodeowners["forge"],
    readonly string[],
  ][]) {
    const present = order.filter((file) => existsSync(path.join(place.top, ...file.split("/"))));
    const read = present[0];
    const ignored = present.find((file) => ownedPaths.has(file));
    if (read !== undefined && ignored !== undefined && !ownedPaths.has(read))
      shadowed.push({ forge, read, ignored });
  }
  return shadowed;
}

/**
 * Returns the CODEOWNERS files at the top of the git work tree that cake wrote for another
 * ops repo of the same git repository. They contain no rule for this one, so nothing requires a
 * cake-admin's review of its vars. Cake keeps one set of rules per file and never merges them.
 */
export async function foreignCodeowners(root: string, repoPath = ""): Promise<string[]> {
  const place = await repoPlace(root, repoPath);
  const foreign: string[] = [];
  for (const file of existingCodeowners(place.top)) {
    const text = await readFile(file, "utf8");
    if (text.startsWith(CODEOWNERS_HEADER) && rulesOfAnotherRepo(text, place.prefix)) foreign.push(file);
  }
  return foreign;
}

/** Returns the absolute path of the first CODEOWNERS that exists in `top`, in `CODEOWNERS_LOCATIONS` order. */
export function findCodeowners(top: string): string | undefined {
  return existingCodeowners(top)[0];
}

/**
 * Returns the absolute paths of every CODEOWNERS that exists in `top`. The forges search the
 * places in different orders, so with more than one file GitHub and GitLab may apply different ones.
 */
export function existingCodeowners(top: string): string[] {
  return CODEOWNERS_LOCATIONS.map((file) => path.join(top, ...file.split("/"))).filter((file) =>
    existsSync(file),
  );
}

/** The location of an ops repo: the top of the work tree the forges read, and the repo's path below it. */
export interface RepoPlace {
  top: string;
  /** The repo folder's path from `top`, with a final `/`; empty at the top itself. */
  prefix: string;
}

/**
 * Returns where the ops repo at `root` sits in its git work tree. When git cannot tell (git
 * missing or rejecting the repository, or a tree copied out of git), `repoPath` (`repo_path`
 * of `cake.yaml`) gives the location if `root` ends with that path, so that `reconcile --check`
 * and `cake init --codeowners` agree without git. Otherwise the repo is its own top.
 */
export async function repoPlace(root: string, repoPath = ""): Promise<RepoPlace> {
  const { isRepo, showPrefix, showToplevel } = await import("../git/git.js");
  try {
    if (await isRepo(root)) return { top: await showToplevel(root), prefix: await showPrefix(root) };
  } catch {
    // Missing or refusing git: fall back to repo_path below.
  }
  const parts = repoPath.split("/").filter((part) => part !== "");
  const top = path.resolve(root, ...parts.map(() => ".."));
  const matches = parts.length > 0 && path.join(top, ...parts) === path.resolve(root);
  return matches ? { top, prefix: `${parts.join("/")}/` } : { top: root, prefix: "" };
}

/** Renders CODEOWNERS from the loaded `deployments` of the ops repo at `prefix` below the top. */
export function renderRepoRules(deployments: readonly Deployment[], prefix: string): string {
  const fromTop: Deployment[] = deployments.map((deployment) => ({
    ...deployment,
    varsFile: `${prefix}${deployment.varsFile}`,
    outputPath: `${prefix}${deployment.outputPath}`,
  }));
  return renderCodeowners(fromTop, prefix);
}

/**
 * Returns the path of a CODEOWNERS that cake wrote for the repo at `root` (see
 * `existingCodeowners`) whose rules differ from those of `deployments`, every deployment of
 * the repo. Returns undefined when every such file matches, or when none exists: a team that
 * keeps its own rules reviews them by hand.
 */
export async function staleCodeowners(
  root: string,
  deployments: readonly Deployment[],
  repoPath = "",
): Promise<string | undefined> {
  const { place, owned } = await readOwnedCodeowners(root, repoPath);
  if (owned.length === 0) return undefined;
  const expected = renderRepoRules(deployments, place.prefix);
  return owned.find(({ text }) => text !== expected)?.file;
}

/**
 * Returns where the ops repo at `root` sits, and the CODEOWNERS files that cake wrote for it
 * with their text. The list is empty when the team keeps its own rules or has none.
 */
async function readOwnedCodeowners(
  root: string,
  repoPath: string,
): Promise<{ place: RepoPlace; owned: { file: string; text: string }[] }> {
  const place = await repoPlace(root, repoPath);
  const owned: { file: string; text: string }[] = [];
  for (const file of existingCodeowners(place.top)) {
    // Git with core.autocrlf=true checks the file out with CRLF line endings and commits it with LF.
    const text = (await readFile(file, "utf8")).replaceAll("\r\n", "\n");
    // Another ops repo of this git repository wrote it: cake keeps one set of rules per file.
    if (text.startsWith(CODEOWNERS_HEADER) && !rulesOfAnotherRepo(text, place.prefix))
      owned.push({ file, text });
  }
  return { place, owned };
}

/** The first line of a CODEOWNERS file cake wrote, so cake overwrites only its own file. */
export const CODEOWNERS_HEADER = "# Generated by cake from the cake-admins in the vars files.";

/** Returns the comment lines at the top of a CODEOWNERS file cake writes for the repo at `prefix`. */
function codeownersHeader(prefix: string): string[] {
  return [
    CODEOWNERS_HEADER,
    `# Do not edit: change the cake-admins in the vars files, then run "${regenerateCommand(prefix)}".`,
  ];
}

/**
 * Returns the rules of `text`, a CODEOWNERS that `renderCodeowners` rendered for the repo at
 * `prefix`, without its header lines and the blank line after them. The rules are for merging
 * into a file that the team keeps by hand, where the header would make cake rewrite the file
 * and tell its readers not to edit it.
 */
export function withoutCodeownersHeader(text: string, prefix: string): string {
  const header = `${codeownersHeader(prefix).join("\n")}\n\n`;
  return text.startsWith(header) ? text.slice(header.length) : text;
}

/**
 * Characters that end an owner or start a comment in CODEOWNERS. Validation rejects
 * whitespace in emails but allows `#`, which would turn the rest of the line into a comment.
 */
const UNSAFE_OWNER = /[\s#]/;

/**
 * Returns the command that regenerates CODEOWNERS, run from the top of the work tree where the
 * file is: an ops repo in a subfolder is named, quoted for a shell when it needs quotes.
 */
function regenerateCommand(prefix: string): string {
  const folder = prefix.replace(/\/$/, "");
  return folder === "" ? "cake init --codeowners" : `cake init ${shellWord(folder)} --codeowners`;
}

/**
 * Renders CODEOWNERS for `deployments`, sorted by name. The first rule gives the whole ops
 * repo to every active cake-admin: `*`, or the folder `prefix` of an ops repo inside a larger
 * repository. Then come one rule for each vars file and one for each output folder. The
 * last matching rule applies, so the first one covers only what no deployment owns: a new
 * vars file, CODEOWNERS itself, `cake.yaml` and the CI files.
 */
export function renderCodeowners(deployments: readonly Deployment[], prefix = ""): string {
  const lines = codeownersHeader(prefix);

  const sorted = [...deployments].sort((a, b) => compareText(a.name, b.name));
  // Two spellings of one address that differ only in case name one reviewer, so the first is kept.
  const byFolded = new Map<string, string>();
  for (const email of sorted.flatMap((deployment) => activeAdminEmails(deployment))) {
    if (!byFolded.has(email.toLowerCase())) byFolded.set(email.toLowerCase(), email);
  }
  const everyAdmin = [...byFolded.values()].filter((email) => !UNSAFE_OWNER.test(email));
  const scope = scopeOf(prefix);
  // In a subfolder the rule covers only that folder: this file and the CI files are outside it.
  lines.push(
    "",
    prefix === ""
      ? "# Files no deployment owns: new vars files, this file, cake.yaml, CI. Any cake-admin reviews."
      : `# Files of ${scope} no deployment owns: new vars files, cake.yaml. Any cake-admin reviews.`,
  );
  if (everyAdmin.length === 0)
    lines.push("# No deployment has an active cake-admin, so no review is required for them.");
  else lines.push(`${scope} ${everyAdmin.join(" ")}`);
  // The GitHub workflow of cake runs its checks; a change that weakens them needs the same
  // review. The GitLab pipeline and CODEOWNERS of a larger repository are shared, so they keep
  // the repository's own owners.
  if (prefix !== "" && everyAdmin.length > 0) lines.push(`/${GITHUB_WORKFLOW_FILE} ${everyAdmin.join(" ")}`);

  for (const deployment of sorted) lines.push("", ...deploymentRules(deployment));
  return `${lines.join("\n")}\n`;
}

/** Returns the lines of CODEOWNERS for one deployment, with paths from the top of the work tree. */
function deploymentRules(deployment: Deployment): string[] {
  const admins = activeAdminEmails(deployment);
  const owners = admins.filter((email) => !UNSAFE_OWNER.test(email));
  const lines = admins
    .filter((email) => UNSAFE_OWNER.test(email))
    .map(
      (email) =>
        `# ${deployment.name}: cake-admin "${email.replace(/\s/g, " ")}" cannot be a code owner (contains "#").`,
    );
  if (owners.length === 0) {
    lines.push(`# ${deployment.name} has no active cake-admin, so no review is required for it.`);
    return lines;
  }
  const ownerList = owners.join(" ");
  lines.push(`/${escapePattern(deployment.varsFile)} ${ownerList}`);
  lines.push(`/${escapePattern(deployment.outputPath)}/ ${ownerList}`);
  return lines;
}

/**
 * Returns the path of a CODEOWNERS that cake wrote for the ops repo at `root` whose rules for
 * `deployment` are not the ones its active cake-admins give, or undefined. An edit checks its
 * deployment only: the rules of the other deployments did not change with it.
 */
export async function codeownersBehind(
  root: string,
  deployment: Deployment,
  repoPath = "",
): Promise<string | undefined> {
  const { place, owned } = await readOwnedCodeowners(root, repoPath);
  const rules = deploymentRules({
    ...deployment,
    varsFile: `${place.prefix}${deployment.varsFile}`,
    outputPath: `${place.prefix}${deployment.outputPath}`,
  });
  return owned.find(({ text }) => {
    const lines = new Set(text.split("\n"));
    return rules.some((line) => !lines.has(line));
  })?.file;
}

/** Returns the pattern of the first rule, which covers the whole ops repo at `prefix`. */
function scopeOf(prefix: string): string {
  return prefix === "" ? "*" : `/${escapePattern(prefix.replace(/\/?$/, "/"))}`;
}

/**
 * Returns true when `text`, a CODEOWNERS that cake wrote, contains the rules of another ops repo
 * of the same git repository than the one at `prefix`, because its first rule covers another folder.
 * A file whose deployments have no active cake-admin has no such rule and counts as this one's.
 */
export function rulesOfAnotherRepo(text: string, prefix: string): boolean {
  const rule = text.split("\n").find((line) => line.trim() !== "" && !line.startsWith("#"));
  return rule !== undefined && rule.split(/\s+/)[0] !== scopeOf(prefix);
}

/** Escapes characters with a meaning in CODEOWNERS patterns, which vars paths rarely contain. */
function escapePattern(path: string): string {
  return path.replace(/[\s#\\*?[\]!]/g, (character) => `\\${character}`);
}
