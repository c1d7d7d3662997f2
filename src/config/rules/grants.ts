import { DNS1123_LABEL } from "../../model/names.js";
import type { Diagnostic } from "../diagnostics.js";
import { type FieldPath, formatPath } from "../field-path.js";
import { nearest } from "../suggest.js";
import { grantNamePath, type Rule, type RuleContext, type VarsView } from "./context.js";

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

    // Without a list of declared namespaces, every grant would get its own unknown-namespace
    // error that repeats one cause. A misspelled key has its unknown-key error and a value that
    // is not a list has its wrong-type error, while a missing key gets one error here. The
    // grants are checked once the key has a list.
    if (view.namespacesKeyState !== "present") {
      return view.namespacesKeyState === "missing" ? missingNamespacesKey(source, view) : [];
    }

    const bothKeys =
      source.mappingHasKey(["users"], "deployments") && view.namespacesKey === "deploy_namespaces";
    // A declared namespace that no grant names, near a name that grants use, is more likely
    // the misspelled one: the fix then goes in the declaration, not in every grant.
    const granted = new Map<string, number>();
    for (const entry of view.users) {
      for (const grant of entry.value.allowedNamespaces) {
        if (grant !== undefined) granted.set(grant.namespace, (granted.get(grant.namespace) ?? 0) + 1);
      }
    }
    for (const entry of view.users) {
      const firstByNamespace = new Map<string, FieldPath>();
      entry.value.allowedNamespaces.forEach((grant, index) => {
        if (grant === undefined) return;
        const { namespace } = grant;
        const path = grantNamePath(entry, index, grant);

        if (!view.declaredNamespaceNames.has(namespace)) {
          // `name:view` is the access syntax of `cake user import` and `--namespace`, not of the vars file.
          const withAccess = /^(.+):(view|edit)$/i.exec(namespace);
          // A declared name that is not a valid label has its own error, so it is no fix.
          const named = withAccess?.[1];
          const target =
            named !== undefined && view.declaredNamespaceNames.has(named)
              ? named
              : nearest(named ?? namespace, validDeclared);
          let fix = `declare it in users.${view.namespacesKey} or remove the grant`;
          if (bothKeys) {
            // The conflicting-keys error names the cause: the older key's entries are not read.
            fix =
              "users.deployments is not read while users.deploy_namespaces is set; " +
              "move its entries into users.deploy_namespaces";
          } else if (withAccess !== null && target !== undefined) {
            fix =
              withAccess[2]?.toLowerCase() === "view"
                ? `write {name: ${target}, access: view}`
                : `write ${target} (a plain name grants edit access)`;
          } else if (target !== undefined && !granted.has(target)) {
            const uses = granted.get(namespace) ?? 1;
            fix =
              `did you mean "${target}"? No grant names "${target}" and ${uses === 1 ? "this grant names" : `${uses} grants name`} ` +
              `"${namespace}", so the declaration may be the misspelled one: then rename "${target}" in ` +
              `users.${view.namespacesKey} instead`;
          } else if (target !== undefined) {
            fix = `did you mean "${target}"?`;
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

/** Maximum number of granted namespaces that the missing-key message names. */
const MAX_NAMED_GRANTS = 10;

/**
 * Returns one error for grants in a file without `users.deploy_namespaces`, naming the granted
 * namespaces, or none when no user has a grant.
 */
function missingNamespacesKey(source: RuleContext["source"], view: VarsView): Diagnostic[] {
  const granted = new Set<string>();
  let grants = 0;
  for (const entry of view.users) {
    for (const grant of entry.value.allowedNamespaces) {
      if (grant === undefined) continue;
      granted.add(grant.namespace);
      grants += 1;
    }
  }
  if (grants === 0) return [];

  const names = [...granted].sort();
  const rest = names.length > MAX_NAMED_GRANTS ? ` and ${names.length - MAX_NAMED_GRANTS} more` : "";
  const namedList = `${names.slice(0, MAX_NAMED_GRANTS).join(", ")}${rest}`;
  const grantCount = grants === 1 ? "1 grant names" : `${grants} grants name`;
  const namespaceCount =
    names.length === 1 ? "1 undeclared namespace" : `${names.length} undeclared namespaces`;
  const message =
    `required key "deploy_namespaces" is missing in users, and ${grantCount} ${namespaceCount} ` +
    `(${namedList}); add deploy_namespaces listing the namespaces to share, or remove the grants`;
  // The key belongs under `users:`, which the caret marks, and not at the first key inside it.
  const position = source.positionOf(["users"], { key: true });
  return [source.diagnostic("error", "missing-key", ["users", "deploy_namespaces"], message, { position })];
}
