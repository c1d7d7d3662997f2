/**
 * The line scanner of `src/edit/style-scan.ts` against the style counts of the `yaml` Document:
 * on every text both can read, the counts must be equal, or the scanner must decline.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { VarsDocument } from "../../src/edit/document.js";
import { scanFileStyle } from "../../src/edit/style-scan.js";
import { countFileStyle } from "../../src/edit/users.js";
import { pick, random } from "../helpers/random.js";

type Value = string | Value[] | { [key: string]: Value };

/** Renders values in a style chosen node by node, with comments and blank lines between them. */
class Renderer {
  readonly lines: string[] = [];
  constructor(private readonly next: () => number) {}

  private chance(p: number): boolean {
    return this.next() < p;
  }

  private scalar(value: string): string {
    if (this.chance(0.1)) return `"${value}"`;
    if (this.chance(0.05)) return `'${value}'`;
    return value;
  }

  private key(key: string): string {
    if (this.chance(0.05)) return `"${key}"`;
    if (this.chance(0.03)) return `'${key}'`;
    return this.chance(0.03) ? `${key} ` : key;
  }

  private comment(): string {
    return this.chance(0.1) ? " # note" : "";
  }

  private filler(indent: number): void {
    if (this.chance(0.08)) this.lines.push("");
    if (this.chance(0.08))
      this.lines.push(`${" ".repeat(Math.floor(this.next() * (indent + 4)))}# a comment`);
  }

  flow(value: Value): string {
    const pad = this.chance(0.3) ? " " : "";
    if (typeof value === "string") return this.scalar(value);
    if (Array.isArray(value)) {
      return value.length === 0 && this.chance(0.5)
        ? "[]"
        : `[${pad}${value.map((item) => this.flow(item)).join(", ")}${pad}]`;
    }
    const entries = Object.entries(value).map(([key, item]) => `${key}: ${this.flow(item)}`);
    return entries.length === 0 ? "{}" : `{${pad}${entries.join(", ")}${pad}}`;
  }

  /** Renders a mapping whose keys start at `indent`; `first` is the text before the first key. */
  map(value: Record<string, Value>, indent: number, first?: string): void {
    let prefix = first;
    for (const [key, item] of Object.entries(value)) {
      if (prefix === undefined) this.filler(indent);
      const lead = prefix ?? " ".repeat(indent);
      prefix = undefined;
      this.pair(lead, this.key(key), item, indent);
    }
  }

  private pair(lead: string, key: string, value: Value, indent: number): void {
    if (typeof value === "string") {
      this.lines.push(`${lead}${key}: ${this.scalar(value)}${this.comment()}`);
      return;
    }
    // A flow user list or entry makes the scanner decline, so most files have neither.
    const flowChance = key.includes("users") ? 0.02 : 0.35;
    const flow = Array.isArray(value)
      ? value.length === 0 || this.chance(flowChance)
      : Object.keys(value).length === 0 || this.chance(key.includes("users") ? 0.005 : 0.05);
    if (flow) {
      this.lines.push(`${lead}${key}: ${this.flow(value)}${this.comment()}`);
      return;
    }
    this.lines.push(`${lead}${key}:${this.comment()}`);
    if (this.chance(0.05)) this.lines.push(`${" ".repeat(indent + 2)}# before the value`);
    if (Array.isArray(value)) this.seq(value, indent + (this.chance(0.3) ? 0 : pick([1, 2, 4], this.next)));
    else this.map(value, indent + pick([1, 2, 2, 2, 3, 4], this.next));
  }

  private seq(items: Value[], indent: number): void {
    for (const item of items) {
      this.filler(indent);
      const dash = `${" ".repeat(indent)}-${" ".repeat(this.chance(0.1) ? 3 : 1)}`;
      if (typeof item === "string") this.lines.push(`${dash}${this.scalar(item)}${this.comment()}`);
      else if (Array.isArray(item) || this.chance("email" in item ? 0.01 : 0.2))
        this.lines.push(`${dash}${this.flow(item)}`);
      else this.map(item, dash.length, dash);
    }
  }
}

/** Returns a vars-like tree with users in mixed styles. */
function varsValue(next: () => number): Record<string, Value> {
  const namespaces = ["team-a", "team-b", "team-c", "ml-ops"];
  const users: Value[] = [];
  const count = Math.floor(next() * 10);
  for (let index = 0; index < count; index++) {
    const user: Record<string, Value> = { email: `user${index}@example.com`, username: `u${index}` };
    if (next() < 0.9)
      user.roles = next() < 0.1 ? [] : next() < 0.3 ? ["cake-admin", "cake-user"] : ["cake-user"];
    if (next() < 0.2) user.disabled = "true";
    if (next() < 0.8) {
      user.allowed_namespaces = namespaces
        .filter(() => next() < 0.4)
        .map((name) => (next() < 0.4 ? { name, access: "view" } : name));
    }
    users.push(user);
  }
  return {
    environment: "dev",
    region: "eu-west-1",
    kubeflow: { profile_owner: "kubeflow-platform@example.com", version: "1.9" },
    cloud: { provider: "aws", aws: { account_id: "123456789012", role_name_prefix: "kf-" } },
    gitops: { repo_url: "https://git.example.com/ops.git", labels: { team: "platform" } },
    users: { deploy_namespaces: namespaces.map((name) => (next() < 0.2 ? { name } : name)), users },
  };
}

/** Lines the scanner must decline or read right, spliced into generated files. */
const ODD_LINES = [
  "notes: |\n  a: b\n  - c",
  "notes: >-\n  folded\n  text",
  "notes: a plain scalar\n  that continues",
  "notes:\n  [a, b]",
  "notes:\n  value on the next line",
  "? complex\n: key",
  "list:\n- - nested",
  "list: [a, {b: c}, [d]]",
  "list: [ a, { b: c } ]",
  "empty:\nafter: 1",
  "url: http://example.com:8080/path # comment",
  "quoted: 'it''s' # comment",
  'dq: "a \\" b"',
  "weird key with spaces: value",
  "list: [it's, fine]",
  "list: [a, b] # trailing",
  "map: {a: [b, c], d: {}}",
  "map: { }",
];

function generated(seed: number): string {
  const next = random(seed);
  const renderer = new Renderer(next);
  renderer.map(varsValue(next), 0);
  const lines = renderer.lines;
  if (next() < 0.4) {
    const at = Math.floor(next() * lines.length);
    // Only at the root, so the odd lines stay valid YAML where the scanner is tested on them.
    if (!/^ /.test(lines[at] ?? "") && !/^-/.test(lines[at] ?? ""))
      lines.splice(at, 0, pick(ODD_LINES, next));
  }
  return `${lines.join("\n")}\n`;
}

/** Returns the Document's counts, or undefined when the text is not YAML the Document reads. */
function documentCounts(text: string): ReturnType<typeof countFileStyle> | undefined {
  try {
    return countFileStyle(new VarsDocument(text));
  } catch {
    return undefined;
  }
}

function yamlFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const file = path.join(folder, name);
    if (statSync(file).isDirectory()) return name === "node_modules" ? [] : yamlFiles(file);
    return /\.ya?ml$/.test(name) ? [file] : [];
  });
}

describe("scanFileStyle", () => {
  it("counts generated files of mixed styles as the yaml Document does, or declines", () => {
    let scanned = 0;
    let compared = 0;
    for (let seed = 1; seed <= 1500; seed++) {
      const text = generated(seed);
      const expected = documentCounts(text);
      if (expected === undefined) continue;
      compared++;
      const counts = scanFileStyle(text);
      if (counts === undefined) continue;
      scanned++;
      expect(counts, `seed ${seed}:\n${text}`).toEqual(expected);
    }
    // Most generated files are in the subset; the comparison must not pass by declining.
    expect(compared).toBeGreaterThan(1400);
    expect(scanned / compared).toBeGreaterThan(0.6);
  });

  it("counts every YAML file of the repository's fixtures and examples as the yaml Document does, or declines", () => {
    const root = path.resolve(import.meta.dirname, "../..");
    let scanned = 0;
    for (const file of [
      ...yamlFiles(path.join(root, "test/fixtures")),
      ...yamlFiles(path.join(root, "examples")),
    ]) {
      const text = readFileSync(file, "utf8");
      const expected = documentCounts(text);
      const counts = scanFileStyle(text);
      if (expected === undefined || counts === undefined) continue;
      scanned++;
      expect(counts, file).toEqual(expected);
    }
    expect(scanned).toBeGreaterThan(10);
  });

  it.each([
    ["a block scalar", "a: |\n  b: c\n"],
    ["a folded scalar", "a: >\n  b\n"],
    ["a plain scalar on two lines", "a: b\n  c\n"],
    ["a value on the line after its key", "a:\n  [b]\n"],
    ["an explicit key", "? a\n: b\n"],
    ["a nested sequence on one line", "a:\n  - - b\n"],
    ["a flow collection over two lines", "a: [b,\n  c]\n"],
    ["a quoted scalar over two lines", 'a: "b\n  c"\n'],
    ["an anchor", "a: &x b\n"],
    ["a tab", "a:\n\t- b\n"],
    ["CRLF line breaks", "a: b\r\nc: d\r\n"],
    ["a document marker", "---\na: b\n"],
    ["a flow user list", "users:\n  users: [{email: a@example.com, roles: [cake-user]}]\n"],
    ["a flow user entry", "users:\n  users:\n    - {email: a@example.com, roles: [cake-user]}\n"],
    ["a pair in a flow sequence", "a: [b: c]\n"],
  ])("declines %s", (_name, text) => {
    expect(scanFileStyle(text)).toBeUndefined();
  });

  it("counts the votes of user entries only", () => {
    const text = [
      "roles: [a]",
      "users:",
      "  users:",
      "    - email: a@example.com",
      "      roles: [cake-user]",
      "      allowed_namespaces:",
      "        - team-a",
      "        - {name: team-b, access: view}",
      "        - name: team-c",
      "          access: view",
      "    - email: b@example.com",
      "      roles:",
      "      - cake-user",
      "      allowed_namespaces: []",
      "  other:",
      "    - roles: [x]",
      "",
    ].join("\n");
    const counts = scanFileStyle(text);
    expect(counts).toEqual(documentCounts(text));
    expect(counts?.lists).toEqual({
      roles: { flow: 1, block: 1 },
      allowed_namespaces: { flow: 0, block: 1 },
    });
    expect(counts?.grantMaps).toEqual({ flow: 1, block: 1 });
  });
});
