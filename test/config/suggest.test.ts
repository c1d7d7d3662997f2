import { describe, expect, it } from "vitest";
import { editDistance, nearest } from "../../src/config/suggest.js";

describe("suggestions", () => {
  it.each([
    ["email", "email", 0],
    ["emial", "email", 1],
    ["usernme", "username", 1],
    ["kitten", "sitting", 3],
    ["", "abc", 3],
  ])("distance from %s to %s is %i", (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
  });

  it("swapped letters suggest the key", () => {
    expect(nearest("emial", ["email", "username", "roles"])).toBe("email");
  });

  it("unrelated word suggests nothing", () => {
    expect(nearest("quota", ["email", "username", "roles"])).toBeUndefined();
  });
});
