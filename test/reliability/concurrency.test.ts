/**
 * Concurrency, proven with real parallel `cake` processes on one repo: the repo
 * lock serializes them, names its holder, and survives the death of its holder.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { varsText } from "../output/vars.js";
import {
  type BuiltCli,
  buildCli,
  type CakeRun,
  makeTempDir,
  runCake,
  snapshotBytes,
  startCake,
  writeFiles,
} from "./helpers.js";

const DEPLOYMENT = "prod-us-east-1";
const VARS = `vars/${DEPLOYMENT}.yaml`;
const LOCK = ".cake.lock";

let cli: BuiltCli;
const repos: string[] = [];

beforeAll(async () => {
  cli = await buildCli();
}, 60_000);

afterAll(async () => {
  await cli?.remove();
  await Promise.all(repos.map((root) => rm(root, { recursive: true, force: true })));
});

/** Creates a repo whose vars file has `count` users and no output yet. */
async function makeRepo(count: number): Promise<string> {
  const root = await makeTempDir("cake-concurrency-");
  repos.push(root);
  const users = Array.from({ length: count }, (_, index) => ({
    email: `user${index}@example.com`,
    username: `user${index}`,
    allowed_namespaces: ["ml-prod"],
  }));
  await writeFiles(root, { [VARS]: varsText({ users }) });
  return root;
}

function lockText(pid: number, hostname = os.hostname()): string {
  return `${JSON.stringify({ pid, hostname, command: "reconcile", startedAt: "2026-01-02T03:04:05.000Z" })}\n`;
}

/** Returns the pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  if (child.pid === undefined) throw new Error("could not start node");
  return child.pid;
}

function usernamesIn(text: string): string[] {
  const data = parse(text) as { users: { users: { username: string }[] } };
  return data.users.users.map((user) => user.username).sort();
}

/** Starts `cake reconcile` and stops it with SIGSTOP once it holds the repo lock. */
async function reconcileHoldingLock(root: string): Promise<{ resume(): Promise<CakeRun> }> {
  const { child, done } = startCake(cli.bin, ["reconcile"], root);
  let exited = false;
  void done.then(() => {
    exited = true;
  });
  for (;;) {
    const text = await readFile(path.join(root, LOCK), "utf8").catch(() => "");
    if (text.includes(`"pid":${child.pid},`)) break;
    if (exited) throw new Error(`cake reconcile ended without being seen holding ${LOCK}`);
    await sleep(2);
  }
  child.kill("SIGSTOP");
  return {
    resume: async () => {
      child.kill("SIGCONT");
      return done;
    },
  };
}

describe("parallel reconciles", () => {
  it("second fails naming the holder", async () => {
    const root = await makeRepo(300);
    const holder = await reconcileHoldingLock(root);

    const second = await runCake(cli.bin, ["reconcile"], root);
    const first = await holder.resume();

    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/locked by "cake reconcile" \(pid \d+ on host /);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(path.join(root, LOCK))).toBe(false);
    expect((await runCake(cli.bin, ["reconcile", "--check"], root)).code).toBe(0);
  }, 60_000);

  it("second waits with --wait", async () => {
    const root = await makeRepo(300);
    const holder = await reconcileHoldingLock(root);

    const second = startCake(cli.bin, ["reconcile", "--wait", "60"], root);
    await sleep(300);
    const first = await holder.resume();

    expect(first.code, first.stderr).toBe(0);
    const waited = await second.done;
    expect(waited.code, waited.stderr).toBe(0);
    expect((await runCake(cli.bin, ["reconcile", "--check"], root)).code).toBe(0);
  }, 60_000);

  it("two started together both end cleanly", async () => {
    const root = await makeRepo(300);

    const runs = await Promise.all([
      runCake(cli.bin, ["reconcile"], root),
      runCake(cli.bin, ["reconcile"], root),
    ]);

    // Which one wins depends on timing; each either succeeds or names the holder.
    for (const run of runs) {
      if (run.code !== 0) expect(run.stderr).toMatch(/locked by "cake reconcile" \(pid \d+/);
    }
    expect(runs.some((run) => run.code === 0)).toBe(true);
    expect((await runCake(cli.bin, ["reconcile", "--check"], root)).code).toBe(0);
  }, 60_000);
});

describe("parallel user add", () => {
  it("keeps every user with --wait", async () => {
    const root = await makeRepo(20);
    const count = 6;

    const runs = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        runCake(
          cli.bin,
          [
            "user",
            "add",
            "--deployment",
            DEPLOYMENT,
            "--email",
            `new${index}@example.com`,
            "--username",
            `new${index}`,
            "--role",
            "cake-user",
            "--wait",
            "60",
          ],
          root,
        ),
      ),
    );

    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const usernames = usernamesIn(await readFile(path.join(root, VARS), "utf8"));
    for (let index = 0; index < count; index += 1) expect(usernames).toContain(`new${index}`);
    expect(usernames).toHaveLength(20 + count);
    expect((await runCake(cli.bin, ["reconcile", "--check"], root)).code).toBe(0);
  }, 120_000);

  it("fails without --wait, naming the holder", async () => {
    const root = await makeRepo(5);
    await writeFile(path.join(root, LOCK), lockText(process.pid));
    const before = await readFile(path.join(root, VARS));

    const run = await runCake(
      cli.bin,
      ["user", "add", "--deployment", DEPLOYMENT, "--email", "late@example.com", "--role", "cake-user"],
      root,
    );

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`pid ${process.pid}`);
    expect(await readFile(path.join(root, VARS))).toEqual(before);
  });
});

describe("lock holders", () => {
  it("recovers a lock of a dead process", async () => {
    const root = await makeRepo(5);
    await writeFile(path.join(root, LOCK), lockText(deadPid()));

    const run = await runCake(cli.bin, ["reconcile"], root);

    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(path.join(root, LOCK))).toBe(false);
    expect((await snapshotBytes(path.join(root, "deployments"))).size).toBeGreaterThan(0);
  });

  it("respects a lock of a live process", async () => {
    const root = await makeRepo(5);
    // A live process that is not cake: its pid in the lock must still be honoured.
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    if (sleeper.pid === undefined) throw new Error("could not start sleep");
    await writeFile(path.join(root, LOCK), lockText(sleeper.pid));

    try {
      const run = await runCake(cli.bin, ["reconcile", "--wait", "0.5"], root);

      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`pid ${sleeper.pid}`);
      expect(existsSync(path.join(root, "deployments"))).toBe(false);
      expect(await readFile(path.join(root, LOCK), "utf8")).toBe(lockText(sleeper.pid));
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("keeps a lock from another host", async () => {
    const root = await makeRepo(5);
    await writeFile(path.join(root, LOCK), lockText(deadPid(), "other-host.example"));

    const run = await runCake(cli.bin, ["reconcile"], root);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain("other-host.example");
    expect(existsSync(path.join(root, "deployments"))).toBe(false);
  });

  it("edit commands accept --wait", async () => {
    const root = await makeRepo(5);
    const holder = spawn("sleep", ["30"], { stdio: "ignore" });
    if (holder.pid === undefined) throw new Error("could not start sleep");
    await writeFile(path.join(root, LOCK), lockText(holder.pid));
    // The holder goes away after a short while; the waiting edit then takes the lock.
    setTimeout(() => {
      holder.kill("SIGKILL");
    }, 500);

    const run = await runCake(
      cli.bin,
      [
        "user",
        "add",
        "--deployment",
        DEPLOYMENT,
        "--email",
        "patient@example.com",
        "--role",
        "cake-user",
      ].concat(["--username", "patient", "--wait", "30"]),
      root,
    );

    expect(run.code, run.stderr).toBe(0);
    expect(usernamesIn(await readFile(path.join(root, VARS), "utf8"))).toContain("patient");
  }, 60_000);
});
