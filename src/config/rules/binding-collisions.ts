import { bindingName } from "../../model/names.js";
import type { ContributorRole } from "../../model/types.js";
import type { Diagnostic } from "../diagnostics.js";
import { type DiagnosticSource, formatPath } from "../field-path.js";
import type { Entry, Rule, UserView } from "./context.js";

interface ActiveUser {
  entry: Entry<UserView>;
  email: string;
}

/**
 * Two active users whose contributor objects get the same name in one namespace would
 * overwrite each other (`a.b@example.com` and `a_b@example.com` both give
 * `user-a-b-example-com-clusterrole-edit`). A repeated email, even in another case, is
 * reported by the email rule, so only its first entry is checked here.
 */
export const bindingCollisionRule: Rule = {
  name: "binding-name-collision",
  check({ source, view }) {
    // Names differ only by role, so users can collide only when their names for one role are equal.
    const groups = new Map<string, ActiveUser[]>();
    const seenEmails = new Set<string>();
    for (const entry of view.users) {
      const { email } = entry.value;
      if (entry.value.disabled || email === undefined || seenEmails.has(email.toLowerCase())) continue;
      seenEmails.add(email.toLowerCase());

      const name = bindingName(email, "edit");
      const group = groups.get(name);
      if (group) group.push({ entry, email });
      else groups.set(name, [{ entry, email }]);
    }

    const diagnostics: Diagnostic[] = [];
    for (const group of groups.values()) {
      if (group.length > 1) diagnostics.push(...groupCollisions(group, source));
    }
    return diagnostics;
  },
};

function groupCollisions(group: ActiveUser[], source: DiagnosticSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const firstByKey = new Map<string, ActiveUser>();

  for (const user of group) {
    const path = [...user.entry.path, "email"];
    const reported = new Set<string>();
    for (const [namespace, role] of bindingsOf(user.entry.value)) {
      const name = bindingName(user.email, role);
      const key = `${namespace}/${name}`;
      const first = firstByKey.get(key);
      if (!first) {
        firstByKey.set(key, user);
        continue;
      }
      // A namespace granted twice to one user is a duplicate-grant, not a collision.
      if (first === user || reported.has(key)) continue;
      reported.add(key);

      diagnostics.push(
        source.diagnostic(
          "error",
          "binding-name-collision",
          path,
          `"${user.email}" and ${formatPath([...first.entry.path, "email"])} "${first.email}" both give the contributor ` +
            `name "${name}" in namespace "${namespace}", so one would overwrite the other; Kubeflow derives the name ` +
            "from the email, so grant only one of them there",
        ),
      );
    }
  }
  return diagnostics;
}

/** Returns the (namespace, role) pairs a user gets contributor objects for. */
function bindingsOf(user: UserView): [string, ContributorRole][] {
  const bindings: [string, ContributorRole][] = user.username === undefined ? [] : [[user.username, "admin"]];
  for (const grant of user.allowedNamespaces) {
    if (grant?.access === "edit" || grant?.access === "view") bindings.push([grant.namespace, grant.access]);
  }
  return bindings;
}
