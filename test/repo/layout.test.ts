import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { UsageError } from "../../src/errors.js";
import { parseSimpleConfig, resolveLayout, resolveLayoutFromText } from "../../src/repo/layout.js";

describe("resolveLayout with cake.yaml", () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cake-layout-"));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function withConfig(text: string) {
    await writeFile(path.join(root, "cake.yaml"), text);
    return resolveLayout(root);
  }

  it("reads both folders", async () => {
    await mkdir(path.join(root, "platform"));

    const layout = await withConfig("# The older layout.\nvars_dir: platform/vars\noutput_dir: out\n");

    expect(layout).toEqual({ root, varsDir: "platform/vars", outputDir: "out", repoPath: "" });
  });

  it("takes an empty file as the defaults", async () => {
    const layout = await withConfig("# nothing set\n");

    expect(layout).toEqual({ root, varsDir: "vars", outputDir: "deployments", repoPath: "" });
  });

  it("reads repo_path without final slash", async () => {
    const layout = await withConfig("repo_path: platform/ops/\n");

    expect(layout.repoPath).toBe("platform/ops");
  });

  it("takes empty repo_path as top", async () => {
    const layout = await withConfig('repo_path: ""\n');

    expect(layout.repoPath).toBe("");
  });

  it("suggests repo_path for a typo", async () => {
    const resolved = withConfig("repo_pth: ops\n");

    await expect(resolved).rejects.toThrow(
      'cake.yaml:1:1: unknown key "repo_pth"; did you mean "repo_path"?',
    );
  });

  const invalidRepoPaths = [
    { value: "../ops", reason: 'it contains a "." or ".." part' },
    { value: "platform/./ops", reason: 'it contains a "." or ".." part' },
    { value: "/platform/ops", reason: "it is an absolute path" },
    { value: "platform//ops", reason: "it contains an empty folder name" },
    { value: "platform\\ops", reason: "it contains a backslash" },
  ];
  for (const { value, reason } of invalidRepoPaths) {
    it(`rejects repo_path ${value}`, async () => {
      // Single-quoted YAML keeps a backslash as it is.
      const resolved = withConfig(`vars_dir: vars\nrepo_path: '${value}'\n`);

      await expect(resolved).rejects.toThrow(UsageError);
      await expect(resolved).rejects.toThrow(
        `cake.yaml:2:12: repo_path ${JSON.stringify(value)} is invalid: ${reason}`,
      );
    });
  }

  it("rejects a list as repo_path", async () => {
    const resolved = withConfig("repo_path: [a]\n");

    await expect(resolved).rejects.toThrow(UsageError);
    await expect(resolved).rejects.toThrow("cake.yaml:1:12: repo_path must be a string.");
  });

  it("rejects an output folder symlinked to the vars folder", async () => {
    await mkdir(path.join(root, "vars"));
    await symlink("vars", path.join(root, "out"));

    await expect(resolveLayout(root, { outputDir: "out" })).rejects.toThrow("overlap");
  });

  it("rejects a cake.yaml that is not a file", async () => {
    await mkdir(path.join(root, "cake.yaml"));

    const resolved = resolveLayout(root);

    await expect(resolved).rejects.toThrow(UsageError);
    await expect(resolved).rejects.toThrow("cake.yaml is not a regular file");
  });

  it("does not read a cake.yaml symlinked out of the repo", async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), "cake-outside-"));
    await writeFile(path.join(outside, "cake.yaml"), "vars_dir: elsewhere\n");
    await symlink(path.join(outside, "cake.yaml"), path.join(root, "cake.yaml"));

    await expect(resolveLayout(root)).rejects.toThrow("cake.yaml leads to");
    await rm(outside, { recursive: true, force: true });
  });

  it("takes a folder whose name starts with two dots as inside the repo", async () => {
    await mkdir(path.join(root, "..vars"));

    expect((await withConfig("vars_dir: ..vars\n")).varsDir).toBe("..vars");
    await expect(withConfig("vars_dir: ../vars\n")).rejects.toThrow("must be a folder inside the repo");
  });

  it("rejects overlapping vars and output folders", async () => {
    for (const flags of [{ outputDir: "vars" }, { outputDir: "vars/out" }, { varsDir: "deployments/vars" }]) {
      const resolved = resolveLayout(root, flags);

      await expect(resolved).rejects.toThrow(UsageError);
      await expect(resolved).rejects.toThrow("overlap");
    }
  });

  const cases = [
    {
      name: "an unknown key with a suggestion",
      text: "output_dir: out\nvars_dri: vars\n",
      message:
        'cake.yaml:2:1: unknown key "vars_dri"; did you mean "vars_dir"? Known keys: vars_dir, output_dir, repo_path.',
    },
    {
      name: "an unknown key without a suggestion",
      text: "colour: blue\n",
      message: 'cake.yaml:1:1: unknown key "colour". Known keys: vars_dir, output_dir, repo_path.',
    },
    {
      name: "a second document",
      text: "vars_dir: vars\n---\noutput_dir: out\n",
      message: "invalid YAML: the file holds more than one YAML document",
    },
    {
      name: "a list in place of a path",
      text: "vars_dir: [a, b]\n",
      message:
        "cake.yaml:1:11: vars_dir must be a folder path relative to the repo root (a non-empty string).",
    },
    {
      name: "an empty path",
      text: 'output_dir: ""\n',
      message:
        "cake.yaml:1:13: output_dir must be a folder path relative to the repo root (a non-empty string).",
    },
    {
      name: "a top-level list",
      text: "- vars\n",
      message:
        "cake.yaml:1:1: expected a mapping with vars_dir, output_dir, repo_path; write one key per line.",
    },
    {
      name: "invalid YAML",
      text: 'vars_dir: "vars\n',
      message: "cake.yaml:2:1: invalid YAML:",
    },
  ];
  for (const { name, text, message } of cases) {
    it(`rejects ${name} with its position`, async () => {
      const resolved = withConfig(text);

      await expect(resolved).rejects.toThrow(UsageError);
      await expect(resolved).rejects.toThrow(message);
    });
  }

  for (const text of ["? [a, b]\n: c\n", "vars_dir: vars\n? {a: 1}\n: c\n", "x: &k [a]\n*k : c\n"]) {
    it(`rejects the complex key of ${JSON.stringify(text)} without a warning`, async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on("warning", onWarning);
      try {
        const resolved = withConfig(text);

        await expect(resolved).rejects.toThrow(UsageError);
        await expect(resolved).rejects.toThrow(
          "a key must be one of vars_dir, output_dir, repo_path, not a list, mapping or alias",
        );
        // Node emits warnings on the next tick of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off("warning", onWarning);
      }

      expect(warnings.map((warning) => warning.message)).toEqual([]);
    });
  }
});

describe("resolveLayoutFromText", () => {
  const root = path.resolve("/repo");

  it("reads folders from text", async () => {
    const layout = await resolveLayoutFromText(root, "vars_dir: config/vars\n", "abc:cake.yaml");

    expect(layout).toEqual({ root, varsDir: "config/vars", outputDir: "deployments", repoPath: "" });
  });

  it("takes missing text as defaults", async () => {
    const layout = await resolveLayoutFromText(root, undefined, "abc:cake.yaml");

    expect(layout).toEqual({ root, varsDir: "vars", outputDir: "deployments", repoPath: "" });
  });

  it("reads repo_path from text", async () => {
    const layout = await resolveLayoutFromText(root, "repo_path: platform/ops\n", "abc:cake.yaml");

    expect(layout.repoPath).toBe("platform/ops");
  });

  it("lets flags win over text", async () => {
    const layout = await resolveLayoutFromText(root, "vars_dir: config/vars\n", "abc:cake.yaml", {
      varsDir: "vars",
    });

    expect(layout.varsDir).toBe("vars");
  });

  it("names source in positions", async () => {
    const resolved = resolveLayoutFromText(root, "output_dir: out\ncolour: blue\n", "abc:cake.yaml");

    await expect(resolved).rejects.toThrow(UsageError);
    await expect(resolved).rejects.toThrow('abc:cake.yaml:2:1: unknown key "colour"');
  });

  it("rejects overlapping folders", async () => {
    await expect(resolveLayoutFromText(root, "output_dir: vars/out\n", "abc:cake.yaml")).rejects.toThrow(
      "overlap",
    );
  });
});

describe("parseSimpleConfig", () => {
  const INIT_TEXT = [
    "# Where cake finds the vars files, relative to this file.",
    "vars_dir: vars",
    "output_dir: deployments",
    "",
  ].join("\n");

  it.each([
    ["init's file", INIT_TEXT],
    ["CRLF line endings", INIT_TEXT.replaceAll("\n", "\r\n")],
    ["quoted paths", 'vars_dir: "platform/vars"\nrepo_path: ""\n'],
    ["trailing comments", "output_dir: out/deployments   # generated\nrepo_path: platform/ops/\n"],
    ["comments only", "# nothing set\n\n"],
  ])("reads %s as YAML does", (_name, text) => {
    expect(parseSimpleConfig(text)).toEqual(parse(text) ?? {});
  });

  it.each([
    ["a YAML null", "vars_dir: null\n"],
    ["a YAML boolean", "output_dir: true\n"],
    ["a number", "vars_dir: 2024\n"],
    ["a key given twice", "vars_dir: a\nvars_dir: b\n"],
    ["an unknown key", "var_dir: vars\n"],
    ["an invalid repo_path", "repo_path: ../ops\n"],
    ["an empty folder", 'vars_dir: ""\n'],
    ["single quotes", "vars_dir: 'vars'\n"],
    ["a flow mapping", "{vars_dir: vars}\n"],
    ["a second document", "vars_dir: vars\n---\n"],
    ["an indented key", "  vars_dir: vars\n"],
  ])("leaves %s to the YAML parser", (_name, text) => {
    expect(parseSimpleConfig(text)).toBeUndefined();
  });
});
