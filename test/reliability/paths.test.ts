/**
 * Paths: whatever the names and symlinks in a repo, cake reads vars files and writes
 * output only inside the repo.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { CakeError } from "../../src/errors.js";
import { applyPlan, type DesiredOutput, planFolder } from "../../src/output/writer.js";
import { assertRealPathInside, resolveInside } from "../../src/repo/paths.js";
import { varsText } from "../output/vars.js";
import { makeTempDir, snapshotBytes, writeFiles } from "./helpers.js";

const execFileAsync = promisify(execFile);

const VARS = "vars/prod-us-east-1.yaml";
const OUTPUT = "deployments/prod-us-east-1";
const folders: string[] = [];

afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

async function tempDir(prefix: string): Promise<string> {
  const folder = await makeTempDir(prefix);
  folders.push(folder);
  return folder;
}

async function cake(root: string, ...argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const code = await run({
    argv,
    cwd: root,
    stdout: { write: () => true },
    stderr: {
      write: (text: string) => {
        stderr += text;
        return true;
      },
    },
  });
  return { code, stderr };
}

/** Runs `cake user add` for a new cake-user in the prod deployment. */
function addErin(root: string): Promise<{ code: number; stderr: string }> {
  const argv = ["--deployment", "prod-us-east-1", "--email", "erin@example.com", "--role", "cake-user"];
  return cake(root, "user", "add", ...argv);
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

describe("resolveInside", () => {
  it.each([
    ["", "empty"],
    ["../outside", "parent"],
    ["deployments/../../outside", "nested parent"],
    ["deployments\\..\\..\\outside", "backslash parent"],
    ["/etc/passwd", "POSIX absolute"],
    ["C:\\Windows", "drive letter"],
    ["C:relative", "drive-relative"],
    ["\\\\server\\share", "UNC"],
    ["deployments/a\0b", "NUL"],
  ])("rejects %j (%s)", (relative) => {
    expect(() => resolveInside("/repo", relative)).toThrow(CakeError);
  });

  it("accepts a nested relative path", () => {
    expect(resolveInside("/repo", "deployments/prod-us-east-1/profiles/asmith.yaml")).toBe(
      path.join("/repo", "deployments/prod-us-east-1/profiles/asmith.yaml"),
    );
  });

  it("never leaves the folder, whatever the input", () => {
    const root = path.resolve("/repo/deployments/prod-us-east-1");
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom("..", ".", "/", "\\", "\0", "C:")), { maxLength: 6 }),
        (parts) => {
          const relative = parts.join("/");
          try {
            expect(
              isInside(root, resolveInside(root, relative)) || path.resolve(root, relative) === root,
            ).toBe(true);
          } catch (error) {
            if (!(error instanceof CakeError)) throw error;
          }
        },
      ),
      { numRuns: 2_000, seed: 42 },
    );
  });

  it("keeps DNS-label names inside their folder", () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    fc.assert(
      fc.property(label, fc.array(label, { minLength: 1, maxLength: 3 }), (deployment, segments) => {
        const folder = resolveInside("/repo", `deployments/${deployment}`);
        expect(isInside(folder, resolveInside(folder, `${segments.join("/")}.yaml`))).toBe(true);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe("assertRealPathInside", () => {
  it("accepts a symlink inside the repo", async () => {
    const root = await tempDir("cake-paths-");
    await mkdir(path.join(root, "config", "vars"), { recursive: true });
    await symlink(path.join(root, "config", "vars"), path.join(root, "vars"));

    expect(await assertRealPathInside(root, "vars")).toBe(path.join(await realRoot(root), "config", "vars"));
  });

  it("accepts a path not created yet", async () => {
    const root = await tempDir("cake-paths-");

    await expect(assertRealPathInside(root, "deployments/prod-us-east-1")).resolves.toContain(
      "prod-us-east-1",
    );
  });

  it("rejects a symlink leading outside", async () => {
    const root = await tempDir("cake-paths-");
    const outside = await tempDir("cake-outside-");
    await symlink(outside, path.join(root, "deployments"));

    await expect(assertRealPathInside(root, "deployments/prod-us-east-1")).rejects.toThrow(CakeError);
    await expect(assertRealPathInside(root, "deployments/prod-us-east-1")).rejects.toThrow("deployments");
  });

  it("rejects a dangling symlink leading outside", async () => {
    const root = await tempDir("cake-paths-");
    const outside = await tempDir("cake-outside-");
    await symlink(path.join(outside, "not-yet"), path.join(root, "deployments"));

    await expect(assertRealPathInside(root, "deployments")).rejects.toThrow(CakeError);
  });
});

async function realRoot(root: string): Promise<string> {
  const { realpath } = await import("node:fs/promises");
  return realpath(root);
}

/** Creates a valid repo and an empty folder outside it. */
async function repoAndOutside(): Promise<{ root: string; outside: string }> {
  const root = await tempDir("cake-paths-repo-");
  const outside = await tempDir("cake-outside-");
  await writeFiles(root, { [VARS]: varsText() });
  return { root, outside };
}

describe("symlinks on the command line", () => {
  it("rejects a symlinked deployments folder", async () => {
    const { root, outside } = await repoAndOutside();
    await symlink(outside, path.join(root, "deployments"));

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("symlink");
    expect((await snapshotBytes(outside)).size).toBe(0);
  });

  it("rejects a symlinked deployment folder", async () => {
    const { root, outside } = await repoAndOutside();
    await mkdir(path.join(root, "deployments"));
    await symlink(outside, path.join(root, OUTPUT));

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(OUTPUT);
    expect((await snapshotBytes(outside)).size).toBe(0);
  });

  it("rejects a symlinked vars file", async () => {
    const { root, outside } = await repoAndOutside();
    await writeFile(path.join(outside, "prod-us-east-1.yaml"), varsText());
    await rm(path.join(root, VARS));
    await symlink(path.join(outside, "prod-us-east-1.yaml"), path.join(root, VARS));

    const reconciled = await cake(root, "reconcile");
    const validated = await cake(root, "validate");

    expect(reconciled.code).toBe(1);
    expect(reconciled.stderr).toContain(VARS);
    expect(validated.code).toBe(1);
    expect((await snapshotBytes(path.join(root, "deployments"))).size).toBe(0);
  });

  it("rejects a vars file symlinked outside after a reconcile cached its bytes", async () => {
    const { root, outside } = await repoAndOutside();
    const dev = "vars/dev-eu-west-1.yaml";
    await writeFile(path.join(root, dev), varsText({ environment: "dev", region: "eu-west-1" }));
    expect((await cake(root, "reconcile")).code).toBe(0);
    // The same bytes, now outside the repo: the cache's sha256 still matches.
    await writeFile(path.join(outside, "prod-us-east-1.yaml"), await readFile(path.join(root, VARS)));
    await rm(path.join(root, VARS));
    await symlink(path.join(outside, "prod-us-east-1.yaml"), path.join(root, VARS));

    const reconciled = await cake(root, "reconcile");
    const edited = await cake(
      root,
      "user",
      "disable",
      "--deployment",
      "dev-eu-west-1",
      "--email",
      "bob@example.com",
    );

    expect(reconciled.code).toBe(1);
    expect(reconciled.stderr).toContain("outside the repo");
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain("outside the repo");
  });

  it.runIf(process.platform !== "win32")("rejects a named pipe as a vars file the cache knew", async () => {
    const { root } = await repoAndOutside();
    expect((await cake(root, "reconcile")).code).toBe(0);
    await rm(path.join(root, VARS));
    await execFileAsync("mkfifo", [path.join(root, VARS)]);

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("is not a regular file");
  });

  it("edit rejects a symlinked vars file", async () => {
    const { root, outside } = await repoAndOutside();
    const text = varsText();
    await writeFile(path.join(outside, "prod-us-east-1.yaml"), text);
    await rm(path.join(root, VARS));
    await symlink(path.join(outside, "prod-us-east-1.yaml"), path.join(root, VARS));

    const result = await addErin(root);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("symlink");
    expect(await readFile(path.join(outside, "prod-us-east-1.yaml"), "utf8")).toBe(text);
  });

  it("accepts a vars folder symlinked inside", async () => {
    const root = await tempDir("cake-paths-repo-");
    await writeFiles(root, { "config/vars/prod-us-east-1.yaml": varsText() });
    await symlink(path.join(root, "config", "vars"), path.join(root, "vars"));

    const result = await cake(root, "reconcile");

    expect(result.code, result.stderr).toBe(0);
    expect((await snapshotBytes(path.join(root, OUTPUT))).size).toBeGreaterThan(0);
  });

  it("edits a vars file symlinked inside the repo where it really is", async () => {
    const root = await tempDir("cake-paths-repo-");
    await writeFiles(root, { "shared/prod.yaml": varsText() });
    await mkdir(path.join(root, "vars"));
    await symlink("../shared/prod.yaml", path.join(root, VARS));

    const result = await cake(
      root,
      "user",
      "add",
      "--deployment",
      "prod-us-east-1",
      "--email",
      "nora@example.com",
      "--role",
      "cake-user",
    );

    expect(result.code, result.stderr).toBe(0);
    expect(await readlink(path.join(root, VARS))).toBe("../shared/prod.yaml");
    expect(await readFile(path.join(root, "shared/prod.yaml"), "utf8")).toContain("nora@example.com");
  });

  it("rejects a subfolder symlinked outside", async () => {
    const { root, outside } = await repoAndOutside();
    expect((await cake(root, "reconcile")).code).toBe(0);
    const profiles = path.join(root, OUTPUT, "profiles");
    await rm(profiles, { recursive: true });
    await writeFiles(outside, { "asmith.yaml": "precious: data\n" });
    await symlink(outside, profiles);

    const written = await cake(root, "reconcile");
    const checked = await cake(root, "reconcile", "--check");

    expect(written.code).toBe(1);
    expect(written.stderr).toContain("profiles (a symbolic link)");
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain("profiles (a symbolic link)");
    expect(await readFile(path.join(outside, "asmith.yaml"), "utf8")).toBe("precious: data\n");
    expect((await snapshotBytes(outside)).size).toBe(1);
  });

  it("rejects a subfolder symlinked to another deployment", async () => {
    const { root } = await repoAndOutside();
    await writeFiles(root, { "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }) });
    expect((await cake(root, "reconcile")).code).toBe(0);
    const prodProfiles = await snapshotBytes(path.join(root, OUTPUT, "profiles"));
    await rm(path.join(root, "deployments/dev-us-east-1/profiles"), { recursive: true });
    await symlink("../prod-us-east-1/profiles", path.join(root, "deployments/dev-us-east-1/profiles"));

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(await snapshotBytes(path.join(root, OUTPUT, "profiles"))).toEqual(prodProfiles);
  });

  it("rejects a deployment folder symlinked inside", async () => {
    const { root } = await repoAndOutside();
    await mkdir(path.join(root, "other/prod"), { recursive: true });
    await mkdir(path.join(root, "deployments"));
    await symlink("../other/prod", path.join(root, OUTPUT));
    const text = await readFile(path.join(root, VARS), "utf8");

    const written = await cake(root, "reconcile");
    const checked = await cake(root, "reconcile", "--check");
    const edited = await addErin(root);

    for (const result of [written, checked, edited]) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${OUTPUT} is a symlink to ../other/prod`);
      expect(result.stderr).not.toContain("never writes");
    }
    expect((await snapshotBytes(path.join(root, "other"))).size).toBe(0);
    expect(await readFile(path.join(root, VARS), "utf8")).toBe(text);
  });

  it("rejects a deployment folder symlinked to another", async () => {
    const { root } = await repoAndOutside();
    await writeFiles(root, { "vars/dev-us-east-1.yaml": varsText({ environment: "dev" }) });
    await rm(path.join(root, VARS));
    expect((await cake(root, "reconcile")).code).toBe(0);
    const devOutput = await snapshotBytes(path.join(root, "deployments/dev-us-east-1"));
    await writeFiles(root, { [VARS]: varsText() });
    await symlink("dev-us-east-1", path.join(root, OUTPUT));

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${OUTPUT} is a symlink to dev-us-east-1`);
    expect(await snapshotBytes(path.join(root, "deployments/dev-us-east-1"))).toEqual(devOutput);
  });

  it("rejects an output folder symlinked inside", async () => {
    const { root } = await repoAndOutside();
    await mkdir(path.join(root, "generated"));
    await symlink("generated", path.join(root, "deployments"));

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("deployments is a symlink to generated");
    expect((await snapshotBytes(path.join(root, "generated"))).size).toBe(0);
  });

  it.runIf(process.platform !== "win32")("rejects a named pipe where a file goes", async () => {
    const { root } = await repoAndOutside();
    expect((await cake(root, "reconcile")).code).toBe(0);
    const file = path.join(root, OUTPUT, "profiles", "asmith.yaml");
    await rm(file);
    await execFileAsync("mkfifo", [file]);

    const result = await cake(root, "reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain("profiles/asmith.yaml (a named pipe)");
  });

  it("keeps no cache through a symlinked .cake/cache folder", async () => {
    const { root, outside } = await repoAndOutside();
    await mkdir(path.join(root, ".cake"));
    await symlink(outside, path.join(root, ".cake", "cache"));

    expect((await cake(root, "reconcile")).code).toBe(0);
    expect((await cake(root, "reconcile")).code).toBe(0);

    expect((await snapshotBytes(outside)).size).toBe(0);
  });

  it("keeps no cache through a symlinked .cake folder", async () => {
    const { root, outside } = await repoAndOutside();
    await symlink(outside, path.join(root, ".cake"));

    const first = await cake(root, "reconcile");
    const second = await cake(root, "reconcile");

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect((await snapshotBytes(outside)).size).toBe(0);
  });

  it("never prunes a symlinked orphan", async () => {
    const { root, outside } = await repoAndOutside();
    expect((await cake(root, "reconcile")).code).toBe(0);
    const generated = await snapshotBytes(path.join(root, OUTPUT));
    await writeFiles(outside, Object.fromEntries(generated));
    await symlink(outside, path.join(root, "deployments", "old-us-east-1"));

    await cake(root, "reconcile", "--prune-orphans");

    expect((await snapshotBytes(outside)).size).toBe(generated.size);
  });
});

describe("writer", () => {
  // The commands check paths before they reach the writer, but a deployment that the local
  // cache finds up to date skips loading, so the writer, the only code that writes output,
  // checks its folder itself.
  it("rejects a folder symlinked outside", async () => {
    const root = await tempDir("cake-paths-writer-");
    const outside = await tempDir("cake-outside-");
    await mkdir(path.join(root, "deployments"));
    await symlink(outside, path.join(root, OUTPUT));
    const desired: DesiredOutput = {
      folder: OUTPUT,
      varsFile: VARS,
      varsSha256: "0".repeat(64),
      profileOwner: "kubeflow-platform@example.com",
      profiles: [],
      profileUsers: {},
      files: [{ path: "kustomization.yaml", content: "# Generated by cake from vars\n" }],
    } as DesiredOutput;

    const attempt = (async () => applyPlan(root, await planFolder(root, desired)))();

    await expect(attempt).rejects.toThrow(CakeError);
    expect((await snapshotBytes(outside)).size).toBe(0);
  });
});
