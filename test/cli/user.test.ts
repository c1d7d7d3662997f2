import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { runEdit, writeUnlessChanged } from "../../src/edit/session.js";
import { CakeError } from "../../src/errors.js";
import { lineDiff, readFixture } from "../edit/helpers.js";
import { addQaUserByHand, cake, makeRepo, markStoredLoad, readVars, snapshot } from "../edit/repo.js";

const original = readFixture("dev-eu-west-1.yaml");
const D = ["--deployment", "dev-eu-west-1"];
const ADD_ERIN = ["user", "add", ...D, "--email", "erin@example.com", "--role", "cake-user"];

let repo: string;
beforeEach(async () => {
  repo = await makeRepo();
});

/** Runs a command that must fail and asserts that it wrote nothing. */
async function expectFailure(expectedCode: number, ...argv: string[]) {
  const before = await snapshot(repo);
  const result = await cake(repo, ...argv);
  expect(result.code).toBe(expectedCode);
  expect(await snapshot(repo)).toEqual(before);
  return result;
}

async function outputProfiles(): Promise<string[]> {
  const manifest = path.join(repo, "deployments", "dev-eu-west-1", ".cake-manifest.json");
  return JSON.parse(await readFile(manifest, "utf8")).profiles;
}

describe("cake user add", () => {
  it("adds the user and reconciles", async () => {
    const result = await cake(
      repo,
      "user",
      "add",
      ...D,
      "--email",
      "erin@example.com",
      "--username",
      "erin",
      "--role",
      "cake-user",
      "--namespace",
      "ml-prod:view",
      "--namespace",
      "team-a",
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lineDiff(original, await readVars(repo)).added).toEqual([
      "56: ",
      "57:     - email: erin@example.com",
      "58:       username: erin",
      "59:       roles: [cake-user]",
      "60:       allowed_namespaces: [{name: ml-prod, access: view}, team-a]",
    ]);
    expect(await outputProfiles()).toContain("erin");
    // The first reconcile creates argocd/, which Argo CD does not sync.
    expect(result.stdout).toContain(
      "deployments/dev-eu-west-1/argocd/ changed, and Argo CD does not sync it",
    );
  });

  it("warns about what the new entry adds only", async () => {
    const result = await cake(
      repo,
      "user",
      "add",
      ...D,
      "--email",
      "Nora.NG@Example.com",
      "--username",
      "nng",
      "--role",
      "cake-user",
      "--no-reconcile",
    );

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning [email-uppercase] users.users[4].email: "Nora.NG@Example.com"');
    // Alice.Smith's upper-case email was there before the edit, so it is not repeated.
    expect(result.stderr).not.toContain("Alice.Smith");
  });

  it("rejects a one-value option given twice", async () => {
    const result = await expectFailure(
      2,
      "user",
      "disable",
      ...D,
      "--email",
      "bob@example.com",
      "--email=carol@example.com",
    );

    expect(result.stderr).toContain("--email is given 2 times, but takes one value");
    const waits = await expectFailure(
      2,
      "user",
      "disable",
      ...D,
      "--email",
      "bob@example.com",
      "--wait",
      "1",
      "--wait",
      "2",
    );
    expect(waits.stderr).toContain("--wait is given 2 times, but takes one value; give it once.");
  });

  it("places warnings in flow-style entries", async () => {
    // The fast path cannot place warnings in flow maps, so the edit loads the file whole.
    const flow = [
      "    - {email: ann@example.com, username: ann, roles: [cake-user]}",
      "    - {email: ben@example.com, username: ben, roles: [cake-user]}",
      "",
    ].join("\n");
    const text = original.slice(0, original.indexOf("    # Platform team")) + flow;
    await writeFile(path.join(repo, "vars", "dev-eu-west-1.yaml"), text);

    const result = await cake(
      repo,
      ...ADD_ERIN.slice(0, 4),
      "--email",
      "Zed.Upper@example.com",
      "--role",
      "cake-user",
      "--no-reconcile",
    );
    const line = (await readVars(repo)).split("\n").findIndex((each) => each.includes("Zed.Upper")) + 1;

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`vars/dev-eu-west-1.yaml:${line}:`);
    expect(result.stderr).toContain("warning [email-uppercase] users.users[2].email");
  });

  it("rejects a bad render setting before writing", async () => {
    const before = await snapshot(repo);
    process.env.CAKE_RENDER_WORKERS = "0x10";
    try {
      const result = await cake(
        repo,
        "user",
        "add",
        ...D,
        "--email",
        "erin@example.com",
        "--role",
        "cake-user",
      );

      expect(result.code).toBe(2);
      expect(result.stderr).toContain('invalid CAKE_RENDER_WORKERS "0x10"');
    } finally {
      delete process.env.CAKE_RENDER_WORKERS;
    }
    expect(await snapshot(repo)).toEqual(before);
  });

  it("rejects an edit another file blocks", async () => {
    const qa = path.join(repo, "vars", "qa-us-east-1.yaml");
    await writeFile(qa, `${await readFile(qa, "utf8")}bogus_key: 1\n`);

    const result = await expectFailure(1, ...ADD_ERIN);

    expect(result.stderr).toContain("the reconcile after this change would fail, so nothing was written:");
    expect(result.stderr).toMatch(/vars\/qa-us-east-1\.yaml:\d+:1: error \[unknown-key\]/);
    expect(result.stderr).toContain("pass --no-reconcile to write the vars change alone");
  });

  it("rejects an edit of a deployment with a .yaml and a .yml file", async () => {
    const file = path.join(repo, "vars", "dev-eu-west-1.yaml");
    await writeFile(path.join(repo, "vars", "dev-eu-west-1.yml"), await readFile(file, "utf8"));

    const result = await expectFailure(2, ...ADD_ERIN);

    expect(result.stderr).toContain(
      "vars/dev-eu-west-1.yaml and vars/dev-eu-west-1.yml would both write deployments/dev-eu-west-1",
    );
  });

  it("writes beside a broken file without reconcile", async () => {
    const qa = path.join(repo, "vars", "qa-us-east-1.yaml");
    await writeFile(qa, `${await readFile(qa, "utf8")}bogus_key: 1\n`);

    const result = await cake(repo, ...ADD_ERIN, "--no-reconcile");

    expect(result.code).toBe(0);
    expect(await readVars(repo)).toContain("erin@example.com");
  });

  it("rejects an edit whose Application collides", async () => {
    const remote = '  destination_server: "https://dev.example.com"\n';
    const dev = path.join(repo, "vars", "dev-eu-west-1.yaml");
    const qa = path.join(repo, "vars", "qa-us-east-1.yaml");
    await writeFile(dev, (await readFile(dev, "utf8")).replace("\n\nusers:", `\n${remote}\nusers:`));
    await writeFile(qa, (await readFile(qa, "utf8")).replace("\nusers:", `\n${remote}users:`));

    const result = await expectFailure(1, ...ADD_ERIN);

    expect(result.stderr).toMatch(/vars\/dev-eu-west-1\.yaml:\d+:\d+: error \[duplicate-app-name\]/);
  });

  it("finds collisions with cached deployments", async () => {
    const qa = path.join(repo, "vars", "qa-us-east-1.yaml");
    const remote = '  app_name: qa-app\n  destination_server: "https://qa.example.com"\n';
    await writeFile(qa, (await readFile(qa, "utf8")).replace("\nusers:", `\n${remote}users:`));
    expect((await cake(repo, "reconcile")).code).toBe(0);
    // The qa deployment is up to date, so only its cache records its Application.
    const dev = path.join(repo, "vars", "dev-eu-west-1.yaml");
    await writeFile(
      dev,
      (await readFile(dev, "utf8")).replace("\n\nusers:", "\n  app_name: qa-app\n\nusers:"),
    );

    const result = await expectFailure(1, ...ADD_ERIN);

    expect(result.stderr).toMatch(/vars\/dev-eu-west-1\.yaml:\d+:\d+: error \[duplicate-app-name\]/);
  });

  it("reports a failed reconcile after the edit", async () => {
    await writeFile(path.join(repo, "deployments"), "not a folder\n");

    const result = await cake(
      repo,
      "user",
      "add",
      ...D,
      "--email",
      "erin@example.com",
      "--role",
      "cake-user",
    );

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "cake: the vars change was written, but reconcile failed: deployments is a file",
    );
    expect(result.stderr).toContain(
      'Once that is fixed, run "cake reconcile" to regenerate the output (the edit is already in the vars file).\n',
    );
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(await readVars(repo)).toContain("erin@example.com");
  });

  it("proposes a username and says so", async () => {
    const result = await cake(
      repo,
      "user",
      "add",
      ...D,
      "--email",
      "erin.oconnor@example.com",
      "--role",
      "cake-user",
      "--no-reconcile",
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/username "erin-oconnor" was chosen/);
    expect(await readVars(repo)).toContain("username: erin-oconnor");
    expect(existsSync(path.join(repo, "deployments"))).toBe(false);
  });

  it("proposes no name of a Profile whose user was removed without a reconcile", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const removed = await cake(
      repo,
      "user",
      "remove",
      ...D,
      "--username",
      "bjones",
      "--delete-profile",
      "--no-reconcile",
    );
    expect(removed.code).toBe(0);

    const added = await cake(
      repo,
      "user",
      "add",
      ...D,
      "--email",
      "bjones@example.org",
      "--role",
      "cake-user",
      "--no-reconcile",
    );

    expect(added.code).toBe(0);
    expect(await readVars(repo)).toContain("username: bjones-2");
  });

  it("missing role is a usage error", async () => {
    await expectFailure(2, "user", "add", ...D, "--email", "erin@example.com");
  });

  it("invalid role writes nothing", async () => {
    const result = await expectFailure(
      2,
      "user",
      "add",
      ...D,
      "--email",
      "erin@example.com",
      "--role",
      "admin",
    );
    expect(result.stderr).toBe(
      'cake: --role "admin" is invalid; use one of: cake-admin, cake-user. Did you mean "cake-admin"? ' +
        "Run `cake user add --help` for usage.\n",
    );
  });

  it("role in other case suggests the role", async () => {
    const result = await expectFailure(
      2,
      "user",
      "add",
      ...D,
      "--email",
      "erin@example.com",
      "--role",
      "Cake-Admin",
    );
    expect(result.stderr).toBe(
      'cake: --role "Cake-Admin" is invalid; use one of: cake-admin, cake-user. Did you mean "cake-admin"? Run `cake user add --help` for usage.\n',
    );
  });

  it("invalid email writes nothing", async () => {
    const result = await expectFailure(
      2,
      "user",
      "add",
      ...D,
      "--email",
      "erin",
      "--username",
      "erin",
      "--role",
      "cake-user",
    );
    expect(result.stderr).toBe(
      'cake: --email "erin" is not an email address; give the address exactly as the identity provider ' +
        "sends it (local@domain.tld). Run `cake user add --help` for usage.\n",
    );
  });

  it.each([
    [
      ["--email", "erin smith@example.com"],
      'cake: --email "erin smith@example.com" is not an email address; give the address exactly as the ' +
        "identity provider sends it (local@domain.tld). Run `cake user add --help` for usage.\n",
    ],
    [
      ["--email", "erin\u200b@example.com"],
      'cake: --email "erin\u200b@example.com" contains the invisible or control character U+200B; delete it ' +
        "and type the address again. Run `cake user add --help` for usage.\n",
    ],
    [
      ["--email", "erin@example.com", "--username", "Erin Smith"],
      `cake: --username "Erin Smith" is not a DNS-1123 label (lower-case letters, digits and '-', starting ` +
        `and ending with a letter or digit); it names the user's Profile and namespace; use "erin-smith". Run \`cake user add --help\` for usage.\n`,
    ],
    [
      ["--email", "erin@example.com", "--namespace", "ML Prod"],
      `cake: --namespace "ML Prod" is not a DNS-1123 label (lower-case letters, digits and '-', starting ` +
        `and ending with a letter or digit); it names a deploy namespace; use "ml-prod". Run \`cake user add --help\` for usage.\n`,
    ],
    [
      ["--email", "erin@example.com", "--username", "kubeflow"],
      'cake: --username "kubeflow" is reserved: it is a system namespace (reserved: default, kube-*, kubeflow, ' +
        "kubeflow-*, istio-*, knative-*, cert-manager, auth, oauth2-proxy, argocd); choose another username. Run `cake user add --help` for usage.\n",
    ],
  ])("add with %j names the option", async (options, message) => {
    const result = await expectFailure(2, "user", "add", ...D, "--role", "cake-user", ...options);

    expect(result.stderr).toBe(message);
  });

  it("invalid access writes nothing", async () => {
    const result = await expectFailure(
      2,
      "user",
      "add",
      ...D,
      "--email",
      "e@example.com",
      "--role",
      "cake-user",
      "--namespace",
      "team-a:admin",
    );
    expect(result.stderr).toBe(
      'cake: --namespace "team-a:admin" has the access "admin"; write NAME, NAME:edit or NAME:view. Run `cake user add --help` for usage.\n',
    );
  });

  it("duplicate email writes nothing", async () => {
    const result = await expectFailure(
      1,
      "user",
      "add",
      ...D,
      "--email",
      "bob@example.com",
      "--username",
      "bob2",
      "--role",
      "cake-user",
    );

    expect(result.stderr).toContain("vars/dev-eu-west-1.yaml");
    expect(result.stderr).toContain("cake user grant");
  });

  it.each([
    ["before", false],
    ["after", true],
  ])("case-only duplicate names its line %s reconcile", async (_when, reconciled) => {
    if (reconciled) expect((await cake(repo, "reconcile")).code).toBe(0);
    const result = await expectFailure(
      1,
      "user",
      "add",
      ...D,
      "--email",
      "Bob@example.com",
      "--role",
      "cake-user",
    );

    expect(result.stderr).toBe(
      'cake: vars/dev-eu-west-1.yaml: email "Bob@example.com" differs only in case from the existing user ' +
        '"bob@example.com" at vars/dev-eu-west-1.yaml:43; the identity provider sends one of them, so keep ' +
        "one entry with the exact email it sends.\n",
    );
  });

  it("duplicate username writes nothing", async () => {
    await expectFailure(
      1,
      "user",
      "add",
      ...D,
      "--email",
      "new@example.com",
      "--username",
      "cwu",
      "--role",
      "cake-user",
    );
  });

  it("unknown namespace writes nothing", async () => {
    const result = await expectFailure(
      1,
      "user",
      "add",
      ...D,
      "--email",
      "new@example.com",
      "--username",
      "new",
      "--role",
      "cake-user",
      "--namespace",
      "ml-dev",
    );
    expect(result.stderr).toMatch(/ml-dev/);
  });

  it("unknown deployment is a usage error", async () => {
    await expectFailure(
      2,
      "user",
      "add",
      "--deployment",
      "prod-x",
      "--email",
      "a@example.com",
      "--role",
      "cake-user",
    );
  });

  it("invalid vars file is refused", async () => {
    await writeFile(
      path.join(repo, "vars", "dev-eu-west-1.yaml"),
      original.replace("username: cwu", "username: Cwu"),
    );
    const result = await expectFailure(
      1,
      "user",
      "add",
      ...D,
      "--email",
      "new@example.com",
      "--role",
      "cake-user",
    );
    expect(result.stderr).toContain("[invalid-dns-label]");
  });
});

describe("cake user disable and enable", () => {
  it("disable then enable restores the file", async () => {
    const disabled = await cake(repo, "user", "disable", ...D, "--username", "asmith", "--no-reconcile");
    expect(disabled.code).toBe(0);
    expect(lineDiff(original, await readVars(repo))).toEqual({
      removed: [],
      added: ["32:       disabled: true"],
    });
    const enabled = await cake(
      repo,
      "user",
      "enable",
      ...D,
      "--email",
      "Alice.Smith@example.com",
      "--no-reconcile",
    );
    expect(enabled.code).toBe(0);
    expect(await readVars(repo)).toBe(original);
  });

  it("already disabled is a no-op", async () => {
    const before = await snapshot(repo);
    const result = await cake(repo, "user", "disable", ...D, "--username", "cwu");
    const enabled = await cake(repo, "user", "enable", ...D, "--username", "divanov");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "vars/dev-eu-west-1.yaml: nothing to change: user carol@example.com (username cwu) is already disabled\n",
    );
    expect(enabled.stdout).toContain(
      "nothing to change: user dmitri.ivanov@example.com (username divanov) is already enabled",
    );
    const granted = await cake(
      repo,
      "user",
      "grant",
      ...D,
      "--email",
      "Alice.Smith@example.com",
      "--namespace",
      "ml-prod",
    );
    expect(granted.stdout).toBe(
      "vars/dev-eu-west-1.yaml: nothing to change: Alice.Smith@example.com already has edit access to ml-prod\n",
    );
    expect(await snapshot(repo)).toEqual(before);
  });

  it("names the allow flag when not reconciling a deletion", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const removed = await cake(
      repo,
      "user",
      "remove",
      ...D,
      "--username",
      "bjones",
      "--delete-profile",
      "--no-reconcile",
    );
    const command = "cake reconcile --allow-profile-deletion=dev-eu-west-1/bjones";

    expect(removed.stdout).toContain(`Not reconciled (--no-reconcile); run "${command}"`);
    const reconciled = await cake(repo, ...command.split(" ").slice(1));
    expect(reconciled.code).toBe(0);
    expect(await outputProfiles()).not.toContain("bjones");
  });

  it("repeats --repo in the commands it suggests", async () => {
    const elsewhere = path.dirname(repo);
    const flags = ["--repo", path.basename(repo)];
    const removed = await cake(
      elsewhere,
      "user",
      "remove",
      ...flags,
      ...D,
      "--username",
      "bjones",
      "--delete-profile",
      "--no-reconcile",
    );
    const checked = await cake(elsewhere, "reconcile", "--check", ...flags);

    const command = `cake reconcile --repo ${path.basename(repo)} --allow-profile-deletion=dev-eu-west-1/bjones`;
    expect(removed.stdout).toContain(`run "${command}"`);
    expect(checked.stderr).toContain(`run "cake reconcile --repo ${path.basename(repo)}`);
    const reconciled = await cake(elsewhere, ...command.split(" ").slice(1));
    expect(reconciled.code).toBe(0);
  });

  it("suggests runnable commands from elsewhere", async () => {
    const elsewhere = path.dirname(repo);
    const flags = ["--repo", path.basename(repo), "--vars-dir", "vars"];
    const suggested = (stderr: string) => /`cake ([^`]*)`/.exec(stderr)?.[1]?.split(" ") ?? [];

    const unknown = await cake(elsewhere, "user", "remove", ...flags, ...D, "--email", "nobody@example.com");
    const list = suggested(unknown.stderr);
    expect(list).toEqual(["user", "list", ...flags]);
    expect((await cake(elsewhere, ...list)).code).toBe(0);

    const undeclared = await cake(
      elsewhere,
      "user",
      "grant",
      ...flags,
      ...D,
      "--email",
      "bob@example.com",
      "--namespace",
      "ml-nope",
    );
    expect(suggested(undeclared.stderr)).toEqual(["namespace", "add", ...flags, ...D, "ml-nope"]);

    expect((await cake(elsewhere, "reconcile", ...flags)).code).toBe(0);
    const refused = await cake(elsewhere, "user", "remove", ...flags, ...D, "--username", "bjones");
    const disable = suggested(refused.stderr);
    expect(disable).toEqual(["user", "disable", ...flags, ...D, "--username", "bjones"]);
    expect((await cake(elsewhere, ...disable)).code).toBe(0);
  });

  it("names cake validate for an invalid file", async () => {
    const elsewhere = path.dirname(repo);
    const flags = ["--repo", path.basename(repo), "--vars-dir", "vars"];
    const qa = path.join(repo, "vars", "qa-us-east-1.yaml");
    await writeFile(qa, `${await readFile(qa, "utf8")}users: []\n`);
    const grant = ["user", "grant", ...flags, "--email", "bob@example.com", "--namespace", "team-a"];
    const validate = `"cake validate ${flags.join(" ")}"`;

    const one = await cake(elsewhere, ...grant, "--deployment", "qa-us-east-1");
    const all = await cake(elsewhere, ...grant, "--deployment", "all", "--no-reconcile");

    // Messages name the file relative to the folder the command ran in.
    const file = `${path.basename(repo)}/vars/qa-us-east-1.yaml`;
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`cake: ${file} is invalid; fix it (run ${validate}) before editing it.\n`);
    expect(all.stderr).toContain(
      `cake: skipped qa-us-east-1: ${file} is invalid; fix it (run ${validate}) before editing it.\n`,
    );
    const validated = await cake(elsewhere, "validate", ...flags);
    expect(validated.stdout + validated.stderr).toContain("vars/qa-us-east-1.yaml:");
  });

  it("says what access a grant changes", async () => {
    const lowered = await cake(
      repo,
      "user",
      "grant",
      ...D,
      "--email",
      "Alice.Smith@example.com",
      "--namespace",
      "ml-prod",
      "--access",
      "view",
      "--no-reconcile",
    );

    expect(lowered.stdout).toContain("granted Alice.Smith@example.com view access to ml-prod (was edit)");
  });

  it("unknown user writes nothing", async () => {
    const result = await expectFailure(1, "user", "disable", ...D, "--email", "alice.smith@example.com");
    expect(result.stderr).toContain("Alice.Smith@example.com");
  });

  it("enable of an unknown user writes nothing", async () => {
    await expectFailure(1, "user", "enable", ...D, "--username", "nobody");
  });

  it("needs exactly one of email and username", async () => {
    await expectFailure(2, "user", "disable", ...D);
    await expectFailure(2, "user", "disable", ...D, "--email", "bob@example.com", "--username", "bjones");
  });
});

describe("cake user remove", () => {
  it("refuses while the profile is in the output", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const result = await expectFailure(1, "user", "remove", ...D, "--username", "bjones");
    expect(result.stderr).toMatch(/--delete-profile/);
    expect(result.stderr).toMatch(/cake user disable/);
  });

  it("disabled user is told data stays", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const result = await expectFailure(1, "user", "remove", ...D, "--username", "cwu");
    expect(result.stderr).toMatch(/already disabled/);
    expect(result.stderr).not.toMatch(/cake user disable/);
  });

  it("refuses a removed user's username", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    expect((await cake(repo, "user", "remove", ...D, "--username", "bjones", "--delete-profile")).code).toBe(
      0,
    );
    const add = (email: string) => [
      "user",
      "add",
      ...D,
      "--email",
      email,
      "--username",
      "bjones",
      "--role",
      "cake-user",
    ];

    const result = await expectFailure(1, ...add("eve@example.com"));
    const returning = await cake(repo, ...add("bob@example.com"));

    expect(result.stderr).toContain('Profile "bjones" was the private profile of bob@example.com');
    expect(result.stderr).toContain("nothing was written");
    expect(returning.code).toBe(0);
  });

  it("deletes the profile with --delete-profile", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const result = await cake(repo, "user", "remove", ...D, "--username", "bjones", "--delete-profile");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(await readVars(repo)).not.toContain("bob@example.com");
    expect(await outputProfiles()).not.toContain("bjones");
  });

  it("unknown user writes nothing", async () => {
    await expectFailure(1, "user", "remove", ...D, "--username", "nobody", "--delete-profile");
  });

  it("removes a user never reconciled", async () => {
    const result = await cake(repo, "user", "remove", ...D, "--email", "bob@example.com", "--no-reconcile");
    expect(result.code).toBe(0);
    expect(await readVars(repo)).not.toContain("bjones");
  });
});

describe("cake user grant and revoke", () => {
  const QA = ["--deployment", "qa-us-east-1"];
  const GRANT_ANN = ["user", "grant", ...QA, "--email", "ann@example.com", "--namespace"];
  // dev-eu-west-1 declares team-a, and qa-us-east-1 does not.
  const ELSEWHERE =
    "it is a deploy namespace of dev-eu-west-1, so to grant it there, rerun with --deployment dev-eu-west-1. " +
    "To grant it in this deployment, add it with `cake namespace add --deployment qa-us-east-1 team-a` first.\n";

  it("grant names the deployment declaring it", async () => {
    const result = await expectFailure(1, ...GRANT_ANN, "team-a");

    expect(result.stderr).toContain('namespace "team-a" is not a deploy namespace of this deployment');
    expect(result.stderr).toContain(ELSEWHERE);
  });

  it("add names the deployment declaring it", async () => {
    const add = ["user", "add", ...QA, "--email", "zed@example.com", "--role", "cake-user"];

    const result = await expectFailure(1, ...add, "--namespace", "team-a:view");

    expect(result.stderr).toContain(ELSEWHERE);
  });

  it("grant of a namespace nowhere names the add", async () => {
    const result = await expectFailure(1, ...GRANT_ANN, "team-z");

    expect(result.stderr).toContain(
      "add it with `cake namespace add --deployment qa-us-east-1 team-z` first.\n",
    );
    expect(result.stderr).not.toContain("rerun with");
  });

  it("grant changes access of an existing grant", async () => {
    const result = await cake(
      repo,
      "user",
      "grant",
      ...D,
      "--email",
      "dmitri.ivanov@example.com",
      "--namespace",
      "ml-prod",
      "--access",
      "edit",
    );
    expect(result.code).toBe(0);
    expect(lineDiff(original, await readVars(repo)).added).toEqual([
      "39:           access: edit            # read only",
    ]);
  });

  it("grant to a disabled user says so", async () => {
    const result = await cake(
      repo,
      "user",
      "grant",
      ...D,
      "--email",
      "carol@example.com",
      "--namespace",
      "ml-prod",
      "--no-reconcile",
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("carol@example.com is disabled");
    expect(await readVars(repo)).not.toBe(original);
  });

  it("revoke removes the grant", async () => {
    const result = await cake(
      repo,
      "user",
      "revoke",
      ...D,
      "--email",
      "carol@example.com",
      "--namespace",
      "team-a",
      "--no-reconcile",
    );
    expect(result.code).toBe(0);
    expect(lineDiff(original, await readVars(repo)).added).toEqual([
      "55:       allowed_namespaces: [ml-staging]",
    ]);
  });

  it("revoke of an anchored grant writes nothing", async () => {
    const vars = path.join(repo, "vars", "dev-eu-west-1.yaml");
    const shared = original
      .replace(
        "        - name: ml-prod\n          access: view ",
        "        - &prod-view\n          name: ml-prod\n          access: view ",
      )
      .replace(
        "      allowed_namespaces:\n        - team-a\n",
        "      allowed_namespaces:\n        - team-a\n        - *prod-view\n",
      );
    await writeFile(vars, shared);

    const result = await expectFailure(
      1,
      "user",
      "revoke",
      ...D,
      "--email",
      "dmitri.ivanov@example.com",
      "--namespace",
      "ml-prod",
      "--no-reconcile",
    );
    expect(result.stderr).toContain(
      "this change would remove the anchor &prod-view (line 38), which the alias *prod-view at line 51 uses; " +
        "replace *prod-view at line 51 with the value it stands for, then run the command again.",
    );
    expect(result.stderr).not.toContain("yaml-syntax");
  });

  it("revoke of a non-granted namespace writes nothing", async () => {
    await expectFailure(1, "user", "revoke", ...D, "--email", "bob@example.com", "--namespace", "ml-prod");
  });

  it("grant with invalid access writes nothing", async () => {
    const result = await expectFailure(
      2,
      "user",
      "grant",
      ...D,
      "--email",
      "bob@example.com",
      "--namespace",
      "ml-prod",
      "--access",
      "admin",
    );
    expect(result.stderr).toBe(
      'cake: --access "admin" is invalid; use one of: edit, view. Run `cake user grant --help` for usage.\n',
    );
  });

  it("access in other case suggests the access", async () => {
    const result = await expectFailure(
      2,
      "user",
      "grant",
      ...D,
      "--email",
      "bob@example.com",
      "--namespace",
      "ml-prod",
      "--access",
      "View",
    );
    expect(result.stderr).toBe(
      'cake: --access "View" is invalid; use one of: edit, view. Did you mean "view"? Run `cake user grant --help` for usage.\n',
    );
  });

  it("grant with an empty email writes nothing", async () => {
    const result = await expectFailure(2, "user", "grant", ...D, "--email", "", "--namespace", "ml-prod");

    expect(result.stderr).toBe(
      'cake: --email "" is empty; give a value, or leave the option out. Run `cake user grant --help` for usage.\n',
    );
  });

  it("grant to an invalid namespace name writes nothing", async () => {
    const result = await expectFailure(
      2,
      "user",
      "grant",
      ...D,
      "--email",
      "bob@example.com",
      "--namespace",
      "ml_prod",
    );

    expect(result.stderr).toMatch(
      /^cake: --namespace "ml_prod" is not a DNS-1123 label .*; use "ml-prod"\. Run `cake user grant --help` for usage\.\n$/,
    );
  });

  it("grant to an unknown user writes nothing", async () => {
    await expectFailure(1, "user", "grant", ...D, "--email", "nobody@example.com", "--namespace", "ml-prod");
  });

  it("grant without a namespace is a usage error", async () => {
    await expectFailure(2, "user", "grant", ...D, "--email", "bob@example.com");
  });

  it("grant of an unknown namespace writes nothing", async () => {
    await expectFailure(1, "user", "grant", ...D, "--email", "bob@example.com", "--namespace", "ml-dev");
  });

  it("grant of a mistyped namespace suggests it", async () => {
    const result = await expectFailure(
      1,
      "user",
      "grant",
      ...D,
      "--email",
      "bob@example.com",
      "--namespace",
      "ml-stagin",
    );
    expect(result.stderr).toContain('did you mean "ml-staging"?');
  });
});

describe("--deployment all", () => {
  it("applies where valid and reports skips", async () => {
    const result = await cake(
      repo,
      "user",
      "disable",
      "--deployment",
      "all",
      "--email",
      "ann@example.com",
      "--no-reconcile",
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('cake: skipped dev-eu-west-1: no user with email "ann@example.com".\n');
    expect(await readVars(repo)).toBe(original);
    expect(await readVars(repo, "qa-us-east-1")).toContain("disabled: true");
  });

  it("grants in every deployment declaring the namespace", async () => {
    await cake(
      repo,
      "user",
      "add",
      "--deployment",
      "all",
      "--email",
      "zed@example.com",
      "--username",
      "zed",
      "--role",
      "cake-user",
      "--no-reconcile",
    );
    const result = await cake(
      repo,
      "user",
      "grant",
      "--deployment",
      "all",
      "--email",
      "zed@example.com",
      "--namespace",
      "team-a",
      "--no-reconcile",
    );
    expect(result.code).toBe(0);
    // The skip is the expected result there, so no step to add the namespace is offered.
    expect(result.stderr).toContain(
      'cake: skipped qa-us-east-1: namespace "team-a" is not a deploy namespace of this deployment.\n',
    );
    expect(await readVars(repo)).toMatch(/username: zed\n.*\n\s+allowed_namespaces: \[team-a\]/);
  });

  it("succeeds where the change is in place", async () => {
    // bob@example.com has edit access to team-a in dev-eu-west-1 and is absent from qa-us-east-1.
    const grant = ["--deployment", "all", "--email", "bob@example.com", "--namespace", "team-a"];

    const before = await snapshot(repo);
    const result = await cake(repo, "user", "grant", ...grant, "--no-reconcile");

    expect(result.code).toBe(0);
    expect(await snapshot(repo)).toEqual(before);
    expect(result.stdout).toBe(
      "vars/dev-eu-west-1.yaml: nothing to change: bob@example.com already has edit access to team-a\n",
    );
    expect(result.stderr).toBe('cake: skipped qa-us-east-1: no user with email "bob@example.com".\n');
  });

  it("succeeds again on a repeated disable", async () => {
    const disable = ["user", "disable", "--deployment", "all", "--email", "ann@example.com"];
    expect((await cake(repo, ...disable, "--no-reconcile")).code).toBe(0);

    const result = await cake(repo, ...disable, "--no-reconcile");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("vars/qa-us-east-1.yaml: nothing to change:");
    expect(result.stderr).toContain('cake: skipped dev-eu-west-1: no user with email "ann@example.com".\n');
  });

  it("names a case twin in skip reasons", async () => {
    const result = await cake(repo, "user", "disable", "--deployment", "all", "--email", "Ann@example.com");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'cake: skipped qa-us-east-1: no user with email "Ann@example.com". The file has "ann@example.com", ' +
        "which differs only in case; emails are compared exactly.\n",
    );
    expect(result.stderr).toContain('cake: skipped dev-eu-west-1: no user with email "Ann@example.com".\n');
  });

  it("repeats layout options in skip reasons", async () => {
    const elsewhere = path.dirname(repo);
    const flags = ["--repo", path.basename(repo), "--vars-dir", "vars"];
    const add = [
      "user",
      "add",
      ...flags,
      "--email",
      "zed@example.com",
      "--role",
      "cake-user",
      "--no-reconcile",
    ];
    expect((await cake(elsewhere, ...add, "--deployment", "qa-us-east-1")).code).toBe(0);

    const result = await cake(elsewhere, ...add, "--deployment", "all");

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `cake: skipped qa-us-east-1: a user with email "zed@example.com" already exists; ` +
        `change their access with "cake user grant ${flags.join(" ")}" or "cake user revoke ${flags.join(" ")}".\n`,
    );
  });

  it("fails when no deployment accepts it", async () => {
    await expectFailure(1, "user", "disable", "--deployment", "all", "--email", "nobody@example.com");
  });

  it("adds one username in every deployment", async () => {
    // qa-us-east-1 has ann@example.com as "ann", so its own proposal would be "ann-2".
    const args = ["--deployment", "all", "--email", "ann@example.org", "--role", "cake-user"];

    const result = await cake(repo, "user", "add", ...args, "--no-reconcile");

    expect(result.code).toBe(0);
    expect(await readVars(repo)).toMatch(/email: ann@example\.org\n\s+username: ann-2\n/);
    expect(await readVars(repo, "qa-us-east-1")).toContain("username: ann-2");
    expect(result.stdout).toContain('username "ann-2" was chosen because it is free in every deployment');
  });

  it("adds nowhere when the username differs", async () => {
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");
    const qa = await readVars(repo, "qa-us-east-1");
    const args = ["--deployment", "all", "--email", "carol@example.com", "--role", "cake-user"];

    const result = await cake(repo, "user", "add", ...args, "--no-reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'carol@example.com has username "cwu" in dev-eu-west-1, but in qa-us-east-1 "cwu" is already used by chen.wu@example.com',
    );
    expect(await readVars(repo, "qa-us-east-1")).toBe(qa);
  });

  it("adds nowhere when --username differs", async () => {
    // carol@example.com is "cwu" in dev-eu-west-1 and absent from qa-us-east-1.
    const args = ["--deployment", "all", "--email", "carol@example.com", "--role", "cake-user"];

    const result = await expectFailure(1, "user", "add", ...args, "--username", "carol", "--no-reconcile");

    expect(result.stderr).toBe(
      'cake: carol@example.com has username "cwu" in dev-eu-west-1; a person needs one username, which names ' +
        'their Profile, in every deployment, so use "cwu", or leave --username out; nothing was written.\n',
    );
  });

  it("adds one of several usernames", async () => {
    // carol@example.com is "cwu" in dev-eu-west-1; a third deployment has her as "carol".
    const third = readFixture("qa-us-east-1.yaml")
      .replace("environment: qa", "environment: uat")
      .replace("ben@example.com", "carol@example.com")
      .replace("username: ben", "username: carol");
    await writeFile(path.join(repo, "vars", "uat-us-east-1.yaml"), third);
    const args = [
      "--deployment",
      "all",
      "--email",
      "carol@example.com",
      "--role",
      "cake-user",
      "--no-reconcile",
    ];

    const unchosen = await expectFailure(1, "user", "add", ...args);
    const result = await cake(repo, "user", "add", ...args, "--username", "carol");

    // Deployments where she exists skip the add, so --deployment all takes the given name.
    expect(unchosen.stderr).toContain(
      'give one of them, "cwu" or "carol", with --username, so that no deployment adds another; nothing was written.',
    );
    expect(result.code).toBe(0);
    expect(await readVars(repo, "qa-us-east-1")).toContain("username: carol");
  });
});

describe("cake user add to one deployment", () => {
  const QA = ["user", "add", "--deployment", "qa-us-east-1", "--role", "cake-user", "--no-reconcile"];

  it("keeps the username from another deployment", async () => {
    // bob@example.com is "bjones" in dev-eu-west-1; qa-us-east-1 would propose "bob".
    const result = await cake(repo, ...QA, "--email", "bob@example.com");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'username "bjones" was chosen because it is the username bob@example.com has in dev-eu-west-1',
    );
    expect(await readVars(repo, "qa-us-east-1")).toContain("username: bjones");
  });

  it("avoids another person's username elsewhere", async () => {
    // dev-eu-west-1 has carol@example.com as "cwu", which qa-us-east-1 would propose.
    const result = await cake(repo, ...QA, "--email", "cwu@example.org");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'username "cwu-2" was chosen because it is a name free in every deployment ("cwu" is the username ' +
        "of carol@example.com in dev-eu-west-1)",
    );
  });

  it("avoids a Profile kept elsewhere", async () => {
    // Removing carol@example.com ("cwu") from dev-eu-west-1 keeps her Profile there.
    expect((await cake(repo, "reconcile")).code).toBe(0);
    const removed = await cake(repo, "user", "remove", ...D, "--username", "cwu", "--delete-profile");
    expect(removed.code).toBe(0);

    const result = await cake(repo, ...QA, "--email", "cwu@example.org");

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'username "cwu-2" was chosen because it is a name free in every deployment ("cwu" is a Profile ' +
        "Argo CD keeps for carol@example.com in dev-eu-west-1)",
    );
    expect(await readVars(repo, "qa-us-east-1")).toContain("username: cwu-2");
  });

  it("rejects another person's username elsewhere", async () => {
    const result = await expectFailure(1, ...QA, "--email", "chen.wu@example.com", "--username", "cwu");

    expect(result.stderr).toBe(
      'cake: "cwu" is the username of carol@example.com in dev-eu-west-1; a username names one person in ' +
        "every deployment, so choose another, or leave --username out; nothing was written.\n",
    );
  });

  it("rejects a conflict with the username elsewhere", async () => {
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");

    const result = await expectFailure(1, ...QA, "--email", "carol@example.com");

    expect(result.stderr).toContain(
      'cake: carol@example.com has username "cwu" in dev-eu-west-1, but in qa-us-east-1 "cwu" is already ' +
        "used by chen.wu@example.com. A person needs one username",
    );
  });

  it("offers no other username than the kept one", async () => {
    const result = await cake(repo, ...QA, "--email", "bob@example.com");

    expect(result.stdout).toContain(
      'username "bjones" was chosen because it is the username bob@example.com has in dev-eu-west-1, ' +
        "and a person has one username in every deployment.\n",
    );
    expect(result.stdout).not.toContain("pass --username");
  });

  it("names the conflict for another --username", async () => {
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");

    const result = await expectFailure(1, ...QA, "--email", "carol@example.com", "--username", "carol");

    // "use cwu" would fail too, because chen.wu@example.com has "cwu" in qa-us-east-1.
    expect(result.stderr).toContain(
      'cake: carol@example.com has username "cwu" in dev-eu-west-1, but in qa-us-east-1 "cwu" is already ' +
        "used by chen.wu@example.com. A person needs one username",
    );
    expect(result.stderr).not.toContain('use "cwu"');
  });

  it("names the conflict for another username in a row", async () => {
    await addQaUserByHand(repo, "chen.wu@example.com", "cwu");
    const csv = path.join(repo, "new.csv");
    await writeFile(csv, "email,username,roles,namespaces\ncarol@example.com,carol,cake-user,\n");

    const result = await cake(repo, "user", "import", "--deployment", "qa-us-east-1", csv, "--no-reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error [username-differs] username: carol@example.com has username "cwu" in dev-eu-west-1, but in ' +
        'qa-us-east-1 "cwu" is already used by chen.wu@example.com.',
    );
    expect(result.stderr).not.toContain('use "cwu"');
  });

  it("warns about a deployment it cannot read", async () => {
    await writeFile(path.join(repo, "vars", "dev-eu-west-1.yaml"), `${original}\nbogus: 1\n`);

    const result = await cake(repo, ...QA, "--email", "bob@example.com");

    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "cake: warning: dev-eu-west-1 is left out of the checks across deployments, because its vars " +
        'file cannot be opened; run "cake validate" to see why.\n',
    );
  });

  it("reports a blocking deployment once", async () => {
    await writeFile(path.join(repo, "vars", "dev-eu-west-1.yaml"), `${original}\nbogus: 1\n`);
    const withReconcile = QA.filter((arg) => arg !== "--no-reconcile");

    const result = await expectFailure(1, ...withReconcile, "--email", "zed@example.com");

    // The blocking error names the file, so a warning that the edit leaves it out adds nothing.
    expect(result.stderr).toMatch(
      /^cake: the reconcile after this change would fail, so nothing was written:\nvars\/dev-eu-west-1\.yaml:\d+:1: error \[unknown-key\] bogus: /,
    );
    expect(result.stderr).not.toContain("left out of the checks");
    expect(result.stdout).toBe("");
  });

  it("warns with the --repo it was given", async () => {
    await writeFile(path.join(repo, "vars", "dev-eu-west-1.yaml"), `${original}\nbogus: 1\n`);
    const folder = path.basename(repo);

    const result = await cake(path.dirname(repo), ...QA, "--email", "bob@example.com", "--repo", folder);

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`run "cake validate --repo ${folder}" to see why.\n`);
  });

  it("adds nowhere when --username is taken", async () => {
    // qa-us-east-1 has ann@example.com as "ann"; dev-eu-west-1 has no "ann".
    const args = ["--deployment", "all", "--email", "ann@example.org", "--role", "cake-user"];

    const result = await expectFailure(1, "user", "add", ...args, "--username", "ann", "--no-reconcile");

    expect(result.stderr).toBe(
      'cake: "ann" is already used by ann@example.com in qa-us-east-1; a person needs one username, which ' +
        "names their Profile, in every deployment, so choose a name free in all of them, or leave --username " +
        "out to get one proposed; nothing was written.\n",
    );
  });

  it("imports nowhere when one deployment refuses", async () => {
    const csv = path.join(repo, "new.csv");
    await writeFile(csv, "email,username,roles,namespaces\nzed@example.com,zed,cake-user,team-a\n");

    const result = await cake(repo, "user", "import", "--deployment", "all", csv, "--no-reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /\[unknown-namespace\] namespaces: in qa-us-east-1: .*\nno deployment was changed/s,
    );
    expect(await readVars(repo)).toBe(original);
    expect(await readVars(repo, "qa-us-east-1")).not.toContain("zed@example.com");
  });

  it("names every deployment that refuses an import", async () => {
    const csv = path.join(repo, "new.csv");
    await writeFile(
      csv,
      "email,username,roles,namespaces\nzed@example.com,zed,cake-user,team-a;ml-nowhere\n",
    );

    const result = await cake(repo, "user", "import", "--deployment", "all", csv, "--no-reconcile");

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/dev-eu-west-1: .*ml-nowhere/s);
    expect(result.stderr).toMatch(/qa-us-east-1: .*team-a/s);
  });
});

describe("concurrent change", () => {
  it("a file changed meanwhile is not overwritten", async () => {
    const absolutePath = path.join(repo, "vars", "dev-eu-west-1.yaml");
    await writeFile(absolutePath, `${original}# edited by someone else\n`);
    const write = writeUnlessChanged([
      { file: "vars/dev-eu-west-1.yaml", absolutePath, before: original, after: `${original}# cake\n` },
    ]);
    await expect(write).rejects.toBeInstanceOf(CakeError);
    await expect(write).rejects.toThrow(/changed while cake was editing it/);
    expect(await readVars(repo)).toBe(`${original}# edited by someone else\n`);
  });

  it("an edit command keeps a save made while it runs", async () => {
    const absolutePath = path.join(repo, "vars", "dev-eu-west-1.yaml");
    const saved = `${original}# saved by someone else\n`;
    const output: string[] = [];
    const context = {
      io: {
        argv: [],
        cwd: repo,
        stdout: { write: (text: string) => output.push(text) },
        stderr: { write: () => 0 },
      },
      setExitCode: () => undefined,
    };

    const edit = runEdit(
      context,
      { repo, deployment: "dev-eu-west-1", reconcile: false },
      {
        command: "user test",
        async edit(target) {
          // Someone saves the file after cake read it.
          await writeFile(absolutePath, saved);
          return { text: `${target.text}# cake\n`, summary: "edited" };
        },
      },
    );

    await expect(edit).rejects.toThrow(/changed while cake was editing it; nothing was written/);
    expect(await readVars(repo)).toBe(saved);
    expect(output).toEqual([]);
  });
});

describe("cake user list", () => {
  it("prints one row per user and namespace", async () => {
    const result = await cake(repo, "user", "list", ...D);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^DEPLOYMENT\s+USER\s+USERNAME\s+ROLES\s+DISABLED\s+NAMESPACE\s+ACCESS$/);
    expect(lines).toHaveLength(1 + 11);
  });

  it("json lists access rows", async () => {
    const result = await cake(repo, "user", "list", "--format", "json");
    expect(result.code).toBe(0);
    const { access } = JSON.parse(result.stdout);
    expect(access).toContainEqual({
      deployment: "dev-eu-west-1",
      email: "carol@example.com",
      username: "cwu",
      roles: ["cake-user"],
      disabled: true,
      namespace: "team-a",
      access: "view",
    });
    expect(access.filter((row: { deployment: string }) => row.deployment === "qa-us-east-1")).toHaveLength(3);
  });

  it("unknown format is a usage error", async () => {
    await expectFailure(2, "user", "list", "--format", "yaml");
  });

  it("unknown deployment names the known ones", async () => {
    const result = await expectFailure(2, "user", "list", "--deployment", "prod-x");

    expect(result.stderr).toContain("dev-eu-west-1");
    expect(result.stderr).toContain("qa-us-east-1");
    expect(result.stderr).not.toContain("Did you mean");
  });

  it("unknown deployment is a usage error beside an invalid file", async () => {
    const qa = path.join(repo, "vars", "qa-us-east-1.yaml");
    await writeFile(qa, `${await readFile(qa, "utf8")}bogus_key: 1\n`);

    const unknown = await expectFailure(2, "user", "list", "--deployment", "dev-eu-west1");
    const invalid = await expectFailure(1, "user", "list", "--deployment", "qa-us-east-1");

    expect(unknown.stderr).toContain('Did you mean "dev-eu-west-1"?');
    expect(invalid.stderr).toContain("deployments with errors are not listed");
  });

  it("unknown deployment suggests a near name", async () => {
    const listed = await expectFailure(2, "user", "list", "--deployment", "dev-eu-west1");
    const added = await expectFailure(
      2,
      "user",
      "add",
      "--deployment",
      "qa-us-east1",
      "--email",
      "a@example.com",
      "--role",
      "cake-user",
    );

    expect(listed.stderr).toContain('Did you mean "dev-eu-west-1"?');
    expect(added.stderr).toContain('Did you mean "qa-us-east-1"?');
  });

  it("all deployments with --deployment all", async () => {
    const all = await cake(repo, "user", "list", "--deployment", "all");
    const unfiltered = await cake(repo, "user", "list");

    expect(all.code).toBe(0);
    expect(all.stdout).toBe(unfiltered.stdout);
  });
  it("shows the errors of an invalid file with their lines", async () => {
    const varsFile = path.join(repo, "vars", "dev-eu-west-1.yaml");
    await writeFile(varsFile, original.replace("bob@example.com", "bob at example"));

    const result = await cake(repo, "user", "list");
    const lines = result.stderr.split("\n");

    expect(result.code).toBe(1);
    expect(lines[0]).toMatch(/^vars\/dev-eu-west-1\.yaml:\d+:\d+: error \[invalid-email\]/);
    expect(lines[1]).toContain("bob at example");
    expect(result.stderr).toContain("cake: deployments with errors are not listed.");
    expect(result.stdout).toContain("qa-us-east-1");
  });

  it("same rows from the stored load", async () => {
    const before = await cake(repo, "user", "list", "--format", "json");
    const namespacesBefore = await cake(repo, "namespace", "list", "--format", "json");
    expect((await cake(repo, "reconcile")).code).toBe(0);

    const after = await cake(repo, "user", "list", "--format", "json");
    const namespacesAfter = await cake(repo, "namespace", "list", "--format", "json");

    expect(after.stdout).toBe(before.stdout);
    expect(namespacesAfter.stdout).toBe(namespacesBefore.stdout);
  });

  it("reads an unchanged file from the stored load", async () => {
    expect((await cake(repo, "reconcile")).code).toBe(0);
    markStoredLoad(repo, "deployments/dev-eu-west-1", "bjones");

    const result = await cake(repo, "user", "list", ...D, "--format", "json");
    const { access } = JSON.parse(result.stdout) as { access: { username: string; disabled: boolean }[] };
    const bjones = access.filter((row) => row.username === "bjones");

    expect(bjones.length).toBeGreaterThan(0);
    expect(bjones.every((row) => row.disabled)).toBe(true);
  });
});
