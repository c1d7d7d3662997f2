/**
 * Typed errors. Library code throws these for failures the user can fix; the CLI
 * boundary prints their message without a stack trace and exits with `exitCode`.
 * Anything else that reaches the boundary is a bug and is printed with its stack.
 */
export class CakeError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CakeError";
    this.exitCode = exitCode;
  }
}

/** A command line that cannot be run as given: exit code 2. */
export class UsageError extends CakeError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}
