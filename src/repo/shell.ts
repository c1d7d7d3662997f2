/** Quoting of words that cake prints in commands to paste into a shell. */

/** The layout options of a command line: where the ops repo, its vars and its output are. */
export interface LayoutOptions {
  repo?: string;
  varsDir?: string;
  outputDir?: string;
}

/** Quotes `word` for a POSIX shell when it contains characters other than those of plain paths. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Returns the layout options a command was given (`--repo`, `--vars-dir`, `--output-dir`) as
 * shell words with a leading space, or "". A command that cake suggests repeats them, so that
 * pasted where cake ran, it works on the same ops repo and folders.
 */
export function layoutFlags(options: LayoutOptions): string {
  const flags: [string, string | undefined][] = [
    ["--repo", options.repo],
    ["--vars-dir", options.varsDir],
    ["--output-dir", options.outputDir],
  ];
  return flags
    .filter((flag): flag is [string, string] => flag[1] !== undefined)
    .map(([flag, value]) => ` ${flag} ${shellWord(value)}`)
    .join("");
}

/**
 * A command that a message suggests, in backticks or double quotes: the commands that take the
 * layout options, then the rest of the suggestion. `cake init` takes the repo folder as an
 * argument instead, and `cake schema` reads no repo, so neither is matched.
 */
const SUGGESTED_COMMAND = /([`"])cake ((?:user|namespace) [a-z]+|validate|reconcile|plan)\b([^`"\n]*)\1/g;

/**
 * Adds the layout options a command was given to each command that `message` suggests, so that
 * pasted where cake ran, it works on the same ops repo and folders. Library code writes its
 * suggestions without them because it does not see the command line. A suggestion that already
 * carries a layout option is left as it is.
 */
export function withLayoutFlags(message: string, options: LayoutOptions): string {
  const flags = layoutFlags(options);
  if (flags === "") return message;
  return message.replace(SUGGESTED_COMMAND, (whole, quote: string, command: string, rest: string) =>
    /(^|\s)--(repo|vars-dir|output-dir)[\s=]/.test(`${rest} `)
      ? whole
      : `${quote}cake ${command}${flags}${rest}${quote}`,
  );
}

/**
 * Returns the command that deletes orphaned output. Deleting an orphan removes its Profiles,
 * which reconcile allows only when `--allow-profile-deletion` names them.
 */
export function pruneCommand(names: readonly string[], flags = ""): string {
  return `cake reconcile${flags} --prune-orphans --allow-profile-deletion='${names.map((name) => `${name}/*`).join(",")}'`;
}
