import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { renderText } from "../../src/cli/commands/reconcile.js";
import { LEGACY_VARS_DIR } from "../../src/repo/layout.js";
import { runCake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";
import { listTree, snapshotTree, writeTree } from "../output/tree.js";
import { ALICE, BOB, makeRepo, varsText } from "../output/vars.js";

const execFileAsync = promisify(execFile);
const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PROD = "deployments/prod-us-east-1";
const PROD_VARS = "vars/prod-us-east-1.yaml";

const cake = runCake;

/**
 * Returns a repo with the output of `previous`, where a reconcile of `next` was killed after it
 * renamed the files of `renamed` (all, the manifest's included, when undefined) and deleted
 * those of `deleted`. The repo's vars file then changed to `current`.
 */
async function interruptedRepo(
  previous: string,
  next: string,
  current: string,
  { renamed, deleted = [] }: { renamed?: string[]; deleted?: string[] },
): Promise<string> {
  const reference = await makeRepo({ [PROD_VARS]: next });
  expect((await cake(reference, "reconcile")).code).toBe(0);
  const nextFiles = await snapshotTree(path.join(reference, PROD));
  const root = await makeRepo({ [PROD_VARS]: previous });
  expect((await cake(root, "reconcile")).code).toBe(0);
  const previousFiles = await snapshotTree(path.join(root, PROD));
  const sha256 = (bytes: string): string => createHash("sha256").update(bytes).digest("hex");

  const files: Record<string, string> = { [PROD_VARS]: current };
  const renames: { from: string; to: string; sha256: string }[] = [];
  // The manifest goes last, as reconcile renames it.
  const order = Object.keys(nextFiles).sort(
    (a, b) => Number(a === ".cake-manifest.json") - Number(b === ".cake-manifest.json"),
  );
  for (const file of order) {
    const content = nextFiles[file]?.content ?? "";
    if (previousFiles[file]?.content === content) continue;
    const from = `.cake-tmp-1-${renames.length}`;
    const done = renamed === undefined || renamed.includes(file);
    files[`${PROD}/${done ? file : from}`] = content;
    renames.push({ from, to: file, sha256: sha256(content) });
  }
  const deletions = Object.keys(previousFiles).filter((file) => !Object.hasOwn(nextFiles, file));
  files[`${PROD}/.cake-journal.json`] = JSON.stringify({
    renames,
    deletions,
    vars: { file: PROD_VARS, sha256: sha256(next) },
  });
  await writeTree(root, files);
  for (const file of deleted) await rm(path.join(root, PROD, file));
  return root;
}

describe("cake reconcile", () => {
  it("prints one line per deployment", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const first = await cake(root, "reconcile");
    const second = await cake(root, "reconcile");

    expect(first.code).toBe(0);
    expect(first.stdout.split("\n")[0]).toMatch(/^prod-us-east-1: \d+ written, 0 unchanged, 0 removed$/);
    expect(first.stdout).toContain(`wrote ${PROD}/profiles/asmith.yaml`);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^prod-us-east-1: 0 written, \d+ unchanged, 0 removed\n$/);
  });

  it("regenerates application after repo_path changes", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const application = path.join(root, PROD, "argocd/application.yaml");
    expect((await cake(root, "reconcile")).code).toBe(0);

    // The vars file and the output are unchanged, so only repo_path can make this run write.
    await writeFile(path.join(root, "cake.yaml"), "repo_path: platform/ops\n");
    const moved = await cake(root, "reconcile");

    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(`wrote ${PROD}/argocd/application.yaml`);
    expect(await readFile(application, "utf8")).toContain(`path: platform/ops/${PROD}\n`);
  });

  it("lists many paths only with --verbose", async () => {
    const many = Array.from({ length: 25 }, (_, index) => ({
      email: `u${index}@example.com`,
      username: `u${index}`,
    }));
    const quiet = await makeRepo({ [PROD_VARS]: varsText({ users: many }) });
    const verbose = await makeRepo({ [PROD_VARS]: varsText({ users: many }) });

    const quietResult = await cake(quiet, "reconcile");
    const verboseResult = await cake(verbose, "reconcile", "--verbose");

    // The summary, then the reminder to apply the new argocd/ folder; no file list.
    const lines = quietResult.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("argocd/ changed");
    expect(verboseResult.stdout).toContain(`wrote ${PROD}/profiles/u24.yaml`);
  });

  it("reports invalid vars with positions", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText().replace("bob@example.com", "bob at example") });

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/vars\/prod-us-east-1\.yaml:\d+:\d+: error \[invalid-email\]/);
    expect(result.stderr).not.toContain("    at ");
    expect(await listTree(root)).toEqual([PROD_VARS]);
  });

  it("puts an error before many warnings", async () => {
    // 30 upper-case emails give 30 warnings; the error must not be lost among them.
    const users = Array.from({ length: 30 }, (_, index) => ({
      email: `User.${index}@example.com`,
      username: `u${index}`,
      allowed_namespaces: [],
    }));
    const text = varsText({ users }).replace("email: User.29@example.com", "email: not-an-email");
    const root = await makeRepo({ [PROD_VARS]: text });

    const result = await cake(root, "reconcile", "--check");
    const lines = result.stderr.split("\n");

    expect(result.code).toBe(1);
    expect(lines[0]).toMatch(/^vars\/prod-us-east-1\.yaml:\d+:\d+: error \[invalid-email\]/);
    expect(result.stderr).toContain('19 more warnings not shown; run "cake validate" to list every warning.');
    expect(result.stderr).toContain("1 error, 29 warnings in 1 file");
  });

  it("check exits 1 on drift", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    await writeFile(path.join(root, PROD, "profiles/asmith.yaml"), "# Generated by cake from x\nedited\n");
    const before = await snapshotTree(root);

    const result = await cake(root, "reconcile", "--check");

    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`hand-edited ${PROD}/profiles/asmith.yaml`);
    expect(result.stderr).toContain("cake reconcile");
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("asks to apply no argocd folder it pruned", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await cake(root, "reconcile");
    await rm(path.join(root, "vars/dev-us-east-1.yaml"));

    const pruned = await cake(
      root,
      "reconcile",
      "--prune-orphans",
      "--allow-profile-deletion=asmith,bjones,ml-prod",
    );

    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain("dev-us-east-1:");
    expect(pruned.stdout).not.toContain("kubectl apply");
  });

  it("retires a deployment with DEPLOYMENT/*", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await cake(root, "reconcile");
    await rm(path.join(root, "vars/dev-us-east-1.yaml"));

    const other = await cake(
      root,
      "reconcile",
      "--prune-orphans",
      "--allow-profile-deletion=prod-us-east-1/*",
    );
    const pruned = await cake(
      root,
      "reconcile",
      "--prune-orphans",
      "--allow-profile-deletion=dev-us-east-1/*",
    );

    expect(other.code).toBe(1);
    expect(other.stderr).toContain("--allow-profile-deletion='dev-us-east-1/*'");
    expect(pruned.code).toBe(0);
    expect(existsSync(path.join(root, "deployments/dev-us-east-1"))).toBe(false);
  });

  it("check names --prune-orphans for orphaned output", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await cake(root, "reconcile");
    await rm(path.join(root, "vars/dev-us-east-1.yaml"));

    const result = await cake(root, "reconcile", "--check");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `run "cake reconcile --prune-orphans --allow-profile-deletion='dev-us-east-1/*'" to delete the output`,
    );
  });

  it("repeats layout options in prune commands", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }),
    });
    await cake(root, "reconcile");
    await rm(path.join(root, "vars/dev-us-east-1.yaml"));
    const parent = path.dirname(root);
    const flags = ["--repo", path.basename(root)];
    const prune = (names: string) =>
      `"cake reconcile ${flags.join(" ")} --prune-orphans --allow-profile-deletion='${names}'"`;

    const check = await cake(parent, "reconcile", "--check", ...flags);
    const kept = await cake(parent, "reconcile", ...flags);
    await rm(path.join(root, PROD_VARS));
    const none = await cake(parent, "reconcile", ...flags);

    expect(check.stdout).toContain(
      `dev-us-east-1: output of a deleted vars file (to delete it and its Profiles, run ${prune("dev-us-east-1/*")})`,
    );
    expect(kept.stdout).toContain(
      `dev-us-east-1: output of a deleted vars file, kept (to delete it and its Profiles, run ${prune("dev-us-east-1/*")})`,
    );
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`run ${prune("dev-us-east-1/*,prod-us-east-1/*")}.`);
    const pruned = await cake(
      parent,
      "reconcile",
      ...flags,
      "--prune-orphans",
      "--allow-profile-deletion=dev-us-east-1/*,prod-us-east-1/*",
    );
    expect(pruned.code).toBe(0);
    expect(existsSync(path.join(root, PROD))).toBe(false);
  });

  it("check exits 0 when current", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");

    const result = await cake(root, "reconcile", "--check");

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("prod-us-east-1: up to date\n");
  });

  it("says nothing of writing when --check finds errors", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText().replace("bob@example.com", "bob at example.com") });

    const check = await cake(root, "reconcile", "--check");
    const run = await cake(root, "reconcile");

    expect(check.code).toBe(1);
    expect(check.stderr).toContain("cake: the vars files have errors; fix the errors above.");
    expect(run.stderr).toContain(
      "cake: the vars files have errors, so nothing was written; fix the errors above.",
    );
  });

  it.each(["varz", "empty"])("rejects a vars folder without vars files beside output: %s", async (folder) => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    await mkdir(path.join(root, "empty"));
    const before = await snapshotTree(root);

    const check = await cake(root, "reconcile", "--check", "--vars-dir", folder);
    const run = await cake(root, "reconcile", "--vars-dir", folder);

    expect(check.code).toBe(2);
    expect(check.stderr).toContain(
      `no vars files (*.yaml, *.yml) found in ${folder}, beside generated output`,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `"cake reconcile --vars-dir ${folder} --prune-orphans --allow-profile-deletion='prod-us-east-1/*'"`,
    );
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("points at the cookiecutter vars folder instead of a prune", async () => {
    const root = await makeRepo({ [`${LEGACY_VARS_DIR}/prod-us-east-1.yaml`]: varsText() });
    expect((await cake(root, "reconcile", "--vars-dir", LEGACY_VARS_DIR)).code).toBe(0);

    const check = await cake(root, "reconcile", "--check");

    expect(check.code).toBe(2);
    expect(check.stderr).toContain(
      `the vars files are in ${LEGACY_VARS_DIR}: pass --vars-dir ${LEGACY_VARS_DIR}`,
    );
    expect(check.stderr).not.toContain("--prune-orphans");
  });

  it("points at the cookiecutter vars folder before any output", async () => {
    const root = await makeRepo({ [`${LEGACY_VARS_DIR}/prod-us-east-1.yaml`]: varsText() });
    const hint = `the vars files are in ${LEGACY_VARS_DIR}: pass --vars-dir ${LEGACY_VARS_DIR}`;

    for (const args of [["reconcile"], ["validate"], ["user", "list"], ["namespace", "list"]]) {
      const result = await cake(root, ...args);

      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toContain(hint);
    }
    const grant = await cake(root, "user", "disable", "--deployment", "all", "--email", "bob@example.com");
    expect(grant.stderr).toContain(hint);
  });

  it("prunes every deployment when asked", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    await rm(path.join(root, "vars"), { recursive: true });

    const pruned = await cake(
      root,
      "reconcile",
      "--prune-orphans",
      "--allow-profile-deletion=prod-us-east-1/*",
    );

    expect(pruned.code).toBe(0);
    expect(await listTree(root)).toEqual([]);
  });

  it("explains that reconcile takes no --deployment all", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const result = await cake(root, "reconcile", "--deployment", "all");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Leave out --deployment to reconcile every deployment.");
  });

  it("check names the flag a removal needs", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));

    const check = await cake(root, "reconcile", "--check");
    const advised = await cake(root, "reconcile", "--allow-profile-deletion=prod-us-east-1/bjones");

    expect(check.code).toBe(1);
    expect(check.stderr).toContain(
      'run "cake reconcile --allow-profile-deletion=prod-us-east-1/bjones" to update it ' +
        '(reconcile asks for the flag because those Profiles leave the output; "cake plan" shows why).',
    );
    expect(advised.code).toBe(0);
  });

  it("check on empty output writes nothing", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const result = await cake(root, "reconcile", "--check");

    expect(result.code).toBe(1);
    expect(await listTree(root)).toEqual([PROD_VARS]);
  });

  it.each([
    ["a torn staged file", "current", ["profiles/asmith.yaml"]],
    ["changed vars", "other", []],
  ])("reports a journal discarded for %s in JSON", async (_case, vars, torn) => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    const sha256 = (bytes: string | Buffer): string => createHash("sha256").update(bytes).digest("hex");
    const varsBytes = vars === "current" ? await readFile(path.join(root, PROD_VARS)) : "other vars";
    // A run killed after its journal, whose staged file a power loss left empty.
    await writeTree(root, {
      [`${PROD}/.cake-tmp-1-a`]: "",
      [`${PROD}/.cake-journal.json`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-a", to: "profiles/asmith.yaml", sha256: sha256("staged bytes\n") }],
        deletions: [],
        vars: { file: PROD_VARS, sha256: sha256(varsBytes) },
      }),
    });

    const result = await cake(root, "reconcile", "--format", "json");
    const deployment = JSON.parse(result.stdout).deployments[0];

    expect(result.code).toBe(0);
    expect(deployment.journalDiscarded).toBe(true);
    expect(deployment.journalTorn).toEqual(torn);
    expect(deployment.journalPending).toBe(false);
  });

  it.each(["text", "json"])("lists what a torn run renamed, in %s", async (format) => {
    const next = varsText({ namespaces: ["ml-prod", "ml-dev"] });
    const reference = await makeRepo({ [PROD_VARS]: next });
    expect((await cake(reference, "reconcile")).code).toBe(0);
    const nextBytes = async (file: string): Promise<string> =>
      readFile(path.join(reference, PROD, file), "utf8");
    const sha256 = (bytes: string): string => createHash("sha256").update(bytes).digest("hex");
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    await writeFile(path.join(root, PROD_VARS), next);
    // A run of the new vars renamed two files into place before a power loss stopped it and
    // emptied its staged manifest.
    const renamed = ["kustomization.yaml", "profiles/ml-dev.yaml"];
    const manifest = await nextBytes(".cake-manifest.json");
    const files: Record<string, string> = { [`${PROD}/.cake-tmp-1-c`]: "" };
    const renames: { from: string; to: string; sha256: string }[] = [];
    for (const [index, file] of renamed.entries()) {
      const bytes = await nextBytes(file);
      files[`${PROD}/${file}`] = bytes;
      renames.push({ from: `.cake-tmp-1-${index}`, to: file, sha256: sha256(bytes) });
    }
    renames.push({ from: ".cake-tmp-1-c", to: ".cake-manifest.json", sha256: sha256(manifest) });
    await writeTree(root, {
      ...files,
      [`${PROD}/.cake-journal.json`]: JSON.stringify({
        renames,
        deletions: [],
        vars: { file: PROD_VARS, sha256: sha256(next) },
      }),
    });

    const result = await cake(root, "reconcile", "--format", format);

    expect(result.code).toBe(0);
    if (format === "json") {
      const deployment = JSON.parse(result.stdout).deployments[0];
      expect(deployment.written).toEqual(renamed);
      expect(deployment.journalWritten).toEqual(renamed);
      expect(deployment.journalTorn).toEqual([".cake-manifest.json"]);
      expect(deployment.journalDiscarded).toBe(true);
    } else {
      expect(result.stdout).toContain("prod-us-east-1: 2 written,");
      expect(result.stdout).toContain(
        "the interrupted reconcile had written 2 files before it stopped; this report counts them with this run's changes",
      );
      expect(result.stdout).toContain(
        `wrote ${PROD}/kustomization.yaml\n  wrote ${PROD}/profiles/ml-dev.yaml\n`,
      );
    }
  });

  it.each(["text", "json"])("lists what a discarded run removed, in %s", async (format) => {
    const carol = { email: "carol@example.com", username: "cwu" };
    // The run that removed bob and carol deleted bob's file and was killed; then ml-dev was added.
    const root = await interruptedRepo(
      varsText({ users: [ALICE, BOB, carol] }),
      varsText({ users: [ALICE] }),
      varsText({ users: [ALICE], namespaces: ["ml-prod", "ml-dev"] }),
      { deleted: ["profiles/bjones.yaml"] },
    );

    const result = await cake(root, "reconcile", "--format", format);

    expect(result.code).toBe(0);
    if (format === "json") {
      const deployment = JSON.parse(result.stdout).deployments[0];
      expect(deployment.removed).toEqual(["profiles/bjones.yaml", "profiles/cwu.yaml"]);
      expect(deployment.journalRemoved).toEqual(["profiles/bjones.yaml"]);
    } else {
      expect(result.stdout).toContain(", 2 removed\n");
      expect(result.stdout).toContain(
        "the interrupted reconcile had written 2 files and removed 1 file before it stopped; " +
          "this report counts them with this run's changes",
      );
      expect(result.stdout).toContain(`removed ${PROD}/profiles/bjones.yaml\n`);
    }
  });

  it.each(["text", "json"])("names what an interrupted run changed when blocked, in %s", async (format) => {
    const renamed = ["kustomization.yaml", "profiles/ml-dev.yaml"];
    // The run that added ml-dev renamed two files and was killed; then bob left the vars.
    const root = await interruptedRepo(
      varsText(),
      varsText({ namespaces: ["ml-prod", "ml-dev"] }),
      varsText({ namespaces: ["ml-prod", "ml-dev"], users: [ALICE] }),
      { renamed },
    );

    const result = await cake(root, "reconcile", "--format", format);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "cake: nothing was written, but an interrupted reconcile of prod-us-east-1 had changed files before it stopped (listed below):\n",
    );
    expect(result.stderr).toContain(
      "  prod-us-east-1: the interrupted reconcile changed these files, and they stay as it left them. " +
        "The first reconcile that gets past the checks above discards its journal and reports them:\n" +
        `    wrote ${PROD}/kustomization.yaml\n    wrote ${PROD}/profiles/ml-dev.yaml\n`,
    );
    if (format === "json") {
      expect(JSON.parse(result.stdout).blocked.interruptedRunsChanged).toEqual([
        { deployment: "prod-us-east-1", folder: PROD, written: renamed, removed: [] },
      ]);
    }
  });

  it("writes JSON with --format json", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");

    const result = await cake(root, "reconcile", "--check", "--format", "json");

    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.upToDate).toBe(true);
    expect(data.deployments[0].name).toBe("prod-us-east-1");
    expect(data.deployments[0].stale).toEqual([]);
    expect(data.deployments[0].missing).toEqual([]);
    expect(data.deployments[0].extra).toEqual([]);
    expect(data.deployments[0].handEdited).toEqual([]);
    expect(data.diagnostics[0].code).toBe("email-uppercase");
  });

  it.each([
    ["a quoted key", (text: string) => text.replace("  email: Alice", '  "email": Alice')],
    [
      "a user entry in flow style",
      (text: string) =>
        text.replace(
          /^ {4}- roles:[\s\S]*?username: asmith\n/m,
          "    - {email: Alice.Smith@example.com, username: asmith, roles: [cake-user]}\n",
        ),
    ],
  ])("gives the position of a warning at %s", async (_name, edit) => {
    const text = edit(varsText());
    expect(text).not.toBe(varsText());
    const root = await makeRepo({ [PROD_VARS]: text });

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^vars\/prod-us-east-1\.yaml:\d+:\d+: warning \[email-uppercase\]/);
  });

  it("lists written files in JSON", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const result = await cake(root, "reconcile", "--format", "json");

    expect(result.code).toBe(0);
    const data = JSON.parse(result.stdout);
    expect(data.deployments[0].written).toContain("profiles/asmith.yaml");
    expect(data.deployments[0].removed).toEqual([]);
    expect(data.deployments[0].restored).toEqual([]);
  });

  it("reminds to apply a changed argocd folder", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    const vars = await readFile(path.join(root, PROD_VARS), "utf8");
    await writeFile(
      path.join(root, PROD_VARS),
      vars.replace("gitops:\n", "gitops:\n  target_revision: release\n"),
    );

    const changed = await cake(root, "reconcile");
    const again = await cake(root, "reconcile", "--format", "json");

    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain(`wrote ${PROD}/argocd/application.yaml`);
    expect(changed.stdout).toContain(
      `${PROD}/argocd/ changed, and Argo CD does not sync it: apply it when this change merges, ` +
        `with kubectl apply -k ${PROD}/argocd`,
    );
    expect(JSON.parse(again.stdout).deployments[0].argocdChanged).toBe(false);
  });

  describe("a folder cake did not write", () => {
    const TOOLS = "deployments/tools";
    const foreign = {
      [`${TOOLS}/kustomization.yaml`]: "resources:\n  - crb.yaml\n",
      [`${TOOLS}/crb.yaml`]: "kind: ClusterRoleBinding\n",
    };

    it("fails the check", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeTree(root, foreign);

      const check = await cake(root, "reconcile", "--check");
      const json = await cake(root, "reconcile", "--check", "--format", "json");

      expect(check.code).toBe(1);
      expect(check.stdout).toContain("prod-us-east-1: up to date");
      expect(check.stderr).toContain(`cake: warning: ${TOOLS} is not cake output`);
      expect(check.stderr).toContain("deployments/ holds folders that cake did not write");
      expect(check.stderr).not.toContain("out of date");
      expect(JSON.parse(json.stdout).foreignFolders).toEqual([TOOLS]);
      expect(JSON.parse(json.stdout).upToDate).toBe(false);
    });

    it("warns and keeps it on reconcile", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText(), ...foreign });

      const result = await cake(root, "reconcile");

      expect(result.code).toBe(0);
      expect(result.stderr).toContain(`cake: warning: ${TOOLS} is not cake output`);
      expect(await readFile(path.join(root, TOOLS, "crb.yaml"), "utf8")).toBe(foreign[`${TOOLS}/crb.yaml`]);
    });

    it("flags a symlinked folder", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      await mkdir(path.join(root, "deployments"), { recursive: true });
      await symlink("/tmp", path.join(root, "deployments", "linked"));

      const check = await cake(root, "reconcile", "--check", "--format", "json");

      expect(JSON.parse(check.stdout).foreignFolders).toEqual(["deployments/linked"]);
      expect(check.stderr).toContain("deployments/linked is a symlink");
    });

    it("ignores a folder with only .gitkeep", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText(), "deployments/later/.gitkeep": "" });
      expect((await cake(root, "reconcile")).code).toBe(0);

      const check = await cake(root, "reconcile", "--check");

      expect(check.code).toBe(0);
      expect(check.stderr).not.toContain("deployments/later");
    });

    it("ignores an empty folder", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await mkdir(path.join(root, "deployments", "empty"));

      const check = await cake(root, "reconcile", "--check");

      expect(check.code).toBe(0);
      expect(check.stderr).not.toContain("deployments/empty");
    });

    it("is not reported for one deployment", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText(), ...foreign });

      const result = await cake(root, "reconcile", "--deployment", "prod-us-east-1");

      expect(result.code).toBe(0);
      expect(result.stderr).not.toContain(TOOLS);
    });
  });

  describe("a Profile that changes hands", () => {
    const swapped = varsText({
      users: [
        { ...ALICE, username: BOB.username },
        { ...BOB, username: ALICE.username },
      ],
    });

    it("blocks swapped usernames", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), swapped);
      const before = await snapshotTree(root);

      const result = await cake(root, "reconcile", "--format", "json");

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).blocked.profileHandovers).toEqual([
        { deployment: "prod-us-east-1", profile: "asmith", from: ALICE.email, to: BOB.email },
        { deployment: "prod-us-east-1", profile: "bjones", from: BOB.email, to: ALICE.email },
      ]);
      expect(result.stderr).toContain('Profile "asmith" would change hands');
      expect(result.stderr).toContain("--allow-profile-handover=prod-us-east-1/asmith");
      expect(await snapshotTree(root)).toEqual(before);
    });

    it("check names the handover flag", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), swapped);

      const check = await cake(root, "reconcile", "--check");
      const advised = await cake(
        root,
        "reconcile",
        "--allow-profile-handover=prod-us-east-1/asmith,prod-us-east-1/bjones",
      );

      expect(check.code).toBe(1);
      expect(check.stderr).toContain(
        'run "cake reconcile --allow-profile-handover=prod-us-east-1/asmith,prod-us-east-1/bjones" to update it ' +
          '(reconcile asks for the flag because those Profiles change hands; "cake plan" shows why).',
      );
      expect(advised.code, advised.stderr).toBe(0);
    });

    it("check names deletion and handover flags", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(
        path.join(root, PROD_VARS),
        varsText({ users: [{ ...BOB, username: ALICE.username }] }),
      );

      const check = await cake(root, "reconcile", "--check", "--repo", root);

      expect(check.code).toBe(1);
      expect(check.stderr).toContain(
        `run "cake reconcile --repo ${root} --allow-profile-deletion=prod-us-east-1/bjones ` +
          '--allow-profile-handover=prod-us-east-1/asmith" to update it (reconcile asks for these flags because ' +
          `those Profiles leave the output or change hands; "cake plan --repo ${root}" shows why).`,
      );
    });

    it("check allows many handovers at once", async () => {
      const users = (domain: string) =>
        Array.from({ length: 11 }, (_, index) => ({ email: `u${index}@${domain}`, username: `u${index}` }));
      const root = await makeRepo({ [PROD_VARS]: varsText({ users: users("example.com") }) });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), varsText({ users: users("example.org") }));

      const check = await cake(root, "reconcile", "--check");
      const advised = await cake(root, "reconcile", "--allow-profile-handover=prod-us-east-1/*");

      expect(check.code).toBe(1);
      expect(check.stderr).toContain(
        `run "cake reconcile --allow-profile-handover='prod-us-east-1/*'" to update it`,
      );
      expect(advised.code, advised.stderr).toBe(0);
    });

    it("hands over the Profiles it names", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), swapped);

      const result = await cake(
        root,
        "reconcile",
        "--allow-profile-handover",
        "asmith,prod-us-east-1/bjones",
      );

      expect(result.code).toBe(0);
      const manifest = JSON.parse(await readFile(path.join(root, PROD, ".cake-manifest.json"), "utf8"));
      expect(manifest.profileUsers).toEqual({ asmith: BOB.email, bjones: ALICE.email });
    });

    it("blocks a private profile turned shared", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      const shared = varsText({
        namespaces: ["ml-prod", "bjones"],
        users: [ALICE, { ...BOB, username: "bob-j" }],
      });
      await writeFile(path.join(root, PROD_VARS), shared);

      const result = await cake(root, "reconcile", "--format", "json");

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).blocked.profileHandovers).toEqual([
        { deployment: "prod-us-east-1", profile: "bjones", from: BOB.email, to: null },
      ]);
    });

    it("summarizes a new email domain", async () => {
      const users = (domain: string) =>
        Array.from({ length: 12 }, (_, index) => ({
          email: `user${index}@${domain}`,
          username: `user${index}`,
        }));
      const root = await makeRepo({ [PROD_VARS]: varsText({ users: users("example.com") }) });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), varsText({ users: users("example.org") }));

      const blocked = await cake(root, "reconcile");
      const allowed = await cake(root, "reconcile", "--allow-profile-handover=prod-us-east-1/*");

      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain("and 2 more Profiles would change hands");
      expect(blocked.stderr).toContain("--allow-profile-handover=prod-us-east-1/*");
      expect(allowed.code).toBe(0);
    });

    /** Returns a git repo whose prod deployment was generated, then retired with --prune-orphans. */
    async function retiredRepo(): Promise<TempRepo> {
      const repo = await createGitRepo();
      await repo.write({ [PROD_VARS]: varsText() });
      expect((await cake(repo.dir, "reconcile")).code).toBe(0);
      await repo.commit("output");
      await repo.remove(PROD_VARS);
      const pruned = await cake(
        repo.dir,
        "reconcile",
        "--prune-orphans",
        "--allow-profile-deletion=prod-us-east-1/*",
      );
      expect(pruned.code).toBe(0);
      await repo.commit("retire prod");
      return repo;
    }

    it("blocks a handover in a pruned deployment that comes back", async () => {
      const repo = await retiredRepo();
      await repo.write({ [PROD_VARS]: swapped });
      const before = await snapshotTree(repo.dir);

      const blocked = await cake(repo.dir, "reconcile", "--format", "json");
      const unchanged = await snapshotTree(repo.dir);
      const allowed = await cake(repo.dir, "reconcile", "--allow-profile-handover=asmith,bjones");

      expect(blocked.code).toBe(1);
      expect(JSON.parse(blocked.stdout).blocked.profileHandovers).toEqual([
        { deployment: "prod-us-east-1", profile: "asmith", from: ALICE.email, to: BOB.email, earlier: true },
        { deployment: "prod-us-east-1", profile: "bjones", from: BOB.email, to: ALICE.email, earlier: true },
      ]);
      expect(unchanged).toEqual(before);
      expect(allowed.code).toBe(0);
    });

    it("keeps Profiles of a pruned deployment recorded as removed", async () => {
      const repo = await retiredRepo();
      await repo.write({ [PROD_VARS]: varsText({ users: [ALICE] }) });

      expect((await cake(repo.dir, "reconcile")).code).toBe(0);

      const manifest = JSON.parse(await readFile(path.join(repo.dir, PROD, ".cake-manifest.json"), "utf8"));
      expect(manifest.removedProfiles).toEqual({ bjones: BOB.email });
    });

    it("guards the committed Profiles of a deployment folder deleted in the working tree", async () => {
      const repo = await createGitRepo();
      await repo.write({ [PROD_VARS]: varsText() });
      expect((await cake(repo.dir, "reconcile")).code).toBe(0);
      await repo.commit("output");
      await repo.write({ [PROD_VARS]: varsText({ users: [ALICE] }) });
      await rm(path.join(repo.dir, PROD), { recursive: true });
      const before = await snapshotTree(repo.dir);

      const checked = await cake(repo.dir, "reconcile", "--check");
      const blocked = await cake(repo.dir, "reconcile");
      const afterBlock = await snapshotTree(repo.dir);
      // Staging made the folder; a refused run takes it away again.
      const folderAfterBlock = existsSync(path.join(repo.dir, PROD));
      const allowed = await cake(repo.dir, "reconcile", "--allow-profile-deletion=bjones");

      expect(checked.code).toBe(1);
      expect(checked.stderr).toContain('run "cake reconcile --allow-profile-deletion=prod-us-east-1/bjones"');
      expect(checked.stdout).toContain(`missing ${PROD}/.cake-manifest.json (would be written)`);
      expect(checked.stdout).not.toContain("stale");
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toContain('Profile "bjones" would leave the output');
      expect(afterBlock).toEqual(before);
      expect(folderAfterBlock).toBe(false);
      expect(allowed.code).toBe(0);
      const manifest = JSON.parse(await readFile(path.join(repo.dir, PROD, ".cake-manifest.json"), "utf8"));
      expect(manifest.removedProfiles).toEqual({ bjones: BOB.email });
    });

    it("says a renamed user's Profile leaves because of the rename", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(
        path.join(root, PROD_VARS),
        varsText({ users: [ALICE, { ...BOB, username: "bob-j" }] }),
      );

      const result = await cake(root, "reconcile", "--format", "json");

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).blocked.profileDeletions).toEqual([
        { deployment: "prod-us-east-1", profile: "bjones", orphan: false, renamedTo: "bob-j" },
      ]);
      expect(result.stderr).toContain('Its user\'s username changed to "bob-j"');
      expect(result.stderr).not.toContain("set disabled: true");
    });

    it("names an allowance that matched nothing", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), swapped);

      const text = await cake(
        root,
        "reconcile",
        "--allow-profile-handover=asmith,bjones,typo",
        "--format",
        "json",
      );

      expect(text.code).toBe(0);
      expect(text.stderr).toContain(
        '--allow-profile-handover named "typo", but no such Profile changes hands',
      );
      expect(JSON.parse(text.stdout).unmatchedHandoverAllowances).toEqual(["typo"]);
    });

    it("names a misspelt allowance when blocked", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), swapped);

      const result = await cake(root, "reconcile", "--allow-profile-handover=asmth", "--format", "json");

      expect(result.code).toBe(1);
      expect(JSON.parse(result.stdout).blocked.unmatchedHandoverAllowances).toEqual(["asmth"]);
      expect(result.stderr).toContain('--allow-profile-handover named "asmth"');
    });

    it("names the code points of look-alike emails", async () => {
      const composed = { ...BOB, email: "jos\u00e9@example.com" };
      const root = await makeRepo({ [PROD_VARS]: varsText({ users: [ALICE, composed] }) });
      expect((await cake(root, "reconcile")).code).toBe(0);
      const decomposed = { ...BOB, email: "jose\u0301@example.com" };
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE, decomposed] }));

      const result = await cake(root, "reconcile");

      expect(result.code).toBe(1);
      expect(result.stderr).toContain("written with other Unicode code points (U+00E9 and U+0065 U+0301)");
    });

    it("advises on an email changed in case", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      const lower = { ...ALICE, email: ALICE.email.toLowerCase() };
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [lower, BOB] }));

      const result = await cake(root, "reconcile");

      expect(result.code).toBe(1);
      expect(result.stderr).toContain("The emails differ only in case");
      expect(result.stderr).toContain("--allow-profile-handover=prod-us-east-1/asmith");
    });

    it("remembers a removed Profile's holder", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));
      expect((await cake(root, "reconcile", "--allow-profile-deletion=bjones")).code).toBe(0);
      const manifestPath = path.join(root, PROD, ".cake-manifest.json");
      expect(JSON.parse(await readFile(manifestPath, "utf8")).removedProfiles).toEqual({ bjones: BOB.email });
      const carol = { email: "carol@example.com", username: "bjones" };
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE, carol] }));

      const blocked = await cake(root, "reconcile", "--format", "json");
      const allowed = await cake(root, "reconcile", "--allow-profile-handover=bjones");

      expect(blocked.code).toBe(1);
      expect(JSON.parse(blocked.stdout).blocked.profileHandovers).toEqual([
        { deployment: "prod-us-east-1", profile: "bjones", from: BOB.email, to: carol.email, earlier: true },
      ]);
      expect(blocked.stderr).toContain(
        "it left the output earlier as the private profile of bob@example.com",
      );
      expect(allowed.code).toBe(0);
      expect(JSON.parse(await readFile(manifestPath, "utf8"))).not.toHaveProperty("removedProfiles");
    });

    it("lets a removed user come back", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));
      expect((await cake(root, "reconcile", "--allow-profile-deletion=bjones")).code).toBe(0);
      await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE, BOB] }));

      const result = await cake(root, "reconcile");

      expect(result.code).toBe(0);
    });

    it("is detected from files after a version 1 manifest", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      const manifestPath = path.join(root, PROD, ".cake-manifest.json");
      const { profileUsers: _users, ...older } = JSON.parse(await readFile(manifestPath, "utf8"));
      await writeFile(manifestPath, JSON.stringify({ ...older, manifestVersion: 1 }));
      await writeFile(path.join(root, PROD_VARS), swapped);

      const result = await cake(root, "reconcile");

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Profile "asmith" would change hands');
    });

    describe("after a version 1 manifest", () => {
      const CAROL = { email: "carol@example.com", username: "cwu", disabled: true };
      const MALLORY = { email: "mallory@example.com", username: "cwu" };

      /**
       * Generates the output of `text` and turns its manifest into what cake wrote before
       * holders. `hashed` is the text whose sha256 the manifest records (default `text`).
       */
      async function legacyOutput(root: string, text: string, hashed = text): Promise<void> {
        await mkdir(path.join(root, "vars"), { recursive: true });
        await writeFile(path.join(root, PROD_VARS), text);
        expect((await cake(root, "reconcile")).code).toBe(0);
        const manifestPath = path.join(root, PROD, ".cake-manifest.json");
        const { profileUsers: _users, ...current } = JSON.parse(await readFile(manifestPath, "utf8"));
        const varsSha256 = createHash("sha256").update(hashed).digest("hex");
        await writeFile(manifestPath, JSON.stringify({ ...current, manifestVersion: 1, varsSha256 }));
      }

      it("finds the holders at HEAD", async () => {
        const repo = await createGitRepo();
        const before = varsText({ users: [ALICE, CAROL] });
        await legacyOutput(repo.dir, before);
        await repo.commit("output of an older cake");
        await writeFile(path.join(repo.dir, PROD_VARS), varsText({ users: [ALICE, MALLORY] }));

        const result = await cake(repo.dir, "reconcile");

        expect(result.code).toBe(1);
        expect(result.stderr).toContain('Profile "cwu" would change hands');
        expect(result.stderr).toContain("private profile of carol@example.com");
      });

      it("finds the holders across line endings", async () => {
        const repo = await createGitRepo();
        const before = varsText({ users: [ALICE, CAROL] });
        // The older cake hashed a CRLF checkout (core.autocrlf) of a file committed with LF.
        await legacyOutput(repo.dir, before, before.replace(/\n/g, "\r\n"));
        await repo.commit("output of an older cake");
        await writeFile(path.join(repo.dir, PROD_VARS), varsText({ users: [ALICE, MALLORY] }));

        const result = await cake(repo.dir, "reconcile");

        expect(result.code).toBe(1);
        expect(result.stderr).toContain('Profile "cwu" would change hands');
      });

      it("records the holder of a removed Profile", async () => {
        const repo = await createGitRepo();
        await legacyOutput(repo.dir, varsText({ users: [ALICE, CAROL] }));
        await repo.commit("output of an older cake");
        await writeFile(path.join(repo.dir, PROD_VARS), varsText({ users: [ALICE] }));

        const result = await cake(repo.dir, "reconcile", "--allow-profile-deletion=cwu");
        const manifest = JSON.parse(await readFile(path.join(repo.dir, PROD, ".cake-manifest.json"), "utf8"));

        expect(result.code).toBe(0);
        expect(manifest.removedProfiles).toEqual({ cwu: CAROL.email });
      });

      it("warns when HEAD cannot name the holders", async () => {
        const root = await makeRepo({});
        await legacyOutput(root, varsText({ users: [ALICE, CAROL] }));
        await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE, MALLORY] }));

        const result = await cake(root, "reconcile", "--format", "json");

        expect(result.code).toBe(0);
        expect(JSON.parse(result.stdout).unknownHolders).toEqual([
          "prod-us-east-1/cwu",
          "prod-us-east-1/ml-prod",
        ]);
        expect(JSON.parse(result.stdout).unknownHoldersReasons).toEqual({
          "prod-us-east-1": "the ops repo is not a git repository",
        });
        expect(result.stderr).toContain("cake could not check whether Profiles prod-us-east-1/cwu");
        expect(result.stderr).toContain("prod-us-east-1: the ops repo is not a git repository");
      });

      it("warns when HEAD holds other vars", async () => {
        const repo = await createGitRepo();
        await legacyOutput(repo.dir, varsText({ users: [ALICE, CAROL] }));
        await repo.commit("output of an older cake");
        await repo.commit("vars edited without reconcile", {
          [PROD_VARS]: varsText({ users: [CAROL, ALICE] }),
        });
        await writeFile(path.join(repo.dir, PROD_VARS), varsText({ users: [ALICE, MALLORY] }));

        const result = await cake(repo.dir, "reconcile", "--format", "json");

        expect(result.code).toBe(0);
        expect(JSON.parse(result.stdout).unknownHolders).toContain("prod-us-east-1/cwu");
        expect(JSON.parse(result.stdout).unknownHoldersReasons["prod-us-east-1"]).toContain(
          "at HEAD is not the file the output came from",
        );
      });
    });

    it("trusts profile files over an edited manifest", async () => {
      const root = await makeRepo({ [PROD_VARS]: varsText() });
      expect((await cake(root, "reconcile")).code).toBe(0);
      const manifestPath = path.join(root, PROD, ".cake-manifest.json");
      const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
      const forged = { ...manifest, profileUsers: { asmith: BOB.email, bjones: ALICE.email } };
      await writeFile(manifestPath, `${JSON.stringify(forged, null, 2)}\n`);
      await writeFile(path.join(root, PROD_VARS), swapped);

      const result = await cake(root, "reconcile");

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Profile "bjones" would change hands');
    });
  });

  it("passes check after reordering users", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText({ users: [ALICE, BOB] }) });
    expect((await cake(root, "reconcile")).code).toBe(0);
    const reordered = varsText({ users: [BOB, ALICE] }).replace("# Vars of", "# Reordered vars of");
    await writeFile(path.join(root, PROD_VARS), reordered);

    const check = await cake(root, "reconcile", "--check");

    expect(check.code).toBe(0);
    expect(check.stdout).toContain("prod-us-east-1: up to date");
  });

  it("rewrites a version 1 manifest once", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    const manifestPath = path.join(root, PROD, ".cake-manifest.json");
    const current = JSON.parse(await readFile(manifestPath, "utf8"));
    const older = { ...current, manifestVersion: 1, varsSha256: "0".repeat(64) };
    await writeFile(manifestPath, `${JSON.stringify(older, null, 2)}\n`);

    const first = await cake(root, "reconcile", "--format", "json");
    const second = await cake(root, "reconcile", "--format", "json");

    expect(JSON.parse(first.stdout).deployments[0].manifestChanged).toBe(true);
    expect(JSON.parse(second.stdout).deployments[0].manifestChanged).toBe(false);
    expect(JSON.parse(await readFile(manifestPath, "utf8"))).toEqual(current);
  });

  it("names a version 1 manifest in check", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    const manifestPath = path.join(root, PROD, ".cake-manifest.json");
    const current = JSON.parse(await readFile(manifestPath, "utf8"));
    await writeFile(
      manifestPath,
      JSON.stringify({ ...current, manifestVersion: 1, varsSha256: "0".repeat(64) }),
    );

    const check = await cake(root, "reconcile", "--check");
    const json = await cake(root, "reconcile", "--check", "--format", "json");

    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      `stale ${PROD}/.cake-manifest.json (format of an older cake, rewritten once)`,
    );
    expect(check.stderr).toContain("only manifests in the format of an older cake differ");
    expect(JSON.parse(json.stdout).deployments[0].olderManifest).toBe(true);
  });

  it("rejects a manifest from a newer cake", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    expect((await cake(root, "reconcile")).code).toBe(0);
    const manifestPath = path.join(root, PROD, ".cake-manifest.json");
    const current = JSON.parse(await readFile(manifestPath, "utf8"));
    await writeFile(manifestPath, JSON.stringify({ ...current, manifestVersion: 99, cakeVersion: "9.0.0" }));
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));

    const result = await cake(root, "reconcile", "--allow-profile-deletion", "bjones");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("was written by cake 9.0.0");
    expect(result.stderr).toContain("upgrade cake");
  });

  it("names the argocd folder from the working folder", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const parent = path.dirname(root);
    const repoName = path.basename(root);

    const fromParent = await cake(parent, "reconcile", "--repo", repoName);

    expect(fromParent.code).toBe(0);
    expect(fromParent.stdout).toContain(`with kubectl apply -k ${repoName}/${PROD}/argocd\n`);
  });

  it("names the ApplicationSet beside the argocd reminder", async () => {
    const root = await makeRepo({
      [PROD_VARS]: varsText(),
      "argocd/applicationset.yaml": "# the ApplicationSet of cake init\n",
    });

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "(skip this if the ApplicationSet of argocd/applicationset.yaml syncs this deployment, but edit that file by hand when gitops.repo_url changed, and add a new gitops.destination_server to the destinations of its AppProject)",
    );
  });

  it("quotes an argocd folder path the shell would split", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const spaced = `${root} with space`;
    await rm(spaced, { recursive: true, force: true });
    await execFileAsync("cp", ["-r", root, spaced]);

    const result = await cake(path.dirname(spaced), "reconcile", "--repo", path.basename(spaced));

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`with kubectl apply -k '${path.basename(spaced)}/${PROD}/argocd'\n`);
  });

  it("reports argocdChanged in JSON", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const first = await cake(root, "reconcile", "--format", "json");

    expect(JSON.parse(first.stdout).deployments[0].argocdChanged).toBe(true);
  });

  it("skips argocd reminder for committed files", async () => {
    const repo = await createGitRepo();
    try {
      await repo.write({ [PROD_VARS]: varsText() });
      expect((await cake(repo.dir, "reconcile")).code).toBe(0);
      await repo.commit("Generate the deployment");
      await repo.remove(PROD);

      const recreated = await cake(repo.dir, "reconcile", "--format", "json");

      // GIVEN the committed folder deleted WHEN reconcile writes it again THEN argocd/ is as Argo CD got it.
      expect(recreated.code).toBe(0);
      expect(JSON.parse(recreated.stdout).deployments[0].written).toContain("argocd/application.yaml");
      expect(JSON.parse(recreated.stdout).deployments[0].argocdChanged).toBe(false);
      expect(await repo.git("status", "--porcelain", "--", PROD)).toBe("");

      // GIVEN a new gitops.target_revision as well THEN the re-created argocd/ differs from HEAD.
      await repo.remove(PROD);
      await repo.write({
        [PROD_VARS]: varsText().replace("gitops:\n", "gitops:\n  target_revision: release\n"),
      });
      const changed = await cake(repo.dir, "reconcile");

      expect(changed.code).toBe(0);
      expect(changed.stdout).toContain(`with kubectl apply -k ${PROD}/argocd\n`);
    } finally {
      await repo.cleanup();
    }
  });

  it("skips argocd reminder for a restored file", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    const application = path.join(root, PROD, "argocd/application.yaml");
    await writeFile(
      application,
      (await readFile(application, "utf8")).replace("prune: true", "prune: false"),
    );

    const restored = await cake(root, "reconcile", "--format", "json");

    expect(JSON.parse(restored.stdout).deployments[0].restored).toEqual(["argocd/application.yaml"]);
    expect(JSON.parse(restored.stdout).deployments[0].argocdChanged).toBe(false);
  });

  it("profile removal needs the flag", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));

    const rejected = await cake(root, "reconcile");
    const allowed = await cake(root, "reconcile", "--allow-profile-deletion=bjones,unused");

    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain("--allow-profile-deletion=prod-us-east-1/bjones");
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(`removed ${PROD}/profiles/bjones.yaml`);
    expect(allowed.stderr).toContain(
      'cake: warning: --allow-profile-deletion named "unused", but no such Profile leaves the output',
    );
  });

  it("names a misspelt allowance when blocked", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));

    const text = await cake(root, "reconcile", "--allow-profile-deletion=bjnoes");
    const json = await cake(root, "reconcile", "--allow-profile-deletion=bjnoes", "--format", "json");

    expect(text.code).toBe(1);
    expect(text.stderr).toContain(
      '--allow-profile-deletion named "bjnoes", but no such Profile leaves the output',
    );
    expect(JSON.parse(json.stdout).blocked.unmatchedAllowances).toEqual(["bjnoes"]);
  });

  it("scoped profile deletion names the deployment", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));

    const otherDeployment = await cake(root, "reconcile", "--allow-profile-deletion=dev-us-east-1/bjones");
    const allowed = await cake(root, "reconcile", "--allow-profile-deletion=prod-us-east-1/bjones");

    expect(otherDeployment.code).toBe(1);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(`removed ${PROD}/profiles/bjones.yaml`);
  });

  it("unknown deployment lists cached ones", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");

    const result = await cake(root, "reconcile", "--deployment", "nope");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "known deployments: prod-us-east-1). Use the vars file's name without .yaml.",
    );
    const typo = await cake(root, "reconcile", "--deployment", "prod-us-east1");
    expect(typo.stderr).toContain('(known deployments: prod-us-east-1). Did you mean "prod-us-east-1"?');
  });

  it("unknown deployment suggests names containing it", async () => {
    const root = await makeRepo({
      "vars/dev-eu-west-1.yaml": varsText({ environment: "dev", region: "eu-west-1" }),
      "vars/dev-us-east-1.yaml": varsText({ environment: "dev", region: "us-east-1" }),
      [PROD_VARS]: varsText(),
    });

    const result = await cake(root, "reconcile", "--deployment", "dev");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Did you mean "dev-eu-west-1" or "dev-us-east-1"?');
  });

  it("lists blocked deletions in JSON", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE], owner: "new@example.com" }));

    const result = await cake(root, "reconcile", "--format", "json");

    expect(result.code).toBe(1);
    const data = JSON.parse(result.stdout);
    expect(data.blocked.profileDeletions).toEqual([
      { deployment: "prod-us-east-1", profile: "bjones", orphan: false },
    ]);
    expect(data.blocked.ownerChanges).toEqual([
      { deployment: "prod-us-east-1", from: "kubeflow-platform@example.com", to: "new@example.com" },
    ]);
    expect(data.blocked.conflicts).toEqual([]);
  });

  it("restores a hand-edited file", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    await cake(root, "reconcile");
    const file = path.join(root, PROD, "profiles/asmith.yaml");
    const original = await readFile(file, "utf8");
    await writeFile(file, `${original}# note\n`);

    const result = await cake(root, "reconcile");

    expect(result.stdout).toContain(`restored hand-edited file ${PROD}/profiles/asmith.yaml`);
    expect(result.stdout).toMatch(/1 restored/);
    expect(await readFile(file, "utf8")).toBe(original);
  });

  it("uses the legacy layout by flags", async () => {
    const root = await makeRepo({ [`${LEGACY_VARS_DIR}/prod-us-east-1.yaml`]: varsText() });

    const result = await cake(
      root,
      "reconcile",
      "--vars-dir",
      LEGACY_VARS_DIR,
      "--output-dir",
      "platform/deployments",
    );

    expect(result.code).toBe(0);
    expect(await listTree(path.join(root, "platform/deployments/prod-us-east-1"))).toContain(
      "profiles/asmith.yaml",
    );
  });

  it("uses the legacy layout from cake.yaml", async () => {
    const root = await makeRepo({
      "cake.yaml": `vars_dir: ${LEGACY_VARS_DIR}\noutput_dir: platform/deployments\n`,
      [`${LEGACY_VARS_DIR}/prod-us-east-1.yaml`]: varsText(),
    });

    const result = await cake(root, "reconcile", "--repo", root);

    expect(result.code).toBe(0);
    const text = await readFile(
      path.join(root, "platform/deployments/prod-us-east-1/profiles/asmith.yaml"),
      "utf8",
    );
    expect(text.split("\n")[0]).toContain(`${LEGACY_VARS_DIR}/prod-us-east-1.yaml`);
  });

  it("usage errors exit 2", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const unknown = await cake(root, "reconcile", "--deployment", "nope-1");
    const badWait = await cake(root, "reconcile", "--wait", "soon");
    const badFormat = await cake(root, "reconcile", "--format", "xml");

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"nope-1"');
    expect(badWait.code).toBe(2);
    expect(badFormat.code).toBe(2);
    await expect(stat(path.join(root, "deployments"))).rejects.toThrow();
  });

  it("rejects a missing repo folder", async () => {
    const root = await makeRepo({});

    const result = await cake(root, "reconcile", "--repo", path.join(root, "missing"));

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(path.join(root, "missing"));
  });

  it("rejects --check with --prune-orphans", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });

    const result = await cake(root, "reconcile", "--check", "--prune-orphans");

    expect(result.code).toBe(2);
  });

  it("reports a file in place of the output folder", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText(), deployments: "not a folder\n" });

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "cake: deployments is a file, but cake writes the deployment folders there",
    );
    expect(result.stderr).not.toContain("    at ");
  });

  it("reports a file in place of the folder", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText(), [PROD]: "not a folder\n" });

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is a file");
    expect(result.stderr).not.toContain("    at ");
  });
});

describe("cake binary", () => {
  beforeAll(async () => {
    // tsc still emits when files elsewhere in the project have type errors; those are checked by typecheck.
    await execFileAsync("npm", ["run", "build"], { cwd: PROJECT_ROOT }).catch(async (error: unknown) => {
      if (!(await stat(path.join(PROJECT_ROOT, "dist/cli/main.js")).catch(() => undefined))) throw error;
    });
  }, 120_000);

  it("reconciles through bin/cake.js", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const bin = path.join(PROJECT_ROOT, "bin/cake.js");

    const written = await execFileAsync(process.execPath, [bin, "reconcile"], { cwd: root });
    const checked = await execFileAsync(process.execPath, [bin, "reconcile", "--check"], { cwd: root });

    expect(written.stdout).toMatch(/^prod-us-east-1: \d+ written/);
    expect(checked.stdout).toBe("prod-us-east-1: up to date\n");
    await writeFile(path.join(root, PROD_VARS), varsText({ users: [ALICE] }));
    const rejected = await execFileAsync(process.execPath, [bin, "reconcile"], { cwd: root }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect("code" in rejected ? rejected.code : 0).toBe(1);
    expect(rejected.stderr).toContain('Profile "bjones"');
  });

  describe("render workers", () => {
    const manyUsers = Array.from({ length: 60 }, (_, index) => ({
      email: `user.${index}@example.com`,
      username: `user${index}`,
      allowed_namespaces: index % 3 === 0 ? ["ml-prod"] : [],
    }));
    const vars = varsText({ users: manyUsers });
    const bin = path.join(PROJECT_ROOT, "bin/cake.js");
    const withWorkers = (count: string) => ({ env: { ...process.env, CAKE_RENDER_WORKERS: count } });

    it("write the same bytes as the main thread", async () => {
      const sequential = await makeRepo({ [PROD_VARS]: vars });
      const parallel = await makeRepo({ [PROD_VARS]: vars });

      await execFileAsync(process.execPath, [bin, "reconcile"], { cwd: sequential, ...withWorkers("0") });
      await execFileAsync(process.execPath, [bin, "reconcile"], { cwd: parallel, ...withWorkers("2") });

      const contents = async (root: string) =>
        Object.fromEntries(
          Object.entries(await snapshotTree(path.join(root, "deployments"))).map(([file, { content }]) => [
            file,
            content,
          ]),
        );
      expect(Object.keys(await contents(parallel)).length).toBeGreaterThan(60);
      expect(await contents(parallel)).toEqual(await contents(sequential));
    });

    it("find a hand edit on --check", async () => {
      const root = await makeRepo({ [PROD_VARS]: vars });
      await execFileAsync(process.execPath, [bin, "reconcile"], { cwd: root, ...withWorkers("2") });
      const upToDate = await execFileAsync(process.execPath, [bin, "reconcile", "--check"], {
        cwd: root,
        ...withWorkers("2"),
      });
      await writeFile(path.join(root, "deployments/prod-us-east-1/profiles/user7.yaml"), "# edited\n");

      const edited = await execFileAsync(process.execPath, [bin, "reconcile", "--check"], {
        cwd: root,
        ...withWorkers("2"),
      }).catch((error: { code: number; stdout: string }) => error);

      expect(upToDate.stdout).toBe("prod-us-east-1: up to date\n");
      expect("code" in edited ? edited.code : 0).toBe(1);
      expect(edited.stdout).toContain("profiles/user7.yaml");
    });

    it("leave a failed worker's share to the main thread", async () => {
      const sequential = await makeRepo({ [PROD_VARS]: vars });
      const starved = await makeRepo({ [PROD_VARS]: vars });
      await execFileAsync(process.execPath, [bin, "reconcile"], { cwd: sequential, ...withWorkers("0") });

      // A 1 MB heap cannot even load the worker's modules, so every worker fails.
      const run = await execFileAsync(process.execPath, [bin, "reconcile"], {
        cwd: starved,
        env: { ...process.env, CAKE_RENDER_WORKERS: "2", CAKE_RENDER_WORKER_MB: "1" },
      });

      expect(run.stderr).toContain("a render worker failed");
      expect(await listTree(path.join(starved, "deployments"))).toEqual(
        await listTree(path.join(sequential, "deployments")),
      );
      const starvedTree = await snapshotTree(path.join(starved, "deployments"));
      const sequentialTree = await snapshotTree(path.join(sequential, "deployments"));
      for (const [file, { content }] of Object.entries(sequentialTree)) {
        expect(starvedTree[file]?.content, file).toBe(content);
      }
    });

    it("reject a bad thread count", async () => {
      const root = await makeRepo({ [PROD_VARS]: vars });

      const result = await execFileAsync(process.execPath, [bin, "reconcile"], {
        cwd: root,
        ...withWorkers("many"),
      }).catch((error: { code: number; stderr: string }) => error);
      const tooMany = await execFileAsync(process.execPath, [bin, "reconcile"], {
        cwd: root,
        ...withWorkers("64"),
      }).catch((error: { code: number; stderr: string }) => error);

      expect("code" in tooMany ? tooMany.code : 0).toBe(2);
      expect(tooMany.stderr).toContain(
        'invalid CAKE_RENDER_WORKERS "64": set it to a whole number of worker threads from 0 to 16',
      );
      expect("code" in result ? result.code : 0).toBe(2);
      expect(result.stderr).toContain("invalid CAKE_RENDER_WORKERS");
      expect(result.stderr).not.toContain("    at ");
      expect(existsSync(path.join(root, "deployments"))).toBe(false);
    });
  });

  it("exits cleanly when the reader closes stdout", async () => {
    const root = await makeRepo({ [PROD_VARS]: varsText() });
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin/cake.js"), "reconcile", "--format", "json"],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    // Closed before the CLI writes anything, as `| head -0` would.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));

    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(await stat(path.join(root, "deployments/prod-us-east-1/kustomization.yaml"))).toBeTruthy();
  });
});

describe("reconcile text output", () => {
  it("says when only the manifest changed", () => {
    const report = {
      name: "prod-us-east-1",
      folder: PROD,
      varsFile: PROD_VARS,
      orphan: false,
      changes: [],
      unchanged: 21,
      conflicts: [],
      manifestChanged: true,
      olderManifest: false,
      journalPending: false,
    };
    const result = {
      valid: true,
      check: false,
      diagnostics: [],
      sources: {},
      deployments: [report],
      drift: false,
    };

    expect(renderText(result, false)).toBe(
      "prod-us-east-1: 0 written, 21 unchanged, 0 removed, manifest updated\n",
    );
  });

  it.each([
    [{ journalPending: true }, "completed an interrupted reconcile"],
    [{ journalPending: false, journalDiscarded: true }, "discarded an interrupted reconcile"],
    [
      { journalPending: false, journalDiscarded: true, journalTorn: ["kustomization.yaml"] },
      "discarded an interrupted reconcile whose staged files did not have the bytes its journal recorded",
    ],
  ])("reports a recovery among many paths", (recovery, note) => {
    const changes = Array.from({ length: 30 }, (_, index) => ({
      path: `profiles/user${index}.yaml`,
      action: "update" as const,
    }));
    const report = {
      name: "prod-us-east-1",
      folder: PROD,
      varsFile: PROD_VARS,
      orphan: false,
      changes,
      unchanged: 0,
      conflicts: [],
      manifestChanged: true,
      olderManifest: false,
      ...recovery,
    };
    const result = {
      valid: true,
      check: false,
      diagnostics: [],
      sources: {},
      deployments: [report],
      drift: false,
    };

    const text = renderText(result, false);

    expect(text).toContain(`  ${note}`);
    expect(text).not.toContain("profiles/user0.yaml");
  });
});
