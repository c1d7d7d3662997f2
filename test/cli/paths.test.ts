/**
 * Paths in text output: relative to the folder the command runs in, as a compiler prints
 * them, whether that folder is above the ops repo (`--repo teams/a`, as in CI), inside it, or
 * its root. JSON output keeps paths relative to the repo root.
 */
import { existsSync } from "node:fs";
import { mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { varsYaml } from "../config/helpers.js";
import { runCake } from "../helpers/cli.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

const OPS = "teams/a";
const VARS = "vars/prod-us-east-1.yaml";
/** A profile owner with upper-case letters: a warning (`email-uppercase`) on line 4, column 18. */
const WARNING = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: Platform@example.com\n" });
/** A profile owner that is no email: an error (`invalid-email`) on line 4, column 18. */
const INVALID = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: platform\n" });

/** A folder to run commands in, its `--repo` option, and the path of the ops repo root from there. */
interface Place {
  name: string;
  folder: string;
  repo: string[];
  prefix: string;
}

const PLACES: Place[] = [
  { name: "above the ops repo", folder: "", repo: ["--repo", OPS], prefix: `${OPS}/` },
  { name: "a subfolder of it", folder: `${OPS}/docs`, repo: ["--repo", ".."], prefix: "../" },
  { name: "its root", folder: OPS, repo: [], prefix: "" },
];

describe("paths in text output", () => {
  let repo: TempRepo;

  beforeEach(async () => {
    repo = await createGitRepo();
    await repo.write({
      [`${OPS}/cake.yaml`]: `repo_path: ${OPS}\n`,
      [`${OPS}/docs/README.md`]: "Notes of team a.\n",
    });
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  const run = (place: Place, ...argv: string[]) => runCake(path.join(repo.dir, place.folder), ...argv);

  describe.each(PLACES)("from $name", (place) => {
    it("validate names a warning's file", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: WARNING });
      const result = await run(place, "validate", ...place.repo);

      expect(result.code).toBe(0);
      expect(result.stderr.startsWith(`${place.prefix}${VARS}:4:18: warning [email-uppercase] `)).toBe(true);
      // The source line still shows: sources are looked up by the path relative to the root.
      expect(result.stderr).toContain("  profile_owner: Platform@example.com\n");
    });

    it("validate names an error's file", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: INVALID });
      const result = await run(place, "validate", ...place.repo);

      expect(result.code).toBe(1);
      expect(result.stderr.startsWith(`${place.prefix}${VARS}:4:18: error [invalid-email] `)).toBe(true);
    });

    it("validate keeps JSON paths relative to the root", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: WARNING });
      const result = await run(place, "validate", ...place.repo, "--format", "json");
      const [diagnostic] = JSON.parse(result.stdout).diagnostics;

      expect(diagnostic.file).toBe(VARS);
    });

    it("names another vars file inside a message", async () => {
      const remote =
        "gitops:\n  repo_url: https://git.example.com/platform/ops.git\n  destination_server: https://k.example.com\n";
      await repo.write({
        [`${OPS}/${VARS}`]: varsYaml({ gitops: remote }),
        [`${OPS}/vars/dev-us-east-1.yaml`]: varsYaml({
          top: "environment: dev\nregion: us-east-1\n",
          gitops: remote,
        }),
      });
      const text = await run(place, "validate", ...place.repo);
      const json = await run(place, "validate", ...place.repo, "--format", "json");
      const destination = JSON.parse(json.stdout).diagnostics.find(
        (diagnostic: { file: string; code: string }) =>
          diagnostic.file === VARS && diagnostic.code === "duplicate-destination",
      );

      expect(text.code).toBe(1);
      expect(text.stderr).toContain(
        `${place.prefix}${VARS}:7:23: error [duplicate-destination] gitops.destination_server: ` +
          `"https://k.example.com" is also the destination of ${place.prefix}vars/dev-us-east-1.yaml: `,
      );
      expect(destination.message).toContain("is also the destination of vars/dev-us-east-1.yaml: ");
    });

    it("reconcile names an error's file", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: INVALID });
      const result = await run(place, "reconcile", ...place.repo);

      expect(result.code).toBe(1);
      expect(result.stderr.startsWith(`${place.prefix}${VARS}:4:18: error [invalid-email] `)).toBe(true);
    });

    it("reconcile names a warning's file and the written files", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: WARNING });
      const result = await run(place, "reconcile", ...place.repo);
      const folder = `${place.prefix}deployments/prod-us-east-1`;

      expect(result.code).toBe(0);
      expect(result.stderr.startsWith(`${place.prefix}${VARS}:4:18: warning [email-uppercase] `)).toBe(true);
      expect(result.stdout).toContain(`\n  wrote ${folder}/profiles/alice.yaml\n`);
      expect(result.stdout).toContain(
        `  ${folder}/argocd/ changed, and Argo CD does not sync it: apply it when this change merges, ` +
          `with kubectl apply -k ${folder}/argocd\n`,
      );
    });

    it("reconcile --check names the missing files", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: WARNING });
      const result = await run(place, "reconcile", ...place.repo, "--check");

      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        `  missing ${place.prefix}deployments/prod-us-east-1/profiles/alice.yaml (would be written)\n`,
      );
    });

    it("an edit names the invalid vars file", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: INVALID });
      const result = await run(
        place,
        "user",
        "grant",
        ...place.repo,
        "--deployment",
        "prod-us-east-1",
        "--email",
        "alice@example.com",
        "--namespace",
        "team-a",
      );

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`cake: ${place.prefix}${VARS} is invalid; fix it `);
      expect(result.stderr).toContain(`\n${place.prefix}${VARS}:4:18: error [invalid-email] `);
    });

    it("an edit names the file it changed", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: varsYaml() });
      const result = await run(
        place,
        "user",
        "add",
        ...place.repo,
        "--deployment",
        "prod-us-east-1",
        "--email",
        "bob@example.com",
        "--role",
        "cake-user",
        "--no-reconcile",
      );

      expect(result.stderr).toBe("");
      expect(result.stdout).toContain(`${place.prefix}${VARS}: username "bob" was chosen because `);
      expect(result.stdout).toContain(
        `\n${place.prefix}${VARS}: added user bob@example.com (username bob)\n`,
      );
    });

    it("an edit names another invalid vars file", async () => {
      await repo.write({
        [`${OPS}/${VARS}`]: varsYaml(),
        [`${OPS}/vars/dev-us-east-1.yaml`]: varsYaml({
          top: "environment: dev\nregion: us-east-1\n",
          kubeflow: "kubeflow:\n  profile_owner: platform\n",
        }),
      });
      const result = await run(
        place,
        "user",
        "add",
        ...place.repo,
        "--deployment",
        "prod-us-east-1",
        "--email",
        "bob@example.com",
        "--role",
        "cake-user",
      );

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        "the reconcile after this change would fail, so nothing was written:\n",
      );
      expect(result.stderr).toContain(
        `\n${place.prefix}vars/dev-us-east-1.yaml:4:18: error [invalid-email] `,
      );
    });

    it("names two vars files of one folder", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: varsYaml(), [`${OPS}/vars/prod-us-east-1.yml`]: varsYaml() });
      const result = await run(place, "validate", ...place.repo);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        `cake: ${place.prefix}${VARS} and ${place.prefix}vars/prod-us-east-1.yml would both write ` +
          `${place.prefix}deployments/prod-us-east-1; keep one vars file per deployment (rename or delete the other).\n`,
      );
    });

    it("names the folders of a repo without deployments", async () => {
      const result = await run(place, "validate", ...place.repo);

      expect(result.code).toBe(0);
      expect(result.stderr).toBe(
        `cake: note: no vars files (*.yaml, *.yml) in ${place.prefix}vars and no generated output in ` +
          `${place.prefix}deployments, so this ops repo has no deployments; if it should have some, ` +
          "check --vars-dir and vars_dir in cake.yaml.\n",
      );
    });

    it("a cake.yaml error names the file", async () => {
      await repo.write({ [`${OPS}/${VARS}`]: varsYaml(), [`${OPS}/cake.yaml`]: "vars_dir: [vars\n" });
      const result = await run(place, "validate", ...place.repo);

      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^cake: ${place.prefix}cake\\.yaml:\\d+:\\d+: `));
    });
  });

  it("gives an absolute path outside the git work tree", async () => {
    await repo.write({ [`${OPS}/${VARS}`]: WARNING });
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "cake-elsewhere-"));
    try {
      const result = await runCake(elsewhere, "validate", "--repo", path.join(repo.dir, OPS));

      expect(result.stderr.startsWith(`${path.join(repo.dir, OPS, VARS)}:4:18: `)).toBe(true);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it("resolves a current folder reached through a symlink", async () => {
    await repo.write({ [`${OPS}/${VARS}`]: WARNING });
    const links = await mkdtemp(path.join(os.tmpdir(), "cake-links-"));
    const docs = path.join(links, "docs");
    await symlink(path.join(repo.dir, OPS, "docs"), docs);
    try {
      const result = await runCake(docs, "validate", "--repo", path.join(repo.dir, OPS));
      const shown = result.stderr.slice(0, result.stderr.indexOf(":"));

      // `..` is taken from the real folder, as the shell's `cat ../vars/...` does.
      expect(shown).toBe(`../${VARS}`);
      expect(existsSync(path.resolve(await realpath(docs), shown))).toBe(true);
    } finally {
      await rm(links, { recursive: true, force: true });
    }
  });
});
