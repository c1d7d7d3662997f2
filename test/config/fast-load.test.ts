/**
 * The fast load path must give exactly the result of the full load: the same model, the
 * same diagnostic codes and paths, or a fallback to the full load.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Document, isMap, isSeq, parseDocument, stringify } from "yaml";
import { fastParse, needsFullLoad } from "../../src/config/fast-load.js";
import { type LoadResult, loadVarsText } from "../../src/config/load.js";
import { loadFast } from "../../src/config/load-fast.js";
import { EDIT_PARSE_OPTIONS } from "../../src/edit/document.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const VARS_FILES = [
  ...readdirSync(path.join(ROOT, "test/fixtures/vars")).map((name) => `test/fixtures/vars/${name}`),
  ...readdirSync(path.join(ROOT, "examples/ops/vars")).map((name) => `examples/ops/vars/${name}`),
].filter((file) => file.endsWith(".yaml"));

function load(text: string, file: string, fast: boolean): LoadResult {
  return loadVarsText(text, { file, outputPath: "deployments/x", fast });
}

/** Codes and paths of the diagnostics, which both paths must agree on. */
function findings(result: LoadResult): string[] {
  return result.diagnostics
    .map((diagnostic) => `${diagnostic.severity} ${diagnostic.code} ${diagnostic.path}`)
    .sort();
}

/**
 * Returns the positions of the diagnostics the fast path located, from both loads. A diagnostic
 * the fast path could not locate has line 0, so it is left out of both lists.
 */
function locatedPositions(fast: LoadResult, full: LoadResult): [string[], string[]] {
  const key = (diagnostic: LoadResult["diagnostics"][number]) => `${diagnostic.code} ${diagnostic.path}`;
  const located = new Set(fast.diagnostics.filter((item) => item.line > 0).map(key));
  const positions = (result: LoadResult) =>
    result.diagnostics
      .filter((item) => located.has(key(item)))
      .map((item) => `${key(item)} ${item.line}:${item.column}`)
      .sort();
  return [positions(fast), positions(full)];
}

function expectSameResult(text: string, file: string): void {
  const full = load(text, file, false);
  const fast = load(text, file, true);

  expect(fast.deployment).toEqual(full.deployment);
  expect(findings(fast)).toEqual(findings(full));
  const [fastPositions, fullPositions] = locatedPositions(fast, full);
  expect(fastPositions).toEqual(fullPositions);
}

/** Returns arbitraries of vars data, valid or not, and of the string style to write it in. */
function generatedVars() {
  const scalar = fc.oneof(
    fc.constantFrom("alice@example.com", "Bob.Smith@example.com", "a+b@x.network", "speech", "", "0x1F"),
    fc.constantFrom("007", "1e3", "true", "null", "~", ".inf", "yes", "no", "On", "y", "12:30", "0o17"),
    fc.constantFrom("0b11", "+0x1F", "-0o17", "+.5", "-0", "-.5", "-.09", "9E990", "1e400"),
    fc.constantFrom("asmith", "Team_A", "ml-prod", "kubeflow", "a".repeat(70), "user@x", "é@ü.de"),
    fc.constantFrom("kim-y", "lee-on", "ann-no", "jos-n", "-y", "a:on", "x,yes"),
    fc.string({ maxLength: 12 }),
    fc.integer(),
    fc.boolean(),
  );
  const user = fc.record({
    email: scalar,
    username: scalar,
    roles: fc.array(fc.constantFrom("cake-user", "cake-admin", "admin"), { maxLength: 3 }),
    allowed_namespaces: fc.array(
      fc.oneof(fc.constantFrom("ml-prod", "ml-staging", "nope"), fc.record({ name: scalar, access: scalar })),
      { maxLength: 3 },
    ),
  });
  const vars = fc.record({
    environment: fc.constantFrom("prod", "Prod", "dev"),
    region: fc.constantFrom("us-east-1", "eu"),
    kubeflow: fc.record({ profile_owner: fc.constantFrom("kubeflow-platform@example.com", "owner") }),
    gitops: fc.record({ repo_url: fc.constantFrom("https://git.example.com/ops.git") }),
    // Either spelling of the deploy namespaces, or both, which is an error.
    users: fc.record(
      {
        deploy_namespaces: fc.array(fc.oneof(scalar, fc.record({ name: scalar })), { maxLength: 3 }),
        deployments: fc.array(fc.constantFrom("ml-prod", "ml-staging"), { maxLength: 2 }),
        users: fc.array(user, { maxLength: 4 }),
      },
      { requiredKeys: ["users"] },
    ),
  });
  const styles = fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE") as fc.Arbitrary<
    "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE"
  >;
  return { vars, styles };
}

/** The first user entry of examples/ops/vars/prod-us-east-1.yaml. */
const ALICE_ENTRY =
  "    - email: Alice.Smith@example.com      # exactly what the IdP sends\n      username: asmith\n      roles: [cake-admin]\n      allowed_namespaces: [ml-staging, ml-prod, fraud-scoring]\n";

describe("fast load", () => {
  it.each(VARS_FILES)("matches the full load on %s", (file) => {
    const text = readFileSync(path.join(ROOT, file), "utf8");
    const fast = load(text, file, true);

    expectSameResult(text, file);
    expect(fast.deployment).toBeDefined();
  });

  it.each([
    ["the older key", "deploy_namespaces:", "deployments:", "deprecated-key"],
    ["both keys", "deploy_namespaces:", "deployments: [ml-old]\n  deploy_namespaces:", "conflicting-keys"],
  ])("matches the full load on %s", (_name, from, to, code) => {
    const file = "examples/ops/vars/prod-us-east-1.yaml";
    const text = readFileSync(path.join(ROOT, file), "utf8").replace(from, to);
    const fast = load(text, file, true);

    expectSameResult(text, file);
    expect(findings(fast)).toContainEqual(expect.stringContaining(`${code} users.deployments`));
  });

  it("takes the fast path on plain files", () => {
    expect(fastParse("environment: prod\nregion: us-east-1\n", "x.yaml")).toBeDefined();
  });

  it.each([
    ["tab indentation", "users:\n\tusers: []\n"],
    ["YAML directive", "%YAML 1.1\n---\nenvironment: prod\n"],
    ["merge key", "a: &x {b: 1}\nc:\n  <<: *x\n"],
    ["alias", "a: &x [1]\nb: *x\n"],
    ["YAML 1.1 word", "environment: no\n"],
    ["YAML 1.1 word in a flow list", "roles: [on, cake-user]\n"],
    ["duplicate key", "environment: prod\nenvironment: dev\n"],
    ["a list at the root", "- a\n"],
    ["two documents", "a: 1\n---\nb: 2\n"],
    ["a flow list continued at column 0", "users:\n  roles: [team-a,\nteam-b]\n"],
    ["a flow map continued at its key's column", "users:\n  a: {b: 1,\n  c: 2}\n"],
    ["a CR without LF in a quoted value", 'k: "a\rb"\n'],
    ["CR line breaks alone", "a: 1\rb: 2\r"],
    ["a quoted bracket hiding a continuation", 'k: [a, "]",\nb, "[", c]\n'],
    ["a quoted # hiding an opener", "'a #': [b,\nc, 'd #']\n"],
    ["a flow collection as a key", "[a, b]: c\n"],
  ])("falls back on %s", (_name, text) => {
    expect(fastParse(text, "x.yaml")).toBeUndefined();
  });

  it("falls back when a rule finds an error", () => {
    const text = readFileSync(path.join(ROOT, "examples/ops/vars/prod-us-east-1.yaml"), "utf8").replace(
      "bob@example.com",
      "bob at example.com",
    );
    const fast = load(text, "vars/prod-us-east-1.yaml", true);

    expect(fast.deployment).toBeUndefined();
    expect(fast.diagnostics.find((diagnostic) => diagnostic.code === "invalid-email")?.line).toBeGreaterThan(
      0,
    );
  });

  it("warnings of the fast path have the full load's positions", () => {
    const file = "examples/ops/vars/prod-us-east-1.yaml";
    const text = readFileSync(path.join(ROOT, file), "utf8")
      .replace("kubeflow-platform@example.com", "Kubeflow-Platform@example.com")
      .concat('identity:\n  username_pattern: "[a-z]{2,5}"\n');
    const fast = load(text, file, true);
    const full = load(text, file, false);

    expect(fast.diagnostics.map((item) => item.code)).toEqual(
      expect.arrayContaining(["email-uppercase", "username-pattern"]),
    );
    expect(fast.diagnostics.every((item) => item.line > 0)).toBe(true);
    expect(fast.diagnostics).toEqual(full.diagnostics);
  });

  it("locates warnings that point at a key", () => {
    const file = "examples/ops/vars/prod-us-east-1.yaml";
    const text = readFileSync(path.join(ROOT, file), "utf8")
      .replace("gitops:\n", "  gcp:\n    project_id: left-over\ngitops:\n")
      .replace(
        "          - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n",
        "          - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n      gcp:\n        roles: [roles/viewer]\n",
      );
    const fast = load(text, file, true);
    const full = load(text, file, false);

    expect(
      fast.diagnostics.filter((item) => item.code === "unused-cloud-settings").map((item) => item.path),
    ).toEqual(["cloud.gcp", "users.deploy_namespaces[1].gcp"]);
    expect(fast.diagnostics.every((item) => item.line > 0)).toBe(true);
    expect(fast.diagnostics).toEqual(full.diagnostics);
  });

  it("locates warnings in a CRLF file", () => {
    const file = "examples/ops/vars/prod-us-east-1.yaml";
    const text = readFileSync(path.join(ROOT, file), "utf8")
      .replace(
        "          - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n",
        "          - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\n      gcp:\n        roles: [roles/viewer]\n",
      )
      .replace(/\n/g, "\r\n");
    const fast = load(text, file, true);
    const full = load(text, file, false);

    expect(fast.diagnostics.map((item) => item.code)).toEqual(
      expect.arrayContaining(["email-uppercase", "unused-cloud-settings"]),
    );
    expect(fast.diagnostics.every((item) => item.line > 0)).toBe(true);
    expect(fast.diagnostics).toEqual(full.diagnostics);
  });

  it.each([
    ["a quoted key", "    - email: Alice.Smith@", '    - "email": Alice.Smith@'],
    ["a single-quoted key", "    - email: Alice.Smith@", "    - 'email' : Alice.Smith@"],
    ["a value on the next line", "    - email: Alice.Smith@", "    - email:\n        Alice.Smith@"],
    [
      "a wide dash",
      "    - email: Alice.Smith@example.com      # exactly what the IdP sends\n      username: asmith\n      roles: [cake-admin]\n",
      "    -   email: Alice.Smith@example.com\n        username: asmith\n        roles: [cake-admin]\n  ",
    ],
    ["a dash on a line of its own", "    - email: Alice.Smith@", "    -\n      email: Alice.Smith@"],
    ["a quoted section key", "  profile_owner: kubeflow-platform@", '  "profile_owner": Kubeflow-Platform@'],
    [
      "a flow entry",
      ALICE_ENTRY,
      "    - {username: asmith, roles: [cake-admin], allowed_namespaces: [ml-staging, {name: ml-prod, access: view}], email: Alice.Smith@example.com}\n",
    ],
    [
      "a flow entry over several lines",
      ALICE_ENTRY,
      "    - {  # Alice, email: x\n        'email':\n          \"Alice.Smith@example.com\", username: asmith,\n        roles: [cake-admin], allowed_namespaces: [ml-staging]}\n",
    ],
  ])("locates warnings at %s", (_name, from, to) => {
    const file = "examples/ops/vars/prod-us-east-1.yaml";
    const original = readFileSync(path.join(ROOT, file), "utf8");
    expect(original).toContain(from);
    const text = original.replace(from, to);
    const fast = load(text, file, true);
    const full = load(text, file, false);

    expect(fast.deployment).toBeDefined();
    expect(fast.diagnostics.some((item) => item.code === "email-uppercase")).toBe(true);
    expect(fast.diagnostics.every((item) => item.line > 0)).toBe(true);
    expect(fast.diagnostics).toEqual(full.diagnostics);
  });

  it("does not take a key from a comment line", () => {
    const file = "examples/ops/vars/prod-us-east-1.yaml";
    const text = readFileSync(path.join(ROOT, file), "utf8").replace(
      "  profile_owner: kubeflow-platform@example.com",
      "  # profile_owner: old@example.com\n  profile_owner: Kubeflow-Platform@example.com",
    );
    const fast = load(text, file, true);
    const full = load(text, file, false);

    expect(fast.diagnostics.find((item) => item.path === "kubeflow.profile_owner")?.line).toBeGreaterThan(0);
    expect(fast.diagnostics).toEqual(full.diagnostics);
  });

  it("warnings in a flow list of users keep line 0", () => {
    const text = [
      "environment: prod",
      "region: us-east-1",
      "kubeflow:",
      "  profile_owner: owner@example.com",
      "gitops:",
      "  repo_url: https://git.example.com/ops.git",
      "users:",
      "  deploy_namespaces: [ml-prod]",
      "  users: [{email: Ann@example.com, username: ann, roles: [cake-user], allowed_namespaces: [ml-prod]}]",
      "",
    ].join("\n");

    const uppercase = load(text, "vars/prod-us-east-1.yaml", true).diagnostics[0];

    expect(uppercase?.code).toBe("email-uppercase");
    expect(uppercase?.line).toBe(0);

    const placed = loadVarsText(text, {
      file: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/x",
      fast: true,
      positioned: true,
    });
    expect(placed.diagnostics).toEqual(load(text, "vars/prod-us-east-1.yaml", false).diagnostics);
    expect(placed.diagnostics[0]?.line).toBe(9);
  });

  it("keeps the snapshot when the full load only places the warnings", () => {
    const file = "examples/ops/vars/prod-us-east-1.yaml";
    const text = readFileSync(path.join(ROOT, file), "utf8").replace(
      "    - email: Alice.Smith@example.com      # exactly what the IdP sends\n      username: asmith\n      roles: [cake-admin]\n      allowed_namespaces: [ml-staging, ml-prod, fraud-scoring]\n",
      // A JSON-like key (no space after its colon) is left to the full load for its position.
      '    - {"email":Alice.Smith@example.com, username: asmith, roles: [cake-admin], allowed_namespaces: [ml-staging, ml-prod, fraud-scoring]}\n',
    );
    const options = { file, outputPath: "deployments/x", fast: true, snapshot: true };
    expect(loadVarsText(text, options).diagnostics[0]?.line).toBe(0);

    const placed = loadVarsText(text, { ...options, positioned: true });

    expect(placed.diagnostics).toEqual(load(text, file, false).diagnostics);
    expect(placed.diagnostics.every((item) => item.line > 0)).toBe(true);
    expect(placed.snapshot).toBeDefined();
  });

  it.each(["0b11", "+0b101", "-0b1", "+0x1F", "-0o17", "+.5", "-0", "0x1F", "0o17", "1e3", ".5", "1_000"])(
    "reads quota %s as the full load does",
    (value) => {
      const text = [
        "environment: prod",
        "region: us-east-1",
        "kubeflow:",
        "  profile_owner: kubeflow-platform@example.com",
        "gitops:",
        "  repo_url: https://git.example.com/ops.git",
        "users:",
        "  deploy_namespaces:",
        "    - name: ml-prod",
        "      resource_quota:",
        `        pods: ${value}`,
        `        requests.cpu: ${value}`,
        "  users: []",
        "",
      ].join("\n");

      expectSameResult(text, "vars/prod-us-east-1.yaml");
    },
  );

  it("agrees with the full load on generated files", () => {
    const { vars, styles } = generatedVars();
    fc.assert(
      fc.property(vars, styles, fc.boolean(), (data, defaultStringType, flow) => {
        const text = stringify(data, {
          defaultStringType,
          defaultKeyType: "PLAIN",
          collectionStyle: flow ? "flow" : "any",
          // Repeated values stay values: an alias would send every such file to the full load.
          aliasDuplicateObjects: false,
        });
        expectSameResult(text, "vars/prod-us-east-1.yaml");
      }),
      { numRuns: 400 },
    );
  });

  it("places flow entry warnings", () => {
    // Valid users whose emails draw warnings (upper case, not NFC), with keys in any order.
    const emailTemplate = fc.constantFrom(
      "alice#@example.com",
      "Bob.Smith#@example.com",
      "e\u0301va#@example.com",
    );
    const user = fc.record({
      template: emailTemplate,
      roles: fc.constantFrom(["cake-user"], ["cake-admin", "cake-user"]),
      allowed_namespaces: fc.constantFrom([], ["ml-prod"], [{ name: "ml-prod", access: "view" }]),
      order: fc.shuffledSubarray(["email", "username", "roles", "allowed_namespaces"], { minLength: 4 }),
    });
    const users = fc.array(user, { minLength: 1, maxLength: 4 }).map((drawn) =>
      drawn.map(({ template, roles, allowed_namespaces, order }, index) => {
        const fields: Record<string, unknown> = {
          email: template.replace("#", String(index)),
          username: `user${index}`,
          roles,
          allowed_namespaces,
        };
        return Object.fromEntries(order.map((key) => [key, fields[key]]));
      }),
    );
    const styles = fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE") as fc.Arbitrary<
      "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE"
    >;
    const file = "vars/prod-us-east-1.yaml";
    let placed = 0;

    fc.assert(
      fc.property(
        users,
        styles,
        fc.boolean(),
        fc.integer({ min: 20, max: 120 }),
        (entries, style, padding, width) => {
          const data = {
            environment: "prod",
            region: "us-east-1",
            kubeflow: { profile_owner: "kubeflow-platform@example.com" },
            gitops: { repo_url: "https://git.example.com/ops.git" },
            users: { deploy_namespaces: ["ml-prod"], users: entries },
          };
          // Block style, with every user entry written as a flow mapping, wrapped at `width`.
          const document = new Document(data, { aliasDuplicateObjects: false });
          const sequence = document.getIn(["users", "users"]);
          if (isSeq(sequence)) {
            for (const item of sequence.items) if (isMap(item)) item.flow = true;
          }
          const text = document.toString({
            defaultStringType: style,
            defaultKeyType: "PLAIN",
            flowCollectionPadding: padding,
            lineWidth: width,
          });
          expectSameResult(text, file);
          const fast = loadFast(text, { file, outputPath: "deployments/x" });
          placed += (fast?.diagnostics ?? []).filter((item) => item.line > 0).length;
        },
      ),
      { numRuns: 400 },
    );
    // The fast path placed warnings of flow entries, so the comparison above is not vacuous.
    expect(placed).toBeGreaterThan(400);
  });
});

describe("flow collections over several lines", () => {
  /** Texts with a flow collection whose second line is indented by `indent` spaces. */
  const shapes: ((indent: string) => string)[] = [
    (indent) => `users:\n  users:\n    - email: a\n      roles: [a,\n${indent}b]\n`,
    (indent) => `users:\n  users:\n    - roles: [a,\n${indent}b]\n      email: a\n`,
    (indent) => `users:\n  deploy_namespaces: [a,\n${indent}b]\n`,
    (indent) => `users:\n  users:\n    - {email: a,\n${indent}username: b}\n`,
    (indent) => `a:\n  - [x,\n${indent}y]\n`,
    (indent) => `a: [x,\n${indent}y]\n`,
    (indent) => `a:\n  b: [x, {c: 1,\n${indent}d: 2}]\n`,
    (indent) => `a:\n  b: [x,\n${indent}# a comment\n${indent}y]\n`,
    (indent) => `a:\n  b:\n${indent}[\n${indent}  x,\n${indent}]\n`,
    (indent) => `a:\n  b: [x,\n\n${indent}y]\n`,
  ];

  it("takes the fast path only where the parser agrees", () => {
    let fast = 0;
    for (const shape of shapes) {
      for (let width = 0; width <= 10; width++) {
        const text = shape(" ".repeat(width));
        if (needsFullLoad(text)) continue;
        fast++;
        expect(parseDocument(text, EDIT_PARSE_OPTIONS).errors, text).toEqual([]);
      }
    }
    // Well-indented continuations stay fast, so the check above is not vacuous.
    expect(fast).toBeGreaterThan(25);
  });

  it.each([
    [
      "a number js-yaml reads as a string",
      (text: string) => text.replace("target_revision: main", "target_revision: -.5"),
    ],
    [
      "an exponent js-yaml keeps as a string",
      (text: string) => text.replace("target_revision: main", "target_revision: 9E990"),
    ],
    [
      "a null label key",
      (text: string) => text.replace(/^kubeflow:\n/m, "kubeflow:\n  namespace_labels: {null: enabled}\n"),
    ],
    [
      "a ~ label key",
      (text: string) => text.replace(/^kubeflow:\n/m, "kubeflow:\n  namespace_labels:\n    ~: enabled\n"),
    ],
    [
      "a number label key",
      (text: string) => text.replace(/^kubeflow:\n/m, "kubeflow:\n  namespace_labels:\n    010: x\n"),
    ],
    [
      "a boolean flow key",
      (text: string) => text.replace(/^kubeflow:\n/m, "kubeflow:\n  namespace_labels: {a: b, TRUE: y}\n"),
    ],
    [
      "an explicit key",
      (text: string) =>
        text.replace(/^kubeflow:\n/m, "kubeflow:\n  namespace_labels:\n    ? team\n    : a\n"),
    ],
  ])("sends %s to the full load", (_name, change) => {
    const base = readFileSync(path.join(ROOT, VARS_FILES[0] as string), "utf8").replace(
      /^gitops:\n/m,
      "gitops:\n  target_revision: main\n",
    );
    const text = change(base);

    expect(text).not.toBe(base);
    expect(needsFullLoad(text)).toBe(true);
    expectSameResult(text, VARS_FILES[0] as string);
  });

  it("keeps names ending in boolean words fast", () => {
    for (const name of ["kim-y", "lee-on", "ann-no", "bo-off", "a-yes", "jos-n"]) {
      expect(needsFullLoad(`users:\n  users:\n    - username: ${name}\n`), name).toBe(false);
    }
    expect(needsFullLoad("users:\n  users:\n    - username: on\n")).toBe(true);
    expect(needsFullLoad("roles: [cake-user, yes]\n")).toBe(true);
    expect(needsFullLoad('a: {"b":no}\n')).toBe(true);
  });

  it("keeps a wrapped list on the fast path", () => {
    const wrapped = "users:\n  users:\n    - email: a\n      allowed_namespaces: [team-a,\n        team-b]\n";
    // The opener's owner is on the line before, which this check does not read.
    const ownLine =
      "users:\n  users:\n    - email: a\n      allowed_namespaces:\n        [\n          team-a,\n        ]\n";

    expect(needsFullLoad(wrapped)).toBe(false);
    expect(needsFullLoad("a:\n  roles: [\"cake-user]\", 'it''s [',\n    x]\n")).toBe(false);
    expect(needsFullLoad(ownLine)).toBe(true);
    expect(needsFullLoad("a:\n  b: [x,\nc]\n")).toBe(true);
  });
});
