import { describe, expect, it } from "vitest";
import { codes, load, positionOf, single, varsYaml } from "./helpers.js";

function withKubeflow(lines: string): string {
  return varsYaml({ kubeflow: `kubeflow:\n  profile_owner: platform@example.com\n${lines}` });
}

describe("gateway principals", () => {
  it("empty list is an error", () => {
    const text = withKubeflow("  gateway_principals: []\n");
    const result = load(text);

    expect(single(result, "invalid-gateway-principal")).toMatchObject({
      severity: "error",
      path: "kubeflow.gateway_principals",
      ...positionOf(text, "[]"),
    });
    expect(result.deployment).toBeUndefined();
  });

  it("empty entry is an error", () => {
    const text = withKubeflow(
      '  gateway_principals:\n    - cluster.local/ns/kubeflow/sa/ml-pipeline-ui\n    - ""\n',
    );

    expect(single(load(text), "invalid-gateway-principal")).toMatchObject({
      path: "kubeflow.gateway_principals[1]",
      ...positionOf(text, '""'),
    });
  });

  it("principal with whitespace is an error", () => {
    const text = withKubeflow('  gateway_principals: ["cluster.local/ns/kubeflow/sa/ml pipeline"]\n');

    expect(single(load(text), "invalid-gateway-principal").path).toBe("kubeflow.gateway_principals[0]");
  });

  it("custom principals are valid", () => {
    const text = withKubeflow("  gateway_principals: [cluster.local/ns/ingress/sa/gateway]\n");
    const result = load(text);

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.kubeflow.gatewayPrincipals).toEqual(["cluster.local/ns/ingress/sa/gateway"]);
  });
});

describe("userid header", () => {
  it("empty header is an error", () => {
    const text = withKubeflow('  userid_header: ""\n');
    const result = load(text);

    expect(single(result, "invalid-header-name")).toMatchObject({
      severity: "error",
      path: "kubeflow.userid_header",
      ...positionOf(text, '""'),
    });
    expect(result.deployment).toBeUndefined();
  });

  const invalid = ["kubeflow userid", "kubeflow-userid:", "user[id]", "x-user-é", "a/b"];
  for (const header of invalid) {
    it(`rejects header ${JSON.stringify(header)}`, () => {
      const text = withKubeflow(`  userid_header: ${JSON.stringify(header)}\n`);

      expect(single(load(text), "invalid-header-name")).toMatchObject({
        path: "kubeflow.userid_header",
        ...positionOf(text, JSON.stringify(header)),
      });
    });
  }

  const valid = ["kubeflow-userid", "x-goog-authenticated-user-email", "X-Auth-Request-Email", "x_user.id"];
  for (const header of valid) {
    it(`accepts header ${header}`, () => {
      const text = withKubeflow(`  userid_header: ${header}\n  userid_prefix: "accounts.google.com:"\n`);

      expect(codes(load(text))).toEqual([]);
    });
  }

  it("surrounding spaces suggest the trimmed name", () => {
    const text = withKubeflow('  userid_header: " kubeflow-userid "\n');

    expect(single(load(text), "invalid-header-name").message).toContain('write "kubeflow-userid"');
  });
});

describe("Google IAP header", () => {
  it("without prefix is a warning", () => {
    const text = withKubeflow('  userid_header: x-goog-authenticated-user-email\n  userid_prefix: ""\n');
    const result = load(text);

    const diagnostic = single(result, "iap-userid-prefix");
    expect(diagnostic).toMatchObject({
      severity: "warning",
      path: "kubeflow.userid_header",
      ...positionOf(text, "x-goog-authenticated-user-email"),
    });
    expect(diagnostic.message).toContain('set userid_prefix: "accounts.google.com:"');
    expect(result.deployment).toBeDefined();
  });

  it("with the prefix key missing warns", () => {
    const text = withKubeflow("  userid_header: X-Goog-Authenticated-User-Email\n");

    expect(codes(load(text))).toEqual(["iap-userid-prefix"]);
    expect(single(load(text), "iap-userid-prefix").message).toContain(
      "but kubeflow.userid_prefix is empty or not set, so no AuthorizationPolicy would match a user",
    );
  });

  it("with another prefix warns", () => {
    const text = withKubeflow(
      '  userid_header: x-goog-authenticated-user-email\n  userid_prefix: "accounts.google.com"\n',
    );

    expect(single(load(text), "iap-userid-prefix").message).toContain('is "accounts.google.com"');
  });

  it("other header with empty prefix is valid", () => {
    const text = withKubeflow('  userid_header: x-auth-request-email\n  userid_prefix: ""\n');

    expect(codes(load(text))).toEqual([]);
  });
});
