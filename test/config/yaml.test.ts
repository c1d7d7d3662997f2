import { describe, expect, it } from "vitest";
import { loadVarsText } from "../../src/config/load.js";
import { MAX_ALIASES } from "../../src/config/yaml-phase.js";
import { codes, load, positionOf, single, usersYaml, userYaml, varsYaml, withCode } from "./helpers.js";

describe("YAML phase", () => {
  it("duplicate key names both lines", () => {
    const text = varsYaml({
      users: [
        "users:",
        "  deploy_namespaces: [team-a]",
        "  users:",
        "    - email: alice@example.com",
        "      username: alice",
        "      roles: [cake-user]",
        "      allowed_namespaces: [team-a]",
        "      roles: [cake-admin]",
        "",
      ].join("\n"),
    });
    const result = load(text);

    const diagnostic = single(result, "yaml-duplicate-key");
    const first = positionOf(text, "roles:");
    const second = positionOf(text, "roles:", 2);
    expect(diagnostic).toMatchObject({ severity: "error", path: "users.users[0].roles", ...second });
    expect(diagnostic.message).toContain(`line ${second.line}`);
    expect(diagnostic.message).toContain(`line ${first.line}`);
    expect(result.deployment).toBeUndefined();
  });

  it("duplicate top-level key is an error", () => {
    const text = `${varsYaml()}region: us-west-2\n`;

    const diagnostic = single(load(text), "yaml-duplicate-key");

    expect(diagnostic).toMatchObject({ path: "region", ...positionOf(text, "region:", 2) });
  });

  it("duplicate region gives no file name error", () => {
    const text = `${varsYaml()}region: us-west-2\n`;

    expect(codes(load(text))).toEqual(["yaml-duplicate-key"]);
  });

  it("duplicate deploy_namespaces hides grant errors", () => {
    const text = varsYaml({
      users: [
        "users:",
        "  deploy_namespaces: [team-a]",
        "  users:",
        "    - email: alice@example.com",
        "      username: alice",
        "      roles: [cake-user]",
        "      allowed_namespaces: [team-a]",
        "  deploy_namespaces: [team-b]",
        "",
      ].join("\n"),
    });

    const result = load(text);

    expect(codes(result)).toEqual(["yaml-duplicate-key"]);
    expect(result.diagnostics[0]).toMatchObject({ path: "users.deploy_namespaces" });
  });

  it("duplicate users section hides grant errors", () => {
    const text = [
      varsYaml(),
      "users:",
      "  deploy_namespaces: [team-b]",
      "  users:",
      "    - {email: bob@example.com, username: bob, roles: [cake-user], allowed_namespaces: [team-a]}",
      "",
    ].join("\n");

    expect(codes(load(text))).toEqual(["yaml-duplicate-key"]);
  });

  // Each case doubles a setting; with the last copy alone, the named code would be reported.
  const doubledSettings: { name: string; code: string; parts: Parameters<typeof varsYaml>[0] }[] = [
    {
      name: "userid_prefix",
      code: "email-has-userid-prefix",
      parts: {
        kubeflow:
          'kubeflow:\n  profile_owner: platform@example.com\n  userid_prefix: ""\n  userid_prefix: "alice"\n',
      },
    },
    {
      name: "userid_prefix, other order",
      code: "email-idp-prefix",
      parts: {
        kubeflow:
          'kubeflow:\n  profile_owner: platform@example.com\n  userid_prefix: "okta:"\n  userid_prefix: ""\n',
        users: usersYaml("  deploy_namespaces: []\n", [
          userYaml({ email: "okta:alice@example.com", username: "alice", roles: "[cake-user]" }),
        ]),
      },
    },
    {
      name: "profile_owner",
      code: "profile-owner-user",
      parts: {
        kubeflow: "kubeflow:\n  profile_owner: platform@example.com\n  profile_owner: alice@example.com\n",
      },
    },
    {
      name: "lowercase_emails",
      code: "email-uppercase-lowercased-idp",
      parts: {
        identity: "identity:\n  lowercase_emails: false\n  lowercase_emails: true\n",
        users: usersYaml("  deploy_namespaces: []\n", [
          userYaml({ email: "Alice@example.com", username: "alice", roles: "[cake-user]" }),
        ]),
      },
    },
    {
      name: "username_pattern",
      code: "username-pattern",
      parts: { identity: 'identity:\n  username_pattern: "[a-z]+"\n  username_pattern: "x+"\n' },
    },
    {
      name: "argocd_namespace",
      code: "reserved-namespace",
      parts: {
        gitops:
          "gitops:\n  repo_url: https://git.example.com/platform/ops.git\n" +
          "  argocd_namespace: gitops\n  argocd_namespace: alice\n",
      },
    },
    {
      name: "provider",
      code: "unused-cloud-settings",
      parts: {
        cloud: "cloud:\n  provider: gcp\n  provider: none\n  gcp:\n    project_id: cake-prod-123456\n",
      },
    },
    {
      name: "deploy_namespaces",
      code: "username-is-namespace",
      parts: {
        users: usersYaml("  deploy_namespaces: []\n  deploy_namespaces: [alice]\n", [
          userYaml({ email: "alice@example.com", username: "alice", roles: "[cake-user]" }),
        ]),
      },
    },
  ];
  for (const { name, code, parts } of doubledSettings) {
    it(`duplicate ${name} hides ${code}`, () => {
      const text = varsYaml(parts);
      const fast = loadVarsText(text, {
        file: "vars/prod-us-east-1.yaml",
        outputPath: "deployments/prod-us-east-1",
        fast: true,
      });

      expect(codes(load(text))).toEqual(["yaml-duplicate-key"]);
      expect(codes(fast)).toEqual(["yaml-duplicate-key"]);
      // Without the first copy, the code is reported, so the case tests what it names.
      const firstLine = positionOf(text, `${name.split(",")[0]}:`).line;
      const kept = text
        .split("\n")
        .filter((_line, index) => index !== firstLine - 1)
        .join("\n");
      expect(codes(load(kept))).toContain(code);
    });
  }

  it("duplicate grant list keeps grant errors", () => {
    const text = varsYaml({
      users: [
        "users:",
        "  deploy_namespaces: [team-a]",
        "  users:",
        "    - email: alice@example.com",
        "      username: alice",
        "      roles: [cake-user]",
        "      allowed_namespaces: [team-a]",
        "      allowed_namespaces: [team-c]",
        "",
      ].join("\n"),
    });

    expect(codes(load(text)).sort()).toEqual(["unknown-namespace", "yaml-duplicate-key"]);
  });

  it("tab indentation is an error", () => {
    const text = varsYaml({ gitops: "gitops:\n\trepo_url: https://git.example.com/ops.git\n" });

    const diagnostic = withCode(load(text), "yaml-tab-indent")[0];

    expect(diagnostic).toMatchObject({ severity: "error", line: positionOf(text, "\trepo_url").line });
  });

  it("tab indentation hides follow-on errors", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n\tprofile_owner: platform@example.com\n" });

    const result = load(text);

    expect(codes(result)).toEqual(["yaml-tab-indent"]);
    expect(result.diagnostics[0]).toMatchObject(positionOf(text, "\tprofile_owner"));
  });

  it("one tab inside a list hides syntax cascades", () => {
    const users = [
      "users:",
      "  deploy_namespaces: [team-a]",
      "  users:",
      "    - email: alice@example.com",
      "\t\tusername: alice",
      "      roles: [cake-user]",
      "      allowed_namespaces: [team-a]",
      "",
    ].join("\n");
    const text = varsYaml({ users });

    const result = load(text);

    expect(codes(result)).toEqual(["yaml-tab-indent"]);
  });

  it("tab in a user entry hides key errors", () => {
    const users = [
      "users:",
      "  deploy_namespaces: [team-a]",
      "  users:",
      "    - email: alice@example.com",
      "\t  username: alice",
      "      roles: [cake-user]",
      "      allowed_namespaces: [team-a]",
      "    - email: bob@example.com",
      "      username: bob",
      "      roles: [cake-user]",
      "      allowed_namespaces: [team-a]",
      "",
    ].join("\n");
    const text = varsYaml({ users });

    const result = load(text);

    expect(codes(result)).toEqual(["yaml-tab-indent"]);
    expect(result.diagnostics[0]).toMatchObject(positionOf(text, "\t  username"));
  });

  const THREE_USERS = usersYaml("  deploy_namespaces:\n    - team-a\n    - team-b\n", [
    userYaml({
      email: "alice@example.com",
      username: "alice",
      roles: "[cake-user]",
      allowed_namespaces: "[team-a]",
    }),
    userYaml({
      email: "bob@example.com",
      username: "bob",
      roles: "[cake-user]",
      allowed_namespaces: "[team-b]",
    }),
    userYaml({
      email: "carol@example.com",
      username: "carol",
      roles: "[cake-user]",
      allowed_namespaces: "[]",
    }),
  ]);

  it.each([
    // The parser reads `users:` as a second top-level key, and a duplicate-key check of that tree
    // would report "users" as duplicated.
    ["a block key indented too little", "  deploy_namespaces:", "deploy_namespaces:"],
    // The entries after the slip read as one key that spans the rest of the file.
    ["a list entry indented too far", "    - email: alice", "      - email: alice"],
    ["a list entry without a space after -", "    - email: bob", "    -email: bob"],
  ])("syntax error hides key checks: %s", (_case, line, typo) => {
    const text = varsYaml({ users: THREE_USERS.replace(line, typo) });

    for (const fast of [false, true]) {
      const result = loadVarsText(text, {
        file: "vars/prod-us-east-1.yaml",
        outputPath: "deployments/x",
        fast,
      });

      expect(codes(result)).toEqual(["yaml-syntax"]);
    }
  });

  it("dash without a space names the dash", () => {
    const text = varsYaml({ users: THREE_USERS.replace("    - email: bob", "    -email: bob") });

    const diagnostic = single(load(text), "yaml-syntax");

    expect(diagnostic).toMatchObject(positionOf(text, "-email: bob"));
    expect(diagnostic.message).toBe(
      'invalid YAML: this line starts with "-" and no space, so it reads as a key or a value instead of a list entry; write a space after the "-"',
    );
  });

  it("dash without a space on a first entry", () => {
    const text = varsYaml({ users: THREE_USERS.replace("    - email: alice", "    -email: alice") });

    const diagnostic = single(load(text), "yaml-syntax");

    // The parser reports the value of that line; the caret goes under the dash.
    expect(diagnostic).toMatchObject(positionOf(text, "-email: alice"));
    expect(diagnostic.message).toBe(
      'invalid YAML: this line starts with "-" and no space, so it reads as a key or a value instead of a list entry; write a space after the "-"',
    );
  });

  it("dash without a space before an entry", () => {
    const text = varsYaml({
      users: THREE_USERS.replace("    - team-a\n    - team-b\n", "    -team-a\n    - name: team-b\n"),
    });

    const diagnostic = single(load(text), "yaml-syntax");

    expect(diagnostic).toMatchObject(positionOf(text, "-team-a"));
    expect(diagnostic.message).toContain('this line starts with "-" and no space');
  });

  it.each([false, true])("syntax error hides tag checks (fast %s)", (fast) => {
    // The slip makes the next line part of the tagged value, and the parser's recovery leaves
    // the tag on a key.
    const namespaces = [
      "  deploy_namespaces:",
      "    - name: team-a",
      "      resource_quota:",
      "        requests.cpu: !!int 64",
      "          requests.memory: 256Gi",
      "",
    ].join("\n");
    const text = varsYaml({ users: usersYaml(namespaces, []) });

    const result = loadVarsText(text, {
      file: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/x",
      fast,
    });

    expect(codes(result)).toEqual(["yaml-syntax"]);
  });

  it("syntax error keeps a %YAML 1.1 error", () => {
    const text = `%YAML 1.1\n---\n${varsYaml({ users: THREE_USERS.replace("    - email: bob", "    -email: bob") })}`;

    expect(codes(load(text))).toEqual(["yaml-version", "yaml-syntax"]);
  });

  it("a file indented with tabs gets one error", () => {
    const text = varsYaml({
      kubeflow: "kubeflow:\n\tprofile_owner: platform@example.com\n",
      gitops: "gitops:\n\trepo_url: https://git.example.com/ops.git\n\tapp_name: access\n",
    });

    const tabs = withCode(load(text), "yaml-tab-indent");

    expect(tabs).toHaveLength(1);
    expect(tabs[0]).toMatchObject(positionOf(text, "\tprofile_owner"));
    expect(tabs[0]?.message).toBe(
      "a tab is used for indentation here and on 2 more lines; indent with spaces",
    );
  });

  it("names a !!binary value", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        userYaml({ email: "alice@example.com", username: "!!binary YWJj", roles: "[cake-user]" }),
      ]),
    });

    expect(single(load(text), "wrong-type").message).toBe(
      "must be a string (got binary data (a !!binary tag; remove the tag))",
    );
  });

  it("names a second document", () => {
    const text = `${varsYaml()}---\nregion: eu-west-1\n`;

    const diagnostic = withCode(load(text), "yaml-syntax")[0];

    expect(diagnostic?.message).toContain("more than one YAML document (a --- line starts another)");
    expect(diagnostic?.message).not.toContain("parseAllDocuments");
  });

  it("points at a misindented key", () => {
    const text = [
      "environment: prod",
      "users:",
      "  users:",
      "    - email: carol@example.com",
      "      allowed_namespaces:",
      "        - name: ml-staging",
      "        access: view",
      "",
    ].join("\n");

    const diagnostic = withCode(load(text), "yaml-syntax")[0];

    expect(diagnostic).toMatchObject({ line: 7, column: 9 });
  });

  it("reports a key indented less than its entry once per line", () => {
    const text = [
      "environment: prod",
      "users:",
      "  users:",
      "    - email: carol@example.com",
      "     username: carol",
      "",
    ].join("\n");

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax.filter((diagnostic) => diagnostic.line === 5)).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ line: 5, column: 6 });
    expect(syntax[0]?.message).toBe(
      "invalid YAML: this line is indented 1 space less than the keys above it (line 4); indent it like them",
    );
  });

  it("names a key without a value", () => {
    const text = ["environment: prod", "region", "users:", "  users: []", ""].join("\n");

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]?.message).toContain("this line reads as a key without a value");
  });

  it("names a value with a colon", () => {
    const text = ["environment: prod", "region: us: east", "users:", "  users: []", ""].join("\n");

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]?.message).toBe(
      'invalid YAML: this value contains ": " and reads as a second key on the line; quote the value',
    );
  });

  it.each([
    ["a key out of its column", ["      disabled: true"]],
    ["a slip before an entry", ["    - email: dan@example.com", "      username: dan"]],
  ])("reports one error for %s", (_, tail) => {
    const text = [
      "environment: prod",
      "users:",
      "  users:",
      "    - email: carol@example.com",
      "    username: carol",
      "      roles: [cake-user]",
      ...tail,
      "",
    ].join("\n");

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ line: 5, column: 5 });
    expect(syntax[0]?.message).toBe(
      "invalid YAML: this line is indented 2 spaces less than the keys above it (line 4); indent it like them",
    );
  });

  it("names text after a closed list", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a] extra\n", []),
    });

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject(positionOf(text, "extra"));
    expect(syntax[0]?.message).toContain("this text follows a value that ended before it");
    expect(syntax[0]?.message).not.toContain("node end");
  });

  it("points at an alias without anchor", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: *teams\n", []),
    });

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject(positionOf(text, "*teams"));
    expect(syntax[0]?.message).toBe(
      "the alias *teams refers to no anchor &teams before it; define the anchor before the alias, or write the value out",
    );
  });

  it("points at the opening quote of an unclosed value", () => {
    const text = varsYaml({
      kubeflow: 'kubeflow:\n  profile_owner: platform@example.com\n  userid_prefix: "accounts.google.com:\n',
    });

    const diagnostic = withCode(load(text), "yaml-syntax")[0];

    expect(diagnostic).toMatchObject(positionOf(text, '"accounts'));
    expect(diagnostic?.message).toContain("this quoted value is not closed; add the closing quote");
  });

  it("points at the bracket of an unclosed list", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a, team-b\n", []),
    });

    const diagnostic = withCode(load(text), "yaml-syntax")[0];

    expect(diagnostic).toMatchObject(positionOf(text, "[team-a"));
    expect(diagnostic?.message).toContain("this list in brackets is not closed");
    expect(diagnostic?.message).not.toContain("check the indentation");
  });

  it("points at the brace of an unclosed mapping", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        userYaml({
          email: "alice@example.com",
          username: "alice",
          roles: "[cake-user]",
          allowed_namespaces: "{name: team-a",
        }),
      ]),
    });

    const diagnostic = withCode(load(text), "yaml-syntax")[0];

    expect(diagnostic).toMatchObject(positionOf(text, "{name"));
    expect(diagnostic?.message).toContain("this mapping in braces is not closed");
  });

  it.each([
    ["a mapping in a list", "[{name: team-a]", "{name", "this mapping in braces is not closed"],
    ["a quote in a list", '[team-a, "team-b]', '"team-b', "this quoted value is not closed"],
  ])("reports one unclosed error for %s", (_, value, opener, message) => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        userYaml({
          email: "alice@example.com",
          username: "alice",
          roles: "[cake-user]",
          allowed_namespaces: value,
        }),
        userYaml({ email: "bob@example.com", username: "bob", roles: "[cake-user]" }),
      ]),
    });

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject(positionOf(text, opener));
    expect(syntax[0]?.message).toContain(message);
  });

  it("reports one error for a token out of place", () => {
    const text = varsYaml({
      kubeflow: "kubeflow:\n  profile_owner: platform@example.com\n  userid_prefix: ]\n",
    });

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject(positionOf(text, "]"));
    expect(syntax[0]?.message).toContain('"]" cannot stand here');
    expect(syntax[0]?.message).not.toContain("token");
  });

  it("names brackets nested too deep", () => {
    const diagnostic = withCode(load(`${"[".repeat(5000)}\n`), "yaml-syntax")[0];

    expect(diagnostic?.message).toContain("nested too deep");
    expect(diagnostic?.message).not.toContain("call stack");
  });

  it.each([false, true])("names bytes that are not UTF-8 (fast %s)", (fast) => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "ren\u00e9@example.com", username: "rene", roles: "[cake-user]" }),
      ]),
    });
    const latin1 = Buffer.from(text, "latin1").toString("utf8");

    const result = loadVarsText(latin1, {
      file: "vars/dev-us-east-1.yaml",
      outputPath: "deployments/x",
      fast,
    });

    expect(codes(result)).toEqual(["yaml-syntax"]);
    expect(result.diagnostics[0]?.message).toContain("not UTF-8");
    expect(result.diagnostics[0]).toMatchObject(positionOf(latin1, "\uFFFD"));
    expect(result.deployment).toBeUndefined();
  });

  it("names a UTF-16 file", () => {
    const utf16 = Buffer.from(`\ufeff${varsYaml()}`, "utf16le").toString("utf8");

    const result = load(utf16);

    expect(codes(result)).toEqual(["yaml-syntax"]);
    expect(result.diagnostics[0]?.message).toContain("not UTF-8 text (it may be UTF-16, or binary)");
  });

  it("tab in a sequence is reported", () => {
    const text = varsYaml({ users: "users:\n  deploy_namespaces:\n    - team-a\n\t- team-b\n" });

    expect(codes(load(text))).toContain("yaml-tab-indent");
  });

  it("tab inside a quoted value is allowed", () => {
    const text = varsYaml({
      gitops: 'gitops:\n  repo_url: "https://git.example.com/ops.git"\n  app_name: "x\\ty"\n',
    });

    expect(codes(load(text))).not.toContain("yaml-tab-indent");
  });

  it("%YAML 1.1 directive is an error", () => {
    const text = `%YAML 1.1\n---\n${varsYaml()}`;

    const diagnostic = single(load(text), "yaml-version");

    expect(diagnostic).toMatchObject({ severity: "error", line: 1, column: 1, path: "" });
  });

  it("%YAML 1.2 directive is accepted", () => {
    const result = load(`%YAML 1.2\n---\n${varsYaml()}`);

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment).toBeDefined();
  });

  it("merge key is an error", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        "    - &base\n      email: alice@example.com\n      username: alice\n      roles: [cake-user]\n",
        "    - <<: *base\n      email: bob@example.com\n      username: bob\n",
      ]),
    });
    const result = load(text);

    const diagnostic = single(result, "yaml-merge-key");
    expect(diagnostic).toMatchObject({ path: "users.users[1].<<", ...positionOf(text, "<<") });
    expect(codes(result)).not.toContain("unknown-key");
    // The merge would have given bob his roles, so their absence is not a second error.
    expect(codes(result)).toEqual(["yaml-merge-key"]);
  });

  it("rejects an alias as a key", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        "    - email: alice@example.com\n      username: alice\n      &r roles: [cake-user]\n      *r : [cake-admin]\n",
      ]),
    });
    const result = load(text);

    const diagnostic = single(result, "yaml-alias-key");
    expect(diagnostic).toMatchObject({
      severity: "error",
      path: "users.users[0].*r",
      ...positionOf(text, "*r"),
    });
    expect(result.deployment).toBeUndefined();
  });

  it.each([
    ["? [a, b]\n: c\n", "[a, b]", "a list"],
    ["? {a: 1}\n: c\n", "{a: 1}", "a mapping"],
    ["? - a\n  - b\n: c\n", "- a - b", "a list"],
  ])("a complex key at the end is an error at the key", (lines, written, kind) => {
    const text = `${varsYaml()}${lines}`;
    const result = load(text);

    // The key starts after "? " at the end of the file.
    const question = positionOf(text, "? ");
    expect(codes(result)).toEqual(["wrong-type"]);
    expect(single(result, "wrong-type")).toMatchObject({
      path: written,
      line: question.line,
      column: question.column + 2,
    });
    expect(single(result, "wrong-type").message).toContain(`is ${kind}, but every key`);
    expect(result.deployment).toBeUndefined();
  });

  it.each([
    ["!vault main", "the tag !vault is not one vars files use"],
    ["!!timestamp 2001-12-14", "the tag !!timestamp is not one vars files use"],
    ["!!float platform-admin", "the tag !!float does not fit the value"],
  ])("the tag in %s is an error", (value, message) => {
    const text = varsYaml().replace(/^gitops:\n/m, `gitops:\n  target_revision: ${value}\n`);
    const result = load(text);

    const diagnostic = withCode(result, "yaml-tag")[0];
    expect(diagnostic?.message).toContain(message);
    expect(diagnostic).toMatchObject({ path: "gitops.target_revision", ...positionOf(text, "!") });
    expect(result.deployment).toBeUndefined();
  });

  it.each([
    ["010", "a number"],
    ["TRUE", "a boolean"],
    ["~", "null"],
  ])("a key written %s is an error, not a changed string", (key, kind) => {
    const text = varsYaml().replace(/^kubeflow:\n/m, `kubeflow:\n  namespace_labels:\n    ${key}: x\n`);

    const result = load(text);
    const diagnostic = withCode(result, "wrong-type")[0];

    // The converted key ("10", "true", "") is not reported a second time by the label rules.
    expect(codes(result)).toEqual(["wrong-type"]);
    expect(diagnostic?.message).toBe(`the key ${key} reads as ${kind}; quote it: "${key}"`);
    expect(diagnostic).toMatchObject({
      path: `kubeflow.namespace_labels.${key}`,
      ...positionOf(text, `${key}:`),
    });
  });

  it("a core tag that restates the value is allowed", () => {
    const result = load(varsYaml().replace(/^gitops:\n/m, "gitops:\n  target_revision: !!str main\n"));

    expect(result.diagnostics).toEqual([]);
  });

  it("a few aliases are allowed", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        userYaml({ email: "alice@example.com", username: "alice", roles: "&user-roles [cake-user]" }),
        userYaml({ email: "bob@example.com", username: "bob", roles: "*user-roles" }),
      ]),
    });
    const result = load(text);

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.users.map((user) => user.roles)).toEqual([["cake-user"], ["cake-user"]]);
  });

  it("alias bomb fails fast", () => {
    const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level < 12; level++) {
      lines.push(
        `a${level}: &a${level} [${Array(9)
          .fill(`*a${level - 1}`)
          .join(", ")}]`,
      );
    }
    const text = `${varsYaml()}${lines.join("\n")}\n`;

    const result = load(text);

    expect(codes(result)).toContain("yaml-alias-limit");
    expect(result.deployment).toBeUndefined();
  });

  /** Returns a file whose users each grant the deploy namespace `team-a` through one alias. */
  function namespaceAliases(count: number): string {
    const users = Array.from({ length: count }, (_, index) =>
      userYaml({
        email: `user${index}@example.com`,
        username: `user${index}`,
        roles: "[cake-user]",
        allowed_namespaces: "[*ns]",
      }),
    );
    return varsYaml({ users: usersYaml("  deploy_namespaces: [&ns team-a]\n", users) });
  }

  it("50 aliases of one anchor load", () => {
    const result = load(namespaceAliases(MAX_ALIASES));

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.users).toHaveLength(MAX_ALIASES);
  });

  it("51 aliases is an error", () => {
    const result = load(namespaceAliases(MAX_ALIASES + 1));

    expect(codes(result)).toEqual(["yaml-alias-limit"]);
    expect(result.diagnostics[0]).toMatchObject({ line: 1, column: 1 });
    expect(result.diagnostics[0]?.message).toContain(`${MAX_ALIASES + 1} aliases (limit ${MAX_ALIASES})`);
  });

  it("too many aliases is an error", () => {
    const users = Array.from({ length: MAX_ALIASES + 1 }, (_, index) =>
      userYaml({ email: `user${index}@example.com`, username: `user${index}`, roles: "*roles" }),
    );
    const text = varsYaml({
      top: "environment: prod\nregion: us-east-1\nx-roles: &roles [cake-user]\n",
      users: usersYaml("  deploy_namespaces: []\n", users),
    });

    const result = load(text);

    expect(codes(result)).toEqual(["yaml-alias-limit"]);
    expect(result.diagnostics[0]).toMatchObject({ line: 1, column: 1 });
  });

  it("nested aliases count once per repetition", () => {
    // Each *pair repeats [*role, *role]: 1 + 2 aliases, after the 2 in the anchored list itself.
    const withPairs = (pairs: number) =>
      `${varsYaml()}x-role: &role cake-user\nx-pair: &pair [*role, *role]\nx-uses: [${Array(pairs).fill("*pair").join(", ")}]\n`;

    expect(codes(load(withPairs(16)))).not.toContain("yaml-alias-limit");
    expect(codes(load(withPairs(17)))).toContain("yaml-alias-limit");
  });

  it("alias inside its own anchor is an error", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: &loop [team-a, *loop]\n", []),
    });

    const diagnostic = single(load(text), "yaml-alias-limit");

    expect(diagnostic.message).toContain("*loop");
  });

  it("nested aliases under the count limit still fail when they expand too far", () => {
    // Seven aliases, each doubling the previous list: 2^7 leaves from a handful of nodes.
    const lines = ["b0: &b0 [x, x]"];
    for (let level = 1; level <= 7; level++)
      lines.push(`b${level}: &b${level} [*b${level - 1}, *b${level - 1}]`);
    const text = `${varsYaml()}${lines.join("\n")}\n`;
    expect(2 * 7).toBeLessThanOrEqual(MAX_ALIASES);

    expect(codes(load(text))).toContain("yaml-alias-limit");
  });

  it("undefined alias is a syntax error", () => {
    const text = varsYaml({ gitops: "gitops:\n  repo_url: *nowhere\n" });

    expect(codes(load(text))).toContain("yaml-syntax");
  });

  const notMappings: [string, string][] = [
    ["a list", "- environment: prod\n"],
    ["a scalar", "just text\n"],
    ["empty", ""],
    ["only comments", "# nothing yet\n"],
  ];
  for (const [name, text] of notMappings) {
    it(`root that is ${name} is an error`, () => {
      const result = load(text);

      expect(single(result, "yaml-not-mapping")).toMatchObject({ severity: "error", path: "" });
      expect(result.deployment).toBeUndefined();
    });
  }

  it("second document is a syntax error", () => {
    const text = `${varsYaml()}---\nenvironment: dev\n`;

    const result = load(text);

    expect(single(result, "yaml-syntax").line).toBe(positionOf(text, "---").line);
    expect(result.deployment).toBeUndefined();
  });

  it("broken syntax reports its position", () => {
    const text = varsYaml({ gitops: 'gitops:\n  repo_url: "https://git.example.com\n' });

    const result = load(text);

    const diagnostic = withCode(result, "yaml-syntax")[0];
    expect(diagnostic?.line).toBeGreaterThanOrEqual(positionOf(text, "repo_url").line);
    expect(result.deployment).toBeUndefined();
  });

  it.each([
    ["one blank line", 1],
    ["two blank lines", 2],
  ])("misindented key after %s gets the caret", (_case, blankLines) => {
    const text = varsYaml({
      kubeflow: `kubeflow:\n  profile_owner: platform@example.com\n${"\n".repeat(blankLines)}`,
      gitops: " gitops:\n  repo_url: https://git.example.com/platform/ops.git\n",
    });

    const diagnostic = single(load(text), "yaml-syntax");

    expect(diagnostic).toMatchObject(positionOf(text, "gitops:"));
  });

  it("two keys out of line name both", () => {
    const text = varsYaml({
      gitops: "gitops:\n  repo_url: https://git.example.com/ops.git\n   app_name: ops\n",
    });

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject(positionOf(text, "app_name"));
    // With two keys, either may have slipped.
    expect(syntax[0]?.message).toBe(
      "invalid YAML: this line starts in column 4 and line 6 above it in column 3, but they read as keys of one mapping; indent them alike",
    );
  });

  it.each([
    [
      "a key indented past its entry's keys",
      "      username: carol",
      "       username: carol",
      "this line is indented 1 space more than the keys above it (line 4)",
    ],
    [
      "an entry's dash out of column",
      "    - email: dan@example.com",
      "   - email: dan@example.com",
      "this line is indented 1 space less than the list entries above it (line 4)",
    ],
  ])("words %s", (_, line, slipped, message) => {
    const text = [
      "environment: prod",
      "users:",
      "  users:",
      "    - email: carol@example.com",
      "      username: carol",
      "    - email: dan@example.com",
      "      username: dan",
      "",
    ]
      .join("\n")
      .replace(line, slipped);

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax).toHaveLength(1);
    expect(syntax[0]?.message).toContain(message);
    expect(syntax[0]?.message).not.toContain("compact mappings");
    expect(syntax[0]?.message).not.toContain("implicit map key");
  });

  it("gives a missing colon no indentation hint", () => {
    const text = ["environment: prod", "region us-east-1", "users:", "  users: []", ""].join("\n");

    const syntax = withCode(load(text), "yaml-syntax");

    expect(syntax[0]?.message).toContain("write a colon after the key");
    expect(syntax[0]?.message).not.toContain("check the indentation");
  });

  it("CRLF line endings load", () => {
    const text = varsYaml().replace(/\n/g, "\r\n");

    const result = load(text);

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.users[0]?.email).toBe("alice@example.com");
  });

  it("CRLF positions match LF positions", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: not-an-email\n" });

    const lf = single(load(text), "invalid-email");
    const crlf = single(load(text.replace(/\n/g, "\r\n")), "invalid-email");

    expect([crlf.line, crlf.column]).toEqual([lf.line, lf.column]);
  });

  it("byte order mark loads", () => {
    const result = load(`\uFEFF${varsYaml()}`);

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.environment).toBe("prod");
  });

  it("a byte order mark does not shift the columns of line 1", () => {
    const text = varsYaml().replace(/^environment: prod/m, "environment: 7");

    const plain = single(load(text), "wrong-type");
    const marked = single(load(`\uFEFF${text}`), "wrong-type");

    expect([marked.line, marked.column]).toEqual([plain.line, plain.column]);
    expect(plain.column).toBe(14);
  });

  it("YAML 1.1 words load as strings", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [on]\n", [
        userYaml({
          email: "nora@example.com",
          username: "no",
          roles: "[cake-user]",
          allowed_namespaces: "[on]",
        }),
      ]),
    });

    const result = load(text);

    expect(result.deployment?.users[0]?.username).toBe("no");
    expect(result.deployment?.deployNamespaces[0]?.name).toBe("on");
  });

  it("unquoted YAML 1.1 words warn", () => {
    const text = varsYaml({
      gitops: "gitops:\n  repo_url: https://git.example.com/ops.git\n  target_revision: Off\n",
      users: usersYaml("  deploy_namespaces: [y]\n", [
        userYaml({ email: "nora@example.com", username: "no", roles: "[cake-user]" }),
      ]),
    });

    const result = load(text);

    const warnings = withCode(result, "yaml11-boolean");
    expect(warnings.map((warning) => warning.severity)).toEqual(["warning", "warning", "warning"]);
    expect(warnings[0]).toMatchObject({ path: "gitops.target_revision", ...positionOf(text, "Off") });
    expect(warnings[1]).toMatchObject({ path: "users.deploy_namespaces[0]", ...positionOf(text, "y]") });
    expect(warnings[2]).toMatchObject({ path: "users.users[0].username", ...positionOf(text, "no\n") });
    expect(result.deployment).toBeDefined();
  });

  it("quoted YAML 1.1 words do not warn", () => {
    const text = varsYaml({
      users: usersYaml('  deploy_namespaces: ["on"]\n', [
        userYaml({ email: "nora@example.com", username: "'no'", roles: "[cake-user]" }),
      ]),
    });

    const result = load(text);

    expect(result.diagnostics).toEqual([]);
  });

  it("username true is a wrong type", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "tom@example.com", username: "true", roles: "[cake-user]" }),
      ]),
    });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic).toMatchObject({ path: "users.users[0].username", ...positionOf(text, "true") });
    expect(diagnostic.message).toContain('"true"');
  });

  it("YAML 1.1 word in a boolean field is only a type error", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "tom@example.com", username: "tom", roles: "[cake-user]", disabled: "yes" }),
      ]),
    });

    const result = load(text);

    expect(single(result, "wrong-type")).toMatchObject({
      path: "users.users[0].disabled",
      ...positionOf(text, "yes"),
    });
    expect(codes(result)).not.toContain("yaml11-boolean");
  });
});
