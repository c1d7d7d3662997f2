/**
 * Benchmarks `cake reconcile` against the cookiecutter baseline on synthetic vars files, and
 * times the other commands a change goes through (validate, list, plan, the editing commands,
 * import) on the same files.
 *
 *   npm run bench [-- --sizes 1000,10000,50000 --runs 5 --output FILE --work-dir DIR]
 *
 * Each mode runs `--runs` times as a separate process; the table reports the median wall time and
 * the median peak resident memory (GNU time's %M). The baseline regenerates everything on every run,
 * so every cake mode is compared with the baseline's full run on the same vars file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sharedDir = process.env.CAKE_SHARED_DIR ?? path.resolve(repoRoot, "../shared");
const makeVars = path.join(sharedDir, "bench/make-vars.mjs");
const baselineScript = path.join(sharedDir, "bench/cookiecutter/gen_deploy.py");
const cakeBin = path.join(repoRoot, "bin/cake.js");
const DEPLOYMENT = "bench-us-east-1";
/** Debian's interpreter, where apt-get installs cookiecutter and PyYAML (a `python3` earlier on PATH may not have them). */
const PYTHON = "/usr/bin/python3";

interface Measurement {
  seconds: number;
  maxRssMb: number;
  stdout: string;
}

interface ModeResult {
  seconds: number;
  maxRssMb: number;
  filesWritten?: number;
}

interface SizeResult {
  users: number;
  baseline: ModeResult;
  full: ModeResult;
  /** Full generation with `CAKE_RENDER_WORKERS=0`, to show what the render workers change. */
  fullMainThread: ModeResult;
  noop: ModeResult;
  /** `reconcile --check` over up-to-date output: what CI runs, without the local cache. */
  check: ModeResult;
  oneUser: ModeResult;
  /** The other commands, by the label of their row. */
  commands: [string, ModeResult][];
}

/** Number of rows in the timed import; each grants one user a namespace. */
const IMPORT_ROWS = 100;

const { values: options } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000,50000" },
    runs: { type: "string", default: "5" },
    "large-runs": { type: "string", default: "3" },
    output: { type: "string" },
    "work-dir": { type: "string" },
  },
});

/**
 * Folder of the synthetic repos and the baseline's output. The default is outside the checkout,
 * because on some machines the project folder is watched, which makes each file creation
 * several times slower and would measure the watcher rather than cake.
 */
const workRoot = path.resolve(options["work-dir"] ?? path.join(os.tmpdir(), "cake-bench"));

function main(): void {
  ensureTools();
  ensureBuilt();

  const sizes = (options.sizes ?? "").split(",").map((size) => Number(size.trim()));
  const results: SizeResult[] = [];
  for (const users of sizes) {
    const runs = Number(users >= 50_000 ? options["large-runs"] : options.runs);
    process.stderr.write(`bench: ${users} users, ${runs} ${runs === 1 ? "run" : "runs"} per mode\n`);
    results.push(benchSize(users, runs));
  }

  const report = renderReport(results);
  process.stdout.write(report);
  if (options.output) writeFileSync(path.resolve(options.output), report);
}

/** Installs the baseline's Debian packages and GNU time when they are missing (needs root, as in CI). */
function ensureTools(): void {
  const missing: string[] = [];
  if (!existsSync("/usr/bin/time")) missing.push("time");
  const python = spawnSync(PYTHON, ["-c", "import cookiecutter, yaml"], { stdio: "ignore" });
  if (python.status !== 0) missing.push("cookiecutter", "python3-yaml");
  if (missing.length === 0) return;

  if (process.getuid?.() !== 0) {
    throw new Error(
      `bench needs Debian packages ${missing.join(", ")}: apt-get install ${missing.join(" ")}`,
    );
  }
  process.stderr.write(`bench: installing ${missing.join(", ")} with apt-get\n`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", ...missing], { stdio: "inherit" });
}

function ensureBuilt(): void {
  execFileSync("npm", ["run", "build", "--silent"], { cwd: repoRoot, stdio: "inherit" });
}

/**
 * Writes the `cake.yaml` that `cake init` writes, so each command reads the repo layout as it
 * does in an ops repo that init made.
 */
function writeConfig(root: string): void {
  writeFileSync(
    path.join(root, "cake.yaml"),
    "# Written as cake init writes it.\nvars_dir: vars\noutput_dir: deployments\n",
  );
}

function benchSize(users: number, runs: number): SizeResult {
  const work = path.join(workRoot, String(users));
  const repo = path.join(work, "repo");
  const varsFile = path.join(repo, "vars", `${DEPLOYMENT}.yaml`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(path.dirname(varsFile), { recursive: true });

  const varsText = execFileSync(
    process.execPath,
    [makeVars, "--users", String(users), "--namespaces", "500", "--per-user", "5", "--cloud", "aws"],
    { encoding: "utf8", maxBuffer: 1 << 30 },
  );
  writeFileSync(varsFile, varsText);
  writeConfig(repo);
  const changedText = changeOneGrant(varsText);

  // Every full run writes into a folder of its own, and old output is deleted only after
  // all runs. On some disks, deleting 10k files just before a run slows the file creations
  // that follow, which would charge cake for the previous run's cleanup.
  let run = 0;
  const baseline = median(
    repeat(runs, () => measure(PYTHON, [baselineScript, varsFile, path.join(work, `baseline-${++run}`)])),
  );

  const reconcileArgs = (root: string) => [cakeBin, "reconcile", "--repo", root, "--format", "json"];
  // With and without render workers in turns, so both meet the same state of the disk.
  const fullRuns: Measurement[] = [];
  const mainThreadRuns: Measurement[] = [];
  for (let index = 0; index < runs; index++) {
    for (const [measured, env] of [
      [fullRuns, {}],
      [mainThreadRuns, { CAKE_RENDER_WORKERS: "0" }],
    ] as const) {
      const fresh = path.join(work, `full-${++run}`);
      mkdirSync(path.join(fresh, "vars"), { recursive: true });
      writeFileSync(path.join(fresh, "vars", `${DEPLOYMENT}.yaml`), varsText);
      writeConfig(fresh);
      measured.push(measure(process.execPath, reconcileArgs(fresh), env));
    }
  }
  const full = median(fullRuns);
  const fullMainThread = median(mainThreadRuns);
  execFileSync(process.execPath, reconcileArgs(repo), { maxBuffer: 1 << 30 });

  const noop = median(repeat(runs, () => measure(process.execPath, reconcileArgs(repo))));
  for (const verification of repeat(1, () => measure(process.execPath, reconcileArgs(repo)))) {
    const written = filesWritten(verification.stdout);
    if (written !== 0) throw new Error(`no-op reconcile wrote ${written} files`);
  }
  const check = median(repeat(runs, () => measure(process.execPath, [...reconcileArgs(repo), "--check"])));

  // Alternate between the two texts so that every measured run applies exactly one user's change.
  let flip = false;
  const oneUserRuns = repeat(runs, () => {
    flip = !flip;
    writeFileSync(varsFile, flip ? changedText : varsText);
    return measure(process.execPath, reconcileArgs(repo));
  });
  const oneUser = median(oneUserRuns);
  const written = Math.max(...oneUserRuns.map((run) => filesWritten(run.stdout)));

  writeFileSync(varsFile, varsText);
  execFileSync(process.execPath, reconcileArgs(repo), { maxBuffer: 1 << 30 });
  const commands = benchCommands(repo, varsText, changedText, runs);

  rmSync(work, { recursive: true, force: true });
  return {
    users,
    baseline,
    full,
    fullMainThread,
    noop,
    check,
    oneUser: { ...oneUser, filesWritten: written },
    commands,
  };
}

/**
 * Times the commands around a change on `repo`, whose output is up to date with `varsText`.
 * Edits without reconcile start from `varsText` on every run.
 */
function benchCommands(
  repo: string,
  varsText: string,
  changedText: string,
  runs: number,
): [string, ModeResult][] {
  const varsFile = path.join(repo, "vars", `${DEPLOYMENT}.yaml`);
  const cake = (...args: string[]) => [cakeBin, ...args, "--repo", repo];
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=bench", "-c", "user.email=bench@example.com", ...args], {
      cwd: repo,
      stdio: "ignore",
    });
  writeFileSync(path.join(repo, ".gitignore"), ".cake/\n");
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "bench");

  const edit = ["--deployment", DEPLOYMENT];
  const { email, namespace } = newGrant(varsText, 0.5);
  const csvFile = path.join(repo, "..", "import.csv");
  writeFileSync(csvFile, importCsv(varsText));
  const newUsersFile = path.join(repo, "..", "import-new-users.csv");
  writeFileSync(newUsersFile, newUsersCsv(varsText));
  const fromOriginal = (args: string[]) =>
    median(
      repeat(runs, () => {
        writeFileSync(varsFile, varsText);
        return measure(process.execPath, args);
      }),
    );

  // Without the local cache, as on a fresh clone: the command parses the vars file.
  const cacheFolder = path.join(repo, ".cake");
  const withoutCache = <T>(run: () => T): T => {
    renameSync(cacheFolder, `${cacheFolder}-off`);
    try {
      return run();
    } finally {
      renameSync(`${cacheFolder}-off`, cacheFolder);
    }
  };

  const validate = median(repeat(runs, () => measure(process.execPath, cake("validate"))));
  const userList = median(repeat(runs, () => measure(process.execPath, cake("user", "list"))));
  const namespaceList = median(repeat(runs, () => measure(process.execPath, cake("namespace", "list"))));
  writeFileSync(varsFile, changedText);
  const plan = median(repeat(runs, () => measure(process.execPath, cake("plan", "--base", "HEAD"))));
  const grantArgs = (access: string) =>
    cake("user", "grant", ...edit, "--email", email, "--namespace", namespace, "--access", access);
  const grant = fromOriginal([...grantArgs("view"), "--no-reconcile"]);
  const grantWithoutCache = withoutCache(() => fromOriginal([...grantArgs("view"), "--no-reconcile"]));
  const namespaceAdd = fromOriginal([...cake("namespace", "add", ...edit, "team-new"), "--no-reconcile"]);
  const removed = grantedNamespace(varsText);
  const namespaceRemove = fromOriginal([
    ...cake("namespace", "remove", ...edit, removed.namespace, "--revoke-grants", "--delete-profile"),
    "--no-reconcile",
  ]);
  const imported = fromOriginal([...cake("user", "import", ...edit, csvFile), "--no-reconcile"]);
  const importedUsers = fromOriginal([...cake("user", "import", ...edit, newUsersFile), "--no-reconcile"]);

  // Each run switches the new grant between view and edit, so every run changes one grant.
  writeFileSync(varsFile, varsText);
  execFileSync(process.execPath, cake("reconcile"), { maxBuffer: 1 << 30 });
  let view = false;
  const grantReconcile = median(
    repeat(runs, () => {
      view = !view;
      return measure(process.execPath, grantArgs(view ? "view" : "edit"));
    }),
  );
  writeFileSync(varsFile, varsText);

  return [
    ["validate (every warning printed)", validate],
    ["user list", userList],
    ["namespace list", namespaceList],
    ["plan, one grant changed", plan],
    ["user grant --no-reconcile", grant],
    ["user grant --no-reconcile, no local cache", grantWithoutCache],
    ["user grant, then its reconcile", grantReconcile],
    ["namespace add --no-reconcile", namespaceAdd],
    [`namespace remove --revoke-grants of ${removed.grants} grants --no-reconcile`, namespaceRemove],
    [`user import of ${IMPORT_ROWS} grants --no-reconcile`, imported],
    [`user import of ${IMPORT_ROWS} new users --no-reconcile`, importedUsers],
  ];
}

/** Returns the first deploy namespace that users are granted, with the number of its grants. */
export function grantedNamespace(varsText: string): { namespace: string; grants: number } {
  const counts = new Map<string, number>();
  for (const match of varsText.matchAll(/^ {8}- (?:name: )?(team-\d+)$/gm)) {
    const name = match[1] as string;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const first = [...counts.keys()].sort()[0];
  if (first === undefined) throw new Error("no namespace is granted in the synthetic vars file");
  return { namespace: first, grants: counts.get(first) ?? 0 };
}

/** Returns the email of the user at `fraction` of the users list and a namespace that user is not granted. */
export function newGrant(varsText: string, fraction: number): { email: string; namespace: string } {
  const lines = varsText.split("\n");
  const userLines = lines.flatMap((line, index) => (line.startsWith("    - email: ") ? [index] : []));
  const start = userLines[Math.floor(fraction * userLines.length)];
  if (start === undefined) throw new Error("no user found in the synthetic vars file");
  const granted = new Set<string>();
  for (let index = start + 1; index < lines.length && !lines[index]?.startsWith("    - "); index++) {
    const name = /^ {8}- (?:name: )?(\S+)$/.exec(lines[index] ?? "")?.[1];
    if (name !== undefined) granted.add(name);
  }
  const namespaces = [...varsText.matchAll(/^ {4}- (team-\d+)$/gm)].map((match) => match[1] as string);
  const namespace = namespaces.find((candidate) => !granted.has(candidate));
  if (namespace === undefined) throw new Error(`${lines[start]} already has every namespace`);
  return { email: (lines[start] as string).slice("    - email: ".length), namespace };
}

/** Returns a CSV that grants `IMPORT_ROWS` users spread over the file one namespace each. */
export function importCsv(varsText: string): string {
  const rows = ["email,username,roles,namespaces"];
  for (let row = 0; row < IMPORT_ROWS; row++) {
    const { email, namespace } = newGrant(varsText, row / IMPORT_ROWS);
    rows.push(`${email},,,${namespace}`);
  }
  return `${rows.join("\n")}\n`;
}

/**
 * Returns a CSV that adds `IMPORT_ROWS` users with an empty username column, so cake proposes
 * each one, and one grant each.
 */
export function newUsersCsv(varsText: string): string {
  const namespaces = [...varsText.matchAll(/^ {4}- (team-\d+)$/gm)].map((match) => match[1] as string);
  const rows = ["email,username,roles,namespaces"];
  for (let row = 0; row < IMPORT_ROWS; row++) {
    rows.push(`new.user${row}@example.com,,cake-user,${namespaces[row % namespaces.length]}`);
  }
  return `${rows.join("\n")}\n`;
}

/** Changes the access of one user, near the middle of the file, to one namespace: view becomes edit or the reverse. */
export function changeOneGrant(varsText: string): string {
  const lines = varsText.split("\n");
  const start = lines.findIndex(
    (line, index) => index > lines.length / 2 && line.startsWith("    - email: "),
  );
  const grantsAt = lines.findIndex((line, index) => index > start && line === "      allowed_namespaces:");
  const first = lines[grantsAt + 1];
  if (start < 0 || grantsAt < 0 || first === undefined) throw new Error("cannot find a user to change");

  if (first.startsWith("        - name: ")) {
    // `- name: X` followed by `access: view`: drop the access line, so the grant becomes edit.
    lines.splice(grantsAt + 2, 1);
  } else {
    const name = first.slice("        - ".length);
    lines.splice(grantsAt + 1, 1, `        - name: ${name}`, "          access: view");
  }
  return lines.join("\n");
}

function measure(command: string, args: string[], env: Record<string, string> = {}): Measurement {
  // Flush what earlier runs wrote, so their writeback is not charged to this run.
  execFileSync("sync");
  const timeFile = path.join(os.tmpdir(), `cake-bench-time-${process.pid}`);
  const started = performance.now();
  const result = spawnSync("/usr/bin/time", ["-f", "%M", "-o", timeFile, command, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    env: { ...process.env, ...env },
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
  }
  const maxRssKb = Number(readFileSync(timeFile, "utf8").trim().split("\n").pop());
  rmSync(timeFile, { force: true });
  return { seconds, maxRssMb: maxRssKb / 1024, stdout: result.stdout };
}

function filesWritten(stdout: string): number {
  const report = JSON.parse(stdout) as { deployments: { written: unknown[] }[] };
  return report.deployments.reduce((sum, deployment) => sum + deployment.written.length, 0);
}

function repeat<T>(count: number, run: () => T): T[] {
  return Array.from({ length: count }, run);
}

function median(measurements: Measurement[]): ModeResult {
  const middle = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  return {
    seconds: middle(measurements.map((m) => m.seconds)),
    maxRssMb: middle(measurements.map((m) => m.maxRssMb)),
  };
}

interface Target {
  users: number;
  text: string;
  isMet(result: SizeResult): boolean;
}

const TARGETS: Target[] = [
  {
    users: 10_000,
    text: "10k users, full generation: >= 10x faster than the baseline, <= 1/2 of its peak memory",
    isMet: (r) => r.baseline.seconds / r.full.seconds >= 10 && r.full.maxRssMb <= r.baseline.maxRssMb / 2,
  },
  {
    users: 10_000,
    text: "10k users, no-op reconcile: >= 20x faster than the baseline, no file written",
    isMet: (r) => r.baseline.seconds / r.noop.seconds >= 20,
  },
  {
    users: 10_000,
    text: "10k users, one user's grant changed: >= 20x faster than the baseline, a handful of files written",
    isMet: (r) => r.baseline.seconds / r.oneUser.seconds >= 20 && (r.oneUser.filesWritten ?? 0) <= 5,
  },
  {
    users: 50_000,
    text: "50k users: peak memory under 1.5 GB in every mode",
    isMet: (r) =>
      Math.max(
        ...[
          r.full,
          r.fullMainThread,
          r.noop,
          r.check,
          r.oneUser,
          ...r.commands.map(([, result]) => result),
        ].map((result) => result.maxRssMb),
      ) < 1536,
  },
];

function renderReport(results: SizeResult[]): string {
  return [
    ...reportHeader(),
    "",
    ...resultTable(results),
    "",
    ...targetVerdicts(results),
    "",
    "Other commands (no baseline: the baseline has no such command):",
    "",
    ...commandTable(results),
    "",
  ].join("\n");
}

function commandTable(results: SizeResult[]): string[] {
  const lines = ["| users | command | cake s | cake peak MB |", "| ---: | --- | ---: | ---: |"];
  for (const result of results) {
    for (const [label, measured] of result.commands) {
      lines.push(
        `| ${result.users} | ${label} | ${measured.seconds.toFixed(3)} | ${measured.maxRssMb.toFixed(0)} |`,
      );
    }
  }
  return lines;
}

function reportHeader(): string[] {
  const cpus = os.cpus();
  const memoryGib = Math.round(os.totalmem() / 2 ** 30);
  return [
    `Command: \`npm run bench -- --sizes ${options.sizes} --runs ${options.runs}\``,
    `Work folder: ${workRoot}`,
    `Date: ${new Date().toISOString().slice(0, 10)}`,
    `Machine: ${cpus.length} cores (${cpus[0]?.model ?? "unknown"}), ${memoryGib} GiB memory, Node ${process.version}, ${pythonVersions()}`,
  ];
}

function resultTable(results: SizeResult[]): string[] {
  const lines = [
    "| users | mode | cake s | cake peak MB | baseline s | baseline peak MB | speed-up | memory ratio | files written |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const result of results) {
    const modes: [string, ModeResult, string][] = [
      ["full generation", result.full, "all"],
      ["full generation, main thread only", result.fullMainThread, "all"],
      ["no-op reconcile", result.noop, "0"],
      ["check, no cache (CI)", result.check, "0"],
      ["one user changed", result.oneUser, String(result.oneUser.filesWritten)],
    ];
    for (const [mode, measured, written] of modes) {
      const { baseline } = result;
      const speedUp = (baseline.seconds / measured.seconds).toFixed(1);
      const memoryRatio = (measured.maxRssMb / baseline.maxRssMb).toFixed(2);
      lines.push(
        `| ${result.users} | ${mode} | ${measured.seconds.toFixed(3)} | ${measured.maxRssMb.toFixed(0)} | ${baseline.seconds.toFixed(3)} | ${baseline.maxRssMb.toFixed(0)} | ${speedUp}x | ${memoryRatio} | ${written} |`,
      );
    }
  }
  return lines;
}

function targetVerdicts(results: SizeResult[]): string[] {
  const lines = ["Targets:"];
  for (const target of TARGETS) {
    const result = results.find((candidate) => candidate.users === target.users);
    let verdict = "not measured";
    if (result !== undefined) verdict = target.isMet(result) ? "holds" : "DOES NOT HOLD";
    lines.push(`- ${target.text}: ${verdict}`);
  }
  return lines;
}

function pythonVersions(): string {
  const result = spawnSync(
    PYTHON,
    [
      "-c",
      "import sys, cookiecutter, yaml; print(sys.version.split()[0], cookiecutter.__version__, yaml.__version__)",
    ],
    { encoding: "utf8" },
  );
  const [python, cookiecutter, pyyaml] = result.stdout.trim().split(" ");
  return `Python ${python}, cookiecutter ${cookiecutter}, PyYAML ${pyyaml}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
