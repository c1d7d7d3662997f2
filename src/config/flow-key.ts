/**
 * Finds a key of a flow mapping (`{email: a@example.com, username: a}`) in the text, for the
 * positions of the fast path's diagnostics (see `text-positions.ts`). It reads only the
 * mapping's own keys and skips quoted text, comments and nested collections. It returns
 * undefined for what it may read differently from the YAML parser (an explicit `?` key, a key
 * without a space after its colon, an empty value), so the caller asks the full load instead.
 */

/** The offsets of a key found in a flow mapping and of its value. */
export interface FlowKey {
  key: number;
  value: number;
}

/**
 * Returns where `key` and its value start in the flow mapping whose `{` is at `open`, reading
 * no further than `end`, or undefined.
 */
export function findFlowKey(text: string, open: number, end: number, key: string): FlowKey | undefined {
  let depth = 0;
  let expectKey = false;
  let index = open;
  while (index < end) {
    const char = text[index] as string;
    if (char === '"' || char === "'") {
      const closed = quoteEnd(text, index, end);
      if (closed === undefined) return undefined;
      if (depth === 1 && expectKey) {
        const found = matchKey(text, index, closed, end, key);
        if (found !== null) return found;
        expectKey = false;
      }
      index = closed;
      continue;
    }
    if (char === "#" && (index === 0 || /\s/.test(text[index - 1] as string))) {
      const lineEnd = text.indexOf("\n", index);
      index = lineEnd < 0 || lineEnd > end ? end : lineEnd;
      continue;
    }
    if (char === "{" || char === "[") {
      depth++;
      expectKey = depth === 1;
    } else if (char === "}" || char === "]") {
      depth--;
      if (depth <= 0) return undefined;
    } else if (char === ",") {
      expectKey = depth === 1;
    } else if (!/\s/.test(char) && depth === 1 && expectKey) {
      if (char === "?") return undefined;
      const plainEnd = index + key.length;
      if (text.startsWith(key, index)) {
        const found = matchKey(text, index, plainEnd, end, key);
        if (found !== null) return found;
      }
      expectKey = false;
    }
    index++;
  }
  return undefined;
}

/**
 * Checks the key that spans `start` to `keyEnd`. Returns its offsets when it is `key` with a
 * value after its colon, null when it is another key, and undefined for text left to the parser.
 */
function matchKey(
  text: string,
  start: number,
  keyEnd: number,
  end: number,
  key: string,
): FlowKey | undefined | null {
  const spelled = text.slice(start, keyEnd);
  if (spelled !== key && spelled !== `"${key}"` && spelled !== `'${key}'`) return null;
  let colon = keyEnd;
  while (text[colon] === " ") colon++;
  if (text[colon] !== ":") return null;
  // `email:x` is one plain scalar in a flow mapping, and `"email":x` is a JSON-like key:
  // leave both to the parser.
  const after = text[colon + 1];
  if (after !== " " && after !== "\n") return undefined;
  let value = colon + 1;
  for (;;) {
    while (value < end && /\s/.test(text[value] as string)) value++;
    if (text[value] !== "#") break;
    const lineEnd = text.indexOf("\n", value);
    if (lineEnd < 0 || lineEnd >= end) return undefined;
    value = lineEnd;
  }
  if (value >= end || text[value] === "," || text[value] === "}") return undefined;
  return { key: start, value };
}

/** Returns the offset after the quoted scalar that starts at `start`, or undefined when it does not close before `end`. */
function quoteEnd(text: string, start: number, end: number): number | undefined {
  const quote = text[start];
  for (let index = start + 1; index < end; index++) {
    const char = text[index];
    if (quote === '"' && char === "\\") {
      index++;
      continue;
    }
    if (char !== quote) continue;
    // Inside single quotes, '' is one quote.
    if (quote === "'" && text[index + 1] === "'") {
      index++;
      continue;
    }
    return index + 1;
  }
  return undefined;
}
