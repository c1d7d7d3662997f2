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
    [
      ["user", "add", "--deployment", "d", "--email", "a@example.com", "--role", "admin"],
      'cake: --role "admin" is invalid; use one of: cake-admin, cake-user. Did you mean "cake-admin"? ' +
        "Run `cake user add --help` for usage.\n",
    ],
    [
      ["user", "list", "--format", "yaml"],
      'cake: --format "yaml" is invalid; use one of: table, json. Run `cake user list --help` for usage.\n',
    ],
    [
      ["namespace", "list", "--format", "jsn"],
      'cake: --format "jsn" is invalid; use one of: table, json. Did you mean "json"? ' +
        "Run `cake namespace list --help` for usage.\n",
    ],
  ])("%j is one cake line", async (argv, message) => {
    const result = await runCake(cwd, ...argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(message);
    expect(result.stdout).toBe("");
  });

  it.each([
    [
      ["user", "grant", "--deployment", "d", "--username", "alice", "--namespace", "team-a"],
      "cake: unknown option '--username'; did you mean --email? cake user grant names the user with --email, " +
        "and `cake user list` shows each user's email and username. Run `cake user grant --help` for usage.\n",
    ],
    [
      ["user", "revoke", "--deployment", "d", "--username=alice", "--namespace", "team-a"],
      "cake: unknown option '--username=alice'; did you mean --email? cake user revoke names the user with --email, " +
        "and `cake user list` shows each user's email and username. Run `cake user revoke --help` for usage.\n",
    ],
    [
      ["user", "disable", "--deployment", "d", "--user", "alice"],
      "cake: unknown option '--user'; did you mean --email or --username? cake user disable names the user with " +
        "--email or --username, and `cake user list` shows each user's email and username. " +
        "Run `cake user disable --help` for usage.\n",
    ],
    [
      ["reconcile", "--env", "dev"],
      "cake: unknown option '--env'; did you mean --deployment? cake reconcile names the deployment with " +
        "--deployment, and its value is the vars file's name without .yaml. Run `cake reconcile --help` for usage.\n",
    ],
    [
      ["reconcile", "--dry-run"],
      "cake: unknown option '--dry-run'; did you mean --check? It writes nothing and exits 1 when the output is " +
        "out of date. To see who gains or loses access, run `cake plan`. Run `cake reconcile --help` for usage.\n",
    ],
    [
      ["namespace", "add", "--deployment", "dev-us-east-1", "--namespace", "ml-x", "--no-reconcile"],
      "cake: unknown option '--namespace'; cake namespace add takes the namespace as its NAME argument: " +
        "`cake namespace add --deployment dev-us-east-1 --no-reconcile ml-x`. Run `cake namespace add --help` for usage.\n",
    ],
    [
      ["namespace", "remove", "--ns=ml-x", "--deployment", "dev-us-east-1", "--revoke-grants"],
      "cake: unknown option '--ns=ml-x'; cake namespace remove takes the namespace as its NAME argument: " +
        "`cake namespace remove --deployment dev-us-east-1 --revoke-grants ml-x`. " +
        "Run `cake namespace remove --help` for usage.\n",
    ],
    [
      ["namespace", "add", "--namespace", "--deployment", "d"],
      "cake: unknown option '--namespace'; cake namespace add takes the namespace as its NAME argument: " +
        "`cake namespace add --deployment d NAME`. Run `cake namespace add --help` for usage.\n",
    ],
    [
      ["namespace", "add", "--deployment", "d", "ml-y", "--namespace", "ml-x"],
      "cake: unknown option '--namespace'; cake namespace add takes the namespace as its NAME argument " +
        "(ml-y here), so leave out --namespace. Run `cake namespace add --help` for usage.\n",
    ],
    [
      ["user", "import", "--deployment", "d", "--csv", "new users.csv"],
      "cake: unknown option '--csv'; cake user import takes the CSV file as its FILE argument: " +
        "`cake user import --deployment d 'new users.csv'`. Run `cake user import --help` for usage.\n",
    ],
  ])("%j names the option meant", async (argv, message) => {
    const result = await runCake(cwd, ...argv);

    expect(result.code).toBe(2);
    expect(result.stderr).toBe(message);
  });

  it("hint repeats the layout options", async () => {
    const result = await runCake(cwd, "user", "grant", "--repo", "ops", "--username", "alice");

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("`cake user list --repo ops` shows each user's email");
  });

  it("argument hint keeps layout options", async () => {
    const result = await runCake(
      cwd,
      "namespace",
      "add",
      "--namespace",
      "ml-x",
      "--repo",
      "ops",
      "--deployment",
      "d",
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("`cake namespace add --repo ops --deployment d ml-x`.");
  });

  it("option without a meaning match gets no hint", async () => {
    const result = await runCake(cwd, "plan", "--dry-run");

    expect(result.stderr).toBe("cake: unknown option '--dry-run'. Run `cake plan --help` for usage.\n");
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
