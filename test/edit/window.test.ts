/**
 * Windowed edits (see `src/edit/window.ts`) against edits of the whole text. `cake user import`
 * edits a window of the vars file for each row when the load gives the entry boundaries, and
 * the user commands edit one window, so the same change must give the same text, or the same
 * problems, either way.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LoadSnapshot } from "../../src/config/incremental.js";
import { loadVarsText } from "../../src/config/load.js";
import { EditError } from "../../src/edit/errors.js";
import { applyImport, ImportError, readImportCsv } from "../../src/edit/import.js";
import {
  addDeployNamespace,
  addDeployNamespaceStep,
  removeDeployNamespace,
  removeDeployNamespaceStep,
} from "../../src/edit/namespaces.js";
import type { EditTarget } from "../../src/edit/session.js";
import {
  addUser,
  grantNamespace,
  removeUser,
  revokeNamespace,
  setUserDisabled,
  type UserRef,
} from "../../src/edit/users.js";
import {
  applyWindowEdit,
  countedFile,
  editWindow,
  entryIndexOf,
  entryWindow,
  fileSplices,
  spliceWindow,
} from "../../src/edit/window.js";
import { pick, random } from "../helpers/random.js";
import { FIXTURES } from "./helpers.js";

const FILE = "vars/dev-eu-west-1.yaml";
const NAMESPACES = ["team-a", "team-b", "team-c"];

/** One layout for a whole file, so the file has a style for new entries to follow. */
interface Layout {
  flowRoles: boolean;
  flowGrants: boolean;
  flowGrantMaps: boolean;
  blankBetween: boolean;
  commentEvery: number;
  quoteEmails: boolean;
}

function userLines(index: number, layout: Layout, next: () => number): string[] {
  const email = `${next() < 0.2 ? "User" : "user"}${index}@example.com`;
  const lines = [`    - email: ${layout.quoteEmails ? `"${email}"` : email}`, `      username: u${index}`];
  const roles = next() < 0.2 ? ["cake-admin", "cake-user"] : ["cake-user"];
  if (layout.flowRoles) lines.push(`      roles: [${roles.join(", ")}]`);
  else lines.push("      roles:", ...roles.map((role) => `        - ${role}`));
  const grants = NAMESPACES.filter(() => next() < 0.5).map((name) => ({
    name,
    view: next() < 0.4,
  }));
  if (grants.length > 0 || next() < 0.5) {
    if (layout.flowGrants) {
      const items = grants.map(({ name, view }) => (view ? `{name: ${name}, access: view}` : name));
      lines.push(`      allowed_namespaces: [${items.join(", ")}]`);
    } else if (grants.length === 0) {
      lines.push("      allowed_namespaces: []");
    } else {
      lines.push("      allowed_namespaces:");
      for (const { name, view } of grants) {
        if (!view) lines.push(`        - ${name}`);
        else if (layout.flowGrantMaps) lines.push(`        - {name: ${name}, access: view}`);
        else lines.push(`        - name: ${name}`, "          access: view");
      }
    }
  }
  if (layout.commentEvery > 0 && index % layout.commentEvery === 0) lines.push("    # a group of users");
  // Blank lines after some entries only, as between groups of users.
  if (layout.blankBetween && next() < 0.5) lines.push("");
  return lines;
}

function varsText(seed: number): string {
  const next = random(seed);
  const layout: Layout = {
    flowRoles: next() < 0.5,
    flowGrants: next() < 0.3,
    flowGrantMaps: next() < 0.3,
    blankBetween: next() < 0.3,
    commentEvery: next() < 0.3 ? 3 : 0,
    quoteEmails: next() < 0.2,
  };
  const users = Math.floor(next() * 8);
  const settingsLast = next() < 0.5;
  const settings = ["gitops:", "  repo_url: https://git.example.com/platform/ops.git"];
  return [
    "environment: dev",
    "region: eu-west-1",
    "kubeflow:",
    "  profile_owner: kubeflow-platform@example.com",
    "cloud:",
    "  provider: none",
    ...(settingsLast ? [] : settings),
    "users:",
    "  deploy_namespaces:",
    ...NAMESPACES.map((name) => `    - ${name}`),
    users === 0 ? "  users: []" : "  users:",
    ...Array.from({ length: users }, (_, index) => userLines(index, layout, next)).flat(),
    ...(settingsLast ? settings : []),
    "",
  ].join("\n");
}

/** Returns a CSV whose rows add users, update existing ones, and now and then have a problem. */
function csvText(seed: number, emails: readonly string[]): string {
  const next = random(seed);
  const rows = ["email,username,roles,namespaces"];
  const count = 1 + Math.floor(next() * 8);
  const updated = new Set<string>();
  for (let row = 0; row < count; row++) {
    const grants = NAMESPACES.filter(() => next() < 0.4).map((name) =>
      next() < 0.5 ? `${name}:view` : next() < 0.5 ? `${name}:edit` : name,
    );
    if (next() < 0.02) grants.push("team-z");
    const unused = emails.filter((email) => !updated.has(email));
    const update = unused.length > 0 && next() < 0.4;
    // New users need a role; an update may leave the roles as they are.
    const roles =
      (update && next() < 0.4) || next() < 0.02
        ? ""
        : pick(["cake-user", "cake-admin", "cake-user;cake-admin"], next);
    let email = update ? pick(unused, next) : `user${100 + row}@example.com`;
    updated.add(email);
    if (next() < 0.03) email = email.toUpperCase();
    const username = next() < 0.03 ? `u${Math.floor(next() * (emails.length + 2))}` : "";
    rows.push(`${email},${username},${roles},"${grants.join(";")}"`);
    if (next() < 0.02) rows.push(rows[rows.length - 1] as string);
  }
  return `${rows.join("\n")}\n`;
}

function targetOf(text: string, windowed: boolean, file = FILE): EditTarget {
  const name = path.basename(file, ".yaml");
  const load = loadVarsText(text, {
    file,
    outputPath: `deployments/${name}`,
    fast: true,
    snapshot: true,
  });
  if (!load.deployment) throw new Error(`invalid vars text:\n${text}`);
  return {
    name,
    root: "/repo",
    file,
    shownFile: file,
    absolutePath: `/repo/${file}`,
    text,
    deployment: load.deployment,
    warnings: [],
    ...(windowed && load.snapshot ? { load: { text, snapshot: load.snapshot } } : {}),
  };
}

/** Returns the import's resulting text, or its problems. */
function importResult(text: string, csv: string, windowed: boolean, file = FILE): string {
  try {
    return applyImport(targetOf(text, windowed, file), readImportCsv(csv, "users.csv")).text;
  } catch (error) {
    if (error instanceof ImportError) return `problems:\n${error.message}`;
    throw error;
  }
}

function snapshotOf(text: string): LoadSnapshot {
  const snapshot = loadVarsText(text, {
    file: FILE,
    outputPath: "deployments/x",
    fast: true,
    snapshot: true,
  }).snapshot;
  if (!snapshot) throw new Error("no snapshot");
  return snapshot;
}

describe("entry windows", () => {
  /** Returns a generated file with at least `count` users. */
  const withUsers = (count: number): string => {
    for (let seed = 1; ; seed++) {
      const text = varsText(seed);
      if ((text.match(/^ {4}- email:/gm) ?? []).length >= count) return text;
    }
  };
  const text = withUsers(4);

  it("keeps the settings and the last entries", () => {
    const snapshot = snapshotOf(text);
    const window = entryWindow(text, snapshot, [0]);

    expect(window.text.startsWith(text.slice(0, snapshot.itemStarts[0]))).toBe(true);
    expect(window.text.endsWith(text.slice(snapshot.sequenceEnd))).toBe(true);
    expect(window.text.length).toBeLessThanOrEqual(text.length);
  });

  it("carries an entry change back", () => {
    const snapshot = snapshotOf(text);
    const window = entryWindow(text, snapshot, [0]);
    const edited = window.text.replace("username: u0", "username: u0x");

    expect(applyWindowEdit(text, window, edited)).toBe(text.replace("username: u0", "username: u0x"));
  });

  it("declines a settings change", () => {
    const snapshot = snapshotOf(text);
    const window = entryWindow(text, snapshot, [0]);

    expect(
      applyWindowEdit(text, window, window.text.replace("region: eu-west-1", "region: x")),
    ).toBeUndefined();
  });

  it("declines a change across runs", () => {
    const long = withUsers(5);
    const snapshot = snapshotOf(long);
    expect(snapshot.itemStarts.length).toBeGreaterThan(3);
    const window = entryWindow(long, snapshot, [0]);
    expect(window.runs).toHaveLength(2);

    const edited = window.text
      .replace("username: u0", "username: a")
      .replace(/username: u\d+\n(?![\s\S]*username)/, "username: b\n");
    expect(applyWindowEdit(long, window, edited)).toBeUndefined();
  });
});

describe("window splices", () => {
  const text = (() => {
    for (let seed = 1; ; seed++) {
      const candidate = varsText(seed);
      if ((candidate.match(/^ {4}- email:/gm) ?? []).length >= 6) return candidate;
    }
  })();
  const snapshot = snapshotOf(text);
  const window = entryWindow(text, snapshot, [1]);
  const [prefix, run] = window.segments;

  it("maps a splice inside a segment", () => {
    if (run === undefined) throw new Error("no run");
    const splice = { start: run.windowStart + 2, end: run.windowStart + 4, text: "x" };

    expect(fileSplices(window, [splice])).toEqual([
      { start: run.fileStart + 2, end: run.fileStart + 4, text: "x" },
    ]);
  });

  it("declines an insertion between segments", () => {
    if (prefix === undefined) throw new Error("no prefix");
    expect(prefix.fileEnd).not.toBe(run?.fileStart);

    expect(
      fileSplices(window, [{ start: prefix.windowEnd, end: prefix.windowEnd, text: "x" }]),
    ).toBeUndefined();
  });

  it("declines a splice across segments", () => {
    if (prefix === undefined) throw new Error("no prefix");

    expect(
      fileSplices(window, [{ start: prefix.windowEnd - 1, end: prefix.windowEnd + 1, text: "" }]),
    ).toBeUndefined();
  });
});

describe("user import in windows", () => {
  it("matches whole-text imports on random files", () => {
    let windowedRuns = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const text = varsText(seed);
      const emails = [...text.matchAll(/^ {4}- email: "?([^"\n]+)"?$/gm)].map((match) => match[1] as string);
      const csv = csvText(seed * 7919, emails);
      if (targetOf(text, true).load) windowedRuns++;

      const whole = importResult(text, csv, false);
      const windowed = importResult(text, csv, true);
      expect(windowed, `seed ${seed}\n${text}\n${csv}`).toBe(whole);
    }
    // Most files have the layout windows need, so the comparison is not vacuous.
    expect(windowedRuns).toBeGreaterThan(300);
  });

  it("matches whole-text imports on example files", () => {
    const folders = [FIXTURES, path.join(FIXTURES, "..", "..", "..", "examples", "ops", "vars")];
    let files = 0;
    for (const folder of folders) {
      for (const name of readdirSync(folder).filter((file) => file.endsWith(".yaml"))) {
        const file = `vars/${name}`;
        const text = readFileSync(path.join(folder, name), "utf8");
        const target = targetOf(text, true, file);
        const namespaces = target.deployment.deployNamespaces.map((namespace) => namespace.name);
        const first = target.deployment.users[0];
        const csv = [
          "email,username,roles,namespaces",
          `new.person@example.com,,cake-user,"${namespaces.slice(0, 2).join(";")}"`,
          `second.person@example.com,,cake-user,${namespaces[0] ?? ""}:view`,
          ...(first ? [`${first.email},,cake-admin,${namespaces[1] ?? namespaces[0] ?? ""}:view`] : []),
          "",
        ].join("\n");

        expect(target.load, name).toBeDefined();
        expect(importResult(text, csv, true, file), name).toBe(importResult(text, csv, false, file));
        files++;
      }
    }
    expect(files).toBeGreaterThanOrEqual(4);
  });
});

/** One user command as `cli/commands/user.ts` runs it, on a target with or without entry boundaries. */
type Command = (target: EditTarget) => string;

function randomCommand(text: string, next: () => number): { name: string; run: Command } {
  const emails = [...text.matchAll(/^ {4}- email: "?([^"\n]+)"?$/gm)].map((match) => match[1] as string);
  const usernames = [...text.matchAll(/^ {6}username: (\S+)$/gm)].map((match) => match[1] as string);
  const email =
    emails.length > 0 && next() < 0.85
      ? pick(emails, next)
      : next() < 0.5 && emails.length > 0
        ? pick(emails, next).toUpperCase()
        : "nobody@example.com";
  const ref: UserRef = next() < 0.2 && usernames.length > 0 ? { username: pick(usernames, next) } : { email };
  const namespace = next() < 0.1 ? "team-z" : pick(NAMESPACES, next);
  const at = (target: EditTarget) => [entryIndexOf(target, ref)];

  const commands: { name: string; run: Command }[] = [
    {
      name: `grant ${email} ${namespace} view`,
      run: (target) =>
        editWindow(target, [entryIndexOf(target, { email })], (part, whole) =>
          grantNamespace(part, { email }, { namespace, access: "view" }, whole?.style),
        ),
    },
    {
      name: `grant ${email} ${namespace} edit`,
      run: (target) =>
        editWindow(target, [entryIndexOf(target, { email })], (part, whole) =>
          grantNamespace(part, { email }, { namespace, access: "edit" }, whole?.style),
        ),
    },
    {
      name: `revoke ${email} ${namespace}`,
      run: (target) =>
        editWindow(target, [entryIndexOf(target, { email })], (part, whole) =>
          revokeNamespace(part, { email }, namespace, whole?.style),
        ),
    },
    {
      name: `disable ${JSON.stringify(ref)}`,
      run: (target) =>
        editWindow(target, at(target), (part, whole) => setUserDisabled(part, ref, true, whole?.style)),
    },
    {
      name: `enable ${JSON.stringify(ref)}`,
      run: (target) =>
        editWindow(target, at(target), (part, whole) => setUserDisabled(part, ref, false, whole?.style)),
    },
    {
      name: `remove ${JSON.stringify(ref)}`,
      run: (target) => editWindow(target, at(target), (part, whole) => removeUser(part, ref, whole?.style)),
    },
  ];

  const declared = next() < 0.2 ? "team-z" : namespace;
  const revokeGrants = next() < 0.7;
  const quota: Record<string, string> = next() < 0.3 ? { "requests.cpu": "4" } : {};
  commands.push(
    {
      name: `namespace add ${declared} ${JSON.stringify(quota)}`,
      run: (target) =>
        spliceWindow(target, [], addDeployNamespaceStep({ name: declared, resourceQuota: quota }), () =>
          addDeployNamespace(target.text, { name: declared, resourceQuota: quota }),
        ),
    },
    {
      name: `namespace remove ${declared} revokeGrants ${revokeGrants}`,
      run: (target) => {
        const granted = target.deployment.users
          .filter((user) => user.allowedNamespaces.some((grant) => grant.namespace === declared))
          .map((user) => user.email);
        return spliceWindow(
          target,
          granted.map((email) => entryIndexOf(target, { email })),
          removeDeployNamespaceStep(declared, { revokeGrants }),
          () => removeDeployNamespace(target.text, declared, { revokeGrants }),
        );
      },
    },
  );

  // A new user, or one whose email or username is taken.
  const added = next() < 0.7 ? "new.person@example.com" : email;
  const username = next() < 0.8 ? "newperson" : (usernames[0] ?? "u0");
  const grants = NAMESPACES.filter(() => next() < 0.5).map((name) => ({
    namespace: name,
    access: next() < 0.5 ? ("view" as const) : ("edit" as const),
  }));
  commands.push({
    name: `add ${added} ${username}`,
    run: (target) =>
      editWindow(target, [], (part, whole) =>
        addUser(part, { email: added, username, roles: ["cake-user"], grants }, whole),
      ),
  });

  return pick(commands, next);
}

function commandResult(run: Command, target: EditTarget): string {
  try {
    return run(target);
  } catch (error) {
    if (error instanceof EditError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

describe("user commands in windows", () => {
  it("match whole-text edits on random files", () => {
    let windowed = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const text = varsText(seed);
      const next = random(seed * 104729);
      const target = targetOf(text, true);
      if (countedFile(target) !== undefined) windowed++;
      for (let round = 0; round < 3; round++) {
        const command = randomCommand(text, next);
        expect(commandResult(command.run, target), `seed ${seed}, ${command.name}\n${text}`).toBe(
          commandResult(command.run, targetOf(text, false)),
        );
      }
    }
    // Most files have entry boundaries and a style the line scan reads, so windows are tested.
    expect(windowed).toBeGreaterThan(450);
  });

  /** A generated file with 300 more users; every 50th of them is granted team-c. */
  const large = varsText(3).replace(
    /\n {2}users:\n/,
    (users) =>
      users +
      Array.from({ length: 300 }, (_, index) =>
        [
          `    - email: bulk${index}@example.com`,
          `      username: bulk${index}`,
          "      roles: [cake-user]",
          ...(index % 50 === 0 ? ["      allowed_namespaces: [team-c]"] : []),
        ].join("\n"),
      ).join("\n") +
      "\n",
  );
  const wholeEdit = (): string => {
    throw new Error("the whole text was edited");
  };

  it("edit a window of a large file, not the whole text", () => {
    const text = large;
    const target = targetOf(text, true);
    const seen: number[] = [];
    const result = editWindow(
      target,
      [entryIndexOf(target, { email: "bulk7@example.com" })],
      (part, whole) => {
        seen.push(part.length);
        return grantNamespace(
          part,
          { email: "bulk7@example.com" },
          { namespace: "team-b", access: "view" },
          whole?.style,
        );
      },
    );

    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeLessThan(text.length / 10);
    expect(result).toContain(
      "    - email: bulk7@example.com\n      username: bulk7\n      roles: [cake-user]\n      allowed_namespaces:",
    );
    expect(result).toBe(
      grantNamespace(text, { email: "bulk7@example.com" }, { namespace: "team-b", access: "view" }),
    );
  });

  it("keep the blank line after a removed entry", () => {
    const text = [
      "environment: dev",
      "region: eu-west-1",
      "kubeflow:",
      "  profile_owner: kubeflow-platform@example.com",
      "cloud:",
      "  provider: none",
      "gitops:",
      "  repo_url: https://git.example.com/platform/ops.git",
      "users:",
      "  deploy_namespaces: [team-a]",
      "  users:",
      ...["user0", "user1"].flatMap((name) => [
        `    - email: ${name}@example.com`,
        `      username: ${name}`,
        "      roles: [cake-user]",
      ]),
      "",
      ...["user2", "user3", "user4"].flatMap((name) => [
        `    - email: ${name}@example.com`,
        `      username: ${name}`,
        "      roles: [cake-user]",
      ]),
      "",
    ].join("\n");
    const target = targetOf(text, true);
    const ref = { email: "user1@example.com" };

    const result = editWindow(target, [entryIndexOf(target, ref)], (part, whole) =>
      removeUser(part, ref, whole?.style),
    );

    expect(result).toBe(removeUser(text, ref));
    expect(result).toContain(
      "      username: user0\n      roles: [cake-user]\n\n    - email: user2@example.com",
    );
  });

  it("remove a namespace in a window", () => {
    const target = targetOf(large, true);
    const granted = target.deployment.users
      .filter((user) => user.allowedNamespaces.some((grant) => grant.namespace === "team-c"))
      .map((user) => user.email);
    const result = spliceWindow(
      target,
      granted.map((email) => entryIndexOf(target, { email })),
      removeDeployNamespaceStep("team-c", { revokeGrants: true }),
      wholeEdit,
    );

    expect(granted.filter((email) => email.startsWith("bulk"))).toHaveLength(6);
    expect(result).toBe(removeDeployNamespace(large, "team-c", { revokeGrants: true }));
    expect(result).not.toContain("team-c");
  });

  it("add a namespace in a window", () => {
    const target = targetOf(large, true);
    const namespace = { name: "team-d", resourceQuota: { pods: "10" } };
    const result = spliceWindow(target, [], addDeployNamespaceStep(namespace), wholeEdit);

    expect(result).toBe(addDeployNamespace(large, namespace));
    expect(result).toContain("team-d");
  });
});
