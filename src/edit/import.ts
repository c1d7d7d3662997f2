/**
 * `cake user import`: adds or updates users from a CSV file with the header
 * `email,username,roles,namespaces`. Roles and namespaces are `;`-separated, and a
 * namespace may end in `:view` or `:edit`. An existing user (same email, exactly)
 * gets the row's roles when the row has some. The row's grants are added or changed.
 * Import never revokes a grant or renames a user, and one bad row fails the whole import.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { CommandContext } from "../cli/io.js";
import { type Diagnostic, hasErrors } from "../config/diagnostics.js";
import { loadVarsText, type PreviousLoad } from "../config/load.js";
import { emailLookalikeKey } from "../config/rules/emails.js";
import { CakeError, readFailureReason, UsageError } from "../errors.js";
import { proposeUsername, UsernameIndex } from "../identity/convention.js";
import type { Deployment, NamespaceGrant } from "../model/types.js";
import { shellWord } from "../repo/shell.js";
import { VarsDocument } from "./document.js";
import { EditError } from "./errors.js";
import {
  count,
  type ImportColumn,
  type ImportCsv,
  type ImportProblemCode,
  type ImportRow,
  importRejectionError,
  type RowProblem,
  readImportCsv,
  rowProblem,
  throwProblems,
  withoutFinalPeriod,
} from "./import-rows.js";
import {
  importDeployments,
  otherDeployments,
  type SharedUsername,
  shareUsernames,
} from "./import-usernames.js";
import {
  type EditCommandOptions,
  type EditOutcome,
  type EditTarget,
  type HandoverCheck,
  keptForOthers,
  loadHandoverCheck,
  removedProfilesOf,
  runEdit,
} from "./session.js";
import { scanFileStyle } from "./style-scan.js";
import {
  addFileStyleCounts,
  addUser,
  countFileStyle,
  type FileStyle,
  type FileStyleCounts,
  fileStyleOf,
  grantNamespace,
  newUserProblems,
  requireNamespace,
  setRoles,
  type UserIdentity,
  userIdentities,
  type WholeFile,
} from "./users.js";
import { applyWindowEdit, countedFile, entryWindow } from "./window.js";

export {
  IMPORT_COLUMNS,
  type ImportCsv,
  ImportError,
  type ImportRow,
  type RowProblem,
  readImportCsv,
} from "./import-rows.js";

/** Parses and checks the CSV text; throws an ImportError that lists every row problem. */
export function parseImportCsv(text: string, file: string): ImportRow[] {
  const csv = readImportCsv(text, file);
  throwProblems(csv, csv.problems);
  return csv.rows;
}

/**
 * Applies the rows to a vars text and returns the new text with one plan line per row.
 * Each row is checked against the vars file as the rows before it left it, and its problems
 * are reported with those found in the CSV, so one run names every problem of every row.
 */
export function applyImport(
  target: EditTarget,
  csv: ImportCsv,
  checkHandover: HandoverCheck = () => {},
  removed: Readonly<Record<string, string | null>> = {},
  shared: ReadonlyMap<number, SharedUsername> = new Map(),
  namespaces: RepoNamespaces = { declaredIn: new Map(), oneTarget: true },
): EditOutcome {
  const state: ImportState = {
    target,
    shared,
    namespaces,
    text: target.text,
    taken: { ...target.deployment, users: [...target.deployment.users] },
    usernames: new UsernameIndex(target.deployment),
    checkHandover,
    removed,
    addedOnLine: new Map(),
    leftOutUsernames: new Map(),
    ...(target.load === undefined
      ? {}
      : { lastLoad: target.load, whole: countedFile(target) ?? wholeFile(target.text) }),
  };
  const plan: string[] = [];
  const problems: RowProblem[] = [...csv.problems];
  let added = 0;
  let updated = 0;

  for (const row of csv.rows) {
    const earlier = csv.problems.filter((problem) => problem.line === row.line);
    const found: RowProblem[] = [];
    const report: Report = (field, code, message, varsFile) => {
      const position = field === undefined ? undefined : row.positions[field];
      const problem = rowProblem(row.line, field, position, code, message);
      found.push(varsFile === undefined ? problem : { ...problem, varsFile });
    };
    const result = applyRow(state, row, new Set(earlier.flatMap((problem) => problem.field ?? [])), report);
    problems.push(...found);
    // A row with a problem is left out, so the rows after it are checked without it.
    const pending = state.pendingLoad;
    const counts = state.pendingCounts;
    state.pendingLoad = undefined;
    state.pendingCounts = undefined;
    const agreed = shared.get(row.line);
    const failedElsewhere = agreed !== undefined && "problem" in agreed;
    if (result === undefined || earlier.length > 0 || found.length > 0 || failedElsewhere) {
      leaveOutUsername(state, row);
      continue;
    }

    state.text = result.text;
    if (pending?.text === result.text) state.lastLoad = pending;
    if (state.whole !== undefined && counts !== undefined) {
      state.whole.counts = counts;
      state.whole.style = fileStyleOf(counts);
    }
    if (result.change === "add") {
      added++;
      state.whole?.users.push({ email: row.email, username: result.username });
      state.addedOnLine.set(row.email.toLowerCase(), { email: row.email, line: row.line });
      state.taken.users.push({
        email: row.email,
        username: result.username,
        roles: [],
        disabled: false,
        allowedNamespaces: [],
      });
      state.usernames.add({ email: row.email, username: result.username });
      const reason = agreed !== undefined && "note" in agreed ? `, ${agreed.note}` : "";
      plan.push(
        `line ${row.line}: add ${row.email} (username ${result.username}${reason})${describeRow(row)}`,
      );
    } else {
      if (result.change === "update") updated++;
      // A disabled user gets no contributor objects, so the row changes no access yet.
      const enable = `cake user enable --deployment ${shellWord(state.target.name)} --email ${shellWord(row.email)}`;
      const disabled =
        result.change === "update" &&
        state.target.deployment.users.some((user) => user.email === row.email && user.disabled)
          ? ` (the user is disabled; the change takes effect with "${enable}")`
          : "";
      plan.push(`line ${row.line}: ${result.change} ${row.email}${describeRow(row)}${disabled}`);
    }
  }
  throwProblems(csv, problems);

  const unchanged = csv.rows.length - added - updated;
  const summary =
    `${count(csv.rows.length, "row")} read: ${count(added, "user")} added, ${updated} updated` +
    (unchanged > 0 ? `, ${unchanged} unchanged` : "");
  return { text: state.text, summary, notes: plan };
}

/** The deploy namespaces of the repo's deployments, for the fix of a grant of an unknown one. */
export interface RepoNamespaces {
  /** The deployments that declare each deploy namespace. */
  declaredIn: ReadonlyMap<string, readonly string[]>;
  /** True when the import changes one deployment, which the fix's `cake namespace add` then names. */
  oneTarget: boolean;
}

interface ImportState {
  target: EditTarget;
  /** The usernames chosen for new users across deployments, by row line (see `shareUsernames`). */
  shared: ReadonlyMap<number, SharedUsername>;
  namespaces: RepoNamespaces;
  /** The vars text with every good row before the current one applied. */
  text: string;
  /** The users as the rows so far leave them, so proposed usernames do not collide. */
  taken: Deployment;
  /** The names and username convention of `taken`, kept up to date row by row. */
  usernames: UsernameIndex;
  checkHandover: HandoverCheck;
  /** The users added by earlier rows, by lower-case email, with the row's email and line. */
  addedOnLine: Map<string, { email: string; line: number }>;
  /** The usernames that left-out rows of no existing user give, with the first such row's line. */
  leftOutUsernames: Map<string, number>;
  /** Profiles that left the output, with their last holders: proposed usernames avoid them. */
  removed: Readonly<Record<string, string | null>>;
  /** The load of `text`, which the next row's check starts from. */
  lastLoad?: PreviousLoad;
  /** The load of the current row's text, which becomes `lastLoad` when the row has no problem. */
  pendingLoad?: PreviousLoad;
  /**
   * The style and users of `text`, when rows can edit windows of it (see `editable`). The
   * style's counts are kept up to date, because an edit can tip a majority: an empty flow
   * list that gains an item starts to count as a flow list.
   */
  whole?: WholeFile & { users: UserIdentity[]; counts: FileStyleCounts };
  /** The counts after the current row's edit, which become the whole file's when the row has no problem. */
  pendingCounts?: FileStyleCounts;
}

/**
 * Parses the whole vars text once, for the style and users that edits of its windows need, when
 * the line scan of `countedFile` does not read the file's style.
 */
function wholeFile(text: string): ImportState["whole"] {
  const vars = new VarsDocument(text);
  const counts = countFileStyle(vars);
  return { counts, style: fileStyleOf(counts), users: userIdentities(vars) };
}

/**
 * Returns the text a row's edits and checks work on: a window of the vars text that contains the
 * entries at `indexes` and the last entries (see `window.ts`), when the load of the text
 * gives its entry boundaries. Otherwise, or without `indexes`, the whole text.
 */
function editable(
  state: ImportState,
  indexes: readonly number[] | undefined,
): { text: string; whole?: WholeFile; carry(edited: string): string | undefined } {
  const load = state.lastLoad;
  if (indexes === undefined || state.whole === undefined || load === undefined || load.text !== state.text) {
    return { text: state.text, carry: (edited) => edited };
  }
  const window = entryWindow(state.text, load.snapshot, indexes);
  return {
    text: window.text,
    whole: state.whole,
    carry: (edited) => applyWindowEdit(state.text, window, edited),
  };
}

/** Runs `edit` on a window of the text, or on the whole text when the change leaves the window's entries. */
function editEntries(
  state: ImportState,
  indexes: readonly number[],
  edit: (text: string, whole?: WholeFile) => string,
): string {
  const part = indexes.some((index) => index < 0) ? editable(state, undefined) : editable(state, indexes);
  // An edit refused in the window is refused with the same message in the whole text: the
  // window contains the entries the edit reads, and duplicates are checked against `whole.users`.
  const edited = edit(part.text, part.whole);
  const carried = part.carry(edited);
  if (carried !== undefined && state.whole !== undefined && part.whole !== undefined) {
    // Only the window changed, so its counts before and after give the whole file's.
    const after = countsOf(edited);
    state.pendingCounts =
      edited === part.text || after === undefined
        ? state.whole.counts
        : addFileStyleCounts(addFileStyleCounts(state.whole.counts, styleCounts(part.text), -1), after, 1);
    return carried;
  }
  return carried !== undefined && part.whole === undefined
    ? recount(state, carried)
    : wholeTextEdit(state, edit);
}

function wholeTextEdit(state: ImportState, edit: (text: string) => string): string {
  return recount(state, edit(state.text));
}

/** Counts the style of a text edited whole, for the rows after it. */
function recount(state: ImportState, text: string): string {
  if (state.whole !== undefined) state.pendingCounts = countsOf(text) ?? state.whole.counts;
  return text;
}

/**
 * Returns the style counts of an edited text, or undefined when the edit broke the YAML. The
 * row is then reported by the check of the vars file that follows, and its counts never apply.
 */
function countsOf(text: string): FileStyleCounts | undefined {
  try {
    return styleCounts(text);
  } catch (error) {
    if (error instanceof CakeError) return undefined;
    throw error;
  }
}

/** Returns the style counts of a text, by the line scan where it reads the text. */
function styleCounts(text: string): FileStyleCounts {
  return scanFileStyle(text) ?? countFileStyle(new VarsDocument(text));
}

/** Returns the index of the user's entry in the text, for `editable`; -1 when unknown. */
function entryIndex(state: ImportState, username: string): number {
  return state.lastLoad?.snapshot.itemUsernames.indexOf(username) ?? -1;
}

/** Records a problem of the row; `varsFile` is set for a rule of the vars file that the row breaks. */
type Report = (
  field: ImportColumn | undefined,
  code: ImportProblemCode,
  message: string,
  varsFile?: string,
) => void;

interface RowResult {
  text: string;
  change: "add" | "update" | "unchanged";
  username: string;
}

/**
 * Applies one row to the state's text and returns the result; its problems go to `report`.
 * The checks are independent, so a bad role, an unknown namespace and an invalid email of
 * one row are all reported. Columns in `failed` already have a problem, so checks of the
 * vars file skip them: their values are incomplete, and a second message would repeat the first.
 */
function applyRow(
  state: ImportState,
  row: ImportRow,
  failed: ReadonlySet<ImportColumn>,
  report: Report,
): RowResult | undefined {
  const skipped = new Set(failed);
  const skip: Report = (field, code, message, varsFile) => {
    if (field !== undefined) skipped.add(field);
    report(field, code, message, varsFile);
  };
  const grants = knownGrants(state, row, skip);
  if (skipped.has("email")) {
    if (row.username !== "" && !skipped.has("username")) checkUsernameAlone(state, row, skip);
    return undefined;
  }

  const checked = { ...row, grants };
  const existing = state.target.deployment.users.find((user) => user.email === row.email);
  let result: RowResult | undefined;
  if (existing) {
    if (row.username !== "" && row.username !== existing.username) {
      skip(
        "username",
        "username-change",
        `username "${row.username}" differs from "${existing.username}" of the existing user ${row.email}; ` +
          "import never renames a user (that would delete their profile), so leave the username empty or unchanged",
      );
    }
    result = tryEdit(skip, () => {
      const text = editEntries(state, [entryIndex(state, existing.username)], (part, whole) =>
        updateUser(part, checked, existing.allowedNamespaces, whole?.style),
      );
      return { text, change: text === state.text ? "unchanged" : "update", username: existing.username };
    });
  } else {
    result = addRow(state, checked, skipped, skip);
  }
  if (result === undefined) return undefined;

  checkVars(state, result.text, skipped, skip);
  return result;
}

/**
 * Records the username that a left-out row gives, unless the row's email is an existing user's.
 * A later row without an email that gives the same username is then reported, which
 * `state.taken` cannot do because the left-out row added no user.
 */
function leaveOutUsername(state: ImportState, row: ImportRow): void {
  if (row.username === "" || state.leftOutUsernames.has(row.username)) return;
  if (state.target.deployment.users.some((user) => user.email === row.email)) return;
  state.leftOutUsernames.set(row.username, row.line);
}

/**
 * Checks the username of a row without an email, so its problems come in the same run as the
 * missing email. Whether the row adds or updates a user depends on the email, so a username in
 * use gets both fixes. The other username rules are the vars file's, checked on a copy of the
 * text with the row added under the empty email, whose own problems are left out.
 */
function checkUsernameAlone(state: ImportState, row: ImportRow, skip: Report): void {
  const holder = state.taken.users.find((user) => user.username === row.username);
  if (holder !== undefined) {
    skip(
      "username",
      "duplicate-username",
      `username "${row.username}" is already used by ${holder.email}; write that email to update ` +
        "their access, or choose another username for a new user",
    );
    return;
  }
  const line = state.leftOutUsernames.get(row.username);
  if (line !== undefined) {
    skip(
      "username",
      "duplicate-username",
      `username "${row.username}" is also on line ${line}; each user needs their own username, so ` +
        "choose another, or keep one row when both are the same person",
    );
    return;
  }

  let text: string;
  try {
    text = editEntries(state, [], (part, whole) =>
      addUser(part, { email: "", username: row.username, roles: row.roles, grants: [] }, whole),
    );
  } catch (error) {
    if (error instanceof EditError) return;
    throw error;
  }
  const others = new Set<ImportColumn>(["email", "roles", "namespaces"]);
  checkVars(state, text, others, (field, code, message, varsFile) => {
    if (field === "username") skip(field, code, message, varsFile);
  });
}

/** Returns the row's grants of declared deploy namespaces; each other grant is a problem. */
function knownGrants(state: ImportState, row: ImportRow, skip: Report): ImportRow["grants"] {
  const declared = new Set(state.target.deployment.deployNamespaces.map((namespace) => namespace.name));
  const unknown = row.grants.filter((grant) => !declared.has(grant.namespace));
  if (unknown.length === 0) return row.grants;

  const vars = new VarsDocument(editable(state, []).text);
  for (const grant of unknown) {
    try {
      const { declaredIn, oneTarget } = state.namespaces;
      requireNamespace(vars, grant.namespace, "grant", {
        ...(oneTarget ? { deployment: state.target.name } : {}),
        declaredIn: (declaredIn.get(grant.namespace) ?? []).filter((name) => name !== state.target.name),
      });
    } catch (error) {
      if (!(error instanceof EditError)) throw error;
      skip("namespaces", error.code, withoutFinalPeriod(error.message));
    }
  }
  return row.grants.filter((grant) => declared.has(grant.namespace));
}

/**
 * Adds the row as a new user. When its username is taken, the other columns are still
 * checked with a proposed stand-in username; the row is not applied anyway.
 */
function addRow(
  state: ImportState,
  row: ImportRow,
  skipped: Set<ImportColumn>,
  skip: Report,
): RowResult | undefined {
  if (row.roles.length === 0 && !skipped.has("roles")) {
    skip(
      "roles",
      "missing-value",
      `new user ${row.email} needs at least one role; list cake-user or cake-admin in the roles column`,
    );
  }
  const proposed = proposeUsername(
    row.email,
    state.taken,
    keptForOthers(state.removed, row.email),
    state.usernames,
  ).username;
  // With several deployments, the name they share replaces this deployment's own proposal.
  const agreed = state.shared.get(row.line);
  let username = row.username !== "" ? row.username : proposed;
  if (agreed !== undefined && "username" in agreed) username = agreed.username;
  else if (agreed !== undefined && agreed.reportIn === state.target.name) {
    skip("username", "username-differs", agreed.problem);
  } else if (agreed !== undefined) {
    // Another deployment reports the problem. The row is left out here too, and its username
    // gets no second message.
    skipped.add("username");
  }
  const add = (name: string): RowResult => ({
    text: editEntries(state, [], (part, whole) =>
      addUser(part, { email: row.email, username: name, roles: row.roles, grants: row.grants }, whole),
    ),
    change: "add",
    username: name,
  });
  let result: RowResult | undefined;
  try {
    result = add(username);
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    // addUser stops at the first problem; list them all, which parses the text again.
    const part = editable(state, []);
    const problems = newUserProblems(new VarsDocument(part.text), { ...row, username }, part.whole?.users);
    if (problems.length === 0) {
      skip(undefined, error.code, withoutFinalPeriod(error.message));
      return undefined;
    }
    for (const problem of problems) reportNewUserProblem(state, row, problem, username, skipped, skip);
  }
  if (!skipped.has("email") && !skipped.has("username")) checkNewHolder(state, row.email, username, skip);
  if (result !== undefined || skipped.has("email")) return result;
  return tryEdit(skip, () => add(proposed));
}

/**
 * Reports a new user whose username is a Profile that Argo CD keeps for someone else. Profile
 * names follow from usernames and deploy namespaces alone, so the check needs no valid vars
 * file and runs even when other columns of the row are bad. Updates keep the username and
 * import changes no deploy namespace, so only added users can hand a Profile over.
 */
function checkNewHolder(state: ImportState, email: string, username: string, skip: Report): void {
  // The row's check reports a username that is a deploy namespace as `username-is-namespace`,
  // with its own fix. The handover check would read it as a removed namespace.
  if (state.taken.deployNamespaces.some((namespace) => namespace.name === username)) return;
  const user = { email, username, roles: [], disabled: false, allowedNamespaces: [] };
  try {
    // The check looks at the Profiles whose holder an edit changed. Earlier rows' users passed
    // it, and no other Profile changes here, so it gets the new user alone: with every user,
    // each row of a large import would list every Profile.
    state.checkHandover({ ...state.taken, users: [user], deployNamespaces: [] });
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    skip("username", error.code, withoutFinalPeriod(error.message));
  }
}

function reportNewUserProblem(
  state: ImportState,
  row: ImportRow,
  problem: EditError,
  username: string,
  skipped: ReadonlySet<ImportColumn>,
  skip: Report,
): void {
  // The vars text already contains the users of earlier rows, so the edit calls them existing users.
  const earlier = state.addedOnLine.get(row.email.toLowerCase());
  if (problem.code === "duplicate-email" && earlier !== undefined) {
    skip(
      "email",
      problem.code,
      `email "${row.email}" differs only in case from "${earlier.email}" on line ${earlier.line}; ` +
        "the identity provider sends one of them, so keep one row with the exact email it sends",
    );
    return;
  }
  if (problem.code !== "duplicate-username") {
    const field = problem.code === "unknown-namespace" ? "namespaces" : "email";
    skip(field, problem.code, withoutFinalPeriod(problem.message));
    return;
  }
  // A username with a problem already, such as one the person has in another deployment, gets
  // no second message.
  if (skipped.has("username")) return;
  const holder = state.taken.users.find((user) => user.username === username)?.email;
  // The username of an existing user whose email differs only in case follows from that
  // email, whose duplicate-email problem is the one fix.
  if (
    holder !== undefined &&
    skipped.has("email") &&
    emailLookalikeKey(holder) === emailLookalikeKey(row.email)
  ) {
    return;
  }
  skip(
    "username",
    problem.code,
    `username "${username}" is already used by ${holder ?? "another user"}; ` +
      "choose another in the username column, or leave it empty to get one proposed",
  );
}

/** Runs one edit; an EditError it throws (such as a layout the edit cannot change) is a problem of the row. */
function tryEdit(report: Report, edit: () => RowResult): RowResult | undefined {
  try {
    return edit();
  } catch (error) {
    if (!(error instanceof EditError)) throw error;
    report(undefined, error.code, withoutFinalPeriod(error.message));
    return undefined;
  }
}

/**
 * Sets the row's roles and grants on an existing user. `granted` is the user's grants before the
 * row: no earlier row changed them, because an email may appear on one row only.
 */
function updateUser(
  text: string,
  row: ImportRow,
  granted: readonly NamespaceGrant[],
  style?: FileStyle,
): string {
  const ref = { email: row.email };
  let result = row.roles.length > 0 ? setRoles(text, ref, row.roles, style) : text;
  for (const grant of row.grants) {
    const current = granted.find((each) => each.namespace === grant.namespace);
    if (current?.access === grant.access) continue;
    result = grantNamespace(result, ref, grant, style);
  }
  return result;
}

function describeRow(row: ImportRow): string {
  const parts: string[] = [];
  if (row.roles.length > 0) parts.push(`roles ${row.roles.join(", ")}`);
  if (row.grants.length > 0) {
    parts.push(`grants ${row.grants.map((grant) => `${grant.namespace} (${grant.access})`).join(", ")}`);
  }
  return parts.length > 0 ? `: ${parts.join("; ")}` : "";
}

/** Keys of a user entry in the vars file, by the CSV column that sets them. */
const COLUMN_OF_KEY: Readonly<Record<string, ImportColumn>> = {
  email: "email",
  username: "username",
  roles: "roles",
  allowed_namespaces: "namespaces",
};

/**
 * Validates the text after a row, so an invalid value is reported with the row that brought it.
 * The text before the row was valid, so every error comes from the row. The load after the
 * last good row is kept, so each row re-reads only the users it changed (see
 * `config/incremental.ts`). A full load after every row would cost time in n squared.
 */
function checkVars(
  state: ImportState,
  text: string,
  skipped: ReadonlySet<ImportColumn>,
  report: Report,
): void {
  const { target } = state;
  const result = loadVarsText(text, {
    file: target.file,
    outputPath: target.deployment.outputPath,
    fast: true,
    snapshot: true,
    ...(state.lastLoad === undefined ? {} : { previous: state.lastLoad }),
  });
  if (result.deployment && !hasErrors(result.diagnostics)) {
    state.pendingLoad = result.snapshot === undefined ? undefined : { text, snapshot: result.snapshot };
    return;
  }

  for (const diagnostic of result.diagnostics) {
    if (diagnostic.severity !== "error") continue;
    const field = columnOf(diagnostic);
    if (field !== undefined && skipped.has(field)) continue;
    report(field, diagnostic.code, diagnostic.message, target.shownFile);
  }
}

function columnOf(diagnostic: Diagnostic): ImportColumn | undefined {
  const key = /^users\.users\[\d+\]\.([a-z_]+)/.exec(diagnostic.path)?.[1];
  return key === undefined ? undefined : COLUMN_OF_KEY[key];
}

export async function importUsers(
  context: CommandContext,
  file: string,
  options: EditCommandOptions & { dryRun?: boolean },
): Promise<void> {
  let text: string;
  try {
    text = await readFile(path.resolve(context.io.cwd, file), "utf8");
  } catch (error) {
    // Like a missing --idp-users file, a CSV file that cannot be read is a usage error.
    throw new UsageError(`cannot read ${file}: ${readFailureReason(error)}; check the path.`);
  }
  const csv = readImportCsv(text, file);
  let shared = new Map<number, SharedUsername>();
  const namespaces = { declaredIn: new Map<string, string[]>(), oneTarget: true };
  await runEdit(context, options, {
    command: "user import",
    prepare: async (targets, others) => {
      namespaces.oneTarget = targets.length === 1;
      for (const { name, deployment } of [...targets, ...others]) {
        for (const { name: namespace } of deployment.deployNamespaces) {
          namespaces.declaredIn.set(namespace, [...(namespaces.declaredIn.get(namespace) ?? []), name]);
        }
      }
      if (targets.length + others.length < 2) return;
      const deployments = await importDeployments(targets);
      const badEmails = new Set(
        csv.problems.filter((problem) => problem.field === "email").map((problem) => problem.line),
      );
      shared = shareUsernames(csv.rows, deployments, badEmails, await otherDeployments(others));
    },
    edit: async (target) =>
      applyImport(
        target,
        csv,
        await loadHandoverCheck(target),
        await removedProfilesOf(target),
        shared,
        namespaces,
      ),
    dryRun: options.dryRun === true,
    allOrNothing: true,
    rejectionError: (rejections, names) => importRejectionError(csv, rejections, names),
  });
}
