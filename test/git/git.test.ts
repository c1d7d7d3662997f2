import { mkdir, mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  branchBehindUpstream,
  conflictMarkerSizes,
  currentBranch,
  danglingOriginHead,
  defaultBranch,
  deletedFiles,
  GitError,
  indexStates,
  init,
  isRepo,
  listFiles,
  mayBeInRepo,
  mergeBase,
  remoteUrl,
  renamedFiles,
  revParse,
  showFile,
  showFiles,
  showPrefix,
} from "../../src/git/git.js";
import { withFakeGit } from "../helpers/fake-git.js";
import { createGitRepo, type TempRepo } from "../helpers/git-repo.js";

let repo: TempRepo;

beforeEach(async () => {
  repo = await createGitRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

describe("revParse", () => {
  it("resolves branch to commit id", async () => {
    const commit = await repo.commit("first", { "a.txt": "a\n" });

    expect(await revParse(repo.dir, "main")).toBe(commit);
    expect(await revParse(repo.dir, "HEAD")).toBe(commit);
  });

  it("returns undefined for unknown ref", async () => {
    await repo.commit("first", { "a.txt": "a\n" });

    expect(await revParse(repo.dir, "no-such-branch")).toBeUndefined();
  });

  it("rejects ref that looks like option", async () => {
    await repo.commit("first", { "a.txt": "a\n" });

    await expect(revParse(repo.dir, "--output=/tmp/x")).rejects.toBeInstanceOf(GitError);
    await expect(revParse(repo.dir, "")).rejects.toBeInstanceOf(GitError);
  });

  it("throws GitError outside repository", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cake-nogit-"));
    try {
      const error = await revParse(dir, "HEAD").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GitError);
      expect((error as GitError).args).toContain("rev-parse");
      expect((error as GitError).stderr).toMatch(/not a git repository/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("mergeBase", () => {
  it("finds fork point of two branches", async () => {
    const fork = await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("checkout", "--quiet", "-b", "feature");
    await repo.commit("on feature", { "b.txt": "b\n" });
    await repo.git("checkout", "--quiet", "main");
    await repo.commit("on main", { "c.txt": "c\n" });

    expect(await mergeBase(repo.dir, "main", "feature")).toBe(fork);
  });

  it("returns undefined for unrelated histories", async () => {
    await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("checkout", "--quiet", "--orphan", "other");
    await repo.commit("unrelated", { "b.txt": "b\n" });

    expect(await mergeBase(repo.dir, "main", "other")).toBeUndefined();
  });
});

describe("showFile", () => {
  it("returns file text at each commit", async () => {
    const first = await repo.commit("first", { "vars/dev.yaml": "one\n" });
    const second = await repo.commit("second", { "vars/dev.yaml": "two ünïcode\n" });

    expect(await showFile(repo.dir, first, "vars/dev.yaml")).toBe("one\n");
    expect(await showFile(repo.dir, second, "vars/dev.yaml")).toBe("two ünïcode\n");
  });

  it("returns undefined for missing file", async () => {
    await repo.commit("first", { "vars/dev.yaml": "one\n" });

    expect(await showFile(repo.dir, "HEAD", "vars/prod.yaml")).toBeUndefined();
  });

  it("returns undefined for folder path", async () => {
    await repo.commit("first", { "vars/dev.yaml": "one\n" });

    expect(await showFile(repo.dir, "HEAD", "vars")).toBeUndefined();
  });

  it("reads paths relative to subfolder", async () => {
    await repo.commit("first", { "ops/vars/dev.yaml": "in a subfolder\n" });

    expect(await showFile(path.join(repo.dir, "ops"), "HEAD", "vars/dev.yaml")).toBe("in a subfolder\n");
  });

  it("keeps file bytes exactly", async () => {
    const text = "a: 1\r\nb: 'x'\r\n\n";
    await repo.commit("crlf", { "f.yaml": text });

    expect(await showFile(repo.dir, "HEAD", "f.yaml")).toBe(text);
  });
});

describe("listFiles", () => {
  it("lists files directly in folder", async () => {
    await repo.commit("first", {
      "vars/prod-us-east-1.yaml": "p\n",
      "vars/dev-us-east-1.yaml": "d\n",
      "vars/nested/skip.yaml": "n\n",
      "other/x.yaml": "x\n",
    });

    expect(await listFiles(repo.dir, "HEAD", "vars")).toEqual(["dev-us-east-1.yaml", "prod-us-east-1.yaml"]);
  });

  it("returns empty list for missing folder", async () => {
    await repo.commit("first", { "a.txt": "a\n" });

    expect(await listFiles(repo.dir, "HEAD", "vars")).toEqual([]);
  });

  it("lists folder relative to subfolder", async () => {
    await repo.commit("first", { "ops/vars/dev-us-east-1.yaml": "d\n", "vars/elsewhere.yaml": "e\n" });

    expect(await listFiles(path.join(repo.dir, "ops"), "HEAD", "vars")).toEqual(["dev-us-east-1.yaml"]);
  });

  it("handles names with spaces and quotes", async () => {
    await repo.commit("first", { 'vars/a "b" c.yaml': "x\n" });

    expect(await listFiles(repo.dir, "HEAD", "vars")).toEqual(['a "b" c.yaml']);
  });
});

describe("renamedFiles", () => {
  it("lists renames from the top in commits and the working tree", async () => {
    const base = await repo.commit("first", { "ops/vars/a b.yaml": "users: []\n", "keep.txt": "k\n" });
    await mkdir(path.join(repo.dir, "platform"));
    await repo.git("mv", "ops", "platform/ops");
    const staged = await renamedFiles(path.join(repo.dir, "platform"), base, undefined);
    const head = await repo.commit("move");

    expect(staged).toEqual([{ from: "ops/vars/a b.yaml", to: "platform/ops/vars/a b.yaml" }]);
    expect(await renamedFiles(repo.dir, base, head)).toEqual(staged);
    expect(await renamedFiles(repo.dir, head, head)).toEqual([]);
  });
});

describe("showFiles", () => {
  it("reads files at commits relative to subfolder", async () => {
    const first = await repo.commit("first", { "ops/a.yaml": "a1\n" });
    await repo.commit("second", { "ops/a.yaml": "a2\n", "ops/b.yaml": "b\n" });

    const texts = await showFiles(path.join(repo.dir, "ops"), [
      { ref: first, path: "a.yaml" },
      { ref: "HEAD", path: "a.yaml" },
      { ref: first, path: "b.yaml" },
      { ref: "HEAD", path: "b.yaml" },
    ]);

    expect(texts).toEqual(["a1\n", "a2\n", undefined, "b\n"]);
  });
});

describe("deletedFiles", () => {
  /** Commits `files` on a new branch from HEAD, then checks out main again. */
  async function commitOnBranch(branch: string, files: Record<string, string>): Promise<void> {
    await repo.git("checkout", "--quiet", "-b", branch);
    await repo.commit(`work on ${branch}`, files);
    await repo.git("checkout", "--quiet", "main");
  }

  it("maps each deleted file to its newest deletion", async () => {
    await repo.commit("add", {
      "ops/out/p/a.yaml": "a\n",
      "ops/out/p/b.yaml": "b\n",
      "ops/out/p/c.yaml": "c\n",
    });
    await repo.git("rm", "--quiet", "ops/out/p/a.yaml", "ops/out/p/b.yaml");
    const deletedAB = await repo.commit("delete a and b");
    await repo.commit("restore a", { "ops/out/p/a.yaml": "a2\n" });
    await repo.git("rm", "--quiet", "ops/out/p/a.yaml");
    const deletedA = await repo.commit("delete a again");
    await repo.git("mv", "ops/out/p/c.yaml", "ops/out/p/d.yaml");
    const renamed = await repo.commit("rename c");

    const deleted = await deletedFiles(path.join(repo.dir, "ops"), "HEAD", "out/p");

    expect(Object.fromEntries(deleted)).toEqual({
      "out/p/a.yaml": deletedA,
      "out/p/b.yaml": deletedAB,
      "out/p/c.yaml": renamed,
    });
  });

  it("reads only commits after since", async () => {
    await repo.commit("add", { "out/p/a.yaml": "a\n", "out/p/b.yaml": "b\n" });
    await repo.git("rm", "--quiet", "out/p/a.yaml");
    const since = await repo.commit("delete a");
    await repo.git("rm", "--quiet", "out/p/b.yaml");
    const deletedB = await repo.commit("delete b");

    const deleted = await deletedFiles(repo.dir, "HEAD", "out/p", since);

    expect(Object.fromEntries(deleted)).toEqual({ "out/p/b.yaml": deletedB });
  });

  it("finds a deletion on a merged-in branch", async () => {
    // A `git pull` that merges the remote branch into local work: the merge's first parent
    // never had the file, and the folder ends as it was there.
    await repo.commit("start", { "out/p/a.yaml": "a\n" });
    await commitOnBranch("local", { "notes.txt": "x\n" });
    await repo.commit("add z", { "out/p/z.yaml": "z\n" });
    await repo.git("rm", "--quiet", "out/p/z.yaml");
    const deletedZ = await repo.commit("delete z");
    await repo.git("checkout", "--quiet", "local");
    await repo.git("merge", "--quiet", "--no-edit", "main");

    expect(Object.fromEntries(await deletedFiles(repo.dir, "HEAD", "out/p"))).toEqual({
      "out/p/z.yaml": deletedZ,
    });
  });

  it("finds a deletion made in a merge", async () => {
    await repo.commit("start", { "out/p/a.yaml": "a\n" });
    await commitOnBranch("side", { "notes.txt": "x\n" });
    await repo.commit("add z", { "out/p/z.yaml": "z\n" });
    await repo.git("merge", "--quiet", "--no-commit", "--no-ff", "side");
    await repo.git("rm", "--quiet", "out/p/z.yaml");
    const merge = await repo.commit("merge side, dropping z");

    expect(Object.fromEntries(await deletedFiles(repo.dir, "HEAD", "out/p"))).toEqual({
      "out/p/z.yaml": merge,
    });
  });

  it("skips files a merge took from its first parent", async () => {
    await repo.commit("start", { "out/p/z.yaml": "z\n" });
    await commitOnBranch("side", { "out/p/b.yaml": "b\n" });
    await repo.git("rm", "--quiet", "out/p/z.yaml");
    const deletedZ = await repo.commit("delete z");
    await repo.git("merge", "--quiet", "--no-edit", "side");

    expect(Object.fromEntries(await deletedFiles(repo.dir, "HEAD", "out/p"))).toEqual({
      "out/p/z.yaml": deletedZ,
    });
  });

  it("works with a git without --diff-merges", async () => {
    await repo.commit("add", { "out/p/a.yaml": "a\n" });
    await repo.git("rm", "--quiet", "out/p/a.yaml");
    const deletedA = await repo.commit("delete a");
    // A git that rejects --diff-merges as git before 2.31 does, and runs the real git otherwise.
    const prelude = [
      'for arg in "$@"; do case "$arg" in --diff-merges*)',
      '  echo "fatal: unrecognized argument: $arg" >&2; exit 128;; esac; done',
    ];
    const deleted = await withFakeGit(prelude, () => deletedFiles(repo.dir, "HEAD", "out/p"));

    expect(Object.fromEntries(deleted)).toEqual({ "out/p/a.yaml": deletedA });
  });

  it("returns nothing for a folder never deleted from", async () => {
    await repo.commit("add", { "out/p/a.yaml": "a\n" });

    expect((await deletedFiles(repo.dir, "HEAD", "out/p")).size).toBe(0);
  });
});

describe("defaultBranch", () => {
  it("prefers origin HEAD", async () => {
    const commit = await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("update-ref", "refs/remotes/origin/trunk", commit);
    await repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk");

    expect(await defaultBranch(repo.dir)).toBe("origin/trunk");
  });

  it("falls back to main then master", async () => {
    await repo.commit("first", { "a.txt": "a\n" });
    expect(await defaultBranch(repo.dir)).toBe("main");

    await repo.git("branch", "-m", "main", "master");
    expect(await defaultBranch(repo.dir)).toBe("master");
  });

  it("falls back to remote tracking main", async () => {
    const commit = await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("branch", "-m", "main", "feature");
    await repo.git("update-ref", "refs/remotes/origin/main", commit);

    expect(await defaultBranch(repo.dir)).toBe("origin/main");
  });

  it("prefers remote main to local main", async () => {
    const old = await repo.commit("first", { "a.txt": "a\n" });
    const merged = await repo.commit("second", { "a.txt": "b\n" });
    await repo.git("update-ref", "refs/remotes/origin/main", merged);
    await repo.git("update-ref", "refs/remotes/origin/master", merged);
    await repo.git("branch", "--quiet", "-f", "master", old);
    await repo.git("reset", "--quiet", "--hard", old);

    expect(await defaultBranch(repo.dir)).toBe("origin/main");

    await repo.git("update-ref", "-d", "refs/remotes/origin/main");
    expect(await defaultBranch(repo.dir)).toBe("origin/master");
  });

  it("skips a dangling origin HEAD", async () => {
    await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/master");

    expect(await defaultBranch(repo.dir)).toBe("main");
    expect(await danglingOriginHead(repo.dir)).toBe("origin/master");
  });

  it("finds no dangling origin HEAD", async () => {
    const commit = await repo.commit("first", { "a.txt": "a\n" });
    expect(await danglingOriginHead(repo.dir)).toBeUndefined();

    await repo.git("update-ref", "refs/remotes/origin/trunk", commit);
    await repo.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk");
    expect(await danglingOriginHead(repo.dir)).toBeUndefined();
  });

  it("returns undefined without candidates", async () => {
    await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("branch", "-m", "main", "feature");

    expect(await defaultBranch(repo.dir)).toBeUndefined();
  });
});

describe("branchBehindUpstream", () => {
  it("counts commits the branch lacks", async () => {
    const old = await repo.commit("first", { "a.txt": "a\n" });
    const merged = await repo.commit("second", { "a.txt": "b\n" });
    await repo.git("update-ref", "refs/remotes/origin/main", merged);
    await repo.git("remote", "add", "origin", repo.dir);
    await repo.git("config", "branch.main.remote", "origin");
    await repo.git("config", "branch.main.merge", "refs/heads/main");
    await repo.git("reset", "--quiet", "--hard", old);

    expect(await branchBehindUpstream(repo.dir, "main")).toEqual({ upstream: "origin/main", behind: 1 });
    expect(await branchBehindUpstream(repo.dir, "refs/heads/main")).toEqual({
      upstream: "origin/main",
      behind: 1,
    });
  });

  it("ignores branches without lag", async () => {
    const commit = await repo.commit("first", { "a.txt": "a\n" });
    expect(await branchBehindUpstream(repo.dir, "main")).toBeUndefined();

    await repo.git("update-ref", "refs/remotes/origin/main", commit);
    await repo.git("remote", "add", "origin", repo.dir);
    await repo.git("config", "branch.main.remote", "origin");
    await repo.git("config", "branch.main.merge", "refs/heads/main");
    await repo.commit("ahead", { "a.txt": "b\n" });
    expect(await branchBehindUpstream(repo.dir, "main")).toBeUndefined();
    expect(await branchBehindUpstream(repo.dir, "origin/main")).toBeUndefined();
    expect(await branchBehindUpstream(repo.dir, commit)).toBeUndefined();
  });

  it("matches only the exact branch", async () => {
    const old = await repo.commit("first", { "a.txt": "a\n" });
    const merged = await repo.commit("second", { "a.txt": "b\n" });
    await repo.git("update-ref", "refs/remotes/origin/team/next", merged);
    await repo.git("branch", "--quiet", "team/next", old);
    await repo.git("remote", "add", "origin", repo.dir);
    await repo.git("config", "branch.team/next.remote", "origin");
    await repo.git("config", "branch.team/next.merge", "refs/heads/team/next");

    expect(await branchBehindUpstream(repo.dir, "team/next")).toEqual({
      upstream: "origin/team/next",
      behind: 1,
    });
    expect(await branchBehindUpstream(repo.dir, "team")).toBeUndefined();
  });
});

describe("conflictMarkerSizes", () => {
  it("reads sizes set in attributes", async () => {
    await repo.write({
      ".gitattributes":
        "*.yaml conflict-marker-size=10\nzero.yaml conflict-marker-size=0\n*.json -conflict-marker-size\n",
      "sub dir/.gitattributes": "b.yaml conflict-marker-size=5\n",
    });

    const sizes = await conflictMarkerSizes(repo.dir, [
      "a.yaml",
      "sub dir/b.yaml",
      "zero.yaml",
      "c.json",
      "d.txt",
    ]);
    expect(sizes).toEqual(
      new Map([
        ["a.yaml", 10],
        ["sub dir/b.yaml", 5],
      ]),
    );
  });
});

describe("indexStates", () => {
  it("tells unmerged from tracked paths", async () => {
    await repo.commit("first", { "a.txt": "a\n", "b*.txt": "b\n", "bc.txt": "c\n" });
    await repo.git("checkout", "--quiet", "-b", "other");
    await repo.commit("other", { "a.txt": "other\n" });
    await repo.git("checkout", "--quiet", "main");
    await repo.commit("ours", { "a.txt": "ours\n" });
    await expect(repo.git("merge", "other")).rejects.toThrow();

    const states = await indexStates(repo.dir, ["a.txt", "b*.txt", "new.txt"]);
    expect(states).toEqual(
      new Map([
        ["a.txt", "unmerged"],
        ["b*.txt", "tracked"],
      ]),
    );
  });
});

describe("currentBranch and isRepo", () => {
  it("names checked-out branch", async () => {
    await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("checkout", "--quiet", "-b", "add-bob");

    expect(await currentBranch(repo.dir)).toBe("add-bob");
  });

  it("returns undefined on detached HEAD", async () => {
    const commit = await repo.commit("first", { "a.txt": "a\n" });
    await repo.git("checkout", "--quiet", "--detach", commit);

    expect(await currentBranch(repo.dir)).toBeUndefined();
  });

  it("tells repositories from plain folders", async () => {
    const plain = await mkdtemp(path.join(os.tmpdir(), "cake-nogit-"));
    try {
      expect(await isRepo(repo.dir)).toBe(true);
      expect(await isRepo(plain)).toBe(false);
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });

  it("explains a repository git refuses", async () => {
    await repo.commit("first", { "a.txt": "a\n" });
    const top = await realpath(repo.dir);
    // Git's own test switch: it acts as if another user owned the repository.
    process.env.GIT_TEST_ASSUME_DIFFERENT_OWNER = "1";
    try {
      // The expected text is computed first: awaiting inside the call would leave the
      // rejection unhandled for a moment.
      await expect(isRepo(repo.dir)).rejects.toThrow(`git config --global --add safe.directory ${top}`);
    } finally {
      delete process.env.GIT_TEST_ASSUME_DIFFERENT_OWNER;
    }
  });

  it("finds repository through a symlinked path", async () => {
    await mkdir(path.join(repo.dir, "ops"));
    const outside = await mkdtemp(path.join(os.tmpdir(), "cake-link-"));
    try {
      const link = path.join(outside, "ops");
      await symlink(path.join(repo.dir, "ops"), link);

      expect(await isRepo(link)).toBe(true);
      expect(mayBeInRepo(link, {})).toBe(true);
      expect(mayBeInRepo(outside, {})).toBe(false);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("reports missing folder clearly", async () => {
    const missing = path.join(os.tmpdir(), "cake-missing-folder-for-git-test");

    await expect(isRepo(missing)).rejects.toThrow(/does not exist/);
  });
});

describe("init", () => {
  it("creates repository on given branch", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "cake-init-"));
    try {
      await mkdir(path.join(dir, "ops"));
      await init(path.join(dir, "ops"), "trunk");

      expect(await isRepo(path.join(dir, "ops"))).toBe(true);
      expect(await currentBranch(path.join(dir, "ops"))).toBe("trunk");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("remoteUrl and showPrefix", () => {
  it("reads origin URL when set", async () => {
    await repo.commit("first", { "a.txt": "a\n" });
    expect(await remoteUrl(repo.dir)).toBeUndefined();

    await repo.git("remote", "add", "origin", "https://git.example.com/platform/ops.git");
    expect(await remoteUrl(repo.dir)).toBe("https://git.example.com/platform/ops.git");
  });

  it("gives subfolder path inside work tree", async () => {
    await repo.commit("first", { "ops/vars/a.yaml": "a\n" });

    expect(await showPrefix(repo.dir)).toBe("");
    expect(await showPrefix(path.join(repo.dir, "ops"))).toBe("ops/");
  });
});
