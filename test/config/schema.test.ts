import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { varsJsonSchema, varsJsonSchemaText } from "../../src/config/schema.js";
import {
  codes,
  fixtureText,
  load,
  positionOf,
  single,
  usersYaml,
  userYaml,
  varsYaml,
  withCode,
} from "./helpers.js";

const ROOT = path.join(import.meta.dirname, "..", "..");
const SCHEMA_FILES = ["schema/vars.schema.json", "examples/ops/schema/vars.schema.json"];

describe("schema phase", () => {
  it("number username is a wrong type", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "alice@example.com", username: "alice", roles: "[cake-user]" }),
        userYaml({ email: "bond@example.com", username: "007", roles: "[cake-user]" }),
      ]),
    });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic).toMatchObject({
      severity: "error",
      path: "users.users[1].username",
      ...positionOf(text, "007"),
    });
    expect(diagnostic.message).toContain("number 007");
    expect(diagnostic.message).toContain('"007"');
  });

  it("a number where a string or a mapping goes is to be quoted", () => {
    const text = varsYaml({ users: usersYaml("  deploy_namespaces: [2024]\n", []) });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic.path).toBe("users.deploy_namespaces[0]");
    expect(diagnostic.message).toContain('(got number 2024); quote it: "2024"');
  });

  it("a list where labels go asks for a mapping", () => {
    const text = varsYaml({
      kubeflow: "kubeflow:\n  profile_owner: platform@example.com\n  namespace_labels: [a]\n",
    });

    expect(single(load(text), "wrong-type").message).toContain("must be a mapping (got a list)");
  });

  it("scalar users list asks for user entries", () => {
    const text = varsYaml({ users: "users:\n  deploy_namespaces: []\n  users: nobody\n" });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic.path).toBe("users.users");
    expect(diagnostic.message).toContain("write a list of user entries, each starting with '- email: '");
    expect(diagnostic.message).not.toContain("[nobody]");
  });

  it("scalar users section lists current keys", () => {
    const text = varsYaml({ users: "users: nobody\n" });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic.message).toContain("its keys are deploy_namespaces, users");
    expect(diagnostic.message).not.toContain("deployments");
  });

  it("scalar roles list gets the bracket fix", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "alice@example.com", username: "alice", roles: "cake-user" }),
      ]),
    });

    expect(single(load(text), "wrong-type").message).toContain("write it as a list: roles: [cake-user]");
  });

  it("unquoted account id is a wrong type", () => {
    const text = varsYaml({
      cloud:
        "cloud:\n  provider: aws\n  aws:\n    account_id: 012345678901\n    oidc_provider: oidc.example.com/id/X\n",
    });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic).toMatchObject({ path: "cloud.aws.account_id", ...positionOf(text, "012345678901") });
    expect(diagnostic.message).toContain('"012345678901"');
  });

  it("empty string field says to write a value", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n  profile_owner:\n" });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic.path).toBe("kubeflow.profile_owner");
    expect(diagnostic.message).toContain("empty");
  });

  it("list where a mapping belongs is a wrong type", () => {
    const text = varsYaml({ gitops: "gitops:\n  - https://git.example.com/ops.git\n" });

    expect(single(load(text), "wrong-type")).toMatchObject({
      path: "gitops",
      ...positionOf(text, "- https"),
    });
  });

  it("unknown key suggests the nearest key", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        userYaml({
          email: "alice@example.com",
          username: "alice",
          roles: "[cake-user]",
          allowed_namespace: "[team-a]",
        }),
      ]),
    });

    const diagnostic = single(load(text), "unknown-key");

    expect(diagnostic).toMatchObject({
      path: "users.users[0].allowed_namespace",
      ...positionOf(text, "allowed_namespace"),
    });
    expect(diagnostic.message).toContain('"allowed_namespaces"');
  });

  it("misspelled required key is one error", () => {
    const text = varsYaml().replace(/^region: /m, "regoin: ");

    const result = load(text);

    expect(codes(result)).toEqual(["unknown-key"]);
    expect(single(result, "unknown-key").message).toContain('did you mean "region"?');
  });

  it("unknown top-level key lists known keys when nothing is close", () => {
    const text = `${varsYaml()}monitoring: true\n`;

    const diagnostic = single(load(text), "unknown-key");

    expect(diagnostic).toMatchObject({
      path: "monitoring",
      line: positionOf(text, "monitoring").line,
      column: 1,
    });
    expect(diagnostic.message).toContain("environment");
  });

  it("unknown key in an object namespace is reported", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces:\n    - name: team-a\n      quota: {cpu: 1}\n", []),
    });

    expect(single(load(text), "unknown-key")).toMatchObject({
      path: "users.deploy_namespaces[0].quota",
      ...positionOf(text, "quota"),
    });
  });

  it("missing required key is reported at its parent", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n  userid_header: kubeflow-userid\n" });

    const diagnostic = single(load(text), "missing-key");

    expect(diagnostic).toMatchObject({
      path: "kubeflow.profile_owner",
      ...positionOf(text, "kubeflow:"),
    });
    expect(diagnostic.message).toBe(
      'required key "profile_owner" is missing in kubeflow; add a line profile_owner: <value> under kubeflow:',
    );
  });

  it("missing nested key is reported at its parent key", () => {
    const cloud = "cloud:\n  provider: aws\n  aws:\n    oidc_provider: oidc.example.com/id/ABC\n";
    const text = varsYaml({ cloud });

    const diagnostic = single(load(text), "missing-key");

    expect(diagnostic).toMatchObject({ path: "cloud.aws.account_id", ...positionOf(text, "aws:") });
    expect(diagnostic.message).toBe(
      'required key "account_id" is missing in cloud.aws; add a line account_id: <value> under aws:',
    );
  });

  it("missing user key names the entry", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "alice@example.com", username: "alice", roles: "[cake-user]" }),
        userYaml({ username: "bob", roles: "[cake-user]" }),
      ]),
    });

    const diagnostic = single(load(text), "missing-key");

    expect(diagnostic).toMatchObject({ path: "users.users[1].email", ...positionOf(text, "username: bob") });
    expect(diagnostic.message).toBe(
      'required key "email" is missing in users.users[1] (username bob); add a line email: <value> to this entry',
    );
  });

  it("missing username names the email", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "bob@example.com", roles: "[cake-user]" }),
      ]),
    });

    const diagnostic = single(load(text), "missing-key");

    expect(diagnostic).toMatchObject({ path: "users.users[0].username", ...positionOf(text, "email: bob") });
    expect(diagnostic.message).toContain("in users.users[0] (email bob@example.com);");
  });

  it("missing environment is reported", () => {
    const text = varsYaml({ top: "region: us-east-1\n" });

    const diagnostic = single(load(text), "missing-key");

    expect(diagnostic).toMatchObject({ path: "environment", ...positionOf(text, "region:") });
    expect(diagnostic.message).toBe(
      'required key "environment" is missing at the top level; add a line environment: <value> at the top level',
    );
  });

  it("unknown provider is an invalid value", () => {
    const text = varsYaml({ cloud: "cloud:\n  provider: azure\n" });

    const diagnostic = single(load(text), "invalid-value");

    expect(diagnostic).toMatchObject({ path: "cloud.provider", ...positionOf(text, "azure") });
    expect(diagnostic.message).toContain("aws, gcp, none");
  });

  it("deployments is a deprecated spelling", () => {
    const text = varsYaml({ users: usersYaml("  deployments: [team-a]\n", []) });
    const result = load(text);

    const diagnostic = single(result, "deprecated-key");
    expect(diagnostic).toMatchObject({
      severity: "warning",
      path: "users.deployments",
      ...positionOf(text, "deployments"),
    });
    expect(result.deployment?.deployNamespaces.map((namespace) => namespace.name)).toEqual(["team-a"]);
  });

  it("deploy_namespaces is not deprecated", () => {
    expect(codes(load(varsYaml()))).not.toContain("deprecated-key");
  });

  it("both namespace spellings conflict", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n  deployments: [team-b]\n", []),
    });

    const result = load(text);

    expect(single(result, "conflicting-keys")).toMatchObject({
      severity: "error",
      path: "users.deployments",
      ...positionOf(text, "deployments"),
    });
    expect(codes(result)).not.toContain("deprecated-key");
  });

  it("boolean quota value is a wrong type", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces:\n    - name: team-a\n      resource_quota: {pods: true}\n", []),
    });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic).toMatchObject({
      path: "users.deploy_namespaces[0].resource_quota.pods",
      ...positionOf(text, "true"),
    });
    expect(diagnostic.message).toContain("a string or a number");
  });

  const booleans: [string, string][] = [
    ["yes", "write true"],
    ['"True"', "write true"],
    ["off", "write false"],
    ["0", "write false"],
    ["maybe", "write true or false"],
  ];
  for (const [written, fix] of booleans) {
    it(`disabled ${written} suggests a boolean`, () => {
      const text = varsYaml({
        users: usersYaml("  deploy_namespaces: []\n", [
          userYaml({ email: "tom@example.com", username: "tom", roles: "[cake-user]", disabled: written }),
        ]),
      });

      const diagnostic = single(load(text), "wrong-type");

      expect(diagnostic).toMatchObject({ path: "users.users[0].disabled", ...positionOf(text, written) });
      expect(diagnostic.message).toContain(fix);
    });
  }

  it("string roles shows the list form", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "tom@example.com", username: "tom", roles: "cake-user, cake-admin" }),
      ]),
    });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic.path).toBe("users.users[0].roles");
    expect(diagnostic.message).toContain("roles: [cake-user, cake-admin]");
  });

  it("mapping where a list belongs shows list syntax", () => {
    const text = varsYaml({ users: "users:\n  deploy_namespaces:\n    name: team-a\n  users: []\n" });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic.path).toBe("users.deploy_namespaces");
    expect(diagnostic.message).toContain("'- '");
  });

  it("string where a mapping belongs lists keys", () => {
    const text = varsYaml({ cloud: "cloud: aws\n" });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic).toMatchObject({ path: "cloud", ...positionOf(text, "aws") });
    expect(diagnostic.message).toContain("provider, aws, gcp, identity_namespace");
  });

  it("list where a string belongs shows the value", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: [platform@example.com]\n" });

    const diagnostic = single(load(text), "wrong-type");

    expect(diagnostic.path).toBe("kubeflow.profile_owner");
    expect(diagnostic.message).toContain("profile_owner: platform@example.com");
  });

  it("boolean quota value suggests a quantity", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces:\n    - name: team-a\n      resource_quota: {pods: true}\n", []),
    });

    expect(single(load(text), "wrong-type").message).toContain('"500m"');
  });

  it("grant of the wrong type is reported", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
        userYaml({
          email: "alice@example.com",
          username: "alice",
          roles: "[cake-user]",
          allowed_namespaces: "[42]",
        }),
      ]),
    });

    expect(withCode(load(text), "wrong-type")[0]?.path).toBe("users.users[0].allowed_namespaces[0]");
  });
});

describe("vars JSON Schema", () => {
  it.each(SCHEMA_FILES)("committed %s is current", (file) => {
    expect(readFileSync(path.join(ROOT, file), "utf8")).toBe(varsJsonSchemaText());
  });

  it("has a title and field descriptions", () => {
    const schema = varsJsonSchema() as {
      title?: string;
      $schema?: string;
      properties: Record<string, { description?: string }>;
    };

    expect(schema.title).toBe("cake vars file");
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.properties.environment?.description).toBeTruthy();
    expect(schema.properties.gitops?.description).toBeTruthy();
  });

  const ajv = new Ajv({ strict: false });
  const validate = ajv.compile(varsJsonSchema());

  for (const fixture of ["prod-us-east-1.yaml", "dev-europe-west1.yaml", "staging-local.yaml"]) {
    it(`accepts fixture ${fixture}`, () => {
      expect(validate(parse(fixtureText(fixture)))).toBe(true);
    });
  }

  it("rejects an unknown key", () => {
    expect(validate(parse(`${varsYaml()}monitoring: true\n`))).toBe(false);
  });

  it("flags a username that is not a DNS label", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "bob@example.com", username: "Bob_1", roles: "[cake-user]" }),
      ]),
    });

    expect(validate(parse(text))).toBe(false);
    expect(codes(load(text))).toEqual(["invalid-dns-label"]);
  });

  const editorChecks: [string, string][] = [
    ["empty gateway principals", "  gateway_principals: []\n"],
    ["empty gateway principal", '  gateway_principals: [""]\n'],
    ["header with a space", '  userid_header: "kubeflow userid"\n'],
  ];
  for (const [name, line] of editorChecks) {
    it(`flags ${name}`, () => {
      const text = varsYaml({ kubeflow: `kubeflow:\n  profile_owner: platform@example.com\n${line}` });

      expect(validate(parse(text))).toBe(false);
      expect(load(text).diagnostics).toHaveLength(1);
    });
  }

  const gitopsChecks: [string, string][] = [
    ["repo URL without scheme", "  repo_url: git.example.com/ops.git\n"],
    [
      "http destination server",
      "  repo_url: git@git.example.com:ops.git\n  destination_server: http://k8s.example.com\n",
    ],
  ];
  for (const [name, lines] of gitopsChecks) {
    it(`flags ${name}`, () => {
      const text = varsYaml({ gitops: `gitops:\n${lines}` });

      expect(validate(parse(text))).toBe(false);
      expect(load(text).diagnostics).toHaveLength(1);
    });
  }

  it("accepts every repo URL form", () => {
    for (const url of [
      "https://h.example.com/o.git",
      "http://h:8080/o",
      "ssh://git@h/o.git",
      "git@h:o.git",
    ]) {
      expect(validate(parse(varsYaml({ gitops: `gitops:\n  repo_url: ${url}\n` })))).toBe(true);
    }
  });

  it("rejects a number username", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "bond@example.com", username: "007", roles: "[cake-user]" }),
      ]),
    });

    expect(validate(parse(text))).toBe(false);
  });
});
