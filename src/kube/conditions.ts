// kstatus conditions (https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md):
// `Ready` always present; `Reconciling` and `Stalled` present only while True (Flux's convention).
// `lastTransitionTime` changes only when a condition's status changes.

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

/** Condition types of every airlift kind. */
export const READY = "Ready";
export const RECONCILING = "Reconciling";
export const STALLED = "Stalled";

/** Common reasons. */
export const REASON_SUCCEEDED = "Succeeded";
export const REASON_PROGRESSING = "Progressing";
export const REASON_PROGRESSING_WITH_RETRY = "ProgressingWithRetry";

/** A condition to set; lastTransitionTime is computed. */
export type ConditionInput = Omit<Condition, "lastTransitionTime">;

// The API server's validation caps messages at 32768 characters; keep far below so objects stay small.
const MAX_MESSAGE = 4096;

/** The condition of `type`, if present. */
export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition of `type` is present with status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === "True";
}

/** Returns a new list with `next` set; the old lastTransitionTime is kept when the status did not change. */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionInput, now: Date = new Date()): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const message = next.message.length > MAX_MESSAGE ? `${next.message.slice(0, MAX_MESSAGE - 3)}...` : next.message;
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
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
export function markReady(conditions: readonly Condition[] | undefined, generation: number | undefined, message: string, reason = REASON_SUCCEEDED): Condition[] {
  const rest = removeCondition(removeCondition(conditions, RECONCILING), STALLED);
  return setCondition(rest, { type: READY, status: "True", reason, message, observedGeneration: generation });
}

/** Reconciling=True and Ready=Unknown (work under way); Stalled removed. */
export function markReconciling(conditions: readonly Condition[] | undefined, generation: number | undefined, message: string, reason = REASON_PROGRESSING): Condition[] {
  const rest = removeCondition(conditions, STALLED);
  const withReconciling = setCondition(rest, { type: RECONCILING, status: "True", reason, message, observedGeneration: generation });
  return setCondition(withReconciling, { type: READY, status: "Unknown", reason, message, observedGeneration: generation });
}

/** Stalled=True and Ready=False with the error's reason; Reconciling removed (nothing will happen until a change). */
export function markStalled(conditions: readonly Condition[] | undefined, generation: number | undefined, reason: string, message: string): Condition[] {
  const rest = removeCondition(conditions, RECONCILING);
  const stalled = setCondition(rest, { type: STALLED, status: "True", reason, message, observedGeneration: generation });
  return setCondition(stalled, { type: READY, status: "False", reason, message, observedGeneration: generation });
}

/** Ready=False with the failure's reason and Reconciling=True/ProgressingWithRetry (a retry is scheduled). */
export function markRetrying(conditions: readonly Condition[] | undefined, generation: number | undefined, reason: string, message: string): Condition[] {
  const rest = removeCondition(conditions, STALLED);
  const reconciling = setCondition(rest, { type: RECONCILING, status: "True", reason: REASON_PROGRESSING_WITH_RETRY, message, observedGeneration: generation });
  return setCondition(reconciling, { type: READY, status: "False", reason, message, observedGeneration: generation });
}
