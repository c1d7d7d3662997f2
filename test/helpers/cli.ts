/** Runs `cake` in-process with captured output, as the CLI tests need it. */
import { run } from "../../src/cli/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one `cake` command line in `cwd` and returns its exit code and what it printed. */
export async function runCake(cwd: string, ...argv: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await run({
    argv,
    cwd,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
