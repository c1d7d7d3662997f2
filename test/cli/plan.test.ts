import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";
import { type VarsUser, varsText } from "../plan/vars-text.js";

const cake = runCake;
const execFileAsync = promisify(execFile);

const alice: VarsUser = {
  email: "Alice.Smith@example.com",
  username: "asmith",
  roles: ["cake-admin"],
  namespaces: ["ml-staging"],
};
const bob: VarsUser = { email: "bob@example.com", username: "bjones", namespaces: ["ml-prod"] };
const DEV = "vars/dev-us-east-1.yaml";

let repo: TempRepo;

beforeEach(async () => {
  repo = await createGitRepo();
  await repo.commit("Add dev vars", { [DEV]: varsText({ users: [alice, bob] }) });
  await repo.git("checkout", "--quiet", "-b", "change-access");
});

afterEach(async () => {
  await repo.cleanup();
});

/** Deletes the dev output as `cake reconcile --prune-orphans` does once its vars file is gone. */
async function pruneDev(): Promise<void> {
  const pruned = await cake(
    repo.dir,
    "reconcile",
    "--prune-orphans",
    "--allow-profile-deletion=dev-us-east-1/*",
  );
  expect(pruned.code).toBe(0);
}

async function planJson(...argv: string[]) {
  const result = await cake(repo.dir, "plan", "--format", "json", ...argv);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe("cake plan working tree", () => {
  it("reports no changes when equal", async () => {
    const document = await planJson();

    expect(document.deployments).toHaveLength(1);
    expect(document.deployments[0].status).toBe("unchanged");
    expect(document.destructive).toBe(false);
    expect(document.base.ref).toBe("main");
    expect(document.head).toEqual({ source: "working-tree", ref: null, commit: null, refCommit: null });
  });

  it("reports a new Application path", async () => {
    await repo.write({ "cake.yaml": "repo_path: platform/ops\n" });

    const document = await planJson();
    const [deployment] = document.deployments;

    expect(deployment.status).toBe("changed");
    expect(deployment.settings).toEqual([
      {
        field: "application_path",
        from: "deployments/dev-us-east-1",
        to: "platform/ops/deployments/dev-us-east-1",
      },
    ]);
  });

  it("follows a symlinked vars file", async () => {
    await repo.remove(DEV);
    await repo.write({ "shared/dev.yaml": varsText({ users: [alice, bob] }) });
    await symlink("../shared/dev.yaml", path.join(repo.dir, DEV));
    await repo.commit("Link the dev vars");

    const unchanged = await planJson("--base", "HEAD");
    await repo.write({ "shared/dev.yaml": varsText({ users: [alice] }) });
    const changed = await planJson("--base", "HEAD");

    expect(unchanged.deployments.map((each: { status: string }) => each.status)).toEqual(["unchanged"]);
    expect(unchanged.destructive).toBe(false);
    expect(changed.deployments[0].users).toEqual([
      { change: "removed", email: bob.email, username: "bjones", previousUsername: null },
    ]);
  });

  it("stops at a committed symlink that leads outside the repo", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "cake-outside-"));
    await writeFile(path.join(outside, "dev.yaml"), varsText({ users: [alice, bob] }));
    await repo.remove(DEV);
    await symlink(path.join(outside, "dev.yaml"), path.join(repo.dir, DEV));
    await repo.commit("Link the dev vars outside");

    const result = await cake(repo.dir, "plan", "--base", "HEAD", "--head", "HEAD");
    await rm(outside, { recursive: true, force: true });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is a symlink that leads outside");
    expect(result.stdout).toBe("");
  });

  it("stops at a working-tree symlink that leads outside the repo", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "cake-outside-"));
    await writeFile(path.join(outside, "dev.yaml"), varsText({ users: [alice, bob] }));
    await repo.remove(DEV);
    await symlink(path.join(outside, "dev.yaml"), path.join(repo.dir, DEV));

    const result = await cake(repo.dir, "plan");
    await rm(outside, { recursive: true, force: true });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("through a symlink, outside the repo");
    expect(result.stdout).toBe("");
  });

  it("stops at a working-tree symlink that leads nowhere", async () => {
    await repo.remove(DEV);
    await symlink("missing.yaml", path.join(repo.dir, DEV));

    const result = await cake(repo.dir, "plan");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is a symlink that cannot be followed (ENOENT)");
    expect(result.stdout).toBe("");
  });

  it("stops at a vars symlink to a folder", async () => {
    await repo.remove(DEV);
    await repo.write({ "real/dev.yaml": varsText({ users: [alice, bob] }) });
    await symlink("../real", path.join(repo.dir, DEV));

    const result = await cake(repo.dir, "plan");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is a symlink to a folder");
  });

  it("stops at a committed symlink that leads nowhere", async () => {
    await repo.remove(DEV);
    await symlink("../nowhere.yaml", path.join(repo.dir, DEV));
    await repo.commit("Break the link");

    const result = await cake(repo.dir, "plan", "--base", "main", "--head", "HEAD");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("which is not a file at that commit");
  });

  it("stops at a vars folder symlink that leads nowhere", async () => {
    await repo.remove("vars");
    await symlink("nowhere", path.join(repo.dir, "vars"));

    const result = await cake(repo.dir, "plan");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("the vars folder vars is a symlink that leads nowhere");
  });

  it("compares an ops folder moved since the base", async () => {
    await repo.git("mv", "vars", "tmp-vars");
    await repo.write({ "platform/ops/cake.yaml": "repo_path: platform/ops\n" });
    await repo.git("mv", "tmp-vars", "platform/ops/vars");
    const base = await repo.git("rev-parse", "HEAD");
    await repo.commit("Move the ops repo into platform/ops");
    await repo.write({ "platform/ops/vars/dev-us-east-1.yaml": varsText({ users: [alice] }) });
    const ops = path.join(repo.dir, "platform/ops");
    const note =
      `the ops repo moved from the top of the git repository to platform/ops/ after the base commit ${base.slice(0, 12)}, ` +
      "so the base is read from the top of the git repository";

    const json = await cake(ops, "plan", "--base", base, "--format", "json");
    const committed = await cake(ops, "plan", "--base", base, "--head", "HEAD", "--format", "json");
    const text = await cake(ops, "plan", "--base", base);

    expect(json.code).toBe(0);
    const document = JSON.parse(json.stdout);
    expect(document.notes).toEqual([note]);
    expect(document.deployments.map((item: { status: string }) => item.status)).toEqual(["changed"]);
    expect(document.summary.usersAdded).toBe(0);
    expect(document.summary.usersRemoved).toBe(1);
    expect(document.deployments[0].settings).toContainEqual(
      expect.objectContaining({
        field: "application_path",
        from: "deployments/dev-us-east-1",
        to: "platform/ops/deployments/dev-us-east-1",
      }),
    );
    expect(JSON.parse(committed.stdout).summary.usersRemoved).toBe(0);
    expect(JSON.parse(committed.stdout).deployments[0].status).toBe("changed");
    expect(text.stdout).toContain(`NOTE: ${note}\n`);
  });

  it("compares a subfolder ops repo with its output after a move", async () => {
    const fresh = await createGitRepo();
    try {
      const init = await cake(fresh.dir, "init", "ops", "--repo-url", "https://git.example.com/ops.git");
      expect(init.code).toBe(0);
      expect((await cake(path.join(fresh.dir, "ops"), "reconcile")).code).toBe(0);
      const base = await fresh.commit("Add the ops repo in ops");
      await fresh.write({ "platform/.keep": "" });
      await fresh.git("mv", "ops", "platform/ops");
      const ops = path.join(fresh.dir, "platform/ops");
      const config = await readFile(path.join(ops, "cake.yaml"), "utf8");
      await writeFile(
        path.join(ops, "cake.yaml"),
        config.replace('repo_path: "ops"', "repo_path: platform/ops"),
      );
      expect((await cake(ops, "reconcile")).code).toBe(0);

      const result = await cake(ops, "plan", "--base", base, "--format", "json");
      const document = JSON.parse(result.stdout);

      expect(result.code).toBe(0);
      expect(document.notes).toEqual([
        `the ops repo moved from ops/ to platform/ops/ after the base commit ${base.slice(0, 12)}, so the base is read from ops/`,
      ]);
      expect(document.summary).toMatchObject({ usersAdded: 0, profilesCreated: 0, profilesRemoved: 0 });
      expect(document.deployments[0].settings).toEqual([
        {
          field: "application_path",
          from: "ops/deployments/dev-us-east-1",
          to: "platform/ops/deployments/dev-us-east-1",
        },
      ]);
    } finally {
      await fresh.cleanup();
    }
  });

  it("notes an ops folder new since the base", async () => {
    await repo.write({
      "platform/ops/cake.yaml": "repo_path: platform/ops\n",
      "platform/ops/vars/dev-us-east-1.yaml": varsText({ users: [alice, bob] }),
    });
    const base = await repo.git("rev-parse", "HEAD");
    await repo.commit("Copy the ops repo into platform/ops");
    const ops = path.join(repo.dir, "platform/ops");
    const note =
      `platform/ops/ did not exist at the base commit ${base.slice(0, 12)}, so every deployment shows as added; ` +
      "if the ops repo moved there, plan from a commit after the move (--base) to see what changed.";

    const json = await cake(ops, "plan", "--base", base, "--format", "json");
    const markdown = await cake(ops, "plan", "--base", base, "--format", "markdown");
    const text = await cake(ops, "plan", "--base", base);
    const unmoved = await cake(ops, "plan", "--base", "HEAD", "--format", "json");

    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).notes).toEqual([note]);
    expect(JSON.parse(json.stdout).deployments[0].status).toBe("added");
    expect(markdown.stdout).toContain(`> **Note:** ${note}`);
    expect(text.stdout).toContain(`NOTE: ${note}\n`);
    expect(JSON.parse(unmoved.stdout).notes).toEqual([]);
  });

  it("follows a symlinked vars folder", async () => {
    await repo.git("mv", "vars", "real-vars");
    await symlink("real-vars", path.join(repo.dir, "vars"));
    await repo.commit("Link the vars folder");

    const document = await planJson("--base", "HEAD");

    expect(document.deployments.map((each: { status: string }) => each.status)).toEqual(["unchanged"]);
  });

  it("reports user added in working tree", async () => {
    const carol: VarsUser = { email: "carol@example.com", username: "cwu", namespaces: ["ml-staging"] };
    await repo.write({ [DEV]: varsText({ users: [alice, bob, carol] }) });
    const document = await planJson();
    const [deployment] = document.deployments;

    expect(deployment.status).toBe("changed");
    expect(deployment.users).toEqual([
      { change: "added", email: "carol@example.com", username: "cwu", previousUsername: null },
    ]);
    expect(deployment.access.map((change: { namespace: string }) => change.namespace)).toEqual([
      "cwu",
      "ml-staging",
    ]);
    expect(deployment.profiles[0]).toMatchObject({ change: "created", profile: "cwu" });
  });

  it("reports disabled user without destruction", async () => {
    await repo.write({ [DEV]: varsText({ users: [alice, { ...bob, disabled: true }] }) });
    const document = await planJson();
    const [deployment] = document.deployments;

    expect(deployment.users.map((change: { change: string }) => change.change)).toEqual(["disabled"]);
    expect(deployment.access.map((change: { change: string }) => change.change)).toEqual(["lost", "lost"]);
    expect(deployment.destructive).toBe(false);
  });

  it("reports access change direction", async () => {
    await repo.write({
      [DEV]: varsText({ users: [alice, { ...bob, namespaces: ["{name: ml-prod, access: view}"] }] }),
    });
    const document = await planJson();

    expect(document.deployments[0].access).toEqual([
      { change: "changed", email: "bob@example.com", namespace: "ml-prod", from: "edit", to: "view" },
    ]);
  });

  it("reports cake-admin membership lost", async () => {
    await repo.write({ [DEV]: varsText({ users: [{ ...alice, roles: ["cake-user"] }, bob] }) });
    const document = await planJson();

    expect(document.deployments[0].access).toEqual([
      { change: "lost", email: "Alice.Smith@example.com", namespace: null, from: "cake-admin", to: null },
    ]);
  });

  it("reports quota changes", async () => {
    await repo.commit("Add quota", {
      [DEV]: varsText({
        users: [alice, bob],
        deployNamespaces: ["ml-staging"],
        extraNamespaceYaml: '    - name: ml-prod\n      resource_quota:\n        requests.cpu: "8"\n',
      }),
    });
    await repo.write({
      [DEV]: varsText({
        users: [alice, bob],
        deployNamespaces: ["ml-staging"],
        extraNamespaceYaml: '    - name: ml-prod\n      resource_quota:\n        requests.cpu: "16"\n',
      }),
    });
    const document = await planJson("--base", "HEAD");

    expect(document.deployments[0].quotas).toEqual([
      { profile: "ml-prod", key: "requests.cpu", from: "8", to: "16" },
    ]);
  });
});

describe("cake plan destructive changes", () => {
  it("marks removed user destructive", async () => {
    await repo.write({ [DEV]: varsText({ users: [alice] }) });
    const document = await planJson();
    const [deployment] = document.deployments;

    expect(deployment.destructive).toBe(true);
    expect(deployment.profiles).toEqual([
      expect.objectContaining({ change: "removed", profile: "bjones", destructive: true }),
    ]);
    expect(document.summary.destructiveChanges).toBe(1);
  });

  it("shows username change as swap", async () => {
    await repo.write({ [DEV]: varsText({ users: [alice, { ...bob, username: "bob-jones" }] }) });
    const document = await planJson();
    const [deployment] = document.deployments;

    expect(deployment.users[0]).toMatchObject({ change: "username-changed", previousUsername: "bjones" });
    expect(deployment.profiles.map((change: { change: string }) => change.change)).toEqual([
      "removed",
      "created",
    ]);
    expect(deployment.destructive).toBe(true);
    expect(document.summary.usersRenamed).toBe(1);
  });

  it("marks owner change destructive", async () => {
    await repo.write({ [DEV]: varsText({ users: [alice, bob], profileOwner: "platform-team@example.com" }) });
    const document = await planJson();

    expect(document.deployments[0].owner).toMatchObject({
      from: "kubeflow-platform@example.com",
      to: "platform-team@example.com",
      destructive: true,
    });
  });

  it("exits 1 with fail-on destructive", async () => {
    await repo.write({ [DEV]: varsText({ users: [alice] }) });
    const result = await cake(repo.dir, "plan", "--fail-on", "destructive");

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/! Profile removed\s+bjones/);
    expect(result.stderr).toBe("cake: the plan has 1 destructive change and --fail-on destructive is set.\n");
  });

  it("exits 0 with fail-on when safe", async () => {
    await repo.write({ [DEV]: varsText({ users: [alice, { ...bob, disabled: true }] }) });
    const result = await cake(repo.dir, "plan", "--fail-on", "destructive");

    expect(result.code).toBe(0);
  });
});

describe("cake plan refs and files", () => {
  it("compares two commits", async () => {
    const before = await repo.git("rev-parse", "HEAD");
    await repo.commit("Remove bob", { [DEV]: varsText({ users: [alice] }) });
    await repo.write({ [DEV]: varsText({ users: [alice, bob] }) });
    const document = await planJson("--base", before, "--head", "HEAD");

    expect(document.base.commit).toBe(before);
    expect(document.head.source).toBe("commit");
    expect(document.deployments[0].users[0]).toMatchObject({ change: "removed", email: "bob@example.com" });
  });

  it("defaults base to merge base", async () => {
    const fork = await repo.git("rev-parse", "HEAD");
    await repo.commit("Add carol on branch", {
      [DEV]: varsText({ users: [alice, bob, { email: "carol@example.com", username: "cwu" }] }),
    });
    await repo.git("checkout", "--quiet", "main");
    await repo.commit("Remove bob on main", { [DEV]: varsText({ users: [alice] }) });
    await repo.git("checkout", "--quiet", "change-access");
    const document = await planJson();
    const [deployment] = document.deployments;

    expect(document.base.commit).toBe(fork);
    expect(deployment.users).toEqual([
      expect.objectContaining({ change: "added", email: "carol@example.com" }),
    ]);
  });

  it("treats added file as all added", async () => {
    await repo.write({ "vars/prod-us-east-1.yaml": varsText({ environment: "prod", users: [bob] }) });
    const document = await planJson();
    const prod = document.deployments.find(
      (entry: { deployment: string }) => entry.deployment === "prod-us-east-1",
    );

    expect(prod.status).toBe("added");
    expect(prod.varsFile).toBe("vars/prod-us-east-1.yaml");
    expect(prod.users[0]).toMatchObject({ change: "added", email: "bob@example.com" });
  });

  it("treats deleted file as all removed", async () => {
    await repo.remove(DEV);
    const document = await planJson();
    const [deployment] = document.deployments;

    expect(deployment.status).toBe("removed");
    expect(deployment.destructive).toBe(true);
    expect(deployment.profiles.every((change: { destructive: boolean }) => change.destructive)).toBe(true);
  });

  it("rejects invalid head with diagnostics", async () => {
    await repo.write({ [DEV]: varsText({ users: [alice, { ...bob, email: "not-an-email" }] }) });
    const result = await cake(repo.dir, "plan");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/vars\/dev-us-east-1\.yaml:\d+:\d+: error \[invalid-email\]/);
  });

  it("rejects colliding Application names", async () => {
    const remote = (region: string, server: string): string =>
      varsText({ region, users: [alice] }).replace(
        "  repo_url: https://git.example.com/platform/ops.git\n",
        `  repo_url: https://git.example.com/platform/ops.git\n  destination_server: ${server}\n`,
      );
    await repo.write({
      [DEV]: remote("us-east-1", "https://dev-use1.example.com"),
      "vars/dev-eu-west-1.yaml": remote("eu-west-1", "https://dev-euw1.example.com"),
    });

    const result = await cake(repo.dir, "plan");

    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/vars\/dev-eu-west-1\.yaml:\d+:\d+: error \[duplicate-app-name\]/);
    expect(result.stderr).toMatch(/vars\/dev-us-east-1\.yaml:\d+:\d+: error \[duplicate-app-name\]/);
  });

  it("warns about invalid base", async () => {
    await repo.commit("Break the vars", { [DEV]: "environment: dev\nregion: [\n" });
    await repo.write({ [DEV]: varsText({ users: [alice] }) });
    const result = await cake(repo.dir, "plan", "--base", "HEAD", "--format", "json");
    const document = JSON.parse(result.stdout);

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: vars\/dev-us-east-1\.yaml is invalid at HEAD/);
    expect(result.stderr).toContain(
      "Its first error: vars/dev-us-east-1.yaml:2:9: [yaml-syntax] invalid YAML: ",
    );
    expect(document.deployments[0].baseValid).toBe(false);
    expect(document.deployments[0].users[0].change).toBe("added");
  });

  it("exits 2 naming unknown ref", async () => {
    const result = await cake(repo.dir, "plan", "--base", "no-such-branch");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--base "no-such-branch"');
  });

  it("exits 2 for ref like option", async () => {
    const result = await cake(repo.dir, "plan", "--head=--output=x");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--head");
  });

  it("exits 2 for unknown format", async () => {
    const result = await cake(repo.dir, "plan", "--format", "yaml");

    expect(result.code).toBe(2);
  });

  it("exits 2 outside git repository", async () => {
    const plain = await mkdtemp(path.join(os.tmpdir(), "cake-plain-"));
    try {
      const result = await cake(plain, "plan");

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/not inside a git repository/);
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });
});

describe("cake plan formats", () => {
  it("renders markdown for review", async () => {
    await repo.write({
      [DEV]: varsText({
        users: [alice, { email: "x|y@example.com", username: "xy", namespaces: ["ml-prod"] }],
      }),
    });
    const result = await cake(repo.dir, "plan", "--format", "markdown");

    expect(result.code).toBe(0);
    expect(result.stdout.startsWith("## cake plan")).toBe(true);
    expect(result.stdout).toContain("`x\\|y@example.com`");
    expect(result.stdout).toContain("> **Warning: 1 destructive change.**");
  });
});

describe("cake plan base semantics", () => {
  it("uses merge base with given base", async () => {
    const fork = await repo.git("rev-parse", "HEAD");
    await repo.git("checkout", "--quiet", "main");
    const tip = await repo.commit("Remove bob on main", { [DEV]: varsText({ users: [alice] }) });
    await repo.git("checkout", "--quiet", "change-access");
    const document = await planJson("--base", "main");
    const text = await cake(repo.dir, "plan", "--base", "main");
    const markdown = await cake(repo.dir, "plan", "--base", "main", "--format", "markdown");

    expect(document.base).toEqual({ source: "commit", ref: "main", commit: fork, refCommit: tip });
    expect(document.deployments[0].status).toBe("unchanged");
    expect(text.stdout).toContain(`Plan from main (merge base ${fork.slice(0, 12)}) to the working tree`);
    expect(markdown.stdout).toContain(`From main (merge base ${fork.slice(0, 12)}) to the working tree.`);
  });

  it("labels a base ref that is an ancestor by its commit", async () => {
    const fork = await repo.git("rev-parse", "HEAD");
    const document = await planJson("--base", "main");
    const text = await cake(repo.dir, "plan", "--base", "main");

    expect(document.base).toEqual({ source: "commit", ref: "main", commit: fork, refCommit: fork });
    expect(text.stdout).toContain(`Plan from main (${fork.slice(0, 12)}) to the working tree`);
  });
});

describe("cake plan without commits", () => {
  it("shows everything added", async () => {
    const fresh = await createGitRepo();
    try {
      await fresh.write({ [DEV]: varsText({ users: [bob] }) });
      const result = await cake(fresh.dir, "plan", "--format", "json");
      const document = JSON.parse(result.stdout);

      expect(result.code).toBe(0);
      expect(document.base).toEqual({ source: "empty", ref: null, commit: null, refCommit: null });
      expect(document.deployments[0].status).toBe("added");
    } finally {
      await fresh.cleanup();
    }
  });

  it("rejects base ref", async () => {
    const fresh = await createGitRepo();
    try {
      const result = await cake(fresh.dir, "plan", "--base", "main");

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--base "main" names no commit');
      expect(result.stderr).toContain(
        "has no commits yet; leave out --base to plan against an empty repository",
      );
      expect(result.stderr).not.toContain("fetch it first");
    } finally {
      await fresh.cleanup();
    }
  });

  it("compares a new orphan branch with the base itself", async () => {
    const fresh = await createGitRepo();
    try {
      const trunk = await fresh.commit("Alice and Bob", { [DEV]: varsText({ users: [alice, bob] }) });
      await fresh.git("checkout", "--quiet", "--orphan", "rewrite");
      await fresh.write({ [DEV]: varsText({ users: [alice] }) });

      const result = await cake(fresh.dir, "plan", "--base", "main", "--format", "json");
      const document = JSON.parse(result.stdout);

      expect(result.code).toBe(0);
      expect(document.base).toEqual({ source: "commit", ref: "main", commit: trunk, refCommit: trunk });
      expect(document.summary.usersRemoved).toBe(1);
    } finally {
      await fresh.cleanup();
    }
  });
});

describe("cake plan repo option", () => {
  it("resolves relative repo folder", async () => {
    const parent = path.dirname(repo.dir);
    const result = await cake(parent, "plan", "--repo", path.basename(repo.dir), "--format", "json");

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).deployments[0].deployment).toBe("dev-us-east-1");
  });
});

describe("cake plan without vars files", () => {
  it("wrong vars folder is a usage error", async () => {
    const result = await cake(repo.dir, "plan", "--vars-dir", "varz");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no vars files (*.yaml, *.yml) found in varz");
  });

  it("wrong vars folder beside committed output", async () => {
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.commit("Generate output");

    const result = await cake(repo.dir, "plan", "--base", "HEAD", "--vars-dir", "varz");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no vars files (*.yaml, *.yml) found in varz");
  });

  it("names the older layout's folder when the vars files are there", async () => {
    const text = await readFile(path.join(repo.dir, DEV), "utf8");
    await repo.remove(DEV);
    await repo.commit("Move to the older layout", {
      "platform/scripts/gen_deploy/vars/dev-us-east-1.yaml": text,
    });

    const result = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("pass --vars-dir platform/scripts/gen_deploy/vars");
  });
});

describe("cake plan base output manifest", () => {
  const GATED_JSON_PLAN = ["plan", "--base", "HEAD", "--format", "json", "--fail-on", "destructive"];

  /** Generates and commits the output of the current vars, as a merged change would have it. */
  async function commitOutput(message: string): Promise<void> {
    const result = await cake(repo.dir, "reconcile");
    expect(result.code).toBe(0);
    await repo.commit(message);
  }

  async function breakBaseVars(): Promise<void> {
    await repo.commit("Break the vars", { [DEV]: `${varsText({ users: [alice, bob] })}future_key: 1\n` });
  }

  it("takes the access at an invalid base from the output's bindings", async () => {
    await commitOutput("Generate output");
    const fromValidBase = async (): Promise<unknown> => {
      const result = await cake(repo.dir, "plan", "--base", "HEAD", "--format", "json");
      return JSON.parse(result.stdout).deployments[0].access;
    };
    await repo.write({ [DEV]: varsText({ users: [alice, { ...bob, disabled: true }] }) });
    const expected = await fromValidBase();
    await breakBaseVars();
    await repo.write({ [DEV]: varsText({ users: [alice, { ...bob, disabled: true }] }) });

    const result = await cake(repo.dir, "plan", "--base", "HEAD", "--format", "json");
    const text = await cake(repo.dir, "plan", "--base", "HEAD");
    const [deployment] = JSON.parse(result.stdout).deployments;

    expect(result.code).toBe(0);
    expect(deployment.baseValid).toBe(false);
    expect(deployment.baseAccessFrom).toBe("deployments/dev-us-east-1");
    expect(deployment.access).toEqual(expected);
    expect(deployment.access.map((row: { change: string }) => row.change)).toContain("lost");
    expect(text.stdout).toContain("the access at base from the RoleBindings in deployments/dev-us-east-1");
  });

  it("lists Profiles leaving invalid base", async () => {
    await commitOutput("Generate output");
    await breakBaseVars();
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const result = await cake(repo.dir, ...GATED_JSON_PLAN);
    const [deployment] = JSON.parse(result.stdout).deployments;

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/warning: vars\/dev-us-east-1\.yaml is invalid at HEAD/);
    expect(result.stderr).toContain("deployments/dev-us-east-1/.cake-manifest.json");
    expect(deployment.status).toBe("changed");
    expect(deployment.baseValid).toBe(false);
    expect(deployment.baseManifest).toBe("deployments/dev-us-east-1/.cake-manifest.json");
    expect(deployment.profiles).toEqual([
      expect.objectContaining({
        change: "removed",
        profile: "bjones",
        kind: "user",
        email: "bob@example.com",
        destructive: true,
      }),
    ]);
  });

  it("lists output Profiles of deleted file", async () => {
    await commitOutput("Generate output");
    await breakBaseVars();
    await repo.remove(DEV);

    const result = await cake(repo.dir, "plan", "--base", "HEAD", "--format", "json");
    const document = JSON.parse(result.stdout);
    const [deployment] = document.deployments;

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/deleted at head, and the Profiles it removes come from/);
    expect(deployment.status).toBe("removed");
    expect(deployment.profiles.map((change: { profile: string }) => change.profile)).toEqual([
      "asmith",
      "bjones",
      "ml-prod",
      "ml-staging",
    ]);
    expect(document.summary.destructiveChanges).toBe(4);
  });

  it("reports owner change against output", async () => {
    await commitOutput("Generate output");
    await breakBaseVars();
    await repo.write({ [DEV]: varsText({ users: [alice, bob], profileOwner: "platform-team@example.com" }) });

    const document = JSON.parse((await cake(repo.dir, "plan", "--base", "HEAD", "--format", "json")).stdout);

    expect(document.deployments[0].owner).toMatchObject({
      from: "kubeflow-platform@example.com",
      to: "platform-team@example.com",
    });
    expect(document.deployments[0].profiles).toEqual([]);
  });

  it("lists Profiles leaving re-added file", async () => {
    await commitOutput("Generate output");
    await repo.remove(DEV);
    await repo.commit("Delete the vars file");
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const result = await cake(
      repo.dir,
      "plan",
      "--base",
      "HEAD",
      "--format",
      "text",
      "--fail-on",
      "destructive",
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/! Profile removed\s+bjones {2}private profile {2}bob@example.com/);
    expect(result.stdout).toContain("there is no vars file at base");
    expect(result.stdout).not.toMatch(/Profile created\s+asmith/);
  });

  it("flags a removed Profile coming back", async () => {
    await commitOutput("Generate output");
    await repo.write({ [DEV]: varsText({ users: [alice] }) });
    expect((await cake(repo.dir, "reconcile", "--allow-profile-deletion=bjones")).code).toBe(0);
    await repo.commit("Remove bob");
    const eve: VarsUser = { email: "eve@example.com", username: "bjones" };
    await repo.write({ [DEV]: varsText({ users: [alice, eve] }) });

    const result = await cake(repo.dir, ...GATED_JSON_PLAN);
    const [deployment] = JSON.parse(result.stdout).deployments;

    expect(result.code).toBe(1);
    expect(deployment.profiles).toEqual([
      expect.objectContaining({
        change: "handed-over",
        profile: "bjones",
        previousEmail: bob.email,
        email: eve.email,
        destructive: true,
      }),
    ]);
  });

  it("flags a swap against invalid base", async () => {
    await commitOutput("Generate output");
    await breakBaseVars();
    const swapped = [
      { ...alice, username: bob.username },
      { ...bob, username: alice.username },
    ];
    await repo.write({ [DEV]: varsText({ users: swapped }) });

    const result = await cake(repo.dir, ...GATED_JSON_PLAN);
    const [deployment] = JSON.parse(result.stdout).deployments;

    expect(result.code).toBe(1);
    expect(
      deployment.profiles.map((change: { change: string; profile: string }) => [
        change.change,
        change.profile,
      ]),
    ).toEqual([
      ["handed-over", "asmith"],
      ["handed-over", "bjones"],
    ]);
  });

  it("keeps plan without base output", async () => {
    await breakBaseVars();
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const document = JSON.parse((await cake(repo.dir, "plan", "--base", "HEAD", "--format", "json")).stdout);

    expect(document.deployments[0].baseManifest).toBeNull();
    expect(document.destructive).toBe(false);
  });

  it("rejects corrupt base manifest", async () => {
    await commitOutput("Generate output");
    await breakBaseVars();
    await repo.commit("Corrupt the manifest", { "deployments/dev-us-east-1/.cake-manifest.json": "{" });
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const result = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a valid cake manifest");
  });
});

describe("cake plan layout per side", () => {
  const MOVED = "config/vars/dev-us-east-1.yaml";

  it("reads base layout at base", async () => {
    await repo.remove(DEV);
    await repo.write({ "cake.yaml": "vars_dir: config/vars\n", [MOVED]: varsText({ users: [alice] }) });

    const result = await cake(repo.dir, "plan", "--format", "json", "--fail-on", "destructive");
    const document = JSON.parse(result.stdout);
    const [deployment] = document.deployments;

    expect(result.code).toBe(1);
    expect(document.deployments).toHaveLength(1);
    expect(deployment.status).toBe("changed");
    expect(deployment.varsFile).toBe(MOVED);
    expect(deployment.profiles).toEqual([
      expect.objectContaining({ change: "removed", profile: "bjones", kind: "user" }),
    ]);
  });

  it("reads head layout at head commit", async () => {
    await repo.remove(DEV);
    await repo.commit("Move the vars", {
      "cake.yaml": "vars_dir: config/vars\n",
      [MOVED]: varsText({ users: [alice, bob] }),
    });
    await repo.remove("cake.yaml", "config");
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const document = await planJson("--base", "main", "--head", "HEAD");

    expect(document.deployments).toHaveLength(1);
    expect(document.deployments[0].status).toBe("unchanged");
  });

  it("reads base output folder at base", async () => {
    await repo.commit("Set the output folder", { "cake.yaml": "output_dir: out\n" });
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.commit("Generate output");
    await repo.commit("Break the vars", { [DEV]: `${varsText({ users: [alice, bob] })}future_key: 1\n` });
    await repo.remove("cake.yaml");
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const result = await cake(repo.dir, "plan", "--base", "HEAD", "--format", "json");
    const [deployment] = JSON.parse(result.stdout).deployments;

    expect(deployment.baseManifest).toBe("out/dev-us-east-1/.cake-manifest.json");
    expect(deployment.profiles).toEqual([expect.objectContaining({ change: "removed", profile: "bjones" })]);
  });

  it("lets flags override both sides", async () => {
    await repo.commit("Point at another folder", { "cake.yaml": "vars_dir: elsewhere\n" });
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const document = await planJson("--base", "HEAD", "--vars-dir", "vars");

    expect(document.deployments[0].users).toEqual([expect.objectContaining({ change: "removed" })]);
  });

  it("rejects invalid base cake.yaml", async () => {
    const broken = await repo.commit("Break cake.yaml", { "cake.yaml": "vars_dri: vars\n" });
    await repo.write({ "cake.yaml": "vars_dir: vars\n" });

    const result = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${broken.slice(0, 12)}:cake.yaml:1:1: unknown key "vars_dri"`);
    expect(result.stderr).toContain("at the base commit of the plan");
    expect(result.stderr).toContain("--vars-dir and --output-dir");
  });

  it("skips base cake.yaml with both flags", async () => {
    // The output folder exists, as the flag names it: a folder on neither side gets a warning.
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.commit("Break cake.yaml", { "cake.yaml": "vars_dri: vars\n" });
    await repo.write({ "cake.yaml": "vars_dir: vars\n" });

    const document = await planJson("--base", "HEAD", "--vars-dir", "vars", "--output-dir", "deployments");

    expect(document.deployments[0].status).toBe("unchanged");
  });
});

describe("cake plan markdown cuts", () => {
  it("keeps cake-admin grant among bulk additions", async () => {
    const many: VarsUser[] = Array.from({ length: 200 }, (_, index) => ({
      email: `user${index}@example.com`,
      username: `user-${index}`,
    }));
    await repo.write({ [DEV]: varsText({ users: [alice, { ...bob, roles: ["cake-admin"] }, ...many] }) });

    const result = await cake(repo.dir, "plan", "--format", "markdown", "--vars-dir", "vars");

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Access gained \| `bob@example.com` \| cluster-wide/);
    expect(result.stdout).toMatch(/more changes not shown \(\d+ access gained, 400 other\)/);
    expect(result.stdout).toContain("; run `cake plan --vars-dir vars --base main` for the full list._");
    expect(result.stdout.length).toBeLessThan(65_536);
  });
});

describe("cake plan profile handover", () => {
  it("fails on swapped usernames", async () => {
    await repo.write({
      [DEV]: varsText({
        users: [
          { ...alice, username: "bjones" },
          { ...bob, username: "asmith" },
        ],
      }),
    });

    const result = await cake(repo.dir, "plan", "--fail-on", "destructive");

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /! Profile handed over\s+asmith {2}Alice\.Smith@example\.com -> bob@example\.com/,
    );
    expect(result.stdout).toContain("Profiles: 2 handed over");
  });

  it("reports namespace handed to user", async () => {
    await repo.write({
      [DEV]: varsText({
        users: [alice, { ...bob, username: "ml-prod", namespaces: [] }],
        deployNamespaces: ["ml-staging"],
      }),
    });

    const document = JSON.parse((await cake(repo.dir, "plan", "--format", "json")).stdout);

    expect(document.summary.profilesHandedOver).toBe(1);
    expect(document.deployments[0].profiles).toContainEqual(
      expect.objectContaining({ change: "handed-over", profile: "ml-prod", previousKind: "shared" }),
    );
  });
});

describe("cake plan empty values", () => {
  it("shows arrow for empty prefix", async () => {
    await repo.commit("Set a prefix", {
      [DEV]: varsText({ users: [alice, bob] }).replace(
        "kubeflow:\n",
        'kubeflow:\n  userid_prefix: "corp:"\n',
      ),
    });
    await repo.write({
      [DEV]: varsText({ users: [alice, bob] }).replace("kubeflow:\n", 'kubeflow:\n  userid_prefix: ""\n'),
    });

    const result = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Setting changed\s+kubeflow\.userid_prefix {2}corp: -> ""/);
  });
});

describe("cake plan orphaned output", () => {
  async function generateAndDelete(): Promise<void> {
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.commit("Generate output");
    await repo.remove(DEV);
  }

  it("notes kept output in working tree", async () => {
    await generateAndDelete();

    const document = await planJson("--base", "HEAD");
    const text = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(document.deployments[0].status).toBe("removed");
    expect(document.deployments[0].orphanedOutput).toBe("deployments/dev-us-east-1");
    expect(text.stdout).toMatch(/note: .*deployments\/dev-us-east-1.*cake reconcile --prune-orphans/);
  });

  it("repeats --repo in the prune command", async () => {
    await generateAndDelete();
    const args = ["plan", "--repo", path.basename(repo.dir), "--base", "HEAD"];

    const text = await cake(path.dirname(repo.dir), ...args);
    const markdown = await cake(path.dirname(repo.dir), ...args, "--format", "markdown");

    const prune = `cake reconcile --repo ${path.basename(repo.dir)} --prune-orphans`;
    expect(text.stdout).toContain(`"${prune} --allow-profile-deletion='dev-us-east-1/*'"`);
    expect(markdown.stdout).toContain(`"${prune} --allow-profile-deletion='dev-us-east-1/\\*'"`);
  });

  it("notes kept output at head commit", async () => {
    await generateAndDelete();
    await repo.commit("Delete the vars file");

    const document = await planJson("--base", "HEAD~1", "--head", "HEAD");

    expect(document.deployments[0].orphanedOutput).toBe("deployments/dev-us-east-1");
  });

  it("omits note without output folder", async () => {
    await generateAndDelete();
    // What "cake reconcile --prune-orphans --allow-profile-deletion ..." leaves behind.
    await repo.remove("deployments/dev-us-east-1");

    const document = await planJson("--base", "HEAD");
    const markdown = await cake(repo.dir, "plan", "--base", "HEAD", "--format", "markdown");

    expect(document.deployments[0].orphanedOutput).toBeNull();
    expect(markdown.stdout).not.toContain("--prune-orphans");
  });
});

describe("cake plan pruned orphan", () => {
  /**
   * Generates the output, then deletes the vars file and commits the kept (orphaned) folder.
   * Returns the commit that deleted the vars file.
   */
  async function commitOrphan(): Promise<string> {
    // Another deployment stays, as in any real repo: a plan without any vars file is refused.
    await repo.write({
      "vars/prod-us-east-1.yaml": varsText({ environment: "prod", users: [{ ...alice, namespaces: [] }] }),
    });
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.commit("Generate output");
    await repo.remove(DEV);
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    return repo.commit("Retire dev, keeping its output");
  }

  it("lists Profiles of a pruned folder", async () => {
    const retired = await commitOrphan();
    await pruneDev();

    const result = await cake(
      repo.dir,
      "plan",
      "--base",
      "HEAD",
      "--format",
      "json",
      "--fail-on",
      "destructive",
    );
    const [deployment] = JSON.parse(result.stdout).deployments;
    const text = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(1);
    expect(deployment.status).toBe("removed");
    expect(deployment.varsFile).toBe(DEV);
    expect(deployment.prunedOutput).toBe("deployments/dev-us-east-1");
    expect(deployment.destructive).toBe(true);
    expect(deployment.profiles.map((profile: { profile: string }) => profile.profile)).toEqual([
      "asmith",
      "bjones",
      "ml-prod",
      "ml-staging",
    ]);
    expect(deployment.profiles[1]).toMatchObject({ change: "removed", kind: "user", email: bob.email });
    expect(deployment.varsDeletedIn).toBe(retired);
    expect(deployment.users.map((user: { email: string }) => user.email)).toEqual([alice.email, bob.email]);
    expect(deployment.access).toContainEqual(
      expect.objectContaining({ change: "lost", email: bob.email, namespace: "ml-prod" }),
    );
    expect(text.stdout).toMatch(
      /note: .*earlier change.*deletes its output folder deployments\/dev-us-east-1; the users, access/,
    );
    expect(text.stdout).toMatch(/! Profile removed\s+bjones {2}private profile {2}bob@example.com/);
  });

  it("shows a handover when a pruned deployment comes back", async () => {
    await commitOrphan();
    await pruneDev();
    await repo.commit("Prune dev");
    const carol: VarsUser = { email: "carol@example.com", username: "bjones", namespaces: ["ml-prod"] };
    await repo.write({ [DEV]: varsText({ users: [alice, carol] }) });

    const result = await cake(
      repo.dir,
      "plan",
      "--base",
      "HEAD",
      "--format",
      "json",
      "--fail-on",
      "destructive",
    );
    const deployment = JSON.parse(result.stdout).deployments.find(
      (each: { deployment: string }) => each.deployment === "dev-us-east-1",
    );

    expect(result.code).toBe(1);
    expect(deployment.status).toBe("added");
    expect(deployment.profiles).toContainEqual(
      expect.objectContaining({
        change: "handed-over",
        profile: "bjones",
        email: "carol@example.com",
        previousEmail: bob.email,
        destructive: true,
      }),
    );
    expect(deployment.profiles).toContainEqual(
      expect.objectContaining({ change: "restored", profile: "asmith" }),
    );
    expect(deployment.forgottenRemovedProfiles).toEqual([]);
  });

  it("reports no forgotten removal before a pruned deployment is reconciled", async () => {
    await commitOrphan();
    await pruneDev();
    await repo.commit("Prune dev");
    await repo.write({ [DEV]: varsText({ users: [alice] }) });

    const document = await planJson("--base", "HEAD");
    const deployment = document.deployments.find(
      (each: { deployment: string }) => each.deployment === "dev-us-east-1",
    );

    expect(document.summary.removedProfilesForgotten).toBe(0);
    expect(deployment.forgottenRemovedProfiles).toEqual([]);
    expect(deployment.profiles).toContainEqual(
      expect.objectContaining({ change: "restored", profile: "asmith" }),
    );
  });

  it("asks to fetch history in a shallow clone", async () => {
    await repo.commit("Change on the branch", { [DEV]: varsText({ users: [alice] }) });
    await repo.git("checkout", "--quiet", "main");
    await repo.commit("Change on main", { "notes.txt": "x\n" });
    const shallow = await mkdtemp(path.join(os.tmpdir(), "cake-shallow-"));
    const url = `file://${repo.dir}`;
    await execFileAsync("git", [
      "clone",
      "--quiet",
      "--depth",
      "1",
      "--branch",
      "change-access",
      url,
      shallow,
    ]);
    await execFileAsync(
      "git",
      ["fetch", "--quiet", "--depth", "1", "origin", "main:refs/remotes/origin/main"],
      {
        cwd: shallow,
      },
    );

    const result = await cake(shallow, "plan", "--base", "origin/main");
    await rm(shallow, { recursive: true, force: true });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "no common history in this clone; this is a shallow clone, so fetch the history first",
    );
  });

  it("asks to fetch a missing base commit", async () => {
    await repo.commit("Change on main", { "notes.txt": "x\n" });
    const shallow = await mkdtemp(path.join(os.tmpdir(), "cake-shallow-"));
    await execFileAsync("git", ["clone", "--quiet", "--depth", "1", `file://${repo.dir}`, shallow]);

    const result = await cake(shallow, "plan", "--base", "HEAD~1");
    await rm(shallow, { recursive: true, force: true });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `names no commit in ${shallow}; this is a shallow clone, so fetch the history first`,
    );
  });

  it("plans the prune of the last deployment", async () => {
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.commit("Generate output");
    await repo.remove(DEV);
    await repo.commit("Retire dev, keeping its output");
    await pruneDev();
    await repo.commit("Prune dev");

    const result = await cake(repo.dir, "plan", "--base", "HEAD~1", "--head", "HEAD", "--format", "json");
    const [deployment] = JSON.parse(result.stdout).deployments;

    expect(result.code).toBe(0);
    expect(deployment.status).toBe("removed");
    expect(deployment.prunedOutput).toBe("deployments/dev-us-east-1");
    expect(deployment.destructive).toBe(true);
  });

  it("falls back to the manifest in a shallow clone", async () => {
    await commitOrphan();
    await pruneDev();
    await repo.commit("Prune dev");
    const shallow = await mkdtemp(path.join(os.tmpdir(), "cake-shallow-"));
    await execFileAsync("git", ["clone", "--quiet", "--depth", "2", `file://${repo.dir}`, shallow]);

    const result = await cake(shallow, "plan", "--base", "HEAD~1", "--head", "HEAD", "--format", "json");
    const text = await cake(shallow, "plan", "--base", "HEAD~1", "--head", "HEAD");
    const [deployment] = JSON.parse(result.stdout).deployments;
    await rm(shallow, { recursive: true, force: true });
    expect(text.stdout).toContain("the access that of the RoleBindings in deployments/dev-us-east-1");
    expect(text.stdout).not.toContain("the access its users had is not listed");
    const full = await cake(repo.dir, "plan", "--base", "HEAD~1", "--head", "HEAD", "--format", "json");
    const [fromHistory] = JSON.parse(full.stdout).deployments;

    expect(result.code).toBe(0);
    expect(deployment.prunedOutput).toBe("deployments/dev-us-east-1");
    expect(deployment.varsDeletedIn).toBeNull();
    // The access lost comes from the output's RoleBindings, and matches the vars in history.
    expect(deployment.baseAccessFrom).toBe("deployments/dev-us-east-1");
    expect(deployment.access.length).toBeGreaterThan(0);
    expect(deployment.access).toEqual(fromHistory.access);
    expect(deployment.profiles).toHaveLength(4);
  });

  it("keeps a folder whose manifest alone is deleted", async () => {
    await commitOrphan();
    await repo.remove("deployments/dev-us-east-1/.cake-manifest.json");

    const document = await planJson("--base", "HEAD");

    expect(document.deployments.map((deployment: { deployment: string }) => deployment.deployment)).toEqual([
      "prod-us-east-1",
    ]);
  });

  it("keeps a folder when output_dir moves", async () => {
    await commitOrphan();
    await repo.write({ "cake.yaml": "output_dir: out\n" });

    const document = await planJson("--base", "HEAD");

    expect(document.deployments.map((deployment: { deployment: string }) => deployment.deployment)).toEqual([
      "prod-us-east-1",
    ]);
  });

  it("notes forgotten removals of a retired deployment", async () => {
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.write({ [DEV]: varsText({ users: [alice] }) });
    const removed = await cake(repo.dir, "reconcile", "--allow-profile-deletion=dev-us-east-1/bjones");
    expect(removed.code).toBe(0);
    await commitOrphan();
    await pruneDev();

    const text = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(text.stdout).toMatch(
      /retiring the deployment forgets that Profiles "bjones" were removed earlier/,
    );
    expect(text.stdout).not.toContain("put the entries back");
  });

  it("warns about an --output-dir that names no folder", async () => {
    await commitOrphan();
    await pruneDev();

    const result = await cake(repo.dir, "plan", "--base", "HEAD", "--output-dir", "output");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain("--output-dir output names no folder at the base or the head");
  });

  it("ignores a kept orphaned folder", async () => {
    await commitOrphan();

    const document = await planJson("--base", "HEAD");

    expect(document.deployments.map((deployment: { deployment: string }) => deployment.deployment)).toEqual([
      "prod-us-east-1",
    ]);
    expect(document.destructive).toBe(false);
  });
});

describe("cake plan removed Profiles", () => {
  const MANIFEST = "deployments/dev-us-east-1/.cake-manifest.json";
  const GATED_JSON_PLAN = ["plan", "--base", "HEAD", "--format", "json", "--fail-on", "destructive"];

  /** Generates the output, then removes bob with his Profile, as two merged changes would. */
  async function commitBobRemoved(): Promise<void> {
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    await repo.commit("Generate output");
    await repo.write({ [DEV]: varsText({ users: [alice] }) });
    expect((await cake(repo.dir, "reconcile", "--allow-profile-deletion=bjones")).code).toBe(0);
    await repo.commit("Remove bob");
  }

  /** Rewrites the working tree manifest without its `removedProfiles`, as a hand edit would. */
  async function dropRemovedProfiles(): Promise<void> {
    const manifest = JSON.parse(await readFile(path.join(repo.dir, MANIFEST), "utf8"));
    expect(manifest.removedProfiles).toEqual({ bjones: bob.email });
    delete manifest.removedProfiles;
    await repo.write({ [MANIFEST]: `${JSON.stringify(manifest, null, 2)}\n` });
  }

  it("restores Profile for same user", async () => {
    await commitBobRemoved();
    await repo.write({ [DEV]: varsText({ users: [alice, bob] }) });

    const result = await cake(repo.dir, ...GATED_JSON_PLAN);
    const document = JSON.parse(result.stdout);
    const text = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(0);
    expect(document.destructive).toBe(false);
    expect(document.summary).toMatchObject({ profilesRestored: 1, profilesCreated: 0 });
    expect(document.deployments[0].profiles).toEqual([
      expect.objectContaining({
        change: "restored",
        profile: "bjones",
        email: bob.email,
        destructive: false,
      }),
    ]);
    expect(document.deployments[0].forgottenRemovedProfiles).toEqual([]);
    expect(text.stdout).toMatch(
      /\+ Profile restored\s+bjones {2}private profile {2}removed earlier -> bob@example\.com/,
    );
  });

  it("restores Profile after reconcile", async () => {
    await commitBobRemoved();
    await repo.write({ [DEV]: varsText({ users: [alice, bob] }) });
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);

    const document = await planJson("--base", "HEAD");

    expect(document.deployments[0].profiles.map((change: { change: string }) => change.change)).toEqual([
      "restored",
    ]);
    expect(document.deployments[0].forgottenRemovedProfiles).toEqual([]);
  });

  it("reports manifest losing removals", async () => {
    await commitBobRemoved();
    await dropRemovedProfiles();

    const result = await cake(repo.dir, ...GATED_JSON_PLAN);
    const [deployment] = JSON.parse(result.stdout).deployments;
    const text = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(0);
    expect(deployment.status).toBe("unchanged");
    expect(deployment.forgottenRemovedProfiles).toEqual([
      { profile: "bjones", kind: "user", email: bob.email },
    ]);
    expect(text.stdout).toMatch(
      /\? Removed Profile forgotten\s+bjones {2}private profile {2}bob@example\.com/,
    );
    expect(text.stdout).toContain("WARNING: 1 Profile removed earlier is no longer recorded");
  });

  it("reads head manifest at head commit", async () => {
    await commitBobRemoved();
    await dropRemovedProfiles();
    await repo.commit("Edit the manifest");

    const document = await planJson("--base", "HEAD~1", "--head", "HEAD");

    expect(document.summary.removedProfilesForgotten).toBe(1);
    expect(document.deployments[0].forgottenRemovedProfiles[0].profile).toBe("bjones");
  });

  it("reports pruned folder losing removals", async () => {
    await commitBobRemoved();
    await repo.remove(DEV);
    await pruneDev();

    const document = await planJson("--base", "HEAD");
    const [deployment] = document.deployments;

    expect(deployment.status).toBe("removed");
    expect(deployment.orphanedOutput).toBeNull();
    expect(deployment.forgottenRemovedProfiles).toEqual([
      { profile: "bjones", kind: "user", email: bob.email },
    ]);
  });

  it("rejects corrupt head manifest", async () => {
    await commitBobRemoved();
    await repo.write({ [MANIFEST]: "{" });

    const result = await cake(repo.dir, "plan", "--base", "HEAD");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${MANIFEST} in the working tree is not a valid cake manifest`);
  });

  it("keeps removals in orphaned output", async () => {
    await commitBobRemoved();
    await repo.remove(DEV);

    const document = await planJson("--base", "HEAD");

    expect(document.deployments[0].orphanedOutput).toBe("deployments/dev-us-east-1");
    expect(document.deployments[0].forgottenRemovedProfiles).toEqual([]);
  });
});

describe("cake plan folder named like a vars file", () => {
  const FOLDER = "vars/qa-us-east-1.yaml";

  it("stops at a head commit as validate does", async () => {
    await repo.commit("Add a folder named like a vars file", { [`${FOLDER}/notes.txt`]: "x\n" });

    const plan = await cake(repo.dir, "plan", "--base", "main", "--head", "HEAD");
    const validate = await cake(repo.dir, "validate");

    expect(validate.code).toBe(1);
    expect(validate.stderr).toContain(`${FOLDER}: error [file-unreadable]`);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toBe("");
    expect(plan.stderr).toContain(
      `${FOLDER}: error [file-unreadable] vars file ${FOLDER} is a folder at commit`,
    );
    expect(plan.stderr).toContain("are invalid, so no plan was made");
  });

  it("warns about it at the base", async () => {
    const base = await repo.commit("Add a folder named like a vars file", { [`${FOLDER}/notes.txt`]: "x\n" });
    await repo.remove(FOLDER);

    const result = await cake(repo.dir, "plan", "--base", base, "--format", "json");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: ${FOLDER} is invalid at`);
    expect(result.stderr).toContain("as a folder it defined no deployment, so it removes nothing");
    expect(result.stderr).not.toContain("cannot be listed");
    expect(result.stderr).toContain("[file-unreadable]");
    expect(
      JSON.parse(result.stdout).deployments.map((item: { deployment: string }) => item.deployment),
    ).toEqual(["dev-us-east-1"]);
  });
});

describe("cake plan without git", () => {
  it("exits 2, not as a destructive plan", async () => {
    // A PATH with node but no git, as on a CI image that lacks it.
    const bin = await mkdtemp(path.join(os.tmpdir(), "cake-no-git-"));
    await symlink(process.execPath, path.join(bin, "node"));
    const cli = fileURLToPath(new URL("../../bin/cake.js", import.meta.url));

    const result = await execFileAsync(process.execPath, [cli, "plan", "--repo", repo.dir], {
      env: { PATH: bin },
    }).catch((error: { code: number; stderr: string }) => error);

    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr).toContain("git is not installed or not on PATH");
    await rm(bin, { recursive: true, force: true });
  });

  it("names a git that cannot run", async () => {
    // A file named git without the execute bit, first on PATH.
    const bin = await mkdtemp(path.join(os.tmpdir(), "cake-bad-git-"));
    await writeFile(path.join(bin, "git"), "#!/bin/sh\n", { mode: 0o644 });
    const cli = fileURLToPath(new URL("../../bin/cake.js", import.meta.url));

    const result = await execFileAsync(process.execPath, [cli, "plan", "--repo", repo.dir], {
      env: { PATH: bin },
    }).catch((error: { code: number; stderr: string }) => error);
    await rm(bin, { recursive: true, force: true });

    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr).toContain(
      "the git on PATH cannot be run (permission denied)",
    );
  });
});
