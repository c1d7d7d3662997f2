import { appendFile, copyFile, mkdir, mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readStoredLoad, writeStoredLoad } from "../../src/output/cache.js";
import { FIXTURES } from "./helpers.js";

/** Creates a temporary ops repo with the edit fixtures under `vars/`. */
export async function makeRepo(fixtures = ["dev-eu-west-1.yaml", "qa-us-east-1.yaml"]): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "cake-edit-"));
  await mkdir(path.join(root, "vars"));
  for (const fixture of fixtures)
    await copyFile(path.join(FIXTURES, fixture), path.join(root, "vars", fixture));
  return root;
}

export { type CliResult, runCake as cake } from "../helpers/cli.js";

/** Records every file under `root` with its bytes and mtime, to prove a command wrote nothing. */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  async function walk(folder: string): Promise<void> {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const info = await stat(full);
        files[path.relative(root, full)] = `${info.mtimeMs} ${await readFile(full, "utf8")}`;
      }
    }
  }
  await walk(root);
  return files;
}

export function readVars(root: string, name = "dev-eu-west-1"): Promise<string> {
  return readFile(path.join(root, "vars", `${name}.yaml`), "utf8");
}

/**
 * Rewrites the stored load of `folder` so that `username` is disabled in its model, unlike in
 * the vars file. A command that shows the user disabled took its model from the stored load.
 */
export function markStoredLoad(root: string, folder: string, username: string): void {
  const stored = readStoredLoad(root, folder);
  if (stored === undefined) throw new Error("reconcile stored no load");
  const { deployment } = stored.snapshot;
  const users = deployment.users.map((user) =>
    user.username === username ? { ...user, disabled: true } : user,
  );
  writeStoredLoad(root, folder, stored.text, { ...stored.snapshot, deployment: { ...deployment, users } });
}

/**
 * Appends a user to `vars/qa-us-east-1.yaml` as a person editing the file would, so no check
 * across deployments of `cake user add` runs.
 */
export async function addQaUserByHand(root: string, email: string, username: string): Promise<void> {
  const entry = `  - {email: ${email}, username: ${username}, roles: [cake-user], allowed_namespaces: []}\n`;
  await appendFile(path.join(root, "vars", "qa-us-east-1.yaml"), entry);
}
