/**
 * Container defaults for profile namespaces whose quota constrains cpu or memory.
 */
import type { ILimitRange } from "kubernetes-models/v1/LimitRange";
import { DEFAULT_LIMIT_RANGE_NAME } from "../model/names.js";
import type { Deployment, ProfileRef } from "../model/types.js";
import { type GeneratedObject, managedLabels, typedObject } from "./metadata.js";

/** ResourceQuota keys that make the API server reject pods which declare no requests or limits. */
export const COMPUTE_QUOTA_KEYS: readonly string[] = [
  "cpu",
  "memory",
  "requests.cpu",
  "requests.memory",
  "limits.cpu",
  "limits.memory",
];

/** The quota key of each resource whose limit a pod must declare when the quota has it. */
const LIMITS_QUOTA_KEYS = { cpu: "limits.cpu", memory: "limits.memory" } as const;

/**
 * Returns the LimitRange of a profile whose quota has a cpu or memory key, or nothing.
 * A compute quota rejects pods that declare no requests or limits, and the pods Kubeflow
 * Pipelines starts in every profile namespace declare none. The LimitRange gives them the
 * deployment's default container resources: requests always, and the limit of each resource
 * whose limit the quota constrains (`limits.cpu`, `limits.memory`). Kubernetes does not check
 * a default limit against a container's own request ("Limit Ranges" concept page). A default
 * limit of 1 CPU would thus make a pod that requests 4 CPUs and sets no limit invalid, in a
 * namespace whose quota never asked for one.
 */
export function limitRange(deployment: Deployment, profile: ProfileRef): GeneratedObject[] {
  const keys = Object.keys(profile.resourceQuota);
  if (!keys.some((key) => COMPUTE_QUOTA_KEYS.includes(key))) return [];

  const { requests } = deployment.kubeflow.defaultContainerResources;
  // A default limit only for each resource whose limit the quota constrains.
  const limits = Object.fromEntries(
    Object.entries(deployment.kubeflow.defaultContainerResources.limits).filter(([resource]) =>
      keys.includes(LIMITS_QUOTA_KEYS[resource as keyof typeof LIMITS_QUOTA_KEYS]),
    ),
  );
  const hasRequests = Object.keys(requests).length > 0;
  const hasLimits = Object.keys(limits).length > 0;
  // NOTE: the loader always fills both maps with defaults; with both empty a LimitRange
  // would change nothing, so none is generated.
  if (!hasRequests && !hasLimits) return [];

  return [
    typedObject<ILimitRange>({
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: { name: DEFAULT_LIMIT_RANGE_NAME, namespace: profile.name, labels: managedLabels() },
      spec: {
        limits: [
          {
            type: "Container",
            ...(hasLimits ? { default: { ...limits } } : {}),
            ...(hasRequests ? { defaultRequest: { ...requests } } : {}),
          },
        ],
      },
    }),
  ];
}
