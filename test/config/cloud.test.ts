import { describe, expect, it } from "vitest";
import { codes, fixtureText, load, positionOf, single, usersYaml, userYaml, varsYaml } from "./helpers.js";

function awsCloud(fields: Record<string, string>): string {
  const all = {
    account_id: '"123456789012"',
    oidc_provider: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
    ...fields,
  };
  const lines = Object.entries(all).map(([key, value]) => `    ${key}: ${value}`);
  return `cloud:\n  provider: aws\n  aws:\n${lines.join("\n")}\n`;
}

function gcpCloud(fields: Record<string, string>): string {
  const all = { project_id: "cake-prod-123456", service_account_prefix: "kf-", ...fields };
  const lines = Object.entries(all).map(([key, value]) => `    ${key}: ${value}`);
  return `cloud:\n  provider: gcp\n  gcp:\n${lines.join("\n")}\n`;
}

describe("cloud settings", () => {
  it("aws provider needs its settings block", () => {
    const text = varsYaml({ cloud: "cloud:\n  provider: aws\n" });

    expect(single(load(text), "missing-cloud-settings")).toMatchObject({
      severity: "error",
      path: "cloud.provider",
      ...positionOf(text, "aws"),
    });
  });

  it("gcp provider needs its settings block", () => {
    const text = varsYaml({ cloud: "cloud:\n  provider: gcp\n" });

    expect(single(load(text), "missing-cloud-settings").path).toBe("cloud.provider");
  });

  it("provider none needs no block", () => {
    const result = load(varsYaml({ cloud: "cloud:\n  provider: none\n" }));

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.cloud).toEqual({ provider: "none", identityNamespace: "cake-cloud-identity" });
  });

  const badAccounts = ['"12345678901"', '"1234567890123"', '"12345678901a"'];
  for (const accountId of badAccounts) {
    it(`rejects account id ${accountId}`, () => {
      const text = varsYaml({ cloud: awsCloud({ account_id: accountId }) });

      expect(single(load(text), "invalid-account-id")).toMatchObject({
        path: "cloud.aws.account_id",
        ...positionOf(text, accountId),
      });
    });
  }

  it("OIDC provider with a scheme is an error", () => {
    const value = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE";
    const text = varsYaml({ cloud: awsCloud({ oidc_provider: value }) });

    const diagnostic = single(load(text), "invalid-oidc-provider");

    expect(diagnostic).toMatchObject({ path: "cloud.aws.oidc_provider", ...positionOf(text, value) });
    expect(diagnostic.message).toContain('"oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"');
  });

  const badArns = [
    "arn:aws:iam:123456789012:policy/x",
    "arn:aws:iam::123456789012:role/x",
    "arn:aws:s3:::bucket",
    "arn:aws:iam::12345:policy/x",
    "AmazonS3ReadOnlyAccess",
  ];
  for (const arn of badArns) {
    it(`rejects policy ARN ${arn}`, () => {
      const text = varsYaml({ cloud: awsCloud({ default_policy_arns: `[${arn}]` }) });

      expect(single(load(text), "invalid-arn")).toMatchObject({
        path: "cloud.aws.default_policy_arns[0]",
        ...positionOf(text, arn),
      });
    });
  }

  const goodArns = [
    { arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", region: "us-east-1" },
    { arn: "arn:aws:iam::123456789012:policy/team/cake-boundary", region: "us-east-1" },
    { arn: "arn:aws-cn:iam::123456789012:policy/x", region: "cn-north-1" },
    { arn: "arn:aws-us-gov:iam::aws:policy/service-role/AWSLambdaRole", region: "us-gov-west-1" },
  ];
  for (const { arn, region } of goodArns) {
    it(`accepts policy ARN ${arn}`, () => {
      const result = load(
        varsYaml({
          top: `environment: prod\nregion: ${region}\n`,
          cloud: awsCloud({ permissions_boundary_arn: arn, default_policy_arns: `[${arn}]` }),
        }),
        `vars/prod-${region}.yaml`,
      );

      expect(result.diagnostics).toEqual([]);
    });
  }

  it("rejects a policy ARN of another partition", () => {
    const arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
    const text = varsYaml({
      top: "environment: prod\nregion: cn-north-1\n",
      cloud: awsCloud({ default_policy_arns: `[${arn}]` }),
    });
    const diagnostic = single(load(text, "vars/prod-cn-north-1.yaml"), "invalid-arn");

    expect(diagnostic).toMatchObject({ path: "cloud.aws.default_policy_arns[0]", ...positionOf(text, arn) });
    expect(diagnostic.message).toContain('region "cn-north-1" is in partition aws-cn');
    expect(diagnostic.message).toContain("write arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess");
  });

  it("permissions boundary is checked", () => {
    const text = varsYaml({
      cloud: awsCloud({ permissions_boundary_arn: "arn:aws:iam::123456789012:boundary" }),
    });

    expect(single(load(text), "invalid-arn").path).toBe("cloud.aws.permissions_boundary_arn");
  });

  it("namespace policy ARNs are checked", () => {
    const text = varsYaml({
      cloud: awsCloud({}),
      users: usersYaml(
        "  deploy_namespaces:\n    - name: team-a\n      aws:\n        policy_arns: [arn:aws:iam::aws:s3]\n",
        [],
      ),
    });

    expect(single(load(text), "invalid-arn")).toMatchObject({
      path: "users.deploy_namespaces[0].aws.policy_arns[0]",
      ...positionOf(text, "arn:aws:iam::aws:s3"),
    });
  });

  it("AWS model gets the default role prefix", () => {
    const result = load(varsYaml({ cloud: awsCloud({}) }));

    expect(result.deployment?.cloud.aws).toEqual({
      accountId: "123456789012",
      oidcProvider: "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE",
      roleNamePrefix: "prod-us-east-1-",
      defaultPolicyArns: [],
    });
  });

  const badProjects = [
    "cake",
    "Cake-prod-123",
    "1cake-prod",
    "cake-prod-",
    "a-very-long-project-id-over-thirty",
  ];
  for (const projectId of badProjects) {
    it(`rejects project id ${projectId}`, () => {
      const text = varsYaml({ cloud: gcpCloud({ project_id: projectId }) });

      expect(single(load(text), "invalid-project-id")).toMatchObject({
        path: "cloud.gcp.project_id",
        ...positionOf(text, projectId),
      });
    });
  }

  const badRoles = ["storage.objectViewer", "roles/", "projects/x/roles/custom", "organizations/abc/roles/x"];
  for (const role of badRoles) {
    it(`rejects GCP role ${role}`, () => {
      const text = varsYaml({ cloud: gcpCloud({ default_roles: `["${role}"]` }) });

      expect(single(load(text), "invalid-gcp-role")).toMatchObject({
        path: "cloud.gcp.default_roles[0]",
        ...positionOf(text, `"${role}"`),
      });
    });
  }

  it("accepts the three GCP role forms", () => {
    const roles =
      "[roles/storage.objectViewer, projects/cake-prod-123456/roles/runner, organizations/1234/roles/audit]";

    expect(load(varsYaml({ cloud: gcpCloud({ default_roles: roles }) })).diagnostics).toEqual([]);
  });

  it("namespace GCP roles are checked", () => {
    const text = varsYaml({
      cloud: gcpCloud({}),
      users: usersYaml("  deploy_namespaces:\n    - name: team-a\n      gcp:\n        roles: [viewer]\n", []),
    });

    expect(single(load(text), "invalid-gcp-role").path).toBe("users.deploy_namespaces[0].gcp.roles[0]");
  });

  it("fixtures for each provider are valid", () => {
    for (const [file, provider] of [
      ["prod-us-east-1.yaml", "aws"],
      ["dev-europe-west1.yaml", "gcp"],
      ["staging-local.yaml", "none"],
    ] as const) {
      const result = load(fixtureText(file), `vars/${file}`);

      expect(codes(result)).toEqual([]);
      expect(result.deployment?.cloud.provider).toBe(provider);
    }
  });
});

describe("settings of an unselected provider", () => {
  const gcpBlock = "  gcp:\n    project_id: cake-prod-123456\n";
  const awsBlock = '  aws:\n    account_id: "123456789012"\n    oidc_provider: oidc.example.com/id/X\n';

  it("gcp block with provider aws warns", () => {
    const text = varsYaml({ cloud: `${awsCloud({})}${gcpBlock}` });
    const result = load(text);

    expect(single(result, "unused-cloud-settings")).toMatchObject({
      severity: "warning",
      path: "cloud.gcp",
      ...positionOf(text, "gcp:"),
    });
    expect(result.deployment?.cloud.provider).toBe("aws");
  });

  it("aws block with provider gcp warns", () => {
    const text = varsYaml({ cloud: `${gcpCloud({})}${awsBlock}` });

    expect(single(load(text), "unused-cloud-settings").path).toBe("cloud.aws");
  });

  it("both blocks with provider none warn", () => {
    const text = varsYaml({
      cloud: `cloud:\n  provider: none\n${gcpBlock}${awsBlock}`,
    });
    const result = load(text);

    expect(result.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.path])).toEqual([
      ["unused-cloud-settings", "cloud.gcp"],
      ["unused-cloud-settings", "cloud.aws"],
    ]);
  });

  it("namespace gcp block with provider aws warns", () => {
    const text = varsYaml({
      cloud: awsCloud({}),
      users: usersYaml("  deploy_namespaces:\n    - {name: team-b, gcp: {roles: [roles/viewer]}}\n", []),
    });

    expect(single(load(text), "unused-cloud-settings")).toMatchObject({
      path: "users.deploy_namespaces[0].gcp",
      ...positionOf(text, "gcp:"),
    });
  });

  it("namespace aws block without cloud warns", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces:\n    - name: team-b\n      aws:\n        policy_arns: []\n", []),
    });

    const diagnostic = single(load(text), "unused-cloud-settings");

    expect(diagnostic.path).toBe("users.deploy_namespaces[0].aws");
    expect(diagnostic.message).toContain("cloud.provider: aws");
  });

  it("blocks of the selected provider pass", () => {
    const text = varsYaml({
      cloud: awsCloud({}),
      users: usersYaml("  deploy_namespaces:\n    - {name: team-b, aws: {policy_arns: []}}\n", []),
    });

    expect(load(text).diagnostics).toEqual([]);
  });
});

describe("gitops settings", () => {
  it("missing repo_url is an error", () => {
    const text = varsYaml({ gitops: "gitops:\n  target_revision: main\n" });

    expect(single(load(text), "missing-repo-url")).toMatchObject({
      severity: "error",
      path: "gitops.repo_url",
      ...positionOf(text, "gitops:"),
    });
  });

  it("missing gitops section is a missing repo URL", () => {
    const text = varsYaml({ gitops: "" });

    expect(single(load(text), "missing-repo-url").path).toBe("gitops");
  });

  it("empty repo_url is an error", () => {
    const text = varsYaml({ gitops: 'gitops:\n  repo_url: ""\n' });

    expect(single(load(text), "missing-repo-url")).toMatchObject({
      path: "gitops.repo_url",
      ...positionOf(text, '""'),
    });
  });

  it("gitops defaults fill the model", () => {
    expect(load(varsYaml()).deployment?.gitops).toEqual({
      repoUrl: "https://git.example.com/platform/ops.git",
      targetRevision: "main",
      argocdNamespace: "argocd",
      destinationServer: "https://kubernetes.default.svc",
      appName: "user-namespace",
    });
  });

  it("Argo CD namespace must be a DNS label", () => {
    const text = varsYaml({
      gitops: "gitops:\n  repo_url: https://git.example.com/ops.git\n  argocd_namespace: Argo_CD\n",
    });

    const diagnostic = single(load(text), "invalid-dns-label");

    expect(diagnostic.path).toBe("gitops.argocd_namespace");
    expect(diagnostic.message).toContain('use "argo-cd"');
  });

  it("identity namespace must be a DNS label", () => {
    const text = varsYaml({ cloud: "cloud:\n  provider: none\n  identity_namespace: cloud.identity\n" });

    expect(single(load(text), "invalid-dns-label").path).toBe("cloud.identity_namespace");
  });

  const invalidRepoUrls: [string, string][] = [
    ["not a url", "https://"],
    ["git.example.com/platform/ops.git", '"https://git.example.com/platform/ops.git"'],
    ["ftp://git.example.com/ops.git", "https://"],
    ["https://", "https://"],
    ["git@git.example.com", "git@host:path"],
    ["file:///srv/git/ops.git", "https://"],
    ["https://oauth2:glpat-SECRET@git.example.com/ops.git", 'write "https://git.example.com/ops.git"'],
    [
      "https://ghp_SECRET@github.com/example/ops.git",
      '"https://***@github.com/example/ops.git" carries credentials',
    ],
    ["ssh://git:SECRET@git.example.com/ops.git", 'write "ssh://git@git.example.com/ops.git"'],
  ];
  for (const [url, fix] of invalidRepoUrls) {
    it(`rejects repo_url ${JSON.stringify(url)}`, () => {
      const text = varsYaml({ gitops: `gitops:\n  repo_url: ${JSON.stringify(url)}\n` });

      const diagnostic = single(load(text), "invalid-repo-url");

      expect(diagnostic).toMatchObject({
        severity: "error",
        path: "gitops.repo_url",
        ...positionOf(text, JSON.stringify(url)),
      });
      expect(diagnostic.message).toContain(fix);
    });
  }

  const validRepoUrls = [
    "https://git.example.com/platform/ops.git",
    "http://git.internal:8080/ops.git",
    "ssh://git@git.example.com:2222/platform/ops.git",
    "git@github.com:example/ops.git",
  ];
  for (const url of validRepoUrls) {
    it(`accepts repo_url ${url}`, () => {
      const result = load(varsYaml({ gitops: `gitops:\n  repo_url: ${url}\n` }));

      expect(result.diagnostics).toEqual([]);
      expect(result.deployment?.gitops.repoUrl).toBe(url);
    });
  }

  const invalidServers: [string, string][] = [
    ['""', "remove the key"],
    ["http://prod.example.com:6443", '"https://prod.example.com:6443"'],
    ["prod.example.com", '"https://prod.example.com"'],
    ["in-cluster", "https://kubernetes.default.svc"],
    ['"https://prod example.com"', "https://kubernetes.default.svc"],
  ];
  it.each([
    ['""', "is empty"],
    ['" main"', 'write "main"'],
  ])("rejects target_revision %s", (revision, message) => {
    const text = varsYaml({
      gitops: `gitops:\n  repo_url: https://git.example.com/ops.git\n  target_revision: ${revision}\n`,
    });

    const diagnostic = single(load(text), "invalid-value");

    expect(diagnostic).toMatchObject({ path: "gitops.target_revision", ...positionOf(text, revision) });
    expect(diagnostic.message).toContain(message);
  });

  for (const [server, fix] of invalidServers) {
    it(`rejects destination_server ${server}`, () => {
      const text = varsYaml({
        gitops: `gitops:\n  repo_url: https://git.example.com/ops.git\n  destination_server: ${server}\n`,
      });

      const diagnostic = single(load(text), "invalid-destination-server");

      expect(diagnostic).toMatchObject({
        severity: "error",
        path: "gitops.destination_server",
        ...positionOf(text, server),
      });
      expect(diagnostic.message).toContain(fix);
    });
  }

  const validServers = [
    "https://kubernetes.default.svc",
    "https://ABCDEF0123.gr7.us-east-1.eks.amazonaws.com",
    "https://10.0.0.1:6443",
    "https://rancher.example.com/k8s/clusters/c-m-abc123",
  ];
  for (const server of validServers) {
    it(`accepts destination_server ${server}`, () => {
      const text = varsYaml({
        gitops: `gitops:\n  repo_url: https://git.example.com/ops.git\n  destination_server: ${server}\n`,
      });

      expect(load(text).diagnostics).toEqual([]);
    });
  }
});

describe("identity namespace", () => {
  const system = ["kube-system", "default", "kubeflow", "istio-system", "argocd", "cert-manager"];
  for (const namespace of system) {
    it(`rejects system namespace ${namespace}`, () => {
      const text = varsYaml({ cloud: `cloud:\n  provider: none\n  identity_namespace: ${namespace}\n` });
      const result = load(text);

      expect(single(result, "reserved-namespace")).toMatchObject({
        severity: "error",
        path: "cloud.identity_namespace",
        ...positionOf(text, `${namespace}\n`),
      });
      expect(result.deployment).toBeUndefined();
    });
  }

  it("custom Argo CD namespace is rejected", () => {
    const text = varsYaml({
      cloud: "cloud:\n  provider: none\n  identity_namespace: gitops\n",
      gitops: "gitops:\n  repo_url: https://git.example.com/ops.git\n  argocd_namespace: gitops\n",
    });

    expect(single(load(text), "reserved-namespace").path).toBe("cloud.identity_namespace");
  });

  it("own name is not reserved", () => {
    const text = varsYaml({ cloud: "cloud:\n  provider: none\n  identity_namespace: ml-cloud-iam\n" });
    const result = load(text);

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.cloud.identityNamespace).toBe("ml-cloud-iam");
  });

  it("invalid name suggests a label", () => {
    const text = varsYaml({ cloud: "cloud:\n  provider: none\n  identity_namespace: Cloud_IAM\n" });

    expect(single(load(text), "invalid-dns-label").message).toContain('use "cloud-iam"');
  });

  it("empty name suggests the default", () => {
    const text = varsYaml({ cloud: 'cloud:\n  provider: none\n  identity_namespace: ""\n' });

    expect(single(load(text), "invalid-dns-label").message).toContain('"cake-cloud-identity"');
  });

  it("reserved name in either copy", () => {
    // Deleting the copy at line 2, as the duplicate-key error allows, would keep kube-system.
    const text = varsYaml({
      cloud:
        "cloud:\n  provider: none\n  identity_namespace: kube-system\n  identity_namespace: ml-cloud-iam\n",
    });
    const result = load(text);

    expect(single(result, "yaml-duplicate-key").path).toBe("cloud.identity_namespace");
    expect(single(result, "reserved-namespace")).toMatchObject({
      path: "cloud.identity_namespace",
      ...positionOf(text, "kube-system"),
    });
  });

  it("duplicate keeps system names of profiles", () => {
    // A username equal to one copy is left for the next run, but a system name does not depend on it.
    const text = varsYaml({
      cloud:
        "cloud:\n  provider: aws\n  identity_namespace: ml-iam\n  identity_namespace: cake-iam\n" +
        '  aws:\n    account_id: "123456789012"\n    oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE\n',
      users: usersYaml("  deploy_namespaces: []\n", [
        userYaml({ email: "a@example.com", username: "kube-alice", roles: "[cake-user]" }),
        userYaml({ email: "b@example.com", username: "cake-iam", roles: "[cake-user]" }),
      ]),
    });

    expect(single(load(text), "reserved-namespace").path).toBe("users.users[0].username");
  });

  it("profile named like it suggests another identity namespace", () => {
    const text = varsYaml({
      cloud: awsCloud({}),
      users: usersYaml("  deploy_namespaces: [cake-cloud-identity]\n", []),
    });

    expect(single(load(text), "reserved-namespace").message).toBe(
      '"cake-cloud-identity" is reserved: it is cloud.identity_namespace, the namespace of the cloud ' +
        "identity objects; if this profile exists already (cloud.provider was none until now), set " +
        "cloud.identity_namespace to a name no profile uses instead, because renaming the profile " +
        "deletes its namespace and data; otherwise choose another name",
    );
  });
});

describe("namespace labels", () => {
  function withLabels(labels: string): string {
    return varsYaml({
      kubeflow: `kubeflow:\n  profile_owner: platform@example.com\n  namespace_labels:\n${labels}`,
    });
  }

  it("invalid label key is an error", () => {
    const text = withLabels("    Example.COM/team: ml\n");

    expect(single(load(text), "invalid-label")).toMatchObject({
      path: "kubeflow.namespace_labels.Example.COM/team",
      ...positionOf(text, "Example.COM/team"),
    });
  });

  it("the managed-by label, which cake sets itself, is an error", () => {
    const text = withLabels("    app.kubernetes.io/managed-by: helm\n");

    const diagnostic = single(load(text), "invalid-label");

    expect(diagnostic).toMatchObject({
      path: "kubeflow.namespace_labels.app.kubernetes.io/managed-by",
      ...positionOf(text, "app.kubernetes.io/managed-by"),
    });
    expect(diagnostic.message).toContain('cake sets it to "cake" on every object it generates');
  });

  it("invalid label value is an error", () => {
    const text = withLabels("    team: machine learning\n");

    expect(single(load(text), "invalid-label")).toMatchObject({
      path: "kubeflow.namespace_labels.team",
      ...positionOf(text, "machine learning"),
    });
  });

  it("unquoted true label value is a wrong type", () => {
    const text = withLabels("    pipelines.kubeflow.org/enabled: true\n");

    expect(single(load(text), "wrong-type").message).toContain('"true"');
  });

  it("custom labels replace the defaults sorted", () => {
    const result = load(withLabels('    team: ml\n    istio-injection: "enabled"\n'));

    expect(result.deployment?.kubeflow.namespaceLabels).toEqual({ "istio-injection": "enabled", team: "ml" });
  });
});
