// A per-object readiness gauge like Flux's gotk_resource_info: airlift_resource_info{kind,namespace,name,ready,reason,
// suspended} = 1, so "which objects are not Ready, and why" is one PromQL selector and alerts need no kube-state-metrics
// custom resource configuration. Cardinality stays bounded: one series per object, the previous one removed when
// its ready / reason / suspended labels change, and the object's series removed when it is deleted.
import { Gauge, type Registry } from "prom-client";

/** The labels of one object's series. */
export interface ResourceState {
  kind: string;
  namespace: string;
  name: string;
  /** The Ready condition's status: "True", "False" or "Unknown" (also when it has no Ready condition yet). */
  ready: string;
  /** The Ready condition's reason ("" when none). */
  reason: string;
  /** spec.suspend. */
  suspended: boolean;
}

type InfoLabels = "kind" | "namespace" | "name" | "ready" | "reason" | "suspended";

/** The airlift_resource_info gauge. */
export interface ResourceInfo {
  readonly gauge: Gauge<InfoLabels>;
  /** Sets the object's one series (replacing the previous one when a label changed). */
  set(state: ResourceState): void;
  /** Removes the object's series (it was deleted). */
  remove(kind: string, namespace: string, name: string): void;
}

function objectId(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** Registers airlift_resource_info on `registry`. */
export function createResourceInfo(registry: Registry): ResourceInfo {
  const gauge = new Gauge({
    name: "airlift_resource_info",
    help: "The current state of an airlift object (ImageImport, ArtifactPull, OciSync): 1 for the labels it has now.",
    labelNames: ["kind", "namespace", "name", "ready", "reason", "suspended"] as const,
    registers: [registry],
  });
  const current = new Map<string, Record<InfoLabels, string>>();
  return {
    gauge,
    set(state: ResourceState): void {
      const id = objectId(state.kind, state.namespace, state.name);
      const labels = {
        kind: state.kind,
        namespace: state.namespace,
        name: state.name,
        ready: state.ready,
        reason: state.reason,
        suspended: String(state.suspended),
      };
      const previous = current.get(id);
      if (
        previous &&
        (previous.ready !== labels.ready ||
          previous.reason !== labels.reason ||
          previous.suspended !== labels.suspended)
      )
        gauge.remove(previous);
      current.set(id, labels);
      gauge.set(labels, 1);
    },
    remove(kind: string, namespace: string, name: string): void {
      const id = objectId(kind, namespace, name);
      const previous = current.get(id);
      if (!previous) return;
      gauge.remove(previous);
      current.delete(id);
    },
  };
}
