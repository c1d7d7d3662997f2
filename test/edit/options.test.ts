import { describe, expect, it } from "vitest";
import { parseQuota } from "../../src/edit/options.js";
import { UsageError } from "../../src/errors.js";

describe("parseQuota", () => {
  it("reads KEY=VALUE entries", () => {
    expect(parseQuota(["requests.cpu=16", "limits.memory = 64Gi"])).toEqual({
      "requests.cpu": "16",
      "limits.memory": "64Gi",
    });
  });

  it("rejects a key given twice", () => {
    expect(() => parseQuota(["requests.cpu=1", "requests.cpu=2"])).toThrow(
      'quota key "requests.cpu" is given twice',
    );
  });

  it("rejects keys an object inherits as invalid keys", () => {
    // `key in {}` is true for these, which once called each of them "given twice".
    expect(() => parseQuota(["__proto__=1"])).toThrow(
      '--quota "__proto__=1": "__proto__" is not a ResourceQuota resource name;',
    );
    expect(() => parseQuota(["constructor=1"])).toThrow(UsageError);
  });

  it("rejects an invalid quantity", () => {
    expect(() => parseQuota(["requests.memory=20gi"])).toThrow(
      '--quota "requests.memory=20gi": "20gi" is not a Kubernetes quantity; did you mean 20Gi?',
    );
  });

  it("rejects an exponent out of range", () => {
    expect(() => parseQuota(["requests.cpu=9E990"])).toThrow(
      '--quota "requests.cpu=9E990": "9E990" is out of range: its exponent 990 is outside the range a ' +
        'quantity can hold (-30 to 30); write a smaller value, such as "9e30" at most',
    );
    expect(() => parseQuota(["requests.cpu=1e-400"])).toThrow(
      "write 0, or 1n for the smallest amount above 0",
    );
  });

  it("rejects a negative quantity", () => {
    expect(() => parseQuota(["pods=-1"])).toThrow(
      '--quota "pods=-1": "-1" is negative; quotas and defaults must be 0 or more.',
    );
  });

  it("accepts the quota keys of the vars file", () => {
    const entries = [
      "requests.nvidia.com/gpu=2",
      "count/deployments.apps=10",
      "requests.hugepages-2Mi=1Gi",
      "gold.storageclass.storage.k8s.io/requests.storage=500Gi",
      "cpu=500m",
    ];

    expect(Object.keys(parseQuota(entries))).toHaveLength(entries.length);
  });
});
