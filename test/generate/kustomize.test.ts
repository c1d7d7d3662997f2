import { execFile, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { generateDeployment } from "../../src/generate/index.js";
import { generatedHeader, serializeFile } from "../../src/output/serialize.js";
import { exampleDeployment } from "../helpers/model.js";
import { allObjects } from "./find.js";

const run = promisify(execFile);

function hasKubectl(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Returns "apiVersion kind namespace/name" of an object, for comparing object sets. */
function identity(object: Record<string, unknown>): string {
  const metadata = object.metadata as { name: string; namespace?: string };
  return `${object.apiVersion} ${object.kind} ${metadata.namespace ?? ""}/${metadata.name}`;
}

let tempDir = "";

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), "cake-kustomize-"));
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

// `kubectl kustomize` builds offline, so this checks the kustomizations without a cluster.
describe.skipIf(!hasKubectl())("kustomize build", () => {
  it.each(["aws", "gcp", "none"] as const)("yields every synced object on %s", async (provider) => {
    const deployment = exampleDeployment(provider);
    const files = generateDeployment(deployment);
    const folder = path.join(tempDir, provider);
    for (const file of files) {
      const target = path.join(folder, ...file.path.split("/"));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, serializeFile(file, generatedHeader(deployment.varsFile)), "utf8");
    }

    const synced = await run("kubectl", ["kustomize", folder], { maxBuffer: 64 * 1024 * 1024 });
    const built = parseAllDocuments(synced.stdout).map(
      (document) => document.toJSON() as Record<string, unknown>,
    );
    const expected = allObjects(files.filter((file) => !file.path.startsWith("argocd/")));
    expect(built.map(identity).sort()).toEqual(expected.map(identity).sort());
    const builtByIdentity = new Map(built.map((object) => [identity(object), object]));
    for (const object of expected) {
      expect(builtByIdentity.get(identity(object)), identity(object)).toEqual(
        JSON.parse(JSON.stringify(object)),
      );
    }

    const bootstrap = await run("kubectl", ["kustomize", path.join(folder, "argocd")]);
    const argocd = parseAllDocuments(bootstrap.stdout).map(
      (document) => document.toJSON() as Record<string, unknown>,
    );
    expect(argocd.map(identity).sort()).toEqual([
      "argoproj.io/v1alpha1 AppProject argocd/user-namespace",
      "argoproj.io/v1alpha1 Application argocd/user-namespace",
    ]);
  });
});
