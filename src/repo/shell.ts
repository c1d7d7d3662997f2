/** Quoting of words that cake prints in commands to paste into a shell. */

/** Quotes `word` for a POSIX shell when it contains characters other than those of plain paths. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
