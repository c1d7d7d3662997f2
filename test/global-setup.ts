import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Gives the test run a temp folder of its own and deletes it when the run ends.
 *
 * Tests create thousands of ops repos with `mkdtemp(os.tmpdir())`, and not every test removes
 * its own: a failed assertion skips the cleanup. Pointing `TMPDIR` at one folder per run, which
 * the test workers and the CLI processes they start inherit, keeps the machine's temp folder
 * clean whatever the tests do. `CAKE_KEEP_TEST_TMP=1` keeps the folder to inspect a failure.
 */
export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), "cake-test-run-"));
  // The same mode as /tmp: tests that run cake as the unprivileged user "nobody" reach their
  // repos through this folder.
  chmodSync(root, 0o1777);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;

  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;

    if (process.env.CAKE_KEEP_TEST_TMP === "1") {
      console.log(`Test temp folder kept: ${root}`);
      return;
    }
    rmSync(root, { recursive: true, force: true });
  };
}
