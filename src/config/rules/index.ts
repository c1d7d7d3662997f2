/** Every validation rule, in the order their diagnostics are usually read. */

import { gatewayPrincipalsRule, iapUseridPrefixRule, useridHeaderRule } from "./authorization-policy.js";
import { bindingCollisionRule } from "./binding-collisions.js";
import { awsSettingsRule, cloudSettingsRule, gcpSettingsRule, unusedCloudSettingsRule } from "./cloud.js";
import type { Rule } from "./context.js";
import { deployNamespaceRule, deprecatedKeysRule } from "./deploy-namespaces.js";
import { deploymentNameRule } from "./deployment-name.js";
import {
  applicationSetNameRule,
  argocdApplicationNameRule,
  awsRoleNameRule,
  bindingNameLengthRule,
  gcpServiceAccountRule,
} from "./derived-names.js";
import {
  duplicateEmailRule,
  emailCaseRule,
  emailFormatRule,
  emailIdpPrefixRule,
  emailUnicodeFormRule,
  profileOwnerUserRule,
  useridPrefixRule,
} from "./emails.js";
import { destinationServerRule, repoUrlRule, targetRevisionRule } from "./gitops.js";
import { grantsRule, rolesRule } from "./grants.js";
import { containerDefaultsRule, resourceQuotaRule } from "./resource-quota.js";
import { namespaceLabelsRule, settingsNamespacesRule } from "./settings.js";
import { usernamePatternRule, usernameRule } from "./usernames.js";

export type { Rule, RuleContext } from "./context.js";

export const RULES: readonly Rule[] = [
  deploymentNameRule,
  deprecatedKeysRule,
  emailFormatRule,
  duplicateEmailRule,
  profileOwnerUserRule,
  emailCaseRule,
  emailUnicodeFormRule,
  useridPrefixRule,
  emailIdpPrefixRule,
  useridHeaderRule,
  iapUseridPrefixRule,
  gatewayPrincipalsRule,
  usernameRule,
  usernamePatternRule,
  deployNamespaceRule,
  rolesRule,
  grantsRule,
  awsRoleNameRule,
  gcpServiceAccountRule,
  bindingNameLengthRule,
  argocdApplicationNameRule,
  applicationSetNameRule,
  bindingCollisionRule,
  resourceQuotaRule,
  containerDefaultsRule,
  cloudSettingsRule,
  awsSettingsRule,
  gcpSettingsRule,
  unusedCloudSettingsRule,
  repoUrlRule,
  targetRevisionRule,
  destinationServerRule,
  settingsNamespacesRule,
  namespaceLabelsRule,
];
