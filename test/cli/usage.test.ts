import os from "node:os";
import { describe, expect, it } from "vitest";
import { runCake } from "../helpers/cli.js";

// None of these command lines gets as far as reading a repo, so the folder does not matter.
const cwd = os.tmpdir();

describe("commander usage errors", () => {
  it.each([
    [["bogus"], "cake: unknown command 'bogus'. Run `cake --help` for usage.\n"],
    [["user", "addd"], "cake: unknown command 'addd'; did you mean add? Run `cake user --help` for usage.\n"],
    [["validate", "--bogus"], "cake: unknown option '--bogus'. Run `cake validate --help` for usage.\n"],
    [
      ["user", "add", "--deployment", "d", "--email", "a@example.com", "--role", "cake-user", "--emial", "b"],
      "cake: unknown option '--emial'; did you mean --email? Run `cake user add --help` for usage.\n",
    ],
    [
      ["user", "add", "--deployment", "d"],
      "cake: required option '--email <email>' not specified. Run `cake user add --help` for usage.\n",
    ],
    [
      ["user", "add", "--emial", "a@example.com", "--deployment", "d", "--role", "cake-user"],
      "cake: unknown option '--emial'; did you mean --email? Run `cake user add --help` for usage.\n",
    ],
    [
      ["user", "grant", "--email", "a@example.com", "--namespac", "team-a"],
      "cake: unknown option '--namespac'; did you mean --namespace? Run `cake user grant --help` for usage.\n",
    ],
    [
      ["user", "add", "--email", "a@example.com", "--deployment", "d"],
      "cake: required option '--role <role>' not specified. Run `cake user add --help` for usage.\n",
    ],
    [
      ["validate", "--format"],
      "cake: option '--format <format>' argument missing. Run `cake validate --help` for usage.\n",
    ],
    [
      ["user", "import", "--deployment", "d"],
      "cake: missing required argument 'file'. Run `cake user import --help` for usage.\n",
    ],
    [
      ["plan", "extra"],
      "cake: too many arguments for 'plan'. Expected 0 arguments but got 1. Run `cake plan --help` for usage.\n",
    ],
    [
      ["reconcile", "--wait", "soon"],
      "cake: option '--wait <seconds>' argument 'soon' is invalid. Expected a number of seconds (0 or more), " +
        'got "soon". Run `cake reconcile --help` for usage.\n',
    ],
    [
      ["plan", "--format", "md"],
      'cake: --format "md" is invalid; use one of: text, markdown, json. Run `cake plan --help` for usage.\n',
    ],
    [
      ["plan", "--format", "jsn"],
      'cake: --format "jsn" is invalid; use one of: text, markdown, json. Did you mean "json"? Run `cake plan --help` for usage.\n',
    ],
    [
      ["plan", "--fail-on", "destructiv"],
      'cake: --fail-on "destructiv" is invalid; use one of: destructive. Did you mean "destructive"? Run `cake plan --help` for usage.\n',
    ],
    [
      ["reconcile", "--format", "jsno"],
      'cake: --format "jsno" is invalid; use one of: text, json. Did you mean "json"? Run `cake reconcile --help` for usage.\n',
    ],
    [
      ["validate", "--format", "yaml"],
      'cake: --format "yaml" is invalid; use one of: text, json. Run `cake validate --help` for usage.\n',
    ],
  ])("%j is one cake line", async (argv, message) => {
    const result = await runCake(cwd, ...argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(message);
    expect(result.stdout).toBe("");
  });

  it("conflicting options name the subcommand", async () => {
    const result = await runCake(
      cwd,
      "user",
      "disable",
      "--deployment",
      "d",
      "--email",
      "a",
      "--username",
      "b",
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "cake: option '--email <email>' cannot be used with option '--username <username>'. " +
        "Run `cake user disable --help` for usage.\n",
    );
  });

  it("help still exits 0 on stdout", async () => {
    const result = await runCake(cwd, "validate", "--help");

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: cake validate/);
    expect(result.stderr).toBe("");
  });

  it("missing subcommand prints its help", async () => {
    const result = await runCake(cwd, "user");

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Usage: cake user \[options\] \[command\]/);
  });
});

describe("empty option values", () => {
  it.each([
    [["validate", "--vars-dir", ""], '--vars-dir "" is empty', "cake validate"],
    [["validate", "--output-dir", " "], '--output-dir " " is blank', "cake validate"],
    [["reconcile", "--repo", ""], '--repo "" is empty', "cake reconcile"],
    [["user", "list", "--vars-dir", ""], '--vars-dir "" is empty', "cake user list"],
    [
      [
        "user",
        "add",
        "--deployment",
        "d",
        "--email",
        "a@example.com",
        "--role",
        "cake-user",
        "--namespace",
        "",
      ],
      '--namespace "" is empty',
      "cake user add",
    ],
  ])("%j is a usage error", async (argv, problem, command) => {
    const result = await runCake(cwd, ...argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `cake: ${problem}; give a value, or leave the option out. Run \`${command} --help\` for usage.\n`,
    );
  });
});
