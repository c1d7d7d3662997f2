/** Quoting of words that cake prints in commands to paste into a shell. */

/** Quotes `word` for a POSIX shell when it contains characters other than those of plain paths. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Returns the layout options a command was given (`--repo`, `--vars-dir`, `--output-dir`) as
 * shell words with a leading space, or "". A command that cake suggests repeats them, so that
 * pasted where cake ran, it works on the same ops repo and folders.
 */
export function layoutFlags(options: { repo?: string; varsDir?: string; outputDir?: string }): string {
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
