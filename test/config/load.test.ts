import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadVarsFile, loadVarsText } from "../../src/config/load.js";
import { codes, fixtureText, load, positionOf, usersYaml, userYaml, varsYaml } from "./helpers.js";

describe("loadVarsText", () => {
  it("builds the model of the AWS fixture", () => {
    const result = loadVarsText(fixtureText("prod-us-east-1.yaml"), {
      file: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/prod-us-east-1",
    });
    const deployment = result.deployment;

    expect(result.diagnostics).toEqual([]);
    expect(deployment?.name).toBe("prod-us-east-1");
    expect(deployment?.varsFile).toBe("vars/prod-us-east-1.yaml");
    expect(deployment?.outputPath).toBe("deployments/prod-us-east-1");
    expect(deployment?.users.map((user) => user.username)).toEqual(["asmith", "bjones", "cwu"]);
    expect(deployment?.deployNamespaces.map((namespace) => namespace.name)).toEqual([
      "ml-prod",
      "ml-staging",
    ]);
    expect(deployment?.deployNamespaces[0]).toEqual({
      name: "ml-prod",
      resourceQuota: { "requests.cpu": "64", "requests.memory": "256Gi", "requests.nvidia.com/gpu": "8" },
      awsPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
      gcpRoles: [],
    });
    expect(deployment?.users[1]).toEqual({
      email: "bob@example.com",
      username: "bjones",
      roles: ["cake-user"],
      disabled: false,
      allowedNamespaces: [
        { namespace: "ml-prod", access: "view" },
        { namespace: "ml-staging", access: "edit" },
      ],
    });
    expect(deployment?.users[2]?.disabled).toBe(true);
    expect(deployment?.cloud.aws?.roleNamePrefix).toBe("cake-prod-use1-");
    expect(deployment?.cloud.aws?.permissionsBoundaryArn).toBe(
      "arn:aws:iam::123456789012:policy/cake-boundary",
    );
  });

  it("fills Kubeflow defaults", () => {
    const kubeflow = load(varsYaml()).deployment?.kubeflow;

    expect(kubeflow?.useridHeader).toBe("kubeflow-userid");
    expect(kubeflow?.useridPrefix).toBe("");
    expect(kubeflow?.gatewayPrincipals).toEqual([
      "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account",
      "cluster.local/ns/kubeflow/sa/ml-pipeline-ui",
    ]);
    expect(kubeflow?.namespaceLabels["istio-injection"]).toBe("enabled");
    expect(Object.keys(kubeflow?.namespaceLabels ?? {})).toEqual(
      Object.keys(kubeflow?.namespaceLabels ?? {}).sort(),
    );
  });

  it("reordered users and keys give the same model", () => {
    const first = varsYaml({
      users: usersYaml("  deploy_namespaces: [team-b, team-a]\n", [
        userYaml({
          email: "zoe@example.com",
          username: "zoe",
          roles: "[cake-user, cake-admin]",
          allowed_namespaces: "[team-b, team-a]",
        }),
        userYaml({ email: "adam@example.com", username: "adam", roles: "[cake-user]" }),
      ]),
    });
    const second = [
      "users:",
      "  users:",
      "    - username: adam",
      "      roles: [cake-user]",
      "      email: adam@example.com",
      "    - allowed_namespaces: [team-a, team-b]",
      "      roles: [cake-admin, cake-user]",
      "      username: zoe",
      "      email: zoe@example.com",
      "  deploy_namespaces: [team-a, team-b]",
      "gitops:",
      "  repo_url: https://git.example.com/platform/ops.git",
      "kubeflow:",
      "  profile_owner: platform@example.com",
      "region: us-east-1",
      "environment: prod",
      "",
    ].join("\n");

    const a = load(first);
    const b = load(second);

    expect(a.diagnostics).toEqual([]);
    expect(b.diagnostics).toEqual([]);
    expect(JSON.stringify(b.deployment)).toBe(JSON.stringify(a.deployment));
  });

  it("reports many errors of one file together", () => {
    const text = varsYaml({
      top: "environment: prod\nregion: us-east-2\n",
      kubeflow: "kubeflow:\n  profile_owner: platform\n",
      users: usersYaml("  deploy_namespaces: [kubeflow, Team_A]\n", [
        userYaml({
          email: "speech",
          username: "alice.smith",
          roles: "[admin]",
          allowed_namespaces: "[team-z]",
        }),
        userYaml({ email: "bob@example.com", username: "007", roles: "[]", disabled: "maybe" }),
        userYaml({ email: "bob@example.com", username: "bob", roles: "[cake-user]", colour: "blue" }),
      ]),
    });

    const result = load(text);

    expect(new Set(codes(result))).toEqual(
      new Set([
        "file-name-mismatch",
        "invalid-email",
        "reserved-namespace",
        "invalid-dns-label",
        "invalid-role",
        "unknown-namespace",
        "wrong-type",
        "empty-roles",
        "duplicate-email",
        "unknown-key",
      ]),
    );
    expect(result.diagnostics.length).toBeGreaterThanOrEqual(12);
    expect(result.deployment).toBeUndefined();
  });

  it("sorts diagnostics by position", () => {
    const result = load(
      varsYaml({
        kubeflow: "kubeflow:\n  profile_owner: platform\n",
        users: usersYaml("  deploy_namespaces: [kubeflow]\n", [
          userYaml({ email: "x", username: "x", roles: "[cake-user]" }),
        ]),
      }),
    );

    const lines = result.diagnostics.map((diagnostic) => diagnostic.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it("warnings keep the deployment", () => {
    const result = load(
      varsYaml({
        users: usersYaml("  deploy_namespaces: []\n", [
          userYaml({ email: "Alice@example.com", username: "alice", roles: "[cake-user]" }),
        ]),
      }),
    );

    expect(codes(result)).toEqual(["email-uppercase"]);
    expect(result.deployment?.users[0]?.email).toBe("Alice@example.com");
  });

  it("returns the document with comments", () => {
    const result = load(`# ops vars\n${varsYaml()}`);

    expect(String(result.document)).toContain("# ops vars");
  });

  it("uses the file path verbatim", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: platform\n" });

    const result = loadVarsText(text, {
      file: "./some/where/prod-us-east-1.yaml",
      outputPath: "out/prod-us-east-1",
    });

    expect(result.diagnostics[0]?.file).toBe("./some/where/prod-us-east-1.yaml");
    expect(result.diagnostics[0]).toMatchObject(positionOf(text, "platform\n"));
  });

  it("expected name overrides the file name", () => {
    const result = loadVarsText(varsYaml(), {
      file: "stdin",
      outputPath: "out",
      expectedName: "prod-us-east-1",
    });

    expect(result.diagnostics).toEqual([]);
  });

  it("file name without expected name must match", () => {
    const result = loadVarsText(varsYaml(), { file: "vars/prod.yaml", outputPath: "out" });

    expect(codes(result)).toEqual(["file-name-mismatch"]);
  });
});

describe("loadVarsFile", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "cake-load-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads a file from disk", async () => {
    const file = path.join(dir, "prod-us-east-1.yaml");
    await writeFile(file, varsYaml());

    const result = await loadVarsFile(file, {
      file: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/prod-us-east-1",
    });

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.outputPath).toBe("deployments/prod-us-east-1");
    expect(result.text).toBe(varsYaml());
  });

  it("missing file is a diagnostic", async () => {
    const result = await loadVarsFile(path.join(dir, "nope.yaml"), {
      file: "vars/nope.yaml",
      outputPath: "out",
    });

    expect(result.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "file-not-found",
        file: "vars/nope.yaml",
        line: 0,
        column: 0,
      }),
    ]);
    expect(result.deployment).toBeUndefined();
  });

  it("folder in place of a file is unreadable", async () => {
    await mkdir(path.join(dir, "prod-us-east-1.yaml"));

    const result = await loadVarsFile(path.join(dir, "prod-us-east-1.yaml"), {
      file: "vars/prod-us-east-1.yaml",
      outputPath: "out",
    });

    expect(codes(result)).toEqual(["file-unreadable"]);
  });

  it.runIf(process.platform !== "win32")("a named pipe is unreadable, not read", async () => {
    const file = path.join(dir, "prod-us-east-1.yaml");
    execFileSync("mkfifo", [file]);

    const result = await loadVarsFile(file, { file: "vars/prod-us-east-1.yaml", outputPath: "out" });

    expect(codes(result)).toEqual(["file-unreadable"]);
  });

  it("folder in place of the file is unreadable", async () => {
    // A folder fails to read for root too, which a file without read permission does not.
    const file = path.join(dir, "prod-us-east-1.yaml");
    await mkdir(file);

    const result = await loadVarsFile(file, { file: "vars/prod-us-east-1.yaml", outputPath: "out" });

    expect(codes(result)).toEqual(["file-unreadable"]);
    expect(result.diagnostics[0]?.message).toContain(
      "is not a regular file (a folder, a named pipe or a device)",
    );
  });
});
