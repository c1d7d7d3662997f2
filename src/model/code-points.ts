/** Code points as people read them in messages, to tell characters that look alike apart. */

/** Returns the code point of `character` as `U+00E9`. */
export function codePointLabel(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Returns the code points of the characters of `text` outside ASCII, and of each ASCII letter
 * that a combining mark follows, as `U+0065 U+0301`: the letters a Unicode form can change.
 */
export function nonAsciiCodePoints(text: string): string {
  const characters = [...text];
  return characters
    .filter(
      (character, index) =>
        (character.codePointAt(0) ?? 0) > 0x7f || /^\p{M}$/u.test(characters[index + 1] ?? ""),
    )
    .map(codePointLabel)
    .join(" ");
}

/** Returns true when two different strings are the same text in another Unicode form (NFC). */
export function sameUnicodeText(a: string, b: string): boolean {
  return a !== b && a.normalize("NFC") === b.normalize("NFC");
}
