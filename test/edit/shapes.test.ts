import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isSeq } from "yaml";
import { VarsDocument } from "../../src/edit/document.js";
import { EditError } from "../../src/edit/errors.js";
import { addDeployNamespace, removeDeployNamespace } from "../../src/edit/namespaces.js";
import { addUser, grantNamespace, revokeNamespace, setRoles, setUserDisabled } from "../../src/edit/users.js";
import { expectValid, FIXTURES, lineDiff } from "./helpers.js";

const HEADER = `environment: dev
region: eu-west-1
kubeflow:
  profile_owner: kubeflow-platform@example.com
cloud:
  provider: none
gitops:
  repo_url: https://git.example.com/platform/ops.git
`;

const EXAMPLES = path.join(FIXTURES, "..", "..", "..", "examples", "ops", "vars");

function varsFiles(): { name: string; text: string }[] {
  const folders = [FIXTURES, EXAMPLES];
  const files = folders.flatMap((folder) =>
    readdirSync(folder)
      .filter((file) => file.endsWith(".yaml"))
      .map((file) => ({ name: file, text: readFileSync(path.join(folder, file), "utf8") })),
  );
  // The same files with CRLF line breaks and a byte order mark, as editors on Windows save them.
  const windows = files.map(({ name, text }) => ({
    name: `${name} (CRLF, BOM)`,
    text: `\uFEFF${text.replace(/\n/g, "\r\n")}`,
  }));
  return [...files, ...windows];
}

describe("edits that undo each other", () => {
  for (const { name, text } of varsFiles()) {
    it(`disable then enable restores ${name}`, () => {
      const vars = new VarsDocument(text);
      for (const { entry } of vars.userEntries()) {
        // Enabling removes the key, so only users without one come back byte for byte.
        if (entry.has("disabled")) continue;
        const username = String(entry.get("username"));
        const disabled = setUserDisabled(text, { username }, true);
        expect(disabled).not.toBe(text);
        expect(setUserDisabled(disabled, { username }, false)).toBe(text);
      }
    });

    it(`grant then revoke restores ${name}`, () => {
      const vars = new VarsDocument(text);
      const namespaces = vars.deployNamespaceEntries().map((entry) => entry.name);
      for (const { entry } of vars.userEntries()) {
        const username = String(entry.get("username"));
        const list = entry.get("allowed_namespaces");
        const granted = JSON.stringify(isSeq(list) ? list.toJSON() : []);
        // Only users with grants: revoking the last grant of a block list leaves `[]`.
        for (const namespace of namespaces) {
          if (granted.includes(`"${namespace}"`) || granted === "[]") continue;
          const after = grantNamespace(text, { username }, { namespace, access: "view" });
          expect(revokeNamespace(after, { username }, namespace)).toBe(text);
        }
      }
    });
  }
});

describe("indentless block lists", () => {
  // Items in the column of their key, as Go YAML encoders write them.
  const text = `${HEADER}users:
  deploy_namespaces:
  - team-a
  - team-b
  users:
  - email: ann@example.com
    username: ann
    roles:
    - cake-user
  - email: ben@example.com
    username: ben
    roles:
    - cake-user
    allowed_namespaces:
    - team-a
`;

  it("adds a key after a list value", () => {
    const disabled = setUserDisabled(text, { username: "ben" }, true);

    expect(lineDiff(text, disabled).added).toEqual(["24:     disabled: true"]);
    expect(expectValid(disabled).users.find((user) => user.username === "ben")?.disabled).toBe(true);
  });

  it("grants after an indentless roles list", () => {
    const granted = grantNamespace(text, { username: "ann" }, { namespace: "team-b", access: "edit" });

    expect(lineDiff(text, granted).added).toEqual(["18:     allowed_namespaces:", "19:     - team-b"]);
    expectValid(granted);
  });

  it("grants into an indentless list", () => {
    const granted = grantNamespace(text, { username: "ben" }, { namespace: "team-b", access: "view" });

    expect(expectValid(granted).users.find((user) => user.username === "ben")?.allowedNamespaces).toEqual([
      { namespace: "team-a", access: "edit" },
      { namespace: "team-b", access: "view" },
    ]);
  });
});

describe("indentless block lists with 4 spaces", () => {
  // Mappings indented by 4 and sequence items in the column of their key.
  const text = `${HEADER.replace(/^ {2}/gm, "    ")}users:
    deploy_namespaces:
    - team-a
    users:
    -   email: ann@example.com
        username: ann
        roles:
        - cake-user
        allowed_namespaces:
        - team-a
`;

  it("adds a user with lists in the key column", () => {
    const after = addUser(text, {
      email: "ben@example.com",
      username: "ben",
      roles: ["cake-user"],
      grants: [{ namespace: "team-a", access: "view" }],
    });

    expect(lineDiff(text, after).added).toEqual([
      "19:     -   email: ben@example.com",
      "20:         username: ben",
      "21:         roles:",
      "22:         - cake-user",
      "23:         allowed_namespaces:",
      "24:         - name: team-a",
      "25:           access: view",
    ]);
    expect(expectValid(after).users.map((user) => user.username)).toEqual(["ann", "ben"]);
  });
});

describe("sparse documents", () => {
  it("fills an empty users list with a block item", () => {
    const text = `${HEADER}users:\n  deploy_namespaces: [team-a]\n  users: []   # nobody yet\n`;
    const after = addUser(text, { email: "a@example.com", username: "a", roles: ["cake-user"], grants: [] });
    expect(lineDiff(text, after)).toEqual({
      removed: ["11:   users: []   # nobody yet"],
      added: [
        "11:   users:   # nobody yet",
        "12:     - email: a@example.com",
        "13:       username: a",
        "14:       roles: [cake-user]",
      ],
    });
    expectValid(after);
  });

  it("adds allowed_namespaces to a user without it", () => {
    const text = `${HEADER}users:\n  deploy_namespaces: [team-a]\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]\n`;
    const after = grantNamespace(text, { username: "a" }, { namespace: "team-a", access: "edit" });
    expect(lineDiff(text, after)).toEqual({ removed: [], added: ["15:       allowed_namespaces: [team-a]"] });
    expectValid(after);
  });

  it("adds deploy_namespaces when missing", () => {
    const text = `${HEADER}users:\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]\n`;
    const after = addDeployNamespace(text, { name: "team-a", resourceQuota: {} });
    expect(lineDiff(text, after)).toEqual({ removed: [], added: ["14:   deploy_namespaces: [team-a]"] });
    expect(expectValid(after).deployNamespaces.map((namespace) => namespace.name)).toEqual(["team-a"]);
  });

  it("follows flow mappings in block grant lists", () => {
    const text = `${HEADER}users:\n  deploy_namespaces: [team-a, team-b]\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]\n      allowed_namespaces:\n        - {name: team-a, access: view}\n`;
    const after = grantNamespace(text, { username: "a" }, { namespace: "team-b", access: "view" });
    expect(lineDiff(text, after).added).toEqual(["17:         - {name: team-b, access: view}"]);
    expectValid(after);
  });

  it("keeps a missing final line break working", () => {
    const text = `${HEADER}users:\n  deploy_namespaces: [team-a]\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]`;
    const after = addUser(text, { email: "b@example.com", username: "b", roles: ["cake-user"], grants: [] });
    // The last line gets its missing line break, then the new entry follows.
    expect(after.startsWith(`${text}\n`)).toBe(true);
    expect(lineDiff(text, after).added).toEqual([
      "15:     - email: b@example.com",
      "16:       username: b",
      "17:       roles: [cake-user]",
      "18: ",
    ]);
    expectValid(after);
  });

  it("keeps a byte order mark and CRLF", () => {
    const text = `\uFEFF${readFileSync(path.join(FIXTURES, "dev-eu-west-1.yaml"), "utf8").replace(/\n/g, "\r\n")}`;
    const after = addUser(text, { email: "e@example.com", username: "e", roles: ["cake-user"], grants: [] });
    expect(after.startsWith("\uFEFF# Development")).toBe(true);
    expect(after.replace(/\r\n/g, "")).not.toContain("\n");
    expect(expectValid(after).users.map((user) => user.username)).toContain("e");
  });

  it("rejects lists shared through an alias", () => {
    const text = `${HEADER}users:\n  deploy_namespaces: [team-a, team-b]\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]\n      allowed_namespaces: &shared [team-a]\n    - email: b@example.com\n      username: b\n      roles: [cake-user]\n      allowed_namespaces: *shared\n`;
    expectValid(text);
    for (const username of ["a", "b"]) {
      const ref = { username };
      expect(() => grantNamespace(text, ref, { namespace: "team-b", access: "edit" })).toThrow(
        /anchor or alias/,
      );
      expect(() => grantNamespace(text, ref, { namespace: "team-a", access: "view" })).toThrow(
        /anchor or alias/,
      );
      expect(() => revokeNamespace(text, ref, "team-a")).toThrow(/anchor or alias/);
    }
  });

  it("uses the older deployments key", () => {
    const text = `${HEADER}users:\n  deployments: [team-a]\n  users: []\n`;
    const after = addDeployNamespace(text, { name: "team-b", resourceQuota: {} });
    expect(after).toContain("deployments: [team-a, team-b]");
  });
});

describe("items with an anchor or a tag", () => {
  // The node's range starts after `&name` or `!!str`, so the item's `-` lies before them.
  it("appends after an anchored or tagged name", () => {
    for (const last of ["&c team-c", "!!str team-c"]) {
      const text = `${HEADER}users:\n  deploy_namespaces:\n    - team-a\n    - ${last}\n  users: []\n`;
      const after = addDeployNamespace(text, { name: "team-z", resourceQuota: {} });

      expect(lineDiff(text, after)).toEqual({ removed: [], added: ["13:     - team-z"] });
      expect(expectValid(after).deployNamespaces.map((namespace) => namespace.name)).toEqual([
        "team-a",
        "team-c",
        "team-z",
      ]);
    }
  });

  it("grants after an anchored grant map", () => {
    const text = `${HEADER}users:\n  deploy_namespaces: [team-a, team-b]\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]\n      allowed_namespaces:\n        - &view-a {name: team-a, access: view}\n    - email: b@example.com\n      username: b\n      roles: [cake-user]\n      allowed_namespaces: [*view-a]\n`;
    const after = grantNamespace(text, { username: "a" }, { namespace: "team-b", access: "view" });

    expect(lineDiff(text, after).added).toEqual(["17:         - {name: team-b, access: view}"]);
    expect(expectValid(after).users.find((user) => user.username === "a")?.allowedNamespaces).toEqual([
      { namespace: "team-a", access: "view" },
      { namespace: "team-b", access: "view" },
    ]);
  });

  it("grants after an anchored block grant map", () => {
    const text = `${HEADER}users:\n  deploy_namespaces: [team-a, team-b]\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]\n      allowed_namespaces:\n        - &view-a\n          name: team-a\n          access: view\n`;
    const after = grantNamespace(text, { username: "a" }, { namespace: "team-b", access: "view" });

    expect(lineDiff(text, after).added).toEqual(["19:         - name: team-b", "20:           access: view"]);
    expectValid(after);
  });
});

describe("grants written as aliases", () => {
  // The loader reads `*a` as the value of `&a`, so `[*a]` grants team-a.
  const text = `${HEADER}users:\n  deploy_namespaces:\n    - &a team-a\n    - team-b\n  users:\n    - email: a@example.com\n      username: a\n      roles: [cake-user]\n      allowed_namespaces: [*a, team-b]\n    - email: b@example.com\n      username: b\n      roles: [cake-user]\n      allowed_namespaces:\n        - *a\n`;

  it("revokes an alias grant", () => {
    const after = revokeNamespace(text, { username: "a" }, "team-a");

    expect(lineDiff(text, after).added).toEqual(["17:       allowed_namespaces: [team-b]"]);
    expect(expectValid(after).users.find((user) => user.username === "a")?.allowedNamespaces).toEqual([
      { namespace: "team-b", access: "edit" },
    ]);
  });

  it("changes the access of an alias grant", () => {
    const flow = grantNamespace(text, { username: "a" }, { namespace: "team-a", access: "view" });
    const block = grantNamespace(text, { username: "b" }, { namespace: "team-a", access: "view" });

    expect(lineDiff(text, flow).added).toEqual([
      "17:       allowed_namespaces: [{name: team-a, access: view}, team-b]",
    ]);
    expect(lineDiff(text, block).added).toEqual(["22:         - name: team-a", "23:           access: view"]);
    expect(expectValid(block).users.find((user) => user.username === "b")?.allowedNamespaces).toEqual([
      { namespace: "team-a", access: "view" },
    ]);
  });

  it("keeps an alias grant with the same access", () => {
    expect(grantNamespace(text, { username: "b" }, { namespace: "team-a", access: "edit" })).toBe(text);
  });

  it("replaces roles written as an alias", () => {
    const roles = text
      .replace(
        "roles: [cake-user]\n      allowed_namespaces: [*a",
        "roles: [&user cake-user]\n      allowed_namespaces: [*a",
      )
      .replace(
        "roles: [cake-user]\n      allowed_namespaces:\n",
        "roles: [*user]\n      allowed_namespaces:\n",
      );
    expectValid(roles);
    const after = setRoles(roles, { username: "b" }, ["cake-admin"]);

    expect(lineDiff(roles, after).added).toEqual(["20:       roles: [cake-admin]"]);
    expect(expectValid(after).users.find((user) => user.username === "b")?.roles).toEqual(["cake-admin"]);
  });

  it("removes a namespace with its alias grants", () => {
    expect(() => removeDeployNamespace(text, "team-a")).toThrow(
      /still granted to a@example.com, b@example.com/,
    );
    const after = removeDeployNamespace(text, "team-a", { revokeGrants: true });

    expect(lineDiff(text, after).removed).toEqual([
      "11:     - &a team-a",
      "17:       allowed_namespaces: [*a, team-b]",
      "21:       allowed_namespaces:",
      "22:         - *a",
    ]);
    expect(expectValid(after).deployNamespaces.map((namespace) => namespace.name)).toEqual(["team-b"]);
  });
});

describe("quoted keys", () => {
  // Keys quoted as JSON writes them; new keys follow the keys of the mapping they join.
  const text = `${HEADER}users:\n  deploy_namespaces: [team-a, team-b]\n  users:\n    - "email": a@example.com\n      "username": a\n      "roles": [cake-user]\n      "allowed_namespaces":\n        - team-a\n`;

  it("adds a user with quoted keys", () => {
    const after = addUser(text, {
      email: "b@example.com",
      username: "b",
      roles: ["cake-user"],
      grants: [{ namespace: "team-b", access: "view" }],
    });

    expect(lineDiff(text, after).added).toEqual([
      '17:     - "email": b@example.com',
      '18:       "username": b',
      '19:       "roles": [cake-user]',
      '20:       "allowed_namespaces":',
      '21:         - "name": team-b',
      '22:           "access": view',
    ]);
    expectValid(after);
  });

  it("adds a key quoted as its neighbours", () => {
    const after = setUserDisabled(text, { username: "a" }, true);

    expect(lineDiff(text, after).added).toEqual(['17:       "disabled": true']);
    expect(expectValid(after).users[0]?.disabled).toBe(true);
  });

  it("grants with quoted map keys", () => {
    const after = grantNamespace(text, { username: "a" }, { namespace: "team-b", access: "view" });

    expect(lineDiff(text, after).added).toEqual([
      '17:         - "name": team-b',
      '18:           "access": view',
    ]);
    expectValid(after);
  });
});

describe("anchors that aliases elsewhere use", () => {
  // User a's grant of team-b defines &b-view, and user b's grant is its alias.
  const text = `${HEADER}users:
  deploy_namespaces:
    - team-a
    - name: team-b
      resource_quota: &standard
        requests.cpu: "4"
    - name: team-c
      resource_quota: *standard
  users:
    - email: a@example.com
      username: a
      roles: [cake-user]
      disabled: &active false
      allowed_namespaces:
        - team-a
        - &b-view
          name: team-b
          access: view
    - email: b@example.com
      username: b
      roles: [cake-user]
      disabled: *active
      allowed_namespaces:
        - *b-view
`;

  it("rejects revoking an anchored grant", () => {
    expectValid(text);
    expect(() => revokeNamespace(text, { username: "a" }, "team-b")).toThrow(EditError);
    expect(() => revokeNamespace(text, { username: "a" }, "team-b")).toThrow(
      "this change would remove the anchor &b-view (line 24), which the alias *b-view at line 32 uses; " +
        "replace *b-view at line 32 with the value it stands for, then run the command again.",
    );
  });

  it("revokes the alias grant", () => {
    const after = revokeNamespace(text, { username: "b" }, "team-b");
    expect(lineDiff(text, after).removed).toEqual(["31:       allowed_namespaces:", "32:         - *b-view"]);
    expect(expectValid(after).users.find((user) => user.username === "b")?.allowedNamespaces).toEqual([]);
  });

  it("rejects removing an anchored namespace", () => {
    expect(() => removeDeployNamespace(text, "team-b", { revokeGrants: true })).toThrow(
      "this change would remove the anchor &standard (line 13), which the alias *standard at line 16 uses",
    );
  });

  it("rejects rewriting an anchored value", () => {
    expect(() => setUserDisabled(text, { username: "a" }, true)).toThrow(
      "this change would rewrite the value of the anchor &active (line 21), which the alias *active at line 30 uses",
    );
  });
});
