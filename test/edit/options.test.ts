import { describe, expect, it } from "vitest";
import { EditError } from "../../src/edit/errors.js";
import { parseQuota } from "../../src/edit/options.js";

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

  it("keeps keys an object inherits as keys, for the loader to reject", () => {
    // `key in {}` is true for these, which once called each of them "given twice".
    const quota = parseQuota(["__proto__=1", "constructor=1"]);

    expect(Object.keys(quota)).toEqual(["__proto__", "constructor"]);
    expect(() => parseQuota(["constructor=1"])).not.toThrow(EditError);
  });
});
