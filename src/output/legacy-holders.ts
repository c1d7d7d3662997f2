/**
 * The Profile holders of output that an older cake wrote. A version 1 manifest lists the
 * Profiles but not their holders, and the profile file of a disabled user or of a deploy
 * namespace names nobody either. So on the first reconcile after an upgrade, a Profile
 * passing from a disabled user or a deploy namespace to someone else would go unnoticed.
 *
 * A version 1 manifest does record the sha256 of the vars file the output came from. When the
 * vars file committed at HEAD has that sha256 and gives the recorded Profiles, its users are
 * the holders. The loader and git are imported only here, and only for such a manifest.
 */
import path from "node:path";
import { profilesOf, profileUsersOf } from "../model/names.js";
import { type OutputManifest, sha256 } from "./manifest.js";

export interface CommittedHolders {
  /** The manifest, with `profileUsers` when they were found. */
  manifest: OutputManifest;
  /** The reason the holders were not found, for the warning that names the Profiles left unchecked. */
  problem?: string;
}

/**
 * Returns `manifest` with the `profileUsers` found in the vars file committed at HEAD, or
 * `manifest` itself, with the reason, when that file is missing, differs from the one the
 * output came from, or is invalid, or git cannot read it. `root` is the repo root; `folder`
 * the deployment folder relative to it.
 */
export async function withCommittedHolders(
  root: string,
  folder: string,
  manifest: OutputManifest,
): Promise<CommittedHolders> {
  if (manifest.profileUsers !== undefined || manifest.varsSha256 === undefined) return { manifest };
  const { isRepo, showFile } = await import("../git/git.js");
  const { varsFile } = manifest;
  let text: string | undefined;
  try {
    // isRepo names the reason git refuses a repository (another user owns it, say).
    if (!(await isRepo(root))) return { manifest, problem: "the ops repo is not a git repository" };
    text = await showFile(root, "HEAD", varsFile);
  } catch (error) {
    return { manifest, problem: (error as Error).message };
  }
  if (text === undefined) return { manifest, problem: `HEAD has no ${varsFile}` };
  if (!matchesRecorded(text, manifest.varsSha256)) {
    return { manifest, problem: `${varsFile} at HEAD is not the file the output came from` };
  }

  const { loadVarsText } = await import("../config/load.js");
  const { deployment } = loadVarsText(text, {
    file: varsFile,
    outputPath: folder,
    expectedName: path.posix.basename(folder),
  });
  const profiles = deployment === undefined ? [] : profilesOf(deployment);
  const recorded = new Set(manifest.profiles);
  if (
    deployment === undefined ||
    profiles.length !== recorded.size ||
    profiles.some((profile) => !recorded.has(profile.name))
  ) {
    return { manifest, problem: `${varsFile} at HEAD does not give the Profiles of the output` };
  }
  return { manifest: { ...manifest, profileUsers: profileUsersOf(profiles) } };
}

/**
 * Returns true when `text`, as git stores it, is the file whose bytes had `varsSha256`. Git may
 * convert line endings on checkout (`core.autocrlf`, `eol` attributes), so the file on disk
 * that the older cake hashed may have CRLF where the commit has LF, or the reverse.
 */
function matchesRecorded(text: string, varsSha256: string): boolean {
  const lf = text.replace(/\r\n/g, "\n");
  return [text, lf, lf.replace(/\n/g, "\r\n")].some((candidate) => sha256(candidate) === varsSha256);
}
