import { describe, expect, it } from "vitest";
import { layoutFlags, withLayoutFlags } from "../../src/repo/shell.js";

describe("layoutFlags", () => {
  it("quotes values a shell would split", () => {
    expect(layoutFlags({ repo: "my ops", outputDir: "out" })).toBe(" --repo 'my ops' --output-dir out");
  });

  it("is empty without layout options", () => {
    expect(layoutFlags({})).toBe("");
  });
});

describe("withLayoutFlags", () => {
  const options = { repo: "../ops", varsDir: "config/vars" };

  it.each([
    [
      "Run `cake user list` to see the users.",
      "Run `cake user list --repo ../ops --vars-dir config/vars` to see the users.",
    ],
    [
      'run "cake validate" to list every warning',
      'run "cake validate --repo ../ops --vars-dir config/vars" to list every warning',
    ],
    [
      'run "cake reconcile --allow-profile-handover=dev/alice".',
      'run "cake reconcile --repo ../ops --vars-dir config/vars --allow-profile-handover=dev/alice".',
    ],
    [
      "run `cake user disable --deployment dev --username bob` instead",
      "run `cake user disable --repo ../ops --vars-dir config/vars --deployment dev --username bob` instead",
    ],
  ])("adds the options to %j", (message, expected) => {
    expect(withLayoutFlags(message, options)).toBe(expected);
  });

  it.each([
    'run "cake reconcile --repo ../ops --vars-dir config/vars --check"',
    'run "cake init ../ops --codeowners"',
    "cake schema prints the schema",
    "run cake user list",
  ])("leaves %j as it is", (message) => {
    expect(withLayoutFlags(message, options)).toBe(message);
  });

  it("changes nothing without layout options", () => {
    expect(withLayoutFlags("Run `cake user list`.", {})).toBe("Run `cake user list`.");
  });
});
