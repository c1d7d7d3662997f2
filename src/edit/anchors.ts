/**
 * Guards edits against anchors that aliases elsewhere use. An edit that removes or rewrites the
 * value of `&name` would leave each `*name` outside the edit without its value, or give it the
 * new value: the first makes the file invalid YAML, the second changes other entries unseen.
 */
import { isAlias, type Node, visit } from "yaml";
import { resolveAlias, type VarsDocument } from "./document.js";
import { EditError } from "./errors.js";
import type { Splice } from "./text.js";

/**
 * Rejects `splices` when one of them removes or rewrites an anchored node that an alias outside
 * every splice refers to. The error names the anchor, the lines of its aliases and the fix.
 */
export function assertAnchorsKept(vars: VarsDocument, splices: readonly Splice[]): void {
  if (splices.length === 0 || !vars.text.includes("&")) return;
  const touches = (range: readonly number[] | null | undefined): boolean => {
    const [start = 0, end = 0] = range ?? [];
    return splices.some((splice) => splice.start < end && splice.end > start);
  };

  const touched = new Set<Node>();
  const aliasLines = new Map<Node, number[]>();
  visit(vars.document, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (touches(node.range)) return;
        const target = resolveAlias(node) as Node | undefined;
        if (target === undefined) return;
        const line = vars.lines.lineOf(node.range?.[0] ?? 0) + 1;
        aliasLines.set(target, [...(aliasLines.get(target) ?? []), line]);
      } else if (node.anchor && touches(node.range)) {
        touched.add(node);
      }
    },
  });

  for (const node of touched) {
    const lines = aliasLines.get(node);
    if (lines === undefined) continue;
    const name = node.anchor as string;
    const [start, end] = node.range ?? [0, 0];
    const removed = splices.some(
      (splice) => splice.start <= start && splice.end >= end && splice.text === "",
    );
    // The node's range leaves out its properties, so `&name` lies before it, maybe on the `-` line above.
    const anchorAt = vars.text.lastIndexOf(`&${name}`, start);
    const anchorLine = vars.lines.lineOf(anchorAt < 0 ? start : anchorAt) + 1;
    const at = lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(", ")}`;
    const uses = lines.length === 1 ? "the alias" : "the aliases";
    const change = removed
      ? `remove the anchor &${name} (line ${anchorLine})`
      : `rewrite the value of the anchor &${name} (line ${anchorLine})`;
    throw new EditError(
      "unsupported-layout",
      `this change would ${change}, which ${uses} *${name} at ${at} ${lines.length === 1 ? "uses" : "use"}; ` +
        `replace *${name} at ${at} with the value it stands for, then run the command again.`,
    );
  }
}
