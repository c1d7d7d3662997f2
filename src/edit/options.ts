/**
 * Command line options shared by the editing commands, and parsers for the values they
 * take. A value that is invalid on its own (an email with a space, an unknown role) is a
 * UsageError (exit 2) that names the option, raised before any file is read. A value that
 * conflicts with the vars file (an email that exists) is an EditError (exit 1).
 */
import { type Command, Option } from "commander";
import { dnsLabelFix, dnsLabelProblem } from "../config/rules/dns.js";
import { hiddenCharacter, isEmail } from "../config/rules/emails.js";
import { reservedNameReason } from "../config/rules/reserved.js";
import { quantityProblem, quotaKeyProblem } from "../config/rules/resource-quota.js";
import { CAKE_ROLES, NAMESPACE_ACCESS } from "../config/schema.js";
import { didYouMean } from "../config/suggest.js";
import { UsageError } from "../errors.js";
import type { NamespaceAccess } from "../model/types.js";
import { EditError } from "./errors.js";
import type { NamespaceGrantInput, UserRef } from "./users.js";

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Adds the repo layout options every command that reads a repo takes. */
export function withRepoOptions(command: Command): Command {
  return command
    .option(
      "--repo <dir>",
      "root of the ops repo (default: the current folder or the nearest one above it with cake.yaml)",
    )
    .option(
      "--vars-dir <dir>",
      "folder of the vars files, relative to the repo root (default: vars_dir in cake.yaml, else vars)",
    )
    .option(
      "--output-dir <dir>",
      "folder of the generated output, relative to the repo root (default: output_dir in cake.yaml, else deployments)",
    );
}

/** Adds `--format` of the list commands, whose invalid values are rejected as every option's choices are. */
export function withListFormatOption(command: Command): Command {
  return command.addOption(
    new Option("--format <format>", "table or json").choices(["table", "json"]).default("table"),
  );
}

/** Adds the options of a command that edits vars files. */
export function withEditOptions(command: Command, deploymentHelp: string): Command {
  return withRepoOptions(command)
    .requiredOption("--deployment <name>", deploymentHelp)
    .option("--no-reconcile", "write the vars file only; do not regenerate the output")
    .option(
      "--wait <seconds>",
      "how long to wait for another cake command's repo lock, in seconds (default: 0)",
    );
}

export function userRefOption(command: Command): Command {
  return command
    .addOption(
      new Option("--email <email>", "the user's email, exactly as in the vars file").conflicts("username"),
    )
    .option("--username <username>", "the user's username");
}

/** Returns the user named by exactly one of `--email` and `--username`. */
export function userRef(options: { email?: string; username?: string }): UserRef {
  if (options.email !== undefined) return { email: options.email };
  if (options.username !== undefined) return { username: options.username };
  throw new UsageError("name the user with --email or --username.");
}

/** Returns the roles without repeats; throws an EditError for an unknown role. */
export function parseRoles(roles: readonly string[]): string[] {
  for (const role of roles) {
    if (!(CAKE_ROLES as readonly string[]).includes(role)) {
      throw new EditError(
        "invalid-value",
        `invalid role "${role}"; use one of: ${CAKE_ROLES.join(", ")}.${didYouMean(role, CAKE_ROLES)}`,
      );
    }
  }
  return [...new Set(roles)];
}

/** Collects the values of a repeated `--role`, rejecting an unknown role as a usage error. */
export function collectRole(value: string, previous: string[] | undefined): string[] {
  if (!(CAKE_ROLES as readonly string[]).includes(value)) {
    throw new UsageError(
      `--role ${JSON.stringify(value)} is invalid; use one of: ${CAKE_ROLES.join(", ")}.${didYouMean(value, CAKE_ROLES)}`,
    );
  }
  return collect(value, previous);
}

/** Parses `--access`: edit or view. */
export function parseAccess(access: string): NamespaceAccess {
  if (!(NAMESPACE_ACCESS as readonly string[]).includes(access)) {
    throw new UsageError(
      `--access ${JSON.stringify(access)} is invalid; use one of: ${NAMESPACE_ACCESS.join(", ")}.` +
        didYouMean(access, NAMESPACE_ACCESS),
    );
  }
  return access as NamespaceAccess;
}

/** Parses the `--email` of a new user, which is written to the vars file exactly as given. */
export function parseNewEmail(email: string): string {
  if (isEmail(email)) return email;
  const hidden = hiddenCharacter(email);
  const problem =
    hidden === undefined
      ? "is not an email address; give the address exactly as the identity provider sends it (local@domain.tld)"
      : `contains the invisible or control character ${hidden}; delete it and type the address again`;
  throw new UsageError(`--email ${JSON.stringify(email)} ${problem}.`);
}

/** Parses `--username`, which names the user's private Profile and namespace. */
export function parseUsername(username: string): string {
  const problem = dnsLabelProblem(username);
  if (problem !== undefined) {
    throw new UsageError(
      `--username ${JSON.stringify(username)} ${problem}; it names the user's Profile and namespace; ` +
        `${dnsLabelFix(username, undefined, true)}.`,
    );
  }
  rejectSystemNamespace(`--username ${JSON.stringify(username)}`, username, "username");
  return username;
}

/** Parses a `--namespace` name, which names a deploy namespace: a DNS-1123 label. */
export function parseNamespace(namespace: string): string {
  return checkedNamespaceName("--namespace", namespace);
}

/** Parses the NAME argument of `cake namespace add`, the name of a new deploy namespace. */
export function parseNamespaceArgument(name: string): string {
  return checkedNamespaceName("the namespace name", name);
}

/** Returns `name` when it is a DNS-1123 label, else throws a UsageError whose message starts with `subject`. */
function checkedNamespaceName(subject: string, name: string): string {
  const problem = dnsLabelProblem(name);
  if (problem !== undefined) {
    throw new UsageError(
      `${subject} ${JSON.stringify(name)} ${problem}; it names a deploy namespace; ${dnsLabelFix(name, undefined, true)}.`,
    );
  }
  rejectSystemNamespace(`${subject} ${JSON.stringify(name)}`, name, "name");
  return name;
}

/**
 * Rejects a name that is reserved in every deployment, such as `kube-system`. The cloud identity
 * and Argo CD namespaces are reserved too, but they are settings of the vars file, so the check of
 * the edited file reports those.
 */
function rejectSystemNamespace(subject: string, name: string, noun: "name" | "username"): void {
  const reason = reservedNameReason(name, {});
  if (reason !== undefined) {
    throw new UsageError(`${subject} is reserved: ${reason}; choose another ${noun}.`);
  }
}

/** Parses `NAME` or `NAME:view` or `NAME:edit`; plain names get edit access, as in the vars format. */
export function parseGrant(value: string): NamespaceGrantInput {
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { namespace: parseNamespace(value), access: "edit" };
  const access = value.slice(colon + 1);
  if (!(NAMESPACE_ACCESS as readonly string[]).includes(access)) {
    throw new UsageError(
      `--namespace ${JSON.stringify(value)} has the access "${access}"; write NAME, NAME:edit or NAME:view.`,
    );
  }
  return { namespace: parseNamespace(value.slice(0, colon)), access: access as NamespaceAccess };
}

/**
 * Collects the values of a repeated `--namespace NAME[:access]` of `user add`, rejecting an
 * invalid one while commander parses the command line, as `--access` is. A blank value is left
 * to the check of empty values, whose message names the option.
 */
export function collectGrant(value: string, previous: string[] | undefined): string[] {
  if (value.trim() !== "") parseGrant(value);
  return collect(value, previous);
}

/**
 * Collects the values of a repeated `--quota KEY=VALUE`, rejecting an invalid entry, or a key
 * given twice, while commander parses the command line. A blank value is left to the check of
 * empty values.
 */
export function collectQuota(value: string, previous: string[] | undefined): string[] {
  const entries = collect(value, previous);
  if (value.trim() !== "") parseQuota(entries);
  return entries;
}

/**
 * Parses `--quota KEY=VALUE` entries into a mapping, with the key and quantity rules of the vars
 * file, so that a wrong entry is a usage error that names the option.
 */
export function parseQuota(entries: readonly string[]): Record<string, string> {
  // A Map, because a plain object would take `__proto__=1` as its prototype and drop the key.
  const quota = new Map<string, string>();
  for (const entry of entries) {
    const equals = entry.indexOf("=");
    const key = entry.slice(0, equals).trim();
    const value = entry.slice(equals + 1).trim();
    if (equals <= 0 || key === "" || value === "") {
      throw new UsageError(
        `--quota ${JSON.stringify(entry)} is invalid; write it as KEY=VALUE, such as requests.cpu=16.`,
      );
    }
    const problem = quotaEntryProblem(key, value);
    if (problem !== undefined) {
      // A fix that asks "did you mean ...?" ends the sentence itself.
      throw new UsageError(`--quota ${JSON.stringify(entry)}: ${problem}${problem.endsWith("?") ? "" : "."}`);
    }
    if (quota.has(key)) throw new UsageError(`--quota key "${key}" is given twice; give each key once.`);
    quota.set(key, value);
  }
  return Object.fromEntries(quota);
}

/** Returns what is wrong with the key or the quantity of a `--quota` entry, or undefined when both are valid. */
function quotaEntryProblem(key: string, value: string): string | undefined {
  const keyProblem = quotaKeyProblem(key);
  if (keyProblem !== undefined) return `"${key}" ${keyProblem}`;
  const valueProblem = quantityProblem(value);
  if (valueProblem !== undefined) return `"${value}" ${valueProblem}`;
  return undefined;
}
