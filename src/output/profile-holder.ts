/**
 * Returns the user of the admin RoleBinding in the text of a generated profile file: the
 * private profile's holder. Undefined when the text has none (a deploy namespace, a disabled
 * user). It reads the annotations cake writes on that RoleBinding, without a YAML parser.
 */
export function adminInProfileText(text: string): string | undefined {
  for (const document of text.split(/^---$/m)) {
    if (!/^kind: RoleBinding$/m.test(document)) continue;
    const annotations = /^ {4}role: admin\n {4}user: (.+)$/m.exec(document);
    if (annotations?.[1] !== undefined) return yamlScalar(annotations[1]);
  }
  return undefined;
}

/** Reads a one-line YAML scalar as cake's serializer writes it: plain, or double-quoted JSON. */
function yamlScalar(text: string): string {
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return text;
    }
  }
  if (text.startsWith("'")) return text.slice(1, -1).replaceAll("''", "'");
  return text;
}
