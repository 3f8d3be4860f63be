// What airlift_resource_info says about one object, read from the object as stored (its Ready condition and
// spec.suspend), so the gauge shows what `kubectl get` shows, whoever wrote the status last.
import { ConditionType } from "../api/conditions.ts";
import type { Condition } from "../api/meta.ts";
import type { ResourceState } from "../observability/resource-info.ts";
import { getCondition } from "./conditions.ts";
import type { KubeObject } from "./resource.ts";

/** The gauge labels of `obj`, a `kind` object: Ready's status ("Unknown" before the first status) and reason. */
export function resourceState(kind: string, obj: KubeObject): ResourceState {
  const conditions = (obj.status as { conditions?: unknown } | undefined)?.conditions;
  const ready = getCondition(Array.isArray(conditions) ? (conditions as Condition[]) : undefined, ConditionType.Ready);
  const spec = obj.spec as { suspend?: unknown } | undefined;
  return {
    kind,
    namespace: obj.metadata.namespace ?? "",
    name: obj.metadata.name,
    ready: ready?.status ?? "Unknown",
    reason: ready?.reason ?? "",
    suspended: spec?.suspend === true,
  };
}
