/**
 * Validates generated objects against upstream schemas: the ones bundled with
 * `kubernetes-models` for typed kinds, and JSON schemas in `test/schemas` for CRD kinds.
 */
import { readFileSync } from "node:fs";
import { Application, ApplicationSet, AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1beta1";
import { Ajv } from "ajv";
import { ClusterRole, ClusterRoleBinding, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { LimitRange, Namespace } from "kubernetes-models/v1";
import type { GeneratedObject } from "../../src/generate/index.js";

/** Upstream schemas bundled with `kubernetes-models`, keyed by "apiVersion kind". */
const TYPED_MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1 Namespace": Namespace,
  "v1 LimitRange": LimitRange,
  "rbac.authorization.k8s.io/v1 RoleBinding": RoleBinding,
  "rbac.authorization.k8s.io/v1 ClusterRole": ClusterRole,
  "rbac.authorization.k8s.io/v1 ClusterRoleBinding": ClusterRoleBinding,
  "security.istio.io/v1beta1 AuthorizationPolicy": AuthorizationPolicy,
  "argoproj.io/v1alpha1 Application": Application,
  "argoproj.io/v1alpha1 AppProject": AppProject,
  "argoproj.io/v1alpha1 ApplicationSet": ApplicationSet,
};

function readSchema(name: string): object {
  return JSON.parse(readFileSync(new URL(`../schemas/${name}`, import.meta.url), "utf8")) as object;
}

const ajv = new Ajv({ allErrors: true, strictTypes: false });
ajv.addSchema(readSchema("metadata.schema.json"));
const CRD_VALIDATORS = {
  "kubeflow.org/v1 Profile": ajv.compile(readSchema("profile.schema.json")),
  "iam.services.k8s.aws/v1alpha1 Role": ajv.compile(readSchema("ack-role.schema.json")),
  "iam.cnrm.cloud.google.com/v1beta1 IAMServiceAccount": ajv.compile(
    readSchema("iam-service-account.schema.json"),
  ),
  "iam.cnrm.cloud.google.com/v1beta1 IAMPolicyMember": ajv.compile(
    readSchema("iam-policy-member.schema.json"),
  ),
};

/** Returns the schema errors of `object`, or an empty list when it is valid. */
export function schemaErrors(object: GeneratedObject): string[] {
  const key = `${object.apiVersion} ${object.kind}`;
  const Model = TYPED_MODELS[key];
  if (Model !== undefined) {
    try {
      new Model(object as never).validate();
      return [];
    } catch (error) {
      return [String(error)];
    }
  }
  const validate = CRD_VALIDATORS[key as keyof typeof CRD_VALIDATORS];
  if (validate === undefined) return [`no schema for ${key}`];
  if (validate(object)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}
