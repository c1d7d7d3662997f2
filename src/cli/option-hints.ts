/**
 * Hints for an option that a command does not take, where commander's "did you mean" finds
 * nothing because it compares spelling only: `--username` on a command that names the user by
 * `--email`, or `--dry-run` on `cake reconcile`, whose dry run is `--check`.
 */
import type { Command } from "commander";

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

/**
 * Returns the hint for `flag` (`--name` or `--name=value`), which `command` does not take, or
 * undefined when there is none.
 */
export function unknownOptionHint(flag: string, command: Command): string | undefined {
  const name = flag.split("=")[0] ?? flag;
  const takes = (option: string): boolean => command.options.some((each) => each.long === option);

  if (name === "--dry-run" && takes("--check")) {
    return (
      "did you mean --check? It writes nothing and exits 1 when the output is out of date. " +
      "To see who gains or loses access, run `cake plan`"
    );
  }
  const group = SAME_MEANING.find((each) => each.names.includes(name));
  const meant = group?.names.filter(takes) ?? [];
  if (group === undefined || meant.length === 0) return undefined;
  const options = meant.join(" or ");
  const note = group.note === undefined ? "" : `, and ${group.note}`;
  return `did you mean ${options}? ${commandPath(command)} names ${group.subject} with ${options}${note}`;
}

/** Returns the words that run `command`, such as "cake user add". */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let each: Command | null = command; each !== null; each = each.parent) names.unshift(each.name());
  return names.join(" ");
}
