/**
 * The Profile holders of output that an older cake wrote. A version 1 manifest lists the
 * Profiles but not who holds each, and the profile file of a disabled user or of a deploy
 * namespace names nobody either. So on the first reconcile after an upgrade, a Profile
 * passing from a disabled user or a deploy namespace to someone else would go unnoticed.
 *
 * A version 1 manifest does record the sha256 of the vars file the output came from. When the
 * vars file committed at HEAD has that sha256 and gives the recorded Profiles, its users are
 * the holders. The loader and git are imported only here, and only for such a manifest.
 */
import path from "node:path";
import { profilesOf } from "../model/names.js";
import { type OutputManifest, sha256 } from "./manifest.js";

/**
 * Returns `manifest` with the `profileUsers` found in the vars file committed at HEAD, or
 * `manifest` itself when it records them already, or when that file is missing, differs from
 * the one the output came from, or is invalid. `root` is the repo root; `folder` the
 * deployment folder relative to it.
 */
export async function withCommittedHolders(
  root: string,
  folder: string,
  manifest: OutputManifest,
): Promise<OutputManifest> {
  if (manifest.profileUsers !== undefined || manifest.varsSha256 === undefined) return manifest;
  const { showFile } = await import("../git/git.js");
  let text: string | undefined;
  try {
    text = await showFile(root, "HEAD", manifest.varsFile);
  } catch {
    // No git, or a repository git refuses: the holders stay unknown, as without a commit.
    return manifest;
  }
  if (text === undefined || sha256(text) !== manifest.varsSha256) return manifest;

  const { loadVarsText } = await import("../config/load.js");
  const { deployment } = loadVarsText(text, {
    file: manifest.varsFile,
    outputPath: folder,
    expectedName: path.posix.basename(folder),
  });
  if (deployment === undefined) return manifest;
  const profiles = profilesOf(deployment);
  const recorded = new Set(manifest.profiles);
  if (profiles.length !== recorded.size || profiles.some((profile) => !recorded.has(profile.name))) {
    return manifest;
  }
  const profileUsers: Record<string, string> = {};
  for (const profile of profiles) {
    if (profile.kind === "user" && profile.email !== undefined) profileUsers[profile.name] = profile.email;
  }
  return { ...manifest, profileUsers };
}
