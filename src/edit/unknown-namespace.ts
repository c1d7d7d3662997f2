/**
 * The error of a grant of a namespace that the edited deployment does not declare, with the
 * other deployments of the repo that declare it. The other vars files are read only on that
 * error, so that a grant that succeeds does not read them for it.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { loadVarsText } from "../config/load.js";
import { VarsDocument } from "./document.js";
import { EditError } from "./errors.js";
import type { EditTarget } from "./session.js";
import { requireNamespace } from "./users.js";

/**
 * Runs `edit`, and when it fails with `unknown-namespace` on one of `namespaces`, throws that
 * error with a fuller fix. With `oneTarget`, when the edit changes this deployment alone, the
 * fix names the other deployments of the repo that declare the namespace, and the deployment
 * that its `cake namespace add` should name.
 */
export async function withUndeclaredNamespaceFix<T>(
  target: EditTarget,
  namespaces: readonly string[],
  oneTarget: boolean,
  edit: () => T | Promise<T>,
): Promise<T> {
  try {
    return await edit();
  } catch (error) {
    if (!(error instanceof EditError) || error.code !== "unknown-namespace" || !oneTarget) throw error;
    const declared = new Set(target.deployment.deployNamespaces.map((namespace) => namespace.name));
    const unknown = namespaces.find((namespace) => !declared.has(namespace));
    if (unknown === undefined) throw error;
    const declaredIn = await deploymentsDeclaring(target, unknown);
    requireNamespace(new VarsDocument(target.text), unknown, "grant", {
      deployment: target.name,
      declaredIn,
    });
    throw error;
  }
}

/** Returns the names of the other deployments whose vars file declares `namespace`; invalid files are skipped. */
async function deploymentsDeclaring(target: EditTarget, namespace: string): Promise<string[]> {
  const folder = path.posix.dirname(target.file);
  const names = await readdir(path.join(target.root, folder)).catch(() => []);
  const found: string[] = [];
  for (const name of names.filter((each) => /\.ya?ml$/.test(each)).sort()) {
    const file = `${folder}/${name}`;
    if (file === target.file) continue;
    const text = await readFile(path.join(target.root, file), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const { deployment } = loadVarsText(text, { file, outputPath: "", fast: true });
    if (deployment?.deployNamespaces.some((each) => each.name === namespace)) found.push(deployment.name);
  }
  return found;
}
