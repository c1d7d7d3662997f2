import { describe, expect, it } from "vitest";
import { planChanges } from "../../src/plan/diff.js";
import { renderPlanJson } from "../../src/plan/render-json.js";
import { codeSpan, renderPlanMarkdown } from "../../src/plan/render-markdown.js";
import { renderPlanText } from "../../src/plan/render-text.js";
import { describeSummary, summarizePlans } from "../../src/plan/summary.js";
import type { DeploymentPlan, RepoPlan } from "../../src/plan/types.js";
import { awsCloud, deployment, deployNamespace, grant, user } from "./deployment.js";

const FORK = "0123456789abcdef0123456789abcdef01234567";
const MAIN_TIP = "fedcba9876543210fedcba9876543210fedcba98";

function repoPlan(deployments: DeploymentPlan[]): RepoPlan {
  return {
    base: { source: "commit", ref: "main", commit: FORK, refCommit: FORK },
    head: { source: "working-tree", ref: null, commit: null, refCommit: null },
    notes: [],
    summary: summarizePlans(deployments),
    deployments,
  };
}

const pipeUser = user("a|b@example.com", "ab", { allowedNamespaces: [grant("ml-prod")] });
const bob = user("bob@example.com", "bjones", { allowedNamespaces: [grant("ml-prod", "view")] });

describe("plan rendering at scale", () => {
  it("renders 300k access rows", () => {
    // A new deployment of 50k users with 5 namespaces each: more rows than a call takes arguments.
    const plan = planChanges(deployment(), deployment({ users: [bob] }));
    const access = Array.from({ length: 300_000 }, (_, index) => ({
      change: "gained" as const,
      email: `user${index}@example.com`,
      namespace: "ml-prod",
      from: null,
      to: "edit" as const,
    }));
    const text = renderPlanText(repoPlan([{ ...plan, access }]));

    expect(text).toContain("user299999@example.com");
  });
});

describe("renderPlanMarkdown", () => {
  it("puts emails in code spans", () => {
    const markdown = renderPlanMarkdown(repoPlan([planChanges(deployment(), deployment({ users: [bob] }))]));

    expect(markdown).toContain("`bob@example.com`");
    expect(markdown).toContain("| + | User added | `bob@example.com` | `bjones`, private profile |  |  |");
    expect(markdown).not.toMatch(/[^`]bob@example\.com[^`]/);
  });

  it("escapes pipes inside table cells", () => {
    const markdown = renderPlanMarkdown(
      repoPlan([planChanges(deployment(), deployment({ users: [pipeUser] }))]),
    );
    const rows = markdown.split("\n").filter((line) => line.includes("a\\|b@example.com"));

    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      // Every unescaped pipe is a cell border: 7 borders for the 6 columns.
      expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(8);
    }
    expect(markdown).not.toMatch(/[^\\]\|b@example/);
  });

  it("warns about destructive changes first", () => {
    const plan = planChanges(deployment({ users: [bob] }), deployment());
    const markdown = renderPlanMarkdown(repoPlan([plan]));
    const warning = markdown.indexOf("> **Warning: 1 destructive change.**");

    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(markdown.indexOf("### "));
    expect(markdown).toContain("Profile `bjones`: deleting Profile");
  });

  it("omits warning without destructive changes", () => {
    const markdown = renderPlanMarkdown(repoPlan([planChanges(deployment(), deployment({ users: [bob] }))]));

    expect(markdown).not.toContain("Warning");
    expect(markdown.split("\n")[0]).toBe("## cake plan");
  });

  it("caps rows of large plans", () => {
    const users = Array.from({ length: 300 }, (_, index) =>
      user(`user${index}@example.com`, `user-${index}`),
    );
    const markdown = renderPlanMarkdown(repoPlan([planChanges(deployment(), deployment({ users }))]), {
      maxRowsPerDeployment: 50,
    });
    const tableRows = markdown
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| |") && !line.startsWith("| ---"));

    expect(tableRows).toHaveLength(50);
    expect(markdown).toMatch(/850 more changes not shown/);
  });

  it("stays under comment size limit", () => {
    const users = Array.from({ length: 5000 }, (_, index) =>
      user(`someone.with.a.long.name${index}@example.com`, `user-${index}`, {
        allowedNamespaces: [grant("ml-prod")],
      }),
    );
    const markdown = renderPlanMarkdown(repoPlan([planChanges(deployment(), deployment({ users }))]));

    expect(markdown.length).toBeLessThan(65_536);
  });

  it("says when nothing changes", () => {
    const markdown = renderPlanMarkdown(repoPlan([planChanges(deployment(), deployment())]));

    expect(markdown).toContain("No access changes.");
    expect(markdown).not.toContain("###");
  });
});

describe("codeSpan", () => {
  it("lengthens fence around backticks", () => {
    expect(codeSpan("plain")).toBe("`plain`");
    expect(codeSpan("a`b")).toBe("``a`b``");
    expect(codeSpan("`x")).toBe("`` `x ``");
  });
});

describe("renderPlanText", () => {
  it("lists changes with markers", () => {
    const head = deployment({ users: [bob], deployNamespaces: [deployNamespace("ml-prod")] });
    const text = renderPlanText(repoPlan([planChanges(deployment(), head)]));

    expect(text).toContain("Plan from main (0123456789ab) to the working tree");
    expect(text).toContain("dev-us-east-1 (vars/dev-us-east-1.yaml): changed");
    expect(text).toMatch(/\+ User added\s+bob@example\.com {2}bjones, private profile\n/);
    expect(text).toMatch(/\+ Access gained\s+bob@example\.com {2}ml-prod {2}view/);
    expect(text).toMatch(/! Profile removed\s+ml-staging/);
    expect(text).toContain(
      "DESTRUCTIVE: 1 change deletes a Profile with its data, hands a Profile and its data to someone else, or breaks Profiles;",
    );
  });

  it("counts destructive changes in plural", () => {
    const carol = user("carol@example.com", "cdavis");
    const text = renderPlanText(repoPlan([planChanges(deployment({ users: [bob, carol] }), deployment())]));

    expect(text).toContain(
      "DESTRUCTIVE: 2 changes delete a Profile with its data, hand a Profile and its data to someone else, or break Profiles;",
    );
  });

  it("labels a merge base as such", () => {
    const plan = repoPlan([]);
    plan.base = { ...plan.base, refCommit: MAIN_TIP };

    expect(renderPlanText(plan)).toContain("Plan from main (merge base 0123456789ab) to the working tree");
    expect(renderPlanMarkdown(plan)).toContain("From main (merge base 0123456789ab) to the working tree.");
    expect(JSON.parse(renderPlanJson(plan)).base).toEqual({
      source: "commit",
      ref: "main",
      commit: FORK,
      refCommit: MAIN_TIP,
    });
  });

  it("shows access change direction", () => {
    const edit = { ...bob, allowedNamespaces: [grant("ml-prod", "edit")] };
    const text = renderPlanText(
      repoPlan([planChanges(deployment({ users: [bob] }), deployment({ users: [edit] }))]),
    );

    expect(text).toMatch(/~ Access changed\s+bob@example\.com {2}ml-prod {2}view -> edit/);
  });
});

describe("renderPlanJson", () => {
  it("has documented keys in order", () => {
    const plan = planChanges(
      deployment({ users: [bob] }),
      deployment({ users: [{ ...bob, username: "bob" }] }),
    );
    const document = JSON.parse(renderPlanJson(repoPlan([plan])));

    expect(Object.keys(document)).toEqual([
      "version",
      "base",
      "head",
      "notes",
      "destructive",
      "summary",
      "deployments",
    ]);
    expect(document.notes).toEqual([]);
    expect(document.version).toBe(1);
    expect(document.destructive).toBe(true);
    expect(Object.keys(document.base)).toEqual(["source", "ref", "commit", "refCommit"]);
    expect(document.head).toEqual({ source: "working-tree", ref: null, commit: null, refCommit: null });
    expect(Object.keys(document.summary)).toEqual([
      "deploymentsAdded",
      "deploymentsRemoved",
      "deploymentsChanged",
      "deploymentsUnchanged",
      "usersAdded",
      "usersRemoved",
      "usersDisabled",
      "usersEnabled",
      "usersRenamed",
      "accessGained",
      "accessLost",
      "accessChanged",
      "profilesCreated",
      "profilesRemoved",
      "profilesHandedOver",
      "profilesRestored",
      "removedProfilesForgotten",
      "destructiveChanges",
    ]);

    const [entry] = document.deployments;
    expect(Object.keys(entry)).toEqual([
      "deployment",
      "varsFile",
      "status",
      "destructive",
      "baseValid",
      "baseManifest",
      "baseAccessFrom",
      "orphanedOutput",
      "prunedOutput",
      "varsDeletedIn",
      "users",
      "access",
      "profiles",
      "forgottenRemovedProfiles",
      "deployNamespaces",
      "quotas",
      "cloudIdentity",
      "owner",
      "settings",
    ]);
    expect(Object.keys(entry.users[0])).toEqual(["change", "email", "username", "previousUsername"]);
    expect(Object.keys(entry.access[0])).toEqual(["change", "email", "namespace", "from", "to"]);
    expect(Object.keys(entry.profiles[0])).toEqual([
      "change",
      "profile",
      "kind",
      "email",
      "previousKind",
      "previousEmail",
      "destructive",
      "reason",
    ]);
    expect(entry.owner).toBeNull();
  });

  it("renders identical input identically", () => {
    const first = renderPlanJson(
      repoPlan([planChanges(deployment(), deployment({ users: [bob, pipeUser] }))]),
    );
    const second = renderPlanJson(
      repoPlan([planChanges(deployment(), deployment({ users: [pipeUser, bob] }))]),
    );

    expect(second).toBe(first);
  });
});

describe("renderPlanMarkdown large destructive plans", () => {
  it("caps destructive reasons too", () => {
    const users = Array.from({ length: 3000 }, (_, index) =>
      user(`user${index}@example.com`, `user-${index}`),
    );
    const plan = planChanges(deployment({ users }), deployment());
    const markdown = renderPlanMarkdown(repoPlan([plan]));

    expect(markdown.length).toBeLessThan(65_536);
    expect(markdown).toMatch(/- _and \d+ more_/);
    expect(markdown).toContain("> **Warning: 3000 destructive changes.**");
  });
});

describe("renderPlanMarkdown many deployments", () => {
  it("cuts comment at line boundary", () => {
    const plans = Array.from({ length: 400 }, (_, index) =>
      planChanges(
        undefined,
        deployment({
          name: `dev${index}-us-east-1`,
          environment: `dev${index}`,
          varsFile: `vars/dev${index}-us-east-1.yaml`,
          users: Array.from({ length: 20 }, (_, number) =>
            user(`user${number}@example.com`, `user-${number}`),
          ),
        }),
      ),
    );
    const markdown = renderPlanMarkdown(repoPlan(plans));

    expect(markdown.length).toBeLessThan(65_536);
    expect(markdown.endsWith("run `cake plan --base main` for the rest._\n")).toBe(true);
  });
});

describe("describeSummary", () => {
  it("counts a username change among the users", () => {
    const renamed = user("bob@example.com", "bob-jones", { allowedNamespaces: [grant("ml-prod", "view")] });
    const carol = user("carol@example.com", "cwu");
    const plan = planChanges(deployment({ users: [bob] }), deployment({ users: [renamed, carol] }));

    expect(describeSummary(summarizePlans([plan]))).toContain("Users: 1 added, 1 with a new username");
  });
});

describe("renderPlanMarkdown row priority", () => {
  const newUsers = Array.from({ length: 200 }, (_, index) =>
    user(`user${index}@example.com`, `user-${index}`),
  );
  const carol = user("carol@example.com", "cwu", { allowedNamespaces: [grant("ml-prod")] });
  const base = deployment({ users: [bob, carol] });
  const head = deployment({
    users: [{ ...bob, roles: ["cake-admin"] }, { ...carol, allowedNamespaces: [] }, ...newUsers],
  });

  function tableRows(markdown: string): string[] {
    return markdown
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| |") && !line.startsWith("| ---"));
  }

  it("keeps access rows over additions", () => {
    const markdown = renderPlanMarkdown(repoPlan([planChanges(base, head)]));
    const rows = tableRows(markdown);

    expect(rows).toHaveLength(200);
    expect(rows).toContainEqual(expect.stringMatching(/Access lost \| `carol@example.com` \| `ml-prod`/));
    expect(rows).toContainEqual(
      expect.stringMatching(/Access gained \| `bob@example.com` \| cluster-wide \| {2}\| cake-admin/),
    );
  });

  it("shows kept rows in plan order", () => {
    const markdown = renderPlanMarkdown(repoPlan([planChanges(base, head)]));
    const rows = tableRows(markdown);
    const bobRow = rows.findIndex((row) => row.includes("`bob@example.com`"));
    const carolRow = rows.findIndex((row) => row.includes("`carol@example.com`"));

    expect(bobRow).toBeGreaterThanOrEqual(0);
    expect(carolRow).toBeGreaterThan(bobRow);
  });

  it("counts cut rows by kind", () => {
    const markdown = renderPlanMarkdown(repoPlan([planChanges(base, head)]));

    // 200 users added, 200 Profiles created and 202 access rows: 200 kept, 2 access gained cut.
    expect(markdown).toContain("_402 more changes not shown (2 access gained, 400 other);");
  });

  it("keeps destructive rows first", () => {
    const leaving = Array.from({ length: 3 }, (_, index) => user(`old${index}@example.com`, `old-${index}`));
    const plan = planChanges(deployment({ users: leaving }), deployment({ users: newUsers }));
    const markdown = renderPlanMarkdown(repoPlan([plan]), { maxRowsPerDeployment: 5 });
    const rows = tableRows(markdown);

    expect(rows.filter((row) => row.includes("Profile removed"))).toHaveLength(3);
    expect(rows.filter((row) => row.includes("Access lost"))).toHaveLength(2);
    expect(markdown).toMatch(/more changes not shown \(1 access lost, 200 access gained, 403 other\)/);
  });
});

describe("render empty setting values", () => {
  const withPrefix = (prefix: string) =>
    deployment({ kubeflow: { ...deployment().kubeflow, useridPrefix: prefix } });

  it("shows both text directions", () => {
    const added = renderPlanText(repoPlan([planChanges(withPrefix(""), withPrefix("corp:"))]));
    const removed = renderPlanText(repoPlan([planChanges(withPrefix("corp:"), withPrefix(""))]));

    expect(added).toMatch(/~ Setting changed\s+kubeflow\.userid_prefix {2}"" -> corp:\n/);
    expect(removed).toMatch(/~ Setting changed\s+kubeflow\.userid_prefix {2}corp: -> ""\n/);
  });

  it("shows empty value in markdown", () => {
    const markdown = renderPlanMarkdown(repoPlan([planChanges(withPrefix("corp:"), withPrefix(""))]));

    expect(markdown).toContain('| \\~ | Setting changed | `kubeflow.userid_prefix` |  | `corp:` | `""` |');
  });
});

describe("render removed Profiles", () => {
  const removedAtBase = { bjones: "bob@example.com", "ml-old": null };
  const headOutput = {
    folder: "deployments/dev-us-east-1",
    manifestFile: "deployments/dev-us-east-1/.cake-manifest.json",
    profiles: ["ml-prod", "ml-staging"],
    profileOwner: "kubeflow-platform@example.com",
    profileUsers: {},
  };
  const restored = planChanges(deployment(), deployment({ users: [bob] }), {
    removedAtBase: { bjones: "bob@example.com" },
  });
  const forgotten = planChanges(deployment(), deployment(), { removedAtBase, headOutput });

  it("shows restored Profile in text", () => {
    const text = renderPlanText(repoPlan([restored]));

    expect(text).toMatch(
      /\+ Profile restored\s+bjones {2}private profile {2}removed earlier -> bob@example\.com, same holder, namespace and data kept/,
    );
    expect(text).toContain("Profiles: 1 restored");
    expect(text).not.toContain("DESTRUCTIVE");
    expect(text).not.toContain("Profile created");
  });

  it("shows restored Profile in markdown", () => {
    const markdown = renderPlanMarkdown(repoPlan([restored]));

    expect(markdown).toContain(
      "| + | Profile restored | `bjones` | private profile | removed earlier | `bob@example.com`, same holder, namespace and data kept |",
    );
    expect(markdown).not.toContain("Warning");
  });

  it("warns about forgotten removals in text", () => {
    const text = renderPlanText(repoPlan([forgotten]));

    expect(text).toContain("dev-us-east-1 (vars/dev-us-east-1.yaml): unchanged");
    expect(text).toMatch(/WARNING: 2 Profiles removed earlier are no longer recorded/);
    expect(text).toMatch(/\? Removed Profile forgotten\s+bjones {2}private profile {2}bob@example\.com\n/);
    expect(text).toMatch(/\? Removed Profile forgotten\s+ml-old {2}deploy namespace\n/);
    expect(text).toMatch(
      /note: the head output no longer records the removal of Profiles "bjones", "ml-old"/,
    );
    expect(text).not.toContain("No access changes.");
    expect(text).not.toContain("DESTRUCTIVE");
  });

  it("warns about forgotten removals in markdown", () => {
    const markdown = renderPlanMarkdown(repoPlan([forgotten]));
    const warning = markdown.indexOf("> **Warning: 2 Profiles removed earlier are no longer recorded");

    expect(warning).toBeGreaterThan(0);
    expect(warning).toBeLessThan(markdown.indexOf("### "));
    expect(markdown).toContain(
      "| ? | Removed Profile forgotten | `bjones` | private profile | `bob@example.com` |  |",
    );
    expect(markdown).not.toContain("destructive change");
  });

  it("keeps forgotten rows over access rows", () => {
    const users = Array.from({ length: 20 }, (_, index) => user(`user${index}@example.com`, `user-${index}`));
    const plan = planChanges(deployment(), deployment({ users }), { removedAtBase, headOutput });
    const markdown = renderPlanMarkdown(repoPlan([plan]), { maxRowsPerDeployment: 5 });

    expect(markdown).toContain("| ? | Removed Profile forgotten | `bjones` |");
    expect(markdown).toContain("| ? | Removed Profile forgotten | `ml-old` |");
  });

  it("lists forgotten entries in JSON", () => {
    const document = JSON.parse(renderPlanJson(repoPlan([forgotten])));
    const [entry] = document.deployments;

    expect(document.destructive).toBe(false);
    expect(document.summary.removedProfilesForgotten).toBe(2);
    expect(entry.forgottenRemovedProfiles).toEqual([
      { profile: "bjones", kind: "user", email: "bob@example.com" },
      { profile: "ml-old", kind: "shared", email: null },
    ]);
  });
});

describe("grouped cloud identity rows", () => {
  const users = Array.from({ length: 14 }, (_, index) => user(`u${index}@example.com`, `u${index}`));
  const plan = planChanges(
    deployment({ cloud: awsCloud(), users }),
    deployment({ cloud: awsCloud({ defaultPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }), users }),
  );

  it("name every profile in text", () => {
    const text = renderPlanText(repoPlan([plan]));

    expect(text).toContain("u13");
    expect(text).not.toContain("more");
  });

  it("count the rest after ten profiles in markdown", () => {
    expect(renderPlanMarkdown(repoPlan([plan]))).toContain("and 6 more");
  });
});

describe("destructive reasons in markdown", () => {
  it("puts reason emails in code spans", () => {
    const hostile = "a`b_*x*(@octocat.com";
    const plan = planChanges(
      deployment({ users: [user("bob@example.com", "bjones")] }),
      deployment({ users: [user(hostile, "bjones")] }),
    );

    const markdown = renderPlanMarkdown(repoPlan([plan]));
    const reasons = markdown.split("\n").filter((line) => line.startsWith("- Profile `bjones`"));

    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toContain("`bob@example.com`");
    expect(reasons[0]).toContain(codeSpan(hostile));
    expect(
      (reasons[0] ?? "").replaceAll(codeSpan(hostile), "").replaceAll("`bob@example.com`", ""),
    ).not.toContain("@");
  });
});
