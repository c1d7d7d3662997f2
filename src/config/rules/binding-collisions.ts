import { bindingName } from "../../model/names.js";
import type { ContributorRole } from "../../model/types.js";
import type { Diagnostic } from "../diagnostics.js";
import { type FieldPath, formatPath } from "../source.js";
import type { Rule } from "./context.js";

/**
 * Two active users whose contributor objects get the same name in one namespace would
 * overwrite each other (`a.b@example.com` and `a_b@example.com` both give
 * `user-a-b-example-com-clusterrole-edit`). A repeated email, even in another case, is
 * reported by the email rule, so only its first entry is checked here.
 */
export const bindingCollisionRule: Rule = {
  name: "binding-name-collision",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    const firstByKey = new Map<string, { email: string; path: FieldPath }>();
    const reported = new Set<string>();
    const seenEmails = new Set<string>();

    for (const entry of view.users) {
      const { email, username } = entry.value;
      if (entry.value.disabled || email === undefined || seenEmails.has(email.toLowerCase())) continue;
      seenEmails.add(email.toLowerCase());
      const path = [...entry.path, "email"];
      const bindings: [string, ContributorRole][] = username === undefined ? [] : [[username, "admin"]];
      for (const grant of entry.value.allowedNamespaces) {
        if (grant?.access === "edit" || grant?.access === "view")
          bindings.push([grant.namespace, grant.access]);
      }

      for (const [namespace, role] of bindings) {
        const name = bindingName(email, role);
        const key = `${namespace}/${name}`;
        const first = firstByKey.get(key);
        if (!first) {
          firstByKey.set(key, { email, path });
          continue;
        }
        if (reported.has(`${formatPath(path)}:${key}`)) continue;
        reported.add(`${formatPath(path)}:${key}`);
        diagnostics.push(
          source.diagnostic(
            "error",
            "binding-name-collision",
            path,
            `"${email}" and ${formatPath(first.path)} "${first.email}" both give the contributor name "${name}" in namespace ` +
              `"${namespace}", so one would overwrite the other; Kubeflow derives the name from the email, so grant only one of them there`,
          ),
        );
      }
    }
    return diagnostics;
  },
};
