import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { buildProgram } from "../../src/cli/main.js";
import { CODEOWNERS_HEADER } from "../../src/init/codeowners.js";
import { CAKE_VERSION } from "../../src/version.js";
import { runCake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const execFileAsync = promisify(execFile);

const cake = runCake;

const STARTER_FILES = [
  ".github/workflows/cake.yml",
  ".gitignore",
  ".gitlab-ci.yml",
  "CODEOWNERS",
  "README.md",
  "argocd/applicationset.yaml",
  "cake.yaml",
  "deployments/.gitkeep",
  "schema/vars.schema.json",
  "vars/dev-us-east-1.yaml",
];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cake-init-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listFiles(root: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.name === ".git") continue;
    if (entry.isDirectory()) files.push(...(await listFiles(root, relative)));
    else files.push(relative);
  }
  return files.sort();
}

describe("cake init", () => {
  it("writes every starter file", async () => {
    const result = await cake(dir, "init", "ops");
    const root = path.join(dir, "ops");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(await listFiles(root)).toEqual(STARTER_FILES);
    // Written paths are relative to the current folder.
    for (const file of STARTER_FILES) expect(result.stdout).toContain(`Writing: ops/${file}\n`);
  });

  it("output validates and reconciles", async () => {
    expect((await cake(dir, "init")).code).toBe(0);

    const validate = await cake(dir, "validate");
    expect(validate.stderr).toBe("");
    expect(validate.code).toBe(0);

    const reconcile = await cake(dir, "reconcile");
    expect(reconcile.code).toBe(0);
    expect((await stat(path.join(dir, "deployments/dev-us-east-1/kustomization.yaml"))).isFile()).toBe(true);

    const check = await cake(dir, "reconcile", "--check");
    expect(check.code).toBe(0);
  });

  it("leaves only committable files after reconcile", async () => {
    expect((await cake(dir, "init")).code).toBe(0);
    expect((await cake(dir, "reconcile")).code).toBe(0);

    const { stdout } = await execFileAsync("git", ["status", "--porcelain", "--ignored"], { cwd: dir });
    const ignored = stdout.split("\n").filter((line) => line.startsWith("!! "));

    expect(ignored).toEqual(["!! .cake/"]);
    expect(stdout).toContain("deployments/");
  });

  it("initializes git repository", async () => {
    await cake(dir, "init");
    const { stdout } = await execFileAsync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: dir });

    expect(stdout.trim()).toBe("true");
  });

  it("skips git with no-git", async () => {
    const result = await cake(dir, "init", "--no-git");

    expect(result.code).toBe(0);
    await expect(stat(path.join(dir, ".git"))).rejects.toThrow();
  });

  describe("without git on PATH", () => {
    const savedPath = process.env.PATH;

    beforeEach(async () => {
      // An empty folder as the whole PATH: execFile finds no git, as on a machine without one.
      process.env.PATH = await mkdtemp(path.join(os.tmpdir(), "cake-no-git-"));
    });

    afterEach(async () => {
      await rm(process.env.PATH as string, { recursive: true, force: true });
      process.env.PATH = savedPath;
    });

    it("no-git writes a repo that reconciles", async () => {
      const result = await cake(dir, "init", "--no-git");

      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect((await cake(dir, "validate")).code).toBe(0);
      expect((await cake(dir, "reconcile")).code).toBe(0);
    });

    it("git init names --no-git", async () => {
      const result = await cake(dir, "init");

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `cake: git is not installed or not on PATH, and cake init needs it to find the git repository of the current folder ` +
          "(where the CI files go); install git, or pass --no-git when the folder is in no git repository.\n",
      );
      expect(await readdir(dir)).toEqual([]);
    });

    it("no-git inside a repository needs git", async () => {
      await mkdir(path.join(dir, ".git"));
      const result = await cake(dir, "init", "ops", "--no-git");

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `cake: git is not installed or not on PATH, and cake init needs it to find the git repository of ops ` +
          "(where the CI files go); install git, or run cake init in a folder outside any git repository.\n",
      );
      expect(await readdir(dir)).toEqual([".git"]);
    });
  });

  it("rejects a bad --repo-url before writing", async () => {
    const result = await cake(dir, "init", "--no-git", "--repo-url", "URL");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cake: --repo-url: "URL" is not a repository URL Argo CD accepts;');
    expect(result.stderr).toContain("nothing was written.");
    expect(await readdir(dir)).toEqual([]);
  });

  it("takes repo URL from origin", async () => {
    await execFileAsync("git", ["init", "--quiet"], { cwd: dir });
    await execFileAsync("git", ["remote", "add", "origin", "https://git.example.com/team/kf-ops.git"], {
      cwd: dir,
    });
    await cake(dir, "init");
    const vars = parse(await readFile(path.join(dir, "vars/dev-us-east-1.yaml"), "utf8"));
    const applicationSet = await readFile(path.join(dir, "argocd/applicationset.yaml"), "utf8");

    expect(vars.gitops.repo_url).toBe("https://git.example.com/team/kf-ops.git");
    expect(applicationSet).toContain("repoURL: https://git.example.com/team/kf-ops.git");
  });

  it("writes the origin URL without the credentials a CI clone carries", async () => {
    await execFileAsync("git", ["init", "--quiet"], { cwd: dir });
    const remote = "https://oauth2:glpat-SECRET@git.example.com/team/kf-ops.git";
    await execFileAsync("git", ["remote", "add", "origin", remote], { cwd: dir });

    const result = await cake(dir, "init");
    const written = await Promise.all(
      ["vars/dev-us-east-1.yaml", "argocd/applicationset.yaml"].map((file) =>
        readFile(path.join(dir, file), "utf8"),
      ),
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("the origin remote's URL carries credentials");
    expect(result.stdout).not.toContain("SECRET");
    expect(written.join("")).not.toContain("SECRET");
    expect(written[0]).toContain("https://git.example.com/team/kf-ops.git");
  });

  it("writes the placeholder for an origin that Argo CD cannot clone", async () => {
    await execFileAsync("git", ["init", "--quiet"], { cwd: dir });
    await execFileAsync("git", ["remote", "add", "origin", "/srv/git/ops.git"], { cwd: dir });

    const result = await cake(dir, "init");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the origin remote "/srv/git/ops.git" is not a URL Argo CD can clone');
    expect(result.stdout).toContain(
      "replace https://git.example.com/platform/ops.git with your ops repo's URL",
    );
  });

  it("names the files that keep the placeholder URL", async () => {
    const first = await cake(dir, "init", "--no-git");
    const forced = await cake(
      dir,
      "init",
      "--no-git",
      "--force",
      "--repo-url",
      "https://git.corp.example/ops.git",
    );
    const fresh = await mkdtemp(path.join(os.tmpdir(), "cake-init-"));
    const withUrl = await cake(fresh, "init", "--no-git", "--repo-url", "https://git.corp.example/ops.git");
    await rm(fresh, { recursive: true, force: true });

    const reminder =
      "replace https://git.example.com/platform/ops.git with your ops repo's URL in " +
      "vars/dev-us-east-1.yaml, argocd/applicationset.yaml";
    expect(first.stdout).toContain(reminder);
    // The first reconcile would generate Applications from the placeholder, so the URL comes first.
    expect(first.stdout.indexOf(reminder)).toBeLessThan(
      first.stdout.indexOf("cake validate && cake reconcile"),
    );
    // --force keeps the files written before, so they still need the edit.
    expect(forced.stdout).toContain(reminder);
    expect(withUrl.stdout).not.toContain("replace ");
  });

  it("rejects non-empty vars folder", async () => {
    await mkdir(path.join(dir, "vars"));
    await writeFile(path.join(dir, "vars/prod-us-east-1.yaml"), "# theirs\n");
    const result = await cake(dir, "init");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("--force");
    expect(await listFiles(dir)).toEqual(["vars/prod-us-east-1.yaml"]);
  });

  it("names the used vars folder relatively", async () => {
    await mkdir(path.join(dir, "ops", "vars"), { recursive: true });
    await writeFile(path.join(dir, "ops", "vars", "prod-us-east-1.yaml"), "# theirs\n");

    const fromParent = await cake(dir, "init", "ops");
    const fromInside = await cake(path.join(dir, "ops"), "init");

    expect(fromParent.code).toBe(1);
    expect(fromParent.stderr).toBe(
      "cake: ops/vars is not empty, so ops looks like an ops repo already. Rerun with --force to add the " +
        "missing starter files (existing files are never overwritten).\n",
    );
    expect(fromInside.stderr).toContain(
      "cake: vars is not empty, so the current folder looks like an ops repo",
    );
  });

  it("names the new git repository relatively", async () => {
    const result = await cake(dir, "init", "ops");

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Initialized a git repository in ops\n");
  });

  it("rejects a file as the folder", async () => {
    const file = path.join(dir, "notes.txt");
    await writeFile(file, "mine\n");

    const result = await cake(dir, "init", file);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe("cake: notes.txt exists and is not a folder; give cake init a folder path.\n");
    expect(await readFile(file, "utf8")).toBe("mine\n");
  });

  it("reports a path below a file without a trace", async () => {
    const file = path.join(dir, "notes.txt");
    await writeFile(file, "mine\n");

    const result = await cake(dir, "init", path.join(file, "repo"));

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "cake: notes.txt is a file, so cake init cannot create the folder notes.txt/repo; " +
        "give cake init a folder path.\n",
    );
    expect(await readFile(file, "utf8")).toBe("mine\n");
  });

  it("rejects a file as the codeowners folder", async () => {
    const file = path.join(dir, "notes.txt");
    await writeFile(file, "mine\n");

    const result = await cake(dir, "init", file, "--codeowners");

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "cake: notes.txt is not a folder; give cake init the ops repo's folder as DIR.\n",
    );
  });

  // Node's recursive mkdir never returns for such a path: procfs returns ENOENT for every new name.
  it.runIf(process.platform === "linux")("fails fast where the file system refuses folders", async () => {
    const result = await cake(dir, "init", "/proc/cake-init-test/repo");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("mkdir /proc/cake-init-test failed: no such file or folder (ENOENT)");
  });

  it("never overwrites existing files", async () => {
    await writeFile(path.join(dir, "README.md"), "our readme\n");
    const result = await cake(dir, "init");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Keeping: README.md (exists)");
    expect(await readFile(path.join(dir, "README.md"), "utf8")).toBe("our readme\n");
  });

  it("force adds only missing files", async () => {
    await cake(dir, "init");
    await writeFile(path.join(dir, "cake.yaml"), "vars_dir: vars\noutput_dir: deployments\n");
    await rm(path.join(dir, ".gitlab-ci.yml"));
    const result = await cake(dir, "init", "--force");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Writing: .gitlab-ci.yml");
    expect(result.stdout).toContain("Keeping: cake.yaml (exists)");
    expect(await readFile(path.join(dir, "cake.yaml"), "utf8")).toBe(
      "vars_dir: vars\noutput_dir: deployments\n",
    );
  });

  it("rejects the vars folder of an ops repo", async () => {
    await cp(fileURLToPath(new URL("../../examples/ops/vars", import.meta.url)), path.join(dir, "vars"), {
      recursive: true,
    });

    const result = await cake(dir, "init", "vars/new");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "vars/new is inside the vars folder of the ops repo at the current folder,",
    );
    expect((await readdir(path.join(dir, "vars"))).sort()).toEqual([
      "prod-us-east-1.yaml",
      "staging-europe-west1.yaml",
    ]);
  });

  it("rejects the output folder of an ops repo", async () => {
    await writeFile(path.join(dir, "cake.yaml"), "output_dir: generated\n");

    const result = await cake(dir, "init", "generated/prod-us-east-1");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is inside the output folder of the ops repo at");
    expect(existsSync(path.join(dir, "generated"))).toBe(false);
  });

  it("accepts another folder of an ops repo", async () => {
    await writeFile(path.join(dir, "cake.yaml"), "");

    const result = await cake(dir, "init", "teams/new");

    expect(result.code).toBe(0);
    expect(existsSync(path.join(dir, "teams", "new", "cake.yaml"))).toBe(true);
  });

  it("force adds no example deployment", async () => {
    await cp(fileURLToPath(new URL("../../examples/ops/vars", import.meta.url)), path.join(dir, "vars"), {
      recursive: true,
    });

    const result = await cake(dir, "init", "--force");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Writing: .gitlab-ci.yml");
    expect((await readdir(path.join(dir, "vars"))).sort()).toEqual([
      "prod-us-east-1.yaml",
      "staging-europe-west1.yaml",
    ]);
    // The example's vars files keep the placeholder URL, though init neither wrote nor kept them.
    expect(result.stdout).toMatch(/replace \S+ with your ops repo's URL in .*vars\/prod-us-east-1\.yaml/);
  });

  it("keeps the older layout's vars folder", async () => {
    const legacy = path.join(dir, "platform/scripts/gen_deploy/vars");
    await cp(fileURLToPath(new URL("../../examples/ops/vars", import.meta.url)), legacy, { recursive: true });

    const rejected = await cake(dir, "init");
    const forced = await cake(dir, "init", "--force");

    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain("looks like an ops repo already");
    expect(forced.code).toBe(0);
    expect(existsSync(path.join(dir, "vars"))).toBe(false);
    expect(await readFile(path.join(dir, "cake.yaml"), "utf8")).toContain(
      "vars_dir: platform/scripts/gen_deploy/vars\n",
    );
  });

  it("writes nothing through a .github folder symlinked out of the repository", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "cake-outside-"));
    await symlink(outside, path.join(dir, ".github"));

    const result = await cake(dir, "init", "--no-git");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(".github/workflows/cake.yml leads to");
    expect(await readdir(outside)).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual([".github"]);
    await rm(outside, { recursive: true, force: true });
  });

  it.each([
    ["argocd", "file", "argocd is a file where cake init needs a folder"],
    ["CODEOWNERS", "folder", "CODEOWNERS is a folder where cake init writes a file"],
  ])("writes nothing when %s is a %s in the way", async (name, kind, message) => {
    if (kind === "file") await writeFile(path.join(dir, name), "");
    else await mkdir(path.join(dir, name));

    const result = await cake(dir, "init", "--no-git");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${message}; move it away, then rerun. Nothing was written.`);
    expect(await readdir(dir)).toEqual([name]);
  });

  it("follows the folders an existing cake.yaml names", async () => {
    await writeFile(path.join(dir, "cake.yaml"), "vars_dir: config/vars\noutput_dir: out/deps\n");

    const initialized = await cake(dir, "init", "--no-git");
    const validated = await cake(dir, "validate");
    const reconciled = await cake(dir, "reconcile");
    const applicationSet = await readFile(path.join(dir, "argocd/applicationset.yaml"), "utf8");

    expect(initialized.code).toBe(0);
    expect(existsSync(path.join(dir, "config/vars/dev-us-east-1.yaml"))).toBe(true);
    expect(existsSync(path.join(dir, "vars"))).toBe(false);
    expect(validated.code).toBe(0);
    expect(reconciled.code).toBe(0);
    expect(existsSync(path.join(dir, "out/deps/dev-us-east-1/argocd/application.yaml"))).toBe(true);
    expect(applicationSet).toContain("- path: out/deps/*/argocd/application.yaml");
    expect(applicationSet).toContain("name: cake-{{ index .path.segments 2 }}");
    expect(await readFile(path.join(dir, "config/vars/dev-us-east-1.yaml"), "utf8")).toContain(
      "$schema=../../schema/vars.schema.json",
    );
  });

  it("rejects unsafe package spec", async () => {
    const result = await cake(dir, "init", "--cake-package", "cake@1 ; rm -rf /");

    expect(result.code).toBe(2);
    expect(await listFiles(dir)).toEqual([]);
  });

  it("writes package spec into pipelines", async () => {
    await cake(dir, "init", "--cake-package", "@acme/cake@0.1.0");
    const workflow = parse(await readFile(path.join(dir, ".github/workflows/cake.yml"), "utf8"));
    const pipeline = parse(await readFile(path.join(dir, ".gitlab-ci.yml"), "utf8"));

    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
    expect(workflow.env.CAKE_PACKAGE).toBe("${{ vars.CAKE_PACKAGE || '@acme/cake@0.1.0' }}");
    expect(pipeline.variables.CAKE_PACKAGE).toBe("@acme/cake@0.1.0");
  });

  it("says when --force kept pipelines without the package spec", async () => {
    expect((await cake(dir, "init", "--no-git")).code).toBe(0);

    const forced = await cake(dir, "init", "--no-git", "--force", "--cake-package", "@acme/cake@0.2.0");

    expect(forced.stdout).toContain(
      ".github/workflows/cake.yml and .gitlab-ci.yml existed and were kept without --cake-package: " +
        "set CAKE_PACKAGE to @acme/cake@0.2.0 there",
    );
  });
});

describe("cake init codeowners", () => {
  it("regenerates after new cake-admin", async () => {
    await cake(dir, "init");
    const varsFile = path.join(dir, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(varsFile, vars.replace("roles: [cake-user]", "roles: [cake-user, cake-admin]"));
    const result = await cake(dir, "init", "--codeowners");
    const codeowners = await readFile(path.join(dir, "CODEOWNERS"), "utf8");

    expect(result.code).toBe(0);
    expect(codeowners).toContain(
      "/vars/dev-us-east-1.yaml data-scientist@example.com platform-admin@example.com\n",
    );
  });

  it("fails reconcile --check after a cake-admin change", async () => {
    await cake(dir, "init");
    expect((await cake(dir, "reconcile")).code).toBe(0);
    expect((await cake(dir, "reconcile", "--check")).code).toBe(0);
    const varsFile = path.join(dir, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(varsFile, vars.replace("roles: [cake-user]", "roles: [cake-user, cake-admin]"));
    expect((await cake(dir, "reconcile")).code).toBe(0);

    const stale = await cake(dir, "reconcile", "--check", "--format", "json");
    const staleText = await cake(dir, "reconcile", "--check");
    const oneDeployment = await cake(dir, "reconcile", "--check", "--deployment", "dev-us-east-1");
    await cake(dir, "init", "--codeowners");
    const current = await cake(dir, "reconcile", "--check");

    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout).upToDate).toBe(false);
    expect(JSON.parse(stale.stdout).staleCodeowners).toBe(path.join(dir, "CODEOWNERS"));
    expect(stale.stderr).toContain(
      'does not name the current cake-admins of the vars files as reviewers; run "cake init --codeowners"',
    );
    expect(staleText.stdout).toContain(
      "dev-us-east-1: up to date\nCODEOWNERS: stale (does not name the current cake-admins)\n",
    );
    expect(oneDeployment.code).toBe(0);
    expect(current.code).toBe(0);
    expect(current.stdout).not.toContain("CODEOWNERS");
  });

  it("edits that change cake-admins remind of CODEOWNERS", async () => {
    await cake(dir, "init");
    expect((await cake(dir, "reconcile")).code).toBe(0);
    const D = ["--deployment", "dev-us-east-1"];

    const grant = await cake(
      dir,
      "user",
      "add",
      ...D,
      "--email",
      "new.user@example.com",
      "--role",
      "cake-user",
    );
    const admin = await cake(
      dir,
      "user",
      "add",
      ...D,
      "--email",
      "new.admin@example.com",
      "--role",
      "cake-admin",
    );
    const stale = await cake(dir, "reconcile", "--check");
    await cake(dir, "init", "--codeowners");
    const disabled = await cake(dir, "user", "disable", ...D, "--email", "new.admin@example.com");

    expect(grant.code).toBe(0);
    expect(grant.stdout).not.toContain("CODEOWNERS");
    expect(admin.code).toBe(0);
    expect(admin.stdout).toContain(
      "The cake-admins of dev-us-east-1 changed, and CODEOWNERS does not name them as reviewers yet: " +
        'run "cake init --codeowners" and commit it with this change ("cake reconcile --check" fails until then).',
    );
    expect(stale.code).toBe(1);
    expect(disabled.stdout).toContain("The cake-admins of dev-us-east-1 changed");
  });

  it("no CODEOWNERS reminder when the admins are back", async () => {
    await cake(dir, "init");
    const D = ["--deployment", "dev-us-east-1"];
    const add = ["user", "add", ...D, "--email", "new.admin@example.com", "--role", "cake-admin"];
    expect((await cake(dir, ...add, "--no-reconcile")).code).toBe(0);

    const removed = await cake(dir, "user", "remove", ...D, "--email", "new.admin@example.com");
    const check = await cake(dir, "reconcile", "--check");

    expect(removed.code).toBe(0);
    expect(removed.stdout).not.toContain("CODEOWNERS");
    expect(check.code).toBe(0);
  });

  it("names the repo folder in the CODEOWNERS reminder", async () => {
    await cake(dir, "init");
    const repo = path.basename(dir);

    const admin = await cake(
      path.dirname(dir),
      "user",
      "add",
      "--repo",
      repo,
      "--deployment",
      "dev-us-east-1",
      "--email",
      "new.admin@example.com",
      "--role",
      "cake-admin",
    );

    expect(admin.stdout).toContain(`run "cake init ${repo} --codeowners"`);
    expect(admin.stdout).toContain(`("cake reconcile --repo ${repo} --check" fails until then)`);
  });

  it("no CODEOWNERS reminder for the team's own file", async () => {
    await cake(dir, "init");
    await writeFile(path.join(dir, "CODEOWNERS"), "* @platform-team\n");

    const admin = await cake(
      dir,
      "user",
      "add",
      "--deployment",
      "dev-us-east-1",
      "--email",
      "new.admin@example.com",
      "--role",
      "cake-admin",
    );

    expect(admin.code).toBe(0);
    expect(admin.stdout).not.toContain("CODEOWNERS");
  });

  it("warns when GitHub reads another CODEOWNERS first", async () => {
    await cake(dir, "init");
    expect((await cake(dir, "reconcile")).code).toBe(0);
    const before = await cake(dir, "reconcile", "--check");
    await writeFile(path.join(dir, ".github/CODEOWNERS"), "* @platform-team\n");

    const text = await cake(dir, "reconcile", "--check");
    const json = await cake(dir, "reconcile", "--check", "--format", "json");

    expect(before.stderr).not.toContain("CODEOWNERS");
    expect(text.code).toBe(0);
    expect(text.stderr).toContain(
      "cake: warning: GitHub reads .github/CODEOWNERS, which cake did not write, and ignores CODEOWNERS",
    );
    expect(text.stderr).not.toContain("GitLab");
    expect(JSON.parse(json.stdout).shadowedCodeowners).toEqual([
      { forge: "GitHub", read: ".github/CODEOWNERS", ignored: "CODEOWNERS" },
    ]);
  });

  it("warns about an older ApplicationSet in --check", async () => {
    await cake(dir, "init");
    expect((await cake(dir, "reconcile")).code).toBe(0);
    const current = await cake(dir, "reconcile", "--check");
    // The shape an older cake init wrote: a directory generator and a fixed destination.
    const file = path.join(dir, "argocd/applicationset.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(
      file,
      text.replace(
        / {8}files:\n {10}- path: \S+\n/,
        "        directories:\n          - path: deployments/*\n",
      ),
    );

    const outdated = await cake(dir, "reconcile", "--check");
    const json = await cake(dir, "reconcile", "--check", "--format", "json");

    expect(current.stderr).not.toContain("applicationset");
    expect(outdated.code).toBe(0);
    const fromParent = await cake(path.dirname(dir), "reconcile", "--check", "--repo", path.basename(dir));
    const ops = path.basename(dir);

    expect(outdated.stderr).toContain(
      "cake: warning: argocd/applicationset.yaml was written by an older cake init: it syncs every folder under " +
        "deployments/ from branch main into the cluster Argo CD runs in, whatever gitops.destination_server and " +
        'gitops.target_revision say; delete it and run "cake init --force --repo-url ' +
        'https://git.example.com/platform/ops.git" to write the current one, then update the "Argo CD" section ' +
        "of the ops repo README, which describes the old file.\n",
    );
    expect(fromParent.stderr).toContain(
      `cake: warning: ${ops}/argocd/applicationset.yaml was written by an older cake init`,
    );
    expect(fromParent.stderr).toContain(`delete it and run "cake init ${ops} --force --repo-url `);
    expect(JSON.parse(json.stdout).outdatedApplicationSet).toBe(path.join(dir, "argocd/applicationset.yaml"));
  });

  it("warns about ApplicationSet repo URL in --check", async () => {
    const PLACEHOLDER = "https://git.example.com/platform/ops.git";
    await cake(dir, "init");
    const vars = path.join(dir, "vars/dev-us-east-1.yaml");
    const file = path.join(dir, "argocd/applicationset.yaml");
    await writeFile(
      vars,
      (await readFile(vars, "utf8")).replace(PLACEHOLDER, "https://git.corp.example/ops.git"),
    );
    expect((await cake(dir, "reconcile")).code).toBe(0);

    const stale = await cake(dir, "reconcile", "--check");
    const json = await cake(dir, "reconcile", "--check", "--format", "json");
    await writeFile(
      file,
      (await readFile(file, "utf8")).replaceAll(PLACEHOLDER, "https://git.corp.example/ops.git"),
    );
    const fixed = await cake(dir, "reconcile", "--check");

    expect(stale.code).toBe(0);
    expect(stale.stderr).toContain(
      `cake: warning: argocd/applicationset.yaml:17:7: spec.sourceRepos[0] of AppProject cake-deployments is "${PLACEHOLDER}", ` +
        "the gitops.repo_url of no deployment, so if you apply the file, Argo CD rejects the generated Applications, " +
        "whose repo this AppProject does not allow. Replace it with https://git.corp.example/ops.git and apply the file again.\n",
    );
    expect(stale.stderr).toContain(
      `cake: warning: argocd/applicationset.yaml:55:18: spec.generators[0].git.repoURL of ApplicationSet cake-deployments is "${PLACEHOLDER}", ` +
        "the gitops.repo_url of no deployment, so if you apply the file, the ApplicationSet looks for the deployment " +
        "folders in another repo. Replace it with https://git.corp.example/ops.git and apply the file again.\n",
    );
    expect(JSON.parse(json.stdout).unusedRepoUrls.map((unused: { field: string }) => unused.field)).toEqual([
      "spec.sourceRepos[0]",
      "spec.generators[0].git.repoURL",
    ]);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).not.toContain("applicationset");
  });

  it("warns about a repo URL the ApplicationSet lacks", async () => {
    // GIVEN the ApplicationSet and one deployment on the new URL, and a second deployment on
    // the old one, which the one-way check of the file's URLs cannot see.
    const url = "https://git.corp.example/ops.git";
    const old = "https://git.corp.example/old-ops.git";
    await cake(dir, "init", "--repo-url", url);
    const vars = await readFile(path.join(dir, "vars/dev-us-east-1.yaml"), "utf8");
    await writeFile(
      path.join(dir, "vars/dev-eu-west-1.yaml"),
      vars.replace("region: us-east-1", "region: eu-west-1").replace(url, old),
    );

    const reconciled = await cake(dir, "reconcile");
    await writeFile(path.join(dir, "vars/dev-us-east-1.yaml"), `# A comment\n${vars}`);
    const cached = await cake(dir, "reconcile");
    const check = await cake(dir, "reconcile", "--check", "--format", "json");
    const validate = await cake(dir, "validate");
    const validateJson = await cake(dir, "validate", "--format", "json");
    const oneFile = await cake(dir, "validate", "vars/dev-us-east-1.yaml");

    const sourceRepos =
      `cake: warning: vars/dev-eu-west-1.yaml: gitops.repo_url "${old}" of deployment dev-eu-west-1 matches no ` +
      `entry of spec.sourceRepos of AppProject cake-deployments in argocd/applicationset.yaml (${url}), so if you ` +
      "apply that file, Argo CD rejects the Application it generates for this deployment. Correct gitops.repo_url, " +
      "or add the URL to that field and apply the file again.\n";
    const generator =
      `cake: warning: vars/dev-eu-west-1.yaml: gitops.repo_url "${old}" of deployment dev-eu-west-1 differs from ` +
      `spec.generators[].git.repoURL of ApplicationSet cake-deployments in argocd/applicationset.yaml (${url}), ` +
      "so if you apply that file, the Application it generates for this deployment syncs another repo than the " +
      "one the generator found the deployment in. Correct gitops.repo_url, or replace the generator's repoURL " +
      "with it and apply the file again.\n";
    expect(reconciled.code).toBe(0);
    expect(reconciled.stderr).toContain(sourceRepos);
    expect(reconciled.stderr).toContain(generator);
    // The second run loads the changed vars file alone, and takes the other URL from the local cache.
    expect(cached.stdout).toContain("dev-eu-west-1: 0 written");
    expect(cached.stderr).toContain(sourceRepos);
    const unlisted = JSON.parse(check.stdout).unlistedRepoUrls;
    expect(unlisted).toEqual([
      {
        deployment: "dev-eu-west-1",
        varsFile: "vars/dev-eu-west-1.yaml",
        repoUrl: old,
        file: path.join(dir, "argocd/applicationset.yaml"),
        object: "AppProject cake-deployments",
        field: "spec.sourceRepos",
        listed: [url],
      },
      expect.objectContaining({ field: "spec.generators[].git.repoURL", listed: [url] }),
    ]);
    expect(JSON.parse(check.stdout).unusedRepoUrls).toBeUndefined();
    expect(validate.code).toBe(0);
    expect(validate.stderr).toContain(sourceRepos);
    expect(JSON.parse(validateJson.stdout).unlistedRepoUrls).toEqual(unlisted);
    // One file cannot show what the file lacks for the others, or which of its URLs they use.
    expect(oneFile.stderr).toBe("");
  });

  it("matches sourceRepos globs against repo URLs", async () => {
    await cake(dir, "init", "--repo-url", "https://git.corp.example/platform/ops.git");
    const file = path.join(dir, "argocd/applicationset.yaml");
    const text = await readFile(file, "utf8");
    await writeFile(
      file,
      text.replace(
        "  sourceRepos:\n    - https://git.corp.example/platform/ops.git\n",
        "  sourceRepos:\n    - https://git.corp.example/platform/*\n    - '!https://git.corp.example/platform/secret.git'\n    - https://git.corp.example/other/*\n",
      ),
    );
    expect((await cake(dir, "reconcile")).code).toBe(0);

    const json = await cake(dir, "reconcile", "--check", "--format", "json");

    expect(JSON.parse(json.stdout).unusedRepoUrls).toEqual([
      expect.objectContaining({ field: "spec.sourceRepos[2]", url: "https://git.corp.example/other/*" }),
    ]);
  });

  it("names a shadowing CODEOWNERS from a subfolder", async () => {
    await cake(dir, "init");
    expect((await cake(dir, "reconcile")).code).toBe(0);
    await writeFile(path.join(dir, ".github/CODEOWNERS"), "* @platform-team\n");
    await mkdir(path.join(dir, "notes"));

    const result = await cake(path.join(dir, "notes"), "reconcile", "--check", "--repo", "..");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "cake: warning: GitHub reads ../.github/CODEOWNERS, which cake did not write, and ignores ../CODEOWNERS, " +
        "so the cake-admins are not required reviewers there; keep one CODEOWNERS: delete ../.github/CODEOWNERS, " +
        "or delete ../CODEOWNERS and keep the cake-admin rules in ../.github/CODEOWNERS by hand.\n",
    );
  });

  it("warns when GitLab reads another CODEOWNERS first", async () => {
    await cake(dir, "init");
    expect((await cake(dir, "reconcile")).code).toBe(0);
    // GitHub does not read .gitlab/, and GitLab reads docs/ before it.
    await mkdir(path.join(dir, ".gitlab"));
    await rename(path.join(dir, "CODEOWNERS"), path.join(dir, ".gitlab/CODEOWNERS"));
    await mkdir(path.join(dir, "docs"));
    await writeFile(path.join(dir, "docs/CODEOWNERS"), "* @platform-team\n");

    const result = await cake(dir, "reconcile", "--check");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      "cake: warning: GitLab reads docs/CODEOWNERS, which cake did not write, and ignores .gitlab/CODEOWNERS",
    );
    expect(result.stderr).not.toContain("GitHub");
  });

  it("names the repo folder in the CODEOWNERS fix", async () => {
    await cake(dir, "init");
    const varsFile = path.join(dir, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(varsFile, vars.replace("roles: [cake-user]", "roles: [cake-user, cake-admin]"));
    expect((await cake(dir, "reconcile")).code).toBe(0);

    const stale = await cake(path.dirname(dir), "reconcile", "--check", "--repo", path.basename(dir));

    expect(stale.stderr).toContain(`run "cake init ${path.basename(dir)} --codeowners"`);
  });

  it("keeps every CODEOWNERS cake wrote current", async () => {
    await cake(dir, "init");
    // .github/ exists already: cake init writes the GitHub workflow there.
    await copyFile(path.join(dir, "CODEOWNERS"), path.join(dir, ".github/CODEOWNERS"));
    expect((await cake(dir, "reconcile")).code).toBe(0);
    const varsFile = path.join(dir, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(varsFile, vars.replace("roles: [cake-user]", "roles: [cake-user, cake-admin]"));
    expect((await cake(dir, "reconcile")).code).toBe(0);

    const regenerated = await cake(dir, "init", "--codeowners");
    const check = await cake(dir, "reconcile", "--check");

    expect(regenerated.stdout).toBe("Writing: CODEOWNERS\nWriting: .github/CODEOWNERS\n");
    expect(await readFile(path.join(dir, ".github/CODEOWNERS"), "utf8")).toBe(
      await readFile(path.join(dir, "CODEOWNERS"), "utf8"),
    );
    expect(check.code).toBe(0);
  });

  it("checks CODEOWNERS without git on PATH", async () => {
    await cake(dir, "init");
    expect((await cake(dir, "reconcile")).code).toBe(0);
    const saved = process.env.PATH;
    process.env.PATH = await mkdtemp(path.join(os.tmpdir(), "cake-no-git-"));
    let check: Awaited<ReturnType<typeof cake>>;
    try {
      check = await cake(dir, "reconcile", "--check");
    } finally {
      process.env.PATH = saved;
    }

    expect(check.stderr).not.toContain("git");
    expect(check.code).toBe(0);
  });

  it("ignores foreign CODEOWNERS in reconcile --check", async () => {
    await cake(dir, "init");
    await writeFile(path.join(dir, "CODEOWNERS"), "* @platform-team\n");
    expect((await cake(dir, "reconcile")).code).toBe(0);

    expect((await cake(dir, "reconcile", "--check")).code).toBe(0);
  });

  it("reports current file", async () => {
    await cake(dir, "init");
    const result = await cake(dir, "init", "--codeowners");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("is current");
  });

  it("rejects a folder without vars files", async () => {
    const written = await cake(dir, "init", "--codeowners");
    const printed = await cake(dir, "init", "--codeowners", "--stdout");

    expect(written.code).toBe(2);
    expect(written.stderr).toContain("no vars files (*.yaml, *.yml) in");
    expect(printed.code).toBe(2);
    expect(printed.stdout).toBe("");
    expect(await readdir(dir)).toEqual([]);
  });

  it("keeps foreign CODEOWNERS", async () => {
    await cake(dir, "init");
    await writeFile(path.join(dir, "CODEOWNERS"), "* @platform-team\n");
    const result = await cake(dir, "init", "--codeowners");

    expect(result.code).toBe(1);
    expect(await readFile(path.join(dir, "CODEOWNERS"), "utf8")).toBe("* @platform-team\n");
    expect(result.stderr).toContain("--stdout");
  });

  it("prints with stdout flag", async () => {
    await cake(dir, "init");
    await writeFile(path.join(dir, "CODEOWNERS"), "* @platform-team\n");
    const result = await cake(dir, "init", "--codeowners", "--stdout");

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^# Files no deployment owns:/);
    expect(result.stdout).not.toContain(CODEOWNERS_HEADER);
    expect(result.stdout).not.toContain("# Do not edit");
    expect(result.stdout).toContain("\n/vars/dev-us-east-1.yaml platform-admin@example.com\n");
  });

  it("rejects the starter files' options with --codeowners", async () => {
    await cake(dir, "init");
    const before = await readFile(path.join(dir, "CODEOWNERS"), "utf8");

    const result = await cake(dir, "init", "--codeowners", "--repo-url", "not a url", "--force");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--force, --repo-url do not go with --codeowners");
    expect(await readFile(path.join(dir, "CODEOWNERS"), "utf8")).toBe(before);
    const missing = await cake(dir, "init", "no-such-folder", "--codeowners");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(
      "no-such-folder does not exist; give cake init the ops repo's folder as DIR.",
    );
  });

  it("uses paths from work tree top", async () => {
    await execFileAsync("git", ["init", "--quiet"], { cwd: dir });
    await cake(dir, "init", "platform/ops");
    const codeowners = await readFile(path.join(dir, "CODEOWNERS"), "utf8");

    expect(codeowners).toContain("/platform/ops/vars/dev-us-east-1.yaml platform-admin@example.com");
  });

  it("writes nothing for invalid vars", async () => {
    await cake(dir, "init");
    await writeFile(path.join(dir, "vars/dev-us-east-1.yaml"), "environment: dev\nregion: us-east-1\n");
    const before = await readFile(path.join(dir, "CODEOWNERS"), "utf8");
    const result = await cake(dir, "init", "--codeowners");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/vars\/dev-us-east-1\.yaml:\d+:\d+: error/);
    expect(await readFile(path.join(dir, "CODEOWNERS"), "utf8")).toBe(before);
  });
});

describe("cake init in a subfolder", () => {
  let repo: TempRepo;
  let ops: string;

  beforeEach(async () => {
    repo = await createGitRepo();
    await repo.commit("Add the README", { "README.md": "# monorepo\n" });
    ops = path.join(repo.dir, "platform/ops");
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  /** Runs `cake reconcile --check` on the ops repo in `teams/b` from the top of the git repository. */
  const checkTeamB = (...flags: string[]) =>
    cake(repo.dir, "reconcile", "--check", "--repo", "teams/b", ...flags);

  /** Lays out an ops repo in `folder` whose example vars file keeps the default `gitops.app_name`. */
  const initWithDefaultAppName = async (folder: string): Promise<void> => {
    expect((await cake(repo.dir, "init", folder)).code).toBe(0);
    const varsFile = path.join(repo.dir, folder, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(
      varsFile,
      vars.replace(/\n {2}# The Argo CD Application and AppProject[\s\S]*?app_name: \S+\n/, "\n"),
    );
  };

  it("leaves the CODEOWNERS of another ops repo alone", async () => {
    expect((await cake(repo.dir, "init", "platform/ops")).code).toBe(0);
    const other = path.join(repo.dir, "teams/ml");
    await mkdir(other, { recursive: true });
    const initialized = await cake(other, "init");
    expect(initialized.code).toBe(0);
    expect((await cake(other, "reconcile")).code).toBe(0);
    const before = await readFile(path.join(repo.dir, "CODEOWNERS"), "utf8");

    const check = await cake(other, "reconcile", "--check");
    const json = await cake(other, "reconcile", "--check", "--format", "json");
    const regenerated = await cake(other, "init", "--codeowners");

    // Nothing requires a review of the second ops repo's vars, and both commands report it.
    expect(initialized.stdout).toContain(
      'CODEOWNERS existed and was kept: add the rules that "cake init --codeowners --stdout" prints in teams/ml, and delete the two comment lines cake wrote at its top',
    );
    expect(check.code).toBe(0);
    expect(check.stderr).toContain("holds the rules cake wrote for another ops repo of this git repository");
    expect(JSON.parse(json.stdout).foreignCodeowners).toEqual([path.join(repo.dir, "CODEOWNERS")]);
    expect(regenerated.code).toBe(1);
    expect(regenerated.stderr).toContain("contains the rules of another ops repo in this git repository");
    expect(await readFile(path.join(repo.dir, "CODEOWNERS"), "utf8")).toBe(before);
    expect(before).toContain('run "cake init platform/ops --codeowners"');
  });

  it("merges CODEOWNERS as the steps say", async () => {
    // GIVEN the CODEOWNERS that cake wrote for teams/a, kept by cake init teams/b.
    expect((await cake(repo.dir, "init", "teams/a")).code).toBe(0);
    const initialized = await cake(repo.dir, "init", "teams/b");
    expect((await cake(path.join(repo.dir, "teams/b"), "reconcile")).code).toBe(0);
    const file = path.join(repo.dir, "CODEOWNERS");

    // WHEN the rules that --stdout prints are added and the two comment lines at the top deleted.
    const printed = await cake(repo.dir, "init", "teams/b", "--codeowners", "--stdout");
    const lines = `${await readFile(file, "utf8")}\n${printed.stdout}`.split("\n");
    await writeFile(file, lines.slice(2).join("\n"));
    const check = await checkTeamB();

    // THEN the file names the reviewers of both and no longer claims that cake writes it.
    expect(initialized.stdout).toContain(
      'add the rules that "cake init --codeowners --stdout" prints in teams/b, and delete the two comment lines cake wrote at its top',
    );
    expect(printed.code).toBe(0);
    const merged = await readFile(file, "utf8");
    expect(merged).not.toContain("# Generated by cake");
    expect(merged).not.toContain("# Do not edit");
    expect(merged).toContain("/teams/a/vars/dev-us-east-1.yaml platform-admin@example.com");
    expect(merged).toContain("/teams/b/vars/dev-us-east-1.yaml platform-admin@example.com");
    expect(check.code).toBe(0);
    expect(check.stderr).not.toContain("holds the rules cake wrote for another ops repo");
  });

  it("checks the top CODEOWNERS without git", async () => {
    expect((await cake(repo.dir, "init", "platform/ops")).code).toBe(0);
    expect((await cake(ops, "reconcile")).code).toBe(0);
    const saved = process.env.PATH;
    const withoutGit = async (...argv: string[]) => {
      process.env.PATH = await mkdtemp(path.join(os.tmpdir(), "cake-no-git-"));
      try {
        return await cake(ops, ...argv);
      } finally {
        process.env.PATH = saved;
      }
    };
    const current = await withoutGit("reconcile", "--check");
    const varsFile = path.join(ops, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(varsFile, vars.replace("roles: [cake-user]", "roles: [cake-user, cake-admin]"));
    expect((await cake(ops, "reconcile")).code).toBe(0);

    const stale = await withoutGit("reconcile", "--check");
    const regenerated = await withoutGit("init", "--codeowners");
    const fixed = await withoutGit("reconcile", "--check");

    expect(current.code).toBe(0);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("does not name the current cake-admins");
    expect(regenerated.stdout).toBe("Writing: ../../CODEOWNERS\n");
    expect(existsSync(path.join(ops, "CODEOWNERS"))).toBe(false);
    expect(fixed.code).toBe(0);
  });

  it("names applicationsets of two ops repos apart", async () => {
    expect((await cake(repo.dir, "init", "teams/a")).code).toBe(0);
    expect((await cake(repo.dir, "init", "teams/b")).code).toBe(0);
    const namesIn = async (folder: string) => {
      const documents = parseAllDocuments(
        await readFile(path.join(repo.dir, folder, "argocd/applicationset.yaml"), "utf8"),
      ).map((document) => document.toJS());
      return documents.flatMap((object) => [
        `${object.kind}/${object.metadata.name}`,
        ...(object.kind === "ApplicationSet" ? [`Application/${object.spec.template.metadata.name}`] : []),
      ]);
    };

    const first = await namesIn("teams/a");
    const second = await namesIn("teams/b");

    expect(first).toEqual([
      "AppProject/cake-deployments-teams--a",
      "ApplicationSet/cake-deployments-teams--a",
      "Application/cake-teams--a-{{ index .path.segments 3 }}",
    ]);
    for (const name of second) expect(first).not.toContain(name);
  });

  it("warns about applicationsets sharing names", async () => {
    // GIVEN two ops repos whose ApplicationSet files an older cake init wrote with equal names.
    for (const folder of ["teams/a", "teams/b"]) {
      expect((await cake(repo.dir, "init", folder)).code).toBe(0);
      await writeOlderApplicationSet(path.join(repo.dir, folder));
    }
    const teamB = path.join(repo.dir, "teams/b");
    expect((await cake(teamB, "reconcile")).code).toBe(0);

    const check = await checkTeamB();
    const json = await checkTeamB("--format", "json");

    expect(check.code).toBe(0);
    expect(check.stderr).toContain(
      "cake: warning: teams/b/argocd/applicationset.yaml and teams/a/argocd/applicationset.yaml both define " +
        "AppProject argocd/cake-deployments, ApplicationSet argocd/cake-deployments, Application argocd/cake-<deployment>: ",
    );
    expect(check.stderr).toContain(
      'Delete teams/b/argocd/applicationset.yaml, run "cake init teams/b --force", which writes one whose names end with its folder',
    );
    expect(check.stderr).toContain("(kubectl delete applicationset cake-deployments -n argocd)");
    expect(JSON.parse(json.stdout).applicationSetClashes).toEqual([
      {
        file: path.join(teamB, "argocd/applicationset.yaml"),
        other: path.join(repo.dir, "teams/a/argocd/applicationset.yaml"),
        objects: [
          { kind: "AppProject", namespace: "argocd", name: "cake-deployments" },
          { kind: "ApplicationSet", namespace: "argocd", name: "cake-deployments" },
          { kind: "Application", namespace: "argocd", name: "cake-<deployment>" },
        ],
      },
    ]);

    // WHEN the warning's fix is followed THEN the check has no warning left.
    await rm(path.join(teamB, "argocd/applicationset.yaml"));
    expect((await cake(repo.dir, "init", "teams/b", "--force")).code).toBe(0);
    const fixed = await checkTeamB();

    expect(fixed.code).toBe(0);
    expect(fixed.stderr).not.toContain("both define");
  });

  it("warns about renaming an older ApplicationSet", async () => {
    expect((await cake(repo.dir, "init", "teams/a")).code).toBe(0);
    expect((await cake(path.join(repo.dir, "teams/a"), "reconcile")).code).toBe(0);
    const file = path.join(repo.dir, "teams/a/argocd/applicationset.yaml");
    const text = await readFile(file, "utf8");
    // The shape an older cake init wrote: a directory generator and a fixed destination.
    await writeFile(
      file,
      text.replace(
        / {8}files:\n {10}- path: \S+\n/,
        "        directories:\n          - path: teams/a/deployments/*\n",
      ),
    );

    const check = await cake(repo.dir, "reconcile", "--check", "--repo", "teams/a");

    expect(check.code).toBe(0);
    expect(check.stderr).toContain('delete it and run "cake init teams/a --force --repo-url ');
    expect(check.stderr).toContain(
      "which describes the old file. The current file names its ApplicationSet after the folder of this ops repo, " +
        "so once it is applied, delete the old ApplicationSet from the cluster unless another ops repo's file still defines it",
    );
  });

  it("names the subfolder to fix from the top", async () => {
    expect((await cake(repo.dir, "init", "teams/a")).code).toBe(0);
    await writeOlderApplicationSet(path.join(repo.dir, "teams/a"));
    await repo.commit("Add the ops repo of team a");

    const top = await cake(repo.dir, "init", "--force");

    expect(top.code).toBe(0);
    expect(top.stdout).toContain(
      "  argocd/applicationset.yaml and teams/a/argocd/applicationset.yaml both define AppProject argocd/cake-deployments,",
    );
    expect(top.stdout).toContain(
      'Delete teams/a/argocd/applicationset.yaml, run "cake init teams/a --force", which writes one whose names end with its folder, and apply it. ' +
        "Then apply argocd/applicationset.yaml again if it still uses the old names",
    );
  });

  it("warns about an application both applicationsets generate", async () => {
    // GIVEN an ops repo at the top with deployment teams-b-dev-us-east-1, and one in teams-b
    // with deployment dev-us-east-1: both ApplicationSets name an Application cake-teams-b-dev-us-east-1.
    expect((await cake(repo.dir, "init")).code).toBe(0);
    const vars = await readFile(path.join(repo.dir, "vars/dev-us-east-1.yaml"), "utf8");
    await writeFile(
      path.join(repo.dir, "vars/teams-b-dev-us-east-1.yaml"),
      vars.replace("environment: dev", "environment: teams-b-dev"),
    );
    expect((await cake(repo.dir, "reconcile")).code).toBe(0);
    const teamB = path.join(repo.dir, "teams-b");
    expect((await cake(repo.dir, "init", "teams-b")).code).toBe(0);
    expect((await cake(teamB, "reconcile")).code).toBe(0);
    const fixFile = path.join(teamB, "argocd/applicationset.yaml");

    const check = await cake(teamB, "reconcile", "--check");
    const json = await cake(teamB, "reconcile", "--check", "--format", "json");

    expect(check.code).toBe(0);
    expect(check.stderr).toContain(
      "cake: warning: argocd/applicationset.yaml and ../argocd/applicationset.yaml both generate " +
        "Application argocd/cake-teams-b-dev-us-east-1 from different deployment folders",
    );
    expect(check.stderr).toContain("In spec.template.metadata.name of argocd/applicationset.yaml, change");
    expect(JSON.parse(json.stdout).applicationSetClashes).toEqual([
      {
        file: fixFile,
        other: path.join(repo.dir, "argocd/applicationset.yaml"),
        objects: [{ kind: "Application", namespace: "argocd", name: "cake-teams-b-dev-us-east-1" }],
      },
    ]);

    // WHEN the subfolder's Applications get another prefix THEN the warning goes.
    await writeFile(
      fixFile,
      (await readFile(fixFile, "utf8")).replace("name: cake-teams-b-{{", "name: cake-team-b-{{"),
    );
    const fixed = await cake(teamB, "reconcile", "--check");

    expect(fixed.code).toBe(0);
    expect(fixed.stderr).not.toContain("both generate");
  });

  it("finds no clash among three ops repos", async () => {
    // GIVEN three ops repos, each with the example deployment dev-us-east-1.
    for (const folder of [".", "teams/b", "teams-b"]) {
      expect((await cake(repo.dir, "init", folder)).code).toBe(0);
      expect((await cake(path.join(repo.dir, folder), "reconcile")).code).toBe(0);
    }

    for (const folder of [".", "teams/b", "teams-b"]) {
      const check = await cake(path.join(repo.dir, folder), "reconcile", "--check");

      expect(check.code).toBe(0);
      expect(check.stderr).not.toContain("both generate");
      expect(check.stderr).not.toContain("both define");
    }
  });

  it("warns about applications sharing names", async () => {
    // GIVEN two ops repos, each with the example deployment dev-us-east-1 syncing in-cluster.
    for (const folder of ["teams/a", "teams/b"]) {
      await initWithDefaultAppName(folder);
      expect((await cake(path.join(repo.dir, folder), "reconcile")).code).toBe(0);
    }
    const teamB = path.join(repo.dir, "teams/b");
    const varsFile = path.join(teamB, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");

    const check = await checkTeamB();
    const json = await checkTeamB("--format", "json");

    expect(check.code).toBe(0);
    expect(check.stderr).toContain(
      'cake: warning: teams/b/vars/dev-us-east-1.yaml: Argo CD Application "user-namespace" in namespace "argocd" ' +
        "of deployment dev-us-east-1 is also the Application of teams/a/deployments/dev-us-east-1/argocd/application.yaml",
    );
    expect(check.stderr).toContain("Set a distinct gitops.app_name in one of the two vars files");
    // Nothing shows that the in-cluster deployments share a cluster, so there is no cluster
    // warning, and the Application warning gives the cake-admin advice.
    expect(check.stderr.match(/cake-admin ClusterRoleBinding/g)).toHaveLength(1);
    expect(JSON.parse(json.stdout).clusterClashes).toBeUndefined();
    expect(check.stderr).toContain(
      "If both deployments sync one cluster, they also both manage its cake-admin ClusterRoleBinding",
    );
    expect(JSON.parse(json.stdout).applicationClashes).toEqual([
      {
        deployment: "dev-us-east-1",
        varsFile: "vars/dev-us-east-1.yaml",
        argocdNamespace: "argocd",
        appName: "user-namespace",
        other: path.join(repo.dir, "teams/a/deployments/dev-us-east-1/argocd/application.yaml"),
      },
    ]);

    // WHEN the deployment gets its own gitops.app_name THEN the warning goes.
    await writeFile(
      varsFile,
      vars.replace("target_revision: main", "target_revision: main\n  app_name: team-b"),
    );
    expect((await cake(teamB, "reconcile")).code).toBe(0);
    const renamed = await checkTeamB();

    expect(renamed.code).toBe(0);
    expect(renamed.stderr).not.toContain("is also the Application of");
  });

  it("names the example applications of ops repos apart", async () => {
    // GIVEN two ops repos, each with the example deployment dev-us-east-1, reconciled.
    for (const folder of ["teams/a", "teams/b"]) {
      expect((await cake(repo.dir, "init", folder)).code).toBe(0);
      expect((await cake(path.join(repo.dir, folder), "reconcile")).code).toBe(0);
    }

    // WHEN a third one is laid out.
    const third = await cake(repo.dir, "init", "teams/c");
    const check = await checkTeamB("--format", "json");

    // THEN each example deployment has an Application of its own, and nothing warns.
    const names: string[] = [];
    for (const folder of ["teams/a", "teams/b"]) {
      const file = path.join(repo.dir, folder, "deployments/dev-us-east-1/argocd/application.yaml");
      names.push(parse(await readFile(file, "utf8")).metadata.name);
    }
    const vars = parse(await readFile(path.join(repo.dir, "teams/c/vars/dev-us-east-1.yaml"), "utf8"));
    expect(names).toEqual(["user-namespace-teams--a", "user-namespace-teams--b"]);
    expect(vars.gitops.app_name).toBe("user-namespace-teams--c");
    expect(third.stdout).not.toContain("is also the Application of");
    expect(JSON.parse(check.stdout).applicationClashes).toBeUndefined();
  });

  it("warns at init about an application of another ops repo", async () => {
    // GIVEN an ops repo in teams/a whose deployment keeps the default Application name.
    await initWithDefaultAppName("teams/a");
    expect((await cake(path.join(repo.dir, "teams/a"), "reconcile")).code).toBe(0);

    // WHEN an ops repo is laid out at the top, where the example keeps the default name too.
    const result = await cake(repo.dir, "init");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '  vars/dev-us-east-1.yaml: Argo CD Application "user-namespace" in namespace "argocd" of deployment ' +
        "dev-us-east-1 is also the Application of teams/a/deployments/dev-us-east-1/argocd/application.yaml",
    );
    expect(result.stdout.match(/cake-admin ClusterRoleBinding/g)).toHaveLength(1);
  });

  it("ignores same applications of other clusters", async () => {
    // GIVEN deployments of different names, both in-cluster: two clusters, each with its Argo CD.
    for (const folder of ["teams/a", "teams/b"]) await initWithDefaultAppName(folder);
    const teamB = path.join(repo.dir, "teams/b");
    const vars = await readFile(path.join(teamB, "vars/dev-us-east-1.yaml"), "utf8");
    await rm(path.join(teamB, "vars/dev-us-east-1.yaml"));
    await writeFile(
      path.join(teamB, "vars/dev-eu-west-1.yaml"),
      vars.replace("region: us-east-1", "region: eu-west-1"),
    );
    for (const folder of ["teams/a", "teams/b"]) {
      expect((await cake(path.join(repo.dir, folder), "reconcile")).code).toBe(0);
    }

    const check = await checkTeamB("--format", "json");

    expect(check.code).toBe(0);
    expect(
      JSON.parse(check.stdout).deployments.map((deployment: { name: string }) => deployment.name),
    ).toEqual(["dev-eu-west-1"]);
    expect(JSON.parse(check.stdout).applicationClashes).toBeUndefined();

    // WHEN one deployment syncs to a remote cluster THEN one Argo CD is assumed to apply both.
    await writeFile(
      path.join(teamB, "vars/dev-eu-west-1.yaml"),
      vars
        .replace("region: us-east-1", "region: eu-west-1")
        .replace(
          "target_revision: main",
          "target_revision: main\n  destination_server: https://eu.example.com",
        ),
    );
    expect((await cake(teamB, "reconcile")).code).toBe(0);
    const remote = await checkTeamB("--format", "json");
    const remoteText = await checkTeamB();

    expect(JSON.parse(remote.stdout).applicationClashes).toHaveLength(1);
    // Without a cluster warning for the pair, the Application warning gives the cake-admin advice.
    expect(JSON.parse(remote.stdout).clusterClashes).toBeUndefined();
    expect(remoteText.stderr).toContain(
      "If both deployments sync one cluster, they also both manage its cake-admin ClusterRoleBinding",
    );
  });

  it("writes forge files at top", async () => {
    const result = await cake(repo.dir, "init", "platform/ops");

    expect(result.code).toBe(0);
    for (const file of [".github/workflows/cake.yml", ".gitlab-ci.yml", "CODEOWNERS"]) {
      expect((await stat(path.join(repo.dir, file))).isFile()).toBe(true);
      await expect(stat(path.join(ops, file))).rejects.toThrow();
      expect(result.stdout).toContain(`Writing: ${file}\n`);
    }
    expect(result.stdout).toContain("Writing: platform/ops/cake.yaml\n");
    expect(result.stdout).toContain(
      "cake validate --repo platform/ops && cake reconcile --repo platform/ops",
    );
  });

  it("leaves no folder when rejected", async () => {
    const result = await cake(repo.dir, "init", "team ops;x/inner");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("has characters that cake does not write into CI commands");
    await expect(stat(path.join(repo.dir, "team ops;x"))).rejects.toThrow();
  });

  it("writes repo path into cake.yaml", async () => {
    await cake(repo.dir, "init", "platform/ops");
    const config = parse(await readFile(path.join(ops, "cake.yaml"), "utf8"));

    expect(config.repo_path).toBe("platform/ops");
  });

  it("passes repo to pipeline commands", async () => {
    await cake(repo.dir, "init", "platform/ops");
    const commands: string[][] = [];
    for (const file of [".github/workflows/cake.yml", ".gitlab-ci.yml"]) {
      const pipeline = parse(await readFile(path.join(repo.dir, file), "utf8"));
      for (const script of scriptsOf(pipeline)) commands.push(...cakeCommands(script));
    }

    expect(commands).toHaveLength(7);
    for (const argv of commands) {
      const at = argv.indexOf("--repo");
      expect(at, `cake ${argv.join(" ")}`).toBeGreaterThan(0);
      expect(argv[at + 1]).toBe("platform/ops");
    }
  });

  it("reconciles with prefixed source paths", async () => {
    await cake(repo.dir, "init", "platform/ops");
    const reconcile = await cake(ops, "reconcile");
    const application = parse(
      await readFile(path.join(ops, "deployments/dev-us-east-1/argocd/application.yaml"), "utf8"),
    );
    const [, applicationSet] = parseAllDocuments(
      await readFile(path.join(ops, "argocd/applicationset.yaml"), "utf8"),
    ).map((document) => document.toJS());

    expect(reconcile.code).toBe(0);
    expect(application.spec.source.path).toBe("platform/ops/deployments/dev-us-east-1");
    expect(applicationSet.spec.generators[0].git.files).toEqual([
      { path: "platform/ops/deployments/*/argocd/application.yaml" },
    ]);
    expect(applicationSet.spec.template.metadata.name).toBe(
      "cake-platform--ops-{{ index .path.segments 3 }}",
    );
    expect(application.spec.source.path).toBe("platform/ops/deployments/dev-us-east-1");
    expect((await cake(repo.dir, "reconcile", "--check", "--repo", "platform/ops")).code).toBe(0);
  });

  it("keeps existing top files", async () => {
    await repo.write({ ".gitlab-ci.yml": "stages: [build]\n", ".github/CODEOWNERS": "* @platform-team\n" });
    await mkdir(ops, { recursive: true });
    const result = await cake(ops, "init");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Writing: ../../.github/workflows/cake.yml\n");
    expect(result.stdout).toContain("Keeping: ../../.gitlab-ci.yml (exists)\n");
    expect(result.stdout).toContain("Keeping: ../../.github/CODEOWNERS (exists)\n");
    expect(result.stdout).toContain(
      "../../.gitlab-ci.yml existed and was kept: add steps that run cake validate --repo platform/ops",
    );
    expect(result.stdout).toContain(
      '../../.github/CODEOWNERS existed and was kept: add the rules that "cake init --codeowners --stdout"',
    );
    expect(await readFile(path.join(repo.dir, ".gitlab-ci.yml"), "utf8")).toBe("stages: [build]\n");
    await expect(stat(path.join(repo.dir, "CODEOWNERS"))).rejects.toThrow();
  });

  it("regenerates codeowners at top", async () => {
    await cake(repo.dir, "init", "platform/ops");
    const varsFile = path.join(ops, "vars/dev-us-east-1.yaml");
    const vars = await readFile(varsFile, "utf8");
    await writeFile(varsFile, vars.replace("roles: [cake-user]", "roles: [cake-user, cake-admin]"));
    const result = await cake(ops, "init", "--codeowners");
    const codeowners = await readFile(path.join(repo.dir, "CODEOWNERS"), "utf8");

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("Writing: ../../CODEOWNERS\n");
    expect(codeowners).toContain(
      "/platform/ops/vars/dev-us-east-1.yaml data-scientist@example.com platform-admin@example.com\n",
    );
    await expect(stat(path.join(ops, "CODEOWNERS"))).rejects.toThrow();
  });
});

/**
 * Rewrites the ApplicationSet file of the ops repo at `root` with the names an older cake init
 * gave every ops repo, wherever it was in its git repository.
 */
async function writeOlderApplicationSet(root: string): Promise<void> {
  const file = path.join(root, "argocd/applicationset.yaml");
  const text = await readFile(file, "utf8");
  await writeFile(
    file,
    text.replace(/cake-deployments-[a-z0-9-]+/g, "cake-deployments").replace(/cake-teams--[a-z]-/g, "cake-"),
  );
}

/** Returns the argument lists of every `cake` command in a shell script, one per command. */
function cakeCommands(script: string): string[][] {
  const commands: string[][] = [];
  for (const rawLine of script.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;

    // Split into words, keeping quoted strings whole; quotes are removed.
    const words = [...line.matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((match) =>
      match[0].replace(/^["']|["']$/g, ""),
    );
    let start = true;
    let current: string[] | undefined;
    for (const word of words) {
      if (["&&", "||", ";", "|", "then", "else", "do"].includes(word)) {
        start = true;
        current = undefined;
        continue;
      }
      if (word === ">" || word.startsWith(">")) {
        current = undefined;
        continue;
      }
      if (start && word === "cake") {
        current = [];
        commands.push(current);
      } else if (current) {
        current.push(word);
      }
      start = false;
    }
  }
  return commands;
}

/** Returns every shell script of a GitHub workflow or a GitLab pipeline. */
function scriptsOf(pipeline: unknown): string[] {
  if (typeof pipeline === "string") return [];
  if (Array.isArray(pipeline)) return pipeline.flatMap(scriptsOf);
  if (pipeline === null || typeof pipeline !== "object") return [];

  const scripts: string[] = [];
  for (const [key, value] of Object.entries(pipeline)) {
    if ((key === "run" || key === "script" || key === "before_script") && typeof value === "string")
      scripts.push(value);
    else if ((key === "script" || key === "before_script") && Array.isArray(value))
      scripts.push(...value.map(String));
    else scripts.push(...scriptsOf(value));
  }
  return scripts;
}

describe("pipeline cake commands", async () => {
  const program = await buildProgram({
    io: { argv: [], cwd: ".", stdout: { write: () => 0 }, stderr: { write: () => 0 } },
    setExitCode: () => {},
  });

  function checkCommand(argv: string[], where: string): void {
    const [name, ...words] = argv;
    let command = program.commands.find((entry: Command) => entry.name() === name);
    expect(command, `${where}: cake ${argv.join(" ")}`).toBeDefined();
    if (!command) return;

    // Descend into subcommands such as `cake user add`.
    let rest = words;
    let subcommand = command.commands.find((entry: Command) => entry.name() === rest[0]);
    while (subcommand) {
      command = subcommand;
      rest = rest.slice(1);
      subcommand = command.commands.find((entry: Command) => entry.name() === rest[0]);
    }

    const longOptions = new Set(command.options.map((option) => option.long));
    for (const word of rest) {
      if (!word.startsWith("--")) continue;
      const option = word.split("=")[0];
      expect(longOptions.has(option), `${where}: cake ${name} has no option ${option}`).toBe(true);
    }
  }

  it("name existing commands and options", async () => {
    await cake(dir, "init");
    const seen: string[] = [];

    for (const file of [".github/workflows/cake.yml", ".gitlab-ci.yml"]) {
      const pipeline = parse(await readFile(path.join(dir, file), "utf8"));
      for (const script of scriptsOf(pipeline)) {
        for (const argv of cakeCommands(script)) {
          checkCommand(argv, file);
          seen.push(`${file}: ${argv[0]}`);
        }
      }
    }

    for (const file of [".github/workflows/cake.yml", ".gitlab-ci.yml"]) {
      expect(seen).toContain(`${file}: validate`);
      expect(seen).toContain(`${file}: reconcile`);
      expect(seen).toContain(`${file}: plan`);
    }
  });

  it("README install spec names this version", async () => {
    await cake(dir, "init");
    const readme = await readFile(path.join(dir, "README.md"), "utf8");
    const specs = readme.match(/@your-org\/cake@[^`\s]*/g);

    expect(specs).toEqual([`@your-org/cake@${CAKE_VERSION}`]);
  });

  it("README commands exist", async () => {
    await cake(dir, "init");
    const readme = await readFile(path.join(dir, "README.md"), "utf8");
    const block = readme.match(/```sh\n([\s\S]*?)```/)?.[1] ?? "";
    const commands = cakeCommands(block.replace(/ {2,}#.*$/gm, ""));

    expect(commands.length).toBeGreaterThan(3);
    for (const argv of commands) checkCommand(argv, "README.md");
  });
});
