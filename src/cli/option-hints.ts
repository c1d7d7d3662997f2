/**
 * Hints for an option that a command does not take, where commander's "did you mean" finds
 * nothing because it compares spelling only. Examples are `--username` on a command that names
 * the user by `--email`, `--namespace` on a command that takes the namespace as its NAME
 * argument, and `--dry-run` on `cake reconcile`, whose dry run is `--check`.
 */
import type { Command } from "commander";
import { shellWord } from "../repo/shell.js";

/** Options that name the same thing, so that a user types one where a command takes another. */
const SAME_MEANING: readonly { names: readonly string[]; subject: string; note?: string }[] = [
  {
    names: ["--email", "--username", "--user", "--mail", "--login"],
    subject: "the user",
    note: "`cake user list` shows each user's email and username",
  },
  {
    names: ["--deployment", "--env", "--environment", "--cluster", "--deploy"],
    subject: "the deployment",
    note: "its value is the vars file's name without .yaml",
  },
  { names: ["--namespace", "--ns"], subject: "the deploy namespace" },
];

/** Options that name what a command takes as a positional argument, by the words that run the command. */
const ARGUMENT_MEANING: Readonly<Record<string, { names: readonly string[]; subject: string }>> = {
  "cake namespace add": { names: ["--namespace", "--ns", "--name"], subject: "the namespace" },
  "cake namespace remove": { names: ["--namespace", "--ns", "--name"], subject: "the namespace" },
  "cake user import": { names: ["--file", "--csv", "--input"], subject: "the CSV file" },
};

/**
 * Returns the hint for `flag` (`--name` or `--name=value`), which `command` does not take, or
 * undefined when there is none. `argv` is the command line after `cake`, from which a suggested
 * command keeps the other options given.
 */
export function unknownOptionHint(
  flag: string,
  command: Command,
  argv: readonly string[],
): string | undefined {
  const name = flag.split("=")[0] ?? flag;
  const takes = (option: string): boolean => command.options.some((each) => each.long === option);

  if (name === "--dry-run" && takes("--check")) {
    return (
      "did you mean --check? It writes nothing and exits 1 when the output is out of date. " +
      "To see who gains or loses access, run `cake plan`"
    );
  }
  const argumentHint = positionalArgumentHint(name, command, argv);
  if (argumentHint !== undefined) return argumentHint;
  const group = SAME_MEANING.find((each) => each.names.includes(name));
  const meant = group?.names.filter(takes) ?? [];
  if (group === undefined || meant.length === 0) return undefined;
  const options = meant.join(" or ");
  const note = group.note === undefined ? "" : `, and ${group.note}`;
  return `did you mean ${options}? ${commandPath(command)} names ${group.subject} with ${options}${note}`;
}

/**
 * Returns the hint for an option `name` that gives what `command` takes as its first positional
 * argument, with the command line that passes the option's value as that argument instead.
 */
function positionalArgumentHint(name: string, command: Command, argv: readonly string[]): string | undefined {
  const path = commandPath(command);
  const meaning = ARGUMENT_MEANING[path];
  const argument = command.registeredArguments[0];
  if (meaning === undefined || argument === undefined || !meaning.names.includes(name)) return undefined;

  const takesWhat = `${path} takes ${meaning.subject} as its ${argument.name().toUpperCase()} argument`;
  // The first words of argv are the command names ("namespace", "add"), and "--" ends the options.
  const depth = path.split(" ").length - 1;
  const end = argv.indexOf("--");
  const words = argv.slice(depth, end < 0 ? undefined : end);
  const { rest, value, operands } = withoutOption(words, name, command);
  if (operands.length > 0)
    return `${takesWhat} (${operands.map(shellWord).join(" ")} here), so leave out ${name}`;

  const line = [
    path,
    ...rest.map(shellWord),
    value === undefined ? argument.name().toUpperCase() : shellWord(value),
  ];
  return `${takesWhat}: \`${line.join(" ")}\``;
}

/**
 * Splits `words` into the words other than the unknown option `name` and its value, the value
 * given to it (`--name value` or `--name=value`), and the operands given besides it. A known
 * option's value is not an operand, and a word after `name` that does not start with "-" is
 * taken as its value.
 */
function withoutOption(
  words: readonly string[],
  name: string,
  command: Command,
): { rest: string[]; value: string | undefined; operands: string[] } {
  const rest: string[] = [];
  const operands: string[] = [];
  let value: string | undefined;
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as string;
    if (word === name || word.startsWith(`${name}=`)) {
      const next = words[index + 1];
      if (word !== name) value = word.slice(name.length + 1);
      else if (next !== undefined && !next.startsWith("-")) {
        value = next;
        index++;
      }
      continue;
    }
    rest.push(word);
    const option = command.options.find((each) => each.long === word || each.short === word);
    if (option?.required || option?.optional) {
      const next = words[index + 1];
      if (next !== undefined) rest.push(next);
      index++;
    } else if (!word.startsWith("-")) {
      operands.push(word);
    }
  }
  return { rest, value, operands };
}

/** Returns the words that run `command`, such as "cake user add". */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let each: Command | null = command; each !== null; each = each.parent) names.unshift(each.name());
  return names.join(" ");
}
