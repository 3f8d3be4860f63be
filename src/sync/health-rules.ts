// Computed status of one object, after kstatus (the library behind `kubectl wait`, Config Sync and Flux health):
// generic rules (deletion, observedGeneration, Stalled/Reconciling/Ready conditions), then per-kind rules, and
// "exists" for kinds that have no status (ConfigMap, Secret, RBAC...).
// https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md
import type { KubeObject } from "../kube/resource.ts";

/** kstatus' computed statuses. */
export type HealthStatus = "Current" | "InProgress" | "Failed" | "NotFound" | "Unknown";

/** A status with the reason a human reads. */
export interface Health {
  status: HealthStatus;
  message: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

type Status = Record<string, unknown>;

const current = (message: string): Health => ({ status: "Current", message });
const inProgress = (message: string): Health => ({ status: "InProgress", message });
const failed = (message: string): Health => ({ status: "Failed", message });

function statusOf(obj: KubeObject): Status {
  const s = obj.status;
  return s && typeof s === "object" && !Array.isArray(s) ? (s as Status) : {};
}

function num(v: unknown, fallback = 0): number {
  return typeof v === "number" ? v : fallback;
}

function conditionsOf(status: Status): Condition[] {
  const list = status.conditions;
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Condition => !!c && typeof c === "object" && typeof (c as Condition).type === "string");
}

function findCondition(status: Status, type: string): Condition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}

function specOf(obj: KubeObject): Status {
  const s = obj.spec;
  return s && typeof s === "object" ? (s as Status) : {};
}

/** The condition of `type` when its status is "True". */
function trueCondition(status: Status, type: string): Condition | undefined {
  const found = findCondition(status, type);
  return found?.status === "True" ? found : undefined;
}

/** What a condition says, for a human: its message, else its reason, else `fallback`. */
function explain(condition: Condition, fallback: string): string {
  return condition.message || condition.reason || fallback;
}

/** The phase as written, or "pending" before the first status. */
function phaseOf(s: Status): string {
  return typeof s.phase === "string" ? s.phase : "pending";
}

/** In progress while the controller has not yet seen the latest spec. */
function generationHealth(obj: KubeObject, status: Status): Health | undefined {
  const generation = obj.metadata.generation;
  const observed = status.observedGeneration;
  if (typeof generation === "number" && typeof observed === "number" && observed < generation) {
    return inProgress(`generation ${generation} not yet observed (observed ${observed})`);
  }
  return undefined;
}

/** kstatus' abnormal-true conditions: Stalled fails, Reconciling is in progress. */
function abnormalConditionHealth(status: Status): Health | undefined {
  const stalled = trueCondition(status, "Stalled");
  if (stalled) return failed(explain(stalled, "stalled"));
  const reconciling = trueCondition(status, "Reconciling");
  if (reconciling) return inProgress(explain(reconciling, "reconciling"));
  return undefined;
}

/** Generic rules every kind goes through first; undefined when they decide nothing. */
function genericHealth(obj: KubeObject, status: Status): Health | undefined {
  if (obj.metadata.deletionTimestamp) return inProgress("being deleted");
  return generationHealth(obj, status) ?? abnormalConditionHealth(status);
}

function deploymentHealth(obj: KubeObject, s: Status): Health {
  const progressing = findCondition(s, "Progressing");
  if (progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded")
    return failed(progressing.message || "progress deadline exceeded");
  const want = num(specOf(obj).replicas, 1);
  const updated = num(s.updatedReplicas);
  const available = num(s.availableReplicas);
  const total = num(s.replicas);
  if (updated < want) return inProgress(`${updated} of ${want} replicas updated`);
  if (total > updated) return inProgress(`${total - updated} old replicas pending termination`);
  if (available < want) return inProgress(`${available} of ${want} replicas available`);
  return current(`${available} of ${want} replicas available`);
}

/** A StatefulSet's rolling update; undefined once every replica it should update runs the update revision. */
function rollingUpdateHealth(s: Status, want: number, partition: number): Health | undefined {
  const updated = num(s.updatedReplicas);
  if (partition > 0)
    return updated < want - partition
      ? inProgress(`${updated} of ${want - partition} replicas updated (partition ${partition})`)
      : current("partitioned rollout done");
  if (updated < want) return inProgress(`${updated} of ${want} replicas updated`);
  if (s.updateRevision && s.currentRevision !== s.updateRevision)
    return inProgress("rollout to the update revision in progress");
  return undefined;
}

function statefulSetHealth(obj: KubeObject, s: Status): Health {
  const spec = specOf(obj);
  const want = num(spec.replicas, 1);
  const ready = num(s.readyReplicas);
  const readiness = `${ready} of ${want} replicas ready`;
  if (ready < want) return inProgress(readiness);
  const strategy = spec.updateStrategy as { type?: string; rollingUpdate?: { partition?: number } } | undefined;
  // OnDelete: pods update only when someone deletes them, so there is no rollout to wait for.
  if (strategy?.type === "OnDelete") return current(readiness);
  return rollingUpdateHealth(s, want, num(strategy?.rollingUpdate?.partition)) ?? current(readiness);
}

function daemonSetHealth(s: Status): Health {
  const want = num(s.desiredNumberScheduled);
  const updated = num(s.updatedNumberScheduled);
  const available = num(s.numberAvailable);
  if (s.desiredNumberScheduled === undefined) return inProgress("not yet scheduled");
  if (updated < want) return inProgress(`${updated} of ${want} pods updated`);
  if (available < want) return inProgress(`${available} of ${want} pods available`);
  return current(`${available} of ${want} pods available`);
}

function replicaSetHealth(obj: KubeObject, s: Status): Health {
  const failure = findCondition(s, "ReplicaFailure");
  if (failure?.status === "True") return failed(failure.message || "replica failure");
  const want = num(specOf(obj).replicas, 1);
  const available = num(s.availableReplicas);
  if (num(s.readyReplicas) < want || available < want) return inProgress(`${available} of ${want} replicas available`);
  return current(`${available} of ${want} replicas available`);
}

const POD_FAILURES = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "CreateContainerConfigError",
  "InvalidImageName",
]);

/** The first container waiting for a reason that will not fix itself, as a message. */
function containerFailure(s: Status): string | undefined {
  const statuses = Array.isArray(s.containerStatuses)
    ? (s.containerStatuses as { name?: string; state?: { waiting?: { reason?: string } } }[])
    : [];
  for (const c of statuses) {
    const reason = c.state?.waiting?.reason;
    if (reason && POD_FAILURES.has(reason)) return `container ${c.name ?? "?"}: ${reason}`;
  }
  return undefined;
}

function podHealth(s: Status): Health {
  if (s.phase === "Succeeded") return current("pod succeeded");
  if (s.phase === "Failed") return failed(typeof s.message === "string" ? s.message : "pod failed");
  const failure = containerFailure(s);
  if (failure) return failed(failure);
  if (trueCondition(s, "Ready")) return current("pod ready");
  return inProgress(`pod ${phaseOf(s)}, not ready`);
}

function jobHealth(s: Status): Health {
  const failedCond = findCondition(s, "Failed");
  if (failedCond?.status === "True") return failed(failedCond.message || failedCond.reason || "job failed");
  if (findCondition(s, "Complete")?.status === "True") return current("job complete");
  return inProgress(`job running: ${num(s.active)} active, ${num(s.succeeded)} succeeded`);
}

function phaseHealth(s: Status, want: string, failedPhase: string | undefined, what: string): Health {
  if (s.phase === want) return current(`${what} ${want}`);
  if (failedPhase && s.phase === failedPhase) return failed(`${what} ${failedPhase}`);
  return inProgress(`${what} ${phaseOf(s)}`);
}

function serviceHealth(obj: KubeObject, s: Status): Health {
  if (specOf(obj).type !== "LoadBalancer") return current("service ready");
  const ingress = (s.loadBalancer as { ingress?: unknown[] } | undefined)?.ingress;
  return Array.isArray(ingress) && ingress.length > 0
    ? current("load balancer ready")
    : inProgress("waiting for a load balancer address");
}

function crdHealth(s: Status): Health {
  const names = findCondition(s, "NamesAccepted");
  if (names?.status === "False") return failed(names.message || "names not accepted");
  return findCondition(s, "Established")?.status === "True"
    ? current("CRD established")
    : inProgress("CRD not yet established");
}

/** The Ready condition decides for kinds without a rule of their own (kstatus' generic rule). */
function readyConditionHealth(s: Status): Health {
  const ready = findCondition(s, "Ready");
  if (!ready) return current("exists");
  if (ready.status === "True") return current(ready.message || "ready");
  return inProgress(ready.message || ready.reason || "not ready");
}

type Rule = (obj: KubeObject, s: Status) => Health;

/** Per-kind rules keyed by `group/Kind` ("" is the core group). */
const KIND_RULES: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ["apps/Deployment", deploymentHealth],
  ["apps/StatefulSet", statefulSetHealth],
  ["apps/DaemonSet", (_o, s) => daemonSetHealth(s)],
  ["apps/ReplicaSet", replicaSetHealth],
  ["/Pod", (_o, s) => podHealth(s)],
  ["batch/Job", (_o, s) => jobHealth(s)],
  ["/PersistentVolumeClaim", (_o, s) => phaseHealth(s, "Bound", "Lost", "claim")],
  ["/Namespace", (_o, s) => phaseHealth(s, "Active", undefined, "namespace")],
  ["/Service", serviceHealth],
  ["apiextensions.k8s.io/CustomResourceDefinition", (_o, s) => crdHealth(s)],
]);

/** kstatus-style status of one object read from the API server. */
export function objectHealth(obj: KubeObject): Health {
  const s = statusOf(obj);
  const generic = genericHealth(obj, s);
  if (generic) return generic;
  const apiVersion = obj.apiVersion ?? "";
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const rule =
    KIND_RULES.get(`${group}/${obj.kind ?? ""}`) ?? ((_o: KubeObject, st: Status) => readyConditionHealth(st));
  return rule(obj, s);
}
