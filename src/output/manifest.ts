/**
 * The output manifest: `.cake-manifest.json` in each deployment folder records
 * which files cake generated there (with the sha256 of the bytes it wrote), the
 * vars file they came from, and the Profiles and owner they contained. Reconcile
 * reads it to know which files it may remove, which were edited by hand, and which
 * Profiles a change would delete.
 *
 * It depends only on the output, never on the vars bytes. Reordering users or editing a
 * comment changes no generated file, so it changes no manifest either. Otherwise
 * `cake reconcile --check` would fail in CI for a change that alters nothing.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CakeError } from "../errors.js";
import { profilePath } from "../generate/layout.js";
import { conflictSides, markerLines } from "../repo/merge-conflict.js";

export const MANIFEST_FILE = ".cake-manifest.json";
/** The manifest format. Version 1 also recorded the vars file's sha256, which cake now drops. */
export const MANIFEST_VERSION = 2;

export interface OutputManifest {
  manifestVersion: number;
  /** Version of cake that last changed this folder's output. */
  cakeVersion: string;
  /** Path of the vars file relative to the repo root. */
  varsFile: string;
  profileOwner: string;
  /** Names of the Profiles in the output, sorted. */
  profiles: string[];
  /**
   * The private Profiles, each with its user's email, so that a Profile that changes hands
   * (its namespace and data reach another user) is caught. Absent in version 1 manifests.
   */
  profileUsers?: Record<string, string>;
  /**
   * Profiles that left the output, each with its last user's email, or null for a deploy
   * namespace. Argo CD keeps a removed Profile and its namespace (Prune=false), so a later
   * Profile of the same name for someone else would reach the old data.
   */
  removedProfiles?: Record<string, string | null>;
  /** Generated file path (relative to the deployment folder) to the sha256 of its bytes. */
  files: Record<string, string>;
  /**
   * Only read from version 1 manifests, never written: the sha256 of the vars file the output
   * came from, which finds the holders that version 1 did not record (see `legacy-holders.ts`).
   */
  varsSha256?: string;
  /**
   * Never written: set on a manifest read from a file with git merge conflict markers, as the
   * union of its two sides (see `parseConflictedManifest`).
   */
  mergeConflict?: true;
  /**
   * Never written: with `mergeConflict`, the Profiles that the conflicts show only one side of
   * the merge has, with that side (see `oneSided`). `ours` is the branch checked out, `theirs`
   * the one merged into it.
   */
  oneSideProfiles?: Record<string, "ours" | "theirs">;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Returns `manifest` as JSON with keys sorted at every level, two-space indented, with a final newline. */
export function formatManifest(manifest: OutputManifest): string {
  return `${JSON.stringify(sortKeys(manifest), null, 2)}\n`;
}

/** Returns true when two manifests record the same output, ignoring the cake version that wrote them. */
export function sameOutput(a: OutputManifest, b: OutputManifest): boolean {
  // Compared field by field: formatting two manifests of 10k files costs tens of milliseconds.
  const { files: filesA, profiles: profilesA, profileUsers: usersA, cakeVersion: _versionA, ...restA } = a;
  const { files: filesB, profiles: profilesB, profileUsers: usersB, cakeVersion: _versionB, ...restB } = b;
  // `removedProfiles`, usually short, is compared with the other small fields as JSON.
  if (formatManifestFields(restA) !== formatManifestFields(restB)) return false;
  if (profilesA.length !== profilesB.length || profilesA.some((name, index) => name !== profilesB[index])) {
    return false;
  }
  if ((usersA === undefined) !== (usersB === undefined)) return false;
  return sameRecord(usersA ?? {}, usersB ?? {}) && sameRecord(filesA, filesB);
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => a[key] === b[key]);
}

function formatManifestFields(fields: object): string {
  return JSON.stringify(sortKeys(fields));
}

/**
 * Reads the manifest of the deployment folder `folder` (absolute). `shownAs` is the path of
 * the folder that messages print; it defaults to `folder`.
 * @returns undefined when the folder has no manifest.
 * @throws CakeError when the manifest exists but is not one cake wrote.
 */
export async function readManifest(folder: string, shownAs = folder): Promise<OutputManifest | undefined> {
  const file = path.join(folder, MANIFEST_FILE);
  const displayPath = `${shownAs}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CakeError(`cannot read ${displayPath}: ${(error as Error).message}`);
  }

  let markers = markerLines(text);
  let manifest = markers.length === 0 ? parseManifest(text) : parseConflictedManifest(text);
  if (manifest === undefined && markers.length === 0) {
    // Markers of another size than git's default are JSON errors until the attribute is read.
    const { attributeMarkerSize } = await import("../repo/marker-sizes.js");
    const size = await attributeMarkerSize(folder, MANIFEST_FILE);
    markers = markerLines(text, size);
    if (markers.length > 0) manifest = parseConflictedManifest(text, size);
  }
  if (manifest !== undefined && manifest.manifestVersion > MANIFEST_VERSION) {
    throw new CakeError(
      `${displayPath} was written by cake ${manifest.cakeVersion}, whose manifest format (version ` +
        `${manifest.manifestVersion}) this cake does not know; upgrade cake to reconcile this folder.`,
    );
  }
  if (manifest === undefined && markers.length > 0) {
    throw new CakeError(
      `${displayPath} has git merge conflict markers (line ${markers[0]?.line}), and its two sides are ` +
        "not both cake manifests. Do not resolve it by hand: delete it, and cake rebuilds it from " +
        "the files that carry the cake header on the next reconcile.",
    );
  }
  if (manifest === undefined) {
    throw new CakeError(
      `${displayPath} is not a valid cake manifest. Restore it from git (git checkout -- ${displayPath}), ` +
        "or delete it to let cake rebuild it from the files that carry the cake header.",
    );
  }
  return manifest;
}

/**
 * Reads a manifest that a git merge or rebase left with conflict markers, as two branches
 * that each added a user to the same deploy namespace do. Each side is the manifest of one
 * branch's output, so the output before the merge is their union: every file and Profile
 * either side generated, and the user each side records for a private Profile. Where the
 * sides record different users, ours wins: a merge into the branch Argo CD syncs, or a rebase
 * onto it, has that branch as ours, so a Profile given to someone else still needs
 * `--allow-profile-handover`. Reconcile then rewrites the manifest and regenerates every file
 * the merge changed, so no conflict needs resolving by hand.
 * `markerSize` is the length of the markers, from the `conflict-marker-size` attribute.
 * Returns undefined when a side is not a manifest cake wrote.
 */
export function parseConflictedManifest(text: string, markerSize?: number): OutputManifest | undefined {
  const sides = conflictSides(text, markerSize);
  if (sides === undefined) return undefined;
  const ours = parseManifest(sides.ours);
  const theirs = parseManifest(sides.theirs);
  if (ours === undefined || theirs === undefined) return undefined;
  const profiles = [...new Set([...ours.profiles, ...theirs.profiles])].sort();
  const present = new Set(profiles);
  const removedProfiles = Object.fromEntries(
    Object.entries({ ...theirs.removedProfiles, ...ours.removedProfiles }).filter(
      ([profile]) => !present.has(profile),
    ),
  );
  const profileUsers =
    ours.profileUsers === undefined && theirs.profileUsers === undefined
      ? undefined
      : sortedRecord({ ...theirs.profileUsers, ...ours.profileUsers });
  const { varsSha256, removedProfiles: _removed, ...base } = ours;
  return {
    ...base,
    manifestVersion: Math.max(ours.manifestVersion, theirs.manifestVersion),
    profiles,
    ...(profileUsers === undefined ? {} : { profileUsers }),
    ...(Object.keys(removedProfiles).length === 0 ? {} : { removedProfiles: sortedRecord(removedProfiles) }),
    files: sortedRecord({ ...theirs.files, ...ours.files }),
    // Version 1 manifests name their holders through the vars file at HEAD, which is ours.
    ...(varsSha256 !== undefined && theirs.manifestVersion === 1 ? { varsSha256 } : {}),
    mergeConflict: true,
    oneSideProfiles: oneSided(profiles, ours, theirs),
  };
}

/**
 * Returns the Profiles of `profiles` that only one side of the merge has, with that side.
 * Both sides' texts keep every line outside the conflicts, so a line that only one side has
 * lies inside a conflict, where each side's lines are its own branch's. Cake writes a name in
 * `profiles` and a `profiles/<name>.yaml` entry in `files` for every Profile, in sorted order.
 * If the other branch had the Profile, its lines would lie in the same conflict.
 * A Profile gets no side when git merged all its lines without a conflict, because either
 * branch may have added them alone. It gets none either when the two lines point at different
 * sides, as in a hand-edited manifest. `profileUsers` is not read, because a Profile that turns
 * into a deploy namespace of the same name leaves it on one side only.
 */
function oneSided(
  profiles: readonly string[],
  ours: OutputManifest,
  theirs: OutputManifest,
): Record<string, "ours" | "theirs"> {
  // NOTE: a Profile whose lines git merged without a conflict gets no side, though the index
  // stages of the manifest (`git show :2:<file>` and `:3:<file>`) would show it until it is staged.
  const [oursNames, theirsNames] = [new Set(ours.profiles), new Set(theirs.profiles)];
  const sides: Record<string, "ours" | "theirs"> = {};
  for (const profile of profiles) {
    const file = profilePath(profile);
    const found = new Set([
      sideOnlyIn(oursNames.has(profile), theirsNames.has(profile)),
      sideOnlyIn(Object.hasOwn(ours.files, file), Object.hasOwn(theirs.files, file)),
    ]);
    found.delete(undefined);
    const [side] = found;
    if (found.size === 1 && side !== undefined) sides[profile] = side;
  }
  return sides;
}

/** Returns the side that has a line the other side lacks, or undefined when both or neither have it. */
function sideOnlyIn(inOurs: boolean, inTheirs: boolean): "ours" | "theirs" | undefined {
  if (inOurs === inTheirs) return undefined;
  return inOurs ? "ours" : "theirs";
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key] as T]),
  );
}

/**
 * Returns the Profiles that a manifest lists, in the output or as removed. A Profile outside
 * this set is new to the output, so only such a Profile needs the git history lookup.
 */
export function listedProfiles(manifest: {
  profiles: readonly string[];
  removedProfiles?: Readonly<Record<string, string | null>>;
}): Set<string> {
  return new Set([...manifest.profiles, ...Object.keys(manifest.removedProfiles ?? {})]);
}

/** Parses the text of a manifest; returns undefined when it is not one cake wrote. */
export function parseManifest(text: string): OutputManifest | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;

  const candidate = data as Record<string, unknown>;
  const files = candidate.files;
  const users = candidate.profileUsers;
  const removed = candidate.removedProfiles;
  const valid =
    typeof candidate.manifestVersion === "number" &&
    typeof candidate.cakeVersion === "string" &&
    typeof candidate.varsFile === "string" &&
    typeof candidate.profileOwner === "string" &&
    Array.isArray(candidate.profiles) &&
    candidate.profiles.every((name) => typeof name === "string") &&
    typeof files === "object" &&
    files !== null &&
    !Array.isArray(files) &&
    Object.values(files).every((hash) => typeof hash === "string") &&
    (users === undefined ||
      (typeof users === "object" &&
        users !== null &&
        !Array.isArray(users) &&
        Object.values(users).every((email) => typeof email === "string"))) &&
    (removed === undefined ||
      (typeof removed === "object" &&
        removed !== null &&
        !Array.isArray(removed) &&
        Object.values(removed).every((email) => email === null || typeof email === "string")));
  if (!valid) return undefined;
  // A version 1 manifest also contains `varsSha256`. It is kept only to find the Profile
  // holders that version 1 did not record. The next reconcile rewrites the manifest once in
  // the current format, without it.
  const { varsSha256, ...manifest } = candidate;
  const legacy = candidate.manifestVersion === 1 && typeof varsSha256 === "string" ? { varsSha256 } : {};
  return { ...manifest, ...legacy } as unknown as OutputManifest;
}

/** Returns true when `record` contains no objects and enumerates its keys in sorted order. */
function isSortedFlatRecord(record: Record<string, unknown>): boolean {
  const keys = Object.keys(record);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    const value = record[key];
    if (typeof value === "object" && value !== null) return false;
    if (index > 0 && (keys[index - 1] as string) > key) return false;
  }
  return true;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  // The maps of files and users come sorted already; copying their 10k entries costs about 10 ms.
  if (isSortedFlatRecord(record)) return record;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, sortKeys(record[key])]),
  );
}
