import { Command, CommanderError } from "commander";
import { CakeError } from "../errors.js";
import { CAKE_VERSION } from "../version.js";
import * as initCommand from "./commands/init.js";
import * as namespaceCommand from "./commands/namespace.js";
import * as planCommand from "./commands/plan.js";
import * as reconcileCommand from "./commands/reconcile.js";
import * as schemaCommand from "./commands/schema.js";
import * as userCommand from "./commands/user.js";
import * as validateCommand from "./commands/validate.js";
import type { CliIO, CommandContext } from "./io.js";

interface CommandModule {
  register(program: Command, context: CommandContext): void;
}

const COMMANDS: CommandModule[] = [
  initCommand,
  validateCommand,
  reconcileCommand,
  planCommand,
  userCommand,
  namespaceCommand,
  schemaCommand,
];

/** Builds the `cake` program; commands write through `context.io` only. */
export function buildProgram(context: CommandContext): Command {
  const program = new Command("cake")
    .description("Manage who may use which Kubeflow namespace, through GitOps.")
    .version(CAKE_VERSION, "-V, --version", "print the cake version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    });

  for (const command of COMMANDS) command.register(program, context);

  // Subcommands inherit the output settings and the exit override from their parent.
  program.commands.forEach(function inherit(command: Command): void {
    command.exitOverride().configureOutput({
      writeOut: (text) => context.io.stdout.write(text),
      writeErr: (text) => context.io.stderr.write(text),
    });
    command.commands.forEach(inherit);
  });
  return program;
}

/**
 * Runs one `cake` command line and returns its exit code: 0 ok, 1 invalid input
 * or drift, 2 usage error. Unexpected errors print a stack trace and return 70.
 */
export async function run(io: CliIO): Promise<number> {
  let exitCode = 0;
  const context: CommandContext = {
    io,
    setExitCode(code) {
      exitCode = Math.max(exitCode, code);
    },
  };

  try {
    await buildProgram(context).parseAsync(io.argv, { from: "user" });
    return exitCode;
  } catch (error) {
    return handleError(error, io);
  }
}

function handleError(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    // Help and version are reported by commander as "errors" with exit code 0.
    if (error.exitCode === 0) return 0;
    return 2;
  }
  if (error instanceof CakeError) {
    io.stderr.write(`cake: ${error.message}\n`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`cake: unexpected internal error; please report it with the command you ran.\n${detail}\n`);
  return 70;
}
