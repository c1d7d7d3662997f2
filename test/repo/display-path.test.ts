import { mkdir, mkdtemp, realpath, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makePathFormatter } from "../../src/repo/display-path.js";

describe("makePathFormatter", () => {
  let top: string;

  beforeEach(async () => {
    // The real path, so that the expected absolute paths match on a system whose temporary
    // folder is a symlink.
    top = await realpath(await mkdtemp(path.join(os.tmpdir(), "cake-paths-")));
    await mkdir(path.join(top, "work", ".git"), { recursive: true });
    await mkdir(path.join(top, "work", "ops", "docs"), { recursive: true });
    await mkdir(path.join(top, "plain", "ops", "docs"), { recursive: true });
  });

  afterEach(async () => {
    await rm(top, { recursive: true, force: true });
  });

  it("leaves paths unchanged without a location", () => {
    expect(makePathFormatter(undefined)("vars/a.yaml")).toBe("vars/a.yaml");
  });

  it("names the current folder itself as a dot", () => {
    const root = path.join(top, "work", "ops");
    const formatPath = makePathFormatter({ root, cwd: path.join(root, "docs") });

    expect(formatPath("docs")).toBe(".");
  });

  it("goes up inside the git work tree", () => {
    const root = path.join(top, "work", "ops");
    const formatPath = makePathFormatter({ root, cwd: path.join(top, "work") });

    expect(formatPath("vars/a.yaml")).toBe("ops/vars/a.yaml");
    expect(makePathFormatter({ root, cwd: path.join(root, "docs") })("vars/a.yaml")).toBe("../vars/a.yaml");
  });

  it("gives an absolute path beyond the work tree", () => {
    const root = path.join(top, "work", "ops");
    const formatPath = makePathFormatter({ root, cwd: path.join(top, "plain") });

    expect(formatPath("vars/a.yaml")).toBe(path.join(root, "vars", "a.yaml"));
  });

  it("bounds a repo outside git by its root", () => {
    const root = path.join(top, "plain", "ops");

    expect(makePathFormatter({ root, cwd: path.join(root, "docs") })("vars/a.yaml")).toBe("../vars/a.yaml");
    expect(makePathFormatter({ root, cwd: path.join(top, "plain") })("vars/a.yaml")).toBe("ops/vars/a.yaml");
    expect(makePathFormatter({ root, cwd: path.join(top, "work") })("vars/a.yaml")).toBe(
      path.join(root, "vars", "a.yaml"),
    );
  });

  it("keeps an absolute file outside the repo absolute", () => {
    const root = path.join(top, "work", "ops");
    const formatPath = makePathFormatter({ root, cwd: root });

    expect(formatPath("/srv/other/vars/a.yaml")).toBe("/srv/other/vars/a.yaml");
  });
});
