import { describe, expect, it } from "vitest";
import { formatManifest, type OutputManifest, parseConflictedManifest } from "../../src/output/manifest.js";
import {
  conflictBlocks,
  conflictSides,
  markerLines,
  markerText,
  mayHaveMarkersOfAnySize,
} from "../../src/repo/merge-conflict.js";

describe("markerLines", () => {
  it("finds markers with labels and CRLF", () => {
    const text =
      "a: 1\r\n<<<<<<< HEAD\r\nb: 2\r\n||||||| base\r\nb: 0\r\n=======\r\nb: 3\r\n>>>>>>> topic\r\n";
    expect(markerLines(text)).toEqual([
      { line: 2, kind: "ours" },
      { line: 4, kind: "base" },
      { line: 6, kind: "theirs" },
      { line: 8, kind: "end" },
    ]);
  });

  it("ignores marker lookalikes", () => {
    const text = [
      "  <<<<<<< indented",
      "<<<<<<<<  eight",
      "<<<<<<<label",
      "======= label",
      "# >>>>>>> x",
      "========",
    ].join("\n");
    expect(markerLines(text)).toEqual([]);
  });
});

describe("markerLines with a marker size", () => {
  it("finds markers of size 10", () => {
    const text = ["a: 1", "<<<<<<<<<< HEAD", "b: 2", "==========", "b: 3", ">>>>>>>>>> topic", ""].join("\n");
    expect(markerLines(text)).toEqual([]);
    expect(markerLines(text, 10)).toEqual([
      { line: 2, kind: "ours" },
      { line: 4, kind: "theirs" },
      { line: 6, kind: "end" },
    ]);
  });

  it("finds markers of size 5", () => {
    const text = ["a: 1", "<<<<< HEAD", "b: 2", "||||| base", "b: 0", "=====", "b: 3", ">>>>>", ""].join(
      "\n",
    );
    expect(markerLines(text)).toEqual([]);
    expect(markerLines(text, 5).map(({ kind }) => kind)).toEqual(["ours", "base", "theirs", "end"]);
    expect(markerLines(text, 4)).toEqual([]);
  });

  it("splits sides of size 10", () => {
    const text = ["a: 1", "<<<<<<<<<< HEAD", "b: 2", "==========", "b: 3", ">>>>>>>>>> topic"].join("\n");
    expect(conflictSides(text, 10)).toEqual({ ours: "a: 1\nb: 2", theirs: "a: 1\nb: 3" });
    expect(markerText("end", 10)).toBe(">>>>>>>>>>");
  });

  it("flags lines that start like markers", () => {
    expect(mayHaveMarkersOfAnySize("a: 1\n<<<<< HEAD\n")).toBe(true);
    expect(mayHaveMarkersOfAnySize("===\n")).toBe(true);
    expect(mayHaveMarkersOfAnySize("a: 1\n  - b: '<<<'\n")).toBe(false);
  });
});

describe("conflictBlocks", () => {
  it("separates conflicts from stray markers", () => {
    const text = ["<<<<<<< a", "x", "=======", "y", ">>>>>>> b", "z", "=======", "<<<<<<< c", "w"].join("\n");
    expect(conflictBlocks(markerLines(text))).toEqual({
      blocks: [{ start: 1, end: 5 }],
      stray: [
        { line: 7, kind: "theirs" },
        { line: 8, kind: "ours" },
      ],
    });
  });
});

describe("conflictSides", () => {
  it("splits ours and theirs without base", () => {
    const text = [
      "top",
      "<<<<<<< HEAD",
      "ours",
      "||||||| base",
      "base",
      "=======",
      "theirs",
      ">>>>>>> b",
      "end",
    ].join("\n");
    expect(conflictSides(text)).toEqual({ ours: "top\nours\nend", theirs: "top\ntheirs\nend" });
  });

  it("rejects texts without whole conflicts", () => {
    expect(conflictSides("a: 1\n")).toBeUndefined();
    expect(conflictSides("a\n=======\nb\n>>>>>>> x\n")).toBeUndefined();
  });
});

function manifest(fields: Partial<OutputManifest>): OutputManifest {
  return {
    manifestVersion: 2,
    cakeVersion: "0.2.0",
    varsFile: "vars/prod-us-east-1.yaml",
    profileOwner: "owner@example.com",
    profiles: [],
    profileUsers: {},
    files: {},
    ...fields,
  };
}

/** Returns the text git writes when both sides changed every line between the braces. */
function conflicted(ours: OutputManifest, theirs: OutputManifest): string {
  const [oursText, theirsText] = [formatManifest(ours), formatManifest(theirs)];
  return `<<<<<<< HEAD\n${oursText}=======\n${theirsText}>>>>>>> topic\n`;
}

describe("parseConflictedManifest", () => {
  it("merges both sides, ours first", () => {
    const ours = manifest({
      profiles: ["alice", "team"],
      profileUsers: { alice: "alice@example.com" },
      removedProfiles: { bob: "bob@example.com" },
      files: { "profiles/alice.yaml": "a1", "profiles/team.yaml": "t1" },
    });
    const theirs = manifest({
      profiles: ["bob", "carol", "team"],
      profileUsers: { bob: "bob@example.com", carol: "carol@example.com" },
      files: { "profiles/bob.yaml": "b2", "profiles/carol.yaml": "c2", "profiles/team.yaml": "t2" },
    });
    expect(parseConflictedManifest(conflicted(ours, theirs))).toEqual({
      ...manifest({}),
      profiles: ["alice", "bob", "carol", "team"],
      profileUsers: { alice: "alice@example.com", bob: "bob@example.com", carol: "carol@example.com" },
      files: {
        "profiles/alice.yaml": "a1",
        "profiles/bob.yaml": "b2",
        "profiles/carol.yaml": "c2",
        "profiles/team.yaml": "t1",
      },
      mergeConflict: true,
      oneSideProfiles: { alice: "ours", bob: "theirs", carol: "theirs" },
    });
  });

  it("drops removals the other side keeps", () => {
    const ours = manifest({ removedProfiles: { bob: "bob@example.com", dan: null } });
    const theirs = manifest({ profiles: ["bob"], profileUsers: { bob: "bob@example.com" } });
    const union = parseConflictedManifest(conflicted(ours, theirs));
    expect(union?.profiles).toEqual(["bob"]);
    expect(union?.removedProfiles).toEqual({ dan: null });
  });

  it("finds a side from files alone", () => {
    // As git writes it when both branches add a user far apart in sort order: only the file
    // entries next to kustomization.yaml, which both changed, conflict.
    const merged = formatManifest(
      manifest({
        profiles: ["aaron", "zed"],
        profileUsers: { aaron: "aaron@example.com", zed: "zed@example.com" },
        files: { "kustomization.yaml": "k2", "profiles/aaron.yaml": "a2", "profiles/zed.yaml": "z1" },
      }),
    );
    const theirsLines = '    "kustomization.yaml": "k2",\n    "profiles/aaron.yaml": "a2",\n';
    expect(merged).toContain(theirsLines);
    const text = merged.replace(
      theirsLines,
      `<<<<<<< HEAD\n    "kustomization.yaml": "k1",\n=======\n${theirsLines}>>>>>>> topic\n`,
    );

    const union = parseConflictedManifest(text);

    expect(union?.profiles).toEqual(["aaron", "zed"]);
    expect(union?.oneSideProfiles).toEqual({ aaron: "theirs" });
  });

  it("gives no side on contradicting lines", () => {
    // A hand-edited manifest: the name shows only ours has "aaron", its file entry only theirs.
    const merged = formatManifest(
      manifest({
        profiles: ["aaron", "zed"],
        files: { "profiles/aaron.yaml": "a2", "profiles/zed.yaml": "z1" },
      }),
    );
    const text = merged
      .replace('    "aaron",\n', '<<<<<<< HEAD\n    "aaron",\n=======\n>>>>>>> topic\n')
      .replace(
        '    "profiles/aaron.yaml": "a2",\n',
        '<<<<<<< HEAD\n=======\n    "profiles/aaron.yaml": "a2",\n>>>>>>> topic\n',
      );
    expect(text.match(/^<<<<<<< /gm)).toHaveLength(2);

    const union = parseConflictedManifest(text);

    expect(union?.profiles).toEqual(["aaron", "zed"]);
    expect(union?.oneSideProfiles).toEqual({});
  });

  it("rejects a side that is no manifest", () => {
    expect(
      parseConflictedManifest(`<<<<<<< HEAD\n${formatManifest(manifest({}))}=======\n{}\n>>>>>>> x\n`),
    ).toBe(undefined);
  });
});
