/**
 * Names derived from usernames, namespaces and emails must fit the limits of the systems
 * that receive them. Each diagnostic points at the source field, because that is what the
 * user changes. The name functions are the ones the generator uses.
 */
import {
  APPLICATIONSET_APPLICATION_PREFIX,
  AWS_ROLE_NAME,
  awsRoleName,
  bindingName,
  DNS1123_LABEL,
  defaultRoleNamePrefix,
  GCP_SERVICE_ACCOUNT_ID,
  gcpServiceAccountId,
  NAME_LIMITS,
} from "../../model/names.js";
import type { Diagnostic } from "../diagnostics.js";
import type { FieldPath } from "../field-path.js";
import { namespaceNamePath, type Rule, type RuleContext } from "./context.js";
import { dnsLabelFix, writtenQuoted } from "./dns.js";

interface ProfileSource {
  name: string;
  path: FieldPath;
  /** `username` or `namespace name`, for messages. */
  field: string;
}

function profileSources({ view }: RuleContext): ProfileSource[] {
  const users: ProfileSource[] = [];
  for (const entry of view.users) {
    const name = entry.value.username;
    if (name !== undefined) users.push({ name, path: [...entry.path, "username"], field: "username" });
  }
  const namespaces = view.deployNamespaces.map((entry) => ({
    name: entry.value.name,
    path: namespaceNamePath(entry),
    field: "namespace name",
  }));
  // Names that are not DNS labels are reported by the username and namespace rules already.
  return [...users, ...namespaces].filter((profile) => DNS1123_LABEL.test(profile.name));
}

/**
 * A prefix that a DNS label completes into a DNS-1123 subdomain: dot-separated labels of
 * lower-case letters, digits and "-" that start and end with a letter or digit, the last one
 * unfinished (the profile name ends it).
 */
const KUBERNETES_NAME_PREFIX = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*([a-z0-9][-a-z0-9]*)?$/;

function suggestKubernetesPrefix(prefix: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^-a-z0-9.]+/g, "-")
    .replace(/[-.]*\.[-.]*/g, ".")
    .replace(/^[^a-z0-9]+/, "");
  return cleaned === "" ? "cake-" : cleaned;
}

export const awsRoleNameRule: Rule = {
  name: "aws-role-names",
  check(context) {
    const { source, view } = context;
    const aws = view.cloud.aws;
    if (view.cloud.provider !== "aws" || !aws) return [];
    const configured = aws.roleNamePrefix;
    if (configured === undefined && (view.environment === undefined || view.region === undefined)) return [];

    const prefix =
      configured ?? defaultRoleNamePrefix({ environment: view.environment ?? "", region: view.region ?? "" });
    const prefixField =
      configured === undefined ? "the default prefix <environment>-<region>-" : "cloud.aws.role_name_prefix";
    if (configured !== undefined && configured !== "" && !AWS_ROLE_NAME.test(configured)) {
      return [
        source.diagnostic(
          "error",
          "invalid-derived-name",
          ["cloud", "aws", "role_name_prefix"],
          `"${configured}" may only contain letters, digits and + = , . @ _ - (IAM role names); remove the other characters`,
        ),
      ];
    }

    // The role name is also the ACK Role's metadata.name, a Kubernetes DNS-1123 subdomain.
    if (configured !== undefined && configured !== "" && !KUBERNETES_NAME_PREFIX.test(configured)) {
      return [
        source.diagnostic(
          "error",
          "invalid-derived-name",
          ["cloud", "aws", "role_name_prefix"],
          `"${configured}" is also the start of each ACK Role's Kubernetes name, which allows only lower-case ` +
            'letters, digits, "-" and ".", with a letter or digit on each side of every "."; ' +
            `use a prefix such as "${suggestKubernetesPrefix(configured)}"`,
        ),
      ];
    }

    const diagnostics: Diagnostic[] = [];
    for (const profile of profileSources(context)) {
      const roleName = awsRoleName(prefix, profile.name);
      if (roleName.length > NAME_LIMITS.awsRoleName) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "name-too-long",
            profile.path,
            `${profile.field} "${profile.name}" gives AWS IAM role name "${roleName}" of ${roleName.length} characters ` +
              `(limit ${NAME_LIMITS.awsRoleName}); shorten the ${profile.field} or ${prefixField}`,
          ),
        );
      }
    }
    return diagnostics;
  },
};

export const gcpServiceAccountRule: Rule = {
  name: "gcp-service-account-ids",
  check(context) {
    const { source, view } = context;
    const gcp = view.cloud.gcp;
    if (view.cloud.provider !== "gcp" || !gcp) return [];
    const prefix = gcp.serviceAccountPrefix;
    if (prefix !== "" && !/^[a-z][a-z0-9-]*$/.test(prefix)) {
      return [
        source.diagnostic(
          "error",
          "invalid-derived-name",
          ["cloud", "gcp", "service_account_prefix"],
          `"${prefix}" must start with a lower-case letter and contain only lower-case letters, digits and '-' ` +
            "(GCP service account ids); change it",
        ),
      ];
    }

    const diagnostics: Diagnostic[] = [];
    for (const profile of profileSources(context)) {
      const id = gcpServiceAccountId(prefix, profile.name);
      const described = `${profile.field} "${profile.name}" gives GCP service account id "${id}" of ${id.length} characters`;
      if (id.length > NAME_LIMITS.gcpServiceAccountIdMax) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "name-too-long",
            profile.path,
            `${described} (limit ${NAME_LIMITS.gcpServiceAccountIdMax}); shorten the ${profile.field} or cloud.gcp.service_account_prefix`,
          ),
        );
      } else if (id.length < NAME_LIMITS.gcpServiceAccountIdMin) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "invalid-derived-name",
            profile.path,
            `${described} (minimum ${NAME_LIMITS.gcpServiceAccountIdMin}); ${prefix === "" ? 'set cloud.gcp.service_account_prefix (such as "kf-")' : "use a longer cloud.gcp.service_account_prefix"} or a longer ${profile.field}`,
          ),
        );
      } else if (!GCP_SERVICE_ACCOUNT_ID.test(id)) {
        diagnostics.push(
          source.diagnostic(
            "error",
            "invalid-derived-name",
            profile.path,
            `${profile.field} "${profile.name}" gives GCP service account id "${id}", which must start with a letter; ` +
              'set cloud.gcp.service_account_prefix (such as "kf-") or rename it',
          ),
        );
      }
    }
    return diagnostics;
  },
};

/** RoleBinding and AuthorizationPolicy names (DNS-1123 subdomains) come from the email. */
export const bindingNameLengthRule: Rule = {
  name: "binding-name-length",
  check({ source, view }) {
    const diagnostics: Diagnostic[] = [];
    for (const entry of view.users) {
      if (entry.value.email === undefined) continue;
      // "admin" is the longest contributor role, and every active user has it on their own profile.
      const name = bindingName(entry.value.email, "admin");
      if (name.length <= NAME_LIMITS.kubernetesSubdomain) continue;
      diagnostics.push(
        source.diagnostic(
          "error",
          "name-too-long",
          [...entry.path, "email"],
          `"${entry.value.email}" gives RoleBinding and AuthorizationPolicy name "${name.slice(0, 40)}..." of ${name.length} ` +
            `characters (limit ${NAME_LIMITS.kubernetesSubdomain}); Kubeflow derives these names from the email, so the email is too long to use`,
        ),
      );
    }
    return diagnostics;
  },
};

export const argocdApplicationNameRule: Rule = {
  name: "argocd-application-name",
  check({ source, view }) {
    const appName = view.gitops.appName;
    if (appName === undefined) return [];
    const path = ["gitops", "app_name"];
    if (appName.length > NAME_LIMITS.argocdApplication) {
      return [
        source.diagnostic(
          "error",
          "name-too-long",
          path,
          `Argo CD Application name "${appName}" has ${appName.length} characters (limit ${NAME_LIMITS.argocdApplication}); shorten it`,
        ),
      ];
    }
    if (!DNS1123_LABEL.test(appName)) {
      return [
        source.diagnostic(
          "error",
          "invalid-dns-label",
          path,
          `Argo CD Application name "${appName}" is not a DNS-1123 label (lower-case letters, digits and '-'); ${dnsLabelFix(appName, undefined, writtenQuoted(source, path))}`,
        ),
      ];
    }
    return [];
  },
};

/**
 * The ApplicationSet of `cake init` names each Application `cake-<deployment>`, longer in an
 * ops repo in a subfolder, so a deployment name of more than 58 characters gives an Application
 * name over the 63 of a label value. It is a warning, because only an ops repo that applies the
 * ApplicationSet to an Argo CD with label resource tracking fails. Each deployment's own
 * `argocd/` folder names its Application `gitops.app_name`, and annotation tracking (the default
 * since Argo CD 3.0) has no such limit. `reconcile --check` and `cake init` read the
 * ApplicationSet file itself and report the longer names of an ops repo in a subfolder.
 * NOTE: the rule cannot see that file, so it warns too for an ops repo that does not apply it,
 * or whose template name starts with shorter text than `cake-`.
 */
export const applicationSetNameRule: Rule = {
  name: "applicationset-name-length",
  check({ source, view, expectedName }) {
    if (view.environment === undefined || view.region === undefined) return [];
    const name = `${APPLICATIONSET_APPLICATION_PREFIX}${expectedName}`;
    if (name.length <= NAME_LIMITS.argocdApplication) return [];
    return [
      source.diagnostic(
        "warning",
        "applicationset-name-too-long",
        ["environment"],
        `deployment ${expectedName} gets the Argo CD Application "${name}" of ${name.length} characters ` +
          `(limit ${NAME_LIMITS.argocdApplication}) from the ApplicationSet of cake init (argocd/applicationset.yaml), ` +
          "longer still in an ops repo in a subfolder. An Argo CD with label resource tracking (the default before " +
          "3.0) writes that name into a label of every object, so each sync of the deployment fails. If you apply " +
          "that ApplicationSet, set application.resourceTrackingMethod: annotation in the argocd-cm ConfigMap, or " +
          "apply each deployment's argocd/ folder in its place, or choose a shorter environment or region",
      ),
    ];
  },
};
