/**
 * Edits of `users.deploy_namespaces` (or its older spelling `users.deployments`):
 * add a deploy namespace with an optional resource quota, and remove one.
 */
import { isMap, isSeq, type Node, type Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { addPair, appendToSequence, removeFromSequence } from "./collections.js";
import { findPair, namespaceName, scalarValue, VarsDocument } from "./document.js";
import { EditError } from "./errors.js";
import { stringScalar } from "./style.js";
import { OverlappingSplices, type Splice } from "./text.js";
import { editText, type FileStyle, requireNamespace } from "./users.js";

type AnyPair = Pair<Node, Node | null>;

export interface NewDeployNamespace {
  name: string;
  /** ResourceQuota `hard` entries, as given (the loader validates keys and quantities). */
  resourceQuota: Record<string, string>;
}

/** Appends a deploy namespace: a plain name, or a mapping when it has a quota. */
export function addDeployNamespace(text: string, namespace: NewDeployNamespace): string {
  return editText(text, addDeployNamespaceStep(namespace));
}

/** Returns the edit step of `addDeployNamespace`, for `editText` or a window (see `window.ts`). */
export function addDeployNamespaceStep(
  namespace: NewDeployNamespace,
): (vars: VarsDocument, style: FileStyle) => Splice[] {
  return (vars, style) => {
    const entries = vars.deployNamespaceEntries();
    if (entries.some((entry) => entry.name === namespace.name)) {
      throw new EditError("duplicate-namespace", `deploy namespace "${namespace.name}" already exists.`);
    }

    const node = deployNamespaceNode(vars, namespace);
    const pair = vars.deployNamespacesPair();
    if (pair) return appendToSequence(vars, pair, node, style);

    const users = vars.usersMap();
    if (!users || users.items.length === 0) {
      throw new EditError(
        "unsupported-layout",
        "the vars file has no users section; add `users:` with `deploy_namespaces: []` under it first.",
      );
    }
    const list = new YAMLSeq<Node>();
    list.items = [node];
    list.flow = !isMap(node);
    return [addPair(vars, users, "deploy_namespaces", list, style)];
  };
}

function deployNamespaceNode(vars: VarsDocument, namespace: NewDeployNamespace): Node {
  const keys = Object.keys(namespace.resourceQuota);
  if (keys.length === 0) return stringScalar(namespace.name);

  const quota = new YAMLMap();
  quota.flow = quotaIsFlow(vars);
  for (const key of keys) {
    quota.add({ key: stringScalar(key), value: stringScalar(namespace.resourceQuota[key] ?? "") });
  }
  const entry = new YAMLMap();
  entry.add({ key: new Scalar("name"), value: stringScalar(namespace.name) });
  entry.add({ key: new Scalar("resource_quota"), value: quota });
  return entry;
}

/** True when the existing `resource_quota` mappings are mostly written in flow style. */
function quotaIsFlow(vars: VarsDocument): boolean {
  let flow = 0;
  let block = 0;
  for (const { entry } of vars.deployNamespaceEntries()) {
    if (!isMap(entry)) continue;
    const quota = entry.get("resource_quota", true);
    if (!isMap(quota)) continue;
    if (quota.flow) flow++;
    else block++;
  }
  return flow > block;
}

/** Lists the emails of the users that have a grant on `namespace`, as written in the file. */
export function usersGrantedNamespace(text: string, namespace: string): string[] {
  return grantedIn(new VarsDocument(text), namespace);
}

/** Lists the emails of the users of `vars` that have a grant on `namespace`, in file order. */
function grantedIn(vars: VarsDocument, namespace: string): string[] {
  const emails: string[] = [];
  for (const { entry } of vars.userEntries()) {
    const list = entry.get("allowed_namespaces", true);
    if (!isSeq(list)) continue;
    const granted = (list.items as Node[]).some((item) => namespaceName(item) === namespace);
    if (granted) emails.push(scalarValue(entry.get("email", true)) ?? "");
  }
  return emails;
}

/**
 * Removes a deploy namespace. While users have grants on it this is an error, unless
 * `revokeGrants` is set; then each of those grants is removed first.
 */
export function removeDeployNamespace(
  text: string,
  name: string,
  options: { revokeGrants?: boolean } = {},
): string {
  // Each grant lies in its own user entry, so one parse gives every splice, and a namespace
  // with hundreds of grants costs one parse of the whole file instead of one per grant.
  try {
    return editText(text, removeDeployNamespaceStep(name, options));
  } catch (error) {
    if (!(error instanceof OverlappingSplices)) throw error;
  }
  // Splices that touch each other, which separate user entries should not give, are applied one at a time.
  let result = text;
  for (const email of usersGrantedNamespace(text, name)) {
    result = editText(result, (vars) => revokeGrant(vars, email, name));
  }
  return editText(result, (vars) => removeDeclaration(vars, name));
}

/**
 * Returns the edit step of `removeDeployNamespace`, for `editText` or a window that contains the
 * entries of every user granted the namespace (see `window.ts`).
 */
export function removeDeployNamespaceStep(
  name: string,
  options: { revokeGrants?: boolean } = {},
): (vars: VarsDocument) => Splice[] {
  return (vars) => {
    requireNamespace(vars, name, "remove");
    const granted = grantedIn(vars, name);
    if (granted.length > 0 && !options.revokeGrants) {
      throw new EditError(
        "namespace-in-use",
        `namespace "${name}" is still granted to ${granted.join(", ")}; revoke those grants first, or rerun with --revoke-grants.`,
      );
    }
    return [...granted.flatMap((email) => revokeGrant(vars, email, name)), ...removeDeclaration(vars, name)];
  };
}

function revokeGrant(vars: VarsDocument, email: string, name: string): Splice[] {
  const entry = vars.userByEmail(email) as YAMLMap;
  const pair = findPair(entry, "allowed_namespaces") as AnyPair;
  const item = ((pair.value as YAMLSeq<Node>).items as Node[]).find(
    (each) => namespaceName(each) === name,
  ) as Node;
  return removeFromSequence(vars, pair, item);
}

function removeDeclaration(vars: VarsDocument, name: string): Splice[] {
  const pair = vars.deployNamespacesPair() as AnyPair;
  const entry = vars.deployNamespaceEntries().find((each) => each.name === name);
  return removeFromSequence(vars, pair, entry?.entry as Node);
}
