import { DNS1123_LABEL } from "../../model/names.js";
import type { Diagnostic } from "../diagnostics.js";
import { type FieldPath, formatPath } from "../field-path.js";
import { nearest } from "../suggest.js";
import { grantNamePath, type Rule } from "./context.js";

/** Each role appears once in a user's `roles`. */
export const rolesRule: Rule = {
  name: "roles",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    for (const entry of view.users) {
      const seen = new Set<string>();
      entry.value.roles.forEach((role, index) => {
        if (role === undefined) return;
        if (seen.has(role)) {
          diagnostics.push(
            source.diagnostic(
              "error",
              "duplicate-role",
              [...entry.path, "roles", index],
              `"${role}" is listed twice; remove one`,
            ),
          );
        }
        seen.add(role);
      });
    }
    return diagnostics;
  },
};

/** Each entry of `allowed_namespaces` names a declared deploy namespace, once. */
export const grantsRule: Rule = {
  name: "allowed-namespaces",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    const declared = [...view.declaredNamespaceNames].sort();
    const validDeclared = declared.filter((name) => DNS1123_LABEL.test(name));

    for (const entry of view.users) {
      const firstByNamespace = new Map<string, FieldPath>();
      entry.value.allowedNamespaces.forEach((grant, index) => {
        if (grant === undefined) return;
        const { namespace } = grant;
        const path = grantNamePath(entry, index, grant);

        if (!view.declaredNamespaceNames.has(namespace)) {
          // `name:view` is the access syntax of `cake user import` and `--namespace`, not of the vars file.
          const withAccess = /^(.+):(view|edit)$/.exec(namespace);
          const named = withAccess?.[1];
          // A declared name that is not a valid label has its own error, so it is no fix.
          const suggestion = nearest(namespace, validDeclared);
          let fix = `declare it in users.${view.namespacesKey} or remove the grant`;
          if (named !== undefined && view.declaredNamespaceNames.has(named)) {
            fix =
              withAccess?.[2] === "view"
                ? `write {name: ${named}, access: view}`
                : `write ${named} (a plain name grants edit access)`;
          } else if (suggestion) {
            fix = `did you mean "${suggestion}"?`;
          }
          const known = declared.length > 0 ? ` (declared: ${declared.join(", ")})` : "";
          diagnostics.push(
            source.diagnostic(
              "error",
              "unknown-namespace",
              path,
              `"${namespace}" is not a deploy namespace${known}; ${fix}`,
            ),
          );
        }

        const first = firstByNamespace.get(namespace);
        if (first) {
          diagnostics.push(
            source.diagnostic(
              "error",
              "duplicate-grant",
              path,
              `"${namespace}" is already granted at ${formatPath(first)}; keep one entry with the access you mean`,
            ),
          );
        } else {
          firstByNamespace.set(namespace, path);
        }
      });
    }
    return diagnostics;
  },
};
