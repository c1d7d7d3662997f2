/**
 * Opening a deployment for an edit (`openTarget`). A vars file that the last reconcile on this
 * machine loaded, byte for byte, is opened from the stored load in the local cache instead of
 * being parsed again.
 */
import { appendFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { openTarget } from "../../src/edit/session.js";
import { resolveLayout } from "../../src/repo/layout.js";
import { cake, makeRepo, markStoredLoad as markStored } from "./repo.js";

const FOLDER = "deployments/dev-eu-west-1";

let repo: string;
beforeEach(async () => {
  repo = await makeRepo();
  expect((await cake(repo, "reconcile")).code).toBe(0);
});

const markStoredLoad = () => markStored(repo, FOLDER, "bjones");

const bjones = (target: Awaited<ReturnType<typeof openTarget>>) =>
  target.deployment.users.find((user) => user.username === "bjones");

describe("openTarget", () => {
  it("opens an unchanged file from the stored load", async () => {
    markStoredLoad();

    const target = await openTarget(await resolveLayout(repo), "dev-eu-west-1");

    expect(bjones(target)?.disabled).toBe(true);
    expect(target.load?.snapshot.itemUsernames).toContain("bjones");
    expect(target.warnings).toBeUndefined();
  });

  it("loads a changed file again", async () => {
    markStoredLoad();
    await appendFile(path.join(repo, "vars", "dev-eu-west-1.yaml"), "# a new comment\n");

    const target = await openTarget(await resolveLayout(repo), "dev-eu-west-1");

    expect(bjones(target)?.disabled).toBe(false);
    expect(target.warnings?.map((warning) => warning.code)).toContain("email-uppercase");
  });
});

describe("edits of a reconciled file", () => {
  it("warn about what the new entry adds only", async () => {
    const result = await cake(
      repo,
      "user",
      "add",
      "--deployment",
      "dev-eu-west-1",
      "--email",
      "Nora.NG@Example.com",
      "--role",
      "cake-user",
    );

    expect(result.code).toBe(0);
    expect(result.stderr).toContain('warning [email-uppercase] users.users[4].email: "Nora.NG@Example.com"');
    expect(result.stderr).not.toContain("Alice.Smith");
  });

  it("repeat no warning of the changed entry", async () => {
    const result = await cake(
      repo,
      "user",
      "grant",
      "--deployment",
      "dev-eu-west-1",
      "--email",
      "Alice.Smith@example.com",
      "--namespace",
      "team-a",
    );

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("granted Alice.Smith@example.com edit access to team-a");
    expect(result.stderr).toBe("");
  });
});
