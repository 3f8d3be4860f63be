import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../kube/resource.ts";
import { objectHealth, type HealthStatus } from "./health-rules.ts";

const obj = (apiVersion: string, kind: string, spec: unknown, status: unknown, generation?: number): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name: "x", ...(generation === undefined ? {} : { generation }) },
  ...(spec === undefined ? {} : { spec }),
  ...(status === undefined ? {} : { status }),
});
const cond = (type: string, status: string, reason = "", message = ""): Record<string, string> => ({
  type,
  status,
  reason,
  message,
});

const cases: [string, KubeObject, HealthStatus, RegExp?][] = [
  ["ConfigMap exists", obj("v1", "ConfigMap", undefined, undefined), "Current", /exists/],
  [
    "unobserved generation",
    obj(
      "apps/v1",
      "Deployment",
      { replicas: 1 },
      { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1, replicas: 1 },
      2,
    ),
    "InProgress",
    /generation 2/,
  ],
  [
    "Stalled condition",
    obj("example.com/v1", "Widget", {}, { conditions: [cond("Stalled", "True", "Bad", "broken spec")] }),
    "Failed",
    /broken spec/,
  ],
  [
    "Reconciling condition",
    obj("example.com/v1", "Widget", {}, { conditions: [cond("Reconciling", "True", "Progressing")] }),
    "InProgress",
  ],
  [
    "Ready False",
    obj("example.com/v1", "Widget", {}, { conditions: [cond("Ready", "False", "Waiting")] }),
    "InProgress",
  ],
  ["Ready True", obj("example.com/v1", "Widget", {}, { conditions: [cond("Ready", "True")] }), "Current"],
  [
    "Deployment not available",
    obj("apps/v1", "Deployment", { replicas: 3 }, { replicas: 3, updatedReplicas: 3, availableReplicas: 1 }),
    "InProgress",
    /1 of 3 replicas available/,
  ],
  [
    "Deployment old replicas",
    obj("apps/v1", "Deployment", { replicas: 2 }, { replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
    "InProgress",
    /old replicas/,
  ],
  [
    "Deployment available",
    obj("apps/v1", "Deployment", { replicas: 2 }, { replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
    "Current",
  ],
  [
    "Deployment deadline",
    obj("apps/v1", "Deployment", {}, { conditions: [cond("Progressing", "False", "ProgressDeadlineExceeded")] }),
    "Failed",
  ],
  [
    "StatefulSet ready",
    obj(
      "apps/v1",
      "StatefulSet",
      { replicas: 2 },
      { readyReplicas: 2, updatedReplicas: 2, currentRevision: "a", updateRevision: "a" },
    ),
    "Current",
  ],
  [
    "StatefulSet rolling",
    obj(
      "apps/v1",
      "StatefulSet",
      { replicas: 2 },
      { readyReplicas: 2, updatedReplicas: 2, currentRevision: "a", updateRevision: "b" },
    ),
    "InProgress",
  ],
  [
    "DaemonSet available",
    obj("apps/v1", "DaemonSet", {}, { desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 }),
    "Current",
  ],
  [
    "DaemonSet updating",
    obj("apps/v1", "DaemonSet", {}, { desiredNumberScheduled: 2, updatedNumberScheduled: 1, numberAvailable: 2 }),
    "InProgress",
  ],
  [
    "ReplicaSet failure",
    obj(
      "apps/v1",
      "ReplicaSet",
      { replicas: 1 },
      { conditions: [cond("ReplicaFailure", "True", "FailedCreate", "quota")] },
    ),
    "Failed",
    /quota/,
  ],
  [
    "Pod crash loop",
    obj(
      "v1",
      "Pod",
      {},
      { phase: "Running", containerStatuses: [{ name: "app", state: { waiting: { reason: "CrashLoopBackOff" } } }] },
    ),
    "Failed",
    /app: CrashLoopBackOff/,
  ],
  ["Pod ready", obj("v1", "Pod", {}, { phase: "Running", conditions: [cond("Ready", "True")] }), "Current"],
  ["Pod succeeded", obj("v1", "Pod", {}, { phase: "Succeeded" }), "Current"],
  ["Job complete", obj("batch/v1", "Job", {}, { conditions: [cond("Complete", "True")] }), "Current"],
  [
    "Job failed",
    obj("batch/v1", "Job", {}, { conditions: [cond("Failed", "True", "BackoffLimitExceeded")] }),
    "Failed",
  ],
  ["Job running", obj("batch/v1", "Job", {}, { active: 1 }), "InProgress"],
  ["PVC pending", obj("v1", "PersistentVolumeClaim", {}, { phase: "Pending" }), "InProgress"],
  ["PVC bound", obj("v1", "PersistentVolumeClaim", {}, { phase: "Bound" }), "Current"],
  ["PVC lost", obj("v1", "PersistentVolumeClaim", {}, { phase: "Lost" }), "Failed"],
  ["Service ClusterIP", obj("v1", "Service", { type: "ClusterIP" }, {}), "Current"],
  [
    "Service LoadBalancer pending",
    obj("v1", "Service", { type: "LoadBalancer" }, { loadBalancer: {} }),
    "InProgress",
    /load balancer/,
  ],
  [
    "Service LoadBalancer ready",
    obj("v1", "Service", { type: "LoadBalancer" }, { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } }),
    "Current",
  ],
  ["Namespace active", obj("v1", "Namespace", {}, { phase: "Active" }), "Current"],
  ["Namespace terminating", obj("v1", "Namespace", {}, { phase: "Terminating" }), "InProgress"],
  [
    "CRD established",
    obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", {}, { conditions: [cond("Established", "True")] }),
    "Current",
  ],
  [
    "CRD names refused",
    obj(
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      {},
      { conditions: [cond("NamesAccepted", "False", "", "conflict")] },
    ),
    "Failed",
  ],
  ["CRD pending", obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", {}, {}), "InProgress"],
  [
    "a Deployment kind of another group uses the generic rule",
    obj("example.com/v1", "Deployment", {}, {}),
    "Current",
    /exists/,
  ],
];

describe("health rules", () => {
  for (const [name, o, status, message] of cases) {
    it(`${name}: ${status}`, () => {
      const h = objectHealth(o);
      assert.equal(h.status, status, h.message);
      if (message) assert.match(h.message, message);
    });
  }

  it("an object being deleted is InProgress", () => {
    const o = obj("v1", "ConfigMap", undefined, undefined);
    o.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    assert.equal(objectHealth(o).status, "InProgress");
  });
});
