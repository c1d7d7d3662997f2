import { spawn, spawnSync } from "node:child_process";
import { readFile, readlink, stat, symlink, unlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CakeError } from "../../src/errors.js";
import { LOCK_FILE, type LockHolder, withRepoLock } from "../../src/output/lock.js";
import { makeTempDir } from "./tree.js";

function holder(pid: number, hostname = os.hostname()): LockHolder {
  return { pid, hostname, command: "reconcile", startedAt: "2026-01-02T03:04:05.000Z" };
}

/** Returns the pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  if (child.pid === undefined) throw new Error("could not start node");
  return child.pid;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

describe("withRepoLock", () => {
  it("holds the lock while running", async () => {
    const root = await makeTempDir();
    const lockPath = path.join(root, LOCK_FILE);

    const seen = await withRepoLock(root, "reconcile", async () =>
      JSON.parse(await readFile(lockPath, "utf8")),
    );

    expect(seen).toMatchObject({ pid: process.pid, hostname: os.hostname(), command: "reconcile" });
    expect(typeof seen.startedAt).toBe("string");
    expect(await exists(lockPath)).toBe(false);
  });

  it("releases the lock when fn throws", async () => {
    const root = await makeTempDir();

    await expect(
      withRepoLock(root, "reconcile", async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");

    expect(await exists(path.join(root, LOCK_FILE))).toBe(false);
  });

  it("rejects a lock held by a live process", async () => {
    const root = await makeTempDir();
    await writeFile(path.join(root, LOCK_FILE), JSON.stringify(holder(process.ppid)));
    let ran = false;

    const attempt = withRepoLock(root, "user add", async () => {
      ran = true;
    });

    await expect(attempt).rejects.toBeInstanceOf(CakeError);
    await expect(attempt).rejects.toThrow(`pid ${process.ppid}`);
    await expect(attempt).rejects.toThrow("cake reconcile");
    await expect(attempt).rejects.toThrow("2026-01-02T03:04:05.000Z");
    expect(ran).toBe(false);
    expect(JSON.parse(await readFile(path.join(root, LOCK_FILE), "utf8")).pid).toBe(process.ppid);
  });

  it("keeps a lock from another host", async () => {
    const root = await makeTempDir();
    await writeFile(path.join(root, LOCK_FILE), JSON.stringify(holder(deadPid(), "other-host.example")));

    await expect(withRepoLock(root, "reconcile", async () => undefined)).rejects.toThrow(
      "other-host.example",
    );
    expect(await exists(path.join(root, LOCK_FILE))).toBe(true);
  });

  it("recovers the lock of a dead process", async () => {
    const root = await makeTempDir();
    await writeFile(path.join(root, LOCK_FILE), JSON.stringify(holder(deadPid())));

    const result = await withRepoLock(root, "reconcile", async () => "ran");

    expect(result).toBe("ran");
    expect(await exists(path.join(root, LOCK_FILE))).toBe(false);
  });

  it.runIf(process.platform === "linux")("keeps a lock from another PID namespace", async () => {
    const root = await makeTempDir();
    // A container with the same hostname but its own processes: its pid means nothing here.
    const other = { ...holder(deadPid()), pidNamespace: "pid:[1]" };
    await writeFile(path.join(root, LOCK_FILE), JSON.stringify(other));

    await expect(withRepoLock(root, "reconcile", async () => undefined)).rejects.toThrow("is locked by");
    expect(await exists(path.join(root, LOCK_FILE))).toBe(true);
  });

  it.runIf(process.platform === "linux")(
    "records its PID namespace and recovers a dead holder of it",
    async () => {
      const root = await makeTempDir();
      const lockPath = path.join(root, LOCK_FILE);
      const namespace = await readlink("/proc/self/ns/pid");
      await writeFile(lockPath, JSON.stringify({ ...holder(deadPid()), pidNamespace: namespace }));

      const seen = await withRepoLock(root, "reconcile", async () =>
        JSON.parse(await readFile(lockPath, "utf8")),
      );

      expect(seen.pidNamespace).toBe(namespace);
    },
  );

  it("rejects a symlink in place of the lock", async () => {
    const root = await makeTempDir();
    await symlink(path.join(root, "nowhere"), path.join(root, LOCK_FILE));

    await expect(withRepoLock(root, "reconcile", async () => undefined)).rejects.toThrow(
      "is not a regular file (a symbolic link, say)",
    );
  });

  it("waits for a lock to be released", async () => {
    const root = await makeTempDir();
    const lockPath = path.join(root, LOCK_FILE);
    await writeFile(lockPath, JSON.stringify(holder(process.ppid)));
    setTimeout(() => void unlink(lockPath), 300);

    const result = await withRepoLock(root, "reconcile", async () => "ran", { waitMs: 20_000 });

    expect(result).toBe("ran");
  });

  it("lets one of many contenders in at a time", async () => {
    const root = await makeTempDir();
    await writeFile(path.join(root, LOCK_FILE), JSON.stringify(holder(deadPid())));
    let active = 0;
    let maxActive = 0;

    const runs = Array.from({ length: 5 }, (_, index) =>
      withRepoLock(
        root,
        `run ${index}`,
        async () => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await new Promise((resolve) => setTimeout(resolve, 20));
          active -= 1;
        },
        { waitMs: 20_000 },
      ),
    );
    await Promise.all(runs);

    expect(maxActive).toBe(1);
  });

  it("admits one process at a time after a crash", async () => {
    const root = await makeTempDir();
    const log = path.join(root, "log");
    await writeFile(path.join(root, LOCK_FILE), JSON.stringify(holder(deadPid())));
    const script = [
      `import { appendFileSync } from "node:fs";`,
      `import { withRepoLock } from ${JSON.stringify(LOCK_MODULE)};`,
      `await withRepoLock(${JSON.stringify(root)}, "test", async () => {`,
      `  appendFileSync(${JSON.stringify(log)}, "start\\n");`,
      "  await new Promise((resolve) => setTimeout(resolve, 50));",
      `  appendFileSync(${JSON.stringify(log)}, "end\\n");`,
      "}, { waitMs: 60000 });",
    ].join("\n");

    const children = Array.from({ length: 6 }, () => runNode(script));
    const codes = await Promise.all(children);

    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    const lines = (await readFile(log, "utf8")).trim().split("\n");
    expect(lines).toEqual(Array.from({ length: 6 }, () => ["start", "end"]).flat());
  });

  it("releases the lock on SIGTERM", async () => {
    const root = await makeTempDir();
    const ready = path.join(root, "ready");
    const script = [
      `import { writeFileSync } from "node:fs";`,
      `import { withRepoLock } from ${JSON.stringify(LOCK_MODULE)};`,
      `await withRepoLock(${JSON.stringify(root)}, "test", async () => {`,
      `  writeFileSync(${JSON.stringify(ready)}, "");`,
      "  await new Promise((resolve) => setTimeout(resolve, 60000));",
      "});",
    ].join("\n");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("exit", (_code, signal) => resolve(signal)),
    );
    while (!(await exists(ready))) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await exists(path.join(root, LOCK_FILE))).toBe(true);

    child.kill("SIGTERM");

    expect(await exited).toBe("SIGTERM");
    expect(await exists(path.join(root, LOCK_FILE))).toBe(false);
  });
});

const LOCK_MODULE = new URL("../../src/output/lock.ts", import.meta.url).href;

/** Runs an ES module `script` in a new node process that loads TypeScript through tsx; resolves to its exit code. */
function runNode(script: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve(code));
  });
}
