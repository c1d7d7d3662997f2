/**
 * CI pipelines that `cake init` writes for GitHub Actions and GitLab CI. Both run the same
 * three checks on every change request: `cake validate`, `cake reconcile --check` (the
 * committed output matches the vars), and `cake plan` shown to reviewers. They are built
 * as data and serialized once, so a value from the command line cannot break the YAML.
 *
 * cake is installed with `npm install --global "$CAKE_PACKAGE"`, where CAKE_PACKAGE is any
 * npm install spec: `name@version` from the team's registry, a git URL or a tarball URL.
 */
import { stringify } from "yaml";

/** Paths relative to the top of the git repository, the only place the forges read them (see `forgeFiles` in init.ts). */
export const GITHUB_WORKFLOW_FILE = ".github/workflows/cake.yml";
export const GITLAB_CI_FILE = ".gitlab-ci.yml";

/** The first line of the plan comment, used to find and update it on later pushes. */
export const PLAN_COMMENT_MARKER = "<!-- cake-plan -->";

const MISSING_PACKAGE_MESSAGE =
  "Set CAKE_PACKAGE to the npm install spec of cake (name@version from your registry, a git URL or a tarball URL).";

export interface CiOptions {
  /** npm install spec of cake; empty when the team sets the CAKE_PACKAGE variable in the forge instead. */
  cakePackage: string;
  /**
   * Folder of the ops repo inside the git repository, without a final `/`, for an ops repo in a
   * subfolder: every cake command gets `--repo` with it. Empty or absent at the top.
   */
  repoPath?: string;
}

/**
 * Characters allowed in a `repoPath` written into the pipelines: letters and digits of any
 * script, space and `._@+/-`. None of them starts a GitHub expression or a shell expansion.
 */
export const CI_REPO_PATH_PATTERN = /^[\p{L}\p{N}._@+/ -]+$/u;

/** Returns the ` --repo <folder>` argument of every cake command, or "" at the top of the git repository. */
export function repoArgument(repoPath: string | undefined): string {
  if (!repoPath) return "";
  if (!CI_REPO_PATH_PATTERN.test(repoPath)) {
    throw new Error(`repo path ${JSON.stringify(repoPath)} has characters the pipelines cannot quote`);
  }
  // Single quotes keep a space or a non-ASCII letter one word in the shell.
  return /^[A-Za-z0-9._@+/-]+$/.test(repoPath) ? ` --repo ${repoPath}` : ` --repo '${repoPath}'`;
}

/** Returns a GitHub Actions expression, `${{ body }}`, which the runner evaluates before the step runs. */
function expression(body: string): string {
  return `\${{ ${body} }}`;
}

/** Characters allowed in an npm install spec here: enough for names, versions, scopes, git and tarball URLs. */
export const CAKE_PACKAGE_PATTERN = /^[A-Za-z0-9@/._:+#~=-]*$/;

export function githubWorkflowText(options: CiOptions): string {
  const repo = repoArgument(options.repoPath);
  // A repository variable CAKE_PACKAGE, when set, overrides the spec given to cake init.
  const fallback = options.cakePackage === "" ? "" : ` || '${options.cakePackage.replace(/'/g, "''")}'`;
  const workflow = {
    name: "cake",
    // No `paths` filter, even for an ops repo in a subfolder: a workflow skipped by path filtering
    // leaves its required checks "Pending", which blocks the pull request from merging
    // (https://docs.github.com/fr/enterprise-server@3.4/actions/managing-workflow-runs/skipping-workflow-runs).
    // A merge queue runs the required checks again on the queued merge, and starts workflows
    // only through `merge_group`: without it the check never reports there and the queue waits
    // (https://github.blog/changelog/2022-08-18-merge-group-webhook-event-and-github-actions-workflow-trigger/).
    on: { pull_request: {}, merge_group: {} },
    permissions: { contents: "read", "pull-requests": "write" },
    env: { CAKE_PACKAGE: expression(`vars.CAKE_PACKAGE${fallback}`) },
    jobs: {
      cake: {
        "runs-on": "ubuntu-latest",
        steps: [
          // The plan compares with the base branch, so the checkout needs the full history.
          { uses: "actions/checkout@v4", with: { "fetch-depth": 0 } },
          { uses: "actions/setup-node@v4", with: { "node-version": 20 } },
          { name: "Install cake", run: installScript(`echo "::error::${MISSING_PACKAGE_MESSAGE}"`) },
          { name: "Validate the vars files", id: "validate", run: `cake validate${repo}` },
          { name: "Check the generated output is current", run: `cake reconcile --check${repo}` },
          {
            name: "Plan the access changes",
            id: "plan",
            // A merge group has no pull request to comment on, and no `github.base_ref`.
            if: expression(
              "github.event_name == 'pull_request' && !cancelled() && steps.validate.outcome == 'success'",
            ),
            // The branch name reaches the shell through the environment, never by expansion in the script.
            env: { BASE_REF: expression("github.base_ref") },
            run: `cake plan${repo} --base "origin/$BASE_REF" --format markdown > cake-plan.md`,
          },
          {
            name: "Comment the plan on the pull request",
            if: expression("!cancelled() && steps.plan.outcome == 'success'"),
            uses: "actions/github-script@v7",
            with: { script: commentScript() },
          },
        ],
      },
    },
  };
  return `${header("GitHub Actions")}${stringify(workflow, { lineWidth: 0 })}`;
}

/** Returns the github-script code that creates the plan comment, or updates the one from an earlier push. */
function commentScript(): string {
  return [
    'const fs = require("fs");',
    `const marker = ${JSON.stringify(PLAN_COMMENT_MARKER)};`,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is JavaScript for the github-script action.
    'const body = `${marker}\\n${fs.readFileSync("cake-plan.md", "utf8")}`;',
    "const { owner, repo } = context.repo;",
    "const issue_number = context.issue.number;",
    "const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number });",
    'const previous = comments.find((comment) => (comment.body ?? "").startsWith(marker));',
    "if (previous) {",
    "  await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });",
    "} else {",
    "  await github.rest.issues.createComment({ owner, repo, issue_number, body });",
    "}",
    "",
  ].join("\n");
}

export function gitlabCiText(options: CiOptions): string {
  const target = "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME";
  const repo = repoArgument(options.repoPath);
  const pipeline = {
    // No `rules: changes` filter, so that both forges run the same checks on every change request.
    workflow: {
      rules: [
        { if: '$CI_PIPELINE_SOURCE == "merge_request_event"' },
        { if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" },
      ],
    },
    // A CAKE_PACKAGE variable set in the project's CI/CD settings takes precedence over this one.
    variables: { CAKE_PACKAGE: options.cakePackage, GIT_DEPTH: "0" },
    stages: ["check", "plan"],
    default: {
      image: "node:20",
      before_script: [installScript(`echo "${MISSING_PACKAGE_MESSAGE}"`)],
    },
    "cake-check": {
      stage: "check",
      script: [`cake validate${repo}`, `cake reconcile --check${repo}`],
    },
    "cake-plan": {
      stage: "plan",
      // `needs: []` starts the job at once instead of after the check stage, so reviewers get
      // the plan even when `reconcile --check` fails, as on GitHub.
      needs: [],
      rules: [{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"' }],
      script: [
        `git fetch origin "+refs/heads/${target}:refs/remotes/origin/${target}"`,
        `cake plan${repo} --base "origin/${target}" --format markdown > cake-plan.md`,
        `cake plan${repo} --base "origin/${target}" --format json > cake-plan.json`,
        noteScript(),
      ],
      artifacts: { expose_as: "cake plan", paths: ["cake-plan.md", "cake-plan.json"] },
    },
  };
  return `${header("GitLab CI")}${stringify(pipeline, { lineWidth: 0 })}`;
}

/**
 * Returns the script that posts the plan as a merge request note. The job token cannot
 * write notes, so this needs a project access token with the `api` scope in the masked
 * variable CAKE_GITLAB_TOKEN; without it the plan stays in the job artifacts.
 */
function noteScript(): string {
  return [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is a shell parameter expansion.
    'if [ -n "${CAKE_GITLAB_TOKEN:-}" ]; then',
    '  curl --fail --silent --show-error --request POST --header "PRIVATE-TOKEN: $CAKE_GITLAB_TOKEN" \\',
    '    --data-urlencode "body@cake-plan.md" \\',
    '    "$CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes" > /dev/null',
    "else",
    '  echo "CAKE_GITLAB_TOKEN is not set, so the plan is only in the job artifacts (cake-plan.md)."',
    "fi",
    "",
  ].join("\n");
}

function installScript(errorLine: string): string {
  return [
    'if [ -z "$CAKE_PACKAGE" ]; then',
    `  ${errorLine}`,
    "  exit 1",
    "fi",
    'npm install --global "$CAKE_PACKAGE"',
    "",
  ].join("\n");
}

function header(forge: string): string {
  return [
    `# ${forge} pipeline written by "cake init". It validates the vars files, checks that the`,
    "# generated output is current, and shows reviewers the access plan of the change.",
    "",
  ].join("\n");
}
