import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/output/atomic.js";
import { makeTempDir } from "./tree.js";

describe("writeFileAtomic", () => {
  it("creates a new file", async () => {
    const dir = await makeTempDir();
    const target = path.join(dir, "a.yaml");

    await writeFileAtomic(target, "one\n");

    expect(await readFile(target, "utf8")).toBe("one\n");
    expect(await readdir(dir)).toEqual(["a.yaml"]);
  });

  it("replaces a file and keeps its mode", async () => {
    const dir = await makeTempDir();
    const target = path.join(dir, "a.yaml");
    await writeFile(target, "old\n");
    await chmod(target, 0o600);

    await writeFileAtomic(target, "new\n");

    expect(await readFile(target, "utf8")).toBe("new\n");
    expect((await stat(target)).mode & 0o777).toBe(0o600);
  });

  it("leaves no temporary file on failure", async () => {
    const dir = await makeTempDir();
    // Renaming a file over a non-empty folder fails.
    await mkdir(path.join(dir, "target", "child"), { recursive: true });

    await expect(writeFileAtomic(path.join(dir, "target"), "x")).rejects.toThrow();

    expect(await readdir(dir)).toEqual(["target"]);
  });
});
