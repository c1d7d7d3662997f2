import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MANIFEST_FILE } from "../../src/output/manifest.js";
import { reconcile } from "../../src/output/reconcile.js";
import { resolveLayout } from "../../src/repo/layout.js";
import { makeTempDir, snapshotTree } from "./tree.js";
import { makeRepo, type VarsUser, varsText } from "./vars.js";

const PROD = "deployments/prod-us-east-1";
const PROD_VARS = "vars/prod-us-east-1.yaml";
const CLI_MODULE = new URL("../../src/cli/main.ts", import.meta.url).href;

function users(count: number, domain: string): VarsUser[] {
  return Array.from({ length: count }, (_, index) => ({
    email: `user${index}@${domain}`,
    username: `user${index}`,
    allowed_namespaces: ["ml-a"],
  }));
}

async function contents(root: string): Promise<Record<string, string>> {
  const snapshot = await snapshotTree(path.join(root, PROD));
  return Object.fromEntries(Object.entries(snapshot).map(([file, { content }]) => [file, content]));
}

/**
 * Starts `cake reconcile` in a child process and kills it with SIGKILL once the
 * deployment folder has seen `events` file system events (temporary files written,
 * the journal, renames), so each run stops at a different step.
 */
function reconcileAndKill(root: string, events: number): Promise<void> {
  const script = [
    `import { run } from ${JSON.stringify(CLI_MODULE)};`,
    `process.exitCode = await run({ argv: ["reconcile", "--allow-profile-handover=*"], cwd: ${JSON.stringify(root)}, stdout: { write() {} }, stderr: process.stderr });`,
  ].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    let seen = 0;
    const watcher = watch(path.join(root, PROD), () => {
      seen += 1;
      if (seen === events) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", () => {
      watcher.close();
      resolve();
    });
  });
}

describe("reconcile killed at any point", () => {
  it("leaves old or new files, then completes", async () => {
    // Every profile file changes between the two versions, because every email does, which
    // hands every private profile to a new email.
    const before = varsText({ namespaces: ["ml-a"], users: users(150, "example.com") });
    const after = varsText({ namespaces: ["ml-a"], users: users(150, "example.org") });
    const reference = await makeRepo({ [PROD_VARS]: before });
    await reconcile({ layout: await resolveLayout(reference) });
    const oldFiles = await contents(reference);
    await writeFile(path.join(reference, PROD_VARS), after);
    await reconcile({ layout: await resolveLayout(reference), allowProfileHandover: ["*"] });
    const newFiles = await contents(reference);

    for (const events of [1, 100, 250, 330, 360, 400, 1_000_000]) {
      const root = await makeTempDir("cake-crash-");
      await cp(reference, root, { recursive: true });
      await writeFile(path.join(root, PROD_VARS), before);
      await reconcile({ layout: await resolveLayout(root), allowProfileHandover: ["*"] });
      await writeFile(path.join(root, PROD_VARS), after);

      await reconcileAndKill(root, events);

      const killed = await contents(root);
      for (const [file, content] of Object.entries(killed)) {
        if (file.startsWith(".cake-") && file !== MANIFEST_FILE) continue;
        expect([oldFiles[file], newFiles[file]], `${file} after a kill at event ${events}`).toContain(
          content,
        );
      }

      await reconcile({ layout: await resolveLayout(root), allowProfileHandover: ["*"] });

      expect(await contents(root)).toEqual(newFiles);
      expect((await reconcile({ layout: await resolveLayout(root), check: true })).drift).toBe(false);
      expect(await readFile(path.join(root, PROD_VARS), "utf8")).toBe(after);
    }
  }, 120_000);
});
