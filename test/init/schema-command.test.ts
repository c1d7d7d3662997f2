import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/main.js";

async function cake(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run({
    argv,
    cwd: process.cwd(),
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe("cake schema", () => {
  it("prints vars JSON Schema", async () => {
    const result = await cake("schema");
    const schema = JSON.parse(result.stdout);

    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["environment", "region", "users"]),
    );
  });

  it("matches the committed schema file", async () => {
    const result = await cake("schema");
    const committed = await readFile(new URL("../../schema/vars.schema.json", import.meta.url), "utf8");

    expect(result.stdout).toBe(committed);
  });

  it("rejects unexpected arguments", async () => {
    const result = await cake("schema", "extra");

    expect(result.code).toBe(2);
  });
});
