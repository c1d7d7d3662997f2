import { describe, expect, it } from "vitest";
import { generateDeployment } from "../../src/generate/index.js";
import { makeDeployment, makeNamespace } from "../helpers/model.js";
import { findObject, getObject, LIMIT_RANGE } from "./find.js";

function withQuota(resourceQuota: Record<string, string>) {
  return generateDeployment(
    makeDeployment({ deployNamespaces: [makeNamespace("team-a", { resourceQuota })] }),
  );
}

const KEY = { ...LIMIT_RANGE, namespace: "team-a", name: "cake-default-limits" };

describe("LimitRange", () => {
  it.each(["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"])(
    "comes with a %s quota",
    (key) => {
      expect(findObject(withQuota({ [key]: "8" }), KEY)).toBeDefined();
    },
  );

  it("sets default requests for a quota of requests", () => {
    const range = getObject(withQuota({ cpu: "8", memory: "16Gi" }), KEY);
    // No default limit: one of 1 CPU would make a pod that requests 4 CPUs and sets no limit invalid.
    expect(range.spec).toEqual({
      limits: [{ type: "Container", defaultRequest: { cpu: "100m", memory: "256Mi" } }],
    });
    expect(getObject(withQuota({ "requests.memory": "64Gi" }), KEY).spec).toEqual(range.spec);
  });

  it("sets the default limit of each resource whose limit the quota constrains", () => {
    const range = getObject(withQuota({ "requests.cpu": "8", "limits.memory": "16Gi" }), KEY);
    expect(range.spec).toEqual({
      limits: [
        {
          type: "Container",
          default: { memory: "1Gi" },
          defaultRequest: { cpu: "100m", memory: "256Mi" },
        },
      ],
    });
    expect(getObject(withQuota({ "limits.cpu": "8", "limits.memory": "16Gi" }), KEY).spec).toEqual({
      limits: [
        {
          type: "Container",
          default: { cpu: "1", memory: "1Gi" },
          defaultRequest: { cpu: "100m", memory: "256Mi" },
        },
      ],
    });
    expect(range.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "cake" });
  });

  it("follows configured defaults", () => {
    const deployment = makeDeployment({
      deployNamespaces: [makeNamespace("team-a", { resourceQuota: { "limits.memory": "64Gi" } })],
      kubeflow: {
        defaultContainerResources: {
          requests: { cpu: "250m", memory: "512Mi" },
          limits: { cpu: "2", memory: "4Gi" },
        },
      },
    });
    const range = getObject(generateDeployment(deployment), KEY);
    expect(range.spec).toEqual({
      limits: [
        {
          type: "Container",
          default: { memory: "4Gi" },
          defaultRequest: { cpu: "250m", memory: "512Mi" },
        },
      ],
    });
  });

  it("is absent for non-compute quotas", () => {
    expect(findObject(withQuota({ "requests.nvidia.com/gpu": "4", pods: "20" }), KEY)).toBeUndefined();
  });

  it("is absent without a quota", () => {
    expect(findObject(withQuota({}), KEY)).toBeUndefined();
  });
});
