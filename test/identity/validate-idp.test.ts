import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cake } from "../edit/repo.js";
import { varsText } from "./vars.js";

const USERS = [
  { email: "alice.smith@example.com", username: "asmith" },
  { email: "Bob.Jones@example.com", username: "bjones" },
  { email: "carol.wu@example.com", username: "cwu" },
  { email: "dmitri.ivanov@example.com", username: "divanov" },
  { email: "erin.oconnor@example.com", username: "erin" },
];

async function repoWithIdp(idpFile: string, idpText: string): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "cake-idp-"));
  await mkdir(path.join(root, "vars"));
  await writeFile(path.join(root, "vars", "dev-eu-west-1.yaml"), varsText(USERS));
  await writeFile(path.join(root, idpFile), idpText);
  return root;
}

interface JsonDiagnostic {
  severity: string;
  code: string;
  path: string;
}

describe("cake validate --idp-users", () => {
  it("reports case and unknown emails", async () => {
    const root = await repoWithIdp(
      "idp.csv",
      "email,name\nalice.smith@example.com,A\nbob.jones@example.com,B\ncarol.wu@example.com,C\nerin.oconnor@example.com,E\n",
    );
    const result = await cake(root, "validate", "--idp-users", "idp.csv", "--format", "json");
    expect(result.code).toBe(1);
    const { diagnostics } = JSON.parse(result.stdout) as { diagnostics: JsonDiagnostic[] };
    const found = diagnostics.map((item) => [item.severity, item.code, item.path]);
    expect(found).toContainEqual(["error", "idp-email-case", "users.users[1].email"]);
    expect(found).toContainEqual(["warning", "idp-unknown-email", "users.users[3].email"]);
    expect(found).toContainEqual(["warning", "username-convention", "users.users[4].username"]);
  });

  it("passes when every email matches", async () => {
    const root = await repoWithIdp("idp.json", JSON.stringify(USERS.map((user) => ({ email: user.email }))));
    const result = await cake(root, "validate", "--idp-users", "idp.json", "--format", "json");
    expect(result.code).toBe(0);
    const { diagnostics } = JSON.parse(result.stdout) as { diagnostics: JsonDiagnostic[] };
    expect(diagnostics.filter((item) => item.code.startsWith("idp-"))).toEqual([]);
  });

  it("missing IdP file is a usage error", async () => {
    const root = await repoWithIdp("idp.json", "[]");
    const result = await cake(root, "validate", "--idp-users", "nope.json");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /nope\.json cannot be read: no such file or folder \(ENOENT\); check the path\./,
    );
  });
});
