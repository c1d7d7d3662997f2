/**
 * Edits of `users.users`: add, disable, enable and remove a user, grant and revoke
 * a deploy namespace, set roles. Each takes the vars text and returns the new text
 * (the same string when the change is already in place); the caller validates it.
 */
import { isMap, isScalar, isSeq, type Node, type Pair, Scalar, visit, YAMLMap, YAMLSeq } from "yaml";
import { nearest } from "../config/suggest.js";
import type { NamespaceAccess } from "../model/types.js";
import {
  addPair,
  appendToSequence,
  assertNotShared,
  removeFromSequence,
  removePair,
  replaceBlockItemWithMap,
  replaceFlowNode,
  replaceScalar,
} from "./collections.js";
import { findPair, scalarValue, VarsDocument } from "./document.js";
import { EditError } from "./errors.js";
import { type DocumentStyle, detectStyle, stringScalar } from "./style.js";
import { applySplices, type Splice } from "./text.js";

export interface NamespaceGrantInput {
  namespace: string;
  access: NamespaceAccess;
}

export interface NewUser {
  email: string;
  username: string;
  roles: string[];
  grants: NamespaceGrantInput[];
  disabled?: boolean;
}

/** Names a user by exact email or by username. */
export type UserRef = { email: string; username?: undefined } | { username: string; email?: undefined };

type AnyPair = Pair<Node, Node | null>;

const USER_KEY_ORDER = ["email", "username", "roles", "disabled", "allowed_namespaces"];

/** Runs one edit step over a freshly parsed document and applies its splices. */
export function editText(text: string, step: (vars: VarsDocument, style: DocumentStyle) => Splice[]): string {
  const vars = new VarsDocument(text);
  const splices = step(vars, detectStyle(vars));
  return splices.length === 0 ? text : applySplices(text, splices);
}

/** Appends a user entry in the style of the entry before it. */
export function addUser(text: string, user: NewUser): string {
  return editText(text, (vars, style) => {
    checkNewUser(vars, user);
    const entries = vars.userEntries();
    const neighbour = entries[entries.length - 1]?.entry;
    const entry = buildUserEntry(vars, user, neighbour);

    const listPair = vars.userListPair();
    if (listPair) return appendToSequence(vars, listPair, entry, style);

    const users = vars.usersMap();
    const list = blockSeq([entry]);
    if (users && users.items.length > 0) return [addPair(vars, users, "users", list, style)];
    throw new EditError(
      "unsupported-layout",
      "the vars file has no users section to add the user to; add `users:` with `users: []` under it first.",
    );
  });
}

function checkNewUser(vars: VarsDocument, user: NewUser): void {
  const [first] = newUserProblems(vars, user);
  if (first !== undefined) throw first;
}

/**
 * Returns every reason the user cannot be added, in the order email, username, namespaces:
 * an email that exists (exactly or ignoring case), a username in use, namespaces that are
 * not declared. Callers that report all problems at once use it; `addUser` throws the first.
 */
export function newUserProblems(vars: VarsDocument, user: NewUser): EditError[] {
  const problems: EditError[] = [];
  for (const { entry } of vars.userEntries()) {
    const email = scalarValue(entry.get("email", true));
    if (email === user.email) {
      problems.push(
        new EditError(
          "duplicate-email",
          `a user with email "${user.email}" already exists; change their access with "cake user grant" or "cake user revoke".`,
        ),
      );
    } else if (email !== undefined && email.toLowerCase() === user.email.toLowerCase()) {
      problems.push(
        new EditError(
          "duplicate-email",
          `email "${user.email}" differs only in case from the existing user "${email}"; ` +
            "the identity provider sends one of them, so keep one entry with the exact email it sends.",
        ),
      );
    }
  }
  for (const { entry } of vars.userEntries()) {
    const email = scalarValue(entry.get("email", true));
    if (scalarValue(entry.get("username", true)) === user.username) {
      problems.push(
        new EditError(
          "duplicate-username",
          `username "${user.username}" is already used by ${email ?? "another user"}; choose another with --username.`,
        ),
      );
    }
  }
  for (const grant of user.grants) {
    try {
      requireNamespace(vars, grant.namespace);
    } catch (error) {
      if (!(error instanceof EditError)) throw error;
      problems.push(error);
    }
  }
  return problems;
}

function buildUserEntry(vars: VarsDocument, user: NewUser, neighbour: YAMLMap | undefined): YAMLMap {
  const neighbourKeys = (neighbour?.items ?? []).map((pair) => scalarValue(pair.key) ?? "");
  const order = [
    ...neighbourKeys.filter((key) => USER_KEY_ORDER.includes(key)),
    ...USER_KEY_ORDER.filter((key) => !neighbourKeys.includes(key)),
  ];

  const values: Record<string, Node | undefined> = {
    email: stringScalar(user.email, scalarType(neighbour?.get("email", true))),
    username: stringScalar(user.username, scalarType(neighbour?.get("username", true))),
    roles: flowOrBlockSeq(
      user.roles.map((role) => stringScalar(role)),
      listIsFlow(vars, "roles"),
    ),
    disabled: user.disabled ? new Scalar(true) : undefined,
    allowed_namespaces:
      user.grants.length > 0 || neighbourKeys.includes("allowed_namespaces")
        ? flowOrBlockSeq(
            user.grants.map((grant) => grantNode(vars, grant)),
            user.grants.length === 0 || listIsFlow(vars, "allowed_namespaces"),
          )
        : undefined,
  };

  const entry = new YAMLMap();
  entry.flow = neighbour?.flow ?? false;
  for (const key of order) {
    const value = values[key];
    if (value !== undefined) entry.add({ key: new Scalar(key), value });
  }
  return entry;
}

function scalarType(node: unknown): Scalar.Type | undefined {
  return isScalar(node) ? node.type : undefined;
}

function blockSeq(items: Node[]): YAMLSeq<Node> {
  return flowOrBlockSeq(items, false);
}

function flowOrBlockSeq(items: Node[], flow: boolean): YAMLSeq<Node> {
  const seq = new YAMLSeq<Node>();
  seq.items = items;
  seq.flow = flow;
  return seq;
}

/** True when most non-empty `key` lists of users are flow lists (or when there are none). */
function listIsFlow(vars: VarsDocument, key: string): boolean {
  let flow = 0;
  let block = 0;
  for (const { entry } of vars.userEntries()) {
    const list = entry.get(key, true);
    if (!isSeq(list) || list.items.length === 0) continue;
    if (list.flow) flow++;
    else block++;
  }
  return flow >= block;
}

/** True when mapping entries of block `allowed_namespaces` lists are written in flow style. */
function grantMapsAreFlow(vars: VarsDocument): boolean {
  let flow = 0;
  let block = 0;
  for (const { entry } of vars.userEntries()) {
    const list = entry.get("allowed_namespaces", true);
    if (!isSeq(list) || list.flow) continue;
    for (const item of list.items) {
      if (!isMap(item)) continue;
      if (item.flow) flow++;
      else block++;
    }
  }
  return flow > block;
}

/** Returns a grant as the vars format writes it: a plain name for edit, `{name, access}` for view. */
function grantNode(vars: VarsDocument, grant: NamespaceGrantInput): Node {
  if (grant.access === "edit") return stringScalar(grant.namespace);
  return grantMap(vars, grant);
}

function grantMap(vars: VarsDocument, grant: NamespaceGrantInput): YAMLMap {
  const map = new YAMLMap();
  map.flow = grantMapsAreFlow(vars);
  map.add({ key: new Scalar("name"), value: stringScalar(grant.namespace) });
  map.add({ key: new Scalar("access"), value: new Scalar(grant.access) });
  return map;
}

/** Finds the entry of a user, with a hint when the email matches only ignoring case. */
export function requireUser(vars: VarsDocument, ref: UserRef): YAMLMap {
  const key = ref.email !== undefined ? "email" : "username";
  const wanted = ref.email ?? ref.username;
  const entries = vars.userEntries().map(({ entry }) => entry);
  const found = entries.find((entry) => scalarValue(entry.get(key, true)) === wanted);
  if (found) return found;

  const caseOnly = entries
    .map((entry) => scalarValue(entry.get(key, true)))
    .find((value) => value !== undefined && value.toLowerCase() === wanted.toLowerCase());
  const hint = caseOnly
    ? ` The file has "${caseOnly}", which differs only in case; emails are compared exactly.`
    : " Run `cake user list` to see the users.";
  throw new EditError("unknown-user", `no user with ${key} "${wanted}".${hint}`);
}

/** Throws an EditError unless `namespace` is a declared deploy namespace. */
export function requireNamespace(vars: VarsDocument, namespace: string): void {
  const names = vars.deployNamespaceEntries().map((entry) => entry.name);
  if (names.includes(namespace)) return;
  const known =
    names.length > 0
      ? `declared deploy namespaces: ${names.join(", ")}`
      : "no deploy namespaces are declared";
  const suggestion = nearest(namespace, names);
  const fix =
    suggestion === undefined
      ? "add it with `cake namespace add` first."
      : `did you mean "${suggestion}"? To grant a new deploy namespace, add it with \`cake namespace add\` first.`;
  throw new EditError(
    "unknown-namespace",
    `namespace "${namespace}" is not a deploy namespace of this deployment (${known}); ${fix}`,
  );
}

/** Sets `disabled: true`, or removes the `disabled` key to enable the user again. */
export function setUserDisabled(text: string, ref: UserRef, disabled: boolean): string {
  return editText(text, (vars, style) => {
    const entry = requireUser(vars, ref);
    const pair = findPair(entry, "disabled");
    const current = isScalar(pair?.value) && pair.value.value === true;
    if (current === disabled) return [];

    if (!disabled) return pair ? [removePair(vars, entry, pair)] : [];
    if (pair && isScalar(pair.value) && pair.value.range) {
      const [start, end] = pair.value.range;
      return [{ start, end, text: "true" }];
    }
    return [addPair(vars, entry, "disabled", new Scalar(true), style)];
  });
}

/** Removes the user's entry. Comment lines above it stay, because they may head a group of users. */
export function removeUser(text: string, ref: UserRef): string {
  return editText(text, (vars) => {
    const entry = requireUser(vars, ref);
    assertNoAnchorUsedElsewhere(vars, entry, ref);
    const listPair = vars.userListPair() as AnyPair;
    return removeFromSequence(vars, listPair, entry);
  });
}

/**
 * Rejects removing an entry that defines an anchor (`&roles`) that an alias (`*roles`) elsewhere
 * uses: the rest of the file would stop parsing.
 */
function assertNoAnchorUsedElsewhere(vars: VarsDocument, entry: YAMLMap, ref: UserRef): void {
  const anchors = new Set<string>();
  visit(entry, {
    Node(_key, node) {
      if ("anchor" in node && typeof node.anchor === "string") anchors.add(node.anchor);
    },
  });
  if (anchors.size === 0) return;
  const used = new Set<string>();
  visit(vars.document, {
    Alias(_key, node) {
      if (anchors.has(node.source)) used.add(node.source);
    },
  });
  if (used.size === 0) return;
  const names = [...used].map((name) => `&${name}`).join(", ");
  throw new EditError(
    "unsupported-layout",
    `the entry of ${ref.email ?? ref.username} defines ${names}, which other entries use through ` +
      "an alias; write those values out by hand first, then remove the user.",
  );
}

function grantEntries(entry: YAMLMap): { pair: AnyPair | undefined; items: { item: Node; name: string }[] } {
  const pair = findPair(entry, "allowed_namespaces");
  const list = pair?.value;
  assertNotShared("allowed_namespaces", list);
  if (!isSeq(list)) return { pair, items: [] };
  const items: { item: Node; name: string }[] = [];
  for (const item of list.items as Node[]) {
    const name = isMap(item) ? scalarValue(item.get("name", true)) : scalarValue(item);
    if (name !== undefined) items.push({ item, name });
  }
  return { pair, items };
}

/** Grants a deploy namespace, or changes the access of an existing grant. */
export function grantNamespace(text: string, ref: UserRef, grant: NamespaceGrantInput): string {
  return editText(text, (vars, style) => {
    const entry = requireUser(vars, ref);
    requireNamespace(vars, grant.namespace);
    const { pair, items } = grantEntries(entry);
    const existing = items.find((each) => each.name === grant.namespace);

    if (!pair) {
      const list = flowOrBlockSeq([grantNode(vars, grant)], listIsFlow(vars, "allowed_namespaces"));
      return [addPair(vars, entry, "allowed_namespaces", list, style)];
    }
    if (!existing) return appendToSequence(vars, pair, grantNode(vars, grant), style);
    return changeAccess(vars, pair, existing.item, grant, style);
  });
}

function changeAccess(
  vars: VarsDocument,
  pair: AnyPair,
  item: Node,
  grant: NamespaceGrantInput,
  style: DocumentStyle,
): Splice[] {
  assertNotShared("allowed_namespaces", pair.value);
  assertNotShared(grant.namespace, item);
  if (isMap(item)) {
    const accessPair = findPair(item, "access");
    const current = scalarValue(accessPair?.value) ?? "edit";
    if (current === grant.access) return [];
    if (accessPair && isScalar(accessPair.value))
      return [replaceScalar(accessPair.value, grant.access, style)];
    return [addPair(vars, item, "access", new Scalar(grant.access), style)];
  }

  if (grant.access === "edit") return [];
  const list = pair.value as YAMLSeq;
  const map = grantMap(vars, grant);
  if (list.flow || map.flow) return [replaceFlowNode(item, map, style)];
  return [replaceBlockItemWithMap(vars, item, map, style)];
}

/** Removes the grant of a deploy namespace; an error when the user has none. */
export function revokeNamespace(text: string, ref: UserRef, namespace: string): string {
  return editText(text, (vars) => {
    const entry = requireUser(vars, ref);
    const { pair, items } = grantEntries(entry);
    const existing = items.find((each) => each.name === namespace);
    if (!pair || !existing) {
      const who = scalarValue(entry.get("email", true)) ?? "the user";
      throw new EditError(
        "not-granted",
        `${who} has no grant on namespace "${namespace}"; nothing to revoke.`,
      );
    }
    return removeFromSequence(vars, pair, existing.item);
  });
}

/** Sets the user's roles, keeping roles already listed where they are. */
export function setRoles(text: string, ref: UserRef, roles: string[]): string {
  let result = text;
  const current = (): string[] => {
    const vars = new VarsDocument(result);
    const list = requireUser(vars, ref).get("roles", true);
    return isSeq(list) ? list.items.map((item) => scalarValue(item) ?? "") : [];
  };

  // Add first, so a block list never passes through empty (which would leave `[]`).
  for (const role of roles) {
    if (current().includes(role)) continue;
    result = editText(result, (vars, style) => {
      const entry = requireUser(vars, ref);
      const pair = findPair(entry, "roles");
      if (!pair) return [addPair(vars, entry, "roles", flowOrBlockSeq([stringScalar(role)], true), style)];
      return appendToSequence(vars, pair, stringScalar(role), style);
    });
  }
  for (const role of current()) {
    if (roles.includes(role)) continue;
    result = editText(result, (vars) => {
      const entry = requireUser(vars, ref);
      const pair = findPair(entry, "roles") as AnyPair;
      const item = (pair.value as YAMLSeq<Node>).items.find((each) => scalarValue(each) === role) as Node;
      return removeFromSequence(vars, pair, item);
    });
  }

  return result;
}

/** Returns the namespaces a user is granted, with their access, as written in the file. */
export function grantsOf(text: string, ref: UserRef): NamespaceGrantInput[] {
  const vars = new VarsDocument(text);
  return grantEntries(requireUser(vars, ref)).items.map(({ item, name }) => ({
    namespace: name,
    access: (isMap(item) ? scalarValue(item.get("access", true)) : undefined) === "view" ? "view" : "edit",
  }));
}
