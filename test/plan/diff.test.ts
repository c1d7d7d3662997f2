import { describe, expect, it } from "vitest";
import { planChanges } from "../../src/plan/diff.js";
import { summarizePlans } from "../../src/plan/summary.js";
import { awsCloud, deployment, deployNamespace, grant, user } from "./deployment.js";

const alice = user("Alice.Smith@example.com", "asmith", {
  roles: ["cake-admin"],
  allowedNamespaces: [grant("ml-staging")],
});
const bob = user("bob@example.com", "bjones", { allowedNamespaces: [grant("ml-prod", "view")] });

describe("planChanges users", () => {
  it("reports nothing for equal models", () => {
    const plan = planChanges(deployment({ users: [alice, bob] }), deployment({ users: [bob, alice] }));

    expect(plan.status).toBe("unchanged");
    expect(plan.destructive).toBe(false);
    expect(plan.users).toEqual([]);
    expect(plan.access).toEqual([]);
  });

  it("reports added user with access", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice, bob] }));

    expect(plan.status).toBe("changed");
    expect(plan.users).toEqual([
      { change: "added", email: "bob@example.com", username: "bjones", previousUsername: null },
    ]);
    expect(plan.access).toEqual([
      { change: "gained", email: "bob@example.com", namespace: "bjones", from: null, to: "admin" },
      { change: "gained", email: "bob@example.com", namespace: "ml-prod", from: null, to: "view" },
    ]);
    expect(plan.profiles).toEqual([
      {
        change: "created",
        profile: "bjones",
        kind: "user",
        email: "bob@example.com",
        previousKind: null,
        previousEmail: null,
        destructive: false,
        reason: null,
      },
    ]);
    expect(plan.destructive).toBe(false);
  });

  it("marks removed user destructive", () => {
    const plan = planChanges(deployment({ users: [alice, bob] }), deployment({ users: [alice] }));

    expect(plan.users.map((change) => change.change)).toEqual(["removed"]);
    expect(plan.access.map((change) => [change.change, change.namespace])).toEqual([
      ["lost", "bjones"],
      ["lost", "ml-prod"],
    ]);
    expect(plan.profiles).toHaveLength(1);
    expect(plan.profiles[0]?.change).toBe("removed");
    expect(plan.profiles[0]?.destructive).toBe(true);
    expect(plan.profiles[0]?.reason).toMatch(/disabled: true/);
    expect(plan.destructive).toBe(true);
  });

  it("reports disabled user keeping profile", () => {
    const disabled = { ...bob, disabled: true };
    const plan = planChanges(deployment({ users: [bob] }), deployment({ users: [disabled] }));

    expect(plan.users.map((change) => change.change)).toEqual(["disabled"]);
    expect(plan.access.map((change) => change.change)).toEqual(["lost", "lost"]);
    expect(plan.profiles).toEqual([]);
    expect(plan.destructive).toBe(false);
  });

  it("reports re-enabled user", () => {
    const disabled = { ...bob, disabled: true };
    const plan = planChanges(deployment({ users: [disabled] }), deployment({ users: [bob] }));

    expect(plan.users.map((change) => change.change)).toEqual(["enabled"]);
    expect(plan.access.map((change) => change.change)).toEqual(["gained", "gained"]);
  });

  it("shows username change as profile swap", () => {
    const renamed = { ...bob, username: "bob-jones" };
    const plan = planChanges(deployment({ users: [bob] }), deployment({ users: [renamed] }));

    expect(plan.users).toEqual([
      {
        change: "username-changed",
        email: "bob@example.com",
        username: "bob-jones",
        previousUsername: "bjones",
      },
    ]);
    expect(plan.profiles.map((change) => [change.change, change.profile])).toEqual([
      ["removed", "bjones"],
      ["created", "bob-jones"],
    ]);
    expect(plan.profiles[0]?.reason).toMatch(/bob-jones/);
    expect(plan.access.map((change) => [change.change, change.namespace])).toEqual([
      ["lost", "bjones"],
      ["gained", "bob-jones"],
    ]);
    expect(plan.destructive).toBe(true);
  });

  it("keeps email bytes exactly", () => {
    const plan = planChanges(deployment(), deployment({ users: [alice] }));

    expect(plan.users[0]?.email).toBe("Alice.Smith@example.com");
    expect(plan.access.every((change) => change.email === "Alice.Smith@example.com")).toBe(true);
  });
});

describe("planChanges access", () => {
  it("reports access role change", () => {
    const edit = { ...bob, allowedNamespaces: [grant("ml-prod", "edit")] };
    const plan = planChanges(deployment({ users: [bob] }), deployment({ users: [edit] }));

    expect(plan.access).toEqual([
      { change: "changed", email: "bob@example.com", namespace: "ml-prod", from: "view", to: "edit" },
    ]);
    expect(plan.users).toEqual([]);
  });

  it("reports cake-admin membership changes", () => {
    const promoted = { ...bob, roles: ["cake-user" as const, "cake-admin" as const] };
    const gained = planChanges(deployment({ users: [bob] }), deployment({ users: [promoted] }));
    const lost = planChanges(deployment({ users: [promoted] }), deployment({ users: [bob] }));

    expect(gained.access).toEqual([
      { change: "gained", email: "bob@example.com", namespace: null, from: null, to: "cake-admin" },
    ]);
    expect(lost.access).toEqual([
      { change: "lost", email: "bob@example.com", namespace: null, from: "cake-admin", to: null },
    ]);
  });

  it("sorts cluster access before namespaces", () => {
    const plan = planChanges(undefined, deployment({ users: [alice] }));

    expect(plan.access.map((change) => change.namespace)).toEqual([null, "asmith", "ml-staging"]);
  });
});

describe("planChanges profiles and namespaces", () => {
  it("reports deploy namespace added", () => {
    const head = deployment({
      deployNamespaces: [
        deployNamespace("ml-prod"),
        deployNamespace("ml-staging"),
        deployNamespace("team-a"),
      ],
    });
    const plan = planChanges(deployment(), head);

    expect(plan.deployNamespaces).toEqual([{ change: "added", namespace: "team-a" }]);
    expect(plan.profiles.map((change) => [change.change, change.kind, change.profile])).toEqual([
      ["created", "shared", "team-a"],
    ]);
    expect(plan.destructive).toBe(false);
  });

  it("marks removed deploy namespace destructive", () => {
    const plan = planChanges(deployment(), deployment({ deployNamespaces: [deployNamespace("ml-prod")] }));

    expect(plan.deployNamespaces).toEqual([{ change: "removed", namespace: "ml-staging" }]);
    expect(plan.profiles[0]).toMatchObject({
      change: "removed",
      profile: "ml-staging",
      kind: "shared",
      destructive: true,
    });
    expect(plan.destructive).toBe(true);
  });

  it("reports quota changes per key", () => {
    const base = deployment({
      deployNamespaces: [
        deployNamespace("ml-prod", { resourceQuota: { "requests.cpu": "8", "requests.memory": "1Gi" } }),
      ],
    });
    const head = deployment({
      deployNamespaces: [deployNamespace("ml-prod", { resourceQuota: { "requests.cpu": "16", pods: "50" } })],
    });
    const plan = planChanges(base, head);

    expect(plan.quotas).toEqual([
      { profile: "ml-prod", key: "pods", from: null, to: "50" },
      { profile: "ml-prod", key: "requests.cpu", from: "8", to: "16" },
      { profile: "ml-prod", key: "requests.memory", from: "1Gi", to: null },
    ]);
    expect(plan.status).toBe("changed");
  });

  it("lists an added namespace's quota", () => {
    const head = deployment({
      deployNamespaces: [
        deployNamespace("ml-prod"),
        deployNamespace("ml-staging"),
        deployNamespace("ml-gpu", { resourceQuota: { "requests.nvidia.com/gpu": "8" } }),
      ],
      users: [bob],
    });
    const plan = planChanges(deployment(), head);

    expect(plan.quotas).toEqual([{ profile: "ml-gpu", key: "requests.nvidia.com/gpu", from: null, to: "8" }]);
  });

  it("marks owner change destructive", () => {
    const head = deployment();
    head.kubeflow = { ...head.kubeflow, profileOwner: "someone-else@example.com" };
    const plan = planChanges(deployment(), head);

    expect(plan.owner).toMatchObject({
      from: "kubeflow-platform@example.com",
      to: "someone-else@example.com",
      destructive: true,
    });
    expect(plan.destructive).toBe(true);
  });

  it("reports setting changes", () => {
    const head = deployment();
    head.kubeflow = { ...head.kubeflow, useridPrefix: "accounts.google.com:" };
    const plan = planChanges(deployment(), head);

    expect(plan.settings).toEqual([
      { field: "kubeflow.userid_prefix", from: "", to: "accounts.google.com:" },
    ]);
    expect(plan.destructive).toBe(false);
  });

  it("reports container default changes", () => {
    const head = deployment();
    head.kubeflow = {
      ...head.kubeflow,
      defaultContainerResources: { requests: { cpu: "250m" }, limits: { cpu: "1" } },
    };
    const plan = planChanges(deployment(), head);

    expect(plan.settings).toEqual([
      {
        field: "kubeflow.default_container_resources",
        from: "requests: cpu=100m; limits: cpu=1",
        to: "requests: cpu=250m; limits: cpu=1",
      },
    ]);
  });
});

describe("planChanges cloud identity", () => {
  it("reports policy added to every role", () => {
    const base = deployment({ cloud: awsCloud(), users: [bob] });
    const head = deployment({
      cloud: awsCloud({ defaultPolicyArns: ["arn:aws:iam::aws:policy/ReadOnly"] }),
      users: [bob],
    });
    const plan = planChanges(base, head);

    expect(plan.cloudIdentity.map((change) => change.profile)).toEqual(["bjones", "ml-prod", "ml-staging"]);
    expect(plan.cloudIdentity[0]).toEqual({
      profile: "bjones",
      field: "aws-policy",
      change: "added",
      from: null,
      to: "arn:aws:iam::aws:policy/ReadOnly",
    });
  });

  it("reports role ARN change", () => {
    const base = deployment({ cloud: awsCloud(), deployNamespaces: [deployNamespace("ml-prod")] });
    const head = deployment({
      cloud: awsCloud({ roleNamePrefix: "kf-" }),
      deployNamespaces: [deployNamespace("ml-prod")],
    });
    const plan = planChanges(base, head);

    expect(plan.cloudIdentity).toEqual([
      {
        profile: "ml-prod",
        field: "aws-role",
        change: "changed",
        from: "arn:aws:iam::123456789012:role/dev-us-east-1-ml-prod",
        to: "arn:aws:iam::123456789012:role/kf-ml-prod",
      },
    ]);
  });

  it("reports provider switch to GCP", () => {
    const base = deployment({ cloud: awsCloud(), deployNamespaces: [deployNamespace("ml-prod")] });
    const head = deployment({
      cloud: {
        provider: "gcp",
        identityNamespace: "cake-cloud-identity",
        gcp: { projectId: "cake-dev-123456", serviceAccountPrefix: "kf-", defaultRoles: ["roles/viewer"] },
      },
      deployNamespaces: [deployNamespace("ml-prod", { gcpRoles: ["roles/storage.objectViewer"] })],
    });
    const plan = planChanges(base, head);

    expect(
      plan.cloudIdentity.map((change) => [change.field, change.change, change.to ?? change.from]),
    ).toEqual([
      ["aws-role", "removed", "arn:aws:iam::123456789012:role/dev-us-east-1-ml-prod"],
      ["gcp-service-account", "added", "kf-ml-prod@cake-dev-123456.iam.gserviceaccount.com"],
      ["gcp-role", "added", "roles/storage.objectViewer"],
      ["gcp-role", "added", "roles/viewer"],
    ]);
    expect(plan.settings.map((change) => change.field)).toContain("cloud.provider");
  });
});

describe("planChanges added namespace identity", () => {
  it("lists an added namespace's permissions", () => {
    const base = deployment({ cloud: awsCloud(), users: [bob] });
    const head = deployment({
      cloud: awsCloud(),
      users: [bob, { ...alice, allowedNamespaces: [] }],
      deployNamespaces: [
        deployNamespace("ml-prod"),
        deployNamespace("ml-staging"),
        deployNamespace("ml-admin", { awsPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }),
      ],
    });
    const plan = planChanges(base, head);

    expect(
      plan.cloudIdentity.map((change) => [change.profile, change.field, change.change, change.to]),
    ).toEqual([
      ["ml-admin", "aws-role", "added", "arn:aws:iam::123456789012:role/dev-us-east-1-ml-admin"],
      ["ml-admin", "aws-policy", "added", "arn:aws:iam::aws:policy/AdministratorAccess"],
    ]);
  });
});

describe("planChanges whole files", () => {
  it("treats added file as all added", () => {
    const plan = planChanges(undefined, deployment({ users: [alice, bob] }));

    expect(plan.status).toBe("added");
    expect(plan.users.map((change) => change.change)).toEqual(["added", "added"]);
    expect(plan.profiles.every((change) => change.change === "created")).toBe(true);
    expect(plan.destructive).toBe(false);
  });

  it("lists an added file's namespace quotas and permissions", () => {
    const head = deployment({
      cloud: awsCloud(),
      users: [alice],
      deployNamespaces: [
        deployNamespace("ml-gpu", {
          resourceQuota: { "requests.nvidia.com/gpu": "8" },
          awsPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
        }),
      ],
    });

    const plan = planChanges(undefined, head);

    expect(plan.quotas).toEqual([{ profile: "ml-gpu", key: "requests.nvidia.com/gpu", from: null, to: "8" }]);
    expect(plan.cloudIdentity.map((change) => [change.profile, change.to])).toContainEqual([
      "ml-gpu",
      "arn:aws:iam::aws:policy/AdministratorAccess",
    ]);
    expect(plan.cloudIdentity.every((change) => change.profile === "ml-gpu")).toBe(true);
  });

  it("treats deleted file as all removed", () => {
    const plan = planChanges(deployment({ users: [alice, bob] }), undefined);

    expect(plan.status).toBe("removed");
    expect(plan.users.map((change) => change.change)).toEqual(["removed", "removed"]);
    expect(plan.access.every((change) => change.change === "lost")).toBe(true);
    expect(plan.profiles.map((change) => change.profile)).toEqual([
      "asmith",
      "bjones",
      "ml-prod",
      "ml-staging",
    ]);
    expect(plan.profiles.every((change) => change.destructive)).toBe(true);
    expect(plan.profiles[0]?.reason).toMatch(/vars file was deleted/);
  });

  it("rejects two missing sides", () => {
    expect(() => planChanges(undefined, undefined)).toThrow();
  });
});

describe("summarizePlans", () => {
  it("counts changes across deployments", () => {
    const first = planChanges(deployment({ users: [alice, bob] }), deployment({ users: [alice] }));
    const second = planChanges(undefined, deployment({ name: "prod-us-east-1", users: [bob] }));
    const third = planChanges(deployment(), deployment());
    const summary = summarizePlans([first, second, third]);

    expect(summary).toMatchObject({
      deploymentsAdded: 1,
      deploymentsChanged: 1,
      deploymentsUnchanged: 1,
      usersAdded: 1,
      usersRemoved: 1,
      profilesCreated: 3,
      profilesRemoved: 1,
      destructiveChanges: 1,
    });
    expect(summary.accessGained).toBe(2);
    expect(summary.accessLost).toBe(2);
  });
});

describe("planChanges base output manifest", () => {
  const output = {
    folder: "deployments/dev-us-east-1",
    manifestFile: "deployments/dev-us-east-1/.cake-manifest.json",
    profiles: ["asmith", "bjones", "ml-prod", "ml-staging"],
    profileOwner: "kubeflow-platform@example.com",
  };

  it("removes Profiles missing at head", () => {
    const plan = planChanges(undefined, deployment({ users: [alice] }), {
      baseValid: false,
      baseOutput: output,
    });

    expect(plan.status).toBe("changed");
    expect(plan.baseManifest).toBe(output.manifestFile);
    expect(plan.profiles).toEqual([
      expect.objectContaining({
        change: "removed",
        profile: "bjones",
        kind: null,
        email: null,
        destructive: true,
      }),
    ]);
    expect(plan.profiles[0]?.reason).toContain(output.manifestFile);
    expect(plan.destructive).toBe(true);
  });

  it("creates only Profiles new at head", () => {
    const carol = user("carol@example.com", "cwu");
    const plan = planChanges(undefined, deployment({ users: [alice, bob, carol] }), { baseOutput: output });

    expect(plan.status).toBe("added");
    expect(plan.profiles.map((change) => [change.change, change.profile])).toEqual([["created", "cwu"]]);
    expect(plan.destructive).toBe(false);
  });

  it("compares owner with output", () => {
    const head = deployment({
      users: [alice, bob],
      kubeflow: { ...deployment().kubeflow, profileOwner: "platform-team@example.com" },
    });
    const plan = planChanges(undefined, head, { baseValid: false, baseOutput: output });

    expect(plan.owner).toMatchObject({
      from: "kubeflow-platform@example.com",
      to: "platform-team@example.com",
    });
  });

  it("removes every Profile without head", () => {
    const plan = planChanges(undefined, undefined, {
      baseValid: false,
      baseOutput: output,
      names: { deployment: "dev-us-east-1", varsFile: "vars/dev-us-east-1.yaml" },
    });

    expect(plan.status).toBe("removed");
    expect(plan.varsFile).toBe("vars/dev-us-east-1.yaml");
    expect(plan.profiles.filter((change) => change.destructive)).toHaveLength(4);
  });

  it("ignores output when base is valid", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice] }), {
      baseOutput: output,
    });

    expect(plan.baseManifest).toBeNull();
    expect(plan.profiles).toEqual([]);
  });
});

describe("planChanges profile handover", () => {
  it("hands over swapped usernames", () => {
    const base = deployment({ users: [alice, bob] });
    const head = deployment({
      users: [
        { ...alice, username: "bjones" },
        { ...bob, username: "asmith" },
      ],
    });
    const plan = planChanges(base, head);

    expect(plan.profiles.map((change) => [change.change, change.profile])).toEqual([
      ["handed-over", "asmith"],
      ["handed-over", "bjones"],
    ]);
    expect(plan.profiles[0]).toMatchObject({
      kind: "user",
      email: "bob@example.com",
      previousKind: "user",
      previousEmail: "Alice.Smith@example.com",
      destructive: true,
    });
    expect(plan.profiles[0]?.reason).toContain("data of the private profile of Alice.Smith@example.com");
    expect(plan.destructive).toBe(true);
    expect(summarizePlans([plan]).destructiveChanges).toBe(2);
  });

  it("names the code points of look-alike emails", () => {
    const base = deployment({ users: [{ ...bob, email: "jos\u00e9@example.com" }] });
    const head = deployment({ users: [{ ...bob, email: "jose\u0301@example.com" }] });
    const plan = planChanges(base, head);

    expect(plan.profiles[0]?.change).toBe("handed-over");
    expect(plan.profiles[0]?.reason).toContain("other Unicode code points (U+00E9 and U+0065 U+0301)");
  });

  it("hands private profile to namespace", () => {
    const base = deployment({ users: [alice, bob] });
    const head = deployment({
      users: [alice, { ...bob, username: "bob-jones" }],
      deployNamespaces: [
        deployNamespace("ml-prod"),
        deployNamespace("ml-staging"),
        deployNamespace("bjones"),
      ],
    });
    const plan = planChanges(base, head);
    const handover = plan.profiles.find((change) => change.change === "handed-over");

    expect(handover).toMatchObject({
      profile: "bjones",
      kind: "shared",
      email: null,
      previousKind: "user",
      previousEmail: "bob@example.com",
    });
    expect(handover?.reason).toContain("data of the private profile of bob@example.com");
    expect(plan.destructive).toBe(true);
  });

  it("hands namespace to user", () => {
    const base = deployment({ users: [alice, bob] });
    const head = deployment({
      users: [alice, { ...bob, username: "ml-prod", allowedNamespaces: [] }],
      deployNamespaces: [deployNamespace("ml-staging")],
    });
    const plan = planChanges(base, head);
    const handover = plan.profiles.find((change) => change.change === "handed-over");

    expect(handover).toMatchObject({
      profile: "ml-prod",
      kind: "user",
      email: "bob@example.com",
      previousKind: "shared",
      previousEmail: null,
    });
    expect(handover?.reason).toContain('data of deploy namespace "ml-prod"');
  });

  it("keeps holder without handover", () => {
    const plan = planChanges(
      deployment({ users: [alice, bob] }),
      deployment({ users: [alice, { ...bob, disabled: true, allowedNamespaces: [] }] }),
    );

    expect(plan.profiles).toEqual([]);
  });

  it("names existing profile of new username", () => {
    const carol = user("carol@example.com", "cwu");
    const base = deployment({ users: [bob, carol] });
    const head = deployment({
      users: [
        { ...bob, username: "cwu" },
        { ...carol, username: "carol" },
      ],
    });
    const plan = planChanges(base, head);
    const removal = plan.profiles.find((change) => change.change === "removed");

    expect(removal?.profile).toBe("bjones");
    expect(removal?.reason).toContain("data of the private profile of carol@example.com");
    expect(removal?.reason).not.toContain("creates a new, empty profile");
  });

  it("names kept Profile of new username", () => {
    const base = deployment({ users: [alice] });
    const head = deployment({ users: [{ ...alice, username: "bjones" }] });

    const plan = planChanges(base, head, { removedAtBase: { bjones: "bob@example.com" } });
    const removal = plan.profiles.find((change) => change.change === "removed");

    expect(removal?.profile).toBe("asmith");
    expect(removal?.reason).toContain("names a Profile removed earlier that Argo CD kept");
    expect(removal?.reason).toContain("data of the private profile of bob@example.com");
    expect(removal?.reason).not.toContain("creates a new, empty profile");
  });
});

describe("planChanges restored Profiles", () => {
  /** The base output after bob's removal, for a base vars file that is invalid. */
  const outputWithoutBob = {
    folder: "deployments/dev-us-east-1",
    manifestFile: "deployments/dev-us-east-1/.cake-manifest.json",
    profiles: ["asmith", "ml-prod", "ml-staging"],
    profileOwner: "kubeflow-platform@example.com",
    removedProfiles: { bjones: "bob@example.com" },
  };

  it("restores Profile to same user", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice, bob] }), {
      removedAtBase: { bjones: "bob@example.com" },
    });

    expect(plan.profiles).toEqual([
      {
        change: "restored",
        profile: "bjones",
        kind: "user",
        email: "bob@example.com",
        previousKind: null,
        previousEmail: null,
        destructive: false,
        reason: null,
      },
    ]);
    expect(plan.destructive).toBe(false);
  });

  it("restores deploy namespace", () => {
    const head = deployment({
      deployNamespaces: [
        deployNamespace("ml-old"),
        deployNamespace("ml-prod"),
        deployNamespace("ml-staging"),
      ],
    });
    const plan = planChanges(deployment(), head, { removedAtBase: { "ml-old": null } });

    expect(plan.profiles).toEqual([
      expect.objectContaining({ change: "restored", profile: "ml-old", kind: "shared", destructive: false }),
    ]);
  });

  it("restores Profile against base output", () => {
    const plan = planChanges(undefined, deployment({ users: [alice, bob] }), {
      baseValid: false,
      baseOutput: outputWithoutBob,
      removedAtBase: outputWithoutBob.removedProfiles,
    });

    expect(plan.profiles.map((change) => [change.change, change.profile])).toEqual([["restored", "bjones"]]);
    expect(plan.destructive).toBe(false);
  });

  it("hands over Profile against base output", () => {
    const eve = user("eve@example.com", "bjones");
    const plan = planChanges(undefined, deployment({ users: [alice, eve] }), {
      baseValid: false,
      baseOutput: outputWithoutBob,
      removedAtBase: outputWithoutBob.removedProfiles,
    });

    expect(plan.profiles).toEqual([
      expect.objectContaining({
        change: "handed-over",
        profile: "bjones",
        email: "eve@example.com",
        previousEmail: "bob@example.com",
        destructive: true,
      }),
    ]);
  });

  it("counts restored Profiles", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice, bob] }), {
      removedAtBase: { bjones: "bob@example.com" },
    });
    const summary = summarizePlans([plan]);

    expect(summary.profilesRestored).toBe(1);
    expect(summary.profilesCreated).toBe(0);
    expect(summary.destructiveChanges).toBe(0);
  });
});

describe("planChanges forgotten removed Profiles", () => {
  const removedAtBase = { bjones: "bob@example.com", "ml-old": null };
  const headOutput = {
    folder: "deployments/dev-us-east-1",
    manifestFile: "deployments/dev-us-east-1/.cake-manifest.json",
    profiles: ["asmith", "ml-prod", "ml-staging"],
    profileOwner: "kubeflow-platform@example.com",
    profileUsers: { asmith: "Alice.Smith@example.com" },
  };

  it("reports entries the head drops", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice] }), {
      removedAtBase,
      headOutput,
    });

    expect(plan.forgottenRemovedProfiles).toEqual([
      { profile: "bjones", kind: "user", email: "bob@example.com" },
      { profile: "ml-old", kind: "shared", email: null },
    ]);
    expect(plan.status).toBe("unchanged");
    expect(plan.destructive).toBe(false);
  });

  it("keeps entries the head records", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice] }), {
      removedAtBase,
      headOutput: { ...headOutput, removedProfiles: { bjones: "bob@example.com" } },
    });

    expect(plan.forgottenRemovedProfiles.map((entry) => entry.profile)).toEqual(["ml-old"]);
  });

  it("ignores names the head holds", () => {
    const eve = user("eve@example.com", "ml-old");
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice, bob, eve] }), {
      removedAtBase,
      headOutput: { ...headOutput, profiles: [...headOutput.profiles, "bjones", "ml-old"] },
    });

    expect(plan.forgottenRemovedProfiles).toEqual([]);
    expect(plan.profiles.map((change) => [change.change, change.profile])).toEqual([
      ["restored", "bjones"],
      ["handed-over", "ml-old"],
    ]);
  });

  it("ignores names the head output holds", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice] }), {
      removedAtBase,
      headOutput: { ...headOutput, profiles: [...headOutput.profiles, "bjones"] },
    });

    expect(plan.forgottenRemovedProfiles.map((entry) => entry.profile)).toEqual(["ml-old"]);
  });

  it("reports every entry without head manifest", () => {
    const plan = planChanges(deployment({ users: [alice] }), undefined, { removedAtBase, headOutput: null });

    expect(plan.status).toBe("removed");
    expect(plan.forgottenRemovedProfiles.map((entry) => entry.profile)).toEqual(["bjones", "ml-old"]);
  });

  it("skips check without head output", () => {
    const plan = planChanges(deployment({ users: [alice] }), undefined, { removedAtBase });

    expect(plan.forgottenRemovedProfiles).toEqual([]);
  });

  it("counts forgotten entries apart", () => {
    const plan = planChanges(deployment({ users: [alice] }), deployment({ users: [alice] }), {
      removedAtBase,
      headOutput,
    });
    const summary = summarizePlans([plan]);

    expect(summary.removedProfilesForgotten).toBe(2);
    expect(summary.destructiveChanges).toBe(0);
    expect(summary.deploymentsUnchanged).toBe(1);
  });
});
