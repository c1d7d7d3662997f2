import path from "node:path";
import type { Command } from "commander";
import { emailLookalikeKey } from "../../config/rules/emails.js";
import { EditError } from "../../edit/errors.js";
import { importUsers } from "../../edit/import.js";
import {
  givenUsernameProblem,
  importDeployments,
  otherDeployments,
  type SharedUsername,
  shareUsernames,
} from "../../edit/import-usernames.js";
import { listUsers } from "../../edit/listing.js";
import {
  collectGrant,
  collectRole,
  parseAccess,
  parseGrant,
  parseNamespace,
  parseNewEmail,
  parseRoles,
  parseUsername,
  userRef,
  userRefOption,
  withEditOptions,
  withListFormatOption,
  withRepoOptions,
} from "../../edit/options.js";
import {
  type EditCommandOptions,
  type EditTarget,
  keptForOthers,
  removedProfilesOf,
  runEdit,
} from "../../edit/session.js";
import { withUndeclaredNamespaceFix } from "../../edit/unknown-namespace.js";
import {
  addUser,
  emailLine,
  emailTwinError,
  grantNamespace,
  removeUser,
  revokeNamespace,
  setUserDisabled,
  type UserRef,
} from "../../edit/users.js";
import { editWindow, entryIndexOf } from "../../edit/window.js";
import { CakeError } from "../../errors.js";
import { proposeUsername, type UsernameProposal } from "../../identity/convention.js";
import type { NamespaceAccess, User } from "../../model/types.js";
import { readManifest } from "../../output/manifest.js";
import { shellWord } from "../../repo/shell.js";
import type { CommandContext } from "../io.js";

const DEPLOYMENT_HELP =
  'deployment to change: the vars file name without .yaml, or "all" for every deployment';

interface UserRefOptions extends EditCommandOptions {
  email?: string;
  username?: string;
}

export function register(program: Command, context: CommandContext): void {
  const user = program.command("user").description("Add, change, remove and list the users of a deployment.");

  withEditOptions(user.command("add"), DEPLOYMENT_HELP)
    .description("Add a user to the vars file, then reconcile.")
    .requiredOption(
      "--email <email>",
      "the email the identity provider sends, exactly (case matters)",
      parseNewEmail,
    )
    .option(
      "--username <username>",
      "names the user's private profile (default: proposed from the email)",
      parseUsername,
    )
    .requiredOption("--role <role>", "cake-admin or cake-user; repeat for both", collectRole)
    .option(
      "--namespace <name[:access]>",
      "grant a deploy namespace, access edit (default) or view; repeatable",
      collectGrant,
    )
    .action((options: UserRefOptions & { role: string[]; namespace?: string[] }) =>
      addAction(context, options),
    );

  for (const [name, disabled, description] of [
    ["disable", true, "Revoke all of a user's access but keep their profile and data, then reconcile."],
    ["enable", false, "Give a disabled user their access back, then reconcile."],
  ] as const) {
    userRefOption(withEditOptions(user.command(name), DEPLOYMENT_HELP))
      .description(description)
      .action((options: UserRefOptions) =>
        runEdit(context, options, {
          command: `user ${name}`,
          edit: (target) => {
            const ref = userRef(options);
            const text = editWindow(target, [entryIndexOf(target, ref)], (part, whole) =>
              setUserDisabled(part, ref, disabled, whole?.style),
            );
            const described = describeRef(target, ref);
            // Printed after "nothing to change: " when the user already was in that state.
            const summary =
              text === target.text ? `user ${described} is already ${name}d` : `${name}d user ${described}`;
            return { text, summary };
          },
        }),
      );
  }

  userRefOption(withEditOptions(user.command("remove"), DEPLOYMENT_HELP))
    .description("Remove a user from the vars file, then reconcile.")
    .option("--delete-profile", "also delete the user's Profile, namespace and data")
    .action((options: UserRefOptions & { deleteProfile?: boolean }) => removeAction(context, options));

  for (const name of ["grant", "revoke"] as const) {
    const command = withEditOptions(user.command(name), DEPLOYMENT_HELP).requiredOption(
      "--email <email>",
      "the user's email, exactly as in the vars file",
    );
    if (name === "grant") {
      command
        .description("Grant a user access to a deploy namespace, or change that access, then reconcile.")
        .requiredOption("--namespace <name>", "the deploy namespace", parseNamespace)
        .option("--access <access>", "edit or view", parseAccess, "edit");
    } else {
      command
        .description("Revoke a user's access to a deploy namespace, then reconcile.")
        .requiredOption("--namespace <name>", "the deploy namespace");
    }
    command.action(
      (options: UserRefOptions & { email: string; namespace: string; access?: NamespaceAccess }) =>
        runEdit(context, options, {
          command: `user ${name}`,
          edit: async (target) => {
            const ref = { email: options.email };
            const index = entryIndexOf(target, ref);
            if (name === "revoke") {
              return {
                text: editWindow(target, [index], (part, whole) =>
                  revokeNamespace(part, ref, options.namespace, whole?.style),
                ),
                summary: `revoked ${options.email}'s access to ${options.namespace}`,
              };
            }
            const access = options.access ?? "edit";
            // A disabled user gets no contributor objects, so the grant changes no output yet.
            const disabled = target.deployment.users.some(
              (user) => user.email === options.email && user.disabled,
            );
            const single = options.deployment !== "all";
            const text = await withUndeclaredNamespaceFix(target, [options.namespace], single, () =>
              editWindow(target, [index], (part, whole) =>
                grantNamespace(part, ref, { namespace: options.namespace, access }, whole?.style),
              ),
            );
            // A grant that changes access names the previous access, so a lower one does not read as new.
            const before = target.deployment.users
              .find((user) => user.email === options.email)
              ?.allowedNamespaces.find((grant) => grant.namespace === options.namespace)?.access;
            const was = before !== undefined && before !== access ? ` (was ${before})` : "";
            return {
              text,
              // Printed after "nothing to change: " when the user already had that access.
              summary:
                text === target.text
                  ? `${options.email} already has ${access} access to ${options.namespace}`
                  : `granted ${options.email} ${access} access to ${options.namespace}${was}`,
              ...(disabled
                ? {
                    notes: [
                      `${options.email} is disabled; the grant takes effect with ` +
                        `"cake user enable --deployment ${shellWord(target.name)} --email ${shellWord(options.email)}"`,
                    ],
                  }
                : {}),
            };
          },
        }),
    );
  }

  withListFormatOption(withRepoOptions(user.command("list")))
    .description("List who has which access where: one row per user and namespace.")
    .option("--deployment <name>", "list one deployment only")
    .action(
      (options: {
        repo?: string;
        varsDir?: string;
        outputDir?: string;
        deployment?: string;
        format: "table" | "json";
      }) => listUsers(context, options),
    );

  withEditOptions(user.command("import"), DEPLOYMENT_HELP)
    .description("Add or update users from a CSV file with columns email,username,roles,namespaces.")
    .argument("<file>", "the CSV file")
    .option("--dry-run", "print what would change and write nothing")
    // The file keeps the path as given, so problems name it as the user typed it.
    .action((file: string, options: EditCommandOptions & { dryRun?: boolean }) =>
      importUsers(context, file, options),
    );
}

function addAction(
  context: CommandContext,
  options: UserRefOptions & { role: string[]; namespace?: string[] },
) {
  const email = options.email as string;
  const roles = parseRoles(options.role);
  const grants = (options.namespace ?? []).map(parseGrant);
  let shared: SharedUsername | undefined;
  // Proposes the name shared across deployments where it differs from the deployment's own proposal.
  const propose = async (target: EditTarget): Promise<UsernameProposal> => {
    if (shared !== undefined && "username" in shared && shared.note !== undefined) {
      return { username: shared.username, reason: `it is ${shared.note}` };
    }
    return proposeUsername(email, target.deployment, keptForOthers(await removedProfilesOf(target), email));
  };
  return runEdit(context, options, {
    command: "user add",
    prepare: async (targets, others) => {
      if (targets.length + others.length < 2) return;
      const deployments = await importDeployments(targets);
      const rest = await otherDeployments(others);
      if (options.username !== undefined) {
        const problem = givenUsernameProblem(email, options.username, deployments, rest);
        if (problem !== undefined) throw new CakeError(`${problem}; nothing was written.`);
        return;
      }
      const row = { line: 0, email, username: "" };
      shared = shareUsernames([row], deployments, new Set(), rest, "option").get(row.line);
      if (shared !== undefined && "problem" in shared)
        throw new CakeError(`${shared.problem}; nothing was written.`);
    },
    edit: async (target) => {
      rejectEmailTwin(target, email);
      const proposal = options.username === undefined ? await propose(target) : undefined;
      const username = options.username ?? proposal?.username ?? "";
      const namespaces = grants.map((grant) => grant.namespace);
      const text = await withUndeclaredNamespaceFix(target, namespaces, options.deployment !== "all", () =>
        editWindow(target, [], (part, whole) => addUser(part, { email, username, roles, grants }, whole)),
      );
      // A person keeps the username they have in another deployment, so --username takes no other.
      const kept = shared !== undefined && "kept" in shared && shared.kept === true;
      const choose = kept
        ? ", and a person has one username in every deployment."
        : "; pass --username to choose another.";
      const notes = proposal ? [`username "${username}" was chosen because ${proposal.reason}${choose}`] : [];
      return { text, summary: `added user ${email} (username ${username})`, notes };
    },
  });
}

/**
 * Throws when the file has a user whose email differs from `email` only in case or Unicode
 * form, naming that entry's line. In a large file `addUser` gets a window of the entries, whose lines are not
 * those of the file.
 */
function rejectEmailTwin(target: EditTarget, email: string): void {
  const emails = target.deployment.users.map((user) => user.email);
  if (emails.includes(email)) return;
  const key = emailLookalikeKey(email);
  const existing = emails.find((each) => emailLookalikeKey(each) === key);
  if (existing === undefined) return;
  const line = emailLine(target.text, existing);
  throw emailTwinError(email, existing, line === undefined ? undefined : `${target.shownFile}:${line}`);
}

function removeAction(context: CommandContext, options: UserRefOptions & { deleteProfile?: boolean }) {
  const ref = userRef(options);
  return runEdit(context, options, {
    command: "user remove",
    edit: async (target) => {
      const text = editWindow(target, [entryIndexOf(target, ref)], (part, whole) =>
        removeUser(part, ref, whole?.style),
      );
      const user = findUser(target, ref);
      if (!options.deleteProfile && (await profileInOutput(target, user.username))) {
        const keep = user.disabled
          ? "The user is already disabled, which keeps the data; leave the entry in place."
          : `To keep the data, run \`cake user disable --deployment ${shellWord(target.name)} --username ${shellWord(user.username)}\` instead.`;
        throw new CakeError(
          `removing ${user.email} would delete Profile "${user.username}" together with namespace "${user.username}" ` +
            `and all its data. ${keep} To delete it, rerun with --delete-profile.`,
        );
      }
      return { text, summary: `removed user ${user.email} (username ${user.username})` };
    },
    allowProfileDeletion: (target) => (options.deleteProfile ? [findUser(target, ref).username] : []),
  });
}

function findUser(target: EditTarget, ref: UserRef): User {
  const user = target.deployment.users.find((each) =>
    ref.email !== undefined ? each.email === ref.email : each.username === ref.username,
  );
  // The edit functions give the detailed "unknown user" error; this covers lookups made before them.
  if (!user)
    throw new EditError(
      "unknown-user",
      `no user with ${ref.email !== undefined ? `email "${ref.email}"` : `username "${ref.username}"`}.`,
    );
  return user;
}

function describeRef(target: EditTarget, ref: UserRef): string {
  const user = findUser(target, ref);
  return `${user.email} (username ${user.username})`;
}

/** True when the deployment's current output has a Profile of this name, so removing it deletes data. */
export async function profileInOutput(target: EditTarget, profile: string): Promise<boolean> {
  const manifest = await readManifest(path.join(target.root, target.deployment.outputPath));
  return manifest?.profiles.includes(profile) ?? false;
}
