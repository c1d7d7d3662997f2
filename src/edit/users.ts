/**
 * Edits of `users.users`: add, disable, enable and remove a user, grant and revoke
 * a deploy namespace, set roles. Each takes the vars text and returns the new text
 * (the same string when the change is already in place); the caller validates it.
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { textPosition } from "../config/field-path.js";
import { emailLookalikeKey } from "../config/rules/emails.js";
import { nearest } from "../config/suggest.js";
import { nonAsciiCodePoints, sameUnicodeText } from "../model/code-points.js";
import type { NamespaceAccess } from "../model/types.js";
import { shellWord } from "../repo/shell.js";
import { assertAnchorsKept } from "./anchors.js";
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
import {
  findPair,
  keyScalar,
  namespaceName,
  quotedKeyType,
  resolveAlias,
  scalarValue,
  VarsDocument,
} from "./document.js";
import { EditError } from "./errors.js";
import {
  addStyleCounts,
  countStyle,
  type DocumentStyle,
  type StyleCounts,
  stringScalar,
  styleOf,
} from "./style.js";
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

/** The style a new user entry or grant follows: the document's, and the majority of the users'. */
export interface FileStyle extends DocumentStyle {
  /** True when new `roles` and `allowed_namespaces` lists are written in flow style. */
  flowLists: { roles: boolean; allowed_namespaces: boolean };
  /** True when new `{name, access}` grants in block `allowed_namespaces` lists are flow maps. */
  flowGrantMaps: boolean;
}

/**
 * The facts about the whole vars file that an edit of a part of it (see `window.ts`) needs:
 * its style, and the email and username of every user, in file order, for duplicate checks.
 */
export interface WholeFile {
  style: FileStyle;
  users: readonly UserIdentity[];
}

export interface UserIdentity {
  email: string | undefined;
  username: string | undefined;
}

type AnyPair = Pair<Node, Node | null>;

const USER_KEY_ORDER = ["email", "username", "roles", "disabled", "allowed_namespaces"];

/**
 * Runs one edit step over a freshly parsed document and applies its splices. The style is
 * detected from the text unless `style` gives the whole file's, for a text that is a part of it.
 */
export function editText(
  text: string,
  step: (vars: VarsDocument, style: FileStyle) => Splice[],
  style?: FileStyle,
): string {
  const vars = new VarsDocument(text);
  const splices = step(vars, style ?? detectFileStyle(vars));
  assertAnchorsKept(vars, splices);
  return splices.length === 0 ? text : applySplices(text, splices);
}

/** How many nodes show each choice of style (see `StyleCounts`), with the users' lists. */
export interface FileStyleCounts {
  document: StyleCounts;
  /** Non-empty `roles` and `allowed_namespaces` lists of users, flow and block. */
  lists: { roles: Votes; allowed_namespaces: Votes };
  /** Grant mappings in block `allowed_namespaces` lists, flow and block. */
  grantMaps: Votes;
}

interface Votes {
  flow: number;
  block: number;
}

export function detectFileStyle(vars: VarsDocument): FileStyle {
  return fileStyleOf(countFileStyle(vars));
}

export function countFileStyle(vars: VarsDocument): FileStyleCounts {
  return {
    document: countStyle(vars),
    lists: { roles: listVotes(vars, "roles"), allowed_namespaces: listVotes(vars, "allowed_namespaces") },
    grantMaps: grantMapVotes(vars),
  };
}

/**
 * Returns the style new nodes follow. A new list is flow when most non-empty lists of its key
 * are, or when there are none. A new grant map is flow when most grant maps in block lists are.
 */
export function fileStyleOf(counts: FileStyleCounts): FileStyle {
  const { lists, grantMaps } = counts;
  return {
    ...styleOf(counts.document),
    flowLists: {
      roles: lists.roles.flow >= lists.roles.block,
      allowed_namespaces: lists.allowed_namespaces.flow >= lists.allowed_namespaces.block,
    },
    flowGrantMaps: grantMaps.flow > grantMaps.block,
  };
}

/** Returns `total` with `part` added (`sign` 1) or taken away (`sign` -1). */
export function addFileStyleCounts(
  total: FileStyleCounts,
  part: FileStyleCounts,
  sign: 1 | -1,
): FileStyleCounts {
  const add = (a: Votes, b: Votes): Votes => ({
    flow: a.flow + sign * b.flow,
    block: a.block + sign * b.block,
  });
  return {
    document: addStyleCounts(total.document, part.document, sign),
    lists: {
      roles: add(total.lists.roles, part.lists.roles),
      allowed_namespaces: add(total.lists.allowed_namespaces, part.lists.allowed_namespaces),
    },
    grantMaps: add(total.grantMaps, part.grantMaps),
  };
}

/** Returns the email and username of every user entry of the document, in file order. */
export function userIdentities(vars: VarsDocument): UserIdentity[] {
  return vars.userEntries().map(({ entry }) => ({
    email: scalarValue(entry.get("email", true)),
    username: scalarValue(entry.get("username", true)),
  }));
}

/**
 * Appends a user entry in the style of the entry before it. With `whole`, `text` is a part of
 * the file that contains its last entries (see `window.ts`).
 */
export function addUser(text: string, user: NewUser, whole?: WholeFile): string {
  return editText(
    text,
    (vars, style) => {
      checkNewUser(vars, user, whole?.users);
      const entries = vars.userEntries();
      const neighbour = entries[entries.length - 1]?.entry;
      const entry = buildUserEntry(user, neighbour, style);

      const listPair = vars.userListPair();
      if (listPair) return appendToSequence(vars, listPair, entry, style);

      const users = vars.usersMap();
      const list = blockSeq([entry]);
      if (users && users.items.length > 0) return [addPair(vars, users, "users", list, style)];
      throw new EditError(
        "unsupported-layout",
        "the vars file has no users section to add the user to; add `users:` with `users: []` under it first.",
      );
    },
    whole?.style,
  );
}

function checkNewUser(vars: VarsDocument, user: NewUser, users?: readonly UserIdentity[]): void {
  const [first] = newUserProblems(vars, user, users);
  if (first !== undefined) throw first;
}

/**
 * Returns every reason the user cannot be added, in the order email, username, namespaces:
 * an email that exists (exactly, or ignoring case and Unicode form), a username in use,
 * namespaces that are not declared. Callers that report all problems at once use it; `addUser`
 * throws the first.
 */
export function newUserProblems(
  vars: VarsDocument,
  user: NewUser,
  users: readonly UserIdentity[] = userIdentities(vars),
): EditError[] {
  const problems: EditError[] = [];
  for (const { email } of users) {
    if (email === user.email) {
      problems.push(
        new EditError(
          "duplicate-email",
          `a user with email "${user.email}" already exists; change their access with "cake user grant" or "cake user revoke".`,
        ),
      );
    } else if (email !== undefined && emailLookalikeKey(email) === emailLookalikeKey(user.email)) {
      problems.push(emailTwinError(user.email, email));
    }
  }
  for (const { email, username } of users) {
    if (username === user.username) {
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

/**
 * Returns the error for a new user whose `email` differs from an existing user's only in case
 * or Unicode form. `location` (FILE:LINE) is the existing entry's place, when the caller knows it.
 */
export function emailTwinError(email: string, existing: string, location?: string): EditError {
  const where = location === undefined ? "" : ` at ${location}`;
  const difference = emailTwinDifference(email, existing);
  const codePoints =
    difference === "case"
      ? ""
      : ` (${nonAsciiCodePoints(email)} where the existing email has ${nonAsciiCodePoints(existing)})`;
  return new EditError(
    "duplicate-email",
    `email "${email}" differs only in ${difference} from the existing user "${existing}"${where}${codePoints}; ` +
      "the identity provider sends one of them, so keep one entry with the exact email it sends.",
  );
}

/**
 * Returns how two different emails with the same lower-case NFC form differ. A message about a
 * difference in Unicode form lists the code points, because both forms print the same.
 */
export function emailTwinDifference(
  email: string,
  other: string,
): "case" | "Unicode form" | "case and Unicode form" {
  if (email.toLowerCase() === other.toLowerCase()) return "case";
  return email.normalize("NFC") === other.normalize("NFC") ? "Unicode form" : "case and Unicode form";
}

function buildUserEntry(user: NewUser, neighbour: YAMLMap | undefined, style: FileStyle): YAMLMap {
  const neighbourKeys = (neighbour?.items ?? []).map((pair) => scalarValue(pair.key) ?? "");
  const keyType = quotedKeyType(neighbour);
  const order = [
    ...neighbourKeys.filter((key) => USER_KEY_ORDER.includes(key)),
    ...USER_KEY_ORDER.filter((key) => !neighbourKeys.includes(key)),
  ];

  const values: Record<string, Node | undefined> = {
    email: stringScalar(user.email, scalarType(neighbour?.get("email", true))),
    username: stringScalar(user.username, scalarType(neighbour?.get("username", true))),
    roles: flowOrBlockSeq(
      user.roles.map((role) => stringScalar(role)),
      style.flowLists.roles,
    ),
    disabled: user.disabled ? new Scalar(true) : undefined,
    allowed_namespaces:
      user.grants.length > 0 || neighbourKeys.includes("allowed_namespaces")
        ? flowOrBlockSeq(
            user.grants.map((grant) => grantNode(grant, style, keyType)),
            user.grants.length === 0 || style.flowLists.allowed_namespaces,
          )
        : undefined,
  };

  const entry = new YAMLMap();
  entry.flow = neighbour?.flow ?? false;
  for (const key of order) {
    const value = values[key];
    if (value !== undefined) entry.add({ key: keyScalar(key, keyType), value });
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

function listVotes(vars: VarsDocument, key: string): Votes {
  let flow = 0;
  let block = 0;
  for (const { entry } of vars.userEntries()) {
    const list = entry.get(key, true);
    if (!isSeq(list) || list.items.length === 0) continue;
    if (list.flow) flow++;
    else block++;
  }
  return { flow, block };
}

function grantMapVotes(vars: VarsDocument): Votes {
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
  return { flow, block };
}

/** Returns a grant as the vars format writes it: a plain name for edit, `{name, access}` for view. */
/** Creates a grant node. `keyType` quotes the keys of a `{name, access}` map, as the user entry's keys are. */
function grantNode(grant: NamespaceGrantInput, style: FileStyle, keyType?: Scalar.Type): Node {
  if (grant.access === "edit") return stringScalar(grant.namespace);
  return grantMap(grant, style, keyType);
}

function grantMap(grant: NamespaceGrantInput, style: FileStyle, keyType?: Scalar.Type): YAMLMap {
  const map = new YAMLMap();
  map.flow = style.flowGrantMaps;
  map.add({ key: keyScalar("name", keyType), value: stringScalar(grant.namespace) });
  map.add({ key: keyScalar("access", keyType), value: new Scalar(grant.access) });
  return map;
}

/** Returns the 1-based line of the email of the user entry with exactly this email in `text`. */
export function emailLine(text: string, email: string): number | undefined {
  const node = new VarsDocument(text).userByEmail(email)?.get("email", true);
  const offset = isScalar(node) ? node.range?.[0] : undefined;
  return offset === undefined ? undefined : textPosition(text, offset).line;
}

/** Finds the entry of a user, with a hint when the email matches only ignoring case. */
export function requireUser(vars: VarsDocument, ref: UserRef): YAMLMap {
  const key = ref.email !== undefined ? "email" : "username";
  const wanted = ref.email ?? ref.username;
  const entries = vars.userEntries().map(({ entry }) => entry);
  const found = entries.find((entry) => scalarValue(entry.get(key, true)) === wanted);
  if (found) return found;

  const values = entries.map((entry) => scalarValue(entry.get(key, true)));
  const caseOnly = values.find(
    (value) => value !== undefined && value.toLowerCase() === wanted.toLowerCase(),
  );
  // Two Unicode forms of one text look the same on screen, so the hint names their code points.
  const formOnly = values.find((value) => value !== undefined && sameUnicodeText(value, wanted));
  // A skip of `--deployment all` keeps the hint of a near match, which names what to type instead.
  let hint = "";
  if (caseOnly)
    hint = ` The file has "${caseOnly}", which differs only in case; emails are compared exactly.`;
  else if (formOnly) {
    hint =
      ` The file has "${formOnly}", the same text in another Unicode form: ${nonAsciiCodePoints(formOnly)} ` +
      `in the file, ${nonAsciiCodePoints(wanted)} given; emails are compared byte for byte, so give the file's form.`;
  }
  const reason = `no user with ${key} "${wanted}".${hint}`;
  throw new EditError(
    "unknown-user",
    hint === "" ? `${reason} Run \`cake user list\` to see the users.` : reason,
    reason,
  );
}

/** Declared namespaces named in an error before the rest are counted. */
const MAX_NAMED_NAMESPACES = 10;

/** The deployments that the fix of a grant of an unknown namespace names. */
export interface UnknownNamespaceFix {
  /** The deployment that the suggested `cake namespace add` names, when the edit changes one. */
  deployment?: string;
  /** The other deployments of the repo that declare the namespace. */
  declaredIn: readonly string[];
}

/**
 * Throws an EditError unless `namespace` is a declared deploy namespace. `purpose` picks the
 * fix: a grant needs the namespace added first, a removal needs nothing done. With `elsewhere`,
 * the fix of a grant also names the other deployments that declare the namespace, where the
 * grant may have been meant, and the deployment for `cake namespace add`. The caller gives that
 * deployment only when the edit changes one, so that an import into several deployments gets
 * the same message from each and lists the problem once.
 */
export function requireNamespace(
  vars: VarsDocument,
  namespace: string,
  purpose: "grant" | "remove" = "grant",
  elsewhere: UnknownNamespaceFix = { declaredIn: [] },
): void {
  const names = vars.deployNamespaceEntries().map((entry) => entry.name);
  if (names.includes(namespace)) return;
  const named = names.slice(0, MAX_NAMED_NAMESPACES).join(", ");
  const rest = names.length > MAX_NAMED_NAMESPACES ? ` and ${names.length - MAX_NAMED_NAMESPACES} more` : "";
  const known =
    names.length > 0 ? `declared deploy namespaces: ${named}${rest}` : "no deploy namespaces are declared";
  const suggestion = nearest(namespace, names);
  const guess = suggestion === undefined ? "" : `did you mean "${suggestion}"? `;
  const add =
    elsewhere.deployment === undefined
      ? "`cake namespace add`"
      : `\`cake namespace add --deployment ${shellWord(elsewhere.deployment)} ${shellWord(namespace)}\``;
  const others = elsewhere.declaredIn;
  const rerun =
    others.length === 1 ? `--deployment ${shellWord(others[0] as string)}` : "--deployment and one of them";
  const fix =
    purpose === "remove"
      ? `${guess}there is nothing to remove; check the name with \`cake namespace list\`.`
      : others.length > 0
        ? `it is a deploy namespace of ${others.join(", ")}, so to grant it there, rerun with ${rerun}. ` +
          `To grant it in this deployment, add it with ${add} first.`
        : suggestion === undefined
          ? `add it with ${add} first.`
          : `${guess}To grant a new deploy namespace, add it with ${add} first.`;
  throw new EditError(
    "unknown-namespace",
    `namespace "${namespace}" is not a deploy namespace of this deployment (${known}); ${fix}`,
    `namespace "${namespace}" is not a deploy namespace of this deployment.`,
  );
}

/** Sets `disabled: true`, or removes the `disabled` key to enable the user again. `style`: as for `editText`. */
export function setUserDisabled(text: string, ref: UserRef, disabled: boolean, style?: FileStyle): string {
  return editText(
    text,
    (vars, style) => {
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
    },
    style,
  );
}

/**
 * Removes the user's entry. Comment lines above it stay, because they may head a group of users.
 * `style`: as for `editText`.
 */
export function removeUser(text: string, ref: UserRef, style?: FileStyle): string {
  return editText(
    text,
    (vars) => {
      const entry = requireUser(vars, ref);
      const listPair = vars.userListPair() as AnyPair;
      return removeFromSequence(vars, listPair, entry);
    },
    style,
  );
}

function grantEntries(entry: YAMLMap): { pair: AnyPair | undefined; items: { item: Node; name: string }[] } {
  const pair = findPair(entry, "allowed_namespaces");
  const list = pair?.value;
  assertNotShared("allowed_namespaces", list);
  if (!isSeq(list)) return { pair, items: [] };
  const items: { item: Node; name: string }[] = [];
  for (const item of list.items as Node[]) {
    const name = namespaceName(item);
    if (name !== undefined) items.push({ item, name });
  }
  return { pair, items };
}

/** Grants a deploy namespace, or changes the access of an existing grant. `style`: as for `editText`. */
export function grantNamespace(
  text: string,
  ref: UserRef,
  grant: NamespaceGrantInput,
  style?: FileStyle,
): string {
  return editText(
    text,
    (vars, style) => {
      const entry = requireUser(vars, ref);
      requireNamespace(vars, grant.namespace);
      const { pair, items } = grantEntries(entry);
      const existing = items.find((each) => each.name === grant.namespace);
      const keyType = quotedKeyType(entry);

      if (!pair) {
        const list = flowOrBlockSeq([grantNode(grant, style, keyType)], style.flowLists.allowed_namespaces);
        return [addPair(vars, entry, "allowed_namespaces", list, style)];
      }
      if (!existing) return appendToSequence(vars, pair, grantNode(grant, style, keyType), style);
      return changeAccess(vars, pair, existing.item, grant, style, keyType);
    },
    style,
  );
}

function changeAccess(
  vars: VarsDocument,
  pair: AnyPair,
  item: Node,
  grant: NamespaceGrantInput,
  style: FileStyle,
  keyType: Scalar.Type | undefined,
): Splice[] {
  assertNotShared("allowed_namespaces", pair.value);
  if (isAlias(item)) return replaceAliasGrant(vars, pair, item, grant, style, keyType);
  assertNotShared(grant.namespace, item);
  if (isMap(item)) {
    const accessPair = findPair(item, "access");
    const current = scalarValue(accessPair?.value) ?? "edit";
    if (current === grant.access) return [];
    if (accessPair && isScalar(accessPair.value))
      return [replaceScalar(accessPair.value, grant.access, style)];
    if (accessPair && isAlias(accessPair.value))
      return [replaceFlowNode(accessPair.value, new Scalar(grant.access), style)];
    return [addPair(vars, item, "access", new Scalar(grant.access), style)];
  }

  if (grant.access === "edit") return [];
  const list = pair.value as YAMLSeq;
  const map = grantMap(grant, style, keyType);
  if (list.flow || map.flow) return [replaceFlowNode(item, map, style)];
  return [replaceBlockItemWithMap(vars, item, map, style)];
}

/**
 * Changes the access of a grant written as an alias (`*shared`) by writing the grant out in its
 * place. The anchor and the other aliases of it stay as they are.
 */
function replaceAliasGrant(
  vars: VarsDocument,
  pair: AnyPair,
  item: Node,
  grant: NamespaceGrantInput,
  style: FileStyle,
  keyType: Scalar.Type | undefined,
): Splice[] {
  const target = resolveAlias(item);
  const current = (isMap(target) ? scalarValue(target.get("access", true)) : undefined) ?? "edit";
  if (current === grant.access) return [];
  const list = pair.value as YAMLSeq;
  const node = grantNode(grant, style, keyType);
  if (list.flow || !isMap(node) || node.flow) return [replaceFlowNode(item, node, style)];
  return [replaceBlockItemWithMap(vars, item, node, style)];
}

/** Removes the grant of a deploy namespace; an error when the user has none. `style`: as for `editText`. */
export function revokeNamespace(text: string, ref: UserRef, namespace: string, style?: FileStyle): string {
  return editText(
    text,
    (vars) => {
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
    },
    style,
  );
}

/** Sets the user's roles, keeping roles already listed where they are. `style`: as for `editText`. */
export function setRoles(text: string, ref: UserRef, roles: string[], style?: FileStyle): string {
  let result = text;
  const current = (): string[] => {
    const vars = new VarsDocument(result);
    const list = requireUser(vars, ref).get("roles", true);
    return isSeq(list) ? list.items.map((item) => scalarValue(item) ?? "") : [];
  };

  // Add first, so a block list never passes through empty (which would leave `[]`).
  for (const role of roles) {
    if (current().includes(role)) continue;
    result = editText(
      result,
      (vars, style) => {
        const entry = requireUser(vars, ref);
        const pair = findPair(entry, "roles");
        if (!pair) return [addPair(vars, entry, "roles", flowOrBlockSeq([stringScalar(role)], true), style)];
        return appendToSequence(vars, pair, stringScalar(role), style);
      },
      style,
    );
  }
  for (const role of current()) {
    if (roles.includes(role)) continue;
    result = editText(
      result,
      (vars) => {
        const entry = requireUser(vars, ref);
        const pair = findPair(entry, "roles") as AnyPair;
        const item = (pair.value as YAMLSeq<Node>).items.find((each) => scalarValue(each) === role) as Node;
        return removeFromSequence(vars, pair, item);
      },
      style,
    );
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
