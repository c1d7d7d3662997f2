import { describe, expect, it } from "vitest";
import { codes, load, positionOf, single, usersYaml, userYaml, varsYaml, withCode } from "./helpers.js";

/** Returns a vars file whose users have the given emails (usernames user0, user1, ...). */
function withEmails(emails: string[], parts: { kubeflow?: string; identity?: string } = {}): string {
  return varsYaml({
    ...parts,
    users: usersYaml(
      "  deploy_namespaces: [team-a]\n",
      emails.map((email, index) =>
        userYaml({ email, username: `user${index}`, roles: "[cake-user]", allowed_namespaces: "[team-a]" }),
      ),
    ),
  });
}

describe("email rules", () => {
  const valid = [
    "bob+ml@example.network",
    "alice.smith@example.com",
    "a_b-c@sub.example.co.uk",
    "x@example.technology",
  ];
  for (const email of valid) {
    it(`accepts ${email}`, () => {
      const result = load(withEmails([email]));

      expect(codes(result)).not.toContain("invalid-email");
      expect(result.deployment?.users[0]?.email).toBe(email);
    });
  }

  it("long TLD with plus is valid", () => {
    const result = load(withEmails(["bob+ml@example.network"]));

    expect(result.diagnostics).toEqual([]);
  });

  const invalid = [
    "speech",
    "a@@example.com",
    "'@example.com'",
    "alice@localhost",
    '"alice @example.com"',
    "alice@example.com.",
  ];
  for (const email of invalid) {
    it(`rejects ${email}`, () => {
      const text = withEmails([email]);

      const diagnostic = single(load(text), "invalid-email");

      expect(diagnostic).toMatchObject({
        severity: "error",
        path: "users.users[0].email",
        ...positionOf(text, email),
      });
    });
  }

  it("bare name is not an email", () => {
    const text = withEmails(["speech"]);

    const diagnostic = single(load(text), "invalid-email");

    expect(diagnostic.message).toContain('"speech"');
  });

  it("rejects a control character", () => {
    const text = withEmails(['"alice\\u0007@example.com"']);

    expect(single(load(text), "invalid-email").path).toBe("users.users[0].email");
  });

  it("profile owner must be an email", () => {
    const text = varsYaml({ kubeflow: "kubeflow:\n  profile_owner: platform-team\n" });

    expect(single(load(text), "invalid-email")).toMatchObject({
      path: "kubeflow.profile_owner",
      ...positionOf(text, "platform-team"),
    });
  });

  it("exact duplicate email is an error", () => {
    const text = withEmails(["alice@example.com", "alice@example.com"]);

    const diagnostic = single(load(text), "duplicate-email");

    expect(diagnostic).toMatchObject({
      path: "users.users[1].email",
      ...positionOf(text, "alice@example.com", 2),
    });
    expect(diagnostic.message).toContain("users.users[0].email");
    expect(diagnostic.message).toContain("merge");
  });

  it("duplicate ignoring case is an error", () => {
    const text = withEmails(["alice.smith@example.com", "Alice.Smith@example.com"]);

    const result = load(text);

    expect(single(result, "duplicate-email-case")).toMatchObject({
      path: "users.users[1].email",
      ...positionOf(text, "Alice.Smith@example.com"),
    });
    expect(codes(result)).not.toContain("duplicate-email");
  });

  it("a lookalike in another Unicode form is an error", () => {
    const composed = "caf\u00e9@example.com";
    const decomposed = "cafe\u0301@example.com";
    const text = withEmails([composed, decomposed]);

    const result = load(text);

    expect(single(result, "duplicate-email-unicode")).toMatchObject({ path: "users.users[1].email" });
    expect(single(result, "duplicate-email-unicode").message).toContain("other Unicode code points");
    expect(codes(result)).not.toContain("duplicate-email-case");
  });

  it.each([
    ["the same email", "platform@example.com", "is kubeflow.profile_owner"],
    ["the email in other case", "Platform@example.com", 'matches ("platform@example.com", ignoring case'],
  ])("a user with %s as the profile owner is an error", (_name, email, wording) => {
    const text = withEmails(["alice@example.com", email]);

    const key = positionOf(text, `email: ${email}`);

    const result = load(text);

    expect(single(result, "profile-owner-user")).toMatchObject({
      severity: "error",
      path: "users.users[1].email",
      line: key.line,
      column: key.column + "email: ".length,
    });
    expect(single(result, "profile-owner-user").message).toContain(wording);
    expect(result.deployment).toBeUndefined();
  });

  it("a disabled user with the owner's email is an error", () => {
    const text = withEmails(["platform@example.com"]).replace("roles:", "disabled: true\n      roles:");

    expect(codes(load(text))).toContain("profile-owner-user");
  });

  it("different emails are not duplicates", () => {
    const result = load(withEmails(["alice@example.com", "bob@example.com"]));

    expect(result.diagnostics).toEqual([]);
  });

  it("upper-case email warns and stays verbatim", () => {
    const text = withEmails(["Alice.Smith@example.com"]);

    const result = load(text);

    expect(single(result, "email-uppercase")).toMatchObject({
      severity: "warning",
      path: "users.users[0].email",
      ...positionOf(text, "Alice.Smith@example.com"),
    });
    expect(result.deployment?.users[0]?.email).toBe("Alice.Smith@example.com");
  });

  it("decomposed email warns with code points", () => {
    const text = withEmails(["jose\u0301@example.com"]);

    const result = load(text);

    expect(single(result, "email-not-nfc")).toMatchObject({
      severity: "warning",
      path: "users.users[0].email",
    });
    expect(single(result, "email-not-nfc").message).toContain("has U+0065 U+0301 where NFC has U+00E9");
    expect(result.deployment?.users[0]?.email).toBe("jose\u0301@example.com");
  });

  it("composed email does not warn", () => {
    expect(codes(load(withEmails(["jos\u00e9@example.com"])))).not.toContain("email-not-nfc");
  });

  it("lower-case email does not warn", () => {
    expect(codes(load(withEmails(["alice.smith@example.com"])))).not.toContain("email-uppercase");
  });

  it("upper-case with a lower-casing IdP is an error", () => {
    const text = withEmails(["AB123456@example.com"], { identity: "identity:\n  lowercase_emails: true\n" });

    const result = load(text);

    const diagnostic = single(result, "email-uppercase-lowercased-idp");
    expect(diagnostic).toMatchObject({
      severity: "error",
      path: "users.users[0].email",
      ...positionOf(text, "AB123456"),
    });
    expect(diagnostic.message).toContain('"ab123456@example.com"');
    expect(codes(result)).not.toContain("email-uppercase");
    expect(result.deployment).toBeUndefined();
  });

  it("lower-case email with a lower-casing IdP is valid", () => {
    const result = load(
      withEmails(["ab123456@example.com"], { identity: "identity:\n  lowercase_emails: true\n" }),
    );

    expect(result.diagnostics).toEqual([]);
  });

  const iapKubeflow =
    'kubeflow:\n  profile_owner: platform@example.com\n  userid_header: x-goog-authenticated-user-email\n  userid_prefix: "accounts.google.com:"\n';

  it("email with the userid prefix is an error", () => {
    const text = withEmails(["accounts.google.com:alice@example.com"], { kubeflow: iapKubeflow });

    const diagnostic = single(load(text), "email-has-userid-prefix");

    expect(diagnostic).toMatchObject({
      path: "users.users[0].email",
      ...positionOf(text, "accounts.google.com:alice"),
    });
    expect(diagnostic.message).toContain('"alice@example.com"');
  });

  it("userid prefix in other case is an error", () => {
    const text = withEmails(["Accounts.Google.com:bob@example.com"], { kubeflow: iapKubeflow });

    const diagnostic = single(load(text), "email-has-userid-prefix");

    expect(diagnostic.path).toBe("users.users[0].email");
    expect(diagnostic.message).toContain('"bob@example.com"');
  });

  it("bare email behind the prefix is valid", () => {
    const result = load(withEmails(["alice@example.com"], { kubeflow: iapKubeflow }));

    expect(result.diagnostics).toEqual([]);
    expect(result.deployment?.kubeflow.useridPrefix).toBe("accounts.google.com:");
    expect(result.deployment?.users[0]?.email).toBe("alice@example.com");
  });

  it("IdP prefix without userid prefix warns", () => {
    const text = withEmails(["accounts.google.com:alice@example.com"]);
    const result = load(text);

    const diagnostic = single(result, "email-idp-prefix");

    expect(diagnostic).toMatchObject({
      severity: "warning",
      path: "users.users[0].email",
      ...positionOf(text, "accounts.google.com:alice"),
    });
    expect(diagnostic.message).toContain('starts with "accounts.google.com:"');
    expect(diagnostic.message).toContain('write the bare email "alice@example.com"');
    expect(diagnostic.message).toContain('set kubeflow.userid_prefix: "accounts.google.com:"');
    expect(codes(result)).toEqual(["email-idp-prefix"]);
  });

  it("other prefix beside the userid prefix warns", () => {
    const text = withEmails(["okta:bob@example.com"], { kubeflow: iapKubeflow });

    const diagnostic = single(load(text), "email-idp-prefix");

    expect(diagnostic.message).toContain('write the bare email "bob@example.com"');
    expect(diagnostic.message).toContain('cake adds kubeflow.userid_prefix "accounts.google.com:"');
  });

  it("userid prefix error is not repeated", () => {
    const text = withEmails(["accounts.google.com:alice@example.com"], { kubeflow: iapKubeflow });

    expect(codes(load(text))).toEqual(["email-has-userid-prefix"]);
  });

  it("empty userid prefix matches nothing", () => {
    const text = withEmails(["alice@example.com"], {
      kubeflow: 'kubeflow:\n  profile_owner: platform@example.com\n  userid_prefix: ""\n',
    });

    expect(withCode(load(text), "email-has-userid-prefix")).toEqual([]);
  });
});
