import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, likelyChoice, nearest } from "../../src/config/suggest.js";

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

  it("word inside one choice suggests it", () => {
    expect(likelyChoice("admin", ["cake-admin", "cake-user"])).toBe("cake-admin");
  });

  it("nearest ignores a word inside", () => {
    expect(nearest("admin", ["cake-admin", "cake-user"])).toBeUndefined();
  });

  it("word inside several choices suggests none", () => {
    expect(likelyChoice("dev", ["dev-eu-west-1", "dev-us-east-1"])).toBeUndefined();
  });

  it("words must be whole and in order", () => {
    expect(likelyChoice("east-us", ["dev-us-east-1"])).toBeUndefined();
    expect(likelyChoice("adm", ["cake-admin", "cake-user"])).toBeUndefined();
  });

  it("did you mean lists every containing name", () => {
    const names = ["dev-eu-west-1", "dev-us-east-1", "prod-us-east-1"];

    expect(didYouMean("dev", names)).toBe(' Did you mean "dev-eu-west-1" or "dev-us-east-1"?');
    expect(didYouMean("us-east-1", names)).toBe(' Did you mean "dev-us-east-1" or "prod-us-east-1"?');
  });

  it("did you mean prefers a typo", () => {
    expect(didYouMean("prd-us-east-1", ["dev-us-east-1", "prod-us-east-1"])).toBe(
      ' Did you mean "prod-us-east-1"?',
    );
  });

  it("did you mean stays quiet for many names", () => {
    const names = ["dev-a", "dev-b", "dev-c", "dev-d", "dev-e", "dev-f"];

    expect(didYouMean("dev", names)).toBe("");
  });
});
