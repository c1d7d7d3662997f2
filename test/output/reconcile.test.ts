import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadRepo } from "../../src/config/repo.js";
import { CakeError, UsageError } from "../../src/errors.js";
import { JOURNAL_FILE } from "../../src/output/journal.js";
import { LOCK_FILE } from "../../src/output/lock.js";
import { MANIFEST_FILE } from "../../src/output/manifest.js";
import {
  argocdChanged,
  ReconcileBlockedError,
  type ReconcileOptions,
  reconcile,
} from "../../src/output/reconcile.js";
import { resolveLayout } from "../../src/repo/layout.js";
import { type FileSnapshot, listTree, snapshotTree, writeTree } from "./tree.js";
import { ALICE, BOB, makeRepo, varsText } from "./vars.js";

const execFileAsync = promisify(execFile);
const CAKE_BIN = fileURLToPath(new URL("../../bin/cake.js", import.meta.url));
const PROD = "deployments/prod-us-east-1";
const PROD_VARS = "vars/prod-us-east-1.yaml";

async function run(root: string, options: Omit<ReconcileOptions, "layout"> = {}) {
  return reconcile({ layout: await resolveLayout(root), ...options });
}

/** Sets the mtime of `file` to the nanosecond, which `utimes` cannot: it takes a double of seconds. */
async function setMtime(file: string, mtimeNs: bigint): Promise<void> {
  const seconds = mtimeNs / 1_000_000_000n;
  const nanoseconds = (mtimeNs % 1_000_000_000n).toString().padStart(9, "0");
  await execFileAsync("touch", ["-m", "-d", `@${seconds}.${nanoseconds}`, file]);
}

async function ageFiles(root: string): Promise<void> {
  const past = new Date("2001-01-01T00:00:00Z");
  for (const file of await listTree(root)) await utimes(path.join(root, file), past, past);
}

/**
 * Returns a repo where a power loss cut short the files `torn` that a run adding a deploy
 * namespace had staged, after its journal reached the disk and after the renames of `renamed`,
 * and a repo where the same run was not interrupted.
 */
async function tornRun(torn: string[], renamed: string[] = []): Promise<{ root: string; expected: string }> {
  const next = varsText({ namespaces: ["ml-prod", "ml-dev"] });
  const expected = await makeRepo({ [PROD_VARS]: next });
  await run(expected);
  const root = await makeRepo({ [PROD_VARS]: varsText() });
  await run(root);
  await writeFile(path.join(root, PROD_VARS), next);
  await stageJournal(root, await snapshotTree(path.join(expected, PROD)), torn, renamed);
  return { root, expected };
}

/**
 * Writes the state a run leaves when killed after its journal: a temporary file for every file
 * of `next` whose bytes differ from the deployment folder's, and a journal recording their
 * sha256. The files in `torn` are staged empty, as a power loss can leave them. The files in
 * `renamed` are in place already and their temporary files gone, as the run's renames left them.
 */
async function stageJournal(
  root: string,
  next: Record<string, FileSnapshot>,
  torn: string[],
  renamed: string[] = [],
): Promise<void> {
  const renames: { from: string; to: string; sha256: string }[] = [];
  const files: Record<string, string> = {};
  // The manifest goes last, as `applyPlan` stages it.
  const order = Object.keys(next).sort((a, b) => Number(a === MANIFEST_FILE) - Number(b === MANIFEST_FILE));
  for (const file of order) {
    const content = next[file]?.content ?? "";
    const current = await readFile(path.join(root, PROD, file), "utf8").catch(() => undefined);
    if (current === content) continue;
    const from = `.cake-tmp-1-torn-${renames.length}`;
    if (renamed.includes(file)) files[`${PROD}/${file}`] = content;
    else files[`${PROD}/${from}`] = torn.includes(file) ? "" : content;
    renames.push({ from, to: file, sha256: createHash("sha256").update(content).digest("hex") });
  }
  const varsSha256 = createHash("sha256")
    .update(await readFile(path.join(root, PROD_VARS)))
    .digest("hex");
  files[`${PROD}/${JOURNAL_FILE}`] = JSON.stringify({
    renames,
    deletions: [],
    vars: { file: PROD_VARS, sha256: varsSha256 },
  });
  await writeTree(root, files);
}

/**
 * Returns a repo where a run from `next` was killed after all its renames, the manifest's
 * included, and after deleting the files of `deleted` only, with the vars file then changed to
 * `current`. The run had every Profile deletion allowed.
 */
async function killedAfterRenames(
  previous: string,
  next: string,
  current: string,
  deleted: string[],
): Promise<string> {
  const reference = await makeRepo({ [PROD_VARS]: next });
  await run(reference);
  const nextFiles = contentsOf(await snapshotTree(path.join(reference, PROD)));
  const root = await makeRepo({ [PROD_VARS]: previous });
  await run(root);
  const previousFiles = contentsOf(await snapshotTree(path.join(root, PROD)));

  const renames: { from: string; to: string; sha256: string }[] = [];
  const files: Record<string, string> = {};
  const order = Object.keys(nextFiles).sort(
    (a, b) => Number(a === MANIFEST_FILE) - Number(b === MANIFEST_FILE),
  );
  for (const file of order) {
    const content = nextFiles[file] ?? "";
    if (previousFiles[file] === content) continue;
    files[`${PROD}/${file}`] = content;
    const sha256 = createHash("sha256").update(content).digest("hex");
    renames.push({ from: `.cake-tmp-1-${renames.length}`, to: file, sha256 });
  }
  const deletions = Object.keys(previousFiles).filter((file) => !Object.hasOwn(nextFiles, file));
  files[`${PROD}/${JOURNAL_FILE}`] = JSON.stringify({
    renames,
    deletions,
    vars: { file: PROD_VARS, sha256: createHash("sha256").update(next).digest("hex") },
  });
  files[PROD_VARS] = current;
  await writeTree(root, files);
  for (const file of deleted) await rm(path.join(root, PROD, file));
  return root;
}

function contentsOf(snapshot: Record<string, FileSnapshot>): Record<string, string> {
  return Object.fromEntries(Object.entries(snapshot).map(([file, { content }]) => [file, content]));
}

function paths(result: Awaited<ReturnType<typeof run>>, action: string): string[] {
  return result.deployments.flatMap((report) =>
    report.changes
      .filter((change) => change.action === action)
      .map((change) => `${report.folder}/${change.path}`),
  );
}

describe("reconcile", () => {
  it("writes the output of every vars file", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });

    const result = await run(root);

    expect(result.valid).toBe(true);
    expect(result.deployments.map((report) => report.name)).toEqual(["dev-us-east-1", "prod-us-east-1"]);
    const files = await listTree(path.join(root, PROD));
    expect(files).toContain(MANIFEST_FILE);
    expect(files).toContain("kustomization.yaml");
    expect(files).toContain("profiles/asmith.yaml");
    expect(files).toContain("profiles/ml-prod.yaml");
    const alice = await readFile(path.join(root, PROD, "profiles/asmith.yaml"), "utf8");
    expect(alice.startsWith(`# Generated by cake from ${PROD_VARS}.`)).toBe(true);
    expect(alice).toContain("Alice.Smith@example.com");
  });

  it("second run changes nothing", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await ageFiles(root);
    const before = await snapshotTree(root);

    const result = await run(root);

    expect(result.deployments[0]?.changes).toEqual([]);
    expect(result.deployments[0]?.manifestChanged).toBe(false);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("gives identical bytes for reordered users", async () => {
    const first = await makeRepo({ [PROD_VARS]: varsText({ users: [ALICE, BOB] }) });
    const second = await makeRepo({ [PROD_VARS]: varsText({ users: [BOB, ALICE] }) });

    await run(first);
    await run(second);

    const contents = async (root: string) => {
      const snapshot = await snapshotTree(path.join(root, PROD));
      return Object.fromEntries(
        Object.entries(snapshot)
          .filter(([file]) => file !== MANIFEST_FILE)
          .map(([file, { content }]) => [file, content]),
      );
    };
    expect(await contents(second)).toEqual(await contents(first));
  });

  it("invalid vars leave every output untouched", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await run(root);
    await ageFiles(root);
    await writeFile(
      path.join(root, "vars/dev-us-east-1.yaml"),
      varsText({ environment: "dev", users: [ALICE] }),
    );
    await writeFile(path.join(root, PROD_VARS), `${varsText()}users: {}\n`);
    const before = await snapshotTree(root);

    const result = await run(root);

    expect(result.valid).toBe(false);
    expect(result.diagnostics.some((item) => item.severity === "error" && item.file === PROD_VARS)).toBe(
      true,
    );
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("finds app name collision with cached deployment", async () => {
    const dev = "vars/dev-us-east-1.yaml";
    const root = await makeRepo({ [PROD_VARS]: varsText(), [dev]: varsText({ environment: "dev" }) });
    await run(root);
    // Only the dev file changes, so reconcile loads it alone and takes prod's Application from the cache.
    const remote = varsText({ environment: "dev" }).replace(
      "  repo_url: https://git.example.com/platform/ops.git\n",
      "  repo_url: https://git.example.com/platform/ops.git\n  destination_server: https://dev.example.com\n",
    );
    expect(remote).toContain("destination_server");
    await writeFile(path.join(root, dev), remote);
    const before = await snapshotTree(root);

    const result = await run(root);

    expect(result.valid).toBe(false);
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors.map(({ code, file }) => [code, file])).toEqual([["duplicate-app-name", dev]]);
    expect(errors[0]?.message).toContain(`also the Application of ${PROD_VARS}`);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("finds cloud identity collision with cached deployment", async () => {
    const dev = "vars/dev-us-east-1.yaml";
    const gcp = (prefix: string): string =>
      `cloud:\n  provider: gcp\n  gcp:\n    project_id: shared-project\n    service_account_prefix: ${prefix}\n`;
    const withGcp = (text: string, prefix: string): string =>
      text.replace("cloud:\n  provider: none\n", gcp(prefix));
    const root = await makeRepo({
      [PROD_VARS]: withGcp(varsText(), "prod-"),
      [dev]: withGcp(varsText({ environment: "dev" }), "dev-"),
    });
    expect((await run(root)).valid).toBe(true);
    // Only the dev file changes, so prod's cloud identity scope comes from the cache.
    await writeFile(path.join(root, dev), withGcp(varsText({ environment: "dev" }), "prod-"));
    const before = await snapshotTree(root);

    const result = await run(root);

    expect(result.valid).toBe(false);
    const errors = result.diagnostics.filter((diagnostic) => diagnostic.severity === "error");
    expect(errors.map(({ code, file, path: field }) => [code, file, field])).toEqual([
      ["duplicate-cloud-identity", dev, "cloud.gcp.service_account_prefix"],
    ]);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("applies a vars edit saved while the previous run was loading", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const layout = await resolveLayout(root);
    // The output is current, so the run below changes nothing and finishes despite the edit.
    await run(root);
    // The run loads the file with both users, then someone saves it with Alice alone.
    await reconcile({ layout }, async (current) => {
      const loaded = await loadRepo(current, undefined, { fast: true });
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));
      return loaded;
    });

    const next = await run(root, { allowProfileDeletion: ["bjones"] });

    expect(paths(next, "remove")).toContain(`${PROD}/profiles/bjones.yaml`);
    expect((await run(root, { check: true })).drift).toBe(false);
  });

  it("stops when vars change before writing", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const layout = await resolveLayout(root);
    // As a git pull would: the run loads the file with both users, then Alice alone is saved.
    const attempt = reconcile({ layout }, async (current) => {
      const loaded = await loadRepo(current, undefined, { fast: true });
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));
      return loaded;
    });

    await expect(attempt).rejects.toThrow(CakeError);
    await expect(attempt).rejects.toThrow(
      `${PROD_VARS} changed while cake reconcile ran (a git pull, checkout or editor saved it), so nothing was written`,
    );
    expect(existsSync(path.join(root, PROD))).toBe(false);
    const next = await run(root);
    expect(paths(next, "create")).not.toContain(`${PROD}/profiles/bjones.yaml`);
    expect((await run(root, { check: true })).drift).toBe(false);
  });

  it("catches an edit that keeps size and mtime", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    const file = path.join(root, PROD, "profiles/asmith.yaml");
    const folder = path.dirname(file);
    const [before, folderBefore] = [await stat(file, { bigint: true }), await stat(folder, { bigint: true })];
    const text = await readFile(file, "utf8");
    // Same length, then the old mtimes back to the nanosecond, as `cp -p` or `touch -d` leave it.
    await writeFile(file, text.replace("asmith", "xsmith"));
    await setMtime(file, before.mtimeNs);
    await setMtime(folder, folderBefore.mtimeNs);
    expect((await stat(file, { bigint: true })).mtimeNs).toBe(before.mtimeNs);
    expect((await stat(file)).size).toBe(Number(before.size));

    const result = await run(root);

    expect(paths(result, "restore")).toEqual([`${PROD}/profiles/asmith.yaml`]);
    expect(await readFile(file, "utf8")).toBe(text);
  });

  it("stops before writing when a folder or a file is in the way", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText({ users: [ALICE] }) });
    await run(root);
    // A folder now sits where Bob's file goes, and dev's profiles/ folder is a file.
    await writeTree(root, {
      [`${PROD}/profiles/bjones.yaml/notes.txt`]: "mine\n",
      "deployments/dev-us-east-1/profiles": "not a folder\n",
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await writeFile(path.join(root, PROD_VARS), varsText());
    const before = await snapshotTree(root);

    const attempt = run(root);

    await expect(attempt).rejects.toThrow(ReconcileBlockedError);
    await expect(attempt).rejects.toThrow(`${PROD}/profiles/bjones.yaml`);
    await expect(attempt).rejects.toThrow("    deployments/dev-us-east-1/profiles\n");
    expect(await snapshotTree(root)).toEqual(before);
  });

  it.runIf(process.platform === "linux")("stops before writing in a folder it may not change", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText({ users: [ALICE] }) });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText());
    await chmod(path.join(root, PROD, "profiles"), 0o555);
    const before = await snapshotTree(root);

    // root may write anywhere, so the run uses the unprivileged user 65534 (nobody).
    const asNobody = process.getuid?.() === 0;
    if (asNobody) await execFileAsync("chown", ["-R", "65534:65534", root]);
    const command = [process.execPath, CAKE_BIN, "reconcile", "--repo", root];
    const argv = asNobody
      ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...command]
      : command;
    const result = await execFileAsync(argv[0] as string, argv.slice(1)).catch((error) => error);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`cake may not write in ${PROD}/profiles`);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it.runIf(process.platform === "linux" && process.getuid?.() === 0)(
    "stops before replacing another user's file in a sticky folder",
    async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      await run(root);
      await writeFile(
        path.join(root, PROD_VARS),
        varsText({ users: [ALICE, { ...BOB, allowed_namespaces: [{ name: "ml-prod", access: "view" }] }] }),
      );
      // The repo belongs to user 65534 (nobody), except profiles/: sticky, world-writable and
      // root's. So user 65534 may create files in it, but not replace root's ml-prod.yaml.
      await execFileAsync("chown", ["-R", "65534:65534", root]);
      await execFileAsync("chown", [
        "0:0",
        path.join(root, PROD, "profiles"),
        path.join(root, PROD, "profiles/ml-prod.yaml"),
      ]);
      await chmod(path.join(root, PROD, "profiles"), 0o1777);
      const before = await snapshotTree(root);

      const argv = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        process.execPath,
        CAKE_BIN,
      ];
      const result = await execFileAsync(argv[0] as string, [
        ...argv.slice(1),
        "reconcile",
        "--repo",
        root,
      ]).catch((error) => error);

      expect(result.code).toBe(1);
      // The command runs outside the repo's folder, so the message gives the absolute path.
      expect(result.stderr).toContain(`cake may not replace ${root}/${PROD}/profiles/ml-prod.yaml`);
      expect(result.stderr).toContain("sticky bit");
      expect(await snapshotTree(root)).toEqual(before);

      // The manifest, which the journal replaces last, in a sticky deployment folder.
      await execFileAsync("chown", ["-R", "65534:65534", root]);
      await chmod(path.join(root, PROD, "profiles"), 0o755);
      await execFileAsync("chown", [
        "0:0",
        path.join(root, PROD),
        path.join(root, PROD, ".cake-manifest.json"),
      ]);
      await chmod(path.join(root, PROD), 0o1777);
      const manifestBefore = await snapshotTree(root);
      const second = await execFileAsync(argv[0] as string, [
        ...argv.slice(1),
        "reconcile",
        "--repo",
        root,
      ]).catch((error) => error);
      expect(second.stderr).toContain(`cake may not replace ${root}/${PROD}/.cake-manifest.json`);
      expect(await snapshotTree(root)).toEqual(manifestBefore);
    },
  );

  it("check names a hand-edited file", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    const alicePath = path.join(root, PROD, "profiles/asmith.yaml");
    const original = await readFile(alicePath, "utf8");
    await writeFile(alicePath, original.replace("Alice.Smith@example.com", "mallory@example.com"));
    const before = await snapshotTree(root);

    const checked = await run(root, { check: true });

    expect(checked.drift).toBe(true);
    expect(paths(checked, "restore")).toEqual([`${PROD}/profiles/asmith.yaml`]);
    expect(await snapshotTree(root)).toEqual(before);

    const fixed = await run(root);

    expect(paths(fixed, "restore")).toEqual([`${PROD}/profiles/asmith.yaml`]);
    expect(await readFile(alicePath, "utf8")).toBe(original);
    expect((await run(root, { check: true })).drift).toBe(false);
  });

  it("check reports stale, missing and extra files", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE, { ...BOB, username: "bob" }] }));

    const result = await run(root, { check: true });

    expect(result.drift).toBe(true);
    expect(paths(result, "create")).toEqual([`${PROD}/profiles/bob.yaml`]);
    expect(paths(result, "remove")).toEqual([`${PROD}/profiles/bjones.yaml`]);
    expect(paths(result, "update")).toContain(`${PROD}/kustomization.yaml`);
  });

  it("rejects deleting a Profile without the flag", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));
    const before = await snapshotTree(root);

    const attempt = run(root);

    await expect(attempt).rejects.toBeInstanceOf(CakeError);
    await expect(attempt).rejects.toThrow('Profile "bjones" would leave the output');
    await expect(attempt).rejects.toThrow("--allow-profile-deletion=prod-us-east-1/bjones");
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("deletes a Profile named by the flag", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));

    const result = await run(root, { allowProfileDeletion: ["bjones"] });

    expect(paths(result, "remove")).toEqual([`${PROD}/profiles/bjones.yaml`]);
    await expect(stat(path.join(root, PROD, "profiles/bjones.yaml"))).rejects.toThrow();
  });

  it("treats a username change as a deletion", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE, { ...BOB, username: "bob" }] }));

    await expect(run(root)).rejects.toThrow('Profile "bjones" would leave the output');
  });

  it("keeps a disabled user's Profile", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE, { ...BOB, disabled: true }] }));

    const result = await run(root);

    expect(paths(result, "remove")).toEqual([]);
    expect(paths(result, "update")).toContain(`${PROD}/profiles/ml-prod.yaml`);
  });

  it("rejects an owner change without the flag", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText({ owner: "new-owner@example.com" }));
    const before = await snapshotTree(root);

    const attempt = run(root);

    await expect(attempt).rejects.toBeInstanceOf(CakeError);
    await expect(attempt).rejects.toThrow("--allow-owner-change");
    await expect(attempt).rejects.toThrow("new-owner@example.com");
    expect(await snapshotTree(root)).toEqual(before);

    const allowed = await run(root, { allowOwnerChange: true });
    expect(paths(allowed, "update")).toContain(`${PROD}/profiles/asmith.yaml`);
  });

  it("completes an interrupted run", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    const alicePath = path.join(root, PROD, "profiles/asmith.yaml");
    const original = await readFile(alicePath, "utf8");
    await writeTree(root, {
      [`${PROD}/.cake-tmp-1-a`]: original,
      [`${PROD}/profiles/asmith.yaml`]: "# Generated by cake from x\nhalf\n",
      [`${PROD}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-a", to: "profiles/asmith.yaml" }],
        deletions: [],
      }),
    });

    const checked = await run(root, { check: true });
    expect(checked.deployments[0]?.journalPending).toBe(true);
    expect(checked.drift).toBe(true);

    const result = await run(root);

    expect(result.deployments[0]?.journalPending).toBe(true);
    expect(await readFile(alicePath, "utf8")).toBe(original);
    expect(await listTree(path.join(root, PROD))).not.toContain(JOURNAL_FILE);
    expect((await run(root, { check: true })).drift).toBe(false);
  });

  it("discards an interrupted run whose vars file changed since", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    const before = await snapshotTree(root);
    const alicePath = path.join(root, PROD, "profiles/asmith.yaml");
    const original = await readFile(alicePath, "utf8");
    // A run from other vars was killed before its rename; then the vars were reset (git checkout).
    await writeTree(root, {
      [`${PROD}/.cake-tmp-1-a`]: "# Generated by cake from x\nabandoned\n",
      [`${PROD}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-a", to: "profiles/asmith.yaml" }],
        deletions: [],
        vars: { file: PROD_VARS, sha256: createHash("sha256").update("other vars").digest("hex") },
      }),
    });

    const result = await run(root);

    expect(result.deployments[0]?.journalDiscarded).toBe(true);
    expect(paths(result, "update")).toEqual([]);
    expect(await readFile(alicePath, "utf8")).toBe(original);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("plans again after a torn staged file", async () => {
    const { root, expected } = await tornRun(["kustomization.yaml"]);

    const result = await run(root);

    expect(paths(result, "restore")).toEqual([]);
    expect(result.deployments[0]?.journalTorn).toEqual(["kustomization.yaml"]);
    expect(paths(result, "update")).toContain(`${PROD}/kustomization.yaml`);
    expect(contentsOf(await snapshotTree(path.join(root, PROD)))).toEqual(
      contentsOf(await snapshotTree(path.join(expected, PROD))),
    );
  });

  it.each([
    [MANIFEST_FILE, ["kustomization.yaml", "profiles/ml-dev.yaml"]],
    ["kustomization.yaml", ["profiles/ml-dev.yaml"]],
  ])("reports what a run with torn %s renamed before", async (torn, renamed) => {
    const uninterrupted = await makeRepo({ [PROD_VARS]: varsText() });
    await run(uninterrupted);
    await writeFile(path.join(uninterrupted, PROD_VARS), varsText({ namespaces: ["ml-prod", "ml-dev"] }));
    const expectedReport = (await run(uninterrupted)).deployments[0];
    const { root } = await tornRun([torn], renamed);

    const result = await run(root);
    const report = result.deployments[0];

    expect(report?.journalDiscarded).toBe(true);
    expect(report?.journalTorn).toEqual([torn]);
    expect(paths(result, "update")).toEqual([`${PROD}/kustomization.yaml`, `${PROD}/profiles/ml-dev.yaml`]);
    expect(report?.journalWritten).toEqual(renamed);
    expect(paths(result, "restore")).toEqual([]);
    expect(report?.unchanged).toBe(expectedReport?.unchanged);
    expect(report?.changes.map((change) => change.path)).toEqual(
      expectedReport?.changes.map((change) => change.path),
    );
  });

  it("reports what a run of older vars renamed", async () => {
    const carol = { email: "carol@example.com", username: "cwu" };
    const newer = varsText({ namespaces: ["ml-prod", "ml-dev"], users: [ALICE, BOB, carol] });
    const { root } = await tornRun([], ["profiles/ml-dev.yaml"]);
    // The vars changed again after the run that added ml-dev was killed, in a way that leaves
    // the file it renamed as it is.
    await writeFile(path.join(root, PROD_VARS), newer);

    const result = await run(root);
    const report = result.deployments[0];

    expect(report?.journalDiscarded).toBe(true);
    expect(report?.journalTorn).toBeUndefined();
    expect(paths(result, "update")).toContain(`${PROD}/profiles/ml-dev.yaml`);
    expect(report?.journalWritten).toEqual(["profiles/ml-dev.yaml"]);
    expect((await run(root, { check: true })).drift).toBe(false);
  });

  it("reports what a discarded run deleted", async () => {
    const carol = { email: "carol@example.com", username: "cwu" };
    const previous = varsText({ users: [ALICE, BOB, carol] });
    const next = varsText({ users: [ALICE] });
    const current = varsText({ users: [ALICE], namespaces: ["ml-prod", "ml-dev"] });
    // The run that removed bob and carol deleted bob's file, then was killed.
    const root = await killedAfterRenames(previous, next, current, ["profiles/bjones.yaml"]);

    const result = await run(root, { allowProfileDeletion: ["bjones", "cwu"] });
    const report = result.deployments[0];

    expect(report?.journalDiscarded).toBe(true);
    expect(report?.journalRemoved).toEqual(["profiles/bjones.yaml"]);
    expect(paths(result, "remove")).toEqual([`${PROD}/profiles/bjones.yaml`, `${PROD}/profiles/cwu.yaml`]);
    expect(result.unmatchedAllowances).toBeUndefined();
  });

  it("reports no deletion of a run stopped in its renames", async () => {
    const { root } = await tornRun([], ["profiles/ml-dev.yaml"]);
    const journalPath = path.join(root, PROD, JOURNAL_FILE);
    const journal = JSON.parse(await readFile(journalPath, "utf8"));
    // The run would have deleted a file that was never there, after its remaining renames.
    await writeFile(journalPath, JSON.stringify({ ...journal, deletions: ["profiles/gone.yaml"] }));
    await writeFile(path.join(root, PROD_VARS), varsText({ namespaces: ["ml-prod", "ml-dev", "ml-test"] }));

    const report = (await run(root)).deployments[0];

    expect(report?.journalDiscarded).toBe(true);
    expect(report?.journalRemoved).toBeUndefined();
    expect(report?.changes.filter((change) => change.action === "remove")).toEqual([]);
  });

  it("reminds of argocd/ a discarded run changed", async () => {
    const repoUrl = "https://git.example.com/platform/ops-next.git";
    const next = varsText({ repoUrl });
    const current = varsText({ repoUrl, namespaces: ["ml-prod", "ml-dev"] });
    // The run of the new repo URL renamed all its files, its manifest last, and was killed.
    const root = await killedAfterRenames(varsText(), next, current, []);

    const [report] = (await run(root)).deployments;
    if (report === undefined) throw new Error("no report of prod-us-east-1");

    expect(report.journalWritten).toContain("argocd/application.yaml");
    expect(argocdChanged(report)).toBe(true);
  });

  it("gives no reminder for argocd/ a discarded run left", async () => {
    const next = varsText({ users: [ALICE] });
    const current = varsText({ users: [ALICE], namespaces: ["ml-prod", "ml-dev"] });
    const root = await killedAfterRenames(varsText(), next, current, []);
    const application = path.join(root, PROD, "argocd/application.yaml");
    await writeFile(application, `${await readFile(application, "utf8")}# edited by hand\n`);

    const result = await run(root);
    const [report] = result.deployments;
    if (report === undefined) throw new Error("no report of prod-us-east-1");

    expect(report.journalDiscarded).toBe(true);
    expect(paths(result, "restore")).toEqual([`${PROD}/argocd/application.yaml`]);
    expect(argocdChanged(report)).toBe(false);
  });

  it("keeps a discarded journal when a guard stops the run", async () => {
    const renamed = ["kustomization.yaml", "profiles/ml-dev.yaml"];
    const { root } = await tornRun([], renamed);
    // After the run that added ml-dev was killed, bob left the vars.
    await writeFile(
      path.join(root, PROD_VARS),
      varsText({ namespaces: ["ml-prod", "ml-dev"], users: [ALICE] }),
    );

    const blocked = run(root);

    await expect(blocked).rejects.toThrow(
      "nothing was written, but an interrupted reconcile of prod-us-east-1 had changed files before it stopped (listed below):",
    );
    await expect(blocked).rejects.toThrow(
      `    wrote ${PROD}/kustomization.yaml\n    wrote ${PROD}/profiles/ml-dev.yaml`,
    );
    await expect(blocked).rejects.toMatchObject({
      interruptedRunsChanged: [{ deployment: "prod-us-east-1", folder: PROD, written: renamed, removed: [] }],
    });
    expect(await listTree(path.join(root, PROD))).toContain(JOURNAL_FILE);

    const result = await run(root, { allowProfileDeletion: ["bjones"] });

    expect(result.deployments[0]?.journalWritten).toEqual(renamed);
    expect(paths(result, "restore")).toEqual([]);
    expect(paths(result, "update")).toContain(`${PROD}/kustomization.yaml`);
    expect(await listTree(path.join(root, PROD))).not.toContain(JOURNAL_FILE);
    expect((await run(root, { check: true })).drift).toBe(false);
  });

  it("never installs a torn staged manifest", async () => {
    const { root, expected } = await tornRun([MANIFEST_FILE]);

    const result = await run(root);
    const checked = await run(root, { check: true });

    expect(result.deployments[0]?.journalTorn).toEqual([MANIFEST_FILE]);
    expect(checked.drift).toBe(false);
    expect(contentsOf(await snapshotTree(path.join(root, PROD)))).toEqual(
      contentsOf(await snapshotTree(path.join(expected, PROD))),
    );
  });

  it("reports a completed rename that replaced a hand edit as a restore", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    const alicePath = path.join(root, PROD, "profiles/asmith.yaml");
    const original = await readFile(alicePath, "utf8");
    const edited = original.replace("Alice.Smith@example.com", "mallory@example.com");
    // The run that restores the hand-edited file was killed after writing its journal.
    await writeTree(root, {
      [`${PROD}/profiles/asmith.yaml`]: edited,
      [`${PROD}/.cake-tmp-1-a`]: original,
      [`${PROD}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-a", to: "profiles/asmith.yaml", action: "restore" }],
        deletions: [],
      }),
    });

    const result = await run(root);

    expect(paths(result, "restore")).toEqual([`${PROD}/profiles/asmith.yaml`]);
    expect(await readFile(alicePath, "utf8")).toBe(original);
  });

  it("does not take what a discarded run wrote for hand edits", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    const alicePath = path.join(root, PROD, "profiles/asmith.yaml");
    const original = await readFile(alicePath, "utf8");
    const other = "# Generated by cake from vars/prod-us-east-1.yaml\nfrom other vars\n";
    // A run from other vars renamed one file into place and was killed; then the vars were reset.
    await writeTree(root, {
      [`${PROD}/profiles/asmith.yaml`]: other,
      [`${PROD}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [
          {
            from: ".cake-tmp-1-a",
            to: "profiles/asmith.yaml",
            sha256: createHash("sha256").update(other).digest("hex"),
            action: "update",
          },
        ],
        deletions: [],
        vars: { file: PROD_VARS, sha256: createHash("sha256").update("other vars").digest("hex") },
      }),
    });

    const result = await run(root);

    expect(result.deployments[0]?.journalDiscarded).toBe(true);
    expect(paths(result, "restore")).toEqual([]);
    expect(paths(result, "update")).toEqual([`${PROD}/profiles/asmith.yaml`]);
    expect(await readFile(alicePath, "utf8")).toBe(original);
  });

  it("counts what a completed journal removed", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));
    const vars = await readFile(path.join(root, PROD_VARS));
    // The run that removes bob was killed after writing its journal.
    await writeTree(root, {
      [`${PROD}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [],
        deletions: ["profiles/bjones.yaml"],
        vars: { file: PROD_VARS, sha256: createHash("sha256").update(vars).digest("hex") },
      }),
    });

    const result = await run(root, { allowProfileDeletion: ["bjones"] });

    expect(result.deployments[0]?.journalPending).toBe(true);
    expect(paths(result, "remove")).toContain(`${PROD}/profiles/bjones.yaml`);
    expect(result.unmatchedAllowances).toBeUndefined();
  });

  it("says a blocked run completed an interrupted one first", async () => {
    const DEV_VARS = "vars/dev-eu-west-1.yaml";
    const dev = (users = [ALICE, BOB]) => varsText({ environment: "dev", region: "eu-west-1", users });
    const root = await makeRepo({ [PROD_VARS]: varsText(), [DEV_VARS]: dev() });
    await run(root);
    const vars = await readFile(path.join(root, PROD_VARS));
    const alice = await readFile(path.join(root, PROD, "profiles/asmith.yaml"), "utf8");
    // A prod run was killed after writing its journal; then bob left dev's vars.
    await writeTree(root, {
      [`${PROD}/.cake-tmp-1-a`]: alice,
      [`${PROD}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-a", to: "profiles/asmith.yaml" }],
        deletions: [],
        vars: { file: PROD_VARS, sha256: createHash("sha256").update(vars).digest("hex") },
      }),
      [DEV_VARS]: dev([ALICE]),
    });

    const attempt = run(root);

    await expect(attempt).rejects.toThrow(
      "nothing more was written, after completing the interrupted reconcile of prod-us-east-1 (1 file written, 0 removed):",
    );
    await expect(attempt).rejects.toMatchObject({
      interruptedRunsCompleted: [{ deployment: "prod-us-east-1", written: 1, removed: 0 }],
    });
    expect(await listTree(path.join(root, PROD))).not.toContain(JOURNAL_FILE);
  });

  it("rejects a lock held by a live process", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const holder = { pid: process.ppid, hostname: (await import("node:os")).hostname(), command: "user add" };
    await writeFile(
      path.join(root, LOCK_FILE),
      JSON.stringify({ ...holder, startedAt: "2026-01-01T00:00:00Z" }),
    );

    const attempt = run(root);

    await expect(attempt).rejects.toThrow(`pid ${process.ppid}`);
    await expect(attempt).rejects.toThrow("cake user add");
    expect(await listTree(root)).toEqual([LOCK_FILE, PROD_VARS]);
  });

  it("reports and keeps orphaned output", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await run(root);
    await rm(path.join(root, "vars/dev-us-east-1.yaml"));
    const before = await snapshotTree(root);

    const checked = await run(root, { check: true });
    const reconciled = await run(root);

    expect(checked.drift).toBe(true);
    expect(checked.deployments.find((report) => report.orphan)?.folder).toBe("deployments/dev-us-east-1");
    expect(reconciled.deployments.find((report) => report.orphan)?.changes).toEqual([]);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("prunes orphaned output with its Profiles allowed", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await run(root);
    await rm(path.join(root, "vars/dev-us-east-1.yaml"));

    const blocked = run(root, { pruneOrphans: true });
    await expect(blocked).rejects.toThrow('Profile "asmith" would leave the output');
    await expect(blocked).rejects.toThrow(
      "Its vars file was deleted: to keep the deployment, restore the vars file",
    );
    await expect(blocked).rejects.not.toThrow("set disabled: true");
    await run(root, { pruneOrphans: true, allowProfileDeletion: ["asmith", "bjones", "ml-prod"] });

    await expect(stat(path.join(root, "deployments/dev-us-east-1"))).rejects.toThrow();
    expect(await listTree(path.join(root, PROD))).toContain("profiles/asmith.yaml");
  });

  it("reconciles only the named deployment", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });

    const result = await run(root, { deployments: ["dev-us-east-1"] });

    expect(result.deployments.map((report) => report.name)).toEqual(["dev-us-east-1"]);
    await expect(stat(path.join(root, PROD))).rejects.toThrow();
  });

  it("rejects an unknown deployment name", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const attempt = run(root, { deployments: ["prod-eu-west-1"] });

    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow("prod-eu-west-1");
  });

  it("rejects two vars files for one folder", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText(), "vars/prod-us-east-1.yml": varsText() });

    const attempt = run(root);

    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow("vars/prod-us-east-1.yml");
    expect(await listTree(root)).toEqual([PROD_VARS, "vars/prod-us-east-1.yml"]);
  });

  it("rejects a second vars file for a deployment the cache skips", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await run(root);
    await writeFile(path.join(root, "vars/prod-us-east-1.yml"), varsText({ users: [ALICE] }));
    const before = await snapshotTree(root);

    const attempt = run(root);

    await expect(attempt).rejects.toBeInstanceOf(UsageError);
    await expect(attempt).rejects.toThrow("would both write deployments/prod-us-east-1");
    expect(await snapshotTree(root)).toEqual(before);
    await expect(loadRepo(await resolveLayout(root))).rejects.toThrow("would both write");
  });

  it("rejects files it did not generate", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      [`${PROD}/profiles/asmith.yaml`]: "kind: Profile\n",
    });
    const before = await snapshotTree(root);

    const attempt = run(root);

    await expect(attempt).rejects.toThrow(`${PROD}/profiles/asmith.yaml`);
    expect(await snapshotTree(root)).toEqual(before);
  });
});
