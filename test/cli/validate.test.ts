import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixtureText, positionOf, usersYaml, varsYaml } from "../config/helpers.js";
import { runCake } from "../helpers/cli.js";
import { copyExampleOps, createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const cake = runCake;

const INVALID = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: platform\n" });
const WARNING = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: Platform@example.com\n" });

describe("cake validate repo_path", () => {
  let repo: TempRepo;

  beforeEach(async () => {
    repo = await createGitRepo();
    await repo.commit("Add the ops repo", {
      "platform/ops/vars/prod-us-east-1.yaml": fixtureText("prod-us-east-1.yaml"),
      "platform/ops/cake.yaml": "vars_dir: vars\nrepo_path: platform/ops\n",
    });
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  it("accepts the actual folder", async () => {
    const result = await cake(path.join(repo.dir, "platform/ops"), "validate");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });

  it("warns on a moved folder", async () => {
    await repo.git("mv", "platform", "teams");
    const result = await cake(path.join(repo.dir, "teams/ops"), "validate", "--format", "json");
    const [diagnostic] = JSON.parse(result.stdout).diagnostics;

    expect(result.code).toBe(0);
    expect(diagnostic.code).toBe("repo-path-mismatch");
    expect(diagnostic.severity).toBe("warning");
    expect(diagnostic.file).toBe("cake.yaml");
    expect([diagnostic.line, diagnostic.column]).toEqual([2, 12]);
    expect(diagnostic.message).toContain('set repo_path: "teams/ops" in cake.yaml');
  });

  it("summary names cake.yaml apart", async () => {
    await repo.git("mv", "platform", "teams");
    const vars = path.join(repo.dir, "teams/ops/vars");

    const result = await cake(vars, "validate", "prod-us-east-1.yaml");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain("../cake.yaml:2:12: warning [repo-path-mismatch]");
    expect(result.stderr).toMatch(/\n0 errors, 1 warning in \.\.\/cake\.yaml\n$/);
    expect(result.stdout).toBe("1 file valid\n");
  });

  it("summary counts vars files apart", async () => {
    await repo.git("mv", "platform", "teams");
    await repo.write({ "teams/ops/vars/prod-us-east-1.yaml": WARNING });
    const vars = path.join(repo.dir, "teams/ops/vars");

    const result = await cake(vars, "validate", "prod-us-east-1.yaml");

    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\n0 errors, 2 warnings in 1 vars file and \.\.\/cake\.yaml\n$/);
    expect(result.stdout).toBe("1 file valid\n");
  });

  it("warns on a missing repo_path", async () => {
    await repo.write({ "platform/ops/cake.yaml": "vars_dir: vars\n" });
    const result = await cake(path.join(repo.dir, "platform/ops"), "validate");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain("cake.yaml:1:1: warning [repo-path-mismatch] repo_path:");
  });

  it("says to create a missing cake.yaml", async () => {
    await repo.remove("platform/ops/cake.yaml");
    const result = await cake(path.join(repo.dir, "platform/ops"), "validate");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('create cake.yaml at the ops repo root with repo_path: "platform/ops"');
  });

  it("doubts a root without cake.yaml or vars", async () => {
    await repo.remove("platform/ops/cake.yaml");
    const result = await cake(path.join(repo.dir, "platform/ops/vars"), "validate", "prod-us-east-1.yaml");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      '"platform/ops/vars" has no cake.yaml and no vars folder, so it may not be the ops repo root: ' +
        "run cake from the root or pass --repo",
    );
    expect(result.stderr).not.toContain("create cake.yaml at the ops repo root");
  });
});

describe("cake validate", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-validate-"));
    await mkdir(path.join(root, "vars"));
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), fixtureText("prod-us-east-1.yaml"));
    await writeFile(path.join(root, "vars", "staging-local.yaml"), fixtureText("staging-local.yaml"));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("names a folder given as a file", async () => {
    const result = await cake(root, "validate", "vars");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("vars is a folder; name vars files, or leave out the file arguments");
  });

  it("names a missing file", async () => {
    const result = await cake(root, "validate", "vars/nope.yaml");

    expect(result.code).toBe(2);
    expect(result.stderr).toBe("cake: vars file vars/nope.yaml not found.\n");
  });

  it("names a folder as typed", async () => {
    const result = await cake(root, "validate", "./vars/");

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^cake: \.\/vars\/ is a folder;/);
  });

  it("valid repo exits 0", async () => {
    const result = await cake(root, "validate");

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("2 files valid\n");
    expect(result.stderr).toBe("");
  });

  it("warnings still exit 0", async () => {
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), WARNING);

    const result = await cake(root, "validate");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain("warning [email-uppercase] kubeflow.profile_owner:");
    expect(result.stdout).toBe("2 files valid\n");
  });

  it("places warnings in flow-style users", async () => {
    // The fast path finds positions by the block layout, so it cannot place this warning.
    const users = usersYaml("  deploy_namespaces: [team-a]\n", []).replace(
      "users: []",
      "users: [{email: Ana@example.com, username: ana, roles: [cake-user]}]",
    );
    const text = varsYaml({ users });
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), text);

    const result = await cake(root, "validate", "--format", "json");
    const warning = JSON.parse(result.stdout).diagnostics.find(
      (diagnostic: { code: string }) => diagnostic.code === "email-uppercase",
    );

    expect(result.code).toBe(0);
    expect(warning.path).toBe("users.users[0].email");
    expect([warning.line, warning.column]).toEqual(Object.values(positionOf(text, "Ana@example.com")));
  });

  it("invalid file exits 1 with a caret", async () => {
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), INVALID);

    const result = await cake(root, "validate");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "vars/prod-us-east-1.yaml:4:18: error [invalid-email] kubeflow.profile_owner:",
    );
    expect(result.stderr).toContain("  profile_owner: platform\n");
    expect(result.stderr).toContain("^\n");
    expect(result.stderr).toContain("1 error, 0 warnings in 1 file");
    expect(result.stdout).toBe("1 of 2 files valid\n");
  });

  it("JSON output has the documented shape", async () => {
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), INVALID);

    const result = await cake(root, "validate", "--format", "json");

    expect(result.code).toBe(1);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      diagnostics: [
        {
          severity: "error",
          code: "invalid-email",
          file: "vars/prod-us-east-1.yaml",
          line: 4,
          column: 18,
          path: "kubeflow.profile_owner",
          message: expect.stringContaining('"platform"'),
        },
      ],
    });
  });

  it("JSON output of a valid repo is empty", async () => {
    const result = await cake(root, "validate", "--format", "json");

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ diagnostics: [] });
  });

  it("checks only the named files", async () => {
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), INVALID);

    const result = await cake(root, "validate", "vars/staging-local.yaml");

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("1 file valid\n");
  });

  it("--repo points at another folder", async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "cake-cwd-"));

    const result = await cake(elsewhere, "validate", "--repo", root);
    await rm(elsewhere, { recursive: true, force: true });

    expect(result.code).toBe(0);
    expect(result.stdout).toBe("2 files valid\n");
  });

  it("reads a named file outside the repo", async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "cake-cwd-"));
    await writeFile(path.join(elsewhere, "prod-us-east-1.yaml"), INVALID);

    const result = await cake(elsewhere, "validate", "--repo", root, "prod-us-east-1.yaml");
    await rm(elsewhere, { recursive: true, force: true });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("kubeflow.profile_owner");
    expect(result.stderr).not.toContain("file-not-found");
  });

  it("--vars-dir selects the legacy folder", async () => {
    const legacy = path.join(root, "platform", "scripts", "gen_deploy", "vars");
    await mkdir(legacy, { recursive: true });
    await writeFile(path.join(legacy, "prod-us-east-1.yaml"), INVALID);

    const result = await cake(
      root,
      "validate",
      "--vars-dir",
      "platform/scripts/gen_deploy/vars",
      "--format",
      "json",
    );

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).diagnostics[0].file).toBe(
      "platform/scripts/gen_deploy/vars/prod-us-east-1.yaml",
    );
  });

  it("unknown format is a usage error", async () => {
    const result = await cake(root, "validate", "--format", "xml");

    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
  });

  it("empty vars folder is a usage error", async () => {
    await rm(path.join(root, "vars"), { recursive: true });

    const result = await cake(root, "validate");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no vars files");
  });

  it("missing repo is a usage error", async () => {
    const result = await cake(root, "validate", "--repo", path.join(root, "absent"));

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("does not exist");
  });

  it("repo that is a file is a usage error", async () => {
    const result = await cake(root, "validate", "--repo", path.join(root, "vars/prod-us-east-1.yaml"));

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is not a folder");
  });

  it("missing named file is a usage error", async () => {
    const result = await cake(root, "validate", "vars/absent.yaml");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("absent.yaml");
  });

  it("YAML errors print no stack trace", async () => {
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), "environment: [unclosed\n");

    const result = await cake(root, "validate");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error [yaml-syntax]");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("indentation slip prints only the syntax error", async () => {
    // `users:` then reads as a second top-level key: the error is where the parser stops, and
    // a duplicate "users" at the top level exists only in that misread tree.
    const slipped = fixtureText("prod-us-east-1.yaml").replace(
      "\n  deploy_namespaces:",
      "\ndeploy_namespaces:",
    );
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), slipped);

    for (const command of ["validate", "reconcile"]) {
      const result = await cake(root, command);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `vars/prod-us-east-1.yaml:${positionOf(slipped, "  users:", 1).line}:3: error [yaml-syntax]`,
      );
      expect(result.stderr).not.toContain("yaml-duplicate-key");
      expect(result.stderr).toContain("1 error, 0 warnings in 1 file");
    }
  });

  it("validation writes nothing", async () => {
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), INVALID);

    await cake(root, "validate");

    expect((await readdir(root)).sort()).toEqual(["vars"]);
  });
});

describe("cake validate emails across deployments", () => {
  let root: string;
  const STAGING = "vars/staging-europe-west1.yaml";
  const LOWERCASED = "  lowercase_emails: true                 # Google lower-cases the email claim\n";

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-validate-case-"));
    await copyExampleOps(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Replaces `before` with `after` in the staging vars file of the example. */
  async function editStaging(before: string, after: string): Promise<void> {
    const file = path.join(root, STAGING);
    const text = await readFile(file, "utf8");
    expect(text).toContain(before);
    await writeFile(file, text.replace(before, after));
  }

  /** Returns the codes and places of the diagnostics of `cake validate --format json`. */
  async function caseWarnings(): Promise<string[]> {
    const result = await cake(root, "validate", "--format", "json");
    expect(result.code).toBe(0);
    const { diagnostics } = JSON.parse(result.stdout) as {
      diagnostics: { code: string; file: string; line: number; path: string }[];
    };
    return diagnostics
      .filter((diagnostic) => diagnostic.code === "email-case-across-deployments")
      .map(({ file, line, path: field }) => `${file}:${line} ${field}`);
  }

  it("accepts an IdP that lower-cases", async () => {
    // The example spells Alice.Smith as prod's IdP sends it, and lower-case for Google.
    expect(await caseWarnings()).toEqual([]);
  });

  it("warns about case across files", async () => {
    await editStaging(LOWERCASED, "  lowercase_emails: false\n");

    const text = await cake(root, "validate");

    expect(await caseWarnings()).toEqual([
      "vars/prod-us-east-1.yaml:48 users.users[0].email",
      "vars/staging-europe-west1.yaml:43 users.users[0].email",
    ]);
    expect(text.code).toBe(0);
    expect(text.stderr).toContain(
      'vars/prod-us-east-1.yaml:48:14: warning [email-case-across-deployments] users.users[0].email: "Alice.Smith@example.com" ' +
        `differs only in case from "alice.smith@example.com" in ${STAGING}; bindings compare emails exactly, so if one ` +
        "identity provider serves both deployments, one spelling matches no request. Write the spelling the identity " +
        "provider sends in every file, or, if the deployments have different identity providers, set a different " +
        "identity.idp_name in each\n",
    );
  });

  it("accepts different identity providers", async () => {
    await editStaging(LOWERCASED, "  lowercase_emails: false\n  idp_name: partner-sso\n");
    const oneNamed = await caseWarnings();
    const prod = path.join(root, "vars/prod-us-east-1.yaml");
    const text = await readFile(prod, "utf8");
    await writeFile(prod, text.replace("kubeflow:\n", "identity:\n  idp_name: corp-okta\nkubeflow:\n"));
    const bothNamed = await caseWarnings();
    await writeFile(prod, text.replace("kubeflow:\n", "identity:\n  idp_name: partner-sso\nkubeflow:\n"));
    const sameName = await caseWarnings();

    // A name on one side alone does not show that the other deployment has another provider.
    expect(oneNamed).toHaveLength(2);
    expect(bothNamed).toEqual([]);
    expect(sameName).toHaveLength(2);
  });

  it("ignores a disabled user", async () => {
    await editStaging(LOWERCASED, "  lowercase_emails: false\n");
    await editStaging(
      "    - email: alice.smith@example.com\n",
      "    - email: alice.smith@example.com\n      disabled: true\n",
    );

    expect(await caseWarnings()).toEqual([]);
  });
});
