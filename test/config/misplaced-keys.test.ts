import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/config/diagnostics.js";
import { loadVarsText } from "../../src/config/load.js";

// A vars file laid out as people write them, with a line number in each comment.
const LINES = [
  "environment: prod", // 1
  "region: us-east-1", // 2
  "kubeflow:", // 3
  "  profile_owner: platform@example.com", // 4
  "cloud:", // 5
  "  provider: aws", // 6
  "  aws:", // 7
  '    account_id: "123456789012"', // 8
  "    oidc_provider: oidc.eks.us-east-1.amazonaws.com/id/ABC", // 9
  "gitops:", // 10
  "  repo_url: https://git.example.com/platform/ops.git", // 11
  "users:", // 12
  "  deploy_namespaces:", // 13
  "    - ml-staging", // 14
  "    - name: ml-prod", // 15
  "      resource_quota:", // 16
  '        requests.cpu: "64"', // 17
  "        persistentvolumeclaims: 20", // 18
  "      aws:", // 19
  "        policy_arns:", // 20
  "          - arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", // 21
  "  users:", // 22
  "    - email: alice@example.com", // 23
  "      username: alice", // 24
  "      roles: [cake-admin]", // 25
  "      allowed_namespaces:", // 26
  "        - ml-staging", // 27
  "        - name: ml-prod", // 28
  "          access: view", // 29
  "    - email: bob@example.com", // 30
  "      username: bob", // 31
  "      roles: [cake-user]", // 32
  "      allowed_namespaces: [ml-staging]", // 33
  "",
];

/** Returns the file with each given line (1-based) indented by the given number of spaces. */
function slipped(indents: Record<number, number>): string {
  const lines = [...LINES];
  for (const [line, indent] of Object.entries(indents)) {
    const index = Number(line) - 1;
    lines[index] = `${" ".repeat(indent)}${(lines[index] as string).trimStart()}`;
  }
  return lines.join("\n");
}

/** Loads `text` by the full load and by the fast path, which must report the same errors. */
function errorsOf(text: string): Diagnostic[] {
  const options = { file: "vars/prod-us-east-1.yaml", outputPath: "deployments/prod-us-east-1" };
  const full = loadVarsText(text, options).diagnostics.filter((item) => item.severity === "error");
  const fast = loadVarsText(text, { ...options, fast: true }).diagnostics.filter(
    (item) => item.severity === "error",
  );
  expect(fast).toEqual(full);
  return full;
}

function errorAt(errors: readonly Diagnostic[], line: number): Diagnostic {
  const found = errors.find((item) => item.line === line);
  if (found === undefined) throw new Error(`no error at line ${line}: ${JSON.stringify(errors, null, 2)}`);
  return found;
}

describe("keys that slipped into another mapping", () => {
  it("unchanged file has no errors", () => {
    expect(errorsOf(LINES.join("\n"))).toEqual([]);
  });

  it("top-level key indented like the section above", () => {
    const errors = errorsOf(slipped({ 12: 2 }));

    const users = errorAt(errors, 12);
    expect(users.code).toBe("unknown-key");
    expect(users.path).toBe("gitops.users");
    expect(users.column).toBe(3);
    expect(users.message).toBe(
      'unknown key "users" in gitops; this line is probably indented wrong: it is indented like ' +
        'the keys of gitops (line 11), but "users" is a top-level key; move it left to column 1',
    );

    // The keys below `users:` are in place, and they read as keys of gitops only because of line 12.
    const below = errorAt(errors, 13);
    expect(below.code).toBe("unknown-key");
    expect(below.path).toBe("gitops.deploy_namespaces");
    expect(below.message).toBe(
      'unknown key "deploy_namespaces" in gitops; it is a key of users: (line 12), which is ' +
        "probably indented wrong; once that line is in column 1, this line is below it",
    );

    // The nested `users:` is in place too: moving it to column 1 would make it a second top-level key.
    const nested = errorAt(errors, 22);
    expect(nested.code).toBe("yaml-duplicate-key");
    expect(nested.path).toBe("gitops.users");
    expect(nested.message).toBe(
      'duplicate key "users" in gitops at line 22 (first at line 12); it is a key of users: (line 12), ' +
        "which is probably indented wrong; once that line is in column 1, this line is below it",
    );
  });

  it("nested key moved left to the top level", () => {
    const errors = errorsOf(slipped({ 22: 0 }));

    const duplicate = errorAt(errors, 22);
    expect(duplicate.code).toBe("yaml-duplicate-key");
    expect(duplicate.path).toBe("users");
    expect(duplicate.column).toBe(1);
    expect(duplicate.message).toContain("this line is probably indented wrong");
    expect(duplicate.message).toContain('"users" is a key of users (line 13); indent it to column 3');
    expect(duplicate.message).not.toContain("delete");

    // The second `users:` replaces the first one's value, which the schema then reads as a list.
    const replaced = errors.find((item) => item.code === "wrong-type" && item.path === "users");
    expect(replaced?.message).toBe(
      'the value of "users" at line 22 replaces the one at line 12; line 22 is probably ' +
        "indented wrong (see its error); once it is moved, this value is checked again",
    );
  });

  it("grant key moved to the user entry's keys", () => {
    const error = errorAt(errorsOf(slipped({ 29: 6 })), 29);
    expect(error.code).toBe("unknown-key");
    expect(error.path).toBe("users.users[0].access");
    expect(error.column).toBe(7);
    expect(error.message).toBe(
      'unknown key "access" in users.users[0]; this line is probably indented wrong: it is ' +
        'indented like the keys of users.users[0] (line 26), but "access" is a key of ' +
        "users.users[0].allowed_namespaces[1] (line 28); indent it to column 11, like the keys there",
    );
  });

  it("quota key moved out of resource_quota", () => {
    const error = errorAt(errorsOf(slipped({ 18: 6 })), 18);
    expect(error.code).toBe("unknown-key");
    expect(error.path).toBe("users.deploy_namespaces[1].persistentvolumeclaims");
    expect(error.message).toContain(
      '"persistentvolumeclaims" is a key of users.deploy_namespaces[1].resource_quota (line 17); indent it to column 9',
    );
  });

  it("namespace key moved into resource_quota", () => {
    const errors = errorsOf(slipped({ 19: 8 }));

    const aws = errorAt(errors, 19);
    expect(aws.code).toBe("wrong-type");
    expect(aws.path).toBe("users.deploy_namespaces[1].resource_quota.aws");
    expect(aws.message).toContain('"aws" is not a quota resource name; this line is probably indented wrong');
    expect(aws.message).toContain(
      '"aws" is a key of users.deploy_namespaces[1] (line 15); move it left to column 7',
    );

    const below = errors.find(
      (item) => item.path === "users.deploy_namespaces[1].resource_quota.policy_arns",
    );
    expect(below?.code).toBe("wrong-type");
    expect(below?.message).toContain("it is a key of aws: (line 19), which is probably indented wrong");
  });

  it("key moved out from under an empty key", () => {
    const error = errorAt(errorsOf(slipped({ 20: 6, 21: 8 })), 20);
    expect(error.code).toBe("unknown-key");
    expect(error.path).toBe("users.deploy_namespaces[1].policy_arns");
    expect(error.message).toContain(
      '"policy_arns" is a key of users.deploy_namespaces[1].aws, whose value (line 19) is empty; indent it to column 9, below aws:',
    );
  });

  it("settings key moved out of its section", () => {
    const errors = errorsOf(slipped({ 9: 2 }));
    const error = errorAt(errors, 9);
    expect(error.code).toBe("unknown-key");
    expect(error.path).toBe("cloud.oidc_provider");
    expect(error.message).toContain(
      '"oidc_provider" is a required key of cloud.aws (line 8); indent it to column 5',
    );
    expect(error.message).not.toContain("known keys");
    // The key is reported once, at the line that slipped, and not again as missing from cloud.aws.
    expect(errors.filter((item) => item.code === "missing-key")).toEqual([]);
  });

  it("required section nested in the one above", () => {
    const errors = errorsOf(slipped({ 10: 2, 11: 4 }));
    expect(errors).toHaveLength(1);
    const error = errorAt(errors, 10);
    expect(error.code).toBe("unknown-key");
    expect(error.path).toBe("cloud.gitops");
    expect(error.message).toBe(
      'unknown key "gitops" in cloud; this line is probably indented wrong: it is indented like ' +
        'the keys of cloud (line 7), but "gitops" is a required top-level key; move it left to column 1',
    );
  });

  it("required section nested two levels deep", () => {
    const errors = errorsOf(slipped({ 10: 4, 11: 6 }));
    expect(errors).toHaveLength(1);
    const error = errorAt(errors, 10);
    expect(error.code).toBe("unknown-key");
    expect(error.path).toBe("cloud.aws.gitops");
    expect(error.column).toBe(5);
    expect(error.message).toBe(
      'unknown key "gitops" in cloud.aws; this line is probably indented wrong: it is indented like ' +
        'the keys of cloud.aws (line 9), but "gitops" is a required top-level key; move it left to column 1',
    );
  });

  it("section key nested without its keys", () => {
    const errors = errorsOf(slipped({ 10: 4 }));
    expect(errors).toHaveLength(2);
    expect(errorAt(errors, 10).message).toContain(
      '"gitops" is a required top-level key; move it left to column 1',
    );

    // repo_url stayed in column 3, where it belongs once gitops: is back in column 1.
    const below = errorAt(errors, 11);
    expect(below.code).toBe("unknown-key");
    expect(below.path).toBe("cloud.repo_url");
    expect(below.message).toBe(
      'unknown key "repo_url" in cloud; it is a key of gitops: (line 10), which is probably ' +
        "indented wrong; once that line is in column 1, this line is below it",
    );
  });

  it("section nested in the labels", () => {
    const text = LINES.join("\n").replace(
      "  profile_owner: platform@example.com\n",
      "  profile_owner: platform@example.com\n  namespace_labels:\n    team: ml\n    identity:\n      lowercase_emails: true\n",
    );
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    const error = errorAt(errors, 7);
    expect(error.code).toBe("wrong-type");
    expect(error.path).toBe("kubeflow.namespace_labels.identity");
    expect(error.column).toBe(5);
    expect(error.message).toBe(
      '"identity" is not a label, because its value is not a string; this line is probably indented ' +
        "wrong: it is indented like the keys of kubeflow.namespace_labels (line 6), but " +
        '"identity" is a top-level key; move it left to column 1',
    );
  });

  it("label with a number keeps its fix", () => {
    const text = LINES.join("\n").replace(
      "  profile_owner: platform@example.com\n",
      "  profile_owner: platform@example.com\n  namespace_labels:\n    environment: 1\n",
    );
    const error = errorAt(errorsOf(text), 6);
    expect(error.code).toBe("wrong-type");
    expect(error.message).toContain('quote it: "1"');
    expect(error.message).not.toContain("indented wrong");
  });

  it("user list key moved into a namespace", () => {
    // Line 22 indented like the keys of the last namespace entry, or of its aws: mapping.
    for (const [indent, container, above] of [
      [6, "users.deploy_namespaces[1]", 19],
      [8, "users.deploy_namespaces[1].aws", 20],
    ] as const) {
      const errors = errorsOf(slipped({ 22: indent }));
      expect(errors).toHaveLength(1);
      const error = errorAt(errors, 22);
      expect(error.code).toBe("unknown-key");
      expect(error.path).toBe(`${container}.users`);
      expect(error.column).toBe(indent + 1);
      expect(error.message).toBe(
        `unknown key "users" in ${container}; this line is probably indented wrong: it is ` +
          `indented like the keys of ${container} (line ${above}), but "users" is a key of users ` +
          "(line 13); move it left to column 3, like the keys there; the 2 list entries below it " +
          "(from line 23) read as entries of users.deploy_namespaces until then, and are checked " +
          "once they are its value",
      );
    }
  });

  it("stranded entry with a misspelled key", () => {
    const errors = errorsOf(slipped({ 22: 6 }).replace("      username: alice", "      usrname: alice"));
    expect(errors).toHaveLength(1);
    expect(errorAt(errors, 22).message).toContain("the 2 list entries below it (from line 23)");
  });

  it("namespace entries after a slipped key", () => {
    // The entry below the slipped key has keys of a deploy namespace, so it keeps its own errors.
    const text = slipped({ 22: 6 }).replace(
      "    - email: alice@example.com",
      "    - name: ml-dev\n      colour: red",
    );
    const errors = errorsOf(text);
    expect(errorAt(errors, 22).message).not.toContain("list entries below it");
    expect(errorAt(errors, 24).message).toContain('unknown key "colour"');
  });

  it("user entry moved into the grants above", () => {
    const errors = errorsOf(slipped({ 30: 8 }));
    for (const [line, key] of [
      [31, "username"],
      [32, "roles"],
      [33, "allowed_namespaces"],
    ] as const) {
      const error = errorAt(errors, line);
      expect(error.code).toBe("yaml-duplicate-key");
      expect(error.path).toBe(`users.users[0].${key}`);
      expect(error.message).toContain(
        `the list entry at line 30 is probably indented wrong: its "- " is in column 9, like the ` +
          `entries of users.users[0].allowed_namespaces, so this line reads as a second "${key}" ` +
          'of users.users[0]; move that "- " to column 5, like the entries of users.users',
      );
      expect(error.message).not.toContain("delete");
    }
  });

  it("misspelled key keeps its suggestion", () => {
    const text = LINES.join("\n").replace("          access: view", "          acess: view");
    const error = errorAt(errorsOf(text), 29);
    expect(error.message).toBe(
      'unknown key "acess" in users.users[0].allowed_namespaces[1]; did you mean "access"?',
    );
  });

  it("real duplicate keeps its fix", () => {
    const text = LINES.join("\n").replace(
      "      username: bob\n",
      "      username: bob\n      username: bobby\n",
    );
    const error = errorAt(errorsOf(text), 32);
    expect(error.code).toBe("yaml-duplicate-key");
    expect(error.message).toBe(
      'duplicate key "username" in users.users[1] at line 32 (first at line 31); keep one and delete the other',
    );
  });
});
