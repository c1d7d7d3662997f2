import { describe, expect, it } from "vitest";
import { contributorGrants } from "../../src/generate/contributors.js";
import { generateDeployment } from "../../src/generate/index.js";
import { exampleDeployment, makeDeployment, makeNamespace, makeUser } from "../helpers/model.js";
import { AUTHORIZATION_POLICY, allObjects, findObject, getObject, ROLE_BINDING } from "./find.js";

const PRINCIPALS = [
  "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
  "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
];

function contributorObjects(files: ReturnType<typeof generateDeployment>) {
  return allObjects(files).filter(
    (object) => object.kind === "RoleBinding" || object.kind === "AuthorizationPolicy",
  );
}

describe("contributor RoleBinding", () => {
  const files = generateDeployment(exampleDeployment("none"));

  it("has KFAM's exact form for edit", () => {
    const roleBinding = getObject(files, {
      ...ROLE_BINDING,
      namespace: "ml-staging",
      name: "user-alice-smith-example-com-clusterrole-edit",
    });
    expect(roleBinding).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: {
        name: "user-alice-smith-example-com-clusterrole-edit",
        namespace: "ml-staging",
        labels: { "app.kubernetes.io/managed-by": "cake" },
        annotations: { user: "Alice.Smith@example.com", role: "edit" },
      },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "kubeflow-edit" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "Alice.Smith@example.com" }],
    });
  });

  it("binds view access to kubeflow-view", () => {
    const roleBinding = getObject(files, {
      ...ROLE_BINDING,
      namespace: "ml-prod",
      name: "user-bob-example-com-clusterrole-view",
    });
    expect(roleBinding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "kubeflow-view",
    });
    expect(roleBinding.metadata.annotations).toEqual({ user: "bob@example.com", role: "view" });
  });

  it("gives admin on the own profile", () => {
    const roleBinding = getObject(files, {
      ...ROLE_BINDING,
      namespace: "bjones",
      name: "user-bob-example-com-clusterrole-admin",
    });
    expect(roleBinding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "kubeflow-admin",
    });
    expect(roleBinding.metadata.annotations?.role).toBe("admin");
  });

  it("stays in the default sync wave", () => {
    const roleBinding = getObject(files, {
      ...ROLE_BINDING,
      namespace: "bjones",
      name: "user-bob-example-com-clusterrole-admin",
    });
    expect(roleBinding.metadata.annotations).not.toHaveProperty("argocd.argoproj.io/sync-wave");
  });
});

describe("contributor AuthorizationPolicy", () => {
  it("has KFAM's exact form", () => {
    const files = generateDeployment(exampleDeployment("none"));
    const policy = getObject(files, {
      ...AUTHORIZATION_POLICY,
      namespace: "ml-staging",
      name: "user-bob-example-com-clusterrole-edit",
    });
    expect(policy).toEqual({
      apiVersion: "security.istio.io/v1beta1",
      kind: "AuthorizationPolicy",
      metadata: {
        name: "user-bob-example-com-clusterrole-edit",
        namespace: "ml-staging",
        labels: { "app.kubernetes.io/managed-by": "cake" },
        annotations: {
          user: "bob@example.com",
          role: "edit",
          "argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true",
        },
      },
      spec: {
        rules: [
          {
            from: [{ source: { principals: PRINCIPALS } }],
            when: [{ key: "request.headers[kubeflow-userid]", values: ["bob@example.com"] }],
          },
        ],
      },
    });
  });

  it("puts the prefix only in the header value", () => {
    const deployment = makeDeployment({
      kubeflow: { useridHeader: "x-goog-authenticated-user-email", useridPrefix: "accounts.google.com:" },
      deployNamespaces: [makeNamespace("team-a")],
      users: [makeUser({ email: "alice@example.com", username: "alice", allowedNamespaces: ["team-a"] })],
    });
    const files = generateDeployment(deployment);
    const key = { namespace: "team-a", name: "user-alice-example-com-clusterrole-edit" };
    const policy = getObject(files, { ...AUTHORIZATION_POLICY, ...key });
    const roleBinding = getObject(files, { ...ROLE_BINDING, ...key });

    const rule = (policy.spec as { rules: { when: { key: string; values: string[] }[] }[] }).rules[0];
    expect(rule?.when).toEqual([
      {
        key: "request.headers[x-goog-authenticated-user-email]",
        values: ["accounts.google.com:alice@example.com"],
      },
    ]);
    expect(policy.metadata.annotations?.user).toBe("alice@example.com");
    expect(roleBinding.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "alice@example.com" },
    ]);
    expect(roleBinding.metadata.annotations?.user).toBe("alice@example.com");
  });

  it("uses the configured gateway principals", () => {
    const deployment = makeDeployment({
      kubeflow: { gatewayPrincipals: ["cluster.local/ns/gw/sa/gateway"] },
      users: [makeUser({ email: "bob@example.com", username: "bob" })],
    });
    const policy = getObject(generateDeployment(deployment), {
      ...AUTHORIZATION_POLICY,
      namespace: "bob",
      name: "user-bob-example-com-clusterrole-admin",
    });
    const rule = (policy.spec as { rules: { from: unknown }[] }).rules[0];
    expect(rule?.from).toEqual([{ source: { principals: ["cluster.local/ns/gw/sa/gateway"] } }]);
  });

  it("sets no action and no selector", () => {
    const files = generateDeployment(exampleDeployment("none"));
    for (const object of allObjects(files).filter((o) => o.kind === "AuthorizationPolicy")) {
      expect(object.spec).not.toHaveProperty("action");
      expect(object.spec).not.toHaveProperty("selector");
      expect((object.spec as { rules: unknown[] }).rules).toHaveLength(1);
    }
  });
});

describe("contributor emails", () => {
  const email = "Mixed.Case+ml@Example.COM";
  const deployment = makeDeployment({
    deployNamespaces: [makeNamespace("team-a")],
    users: [makeUser({ email, username: "mixed", allowedNamespaces: ["team-a"] })],
  });
  const files = generateDeployment(deployment);
  const key = { namespace: "team-a", name: "user-mixed-case-ml-example-com-clusterrole-edit" };

  it("are copied byte for byte", () => {
    const roleBinding = getObject(files, { ...ROLE_BINDING, ...key });
    const policy = getObject(files, { ...AUTHORIZATION_POLICY, ...key });
    const rule = (policy.spec as { rules: { when: { values: string[] }[] }[] }).rules[0];

    expect((roleBinding.subjects as { name: string }[])[0]?.name).toBe(email);
    expect(roleBinding.metadata.annotations?.user).toBe(email);
    expect(policy.metadata.annotations?.user).toBe(email);
    expect(rule?.when[0]?.values).toEqual([email]);
  });

  it("are lower-cased only in names", () => {
    expect(findObject(files, { ...ROLE_BINDING, ...key })?.metadata.name).toBe(key.name);
  });
});

describe("contributor grants", () => {
  it("give exactly two objects each", () => {
    const deployment = makeDeployment({
      deployNamespaces: [makeNamespace("team-a")],
      users: [makeUser({ email: "bob@example.com", username: "bob", allowedNamespaces: ["team-a"] })],
    });
    const inTeamA = contributorObjects(generateDeployment(deployment)).filter(
      (object) => object.metadata.namespace === "team-a",
    );

    expect(inTeamA.map((object) => [object.kind, object.metadata.name])).toEqual([
      ["RoleBinding", "user-bob-example-com-clusterrole-edit"],
      ["AuthorizationPolicy", "user-bob-example-com-clusterrole-edit"],
    ]);
    expect(inTeamA[0]?.subjects).toHaveLength(1);
  });

  it("give one subject per RoleBinding", () => {
    const files = generateDeployment(exampleDeployment("none"));
    for (const object of allObjects(files).filter((o) => o.kind === "RoleBinding")) {
      expect(object.subjects).toHaveLength(1);
    }
  });

  it("count one pair per user, namespace and role", () => {
    const files = generateDeployment(exampleDeployment("none"));
    // asmith: admin + 2 namespaces; bjones: admin + 2 namespaces; cwu is disabled.
    expect(contributorObjects(files)).toHaveLength(2 * 6);
  });

  it("vanish in pairs when removed", () => {
    const before = makeDeployment({
      deployNamespaces: [makeNamespace("team-a")],
      users: [makeUser({ email: "bob@example.com", username: "bob", allowedNamespaces: ["team-a"] })],
    });
    const after = makeDeployment({
      deployNamespaces: [makeNamespace("team-a")],
      users: [makeUser({ email: "bob@example.com", username: "bob", allowedNamespaces: [] })],
    });
    const key = { namespace: "team-a", name: "user-bob-example-com-clusterrole-edit" };

    expect(findObject(generateDeployment(before), { ...ROLE_BINDING, ...key })).toBeDefined();
    expect(findObject(generateDeployment(after), { ...ROLE_BINDING, ...key })).toBeUndefined();
    expect(findObject(generateDeployment(after), { ...AUTHORIZATION_POLICY, ...key })).toBeUndefined();
    expect(contributorObjects(generateDeployment(after)).every((o) => o.metadata.namespace === "bob")).toBe(
      true,
    );
  });

  it("change name when access changes", () => {
    const view = makeDeployment({
      deployNamespaces: [makeNamespace("team-a")],
      users: [
        makeUser({
          email: "bob@example.com",
          username: "bob",
          allowedNamespaces: [{ namespace: "team-a", access: "view" }],
        }),
      ],
    });
    const files = generateDeployment(view);
    const names = contributorObjects(files)
      .filter((object) => object.metadata.namespace === "team-a")
      .map((object) => object.metadata.name);
    expect(names).toEqual(["user-bob-example-com-clusterrole-view", "user-bob-example-com-clusterrole-view"]);
  });
});

describe("disabled users", () => {
  const files = generateDeployment(exampleDeployment("none"));

  it("get no bindings anywhere", () => {
    const forCarol = contributorObjects(files).filter(
      (o) => o.metadata.annotations?.user === "carol@example.com",
    );
    expect(forCarol).toEqual([]);
  });

  it("get no binding in their own profile", () => {
    const inCwu = contributorObjects(files).filter((object) => object.metadata.namespace === "cwu");
    expect(inCwu).toEqual([]);
  });

  it("lose grants they still list", () => {
    const deployment = makeDeployment({
      deployNamespaces: [makeNamespace("team-a")],
      users: [
        makeUser({
          email: "dan@example.com",
          username: "dan",
          disabled: true,
          allowedNamespaces: ["team-a"],
        }),
      ],
    });
    expect(contributorObjects(generateDeployment(deployment))).toEqual([]);
  });
});

describe("contributorGrants", () => {
  it("lists grants of active users", () => {
    expect(contributorGrants(exampleDeployment("none"))).toEqual([
      { email: "Alice.Smith@example.com", namespace: "asmith", role: "admin" },
      { email: "Alice.Smith@example.com", namespace: "ml-prod", role: "edit" },
      { email: "Alice.Smith@example.com", namespace: "ml-staging", role: "edit" },
      { email: "bob@example.com", namespace: "bjones", role: "admin" },
      { email: "bob@example.com", namespace: "ml-prod", role: "view" },
      { email: "bob@example.com", namespace: "ml-staging", role: "edit" },
    ]);
  });
});
