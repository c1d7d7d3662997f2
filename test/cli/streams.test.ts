/**
 * The built CLI's handling of its standard streams: a write that fails ends the run with one
 * line on stderr and exit 1, and a reader that stops early does not make it fail.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../bin/cake.js", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../../examples/ops", import.meta.url));

describe("cake standard streams", () => {
  it("reports a full disk behind stdout in one line", () => {
    const full = openSync("/dev/full", "w");
    const result = spawnSync(process.execPath, [BIN, "schema"], {
      stdio: ["ignore", full, "pipe"],
      encoding: "utf8",
    });
    closeSync(full);

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "cake: cannot write to standard output: ENOSPC: no space left on device, write\n",
    );
  });

  it("finishes an edit whose stdout fails", async () => {
    const repo = await mkdtemp(path.join(os.tmpdir(), "cake-streams-"));
    await cp(EXAMPLE, repo, { recursive: true });
    const full = openSync("/dev/full", "w");
    const argv = [
      "user",
      "add",
      "--repo",
      repo,
      "--deployment",
      "prod-us-east-1",
      "--email",
      "q1@example.com",
    ];
    const edit = spawnSync(process.execPath, [BIN, ...argv, "--username", "q1", "--role", "cake-user"], {
      stdio: ["ignore", full, "pipe"],
      encoding: "utf8",
    });
    closeSync(full);
    const check = spawnSync(process.execPath, [BIN, "reconcile", "--check", "--repo", repo], {
      encoding: "utf8",
    });
    const leftovers = (await readdir(repo)).filter((name) => name.startsWith(".cake.lock"));
    await rm(repo, { recursive: true, force: true });

    expect(edit.status).toBe(1);
    expect(edit.stderr).toContain("cake: cannot write to standard output");
    expect(check.status).toBe(0);
    expect(leftovers).toEqual([]);
  });

  it("exits 0 when the reader stops early", () => {
    const result = spawnSync(
      "sh",
      ["-c", `"${process.execPath}" "${BIN}" user list --repo "${EXAMPLE}" | head -1`],
      {
        encoding: "utf8",
      },
    );

    expect(result.status).toBe(0);
    expect(result.stdout.split("\n")[0]).toMatch(/^DEPLOYMENT\s+USER/);
    expect(result.stderr).toBe("");
  });
});

describe("cake in a deleted folder", () => {
  it("says so in one line instead of a stack trace", async () => {
    const deletedFolder = await mkdtemp(path.join(os.tmpdir(), "cake-deleted-"));
    // The shell enters the folder and deletes it, as a `git checkout` can under a shell.
    const script = 'cd "$1" && rmdir "$1" && exec "$2" "$3" --version';
    const result = spawnSync("sh", ["-c", script, "sh", deletedFolder, process.execPath, BIN], {
      encoding: "utf8",
    });

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "cake: the current folder no longer exists (ENOENT); cd into an existing folder, then rerun.\n",
    );
  });
});
