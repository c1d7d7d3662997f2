import { type Argument, Command, CommanderError, type Option } from "commander";
import { printableLines } from "../config/format.js";
import { didYouMean } from "../config/suggest.js";
import { CakeError, systemErrorMessage, UsageError } from "../errors.js";
import { type LayoutOptions, withLayoutFlags } from "../repo/shell.js";
import { CAKE_VERSION } from "../version.js";
import type { CliIO, CommandContext } from "./io.js";
import { commandPath, unknownOptionHint } from "./option-hints.js";

interface CommandModule {
  register(program: Command, context: CommandContext): void;
}

/**
 * Every command, in help order, loaded on demand: a command line that names one loads only
 * that command's modules, which keeps a no-op `cake reconcile` from loading the generator,
 * the schema and the Kubernetes models.
 */
const COMMAND_LOADERS: Record<string, () => Promise<CommandModule>> = {
  init: () => import("./commands/init.js"),
  validate: () => import("./commands/validate.js"),
  reconcile: () => import("./commands/reconcile.js"),
  plan: () => import("./commands/plan.js"),
  user: () => import("./commands/user.js"),
  namespace: () => import("./commands/namespace.js"),
  schema: () => import("./commands/schema.js"),
};

/** Loads the modules of the command `argv` names, or of every command when it names none. */
export async function loadCommands(argv: readonly string[]): Promise<CommandModule[]> {
  const named = argv[0] === undefined ? undefined : COMMAND_LOADERS[argv[0]];
  if (named !== undefined && Object.hasOwn(COMMAND_LOADERS, argv[0] as string)) return [await named()];
  return Promise.all(Object.values(COMMAND_LOADERS).map((load) => load()));
}

/** Builds the `cake` program with every command; commands write through `context.io` only. */
export async function buildProgram(context: CommandContext): Promise<Command> {
  return buildProgramWith(context, await loadCommands([]));
}

function buildProgramWith(context: CommandContext, commands: readonly CommandModule[]): Command {
  // Commander's own error lines are not printed: `usageErrorOf` turns each into a UsageError,
  // which `handleError` prints as it prints every other cake error.
  const output = {
    writeOut: (text: string) => context.io.stdout.write(text),
    writeErr: (text: string) => context.io.stderr.write(text),
    outputError: () => undefined,
  };
  const program = new Command("cake")
    .description("Manage who may use which Kubeflow namespace, through GitOps.")
    .version(CAKE_VERSION, "-V, --version", "print the cake version");

  for (const command of commands) command.register(program, context);
  const required = new Set<Option>();
  program.hook("preAction", (_program, action) => {
    rejectMissingOptions(action, required);
    rejectEmptyValues(action);
    rejectRepeatedValues(action, context.io.argv);
  });

  // Every command, subcommands included, gets the output settings and the exit override.
  // Commander 14 checks required options before it looks for unknown ones, so a misspelled
  // `--emial` would be reported as a missing `--email`, without the "did you mean". The preAction
  // hook runs after the unknown-option check, so the required options are checked there.
  (function inherit(command: Command): void {
    command.exitOverride((error) => {
      throw usageErrorOf(error, command, context.io.argv);
    });
    command.configureOutput(output);
    command.options.forEach(rejectInvalidChoice);
    for (const option of command.options) nameHelpOnInvalidValue(option, command);
    for (const argument of command.registeredArguments) nameHelpOnInvalidValue(argument, command);
    for (const option of command.options.filter((each) => each.mandatory)) {
      option.makeOptionMandatory(false);
      required.add(option);
    }
    command.commands.forEach(inherit);
  })(program);
  return program;
}

/**
 * Makes an option with fixed choices reject another value as `--role` and `--access` do, with
 * the choices and a "did you mean", in place of commander's "argument 'md' is invalid" line.
 */
function rejectInvalidChoice(option: Option): void {
  const choices = option.argChoices;
  const parse = option.parseArg;
  if (choices === undefined || parse === undefined) return;
  option.parseArg = <T>(value: string, previous: T): T => {
    if (!choices.includes(value)) {
      throw new UsageError(
        `${option.long ?? option.flags} ${JSON.stringify(value)} is invalid; use one of: ${choices.join(", ")}.` +
          didYouMean(value, choices),
      );
    }
    return parse(value, previous);
  };
}

/**
 * Ends the usage error of an option value or argument that cake rejects (`--role`, `--access`,
 * the NAME of `namespace add`) with the help line that commander's own errors end with. Commander calls `parseArg` while it
 * parses the command line, so such an error never reaches `usageErrorOf`.
 */
function nameHelpOnInvalidValue(option: Option | Argument, command: Command): void {
  const parse = option.parseArg;
  if (parse === undefined) return;
  option.parseArg = <T>(value: string, previous: T): T => {
    try {
      return parse(value, previous);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new UsageError(`${error.message} Run \`${commandPath(command)} --help\` for usage.`);
    }
  };
}

/** Rejects a command line that leaves out a required option, in the words commander uses. */
function rejectMissingOptions(action: Command, required: ReadonlySet<Option>): void {
  const values = action.opts();
  const missing = action.options.find(
    (option) => required.has(option) && values[option.attributeName()] === undefined,
  );
  if (missing !== undefined) {
    throw new UsageError(
      `required option '${missing.flags}' not specified. Run \`${commandPath(action)} --help\` for usage.`,
    );
  }
}

/**
 * Turns an error that commander reports (unknown option or command, missing argument or
 * value, invalid value) into a UsageError that names the help of the command it is about.
 * Help, version and the help printed for a missing subcommand pass through unchanged.
 */
function usageErrorOf(error: CommanderError, command: Command, argv: readonly string[]): Error {
  if (error.exitCode === 0 || error.code === "commander.help") return error;
  // Commander starts its messages with "error: " and puts a suggestion on a line of its own:
  // "error: unknown option '--emial'\n(Did you mean --email?)".
  const [problem = "", suggestion] = error.message.replace(/^error: /, "").split("\n");
  // Commander's suggestion goes by spelling. Where it has none, an option with the same meaning
  // (`--username` for `--email`) is named. Its suggested commands repeat the layout options
  // parsed so far, as those of other errors do.
  const flag = error.code === "commander.unknownOption" ? /'([^']*)'/.exec(problem)?.[1] : undefined;
  const hint = flag === undefined ? undefined : unknownOptionHint(flag, command, argv);
  const sentence = suggestion?.startsWith("(Did you mean ")
    ? `${problem}; did you mean ${suggestion.slice("(Did you mean ".length, -1)}`
    : hint !== undefined
      ? `${problem}; ${withLayoutFlags(hint, command.opts())}.`
      : `${problem.replace(/\.$/, "")}.`;
  return new UsageError(`${sentence} Run \`${commandPath(command)} --help\` for usage.`);
}

/**
 * Rejects an option given an empty value on the command line. No option of cake takes one,
 * and the layout options would otherwise fall back silently: `--vars-dir ""` used to read
 * the vars folder of cake.yaml, and `--repo ""` the current folder.
 */
function rejectEmptyValues(action: Command): void {
  const values = action.opts();
  for (const option of action.options) {
    const name = option.attributeName();
    if (option.long === undefined || action.getOptionValueSource(name) !== "cli") continue;
    const value: unknown = values[name];
    const blank = (Array.isArray(value) ? value : [value]).find(
      (each) => typeof each === "string" && each.trim() === "",
    );
    if (blank !== undefined) {
      throw new UsageError(
        `${option.long} ${JSON.stringify(blank)} is ${blank === "" ? "empty" : "blank"}; give a value, ` +
          `or leave the option out. Run \`${commandPath(action)} --help\` for usage.`,
      );
    }
  }
}

/**
 * Options that name what a command acts on, so that two values mean two commands. `--username`
 * is not one: on `user add` it is a property of the new user.
 */
const SUBJECT_OPTIONS = new Set(["--email", "--namespace", "--deployment"]);

/**
 * Rejects an option that takes one value and is given more than once. Commander keeps the last
 * value, so `cake user disable --email a --email b` would disable b alone and exit 0. Options
 * that collect their values into a list (`--namespace` of `user add`) may repeat.
 */
function rejectRepeatedValues(action: Command, argv: readonly string[]): void {
  const end = argv.indexOf("--");
  const tokens = end < 0 ? argv : argv.slice(0, end);
  const values = action.opts();
  for (const option of action.options) {
    // A parsed value (`--wait` becomes a number) came from one value. A list came from several.
    const value = values[option.attributeName()];
    if (option.long === undefined || !["string", "number"].includes(typeof value)) continue;
    const flag = option.long;
    const count = tokens.filter((token) => token === flag || token.startsWith(`${flag}=`)).length;
    if (count > 1) {
      // Several emails mean several commands. Several wait times or formats are a typo.
      const fix = SUBJECT_OPTIONS.has(flag) ? "run the command once per value" : "give it once";
      throw new UsageError(`${flag} is given ${count} times, but takes one value; ${fix}.`);
    }
  }
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

  // The options of the command being run, so that an error's suggested commands repeat its layout options.
  let given: LayoutOptions = {};
  try {
    const program = buildProgramWith(context, await loadCommands(io.argv));
    program.hook("preAction", (_program, action) => {
      given = action.opts();
    });
    await program.parseAsync(io.argv, { from: "user" });
    return exitCode;
  } catch (error) {
    return handleError(error, io, given);
  }
}

function handleError(error: unknown, io: CliIO, layout: LayoutOptions): number {
  if (error instanceof CommanderError) {
    // Help and version are reported by commander as "errors" with exit code 0.
    if (error.exitCode === 0) return 0;
    return 2;
  }
  if (error instanceof CakeError) {
    io.stderr.write(`cake: ${printableLines(withLayoutFlags(error.message, layout))}\n`);
    return error.exitCode;
  }
  const system = systemErrorMessage(error);
  if (system !== undefined) {
    io.stderr.write(`cake: ${printableLines(system)}\n`);
    return 1;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`cake: unexpected internal error; please report it with the command you ran.\n${detail}\n`);
  return 70;
}
