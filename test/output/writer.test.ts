import { mkdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CakeError } from "../../src/errors.js";
import { readCache } from "../../src/output/cache.js";
import { discardKeptJournal, JOURNAL_FILE, type Recovery, recoverFolder } from "../../src/output/journal.js";
import {
  formatManifest,
  MANIFEST_FILE,
  type OutputManifest,
  readManifest,
  sha256,
} from "../../src/output/manifest.js";
import { generatedHeader, serializeFile } from "../../src/output/serialize.js";
import {
  applyPlan,
  type DesiredOutput,
  type FolderResult,
  planFolder,
  planFolderRemoval,
  type RenderedFile,
  recordCache,
} from "../../src/output/writer.js";
import { CAKE_VERSION } from "../../src/version.js";
import { listTree, makeTempDir, snapshotTree, writeTree } from "./tree.js";

const FOLDER = "deployments/prod-us-east-1";
const VARS = "vars/prod-us-east-1.yaml";
const OWNER = "kubeflow-platform@example.com";

function profileFile(name: string, extra: Record<string, unknown> = {}): { path: string; content: string } {
  const objects = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name, annotations: { owner: OWNER } } },
    {
      apiVersion: "kubeflow.org/v1",
      kind: "Profile",
      metadata: { name },
      spec: { owner: { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: OWNER }, ...extra },
    },
  ];
  return {
    path: `profiles/${name}.yaml`,
    content: serializeFile({ path: "", objects }, generatedHeader(VARS)),
  };
}

type RenderedOutput = Omit<DesiredOutput, "files"> & { files: RenderedFile[] };

function desiredOutput(
  profiles: string[],
  options: { owner?: string; extra?: Record<string, unknown>; users?: Record<string, string> } = {},
): RenderedOutput {
  const files = profiles.map((name) => profileFile(name, options.extra));
  const kustomization = serializeFile(
    { path: "", objects: [{ kind: "Kustomization", resources: files.map((file) => file.path) }] },
    generatedHeader(VARS),
  );
  const desired: RenderedOutput = {
    folder: FOLDER,
    varsFile: VARS,
    varsSha256: sha256("vars"),
    profileOwner: options.owner ?? OWNER,
    profiles,
    profileUsers: options.users ?? {},
    files: [...files, { path: "kustomization.yaml", content: kustomization }],
  };
  return desired;
}

/** Runs what reconcile runs for one folder: finish an interrupted run, plan, apply. */
async function reconcileFolder(root: string, desired: DesiredOutput): Promise<FolderResult> {
  await recoverFolder(path.join(root, desired.folder));
  return applyPlan(root, await planFolder(root, desired));
}

/** Sets every file's mtime to 2001, so a rewrite shows as a changed mtime. */
async function ageFiles(root: string): Promise<void> {
  const past = new Date("2001-01-01T00:00:00Z");
  for (const file of await listTree(root)) await utimes(path.join(root, file), past, past);
}

function folderPath(root: string, file = ""): string {
  return path.join(root, FOLDER, file);
}

describe("recordCache", () => {
  it("records the stamp a file had when compared", async () => {
    const root = await makeTempDir("cake-writer-");
    const desired = desiredOutput(["alice"]);
    await reconcileFolder(root, desired);
    const file = folderPath(root, "profiles/alice.yaml");
    const compared = await stat(file);
    const plan = await planFolder(root, desired);
    // A hand edit lands after the comparison, before the cache is written.
    await writeFile(file, `${await readFile(file, "utf8")}# edited\n`);

    recordCache(root, plan);

    const recorded = readCache(root, FOLDER)?.files["profiles/alice.yaml"];
    expect(plan.changes.find((change) => change.path === "profiles/alice.yaml")?.action).toBe("unchanged");
    expect(recorded?.size).toBe(compared.size);
    expect(recorded?.size).not.toBe((await stat(file)).size);
  });

  it.each([
    ["staged", true],
    ["kept in memory", false],
  ])("catches an edit after the rename (%s)", async (_name, stage) => {
    const root = await makeTempDir("cake-writer-");
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    const next = desiredOutput(["alice", "bob"], { extra: { resourceQuotaSpec: {} } });
    // With fingerprints, a file the cache records as unchanged is neither rendered nor read.
    const desired = {
      ...next,
      files: next.files.map((file) => ({ ...file, fingerprint: sha256(file.content) })),
    };
    const file = folderPath(root, "profiles/alice.yaml");
    const plan = await planFolder(root, desired, undefined, { stage });
    await applyPlan(root, plan);
    // A hand edit lands after the journal's renames, before the cache is written.
    await writeFile(file, `${await readFile(file, "utf8")}# edited\n`);

    recordCache(root, plan);
    const replanned = await planFolder(root, desired, readCache(root, FOLDER));

    expect(plan.changes.find((change) => change.path === "profiles/alice.yaml")?.action).toBe("update");
    expect(replanned.changes.find((change) => change.path === "profiles/alice.yaml")?.action).toBe("restore");
    // A file written and not edited since keeps a stamp that lets the next run skip it.
    const bob = await stat(folderPath(root, "profiles/bob.yaml"));
    const recordedBob = readCache(root, FOLDER)?.files["profiles/bob.yaml"];
    expect(recordedBob?.ino).toBe(bob.ino);
    expect(recordedBob?.ctimeMs).toBe(bob.ctimeMs);
  });
});

describe("applyPlan", () => {
  it("writes every file and the manifest", async () => {
    const root = await makeTempDir();
    const desired = desiredOutput(["alice", "ml-prod"]);

    const result = await reconcileFolder(root, desired);

    expect(result.written).toEqual(["kustomization.yaml", "profiles/alice.yaml", "profiles/ml-prod.yaml"]);
    expect(await listTree(folderPath(root))).toEqual([
      MANIFEST_FILE,
      "kustomization.yaml",
      "profiles/alice.yaml",
      "profiles/ml-prod.yaml",
    ]);
    const alice = desired.files.find((file) => file.path === "profiles/alice.yaml");
    expect(await readFile(folderPath(root, "profiles/alice.yaml"), "utf8")).toBe(alice?.content);
    const manifest = JSON.parse(await readFile(folderPath(root, MANIFEST_FILE), "utf8"));
    expect(manifest.cakeVersion).toBe(CAKE_VERSION);
    expect(manifest.varsFile).toBe(VARS);
    expect(manifest.manifestVersion).toBe(2);
    expect(manifest).not.toHaveProperty("varsSha256");
    expect(manifest.profileOwner).toBe(OWNER);
    expect(manifest.profiles).toEqual(["alice", "ml-prod"]);
    expect(manifest.files["profiles/alice.yaml"]).toBe(sha256(alice?.content ?? ""));
    expect(Object.keys(manifest)).toEqual([...Object.keys(manifest)].sort());
  });

  it("second run writes nothing", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    await ageFiles(root);
    const before = await snapshotTree(root);

    const again = desiredOutput(["alice", "bob"]);
    again.profiles.reverse();
    const result = await reconcileFolder(root, again);

    expect(result.written).toEqual([]);
    expect(result.removed).toEqual([]);
    expect(result.unchanged).toHaveLength(3);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("keeps a manifest from another cake version", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice"]));
    const manifestPath = folderPath(root, MANIFEST_FILE);
    const older = (await readFile(manifestPath, "utf8")).replace(`"${CAKE_VERSION}"`, '"0.0.1"');
    await writeFile(manifestPath, older);
    await ageFiles(root);
    const before = await snapshotTree(root);

    const plan = await planFolder(root, desiredOutput(["alice"]));
    await applyPlan(root, plan);

    expect(plan.manifestChanged).toBe(false);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("writes only changed files", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    await ageFiles(root);
    const before = await snapshotTree(root);
    const desired = desiredOutput(["alice", "bob"]);
    const bob = profileFile("bob", { resourceQuotaSpec: { hard: { cpu: "4" } } });
    desired.files = desired.files.map((file) => (file.path === bob.path ? bob : file));

    const result = await reconcileFolder(root, desired);

    expect(result.written).toEqual(["profiles/bob.yaml"]);
    const after = await snapshotTree(root);
    expect(after[`${FOLDER}/profiles/alice.yaml`]).toEqual(before[`${FOLDER}/profiles/alice.yaml`]);
    expect(after[`${FOLDER}/kustomization.yaml`]).toEqual(before[`${FOLDER}/kustomization.yaml`]);
    expect(after[`${FOLDER}/profiles/bob.yaml`]?.content).toBe(bob.content);
  });

  it("removes stale generated files and emptied folders", async () => {
    const root = await makeTempDir();
    const first = desiredOutput(["alice"]);
    first.files.push({
      path: "cloud/namespace.yaml",
      content: "# Generated by cake from x\nkind: Namespace\n",
    });
    await reconcileFolder(root, first);

    const result = await reconcileFolder(root, desiredOutput(["alice"]));

    expect(result.removed).toEqual(["cloud/namespace.yaml"]);
    expect(await listTree(folderPath(root))).toEqual([
      MANIFEST_FILE,
      "kustomization.yaml",
      "profiles/alice.yaml",
    ]);
    await expect(stat(folderPath(root, "cloud"))).rejects.toThrow();
  });

  it("never touches files cake did not generate", async () => {
    const root = await makeTempDir();
    await writeTree(root, {
      [`${FOLDER}/README.md`]: "notes\n",
      [`${FOLDER}/profiles/extra.yaml`]: "kind: ConfigMap\n",
    });
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    const userFiles = [`${FOLDER}/README.md`, `${FOLDER}/profiles/extra.yaml`];
    const before = await snapshotTree(root);

    const result = await reconcileFolder(root, desiredOutput([]));

    expect(result.removed).toEqual(["profiles/alice.yaml", "profiles/bob.yaml"]);
    const after = await snapshotTree(root);
    for (const file of userFiles) expect(after[file]).toEqual(before[file]);
  });

  it("removes unlisted files that carry the header", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice"]));
    await writeTree(root, { [`${FOLDER}/profiles/old.yaml`]: profileFile("old").content });

    const result = await reconcileFolder(root, desiredOutput(["alice"]));

    expect(result.removed).toEqual(["profiles/old.yaml"]);
  });

  it("rejects overwriting a file cake did not generate", async () => {
    const root = await makeTempDir();
    await writeTree(root, { [`${FOLDER}/profiles/alice.yaml`]: "kind: Profile\n" });
    const before = await snapshotTree(root);

    const plan = await planFolder(root, desiredOutput(["alice"]));

    expect(plan.conflicts).toEqual(["profiles/alice.yaml"]);
    await expect(applyPlan(root, plan)).rejects.toThrow(CakeError);
    await expect(applyPlan(root, plan)).rejects.toThrow("profiles/alice.yaml");
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("restores a hand-edited file", async () => {
    const root = await makeTempDir();
    const desired = desiredOutput(["alice"]);
    await reconcileFolder(root, desired);
    const alicePath = folderPath(root, "profiles/alice.yaml");
    const original = await readFile(alicePath, "utf8");
    await writeFile(alicePath, `${original}# tweak\n`);

    const plan = await planFolder(root, desired);
    const result = await applyPlan(root, plan);

    expect(plan.changes).toContainEqual({ path: "profiles/alice.yaml", action: "restore" });
    expect(result.restored).toEqual(["profiles/alice.yaml"]);
    expect(result.written).toEqual([]);
    expect(await readFile(alicePath, "utf8")).toBe(original);
  });

  it("plans without writing", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    await writeFile(folderPath(root, "profiles/alice.yaml"), "# Generated by cake from x\nedited\n");
    await writeTree(root, { [`${FOLDER}/profiles/old.yaml`]: profileFile("old").content });
    const before = await snapshotTree(root);

    const plan = await planFolder(root, desiredOutput(["alice", "carol"]));

    expect(plan.changes).toEqual([
      { path: "kustomization.yaml", action: "update" },
      { path: "profiles/alice.yaml", action: "restore" },
      { path: "profiles/bob.yaml", action: "remove" },
      { path: "profiles/carol.yaml", action: "create" },
      { path: "profiles/old.yaml", action: "remove" },
    ]);
    expect(plan.previousProfiles).toEqual(["alice", "bob"]);
    expect(plan.previousOwner).toBe(OWNER);
    expect(plan.manifestChanged).toBe(true);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it("reads Profiles from disk without a manifest", async () => {
    const root = await makeTempDir();
    await writeTree(root, {
      [`${FOLDER}/profiles/alice.yaml`]: profileFile("alice").content,
      [`${FOLDER}/profiles/bob.yaml`]: profileFile("bob").content,
    });

    const plan = await planFolder(root, desiredOutput(["alice"], { owner: "new-owner@example.com" }));

    expect(plan.previousManifest).toBeUndefined();
    expect(plan.previousProfiles).toEqual(["alice", "bob"]);
    expect(plan.previousOwner).toBe(OWNER);
  });

  it("prunes the output of a removed deployment", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice"]));
    await writeTree(root, { [`${FOLDER}/README.md`]: "notes\n" });

    const plan = await planFolderRemoval(root, FOLDER);
    const result = await applyPlan(root, plan);

    expect(plan.previousProfiles).toEqual(["alice"]);
    expect(result.removed).toEqual(["kustomization.yaml", "profiles/alice.yaml"]);
    expect(await listTree(folderPath(root))).toEqual(["README.md"]);
  });

  it("deletes the folder it emptied by pruning", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice"]));

    await applyPlan(root, await planFolderRemoval(root, FOLDER));

    await expect(stat(folderPath(root))).rejects.toThrow();
    await expect(stat(path.join(root, "deployments"))).resolves.toBeDefined();
  });

  it("rejects generated paths outside the folder", async () => {
    const root = await makeTempDir();
    for (const bad of ["../escape.yaml", "/abs.yaml", "a/../b.yaml", MANIFEST_FILE, ".cake-tmp-1"]) {
      const desired = desiredOutput([]);
      desired.files.push({ path: bad, content: "" });
      await expect(planFolder(root, desired)).rejects.toThrow(bad);
    }
  });

  it("rejects a damaged manifest", async () => {
    const root = await makeTempDir();
    await writeTree(root, { [`${FOLDER}/${MANIFEST_FILE}`]: "{not json" });

    await expect(planFolder(root, desiredOutput(["alice"]))).rejects.toThrow(CakeError);
  });
});

describe("recoverFolder", () => {
  it("rolls a journal forward", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    const carol = profileFile("carol");
    const newManifest = formatManifest({
      ...(await readManifest(folderPath(root))),
      profiles: ["carol"],
    } as OutputManifest);
    // The state a run leaves when killed after writing its journal: temp files and
    // the journal exist, one rename is done, nothing is deleted yet.
    await writeTree(root, {
      [`${FOLDER}/.cake-tmp-1-a`]: carol.content,
      [`${FOLDER}/.cake-tmp-1-c`]: newManifest,
      [`${FOLDER}/profiles/dave.yaml`]: profileFile("dave").content,
      [`${FOLDER}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [
          { from: ".cake-tmp-1-a", to: "profiles/carol.yaml" },
          { from: ".cake-tmp-1-b", to: "profiles/dave.yaml" },
          { from: ".cake-tmp-1-c", to: MANIFEST_FILE },
        ],
        deletions: ["profiles/bob.yaml", "gone/already.yaml"],
      }),
      [`${FOLDER}/.cake-tmp-2-stray`]: "stray",
    });

    const rolled = await recoverFolder(folderPath(root));

    expect(rolled?.action).toBe("completed");
    expect(await listTree(folderPath(root))).toEqual([
      MANIFEST_FILE,
      "kustomization.yaml",
      "profiles/alice.yaml",
      "profiles/carol.yaml",
      "profiles/dave.yaml",
    ]);
    expect(await readFile(folderPath(root, "profiles/carol.yaml"), "utf8")).toBe(carol.content);
    expect(await readFile(folderPath(root, MANIFEST_FILE), "utf8")).toBe(newManifest);
  });

  it("deletes stray temporary files", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice"]));
    await writeTree(root, { [`${FOLDER}/.cake-tmp-9-x`]: "half" });

    const rolled = await recoverFolder(folderPath(root));

    expect(rolled).toBeUndefined();
    expect(await listTree(folderPath(root))).toEqual([
      MANIFEST_FILE,
      "kustomization.yaml",
      "profiles/alice.yaml",
    ]);
  });

  it("rejects a journal that leaves the folder", async () => {
    const root = await makeTempDir();
    await writeTree(root, {
      "secret.txt": "keep",
      [`${FOLDER}/${JOURNAL_FILE}`]: JSON.stringify({ renames: [], deletions: ["../../secret.txt"] }),
    });

    await expect(recoverFolder(folderPath(root))).rejects.toThrow(CakeError);
    expect(await readFile(path.join(root, "secret.txt"), "utf8")).toBe("keep");
  });

  /** Writes the state of a run killed after its journal, with one rename and one deletion to do. */
  async function interruptedRun(root: string): Promise<void> {
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    await writeTree(root, {
      [`${FOLDER}/.cake-tmp-1-a`]: profileFile("carol").content,
      [`${FOLDER}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-a", to: "profiles/carol.yaml" }],
        deletions: ["profiles/bob.yaml"],
      }),
    });
  }

  it("discards a journal with a torn temporary file", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    const before = await snapshotTree(folderPath(root));
    // A power loss left the staged file empty after the journal, which records its sha256, was flushed.
    await writeTree(root, {
      [`${FOLDER}/.cake-tmp-1-a`]: "",
      [`${FOLDER}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [
          { from: ".cake-tmp-1-a", to: "profiles/carol.yaml", sha256: sha256(profileFile("carol").content) },
        ],
        deletions: ["profiles/bob.yaml"],
      }),
    });

    const recovery = await recoverFolder(folderPath(root), root);

    expect(recovery?.action).toBe("discarded");
    expect(recovery?.torn).toEqual(["profiles/carol.yaml"]);
    expect(await snapshotTree(folderPath(root))).toEqual(before);
  });

  it("lists what a discarded journal had renamed", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    const carol = profileFile("carol").content;
    const alice = profileFile("alice", { note: "restored" }).content;
    const dave = profileFile("dave").content;
    // The run renamed carol's file and the one restoring alice's, then a power loss stopped it
    // and emptied the staged file of dave.
    await writeTree(root, {
      [`${FOLDER}/profiles/carol.yaml`]: carol,
      [`${FOLDER}/profiles/alice.yaml`]: alice,
      [`${FOLDER}/.cake-tmp-1-c`]: "",
      [`${FOLDER}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [
          { from: ".cake-tmp-1-a", to: "profiles/carol.yaml", sha256: sha256(carol), action: "create" },
          { from: ".cake-tmp-1-b", to: "profiles/alice.yaml", sha256: sha256(alice), action: "restore" },
          { from: ".cake-tmp-1-c", to: "profiles/dave.yaml", sha256: sha256(dave), action: "create" },
        ],
        deletions: ["profiles/bob.yaml"],
      }),
    });

    const recovery = await recoverFolder(folderPath(root), root);

    expect(recovery?.action).toBe("discarded");
    expect(recovery?.torn).toEqual(["profiles/dave.yaml"]);
    expect(recovery?.written).toEqual(["profiles/carol.yaml", "profiles/alice.yaml"]);
    expect(recovery?.restored).toEqual(["profiles/alice.yaml"]);
    expect(recovery?.removed).toEqual([]);
  });

  it("keeps a journal to discard until asked", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob"]));
    const carol = profileFile("carol").content;
    const journal = JSON.stringify({
      renames: [{ from: ".cake-tmp-1-a", to: "profiles/carol.yaml", sha256: sha256(carol) }],
      deletions: [],
    });
    // A power loss emptied the staged file; a stray one of another killed run is left too.
    await writeTree(root, {
      [`${FOLDER}/.cake-tmp-1-a`]: "",
      [`${FOLDER}/.cake-tmp-2-stray`]: "stray",
      [`${FOLDER}/${JOURNAL_FILE}`]: journal,
    });

    const recovery = await recoverFolder(folderPath(root), root, { keepDiscarded: true });

    expect(recovery?.action).toBe("discarded");
    expect(await listTree(folderPath(root))).toContain(JOURNAL_FILE);
    expect(await listTree(folderPath(root))).toContain(".cake-tmp-1-a");
    expect(await listTree(folderPath(root))).not.toContain(".cake-tmp-2-stray");

    await discardKeptJournal(folderPath(root), recovery as Recovery);

    expect(await listTree(folderPath(root))).toEqual([
      MANIFEST_FILE,
      "kustomization.yaml",
      "profiles/alice.yaml",
      "profiles/bob.yaml",
    ]);
  });

  it("lists what a discarded journal had deleted", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice", "bob", "carol"]));
    const manifest = formatManifest({
      ...(await readManifest(folderPath(root))),
      profiles: ["alice"],
    } as OutputManifest);
    await rm(folderPath(root, "profiles/bob.yaml"));
    // The run renamed its manifest and deleted bob's file, then stopped; its vars changed since.
    await writeTree(root, {
      [`${FOLDER}/${MANIFEST_FILE}`]: manifest,
      [`${FOLDER}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-m", to: MANIFEST_FILE, sha256: sha256(manifest) }],
        deletions: ["profiles/bob.yaml", "profiles/carol.yaml"],
        vars: { file: VARS, sha256: sha256("older vars") },
      }),
      [VARS]: "newer vars",
    });

    const recovery = await recoverFolder(folderPath(root), root);

    expect(recovery?.action).toBe("discarded");
    expect(recovery?.removed).toEqual(["profiles/bob.yaml"]);
    expect(recovery?.manifestRenamed).toBe(true);
    expect(await listTree(folderPath(root))).toContain("profiles/carol.yaml");
  });

  it("records the manifest's sha256 in the journal", async () => {
    const root = await makeTempDir();
    const plan = await planFolder(root, desiredOutput(["alice"]));
    // A folder at the manifest's path stops the journal at its last rename, so the journal stays.
    await mkdir(folderPath(root, MANIFEST_FILE), { recursive: true });
    await expect(applyPlan(root, plan)).rejects.toThrow();
    const journal = JSON.parse(await readFile(folderPath(root, JOURNAL_FILE), "utf8")) as {
      renames: { from: string; to: string; sha256?: string }[];
    };
    const manifestRename = journal.renames.find(({ to }) => to === MANIFEST_FILE);
    const staged = await readFile(folderPath(root, manifestRename?.from ?? "missing"), "utf8");

    expect(manifestRename?.sha256).toBe(sha256(staged));

    await rm(folderPath(root, MANIFEST_FILE), { recursive: true });
    await writeFile(folderPath(root, manifestRename?.from ?? "missing"), staged.slice(0, 10));
    // Without the repo root, recovery does not compare the vars file, which this test has not.
    const recovery = await recoverFolder(folderPath(root));

    expect(recovery?.torn).toEqual([MANIFEST_FILE]);
    expect(await listTree(folderPath(root))).not.toContain(MANIFEST_FILE);
  });

  it("discards an older journal with an invalid manifest", async () => {
    const root = await makeTempDir();
    await reconcileFolder(root, desiredOutput(["alice"]));
    const manifest = await readFile(folderPath(root, MANIFEST_FILE), "utf8");
    // Journals of older versions record no sha256 for the manifest.
    await writeTree(root, {
      [`${FOLDER}/.cake-tmp-1-m`]: "",
      [`${FOLDER}/${JOURNAL_FILE}`]: JSON.stringify({
        renames: [{ from: ".cake-tmp-1-m", to: MANIFEST_FILE }],
        deletions: [],
      }),
    });

    const recovery = await recoverFolder(folderPath(root), root);

    expect(recovery?.torn).toEqual([MANIFEST_FILE]);
    expect(await readFile(folderPath(root, MANIFEST_FILE), "utf8")).toBe(manifest);
  });

  it("keeps a journal behind a symlink", async () => {
    const root = await makeTempDir();
    const outside = await makeTempDir();
    await interruptedRun(root);
    await writeTree(outside, { "bob.yaml": "not cake's" });
    await rename(folderPath(root, "profiles"), path.join(root, "profiles-moved"));
    await symlink(outside, folderPath(root, "profiles"));

    await expect(recoverFolder(folderPath(root), root)).rejects.toThrow(
      /profiles is a symbolic link.*journal waits/,
    );
    expect(await listTree(outside)).toEqual(["bob.yaml"]);
    expect(await readFile(folderPath(root, JOURNAL_FILE), "utf8")).toContain("carol");
  });

  it("keeps a journal in a folder symlinked outside", async () => {
    const root = await makeTempDir();
    const outside = await makeTempDir();
    await interruptedRun(root);
    await rename(folderPath(root), path.join(outside, "moved"));
    await symlink(path.join(outside, "moved"), folderPath(root));

    await expect(recoverFolder(folderPath(root), root)).rejects.toThrow(/outside the repo/);
    expect(await listTree(path.join(outside, "moved"))).toContain("profiles/bob.yaml");
  });

  it("keeps a journal in a folder symlinked inside", async () => {
    const root = await makeTempDir();
    await interruptedRun(root);
    await rename(folderPath(root), path.join(root, "moved"));
    await symlink("../moved", folderPath(root));

    await expect(recoverFolder(folderPath(root), root)).rejects.toThrow(/is a symlink to \.\.\/moved/);
    expect(await listTree(path.join(root, "moved"))).toContain("profiles/bob.yaml");
    expect(await listTree(path.join(root, "moved"))).toContain(JOURNAL_FILE);
  });

  it("rejects a folder at a rename target", async () => {
    const root = await makeTempDir();
    await interruptedRun(root);
    await mkdir(folderPath(root, "profiles/carol.yaml"));

    await expect(recoverFolder(folderPath(root), root)).rejects.toThrow(
      /profiles\/carol\.yaml is a folder where the run writes a file/,
    );
    expect(await listTree(folderPath(root))).toContain("profiles/bob.yaml");
  });
});

describe("planFolder generated paths", () => {
  const unsafe = [
    "../escape.yaml",
    "/etc/passwd",
    "profiles/../../x.yaml",
    "profiles//x.yaml",
    "profiles/./x.yaml",
    "profiles\\x.yaml",
    "",
    ".cake-manifest.json",
    ".cake-journal.json",
    "profiles/.cake-tmp-1-2-3",
  ];
  for (const file of unsafe) {
    it(`rejects ${JSON.stringify(file)}`, async () => {
      const root = await makeTempDir("cake-writer-");
      const desired = desiredOutput(["alice"]);
      desired.files.push({ path: file, content: "x\n" });
      await expect(planFolder(root, desired)).rejects.toThrow(
        `generated file path ${JSON.stringify(file)} is not allowed in ${FOLDER}`,
      );
      expect(await listTree(root)).toEqual([]);
    });
  }

  it("rejects a path used twice", async () => {
    const root = await makeTempDir("cake-writer-");
    const desired = desiredOutput(["alice"]);
    desired.files.push({ path: "profiles/alice.yaml", content: "x\n" });
    await expect(planFolder(root, desired)).rejects.toThrow(
      'generated file path "profiles/alice.yaml" is used twice',
    );
  });

  it("accepts safe paths of any shape", async () => {
    const root = await makeTempDir("cake-writer-");
    const desired = desiredOutput(["alice"]);
    for (const file of ["cloud/.hidden.yaml", "profiles/name with space.yaml", "a/b/c-1_2.yaml"])
      desired.files.push({ path: file, content: "x\n" });
    const plan = await planFolder(root, desired);
    expect(plan.changes.map((change) => change.path)).toContain("profiles/name with space.yaml");
  });
});
