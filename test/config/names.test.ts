import { describe, expect, it } from "vitest";
import type { LoadSnapshot } from "../../src/config/incremental.js";
import { loadVarsText } from "../../src/config/load.js";
import { codes, load, positionOf, single, usersYaml, userYaml, varsYaml, withCode } from "./helpers.js";

function withUsers(
  namespaces: string,
  users: Record<string, string>[],
  parts: { identity?: string; cloud?: string } = {},
) {
  return varsYaml({
    ...parts,
    users: usersYaml(`  deploy_namespaces: ${namespaces}\n`, users.map(userYaml)),
  });
}

const AWS_IDENTITY_IN_IAM = [
  "cloud:",
  "  provider: aws",
  "  identity_namespace: iam",
  "  aws:",
  '    account_id: "123456789012"',
  "    oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
  "",
].join("\n");

const alice = { email: "alice@example.com", username: "alice", roles: "[cake-user]" };

describe("deployment name", () => {
  it("file name mismatch is an error", () => {
    const text = varsYaml({ top: "environment: prod\nregion: us-west-2\n" });

    const diagnostic = single(load(text), "file-name-mismatch");

    expect(diagnostic).toMatchObject({ severity: "error", path: "environment", ...positionOf(text, "prod") });
    expect(diagnostic.message).toContain("prod-us-west-2");
  });

  it("matching file name is valid", () => {
    const result = load(
      varsYaml({ top: "environment: prod\nregion: us-west-2\n" }),
      "vars/prod-us-west-2.yml",
    );

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.name).toBe("prod-us-west-2");
  });

  it("environment must be a DNS label", () => {
    const text = varsYaml({ top: "environment: Prod_1\nregion: us-east-1\n" });

    expect(single(load(text, "vars/Prod_1-us-east-1.yaml"), "invalid-dns-label")).toMatchObject({
      path: "environment",
      ...positionOf(text, "Prod_1"),
    });
  });

  it("region must be a DNS label", () => {
    const text = varsYaml({ top: "environment: prod\nregion: us.east.1\n" });

    expect(single(load(text, "vars/prod-us.east.1.yaml"), "invalid-dns-label").path).toBe("region");
  });

  it("empty environment explains a valid label", () => {
    const text = varsYaml({ top: 'environment: ""\nregion: us-east-1\n' });

    const diagnostic = single(load(text, "vars/-us-east-1.yaml"), "invalid-dns-label");

    expect(diagnostic.path).toBe("environment");
    expect(diagnostic.message).toContain("write 1 to 63 lower-case letters");
  });
});

describe("username rules", () => {
  const invalid = ["alice.smith", "Bob_1", "-alice", "a".repeat(64)];
  for (const username of invalid) {
    it(`rejects username ${username.slice(0, 12)}`, () => {
      const text = withUsers("[]", [{ ...alice, username }]);

      const diagnostic = single(load(text), "invalid-dns-label");

      expect(diagnostic).toMatchObject({
        severity: "error",
        path: "users.users[0].username",
        ...positionOf(text, username),
      });
    });
  }

  it("suggests a valid label", () => {
    const diagnostic = single(
      load(withUsers("[]", [{ ...alice, username: "alice.smith" }])),
      "invalid-dns-label",
    );

    expect(diagnostic.message).toContain('"alice-smith"');
  });

  it("boolean-word suggestion says to quote", () => {
    const diagnostic = single(load(withUsers("[]", [{ ...alice, username: "Yes" }])), "invalid-dns-label");

    expect(diagnostic.message).toContain('write "yes" with its quotes');
    // The advice followed gives a file without diagnostics; the unquoted word would warn.
    expect(load(withUsers("[]", [{ ...alice, username: '"yes"' }])).diagnostics).toEqual([]);
    expect(codes(load(withUsers("[]", [{ ...alice, username: "yes" }])))).toEqual(["yaml11-boolean"]);
  });

  it("quoted boolean-word suggestion stays plain", () => {
    const diagnostic = single(load(withUsers("[]", [{ ...alice, username: '"Yes"' }])), "invalid-dns-label");

    expect(diagnostic.message).toMatch(/; use "yes"$/);
  });

  it.each([
    ['"Yes"', "yes"],
    ["'On'", "on"],
    ['"No"', "no"],
  ])("quoted %s stays plain on fast paths", (written, suggestion) => {
    const options = { file: "vars/prod-us-east-1.yaml", outputPath: "deployments/prod-us-east-1" };
    const before = withUsers("[]", [alice, { ...alice, email: "bob@example.com", username: "bob" }]);
    const snapshot = loadVarsText(before, { ...options, fast: true, snapshot: true }).snapshot;
    const text = before.replace("username: bob", `username: ${written}`);
    expect(snapshot).toBeDefined();

    // The fast path keeps no quotes, so the full load it falls back to must give the fix.
    for (const result of [
      loadVarsText(text, { ...options, fast: true }),
      loadVarsText(text, { ...options, fast: true, positioned: true }),
      loadVarsText(text, {
        ...options,
        fast: true,
        previous: { text: before, snapshot: snapshot as LoadSnapshot },
      }),
    ]) {
      const diagnostic = single(result, "invalid-dns-label");
      expect(diagnostic.message).toMatch(new RegExp(`; use "${suggestion}"$`));
      expect(diagnostic.message).not.toContain("YAML 1.1");
    }
  });

  it("63-character username is valid", () => {
    expect(load(withUsers("[]", [{ ...alice, username: "a".repeat(63) }])).diagnostics).toEqual([]);
  });

  const reserved = [
    "default",
    "kube-system",
    "kubeflow",
    "kubeflow-admin",
    "istio-system",
    "istio-ingress",
    "knative-serving",
    "cert-manager",
    "auth",
    "oauth2-proxy",
    "argocd",
  ];
  for (const username of reserved) {
    it(`rejects reserved username ${username}`, () => {
      const text = withUsers("[]", [{ ...alice, username }]);

      expect(single(load(text), "reserved-namespace")).toMatchObject({
        path: "users.users[0].username",
        ...positionOf(text, `${username}\n`),
      });
    });
  }

  it("custom Argo CD namespace is reserved", () => {
    const text = varsYaml({
      gitops: "gitops:\n  repo_url: https://git.example.com/ops.git\n  argocd_namespace: gitops\n",
      users: usersYaml("  deploy_namespaces: []\n", [userYaml({ ...alice, username: "gitops" })]),
    });

    expect(single(load(text), "reserved-namespace").path).toBe("users.users[0].username");
  });

  it("custom identity namespace is reserved", () => {
    const text = withUsers("[iam]", [{ ...alice, username: "iam" }], { cloud: AWS_IDENTITY_IN_IAM });

    const [namespace, username] = withCode(load(text), "reserved-namespace");

    expect(namespace?.path).toBe("users.deploy_namespaces[0]");
    expect(namespace?.message).toBe(
      '"iam" is reserved: it is cloud.identity_namespace, the namespace of the cloud identity objects; ' +
        "if this profile exists already (cloud.provider was none until now), set cloud.identity_namespace " +
        "to a name no profile uses instead, because renaming the profile deletes its namespace and data; " +
        "otherwise choose another name",
    );
    expect(username?.path).toBe("users.users[0].username");
  });

  it("identity namespace is free without a cloud", () => {
    const text = withUsers("[iam]", [{ ...alice, username: "cake-cloud-identity" }], {
      cloud: "cloud:\n  provider: none\n  identity_namespace: iam\n",
    });
    const withDefault = withUsers("[cake-cloud-identity]", [alice]);

    expect(load(text).diagnostics).toEqual([]);
    expect(load(withDefault).diagnostics).toEqual([]);
  });

  it("names near reserved ones are valid", () => {
    const text = withUsers("[]", [
      { ...alice, username: "kube" },
      { ...alice, email: "b@example.com", username: "kubeflower" },
      { ...alice, email: "c@example.com", username: "my-kubeflow" },
    ]);

    expect(load(text).diagnostics).toEqual([]);
  });

  it("duplicate username is an error", () => {
    const text = withUsers("[]", [alice, { ...alice, email: "alice2@example.com" }]);

    const diagnostic = single(load(text), "duplicate-username");

    expect(diagnostic).toMatchObject({ path: "users.users[1].username", ...positionOf(text, "alice\n", 2) });
    expect(diagnostic.message).toContain("users.users[0].username");
  });

  it("username equal to a deploy namespace is an error", () => {
    const text = withUsers("[team-a]", [{ ...alice, username: "team-a" }]);

    expect(single(load(text), "username-is-namespace")).toMatchObject({
      path: "users.users[0].username",
      ...positionOf(text, "team-a", 2),
    });
  });

  it("username pattern mismatch warns", () => {
    const text = withUsers("[]", [alice, { ...alice, email: "bob@example.com", username: "bob-1" }], {
      identity: 'identity:\n  username_pattern: "[a-z]+"\n',
    });
    const result = load(text);

    expect(single(result, "username-pattern")).toMatchObject({
      severity: "warning",
      path: "users.users[1].username",
      ...positionOf(text, "bob-1"),
    });
    expect(result.deployment?.identity.usernamePattern).toBe("[a-z]+");
  });

  it("username pattern must compile", () => {
    const text = withUsers("[]", [alice], { identity: 'identity:\n  username_pattern: "[a-z"\n' });

    expect(single(load(text), "invalid-value")).toMatchObject({
      path: "identity.username_pattern",
      ...positionOf(text, '"[a-z"'),
    });
  });
});

describe("deploy namespace rules", () => {
  it("namespace must be a DNS label", () => {
    const text = withUsers("[Team_A]", []);

    expect(single(load(text), "invalid-dns-label")).toMatchObject({
      path: "users.deploy_namespaces[0]",
      ...positionOf(text, "Team_A"),
    });
  });

  it("object-form name is checked", () => {
    const text = varsYaml({ users: usersYaml("  deploy_namespaces:\n    - name: team.a\n", []) });

    expect(single(load(text), "invalid-dns-label")).toMatchObject({
      path: "users.deploy_namespaces[0].name",
      ...positionOf(text, "team.a"),
    });
  });

  it("reserved namespace is an error", () => {
    const text = withUsers("[team-a, kubeflow]", []);

    const diagnostic = single(load(text), "reserved-namespace");

    expect(diagnostic).toMatchObject({
      path: "users.deploy_namespaces[1]",
      ...positionOf(text, "kubeflow]"),
    });
    expect(diagnostic.message).toContain("kube-*");
  });

  it("duplicate namespace is an error", () => {
    const text = withUsers("[team-a, team-b, team-a]", []);

    expect(single(load(text), "duplicate-namespace")).toMatchObject({
      path: "users.deploy_namespaces[2]",
      ...positionOf(text, "team-a", 2),
    });
  });

  it("distinct valid namespaces pass", () => {
    expect(load(withUsers("[team-a, team-b]", [])).diagnostics).toEqual([]);
  });
});

describe("derived names", () => {
  const gcpCloud = (prefix: string) =>
    `cloud:\n  provider: gcp\n  gcp:\n    project_id: cake-prod-123456\n    service_account_prefix: "${prefix}"\n`;

  it("long username breaks the GCP service account id", () => {
    const username = "very-long-firstname-lastname-department-team";
    const text = withUsers("[]", [{ ...alice, username }], { cloud: gcpCloud("kf-prod-") });

    const diagnostic = single(load(text), "name-too-long");

    expect(diagnostic).toMatchObject({ path: "users.users[0].username", ...positionOf(text, username) });
    expect(diagnostic.message).toContain(`"kf-prod-${username}"`);
    expect(diagnostic.message).toContain("52 characters (limit 30)");
  });

  it("short GCP service account id is an error", () => {
    const text = withUsers("[]", [{ ...alice, username: "bob" }], { cloud: gcpCloud("") });

    const diagnostic = single(load(text), "invalid-derived-name");

    expect(diagnostic.path).toBe("users.users[0].username");
    expect(diagnostic.message).toContain('set cloud.gcp.service_account_prefix (such as "kf-")');
  });

  it("short id under a set prefix asks for a longer one", () => {
    const text = withUsers("[]", [{ ...alice, username: "al" }], { cloud: gcpCloud("kf-") });

    const message = single(load(text), "invalid-derived-name").message;

    expect(message).toContain("use a longer cloud.gcp.service_account_prefix or a longer username");
    expect(message).not.toContain('such as "kf-"');
  });

  it("GCP id starting with a digit is an error", () => {
    const text = withUsers("[]", [{ ...alice, username: "007-agent" }], { cloud: gcpCloud("") });

    expect(single(load(text), "invalid-derived-name").path).toBe("users.users[0].username");
  });

  it("GCP id for a deploy namespace is checked", () => {
    const name = "team-with-a-really-long-namespace-name";
    const text = withUsers(`[${name}]`, [], { cloud: gcpCloud("kf-") });

    expect(single(load(text), "name-too-long")).toMatchObject({
      path: "users.deploy_namespaces[0]",
      ...positionOf(text, name),
    });
  });

  it("invalid GCP prefix is reported once", () => {
    const text = withUsers("[team-a]", [alice], { cloud: gcpCloud("KF_") });

    expect(single(load(text), "invalid-derived-name").path).toBe("cloud.gcp.service_account_prefix");
  });

  it("GCP ids within 6 to 30 characters are valid", () => {
    const text = withUsers("[team-a]", [{ ...alice, username: "a".repeat(27) }], { cloud: gcpCloud("kf-") });

    expect(load(text).diagnostics).toEqual([]);
  });

  const awsCloud = (prefix?: string) =>
    [
      "cloud:",
      "  provider: aws",
      "  aws:",
      '    account_id: "123456789012"',
      "    oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
      ...(prefix === undefined ? [] : [`    role_name_prefix: "${prefix}"`]),
      "",
    ].join("\n");

  it("long AWS role name is an error", () => {
    const username = "a".repeat(50);
    const text = withUsers("[]", [{ ...alice, username }], { cloud: awsCloud() });

    const diagnostic = single(load(text), "name-too-long");

    expect(diagnostic).toMatchObject({ path: "users.users[0].username", ...positionOf(text, username) });
    expect(diagnostic.message).toContain(`"prod-us-east-1-${username}"`);
    expect(diagnostic.message).toContain("limit 64");
  });

  it("AWS role name at 64 characters is valid", () => {
    const text = withUsers("[]", [{ ...alice, username: "a".repeat(49) }], { cloud: awsCloud() });

    expect(load(text).diagnostics).toEqual([]);
  });

  it("AWS role prefix with invalid characters is an error", () => {
    const text = withUsers("[]", [alice], { cloud: awsCloud("cake/prod-") });

    expect(single(load(text), "invalid-derived-name")).toMatchObject({
      path: "cloud.aws.role_name_prefix",
      ...positionOf(text, '"cake/prod-"'),
    });
  });

  it("AWS role prefix outside Kubernetes names is an error", () => {
    const text = withUsers("[]", [alice], { cloud: awsCloud("Cake_Prod-") });

    const diagnostic = single(load(text), "invalid-derived-name");

    expect(diagnostic).toMatchObject({
      path: "cloud.aws.role_name_prefix",
      ...positionOf(text, '"Cake_Prod-"'),
    });
    expect(diagnostic.message).toContain('"cake-prod-"');
  });

  it("AWS role prefix with dots is valid", () => {
    for (const prefix of ["cake.prod-", "cake.prod.", "c.p.x"]) {
      const text = withUsers("[]", [alice], { cloud: awsCloud(prefix) });

      expect(load(text).diagnostics, prefix).toEqual([]);
    }
  });

  it.each([
    ["cake..dev.-", "cake.dev."],
    ["cake.-dev-", "cake.dev-"],
    ["cake-.dev-", "cake.dev-"],
  ])("AWS role prefix %s that breaks a Kubernetes name's labels is an error", (prefix, suggested) => {
    const text = withUsers("[]", [alice], { cloud: awsCloud(prefix) });

    const diagnostic = single(load(text), "invalid-derived-name");

    expect(diagnostic.path).toBe("cloud.aws.role_name_prefix");
    expect(diagnostic.message).toContain(`"${suggested}"`);
  });

  it("overlong email gives an overlong binding name", () => {
    const email = `${"a".repeat(240)}@example.com`;
    const text = withUsers("[]", [{ ...alice, email }]);

    expect(single(load(text), "name-too-long")).toMatchObject({
      path: "users.users[0].email",
      ...positionOf(text, email),
    });
  });

  it("Argo CD Application name is checked", () => {
    const text = varsYaml({
      gitops: `gitops:\n  repo_url: https://git.example.com/ops.git\n  app_name: ${"x".repeat(64)}\n`,
    });

    expect(single(load(text), "name-too-long").path).toBe("gitops.app_name");
  });

  it("ApplicationSet name over the limit warns", () => {
    // `cake-` and 59 characters: the Application that the ApplicationSet of cake init generates.
    const environment = "production-analytics-platform-shared";
    const text = varsYaml({ top: `environment: ${environment}\nregion: europe-west-central-22\n` });

    const diagnostic = single(
      load(text, `vars/${environment}-europe-west-central-22.yaml`),
      "applicationset-name-too-long",
    );

    expect(diagnostic).toMatchObject({
      severity: "warning",
      path: "environment",
      ...positionOf(text, environment),
    });
    expect(diagnostic.message).toContain(
      `"cake-${environment}-europe-west-central-22" of 64 characters (limit 63)`,
    );
  });

  it("ApplicationSet name at the limit is valid", () => {
    const environment = "production-analytics-platform-shared";
    const text = varsYaml({ top: `environment: ${environment}\nregion: europe-west-central-2\n` });

    expect(load(text, `vars/${environment}-europe-west-central-2.yaml`).diagnostics).toEqual([]);
  });

  it("Argo CD Application name must be a label", () => {
    const text = varsYaml({
      gitops: "gitops:\n  repo_url: https://git.example.com/ops.git\n  app_name: User_Namespaces\n",
    });

    const diagnostic = single(load(text), "invalid-dns-label");

    expect(diagnostic).toMatchObject({ path: "gitops.app_name", ...positionOf(text, "User_Namespaces") });
    expect(diagnostic.message).toContain('use "user-namespaces"');
  });
});

describe("binding name collisions", () => {
  it("a.b and a_b collide in a shared namespace", () => {
    const text = withUsers("[team-a]", [
      { email: "a.b@example.com", username: "ab", roles: "[cake-user]", allowed_namespaces: "[team-a]" },
      { email: "a_b@example.com", username: "a-b", roles: "[cake-user]", allowed_namespaces: "[team-a]" },
    ]);

    const diagnostic = single(load(text), "binding-name-collision");

    expect(diagnostic).toMatchObject({
      path: "users.users[1].email",
      ...positionOf(text, "a_b@example.com"),
    });
    expect(diagnostic.message).toContain("user-a-b-example-com-clusterrole-edit");
  });

  it("a duplicate grant is no collision with oneself", () => {
    const text = withUsers("[team-a]", [
      {
        email: "a.b@example.com",
        username: "ab",
        roles: "[cake-user]",
        allowed_namespaces: "[team-a, team-a]",
      },
      { email: "a_b@example.com", username: "a-b", roles: "[cake-user]", allowed_namespaces: "[team-a]" },
    ]);

    const collisions = withCode(load(text), "binding-name-collision");

    expect(collisions.map((diagnostic) => diagnostic.path)).toEqual(["users.users[1].email"]);
    expect(codes(load(text))).toContain("duplicate-grant");
  });

  it("different access gives different names", () => {
    const text = withUsers("[team-a]", [
      { email: "a.b@example.com", username: "ab", roles: "[cake-user]", allowed_namespaces: "[team-a]" },
      {
        email: "a_b@example.com",
        username: "a-b",
        roles: "[cake-user]",
        allowed_namespaces: "[{name: team-a, access: view}]",
      },
    ]);

    expect(codes(load(text))).not.toContain("binding-name-collision");
  });

  it("disabled user has no bindings to collide", () => {
    const text = withUsers("[team-a]", [
      { email: "a.b@example.com", username: "ab", roles: "[cake-user]", allowed_namespaces: "[team-a]" },
      {
        email: "a_b@example.com",
        username: "a-b",
        roles: "[cake-user]",
        allowed_namespaces: "[team-a]",
        disabled: "true",
      },
    ]);

    expect(withCode(load(text), "binding-name-collision")).toEqual([]);
  });
});
