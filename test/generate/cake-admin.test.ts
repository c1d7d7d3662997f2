import { describe, expect, it } from "vitest";
import { generateDeployment } from "../../src/generate/index.js";
import { exampleDeployment, makeDeployment, makeUser } from "../helpers/model.js";
import { CLUSTER_ROLE, CLUSTER_ROLE_BINDING, getObject } from "./find.js";

describe("cake-admin ClusterRole", () => {
  it("reads profiles, namespaces and access objects", () => {
    const clusterRole = getObject(generateDeployment(exampleDeployment("none")), {
      ...CLUSTER_ROLE,
      name: "cake-admin",
    });
    const verbs = ["get", "list", "watch"];
    expect(clusterRole.rules).toEqual([
      { apiGroups: [""], resources: ["namespaces"], verbs },
      { apiGroups: ["kubeflow.org"], resources: ["profiles"], verbs },
      { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs },
      { apiGroups: ["security.istio.io"], resources: ["authorizationpolicies"], verbs },
    ]);
    expect(clusterRole.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cake" });
  });
});

describe("cake-admin ClusterRoleBinding", () => {
  it("binds active admins only", () => {
    const binding = getObject(generateDeployment(exampleDeployment("none")), {
      ...CLUSTER_ROLE_BINDING,
      name: "cake-admin",
    });
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "cake-admin",
    });
    expect(binding.subjects).toEqual([
      { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "Alice.Smith@example.com" },
    ]);
  });

  it("sorts subjects by email", () => {
    const deployment = makeDeployment({
      users: [
        makeUser({ email: "zed@example.com", username: "a-zed", roles: ["cake-admin"] }),
        makeUser({ email: "Bea@example.com", username: "b-bea", roles: ["cake-admin", "cake-user"] }),
        makeUser({ email: "amy@example.com", username: "c-amy", roles: ["cake-admin"] }),
        makeUser({ email: "old@example.com", username: "d-old", roles: ["cake-admin"], disabled: true }),
        makeUser({ email: "user@example.com", username: "e-user", roles: ["cake-user"] }),
      ],
    });
    const binding = getObject(generateDeployment(deployment), {
      ...CLUSTER_ROLE_BINDING,
      name: "cake-admin",
    });
    expect((binding.subjects as { name: string }[]).map((subject) => subject.name)).toEqual([
      "Bea@example.com",
      "amy@example.com",
      "zed@example.com",
    ]);
  });

  it("omits subjects without admins", () => {
    const deployment = makeDeployment({ users: [makeUser({ email: "user@example.com", username: "user" })] });
    const binding = getObject(generateDeployment(deployment), {
      ...CLUSTER_ROLE_BINDING,
      name: "cake-admin",
    });
    expect(binding).not.toHaveProperty("subjects");
  });
});
