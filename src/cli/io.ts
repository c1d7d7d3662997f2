/** The I/O a command gets, injected so tests can run commands in-process. */
export interface TextSink {
  write(text: string): unknown;
}

export interface CliIO {
  argv: string[];
  cwd: string;
  stdout: TextSink;
  stderr: TextSink;
  env?: Record<string, string | undefined>;
}

/** The context a command's action gets besides its options. */
export interface CommandContext {
  io: CliIO;
  /** Sets the process exit code without throwing (for "invalid input" results that are not errors). */
  setExitCode(code: number): void;
}
