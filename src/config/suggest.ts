/** "Did you mean" suggestions by edit distance. */

/**
 * Returns the edit distance between two strings, counting a swap of two neighbouring
 * characters as one edit (optimal string alignment), since `emial` for `email` is one typo.
 */
export function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let distance = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, (beforePrevious[j - 2] ?? 0) + 1);
      }
      current.push(distance);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Returns the candidate closest to `word`, or undefined when none is close enough to be a
 * plausible typo (at most a third of the word's length, and at least 1, edits away).
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * Returns the value of a fixed set that `word` most likely means: the nearest (see `nearest`),
 * else the one choice that contains `word` as whole words, as `cake-admin` contains `admin`.
 * Names the user chose, such as namespaces, get `nearest` alone, because a name that contains
 * another is often a different name.
 */
export function likelyChoice(word: string, choices: readonly string[]): string | undefined {
  const typo = nearest(word, choices);
  if (typo !== undefined) return typo;
  const containing = containingWholeWords(word, choices);
  return containing.length === 1 ? containing[0] : undefined;
}

/**
 * Returns the candidates whose words, split at `-` and `_`, contain the words of `word` in a row,
 * ignoring case: `dev` and `us-east-1` are both in `dev-us-east-1`, but `east-us` is not.
 */
export function containingWholeWords(word: string, candidates: readonly string[]): string[] {
  const searched = wordsOf(word);
  if (searched.length === 0) return [];
  return candidates.filter((candidate) => {
    const words = wordsOf(candidate);
    for (let start = 0; start + searched.length <= words.length; start++) {
      if (searched.every((part, offset) => words[start + offset] === part)) return true;
    }
    return false;
  });
}

function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[-_]/)
    .filter((each) => each !== "");
}

/**
 * Maximum number of names that a "did you mean" lists. More would repeat much of the list of
 * valid values that the message gives anyway.
 */
const MAX_SUGGESTIONS = 5;

/**
 * Returns ` Did you mean "X"?` for the candidate closest to `word` (see `nearest`), or "". Without
 * a typo, the candidates that contain `word` as whole words are listed, up to `MAX_SUGGESTIONS`:
 * ` Did you mean "dev-eu-west-1" or "dev-us-east-1"?`. Callers pass fixed values, or deployment
 * names, which users shorten (`dev` for `dev-us-east-1`).
 */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const typo = nearest(word, candidates);
  const meant = typo === undefined ? containingWholeWords(word, candidates) : [typo];
  if (meant.length === 0 || meant.length > MAX_SUGGESTIONS) return "";
  const quoted = meant.map((each) => `"${each}"`);
  const last = quoted.pop();
  return ` Did you mean ${quoted.length > 0 ? `${quoted.join(", ")} or ` : ""}${last}?`;
}
