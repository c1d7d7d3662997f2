/**
 * A no-op reconcile must not load the vars loader: its modules (zod, yaml, js-yaml, the
 * rules) cost about 60 ms per process, a third of the run (an estimate from timing the
 * import on a 2-core machine). A module hook records every module the built CLI loads.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { reconcile } from "../../src/output/reconcile.js";
import { resolveLayout } from "../../src/repo/layout.js";
import { makeTempDir } from "./tree.js";
import { ALICE, BOB, makeRepo, varsText } from "./vars.js";

const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL("../../bin/cake.js", import.meta.url));

/** Runs the built CLI with a module hook that appends each loaded module's URL to a log file. */
async function loadedModules(cwd: string, ...argv: string[]): Promise<string[]> {
  const folder = await makeTempDir("cake-hooks-");
  const log = path.join(folder, "modules.log");
  const hooks = path.join(folder, "hooks.mjs");
  const register = path.join(folder, "register.mjs");
  await writeFile(log, "");
  await writeFile(
    hooks,
    [
      'import { appendFileSync } from "node:fs";',
      "export async function resolve(specifier, context, next) {",
      "  const result = await next(specifier, context);",
      `  appendFileSync(${JSON.stringify(log)}, result.url + "\\n");`,
      "  return result;",
      "}",
    ].join("\n"),
  );
  await writeFile(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  await execFileAsync(process.execPath, ["--import", pathToFileURL(register).href, BIN, ...argv], { cwd });
  return (await readFile(log, "utf8")).split("\n").filter((line) => line !== "");
}

describe("no-op reconcile startup", () => {
  it("does not load the vars loader", async () => {
    const root = await makeRepo({ "vars/prod-us-east-1.yaml": varsText() });
    await reconcile({ layout: await resolveLayout(root) });

    const modules = await loadedModules(root, "reconcile");

    // The log lists the CLI itself, so an empty log would mean that the hook never ran.
    expect(modules.some((url) => url.endsWith("/dist/output/reconcile.js"))).toBe(true);
    for (const heavy of [
      "/node_modules/zod/",
      "/node_modules/yaml/",
      "/node_modules/js-yaml/",
      "/dist/config/rules/",
      "/dist/config/incremental.js",
    ]) {
      expect(modules.filter((url) => url.includes(heavy))).toEqual([]);
    }
  });
});

describe("one-change reconcile startup", () => {
  it("does not load the yaml package", async () => {
    const root = await makeRepo({ "vars/prod-us-east-1.yaml": varsText() });
    await reconcile({ layout: await resolveLayout(root) });
    // Bob's access to ml-prod changes from edit to view.
    const bob = { ...BOB, allowed_namespaces: [{ name: "ml-prod", access: "view" as const }] };
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), varsText({ users: [ALICE, bob] }));

    const modules = await loadedModules(root, "reconcile");

    // A plain vars file loads through the fast path (js-yaml). Loading the `yaml` package costs
    // about 25 ms, measured with a CPU profile of a one-grant change at 10k users.
    expect(modules.some((url) => url.endsWith("/dist/config/incremental.js"))).toBe(true);
    expect(modules.filter((url) => url.includes("/node_modules/yaml/"))).toEqual([]);
  });
});

describe("startup in a repo that cake init made", () => {
  /** Runs `cake init` into a new folder (cake.yaml, the ApplicationSet file) and reconciles it. */
  async function initRepo(): Promise<string> {
    const root = await makeTempDir("cake-startup-init-");
    await execFileAsync(process.execPath, [BIN, "init", root]);
    await execFileAsync(process.execPath, [BIN, "reconcile"], { cwd: root });
    return root;
  }

  it("no-op does not load the vars loader", async () => {
    const root = await initRepo();

    const modules = await loadedModules(root, "reconcile");

    expect(modules.some((url) => url.endsWith("/dist/output/reconcile.js"))).toBe(true);
    for (const heavy of ["/node_modules/zod/", "/node_modules/yaml/", "/node_modules/js-yaml/"]) {
      expect(modules.filter((url) => url.includes(heavy))).toEqual([]);
    }
  });

  it("one change does not load the yaml package", async () => {
    const root = await initRepo();
    const grant = ["user", "grant", "--deployment", "dev-us-east-1", "--email", "data-scientist@example.com"];
    await execFileAsync(
      process.execPath,
      [BIN, ...grant, "--namespace", "ml-prod", "--access", "edit", "--no-reconcile"],
      {
        cwd: root,
      },
    );

    const modules = await loadedModules(root, "reconcile");

    expect(modules.some((url) => url.endsWith("/dist/config/incremental.js"))).toBe(true);
    expect(modules.filter((url) => url.includes("/node_modules/yaml/"))).toEqual([]);
  });
});
