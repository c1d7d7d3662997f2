import { describe, expect, it } from "vitest";
import { loadVarsText } from "../../src/config/load.js";
import { isQuotaResourceName } from "../../src/config/rules/resource-quota.js";
import { codes, load, positionOf, single, usersYaml, varsYaml } from "./helpers.js";

function withQuota(entries: string[]): string {
  const quota = entries.map((entry) => `        ${entry}\n`).join("");
  return varsYaml({
    users: usersYaml(`  deploy_namespaces:\n    - name: team-a\n      resource_quota:\n${quota}`, []),
  });
}

describe("resource quota", () => {
  const validKeys = [
    "cpu",
    "memory",
    "pods",
    "services",
    "services.loadbalancers",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "requests.storage",
    "persistentvolumeclaims",
    "requests.ephemeral-storage",
    "count/deployments.apps",
    "count/jobs.batch",
    "count/secrets",
    "requests.nvidia.com/gpu",
    "gold.storageclass.storage.k8s.io/requests.storage",
    "gold.storageclass.storage.k8s.io/persistentvolumeclaims",
    "hugepages-2Mi",
    "requests.hugepages-1Gi",
  ];
  for (const key of validKeys) {
    it(`accepts key ${key}`, () => {
      expect(isQuotaResourceName(key)).toBe(true);
    });
  }

  const invalidKeys = [
    "gpu",
    "requests.gpus",
    "limits.nvidia.com/gpu",
    "nvidia.com/gpu",
    "count/",
    "CPU",
    "requests.cpu.cores",
  ];
  for (const key of invalidKeys) {
    it(`rejects key ${key}`, () => {
      expect(isQuotaResourceName(key)).toBe(false);
    });
  }

  it("invalid key is reported at the key", () => {
    const text = withQuota(['limits.nvidia.com/gpu: "2"']);

    const diagnostic = single(load(text), "invalid-quota-key");

    expect(diagnostic).toMatchObject({
      severity: "error",
      path: "users.deploy_namespaces[0].resource_quota.limits.nvidia.com/gpu",
      ...positionOf(text, "limits.nvidia.com/gpu"),
    });
    expect(diagnostic.message).toContain('"requests.nvidia.com/gpu"');
  });

  it("misspelled key suggests the nearest", () => {
    const diagnostic = single(load(withQuota(["request.cpu: 4"])), "invalid-quota-key");

    expect(diagnostic.message).toContain('"requests.cpu"');
  });

  it("20gi suggests 20Gi", () => {
    const text = withQuota(["requests.memory: 20gi"]);

    const diagnostic = single(load(text), "invalid-quantity");

    expect(diagnostic).toMatchObject({
      path: "users.deploy_namespaces[0].resource_quota.requests.memory",
      ...positionOf(text, "20gi"),
    });
    expect(diagnostic.message).toContain("20Gi");
  });

  it("an unquoted integer too large to load exactly is an error", () => {
    const text = withQuota(["requests.storage: 9007199254740993"]);

    const diagnostic = single(load(text), "invalid-quantity");

    expect(diagnostic).toMatchObject({
      path: "users.deploy_namespaces[0].resource_quota.requests.storage",
      ...positionOf(text, "9007199254740993"),
    });
    expect(diagnostic.message).toContain('quote it: "9007199254740993"');
    expect(load(withQuota(['requests.storage: "9007199254740993"'])).diagnostics).toEqual([]);
  });

  it("1e-400 that loads as 0 is out of range", () => {
    const text = withQuota(["requests.cpu: 1e-400"]);

    const result = load(text);
    const fast = loadVarsText(text, { file: "vars/prod-us-east-1.yaml", outputPath: "x", fast: true });

    expect(codes(result)).toEqual(["invalid-quantity"]);
    expect(result.diagnostics[0]).toMatchObject({
      path: "users.deploy_namespaces[0].resource_quota.requests.cpu",
      ...positionOf(text, "1e-400"),
    });
    expect(result.diagnostics[0]?.message).toBe(
      "1e-400 is out of range: its exponent -400 is outside the range a quantity can hold (-30 to 30), " +
        "and a quantity holds nothing finer than 1n (10^-9); write 0, or 1n for the smallest amount above 0",
    );
    expect(fast.diagnostics.map((item) => item.message)).toEqual([result.diagnostics[0]?.message]);
  });

  it.each([["1.0000000000000000001", "1", 'quote it: "1.0000000000000000001"']])(
    "%s that loads as %s is an error",
    (written, loaded, fix) => {
      const text = withQuota([`requests.cpu: ${written}`]);

      const result = load(text);
      const fast = loadVarsText(text, { file: "vars/prod-us-east-1.yaml", outputPath: "x", fast: true });

      expect(codes(result)).toEqual(["invalid-quantity"]);
      expect(result.diagnostics[0]).toMatchObject({
        path: "users.deploy_namespaces[0].resource_quota.requests.cpu",
        ...positionOf(text, written),
      });
      expect(result.diagnostics[0]?.message).toContain(`${written} loads from YAML as the number ${loaded}`);
      expect(result.diagnostics[0]?.message).toContain(fix);
      expect(fast.diagnostics.map((item) => item.message)).toEqual([result.diagnostics[0]?.message]);
    },
  );

  it.each(["1e3", "1.50", "2.5e-3", "010"])("%s loads as the quantity written", (written) => {
    expect(load(withQuota([`requests.cpu: ${written}`])).diagnostics).toEqual([]);
  });

  it("leading zero and exponent keep their value", () => {
    // Kubernetes reads "010" as 10 and "1e3" as 1000, as the YAML 1.2 core schema does.
    const result = load(withQuota(["pods: 010", "requests.cpu: 1e3"]));

    expect(result.deployment?.deployNamespaces[0]?.resourceQuota).toEqual({
      pods: "10",
      "requests.cpu": "1k",
    });
  });

  const radixNumbers: [written: string, message: string][] = [
    ["0x10", "0x10 is a hexadecimal number (16), but a Kubernetes quantity is decimal only; write 16"],
    ["0o10", "0o10 is an octal number (8), but a Kubernetes quantity is decimal only; write 8"],
    [
      "0xFFFFFFFFFFFFFFFF",
      '0xFFFFFFFFFFFFFFFF is a hexadecimal number (18446744073709551615), but a Kubernetes quantity is decimal only; write "18446744073709551615"',
    ],
  ];
  for (const [written, message] of radixNumbers) {
    it(`${written} is an error with its decimal value`, () => {
      const text = withQuota([`requests.nvidia.com/gpu: ${written}`]);

      const result = load(text);
      const fast = loadVarsText(text, { file: "vars/prod-us-east-1.yaml", outputPath: "x", fast: true });

      expect(codes(result)).toEqual(["invalid-quantity"]);
      expect(result.diagnostics[0]).toMatchObject({
        path: "users.deploy_namespaces[0].resource_quota.requests.nvidia.com/gpu",
        message,
        ...positionOf(text, written),
      });
      expect(fast.diagnostics).toEqual(result.diagnostics);
    });
  }

  it("hexadecimal default is an error", () => {
    const text = varsYaml({
      kubeflow:
        "kubeflow:\n  profile_owner: platform@example.com\n  default_container_resources:\n    limits: {cpu: 0x2}\n",
    });

    expect(single(load(text), "invalid-quantity")).toMatchObject({
      path: "kubeflow.default_container_resources.limits.cpu",
      message: "0x2 is a hexadecimal number (2), but a Kubernetes quantity is decimal only; write 2",
    });
  });

  const nonFinite: [written: string, problem: string][] = [
    [
      "9E990",
      'is out of range: its exponent 990 is outside the range a quantity can hold (-30 to 30); write a smaller value, such as "9e30" at most',
    ],
    ["-9e999", "is out of range: its exponent 999"],
    [".inf", "is not a Kubernetes quantity"],
    [".nan", "is not a Kubernetes quantity"],
  ];
  for (const [written, problem] of nonFinite) {
    it(`${written} gets one error naming it as written`, () => {
      const text = withQuota([`requests.cpu: ${written}`]);

      const result = load(text);

      expect(codes(result)).toEqual(["invalid-quantity"]);
      expect(result.diagnostics[0]).toMatchObject({
        path: "users.deploy_namespaces[0].resource_quota.requests.cpu",
        ...positionOf(text, written),
      });
      expect(result.diagnostics[0]?.message).toContain(`${written} ${problem}`);
      expect(result.diagnostics[0]?.message).not.toMatch(/Infinity|NaN/);
      const fast = loadVarsText(text, { file: "vars/prod-us-east-1.yaml", outputPath: "x", fast: true });
      expect(fast.diagnostics.map((item) => item.message)).toEqual([result.diagnostics[0]?.message]);
    });
  }

  it("a default quantity out of a number's range gets one error", () => {
    const text = varsYaml({
      kubeflow:
        "kubeflow:\n  profile_owner: platform@example.com\n  default_container_resources:\n    limits: {memory: 1e400}\n",
    });

    expect(single(load(text), "invalid-quantity")).toMatchObject({
      path: "kubeflow.default_container_resources.limits.memory",
      ...positionOf(text, "1e400"),
    });
    expect(load(text).diagnostics).toHaveLength(1);
  });

  it("quoted 1e-400 is out of range", () => {
    const diagnostic = single(load(withQuota(['requests.cpu: "1e-400"'])), "invalid-quantity");

    expect(diagnostic.message).toContain('"1e-400" is out of range: its exponent -400');
    expect(diagnostic.message).toContain("write 0, or 1n");
  });

  it("negative quantity is an error", () => {
    expect(single(load(withQuota(["pods: -1"])), "invalid-quantity").path).toBe(
      "users.deploy_namespaces[0].resource_quota.pods",
    );
  });

  it("quantities are stored canonically", () => {
    const result = load(
      withQuota([
        "requests.cpu: 1000m",
        "requests.memory: 1024Mi",
        "limits.cpu: 0.5",
        "limits.memory: 1.5Gi",
      ]),
    );

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.deployNamespaces[0]?.resourceQuota).toEqual({
      "limits.cpu": "500m",
      "limits.memory": "1536Mi",
      "requests.cpu": "1",
      "requests.memory": "1Gi",
    });
  });

  it("quota keys are sorted in the model", () => {
    const result = load(withQuota(["pods: 10", "cpu: 4", "memory: 8Gi"]));

    expect(Object.keys(result.deployment?.deployNamespaces[0]?.resourceQuota ?? {})).toEqual([
      "cpu",
      "memory",
      "pods",
    ]);
  });

  it("unquoted numbers are quantities", () => {
    const result = load(withQuota(["requests.cpu: 64", "pods: 0.5"]));

    expect(result.deployment?.deployNamespaces[0]?.resourceQuota).toEqual({
      pods: "500m",
      "requests.cpu": "64",
    });
  });
});

describe("default container resources", () => {
  it("defaults apply when unset", () => {
    const result = load(varsYaml());

    expect(result.deployment?.kubeflow.defaultContainerResources).toEqual({
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
  });

  it("partial settings keep the other defaults", () => {
    const text = varsYaml({
      kubeflow:
        "kubeflow:\n  profile_owner: platform@example.com\n  default_container_resources:\n    limits: {memory: 2048Mi}\n",
    });

    expect(load(text).deployment?.kubeflow.defaultContainerResources).toEqual({
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "1", memory: "2Gi" },
    });
  });

  it("invalid default quantity is reported", () => {
    const text = varsYaml({
      kubeflow:
        "kubeflow:\n  profile_owner: platform@example.com\n  default_container_resources:\n    requests: {cpu: 1 core}\n",
    });

    expect(single(load(text), "invalid-quantity")).toMatchObject({
      path: "kubeflow.default_container_resources.requests.cpu",
      ...positionOf(text, "1 core"),
    });
  });

  it("default request above limit is an error", () => {
    const text = varsYaml({
      kubeflow:
        "kubeflow:\n  profile_owner: platform@example.com\n  default_container_resources:\n    requests: {cpu: 1500m}\n",
    });

    expect(single(load(text), "invalid-quantity")).toMatchObject({
      path: "kubeflow.default_container_resources.requests.cpu",
      ...positionOf(text, "1500m"),
    });
  });

  it("default request equal to limit is valid", () => {
    const text = varsYaml({
      kubeflow:
        "kubeflow:\n  profile_owner: platform@example.com\n  default_container_resources:\n    requests: {cpu: 1000m}\n",
    });

    expect(load(text).diagnostics).toEqual([]);
  });

  it("unknown resource in defaults is an unknown key", () => {
    const text = varsYaml({
      kubeflow:
        "kubeflow:\n  profile_owner: platform@example.com\n  default_container_resources:\n    requests: {gpu: 1}\n",
    });

    expect(codes(load(text))).toEqual(["unknown-key"]);
  });
});
