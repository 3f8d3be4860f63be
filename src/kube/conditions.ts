// kstatus conditions (https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md):
// `Ready` always present; `Reconciling` and `Stalled` present only while True (Flux's convention).
// `lastTransitionTime` changes only when a condition's status changes. The Condition type and the reasons are api's
// (conditions.ts is the catalogue); only the summarizer (summarize.ts) calls the mark* functions for airlift's kinds.
import { ConditionType, type Reason } from "../api/conditions.ts";
import type { Condition } from "../api/meta.ts";

/** A condition to set; lastTransitionTime is computed, and the reason is one of the catalogue. */
export type ConditionInput = Omit<Condition, "lastTransitionTime" | "reason"> & { reason: Reason };

// The API server's validation caps messages at 32768 characters; keep far below so objects stay small.
const MAX_MESSAGE = 4096;

const { Ready, Reconciling, Stalled } = ConditionType;

/** RFC 3339 without fractions, as the API server writes times (lastTransitionTime, startedAt, lastUpdate, ...). */
export function nowIso(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The condition of `type`, if present. */
export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition of `type` is present with status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === "True";
}

/** Returns a new list with `next` set; the old lastTransitionTime is kept when the status did not change. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  now: Date = new Date(),
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const message = next.message.length > MAX_MESSAGE ? `${next.message.slice(0, MAX_MESSAGE - 3)}...` : next.message;
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : nowIso(now);
  const cond: Condition = { ...next, message, lastTransitionTime };
  if (i >= 0) list[i] = cond;
  else list.push(cond);
  return list;
}

/** Returns a new list without the condition of `type`. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Ready=True; Reconciling and Stalled removed. */
export function markReady(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
  message: string,
  reason: Reason = "Succeeded",
): Condition[] {
  const rest = removeCondition(removeCondition(conditions, Reconciling), Stalled);
  return setCondition(rest, { type: Ready, status: "True", reason, message, observedGeneration: generation });
}

/** Reconciling=True and Ready=Unknown (work under way); Stalled removed. */
export function markReconciling(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
  message: string,
  reason: Reason = "Progressing",
): Condition[] {
  const rest = removeCondition(conditions, Stalled);
  const withReconciling = setCondition(rest, {
    type: Reconciling,
    status: "True",
    reason,
    message,
    observedGeneration: generation,
  });
  return setCondition(withReconciling, {
    type: Ready,
    status: "Unknown",
    reason,
    message,
    observedGeneration: generation,
  });
}

/** Stalled=True and Ready=False with the error's reason; Reconciling removed (nothing will happen until a change). */
export function markStalled(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
  reason: Reason,
  message: string,
): Condition[] {
  const rest = removeCondition(conditions, Reconciling);
  const stalled = setCondition(rest, {
    type: Stalled,
    status: "True",
    reason,
    message,
    observedGeneration: generation,
  });
  return setCondition(stalled, { type: Ready, status: "False", reason, message, observedGeneration: generation });
}

/** Ready=False with the failure's reason and Reconciling=True/ProgressingWithRetry (a retry is scheduled). */
export function markRetrying(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
  reason: Reason,
  message: string,
): Condition[] {
  const rest = removeCondition(conditions, Stalled);
  const reconciling = setCondition(rest, {
    type: Reconciling,
    status: "True",
    reason: "ProgressingWithRetry",
    message,
    observedGeneration: generation,
  });
  return setCondition(reconciling, { type: Ready, status: "False", reason, message, observedGeneration: generation });
}

/** Ready=False/Suspended; Reconciling and Stalled removed (nothing runs until spec.suspend is cleared). */
export function markSuspended(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
  message: string,
): Condition[] {
  const rest = removeCondition(removeCondition(conditions, Reconciling), Stalled);
  return setCondition(rest, {
    type: Ready,
    status: "False",
    reason: "Suspended",
    message,
    observedGeneration: generation,
  });
}

/**
 * The generation a Stalled verdict was written for, when the object is stalled at its current generation: the
 * controller does not requeue such an object on its own events until its spec changes (this survives a restart,
 * unlike a map in process memory).
 */
export function stalledAtGeneration(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
): boolean {
  const stalled = getCondition(conditions, Stalled);
  return stalled?.status === "True" && generation !== undefined && stalled.observedGeneration === generation;
}

/**
 * True when Ready says Suspended for `generation`: the object's suspension is already summarized, so a replay of it
 * (the first list after a restart, a periodic resync) has nothing to do until its spec or metadata changes.
 */
export function suspendedAtGeneration(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
): boolean {
  const ready = getCondition(conditions, Ready);
  return ready?.reason === "Suspended" && generation !== undefined && ready.observedGeneration === generation;
}
