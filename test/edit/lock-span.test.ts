/**
 * An edit command writes the vars file and reconciles its output under one repo lock. Taking
 * the lock twice let another command in between, so an edit without --wait could write the
 * vars file and then fail its reconcile on a lock another command took meanwhile.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { runCake } from "../helpers/cli.js";
import { makeRepo, varsText } from "../output/vars.js";

const spans = vi.hoisted(() => [] as { command: string; outputWritten: boolean }[]);

vi.mock("../../src/output/lock.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../src/output/lock.js")>();
  return {
    ...original,
    withRepoLock: async <T>(
      root: string,
      command: string,
      action: () => Promise<T>,
      options?: Parameters<typeof original.withRepoLock>[3],
    ): Promise<T> =>
      original.withRepoLock(
        root,
        command,
        async () => {
          const result = await action();
          // Whether the reconcile wrote the new user's Profile before the lock was released.
          const written = existsSync(path.join(root, "deployments/prod-us-east-1/profiles/cwu.yaml"));
          spans.push({ command, outputWritten: written });
          return result;
        },
        options,
      ),
  };
});

describe("edit commands and the repo lock", () => {
  it("write the vars file and reconcile under one lock", async () => {
    const root = await makeRepo({ "vars/prod-us-east-1.yaml": varsText() });
    expect((await runCake(root, "reconcile")).code).toBe(0);
    spans.length = 0;

    const added = await runCake(
      root,
      "user",
      "add",
      "--deployment",
      "prod-us-east-1",
      "--email",
      "carol@example.com",
      "--username",
      "cwu",
      "--role",
      "cake-user",
    );

    expect(added.code).toBe(0);
    expect(spans).toEqual([{ command: "user add", outputWritten: true }]);
  });
});
