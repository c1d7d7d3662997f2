import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadRepo } from "../../src/config/repo.js";
import { resolveLayout } from "../../src/repo/layout.js";
import { fixtureText, varsYaml } from "./helpers.js";

describe("loadRepo", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-repo-"));
    await mkdir(path.join(root, "vars"));
    await writeFile(path.join(root, "vars", "prod-us-east-1.yaml"), fixtureText("prod-us-east-1.yaml"));
    await writeFile(
      path.join(root, "vars", "staging-local.yml"),
      fixtureText("staging-local.yaml").replace("local", "local"),
    );
    await writeFile(path.join(root, "vars", "README.md"), "not vars\n");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("loads every vars file of the repo", async () => {
    const result = await loadRepo(await resolveLayout(root));

    expect(result.files).toEqual(["vars/prod-us-east-1.yaml", "vars/staging-local.yml"]);
    expect(result.diagnostics).toEqual([]);
    expect(result.deployments.map((deployment) => deployment.name)).toEqual([
      "prod-us-east-1",
      "staging-local",
    ]);
    expect(result.deployments.map((deployment) => deployment.outputPath)).toEqual([
      "deployments/prod-us-east-1",
      "deployments/staging-local",
    ]);
    expect(result.deployments[0]?.varsFile).toBe("vars/prod-us-east-1.yaml");
  });

  it("uses the configured folders", async () => {
    await mkdir(path.join(root, "platform", "vars"), { recursive: true });
    await writeFile(path.join(root, "platform", "vars", "prod-us-east-1.yaml"), varsYaml());

    const layout = await resolveLayout(root, { varsDir: "platform/vars", outputDir: "out" });
    const result = await loadRepo(layout);

    expect(result.files).toEqual(["platform/vars/prod-us-east-1.yaml"]);
    expect(result.deployments[0]?.outputPath).toBe("out/prod-us-east-1");
  });

  it("loads only the given files", async () => {
    const result = await loadRepo(await resolveLayout(root), [path.join(root, "vars", "staging-local.yml")]);

    expect(result.files).toEqual(["vars/staging-local.yml"]);
    expect(result.deployments.map((deployment) => deployment.name)).toEqual(["staging-local"]);
  });

  it("keeps valid deployments when another file is invalid", async () => {
    await writeFile(path.join(root, "vars", "dev-us-east-1.yaml"), "environment: dev\n");

    const result = await loadRepo(await resolveLayout(root));

    expect(result.deployments.map((deployment) => deployment.name)).toEqual([
      "prod-us-east-1",
      "staging-local",
    ]);
    expect(result.diagnostics.every((diagnostic) => diagnostic.file === "vars/dev-us-east-1.yaml")).toBe(
      true,
    );
    expect(result.diagnostics.length).toBeGreaterThan(0);
    expect(result.sources["vars/dev-us-east-1.yaml"]).toBe("environment: dev\n");
  });

  it("missing vars folder gives no files", async () => {
    const result = await loadRepo(await resolveLayout(root, { varsDir: "absent" }));

    expect(result.files).toEqual([]);
    expect(result.deployments).toEqual([]);
  });
});
