import { Argument, type Command } from "commander";
import { EditError } from "../../edit/errors.js";
import { listNamespaces } from "../../edit/listing.js";
import {
  addDeployNamespace,
  addDeployNamespaceStep,
  removeDeployNamespace,
  removeDeployNamespaceStep,
  usersGrantedNamespace,
} from "../../edit/namespaces.js";
import {
  collectQuota,
  parseNamespaceArgument,
  parseQuota,
  withEditOptions,
  withListFormatOption,
  withRepoOptions,
} from "../../edit/options.js";
import { type EditCommandOptions, type EditTarget, runEdit } from "../../edit/session.js";
import { entryIndexOf, spliceWindow } from "../../edit/window.js";
import { CakeError } from "../../errors.js";
import type { CommandContext } from "../io.js";
import { profileInOutput } from "./user.js";

const DEPLOYMENT_HELP = "deployment to change: the vars file name without .yaml";

export function register(program: Command, context: CommandContext): void {
  const namespace = program
    .command("namespace")
    .description("Add, remove and list the deploy namespaces (shared profiles) of a deployment.");

  withEditOptions(namespace.command("add"), DEPLOYMENT_HELP)
    .description("Add a deploy namespace to the vars file, then reconcile.")
    .addArgument(
      new Argument("<name>", "the namespace name (a DNS-1123 label)").argParser(parseNamespaceArgument),
    )
    .option("--quota <key=value>", "a ResourceQuota entry such as requests.cpu=16; repeatable", collectQuota)
    .action((name: string, options: EditCommandOptions & { quota?: string[] }) => {
      const resourceQuota = parseQuota(options.quota ?? []);
      return runEdit(context, options, {
        command: "namespace add",
        edit: (target) => {
          rejectUsername(target, name);
          return {
            text: spliceWindow(target, [], addDeployNamespaceStep({ name, resourceQuota }), () =>
              addDeployNamespace(target.text, { name, resourceQuota }),
            ),
            summary: `added deploy namespace ${name}`,
          };
        },
      });
    });

  withEditOptions(namespace.command("remove"), DEPLOYMENT_HELP)
    .description("Remove a deploy namespace from the vars file, then reconcile.")
    .argument("<name>", "the namespace name")
    .option("--revoke-grants", "also revoke every user's grant on the namespace")
    .option("--delete-profile", "also delete the namespace's Profile, namespace and data")
    .action(
      (name: string, options: EditCommandOptions & { revokeGrants?: boolean; deleteProfile?: boolean }) =>
        runEdit(context, options, {
          command: "namespace remove",
          edit: async (target) => {
            const revokeGrants = options.revokeGrants === true;
            const granted = grantedInFileOrder(target, name);
            await rejectRemovalNeedingBothFlags(target, name, granted, options);
            const text = spliceWindow(
              target,
              granted.map(({ index }) => index),
              removeDeployNamespaceStep(name, { revokeGrants }),
              () => removeDeployNamespace(target.text, name, { revokeGrants }),
            );
            if (!options.deleteProfile && (await profileInOutput(target, name))) {
              throw new CakeError(
                `removing deploy namespace "${name}" would delete its Profile together with namespace "${name}" and all its data. ` +
                  "To delete it, rerun with --delete-profile.",
              );
            }
            const revoked = granted.length > 0 ? ` and revoked the grants of ${grantedUsers(granted)}` : "";
            return { text, summary: `removed deploy namespace ${name}${revoked}` };
          },
          allowProfileDeletion: () => (options.deleteProfile ? [name] : []),
        }),
    );

  withListFormatOption(withRepoOptions(namespace.command("list")))
    .description("List the deploy namespaces with their quotas and who has access.")
    .option("--deployment <name>", "list one deployment only")
    .action(
      (options: {
        repo?: string;
        varsDir?: string;
        outputDir?: string;
        deployment?: string;
        format: "table" | "json";
      }) => listNamespaces(context, options),
    );
}

/**
 * Rejects a new deploy namespace named like a user's private profile. The vars check reports
 * that conflict at the existing username, and requests another username, but here the
 * namespace is the new name, so the error requests another namespace name.
 */
function rejectUsername(target: EditTarget, name: string): void {
  const user = target.deployment.users.find((each) => each.username === name);
  if (user === undefined) return;
  throw new EditError(
    "duplicate-namespace",
    `namespace "${name}" is the private profile of user ${user.email} (username ${name}); ` +
      "a deploy namespace needs a name that no user has, so choose another namespace name.",
  );
}

/**
 * Returns the users granted `namespace` with the index of their entry, in the order of the file.
 * The model sorts users by username, so the order comes from the entry indexes of the load,
 * or from a parse of the file when the load has none.
 */
/**
 * Rejects the removal of a declared namespace that users are granted and that has a Profile in the
 * output, when neither `--revoke-grants` nor `--delete-profile` is given, with one message that
 * names both flags. Otherwise each check of the edit names the flag it misses.
 */
async function rejectRemovalNeedingBothFlags(
  target: EditTarget,
  name: string,
  granted: readonly { email: string }[],
  options: { revokeGrants?: boolean; deleteProfile?: boolean },
): Promise<void> {
  if (options.revokeGrants || options.deleteProfile || granted.length === 0) return;
  if (!target.deployment.deployNamespaces.some((namespace) => namespace.name === name)) return;
  if (!(await profileInOutput(target, name))) return;
  throw new EditError(
    "namespace-in-use",
    `namespace "${name}" is still granted to ${grantedUsers(granted)}, and removing it ` +
      `would delete its Profile together with namespace "${name}" and all its data. ` +
      "To revoke those grants and delete it, rerun with --revoke-grants --delete-profile.",
  );
}

/** Returns the emails of `granted` for a message. A team namespace can have hundreds of users, so it names ten and counts the rest. */
function grantedUsers(granted: readonly { email: string }[]): string {
  const named = granted
    .slice(0, 10)
    .map(({ email }) => email)
    .join(", ");
  return granted.length > 10 ? `${named} and ${granted.length - 10} more users` : named;
}

function grantedInFileOrder(target: EditTarget, namespace: string): { email: string; index: number }[] {
  const granted = target.deployment.users
    .filter((user) => user.allowedNamespaces.some((grant) => grant.namespace === namespace))
    .map((user) => ({ email: user.email, index: entryIndexOf(target, user) }));
  if (granted.every(({ index }) => index >= 0)) return granted.sort((a, b) => a.index - b.index);
  return usersGrantedNamespace(target.text, namespace).map((email) => ({ email, index: -1 }));
}
