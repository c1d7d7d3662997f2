import { describe, expect, it } from "vitest";
import { codes, load, positionOf, single, usersYaml, userYaml, varsYaml } from "./helpers.js";

function withUser(fields: Record<string, string>, namespaces = "[team-a, team-b]"): string {
  return varsYaml({
    users: usersYaml(`  deploy_namespaces: ${namespaces}\n`, [
      userYaml({ email: "alice@example.com", username: "alice", ...fields }),
    ]),
  });
}

describe("roles", () => {
  it("unknown role is an error", () => {
    const text = withUser({ roles: "[admin]" });

    const diagnostic = single(load(text), "invalid-role");

    expect(diagnostic).toMatchObject({
      severity: "error",
      path: "users.users[0].roles[0]",
      ...positionOf(text, "admin"),
    });
    expect(diagnostic.message).toContain("cake-admin, cake-user");
  });

  it("role in other case suggests the role", () => {
    const text = withUser({ roles: "[Cake-Admin, cake_user]" });

    const diagnostics = load(text).diagnostics;

    expect(diagnostics.map((item) => item.code)).toEqual(["invalid-role", "invalid-role"]);
    expect(diagnostics[0]?.message).toContain('did you mean "cake-admin"?');
    expect(diagnostics[1]?.message).toContain('did you mean "cake-user"?');
  });

  it("unrelated role gets no suggestion", () => {
    const text = withUser({ roles: "[owner]" });

    expect(single(load(text), "invalid-role").message).not.toContain("did you mean");
  });

  it("role without prefix suggests the role", () => {
    const text = withUser({ roles: "[admin]" });

    expect(single(load(text), "invalid-role").message).toContain('did you mean "cake-admin"?');
  });

  it("empty roles is an error", () => {
    const text = withUser({ roles: "[]" });

    expect(single(load(text), "empty-roles")).toMatchObject({
      path: "users.users[0].roles",
      ...positionOf(text, "[]"),
    });
  });

  it("missing roles is a missing key", () => {
    const text = withUser({});

    expect(single(load(text), "missing-key").path).toBe("users.users[0].roles");
  });

  it("duplicate role is an error", () => {
    const text = withUser({ roles: "[cake-user, cake-admin, cake-user]" });

    expect(single(load(text), "duplicate-role")).toMatchObject({
      path: "users.users[0].roles[2]",
      ...positionOf(text, "cake-user", 2),
    });
  });

  it("both roles are valid", () => {
    const result = load(withUser({ roles: "[cake-user, cake-admin]" }));

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.users[0]?.roles).toEqual(["cake-admin", "cake-user"]);
  });
});

describe("allowed namespaces", () => {
  it("undeclared namespace is an error with a suggestion", () => {
    const text = withUser({ roles: "[cake-user]", allowed_namespaces: "[team-a, taem-b]" });

    const diagnostic = single(load(text), "unknown-namespace");

    expect(diagnostic).toMatchObject({
      path: "users.users[0].allowed_namespaces[1]",
      ...positionOf(text, "taem-b"),
    });
    expect(diagnostic.message).toContain('"team-b"');
  });

  it.each([
    ["team-a:view", "write {name: team-a, access: view}"],
    ["team-a:View", "write {name: team-a, access: view}"],
    ["taem-a:view", "write {name: team-a, access: view}"],
    ["team-a:edit", "write team-a (a plain name grants edit access)"],
  ])("import access syntax %s gets its vars form", (grant, fix) => {
    const text = withUser({ roles: "[cake-user]", allowed_namespaces: `[${grant}]` });

    const diagnostic = single(load(text), "unknown-namespace");

    expect(diagnostic.message).toContain(fix);
    expect(diagnostic.message).not.toContain("did you mean");
  });

  it("suspects a declaration no grant names", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a, ml-stagin]\n", [
        userYaml({
          email: "alice@example.com",
          username: "alice",
          roles: "[cake-user]",
          allowed_namespaces: "[ml-staging]",
        }),
        userYaml({
          email: "bob@example.com",
          username: "bob",
          roles: "[cake-user]",
          allowed_namespaces: "[ml-staging]",
        }),
      ]),
    });

    const diagnostics = load(text).diagnostics.filter((item) => item.code === "unknown-namespace");

    expect(diagnostics).toHaveLength(2);
    expect(diagnostics[0]?.message).toContain('did you mean "ml-stagin"?');
    expect(diagnostics[0]?.message).toContain(
      'No grant names "ml-stagin" and 2 grants name "ml-staging", so the declaration may be the misspelled one',
    );
  });

  it("keeps the plain suggestion for a granted name", () => {
    const text = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-a]\n", [
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
          allowed_namespaces: "[taem-a]",
        }),
      ]),
    });

    const diagnostic = single(load(text), "unknown-namespace");

    expect(diagnostic.message).toContain('did you mean "team-a"?');
    expect(diagnostic.message).not.toContain("misspelled");
  });

  it("suggests no invalid declared name", () => {
    const text = withUser({ roles: "[cake-user]", allowed_namespaces: "[team-c]" }, "[Team-C]");

    const diagnostic = load(text).diagnostics.find((item) => item.code === "unknown-namespace");

    expect(diagnostic?.message).not.toContain("did you mean");
    expect(diagnostic?.message).toContain("declare it in users.deploy_namespaces");
  });

  it("undeclared object-form namespace points at its name", () => {
    const text = withUser({ roles: "[cake-user]", allowed_namespaces: "[{name: ml-prod, access: view}]" });

    expect(single(load(text), "unknown-namespace")).toMatchObject({
      path: "users.users[0].allowed_namespaces[0].name",
      ...positionOf(text, "ml-prod"),
    });
  });

  it("namespaces from the deprecated key count as declared", () => {
    const text = varsYaml({
      users: usersYaml("  deployments: [team-a]\n", [
        userYaml({
          email: "alice@example.com",
          username: "alice",
          roles: "[cake-user]",
          allowed_namespaces: "[team-a]",
        }),
      ]),
    });

    expect(codes(load(text))).toEqual(["deprecated-key"]);
  });

  it("duplicate grant is an error", () => {
    const text = withUser({
      roles: "[cake-user]",
      allowed_namespaces: "[team-a, {name: team-a, access: view}]",
    });

    expect(single(load(text), "duplicate-grant")).toMatchObject({
      path: "users.users[0].allowed_namespaces[1].name",
      ...positionOf(text, "team-a", 3),
    });
  });

  it("invalid access is an error", () => {
    const text = withUser({ roles: "[cake-user]", allowed_namespaces: "[{name: team-a, access: admin}]" });

    const diagnostic = single(load(text), "invalid-access");

    expect(diagnostic).toMatchObject({
      path: "users.users[0].allowed_namespaces[0].access",
      ...positionOf(text, "admin"),
    });
    expect(diagnostic.message).toContain("edit, view");
  });

  it("plain name gives edit and object gives its access", () => {
    const result = load(
      withUser({ roles: "[cake-user]", allowed_namespaces: "[team-b, {name: team-a, access: view}]" }),
    );

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.users[0]?.allowedNamespaces).toEqual([
      { namespace: "team-a", access: "view" },
      { namespace: "team-b", access: "edit" },
    ]);
  });

  it("object without access defaults to edit", () => {
    const result = load(withUser({ roles: "[cake-user]", allowed_namespaces: "[{name: team-a}]" }));

    expect(result.deployment?.users[0]?.allowedNamespaces).toEqual([{ namespace: "team-a", access: "edit" }]);
  });
});

describe("grants beside the older key", () => {
  it("names users.deployments as the cause", () => {
    const text = withUser(
      { roles: "[cake-user]", allowed_namespaces: "[team-a, team-old]" },
      "[team-a]\n  deployments: [team-old]",
    );

    const diagnostic = single(load(text), "unknown-namespace");

    expect(codes(load(text))).toContain("conflicting-keys");
    expect(diagnostic.message).toContain(
      "users.deployments is not read while users.deploy_namespaces is set",
    );
    expect(diagnostic.message).not.toContain("remove the grant");
  });
});
