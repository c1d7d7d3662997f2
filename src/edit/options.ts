/**
 * Command line options shared by the editing commands, and parsers for the values
 * they take. Bad values are EditErrors (exit 1); missing or conflicting flags are
 * UsageErrors (exit 2).
 */
import { type Command, Option } from "commander";
import { CAKE_ROLES, NAMESPACE_ACCESS } from "../config/schema.js";
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
    .option("--repo <dir>", "root of the ops repo (default: the current folder)")
    .option(
      "--vars-dir <dir>",
      "folder of the vars files, relative to the repo root (default: vars_dir in cake.yaml, else vars)",
    )
    .option(
      "--output-dir <dir>",
      "folder of the generated output, relative to the repo root (default: output_dir in cake.yaml, else deployments)",
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

export function parseRoles(roles: readonly string[]): string[] {
  for (const role of roles) {
    if (!(CAKE_ROLES as readonly string[]).includes(role)) {
      throw new EditError("invalid-value", `invalid role "${role}"; use one of: ${CAKE_ROLES.join(", ")}.`);
    }
  }
  return [...new Set(roles)];
}

export function parseAccess(access: string): NamespaceAccess {
  if (!(NAMESPACE_ACCESS as readonly string[]).includes(access)) {
    throw new EditError(
      "invalid-value",
      `invalid access "${access}"; use one of: ${NAMESPACE_ACCESS.join(", ")}.`,
    );
  }
  return access as NamespaceAccess;
}

/** Parses `NAME` or `NAME:view` or `NAME:edit`; plain names get edit access, as in the vars format. */
export function parseGrant(value: string): NamespaceGrantInput {
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { namespace: value, access: "edit" };
  return { namespace: value.slice(0, colon), access: parseAccess(value.slice(colon + 1)) };
}

/** Parses `--quota KEY=VALUE` entries into a mapping; the loader validates keys and quantities. */
export function parseQuota(entries: readonly string[]): Record<string, string> {
  // A Map, because a plain object would take `__proto__=1` as its prototype and drop the key.
  const quota = new Map<string, string>();
  for (const entry of entries) {
    const equals = entry.indexOf("=");
    const key = entry.slice(0, equals).trim();
    const value = entry.slice(equals + 1).trim();
    if (equals <= 0 || key === "" || value === "") {
      throw new EditError(
        "invalid-value",
        `invalid quota "${entry}"; write it as KEY=VALUE, such as requests.cpu=16.`,
      );
    }
    if (quota.has(key)) throw new EditError("invalid-value", `quota key "${key}" is given twice.`);
    quota.set(key, value);
  }
  return Object.fromEntries(quota);
}
