import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadVarsText } from "../../src/config/load.js";
import { generateDeployment } from "../../src/generate/index.js";
import { APPSET_PROJECT, applicationSetNames, applicationSetText } from "../../src/init/argocd.js";
import { githubWorkflowText, gitlabCiText } from "../../src/init/ci.js";
import { CODEOWNERS_HEADER, renderCodeowners } from "../../src/init/codeowners.js";
import { readmeText } from "../../src/init/readme.js";
import { EXAMPLE_DEPLOYMENT, varsExampleText } from "../../src/init/vars-example.js";
import type { Deployment } from "../../src/model/types.js";
import { schemaErrors } from "../generate/schemas.js";
import { deployment, user } from "../plan/deployment.js";

const REPO_URL = "https://git.example.com/platform/ops.git";

function exampleDeployment(): Deployment {
  const result = loadVarsText(
    varsExampleText({ repoUrl: REPO_URL, schemaPath: "../schema/vars.schema.json" }),
    {
      file: `vars/${EXAMPLE_DEPLOYMENT}.yaml`,
      outputPath: `deployments/${EXAMPLE_DEPLOYMENT}`,
    },
  );
  expect(result.diagnostics).toEqual([]);
  if (!result.deployment) throw new Error("the example vars file does not load");
  return result.deployment;
}

describe("example vars file", () => {
  it("loads without any diagnostic", () => {
    const example = exampleDeployment();

    expect(example.name).toBe(EXAMPLE_DEPLOYMENT);
    expect(example.gitops.repoUrl).toBe(REPO_URL);
    expect(example.users.map((entry) => entry.roles)).toContainEqual(["cake-admin"]);
  });

  it("starts with schema comment", () => {
    const text = varsExampleText({ repoUrl: REPO_URL, schemaPath: "../schema/vars.schema.json" });

    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/vars.schema.json");
  });

  it("quotes hostile repo URL safely", () => {
    const hostile = 'https://x.example.com/a"\nusers: {}#';
    const data = parse(varsExampleText({ repoUrl: hostile, schemaPath: "s.json" }));

    expect(data.gitops.repo_url).toBe(hostile);
    expect(data.users.users).toHaveLength(2);
  });
});

describe("renderCodeowners", () => {
  it("lists active cake-admins per deployment", () => {
    const dev = deployment({
      users: [
        user("Alice.Smith@example.com", "asmith", { roles: ["cake-admin"] }),
        user("bob@example.com", "bjones", { roles: ["cake-admin", "cake-user"] }),
        user("carol@example.com", "cwu", { roles: ["cake-admin"], disabled: true }),
        user("dave@example.com", "dave"),
      ],
    });
    const lines = renderCodeowners([dev]).split("\n");

    expect(lines[0]).toBe(CODEOWNERS_HEADER);
    expect(lines).toContain("/vars/dev-us-east-1.yaml Alice.Smith@example.com bob@example.com");
    expect(lines).toContain("/deployments/dev-us-east-1/ Alice.Smith@example.com bob@example.com");
    expect(lines.join("\n")).not.toContain("carol@example.com");
    expect(lines.join("\n")).not.toContain("dave@example.com");
  });

  it("gives the rest to every admin", () => {
    const dev = deployment({
      users: [
        user("d@example.com", "d", { roles: ["cake-admin"] }),
        user("both@example.com", "b", { roles: ["cake-admin"] }),
        user("off@example.com", "o", { roles: ["cake-admin"], disabled: true }),
      ],
    });
    const prod = deployment({
      name: "prod-us-east-1",
      varsFile: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/prod-us-east-1",
      users: [
        user("both@example.com", "b", { roles: ["cake-admin"] }),
        user("p@example.com", "p", { roles: ["cake-admin"] }),
      ],
    });
    const rules = renderCodeowners([prod, dev])
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"));

    expect(rules[0]).toBe("* d@example.com both@example.com p@example.com");
    const twice = renderCodeowners([
      deployment({ users: [user("Ann@example.com", "a", { roles: ["cake-admin"] })] }),
      deployment({
        name: "prod-us-east-1",
        varsFile: "vars/prod-us-east-1.yaml",
        outputPath: "deployments/prod-us-east-1",
        users: [user("ann@example.com", "a", { roles: ["cake-admin"] })],
      }),
    ]);
    expect(twice).toMatch(/^\* Ann@example\.com$/m);
    expect(rules.slice(1).every((line) => line.startsWith("/"))).toBe(true);
  });

  it("scopes the rest to a subfolder", () => {
    const dev = deployment({
      varsFile: "platform/ops/vars/dev-us-east-1.yaml",
      users: [user("d@example.com", "d", { roles: ["cake-admin"] })],
    });

    const text = renderCodeowners([dev], "platform/ops/");

    expect(text).toMatch(/^\/platform\/ops\/ d@example\.com$/m);
    expect(text).toMatch(/^\/\.github\/workflows\/cake\.yml d@example\.com$/m);
    expect(text).not.toMatch(/^\* /m);
  });

  it("sorts deployments by name", () => {
    const prod = deployment({
      name: "prod-us-east-1",
      varsFile: "vars/prod-us-east-1.yaml",
      outputPath: "deployments/prod-us-east-1",
      users: [user("p@example.com", "p", { roles: ["cake-admin"] })],
    });
    const dev = deployment({ users: [user("d@example.com", "d", { roles: ["cake-admin"] })] });
    const rules = renderCodeowners([prod, dev])
      .split("\n")
      .filter((line) => line.startsWith("/vars/"));

    expect(rules).toEqual([
      "/vars/dev-us-east-1.yaml d@example.com",
      "/vars/prod-us-east-1.yaml p@example.com",
    ]);
  });

  it("comments deployment without admins", () => {
    const text = renderCodeowners([deployment({ users: [user("d@example.com", "d")] })]);

    expect(text).toContain("# dev-us-east-1 has no active cake-admin");
    expect(text).toContain("# No deployment has an active cake-admin");
    expect(text).not.toMatch(/^\* /m);
    expect(text).not.toMatch(/^\/vars\//m);
  });

  it("skips owner containing hash", () => {
    const text = renderCodeowners([
      deployment({
        users: [
          user("a#b@example.com", "ab", { roles: ["cake-admin"] }),
          user("ok@example.com", "ok", { roles: ["cake-admin"] }),
        ],
      }),
    ]);

    expect(text).toContain("/vars/dev-us-east-1.yaml ok@example.com\n");
    expect(text).toMatch(/^# dev-us-east-1: cake-admin "a#b@example.com" cannot be a code owner/m);
  });
});

describe("ApplicationSet", () => {
  const documents = parseAllDocuments(
    applicationSetText({ repoUrl: REPO_URL, outputDir: "deployments" }),
  ).map((document) => document.toJS());
  const [project, applicationSet] = documents;

  it("generates one application per folder", () => {
    expect(applicationSet.kind).toBe("ApplicationSet");
    expect(applicationSet.spec.goTemplate).toBe(true);
    expect(applicationSet.spec.generators).toEqual([
      {
        git: {
          repoURL: REPO_URL,
          revision: "HEAD",
          files: [{ path: "deployments/*/argocd/application.yaml" }],
        },
      },
    ]);
    expect(applicationSet.spec.template.spec.source).toEqual({
      repoURL: "{{ .spec.source.repoURL }}",
      targetRevision: "{{ .spec.source.targetRevision }}",
      path: "{{ .spec.source.path }}",
    });
    expect(applicationSet.spec.template.metadata.name).toBe("cake-{{ index .path.segments 1 }}");
    expect(applicationSet.spec.template.spec.project).toBe(APPSET_PROJECT);
    expect(applicationSet.spec.syncPolicy).toEqual({ preserveResourcesOnDeletion: true });
  });

  it("matches folders under repo path", () => {
    const text = applicationSetText({
      repoUrl: REPO_URL,
      outputDir: "deployments",
      repoPath: "platform/ops",
    });
    const [, inSubfolder] = parseAllDocuments(text).map((document) => document.toJS());

    expect(inSubfolder.spec.generators[0].git.files).toEqual([
      { path: "platform/ops/deployments/*/argocd/application.yaml" },
    ]);
    expect(inSubfolder.spec.template.metadata.name).toBe("cake-platform--ops-{{ index .path.segments 3 }}");
  });

  it("names objects after repo path", () => {
    const namesOf = (repoPath: string) => {
      const [project, generated] = parseAllDocuments(
        applicationSetText({ repoUrl: REPO_URL, outputDir: "deployments", repoPath }),
      ).map((document) => document.toJS());
      return {
        project: project.metadata.name,
        applicationSet: generated.metadata.name,
        application: generated.spec.template.metadata.name,
        applicationProject: generated.spec.template.spec.project,
      };
    };

    expect(namesOf("")).toEqual({
      project: "cake-deployments",
      applicationSet: "cake-deployments",
      application: "cake-{{ index .path.segments 1 }}",
      applicationProject: "cake-deployments",
    });
    expect(namesOf("teams/a")).toEqual({
      project: "cake-deployments-teams--a",
      applicationSet: "cake-deployments-teams--a",
      application: "cake-teams--a-{{ index .path.segments 3 }}",
      applicationProject: "cake-deployments-teams--a",
    });
    expect(namesOf("teams/b").applicationSet).toBe("cake-deployments-teams--b");
  });

  it("names lookalike folders apart", () => {
    const folders = [
      "teams/b",
      "teams-b",
      "teams.b",
      "Teams/B",
      "teams_b",
      "équipe",
      "quipe",
      "日本",
      "中国",
    ];
    const names = folders.map((folder) => applicationSetNames(folder).name);

    expect(new Set(names).size).toBe(folders.length);
    expect(applicationSetNames("teams-b").name).toBe("cake-deployments-teams-b");
    expect(applicationSetNames("teams.b").name).toMatch(/^cake-deployments-teams-b-[0-9a-f]{6}$/);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  it("shortens long repo paths", () => {
    const long = "Platform/Machine Learning/kubeflow-access/ops";
    const other = "Platform/Machine Learning/kubeflow-access/dev";
    const names = applicationSetNames(long);
    const folder = names.applicationPrefix.slice("cake-".length, -1);

    expect(folder).toMatch(/^platform-machine-[0-9a-f]{6}$/);
    expect(folder.length).toBeLessThanOrEqual(24);
    expect(names.name).toBe(`cake-deployments-${folder}`);
    expect(applicationSetNames(other).name).not.toBe(names.name);
    expect(applicationSetNames("@@").name).toMatch(/^cake-deployments-[0-9a-f]{6}$/);
  });

  it("passes upstream schemas", () => {
    expect(schemaErrors(project)).toEqual([]);
    expect(schemaErrors(applicationSet)).toEqual([]);
  });

  it("names the deployment folder's segment", () => {
    // Argo CD gives a matched file's folder as `.path.segments`, split at each slash.
    for (const repoPath of ["", "ops", "platform/ops"]) {
      const [, generated] = parseAllDocuments(
        applicationSetText({ repoUrl: REPO_URL, outputDir: "deployments", repoPath }),
      ).map((document) => document.toJS());
      const pattern: string = generated.spec.generators[0].git.files[0].path;
      const folder = pattern.replace("*", "dev-us-east-1");
      const segments = folder.split("/").slice(0, -1);
      const index = Number(/index \.path\.segments (\d+)/.exec(generated.spec.template.metadata.name)?.[1]);

      expect(segments[index], repoPath).toBe("dev-us-east-1");
    }
  });

  it("takes each deployment's source and destination", () => {
    // The files generator parses each matched file as one object.
    const file = generateDeployment(exampleDeployment()).find(
      (entry) => entry.path === "argocd/application.yaml",
    );
    const application = file?.objects[0] as {
      kind: string;
      spec: { source: Record<string, string>; destination: { server: string } };
    };

    expect(file?.objects).toHaveLength(1);
    expect(application.kind).toBe("Application");
    expect(application.spec.destination.server).toMatch(/^https:\/\//);
    expect(Object.keys(application.spec.source).sort()).toEqual(["path", "repoURL", "targetRevision"]);
    expect(applicationSet.spec.template.spec.destination).toEqual({
      server: "{{ .spec.destination.server }}",
    });
  });

  it("keeps text without repo path", () => {
    const empty = applicationSetText({ repoUrl: REPO_URL, outputDir: "deployments", repoPath: "" });

    expect(empty).toBe(applicationSetText({ repoUrl: REPO_URL, outputDir: "deployments" }));
    expect(empty).toContain(
      "# Argo CD, narrow the files path (deployments/prod-*/argocd/application.yaml).\n",
    );
  });

  it("retries like generated applications", () => {
    const files = generateDeployment(exampleDeployment());
    const application = files
      .flatMap((file) => file.objects)
      .find((object) => object.kind === "Application") as { spec: { syncPolicy: unknown } } | undefined;

    expect(application).toBeDefined();
    expect(applicationSet.spec.template.spec.syncPolicy).toEqual(application?.spec.syncPolicy);
  });

  it("allows every generated kind", async () => {
    const fixtures = path.join(import.meta.dirname, "..", "fixtures", "vars");
    const allowed = new Set(
      [...project.spec.clusterResourceWhitelist, ...project.spec.namespaceResourceWhitelist].map(
        (entry: { group: string; kind: string }) => `${entry.group}/${entry.kind}`,
      ),
    );

    const seen = new Set<string>();
    for (const name of await readdir(fixtures)) {
      const file = `vars/${name}`;
      const result = loadVarsText(await readFile(path.join(fixtures, name), "utf8"), {
        file,
        outputPath: `deployments/${name.replace(/\.yaml$/, "")}`,
      });
      expect(result.deployment, file).toBeDefined();
      if (!result.deployment) continue;

      const synced = generateDeployment(result.deployment).filter(
        (entry) => !entry.path.startsWith("argocd/"),
      );
      for (const object of synced.flatMap((entry) => entry.objects)) {
        const apiVersion = String(object.apiVersion);
        if (object.kind === "Kustomization") continue;
        const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.lastIndexOf("/")) : "";
        seen.add(`${group}/${String(object.kind)}`);
        expect(
          allowed.has(`${group}/${String(object.kind)}`),
          `${file}: ${group}/${String(object.kind)}`,
        ).toBe(true);
      }
    }
    // The fixtures cover both cloud providers, so the check above saw their kinds.
    expect(seen).toContain("iam.services.k8s.aws/Role");
    expect(seen).toContain("iam.cnrm.cloud.google.com/IAMServiceAccount");
  });
});

describe("CI pipelines", () => {
  it("quotes package spec in GitHub expression", () => {
    const workflow = parse(githubWorkflowText({ cakePackage: "cake@1.0.0" }));

    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
    expect(workflow.env.CAKE_PACKAGE).toBe("${{ vars.CAKE_PACKAGE || 'cake@1.0.0' }}");
  });

  it("leaves package to forge when empty", () => {
    const workflow = parse(githubWorkflowText({ cakePackage: "" }));
    const pipeline = parse(gitlabCiText({ cakePackage: "" }));

    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template.
    expect(workflow.env.CAKE_PACKAGE).toBe("${{ vars.CAKE_PACKAGE }}");
    expect(pipeline.variables.CAKE_PACKAGE).toBe("");
  });

  it("checks out full history", () => {
    const workflow = parse(githubWorkflowText({ cakePackage: "" }));
    const pipeline = parse(gitlabCiText({ cakePackage: "" }));

    expect(workflow.jobs.cake.steps[0]).toEqual({ uses: "actions/checkout@v4", with: { "fetch-depth": 0 } });
    expect(workflow.jobs.cake.steps[1].with["node-version"]).toBe(20);
    expect(pipeline.variables.GIT_DEPTH).toBe("0");
    expect(pipeline["cake-plan"].artifacts.paths).toContain("cake-plan.md");
  });

  it("passes repo path to every command", () => {
    const workflow = parse(githubWorkflowText({ cakePackage: "", repoPath: "platform/ops" }));
    const pipeline = parse(gitlabCiText({ cakePackage: "", repoPath: "platform/ops" }));
    const runs = workflow.jobs.cake.steps.map((step: { run?: string }) => step.run ?? "");
    const scripts = [...pipeline["cake-check"].script, ...pipeline["cake-plan"].script];
    const commands = [...runs, ...scripts].filter((line: string) => line.startsWith("cake "));

    expect(commands).toHaveLength(7);
    for (const command of commands) expect(command).toMatch(/^cake \S+ (--check )?--repo platform\/ops( |$)/);
  });

  it("quotes repo path with space", () => {
    const workflow = parse(githubWorkflowText({ cakePackage: "", repoPath: "platform ops" }));
    const validate = workflow.jobs.cake.steps.find((step: { id?: string }) => step.id === "validate");

    expect(validate.run).toBe("cake validate --repo 'platform ops'");
  });

  it("checks merge queue groups too", () => {
    const workflow = parse(githubWorkflowText({ cakePackage: "" }));
    const steps = workflow.jobs.cake.steps;
    const planStep = steps.find((step: { id?: string }) => step.id === "plan");
    const checkStep = steps.find((step: { run?: string }) => step.run === "cake reconcile --check");

    expect(Object.keys(workflow.on)).toEqual(["pull_request", "merge_group"]);
    expect(checkStep.if).toBeUndefined();
    expect(planStep.if).toContain("github.event_name == 'pull_request'");
  });

  it("plans even when the check fails", () => {
    const pipeline = parse(gitlabCiText({ cakePackage: "" }));
    const workflow = parse(githubWorkflowText({ cakePackage: "" }));
    const planStep = workflow.jobs.cake.steps.find((step: { id?: string }) => step.id === "plan");

    expect(pipeline["cake-plan"].needs).toEqual([]);
    expect(planStep.if).toContain("!cancelled()");
  });
});

describe("ops repo README", () => {
  it("quotes a subfolder with a space in its commands", () => {
    const text = readmeText({
      varsDir: "vars",
      outputDir: "deployments",
      exampleDeployment: EXAMPLE_DEPLOYMENT,
      repoPath: "platform/my ops",
    });

    expect(text).toContain("`--repo 'platform/my ops'`");
    expect(text).not.toContain("--repo platform/my ops");
  });
});
