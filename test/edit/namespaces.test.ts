import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EditError } from "../../src/edit/errors.js";
import {
  addDeployNamespace,
  removeDeployNamespace,
  usersGrantedNamespace,
} from "../../src/edit/namespaces.js";
import { revokeNamespace } from "../../src/edit/users.js";
import { expectValid, lineDiff, readFixture } from "./helpers.js";

const commented = readFixture("dev-eu-west-1.yaml");
const flow = readFixture("qa-us-east-1.yaml");

function editErrorCode(edit: () => string): string | undefined {
  try {
    edit();
  } catch (error) {
    return error instanceof EditError ? error.code : "not an EditError";
  }
  return undefined;
}

describe("addDeployNamespace", () => {
  it("appends a plain name", () => {
    const after = addDeployNamespace(commented, { name: "fraud", resourceQuota: {} });
    expect(lineDiff(commented, after)).toEqual({ removed: [], added: ["25:     - fraud"] });
    expect(expectValid(after).deployNamespaces.map((namespace) => namespace.name)).toContain("fraud");
  });

  it("appends an object with a quota", () => {
    const after = addDeployNamespace(commented, {
      name: "fraud",
      resourceQuota: { "requests.cpu": "16", "limits.memory": "64Gi" },
    });
    expect(lineDiff(commented, after)).toEqual({
      removed: [],
      added: [
        "25:     - name: fraud",
        "26:       resource_quota:",
        '27:         requests.cpu: "16"',
        "28:         limits.memory: 64Gi",
      ],
    });
    const namespace = expectValid(after).deployNamespaces.find((each) => each.name === "fraud");
    expect(namespace?.resourceQuota).toEqual({ "limits.memory": "64Gi", "requests.cpu": "16" });
  });

  it("appends to a flow list in flow style", () => {
    const after = addDeployNamespace(flow, { name: "fraud", resourceQuota: { pods: "10" } });
    expect(lineDiff(flow, after).added).toEqual([
      '10:   deploy_namespaces: [ml-staging, {name: ml-prod, resource_quota: {requests.cpu: "8"}}, {name: fraud, resource_quota: {pods: "10"}}]',
    ]);
    expectValid(after, "vars/qa-us-east-1.yaml");
  });

  it("rejects an existing name", () => {
    expect(editErrorCode(() => addDeployNamespace(commented, { name: "team-a", resourceQuota: {} }))).toBe(
      "duplicate-namespace",
    );
  });
});

describe("removeDeployNamespace", () => {
  it.each([
    ["a commented block file", commented, "team-a"],
    ["a flow-style file", flow, "ml-staging"],
    [
      "the example",
      readFileSync(new URL("../../examples/ops/vars/prod-us-east-1.yaml", import.meta.url), "utf8"),
      "ml-staging",
    ],
  ])("revokes every grant as one revoke at a time would: %s", (_name, text, namespace) => {
    let oneByOne = text;
    for (const email of usersGrantedNamespace(text, namespace))
      oneByOne = revokeNamespace(oneByOne, { email }, namespace);
    oneByOne = removeDeployNamespace(oneByOne, namespace);

    expect(usersGrantedNamespace(text, namespace).length).toBeGreaterThan(0);
    expect(removeDeployNamespace(text, namespace, { revokeGrants: true })).toBe(oneByOne);
  });

  it("refuses while users have grants", () => {
    expect(editErrorCode(() => removeDeployNamespace(commented, "team-a"))).toBe("namespace-in-use");
  });

  it("revokes grants then removes the entry", () => {
    const after = removeDeployNamespace(commented, "team-a", { revokeGrants: true });
    expect(lineDiff(commented, after)).toEqual({
      removed: [
        "24:     - 'team-a'                    # single-quoted",
        "48:       allowed_namespaces:",
        "49:         - team-a",
        "55:       allowed_namespaces: [ml-staging, {name: team-a, access: view}]",
      ],
      added: ["47:       allowed_namespaces: []", "53:       allowed_namespaces: [ml-staging]"],
    });
    expectValid(after);
  });

  it("removes an object entry with its quota", () => {
    const withSpare = addDeployNamespace(commented, { name: "spare", resourceQuota: { pods: "4" } });
    const after = removeDeployNamespace(withSpare, "spare");
    expect(after).toBe(commented);
  });

  it("rejects an unknown name", () => {
    expect(editErrorCode(() => removeDeployNamespace(commented, "nope"))).toBe("unknown-namespace");
  });
});
