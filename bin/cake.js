#!/usr/bin/env node
import { run } from "../dist/cli/main.js";

// A reader that stops early (`cake user list | head -1`) closes the pipe. The rest of the
// output is dropped, as other command-line tools do, instead of ending in a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

process.exitCode = await run({
  argv: process.argv.slice(2),
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
});
