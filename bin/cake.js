#!/usr/bin/env node
import { run } from "../dist/cli/main.js";

// A reader that stops early (`cake user list | head -1`) closes the pipe. The rest of the
// output is dropped, as other command-line tools do, instead of ending in a stack trace.
// Any other write failure (a full disk behind `> plan.md`, say) is named once on stderr and
// makes the exit code 1, because the output the caller asked for is incomplete. The command
// itself runs to its end: stopping an edit between writing the vars file and regenerating
// the output would leave the repo half changed.
let outputFailed = false;
for (const [name, stream] of [
  ["standard output", process.stdout],
  ["standard error", process.stderr],
]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
    if (!outputFailed && stream !== process.stderr) {
      try {
        process.stderr.write(`cake: cannot write to ${name}: ${error.message}\n`);
      } catch {
        // stderr fails too: the exit code is all that is left.
      }
    }
    outputFailed = true;
  });
}
process.on("exit", () => {
  if (outputFailed && !process.exitCode) process.exitCode = 1;
});

// The shell's folder may be gone: a `git checkout` or `git worktree remove` deleted it. Every
// path cake resolves starts from it, so the run stops here with one line instead of a trace.
let cwd;
try {
  cwd = process.cwd();
} catch (error) {
  process.stderr.write(
    `cake: the current folder no longer exists (${error.code}); cd into an existing folder, then rerun.\n`,
  );
  process.exit(1);
}

process.exitCode = await run({
  argv: process.argv.slice(2),
  cwd,
  stdout: process.stdout,
  stderr: process.stderr,
});
