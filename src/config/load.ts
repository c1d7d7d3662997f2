/**
 * Loads one vars file in phases: YAML, schema, rules, then the deployment model. Every
 * problem of the file is reported together; nothing here throws on bad input.
 */
import type { Document } from "yaml";
import type { Deployment } from "../model/types.js";
import { conflictBlocks, DEFAULT_MARKER_SIZE, markerLines, markerText } from "../repo/merge-conflict.js";
import { deploymentNameOfFile } from "../repo/vars-files.js";
import {
  appendDiagnostics,
  type Diagnostic,
  type DiagnosticCode,
  hasErrors,
  sortDiagnostics,
} from "./diagnostics.js";
import type { LoadSnapshot } from "./incremental.js";
import { loadFast, placedBy, readVarsFile, unplaced } from "./load-fast.js";
import { explainMisplacedKeys } from "./misplaced-keys.js";
import { normalizeVars } from "./normalize.js";
import { buildView } from "./rules/context.js";
import { RULES } from "./rules/index.js";
import { ARGOCD_NAMESPACE_REASON, IDENTITY_NAMESPACE_REASON } from "./rules/reserved.js";
import { checkSchema } from "./schema-phase.js";
import { parseVarsYaml, yaml11BooleanDiagnostics } from "./yaml-phase.js";

export interface LoadResult {
  /** Present only when the file has no errors (warnings allowed). */
  deployment?: Deployment;
  /** Sorted by line and column. */
  diagnostics: Diagnostic[];
  /** The parsed document, with comments and positions, when the file could be parsed. */
  document?: Document;
  /** The text that was loaded, for source excerpts; absent when the file could not be read. */
  text?: string;
  /** sha256 of the bytes `text` was decoded from, when the file was read. */
  varsSha256?: string;
  /** With `snapshot` set: what the next load of a changed text can reuse, when the layout allows it. */
  snapshot?: LoadSnapshot;
  /**
   * Set when the file was loaded incrementally from `previous`: the profiles whose inputs may
   * have changed. Every other profile's inputs are as in the previous load.
   */
  affectedProfiles?: Set<string>;
}

/** A previous load of the same file: its text and its snapshot. */
export interface PreviousLoad {
  text: string;
  snapshot: LoadSnapshot;
}

export interface LoadOptions {
  /** Path shown in diagnostics, verbatim (usually relative to the repo root). */
  file: string;
  /** Output folder of the deployment, stored in `Deployment.outputPath`. */
  outputPath: string;
  /** Deployment name the file must declare; defaults to the file's basename without `.yaml`/`.yml`. */
  expectedName?: string;
  /**
   * Take the fast path where it cannot change the result (see `fast-load.ts`). Its warnings
   * get positions from the text's layout (see `text-positions.ts`), or line and column 0
   * where that fails, and it returns no document, so only callers that need the model, such
   * as reconcile, set it.
   */
  fast?: boolean;
  /** With `fast`: return a snapshot for the next load (see `incremental.ts`). */
  snapshot?: boolean;
  /**
   * With `fast`: run the full load as well when the fast path leaves a diagnostic without a
   * position (see `text-positions.ts`), and take its diagnostics, so every diagnostic points
   * into the file. The fast path's snapshot and affected profiles are kept (see `placedBy`).
   */
  positioned?: boolean;
  /** With `fast`: the previous load of this file, to re-read only the changed users when the change allows it. */
  previous?: PreviousLoad;
  /** The length of git's conflict markers in this file, from its `conflict-marker-size` attribute; default 7. */
  conflictMarkerSize?: number;
}

export function loadVarsText(text: string, options: LoadOptions): LoadResult {
  const conflicts = mergeConflictDiagnostics(text, options.file, options.conflictMarkerSize);
  if (conflicts.length > 0) return { diagnostics: conflicts, text };
  if (options.fast) {
    const fast = loadFast(text, options);
    if (fast === undefined) return loadVarsText(text, { ...options, fast: false });
    return unplaced(fast, options) ? placedBy(fast, loadVarsText(text, { ...options, fast: false })) : fast;
  }

  const expectedName = options.expectedName ?? deploymentNameOfFile(options.file);
  const { source, data, diagnostics } = parseVarsYaml(text, options.file);
  const document = source.document;
  if (data === undefined)
    return { diagnostics: sortDiagnostics(diagnostics), text, ...(document ? { document } : {}) };

  const schema = checkSchema(source, data);
  appendDiagnostics(diagnostics, withoutMergedKeys(schema.diagnostics, diagnostics));

  const context = { source, view: buildView(data), expectedName };
  const hidden = hiddenByDuplicates(diagnostics);
  for (const rule of RULES) {
    appendDiagnostics(
      diagnostics,
      rule.check(context).filter((item) => !hidden(item)),
    );
  }

  // A YAML 1.1 word in a field that is not a string is already an error of its own.
  const errorPaths = new Set(
    diagnostics.filter((item) => item.severity === "error").map((item) => item.path),
  );
  appendDiagnostics(
    diagnostics,
    yaml11BooleanDiagnostics(source).filter((item) => !errorPaths.has(item.path)),
  );

  const sorted = sortDiagnostics(explainMisplacedKeys(source, diagnostics));
  if (hasErrors(sorted) || !schema.vars)
    return { diagnostics: sorted, text, ...(document ? { document } : {}) };
  return {
    deployment: normalizeVars(schema.vars, options),
    diagnostics: sorted,
    text,
    ...(document ? { document } : {}),
  };
}

/**
 * Reports the git merge conflicts left in `text`, one error per conflict and per stray marker.
 * They are reported alone: the YAML parser would misread the marker lines and both sides'
 * entries, and report errors that resolving the conflict removes.
 */
function mergeConflictDiagnostics(text: string, file: string, size = DEFAULT_MARKER_SIZE): Diagnostic[] {
  const markers = markerLines(text, size);
  if (markers.length === 0) return [];
  const { blocks, stray } = conflictBlocks(markers);
  const at = (line: number, message: string): Diagnostic => ({
    severity: "error",
    code: "merge-conflict",
    file,
    line,
    column: 1,
    path: "",
    message,
  });
  return sortDiagnostics([
    ...blocks.map(({ start, end }) =>
      at(
        start,
        `unresolved git merge conflict (lines ${start} to ${end}): the lines between "${markerText("ours", size)}" and ` +
          `"${markerText("end", size)}" contain both sides of the merge. Keep the lines each side needs (often the users ` +
          'both sides added), delete the marker lines, then run "cake reconcile", which regenerates ' +
          "the output. Generated files never need resolving by hand",
      ),
    ),
    ...stray.map(({ line }) =>
      at(
        line,
        `a git merge conflict marker ("${text.split("\n")[line - 1]?.trimEnd()}") was left behind; ` +
          "delete this line, and check that the lines around it are the ones you meant to keep",
      ),
    ),
  ]);
}

/** Reads and loads one vars file; a file that cannot be read gives a diagnostic. */
export async function loadVarsFile(
  absolutePath: string,
  options: Omit<LoadOptions, "expectedName">,
): Promise<LoadResult> {
  const read = await readVarsFile(absolutePath, options.file);
  return "text" in read ? { ...loadVarsText(read.text, options), varsSha256: read.sha256 } : read;
}

export { deploymentNameOfFile };

/**
 * Rule codes that compare a field with a setting elsewhere in the file, keyed by that setting.
 * With the setting's key duplicated, the rules see only the last copy. Their errors would then
 * point at values of a copy the user may delete. Examples are a grant of a namespace from the
 * first `deploy_namespaces` list reported as unknown, with a "did you mean" from the last list,
 * and an email that starts with the `userid_prefix` of one copy only.
 */
const CODES_READING_SETTING: ReadonlyArray<{
  setting: string;
  codes: readonly DiagnosticCode[];
  /**
   * The `reserved-namespace` reasons that compare a name with the setting. A system name such
   * as `kube-system` is reserved whatever the setting, so its error stays.
   */
  reservedReasons?: readonly string[];
}> = [
  // The default AWS role name prefix is `<environment>-<region>-`. The region also gives the
  // partition that policy ARNs must be in.
  { setting: "environment", codes: ["file-name-mismatch", "name-too-long", "invalid-derived-name"] },
  {
    setting: "region",
    codes: ["file-name-mismatch", "name-too-long", "invalid-derived-name", "invalid-arn"],
  },
  { setting: "kubeflow.profile_owner", codes: ["profile-owner-user"] },
  { setting: "kubeflow.userid_header", codes: ["iap-userid-prefix"] },
  {
    setting: "kubeflow.userid_prefix",
    codes: ["email-has-userid-prefix", "email-idp-prefix", "iap-userid-prefix"],
  },
  { setting: "identity.lowercase_emails", codes: ["email-uppercase", "email-uppercase-lowercased-idp"] },
  { setting: "identity.username_pattern", codes: ["username-pattern"] },
  // The provider decides which cloud settings apply, which names are derived, and whether
  // `cloud.identity_namespace` is reserved.
  {
    setting: "cloud.provider",
    codes: [
      "missing-cloud-settings",
      "unused-cloud-settings",
      "name-too-long",
      "invalid-derived-name",
      "invalid-arn",
    ],
    reservedReasons: [IDENTITY_NAMESPACE_REASON],
  },
  { setting: "cloud.identity_namespace", codes: [], reservedReasons: [IDENTITY_NAMESPACE_REASON] },
  { setting: "cloud.aws.role_name_prefix", codes: ["name-too-long", "invalid-derived-name"] },
  { setting: "cloud.gcp.service_account_prefix", codes: ["name-too-long", "invalid-derived-name"] },
  { setting: "gitops.argocd_namespace", codes: [], reservedReasons: [ARGOCD_NAMESPACE_REASON] },
  { setting: "users.deploy_namespaces", codes: ["unknown-namespace", "username-is-namespace"] },
  { setting: "users.deployments", codes: ["unknown-namespace", "username-is-namespace"] },
];

/**
 * Returns a test of the rule diagnostics to leave out because a setting they read has a
 * duplicated key, or sits in a duplicated mapping (a second `users:` section). The
 * duplicate-key error names the fix, and the next run reports them against the copy that was kept.
 */
function hiddenByDuplicates(yaml: readonly Diagnostic[]): (diagnostic: Diagnostic) => boolean {
  const duplicated = yaml.filter((item) => item.code === "yaml-duplicate-key").map((item) => item.path);
  const codes = new Set<DiagnosticCode>();
  const reasons: string[] = [];
  for (const { setting, codes: read, reservedReasons = [] } of CODES_READING_SETTING) {
    if (!duplicated.some((path) => setting === path || setting.startsWith(`${path}.`))) continue;
    for (const code of read) codes.add(code);
    reasons.push(...reservedReasons);
  }
  return (diagnostic) =>
    codes.has(diagnostic.code) ||
    (diagnostic.code === "reserved-namespace" &&
      reasons.some((reason) => diagnostic.message.includes(reason)));
}

/**
 * Drops `missing-key` errors in mappings that have a merge key (`<<`): the key may well come
 * from the merge, which cake does not apply, and `yaml-merge-key` already requests that the
 * keys be written out.
 */
function withoutMergedKeys(schema: readonly Diagnostic[], yaml: readonly Diagnostic[]): Diagnostic[] {
  const merged = new Set(
    yaml.filter((item) => item.code === "yaml-merge-key").map((item) => item.path.replace(/\.?<<$/, "")),
  );
  if (merged.size === 0) return [...schema];
  return schema.filter((item) => item.code !== "missing-key" || !merged.has(parentPath(item.path)));
}

/** Returns the field path of the mapping that contains `path`: `users.users[1]` for `users.users[1].roles`. */
function parentPath(path: string): string {
  const dot = path.lastIndexOf(".");
  return dot < 0 ? "" : path.slice(0, dot);
}
