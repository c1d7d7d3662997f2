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
 * Reads the manifest of the deployment folder `folder`.
 * @returns undefined when the folder has no manifest.
 * @throws CakeError when the manifest exists but is not one cake wrote.
 */
export async function readManifest(folder: string): Promise<OutputManifest | undefined> {
  const file = path.join(folder, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CakeError(`cannot read ${file}: ${(error as Error).message}`);
  }

  const manifest = parseManifest(text);
  if (manifest !== undefined && manifest.manifestVersion > MANIFEST_VERSION) {
    throw new CakeError(
      `${file} was written by cake ${manifest.cakeVersion}, whose manifest format (version ` +
        `${manifest.manifestVersion}) this cake does not know; upgrade cake to reconcile this folder.`,
    );
  }
  if (manifest === undefined) {
    throw new CakeError(
      `${file} is not a valid cake manifest. Restore it from git (git checkout -- ${file}), ` +
        "or delete it to let cake rebuild it from the files that carry the cake header.",
    );
  }
  return manifest;
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
