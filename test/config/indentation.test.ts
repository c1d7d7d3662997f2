import { describe, expect, it } from "vitest";
import { findIndentationSlip } from "../../src/config/indentation.js";
import { loadVarsText } from "../../src/config/load.js";

// A vars file laid out as people write them, with a line number in each comment.
const LINES = [
  "environment: prod", // 1
  "region: us-east-1", // 2
  "kubeflow:", // 3
  "  profile_owner: platform@example.com", // 4
  "cloud:", // 5
  "  provider: aws", // 6
  "  aws:", // 7
  '    account_id: "123456789012"', // 8
  "    oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/ABC", // 9
  "    role_name_prefix: cake-prod-", // 10
  "gitops:", // 11
  "  repo_url: https://git.example.com/platform/ops.git", // 12
  "users:", // 13
  "  deploy_namespaces:", // 14
  "    - ml-staging", // 15
  "    - name: ml-prod", // 16
  "      resource_quota:", // 17
  '        requests.cpu: "64"', // 18
  "        requests.memory: 256Gi", // 19
  '        requests.nvidia.com/gpu: "8"', // 20
  "    - fraud-scoring", // 21
  "  users:", // 22
  "    # Platform team", // 23
  "    - email: alice@example.com", // 24
  "      username: alice", // 25
  "      roles: [cake-admin]", // 26
  "      allowed_namespaces:", // 27
  "        - ml-staging", // 28
  "        - name: ml-prod", // 29
  "          access: view", // 30
  "        - fraud-scoring", // 31
  "    - email: bob@example.com", // 32
  "      username: bob", // 33
  "      roles: [cake-user]", // 34
  "      allowed_namespaces: [ml-staging]", // 35
  "",
];

/** Returns the file with line `line` (1-based) indented by `indent` spaces, or with the indentation `prefix`. */
function slipped(line: number, indent: number | string): string {
  const lines = [...LINES];
  const prefix = typeof indent === "number" ? " ".repeat(indent) : indent;
  lines[line - 1] = `${prefix}${(lines[line - 1] as string).trimStart()}`;
  return lines.join("\n");
}

function loadBoth(text: string) {
  const options = { file: "vars/prod-us-east-1.yaml", outputPath: "deployments/prod-us-east-1" };
  return [loadVarsText(text, options), loadVarsText(text, { ...options, fast: true })];
}

describe("indentation slips", () => {
  it("unchanged file loads without diagnostics", () => {
    expect(loadBoth(LINES.join("\n")).map((result) => result.diagnostics)).toEqual([[], []]);
  });

  it.each([
    // A user entry.
    [
      "username 2 spaces less",
      25,
      4,
      25,
      "this line is indented 2 spaces less than the keys above it (line 24)",
    ],
    [
      "username 1 space more",
      25,
      7,
      25,
      "this line is indented 1 space more than the keys above it (line 24)",
    ],
    [
      "username at the users key",
      25,
      2,
      25,
      "this line is indented 4 spaces less than the keys below it (line 26)",
    ],
    [
      "roles 2 spaces less",
      26,
      4,
      26,
      "this line is indented 2 spaces less than the keys above it (line 25)",
    ],
    // A grant list.
    [
      "access 2 spaces less",
      30,
      8,
      30,
      "this line is indented 2 spaces less than the keys above it (line 29)",
    ],
    [
      "access 1 space more",
      30,
      11,
      30,
      "this line is indented 1 space more than the keys above it (line 29)",
    ],
    [
      "access 2 spaces more",
      30,
      12,
      30,
      "this line is indented 2 spaces more than the keys above it (line 29)",
    ],
    [
      "grant dash 2 spaces more",
      29,
      10,
      29,
      "this line is indented 2 spaces more than the list entries above it (line 28)",
    ],
    [
      "first grant dash 2 spaces less",
      28,
      6,
      28,
      "this line is indented 2 spaces less than the list entries below it (line 29)",
    ],
    // deploy_namespaces.
    [
      "first namespace 2 spaces less",
      15,
      2,
      15,
      "this line is indented 2 spaces less than the list entries below it (line 16)",
    ],
    [
      "first namespace 2 spaces more",
      15,
      6,
      15,
      "this line is indented 2 spaces more than the list entries below it (line 16)",
    ],
    [
      "resource_quota 2 spaces more",
      17,
      8,
      17,
      "this line is indented 2 spaces more than the keys above it (line 16)",
    ],
    [
      "first quota key 2 spaces more",
      18,
      10,
      18,
      "this line is indented 2 spaces more than the keys below it (line 19)",
    ],
    [
      "first quota key 2 spaces less",
      18,
      6,
      18,
      "this line is indented 2 spaces less than the keys below it (line 19)",
    ],
    // The settings.
    [
      "first key of the file 2 spaces more",
      1,
      2,
      1,
      "this line is indented 2 spaces more than the keys below it (line 2)",
    ],
    ["region 2 spaces more", 2, 2, 2, "this line is indented 2 spaces more than the keys above it (line 1)"],
    [
      "first aws key 2 spaces less",
      8,
      2,
      8,
      "this line is indented 2 spaces less than the keys below it (line 9)",
    ],
    [
      "first aws key 2 spaces more",
      8,
      6,
      8,
      "this line is indented 2 spaces more than the keys below it (line 9)",
    ],
    ["aws key 1 space less", 9, 3, 9, "this line is indented 1 space less than the keys above it (line 8)"],
    // A list entry's dash out of line with its siblings.
    [
      "user dash 1 space more",
      32,
      5,
      32,
      "this line is indented 1 space more than the list entries above it (line 24)",
    ],
    [
      "user dash 2 spaces less",
      32,
      2,
      32,
      "this line is indented 2 spaces less than the list entries above it (line 24)",
    ],
    [
      "user dash 2 spaces more",
      32,
      6,
      32,
      "this line is indented 2 spaces more than the list entries above it (line 24)",
    ],
  ])("%s names the line", (_case, line, indent, reported, reason) => {
    const text = slipped(line, indent);

    for (const result of loadBoth(text)) {
      // A syntax error is reported alone.
      expect(result.diagnostics).toHaveLength(1);
      expect(result.diagnostics[0]).toMatchObject({
        code: "yaml-syntax",
        line: reported,
        column: (text.split("\n")[reported - 1] as string).search(/\S/) + 1,
        message: `invalid YAML: ${reason}; indent it like them`,
      });
    }
  });

  it("two entries out of line name both", () => {
    // The grants of alice are ml-staging, its dash 2 spaces less, and ml-prod.
    const lines = LINES.filter((line) => !/access: view|^ {8}- fraud-scoring/.test(line));
    const text = lines.join("\n").replace("        - ml-staging", "      - ml-staging");

    for (const result of loadBoth(text)) {
      expect(result.diagnostics).toHaveLength(1);
      expect(result.diagnostics[0]).toMatchObject({ code: "yaml-syntax", line: 29, column: 9 });
      expect(result.diagnostics[0]?.message).toBe(
        "invalid YAML: this line starts in column 9 and line 28 above it in column 7, but they read as " +
          "entries of one list; indent them alike",
      );
    }
  });

  it("tab after spaces is a tab error", () => {
    const text = slipped(24, "    \t");

    for (const result of loadBoth(text)) {
      expect(result.diagnostics).toHaveLength(1);
      expect(result.diagnostics[0]).toMatchObject({
        code: "yaml-tab-indent",
        line: 24,
        column: 5,
        message: "a tab is used for indentation; indent with spaces",
      });
    }
  });

  it("tab at line start is a tab error", () => {
    const result = loadBoth(slipped(24, "\t"))[0];

    expect(result?.diagnostics).toHaveLength(1);
    expect(result?.diagnostics[0]).toMatchObject({ code: "yaml-tab-indent", line: 24, column: 1 });
  });

  it("block scalar lines are text", () => {
    const text = ["a: |", "  one", "    two", "b: 1", "  c: 2", ""].join("\n");

    expect(findIndentationSlip(text)).toMatchObject({ line: 5, column: 3 });
  });

  it("continued bracket list is skipped", () => {
    const text = ["a: [x,", "  y]", "b: 1", ""].join("\n");

    expect(findIndentationSlip(text)).toBeUndefined();
  });

  it("list in the column of its key lines up", () => {
    const text = ["a:", "- x", "- y", "b: 1", ""].join("\n");

    expect(findIndentationSlip(text)).toBeUndefined();
  });

  it("stops at a line without a key", () => {
    const text = ["a: 1", "b", "  c: 2", ""].join("\n");

    expect(findIndentationSlip(text)).toBeUndefined();
  });
});
