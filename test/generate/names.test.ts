import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bindingName,
  DNS1123_LABEL,
  gcpRoleMemberName,
  gcpWorkloadIdentityMemberName,
} from "../../src/model/names.js";

describe("bindingName", () => {
  it("follows the vars format example", () => {
    expect(bindingName("Alice.Smith@example.com", "edit")).toBe(
      "user-alice-smith-example-com-clusterrole-edit",
    );
  });

  it.each([
    ["lalith.vaka@zq.msds.kp.org", "user-lalith-vaka-zq-msds-kp-org-clusterrole-edit"],
    ["397401@zq.msds.kp.org", "user-397401-zq-msds-kp-org-clusterrole-edit"],
  ])("matches KFAM's own vector %s", (email, expected) => {
    expect(bindingName(email, "edit")).toBe(expected);
  });

  it.each([
    ["a..b@x.io", "user-a-b-x-io-clusterrole-edit"],
    ["a+-_b@x.io", "user-a-b-x-io-clusterrole-edit"],
    [".a@x.io", "user-a-x-io-clusterrole-edit"],
    ["a@x.io.", "user-a-x-io-clusterrole-edit"],
    ["--a@x.io__", "user-a-x-io-clusterrole-edit"],
    ["A_B@X.IO", "user-a-b-x-io-clusterrole-edit"],
  ])("collapses special runs in %s", (email, expected) => {
    expect(bindingName(email, "edit")).toBe(expected);
  });

  it.each(["admin", "edit", "view"] as const)("ends with the %s role", (role) => {
    expect(bindingName("bob@example.com", role)).toBe(`user-bob-example-com-clusterrole-${role}`);
  });

  it("always gives a clean lower-case name", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.constantFrom("admin", "edit", "view"),
        (email, role) => {
          expect(bindingName(email, role)).toMatch(/^user(-[a-z0-9]+)*-clusterrole-(admin|edit|view)$/);
        },
      ),
    );
  });

  it("keeps distinct emails apart", () => {
    expect(bindingName("a.b@example.com", "edit")).not.toBe(bindingName("ab@example.com", "edit"));
  });
});

describe("gcpRoleMemberName", () => {
  it("reads as account and role", () => {
    expect(gcpRoleMemberName("ml-prod", "roles/storage.objectViewer")).toMatch(
      /^ml-prod-storage-objectviewer-[0-9a-f]{8}$/,
    );
  });

  it("fits 63 characters with a long account", () => {
    const name = gcpRoleMemberName(
      "a".repeat(30),
      "projects/some-long-project/roles/aVeryLongCustomRoleName",
    );
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(DNS1123_LABEL);
  });

  it("separates roles that differ in case", () => {
    const lower = gcpRoleMemberName("ml-prod", "projects/p/roles/reader");
    const upper = gcpRoleMemberName("ml-prod", "projects/p/roles/Reader");
    expect(lower).not.toBe(upper);
  });

  it("keeps accounts apart when the role is cut", () => {
    // `user-aaaa` with `b-b-b-...` and `user-aaaa-b` with `b-b-...` read the same once cut.
    const role = `roles/b${".b".repeat(40)}`;
    const short = gcpRoleMemberName("user-aaaa", role);
    const long = gcpRoleMemberName("user-aaaa-b", role);

    expect(short.length).toBeLessThanOrEqual(63);
    expect(short).not.toBe(long);
  });

  it("keeps names of uncut roles", () => {
    expect(gcpRoleMemberName("ml-prod", "roles/viewer")).toBe(
      `ml-prod-viewer-${createHash("sha256").update("roles/viewer").digest("hex").slice(0, 8)}`,
    );
  });

  it("is stable across calls", () => {
    expect(gcpRoleMemberName("ml-prod", "roles/viewer")).toBe(gcpRoleMemberName("ml-prod", "roles/viewer"));
  });

  it("differs from the workload identity member", () => {
    const workloadIdentity = gcpWorkloadIdentityMemberName("ml-prod");
    expect(gcpRoleMemberName("ml-prod", "roles/iam.workloadIdentityUser")).not.toBe(workloadIdentity);
    expect(workloadIdentity).toBe("ml-prod-workload-identity");
  });
});
