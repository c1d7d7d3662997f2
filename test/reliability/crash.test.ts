/**
 * Crash safety, proven on the real binary: `cake reconcile` and `cake user grant`
 * are killed with SIGKILL at delays spread over a whole run. After every kill each
 * file must hold exactly its old or its new bytes, and a rerun must converge.
 */
import { existsSync, watch } from "node:fs";
import { cp, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";
import { type VarsUser, varsText } from "../output/vars.js";
import {
  type BuiltCli,
  buildCli,
  makeTempDir,
  runCake,
  snapshotBytes,
  startCake,
  writeFiles,
} from "./helpers.js";

const DEPLOYMENT = "prod-us-east-1";
const VARS = `vars/${DEPLOYMENT}.yaml`;

/** Users 0..119 before; after, users 0..29 are gone, 120..149 are new, 30..89 change email domain. */
function usersBefore(): VarsUser[] {
  return Array.from({ length: 120 }, (_, index) => ({
    email: `user${index}@example.com`,
    username: `user${index}`,
    allowed_namespaces: ["ml-a"],
  }));
}

function usersAfter(): VarsUser[] {
  return Array.from({ length: 120 }, (_, offset) => {
    const index = offset + 30;
    return {
      email: `user${index}@${index < 90 ? "example.org" : "example.com"}`,
      username: `user${index}`,
      allowed_namespaces: index % 2 === 0 ? ["ml-b"] : ["ml-a", "ml-b"],
    };
  });
}

const BEFORE = varsText({ namespaces: ["ml-a", "ml-b", "ml-c"], users: usersBefore() });
const AFTER = varsText({ namespaces: ["ml-a", "ml-b", "ml-d"], users: usersAfter() });
const DELETED = [...Array.from({ length: 30 }, (_, index) => `user${index}`), "ml-c"].join(",");
// The emails change between the versions, which hands those users' private profiles over.
const RECONCILE_ARGS = ["reconcile", `--allow-profile-deletion=${DELETED}`, "--allow-profile-handover=*"];
const GRANT_ARGS = [
  "user",
  "grant",
  "--deployment",
  DEPLOYMENT,
  "--email",
  "user7@example.com",
  "--namespace",
  "ml-b",
  "--access",
  "view",
];

type Tree = Map<string, Buffer>;

/**
 * Files under the vars and output folders. The repo lock and the local cache (`.cake/`) live
 * at the repo root, so they are left out.
 */
async function repoTree(root: string): Promise<Tree> {
  const tree: Tree = new Map();
  for (const folder of ["vars", "deployments"]) {
    for (const [file, bytes] of await snapshotBytes(path.join(root, folder))) {
      tree.set(`${folder}/${file}`, bytes);
    }
  }
  return tree;
}

/** Runs the CLI in-process and returns its exit code with what it wrote to stderr. */
async function cakeInProcess(root: string, ...argv: string[]): Promise<{ code: number; stderr: string }> {
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

/** When to kill: a delay after the spawn, or the n-th file system event in the output folder. */
type KillPoint = { afterMs: number } | { afterEvents: number } | undefined;

/**
 * Starts the command and kills it with SIGKILL at `killPoint`. Returns the time from
 * the spawn to the exit and the count of file system events in the output folder,
 * which measure a run that is not killed.
 */
async function runAndKill(
  bin: string,
  root: string,
  args: readonly string[],
  killPoint: KillPoint,
  env: Record<string, string> = {},
): Promise<{ events: number; totalMs: number }> {
  const started = performance.now();
  let events = 0;
  const { child, done } = startCake(bin, args, root, env);
  const watcher = watch(path.join(root, "deployments", DEPLOYMENT), { recursive: true }, () => {
    events += 1;
    if (killPoint !== undefined && "afterEvents" in killPoint && events === killPoint.afterEvents) {
      child.kill("SIGKILL");
    }
  });
  const timer =
    killPoint !== undefined && "afterMs" in killPoint
      ? setTimeout(() => child.kill("SIGKILL"), killPoint.afterMs)
      : undefined;
  await done;
  clearTimeout(timer);
  watcher.close();
  return { events, totalMs: performance.now() - started };
}

/** Asserts that every file in `actual` has the bytes it has in `before` or in `after`. */
function expectOldOrNew(actual: Tree, before: Tree, after: Tree, label: string): void {
  for (const [file, bytes] of actual) {
    const isLeftover =
      path.posix.basename(file).startsWith(".cake-") && !before.has(file) && !after.has(file);
    if (isLeftover) continue;
    const matches = before.get(file)?.equals(bytes) === true || after.get(file)?.equals(bytes) === true;
    expect(matches, `${file} ${label} holds neither its old nor its new bytes`).toBe(true);
  }
}

function expectSameTree(actual: Tree, expected: Tree, label: string): void {
  expect([...actual.keys()].sort(), label).toEqual([...expected.keys()].sort());
  for (const [file, bytes] of expected) {
    expect(actual.get(file)?.equals(bytes), `${file} ${label}`).toBe(true);
  }
}

/** Returns `count` delays spread evenly over [from, to], in milliseconds. */
function spread(count: number, from: number, to: number): number[] {
  return Array.from({ length: count }, (_, index) => from + ((to - from) * index) / Math.max(1, count - 1));
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await sleep(2);
}

let cli: BuiltCli;
let reference: string;
let treeBefore: Tree;
let treeAfterReconcile: Tree;
let treeAfterGrant: Tree;

beforeAll(async () => {
  cli = await buildCli();
  reference = await makeTempDir("cake-crash-reference-");
  await writeFiles(reference, { [VARS]: BEFORE });
  expect((await cakeInProcess(reference, "reconcile")).code).toBe(0);
  treeBefore = await repoTree(reference);

  const reconciled = await makeTempDir("cake-crash-after-");
  await cp(reference, reconciled, { recursive: true });
  await writeFiles(reconciled, { [VARS]: AFTER });
  expect((await cakeInProcess(reconciled, ...RECONCILE_ARGS)).code).toBe(0);
  treeAfterReconcile = await repoTree(reconciled);

  const granted = await makeTempDir("cake-crash-granted-");
  await cp(reference, granted, { recursive: true });
  expect((await cakeInProcess(granted, ...GRANT_ARGS)).code).toBe(0);
  treeAfterGrant = await repoTree(granted);
  await Promise.all([rm(reconciled, { recursive: true }), rm(granted, { recursive: true })]);
}, 60_000);

afterAll(async () => {
  await cli?.remove();
  if (reference) await rm(reference, { recursive: true, force: true });
});

describe("reconcile killed with SIGKILL", () => {
  it("leaves old or new bytes, then converges", async () => {
    const measure = await makeTempDir("cake-crash-measure-");
    await cp(reference, measure, { recursive: true });
    await writeFiles(measure, { [VARS]: AFTER });
    const uninterrupted = await runAndKill(cli.bin, measure, RECONCILE_ARGS, undefined);
    expectSameTree(await repoTree(measure), treeAfterReconcile, "after an uninterrupted reconcile");
    await rm(measure, { recursive: true });

    // Delays cover the whole run, startup included. The write phase is short next to
    // the startup of node, so more kills follow the n-th file system event of the run.
    const points: KillPoint[] = [
      ...spread(30, 0, uninterrupted.totalMs * 1.1).map((afterMs) => ({ afterMs })),
      ...spread(20, 1, uninterrupted.events).map((events) => ({ afterEvents: Math.round(events) })),
    ];

    let interrupted = 0;
    for (const [index, point] of points.entries()) {
      const root = await makeTempDir("cake-crash-");
      await cp(reference, root, { recursive: true });
      await writeFiles(root, { [VARS]: AFTER });

      // Every other run renders on a worker thread too, which a deployment this small would not use.
      const env: Record<string, string> = index % 2 === 1 ? { CAKE_RENDER_WORKERS: "1" } : {};
      await runAndKill(cli.bin, root, RECONCILE_ARGS, point, env);

      const killed = await repoTree(root);
      const label = `after a kill at ${JSON.stringify(point)}`;
      expectOldOrNew(killed, treeBefore, treeAfterReconcile, label);
      expect(killed.get(VARS)?.toString("utf8"), label).toBe(AFTER);
      const outputChanged = [...killed].some(
        ([file, bytes]) => file.startsWith("deployments/") && treeBefore.get(file)?.equals(bytes) !== true,
      );
      const complete = [...killed].every(
        ([file, bytes]) => treeAfterReconcile.get(file)?.equals(bytes) === true,
      );
      if (outputChanged && !complete) interrupted += 1;

      const rerun = await cakeInProcess(root, ...RECONCILE_ARGS);
      expect(rerun.code, `${label}: ${rerun.stderr}`).toBe(0);
      expectSameTree(await repoTree(root), treeAfterReconcile, label);
      expect((await cakeInProcess(root, "reconcile", "--check")).code, label).toBe(0);
      await rm(root, { recursive: true });
    }
    // Not asserted, because it depends on timing; shown to judge how many kills landed mid-write.
    console.info(
      `reconcile crash test: ${interrupted} of ${points.length} kills landed mid-write; every rerun completed them`,
    );
  }, 120_000);
});

describe("user grant killed with SIGKILL", () => {
  it("leaves old or new vars, then converges", async () => {
    const measure = await makeTempDir("cake-crash-measure-");
    await cp(reference, measure, { recursive: true });
    const uninterrupted = await runAndKill(cli.bin, measure, GRANT_ARGS, undefined);
    expectSameTree(await repoTree(measure), treeAfterGrant, "after an uninterrupted grant");
    await rm(measure, { recursive: true });

    const oldVars = treeBefore.get(VARS);
    const newVars = treeAfterGrant.get(VARS);
    for (const delay of spread(12, 0, uninterrupted.totalMs * 1.1)) {
      const root = await makeTempDir("cake-crash-");
      await cp(reference, root, { recursive: true });

      await runAndKill(cli.bin, root, GRANT_ARGS, { afterMs: delay });

      const killed = await repoTree(root);
      const label = `after a kill at ${delay.toFixed(0)} ms`;
      const vars = killed.get(VARS);
      expect(
        vars?.equals(oldVars ?? Buffer.alloc(0)) || vars?.equals(newVars ?? Buffer.alloc(0)),
        label,
      ).toBe(true);
      expectOldOrNew(killed, treeBefore, treeAfterGrant, label);

      // The output follows whichever vars file the kill left.
      const rerun = await cakeInProcess(root, "reconcile");
      expect(rerun.code, `${label}: ${rerun.stderr}`).toBe(0);
      const expected = vars?.equals(newVars ?? Buffer.alloc(0)) ? treeAfterGrant : treeBefore;
      expectSameTree(await repoTree(root), expected, label);
      expect((await cakeInProcess(root, "reconcile", "--check")).code, label).toBe(0);
      await rm(root, { recursive: true });
    }
  }, 120_000);
});

describe("killed runs on the real binary", () => {
  it("leave a lock a later command recovers", async () => {
    const root = await makeTempDir("cake-crash-lock-");
    await cp(reference, root, { recursive: true });
    await writeFiles(root, { [VARS]: AFTER });
    const { child, done } = startCake(
      cli.bin,
      ["reconcile", "--wait", "30", ...RECONCILE_ARGS.slice(1)],
      root,
    );
    // Kill once the lock is complete, so the dead process leaves a lock that names it.
    let exited = false;
    void done.then(() => {
      exited = true;
    });
    await until(async () => {
      if (exited) throw new Error("cake reconcile ended before it was seen holding the lock");
      const text = await readFile(path.join(root, ".cake.lock"), "utf8").catch(() => "");
      return text.endsWith("}\n");
    });
    child.kill("SIGKILL");
    await done;
    expect(existsSync(path.join(root, ".cake.lock"))).toBe(true);

    const rerun = await runCake(cli.bin, RECONCILE_ARGS, root);

    expect(rerun.code, rerun.stderr).toBe(0);
    expectSameTree(await repoTree(root), treeAfterReconcile, "after recovering the lock");
    await rm(root, { recursive: true });
  }, 60_000);
});
