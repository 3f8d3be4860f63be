// Reconcile-now, as Flux spells it (https://fluxcd.io/flux/components/source/api/#source.toolkit.fluxcd.io/v1.ReconcileRequestStatus):
// a client sets an annotation to a fresh value (a timestamp), any change of metadata queues a reconcile (even of
// an object Stalled at its generation, see controller.ts), and the reconcile skeleton (reconcile-steps.ts) records
// the value it handled in `status.lastHandledReconcileAt`, so the client knows its request was served. Airlift's
// own key wins over Flux's when both are set.
import type { ApiObject } from "../api/meta.ts";

/** airlift's reconcile-now annotation (`airlift reconcile` sets it to the current time). */
export const ANNOTATION_RECONCILE_REQUESTED_AT = "airlift.dev/reconcile-requested-at";
/** Flux's, honoured too so `flux`-style tooling and scripts keep working. */
export const FLUX_RECONCILE_REQUESTED_AT = "reconcile.fluxcd.io/requestedAt";

/** The reconcile request an object carries: airlift's annotation, else Flux's, else undefined. */
export function reconcileRequest(obj: ApiObject): string | undefined {
  const annotations = obj.metadata.annotations ?? {};
  const value = annotations[ANNOTATION_RECONCILE_REQUESTED_AT] ?? annotations[FLUX_RECONCILE_REQUESTED_AT];
  return value === undefined || value === "" ? undefined : value;
}

/** True when `obj` carries a request its status has not acknowledged yet. */
export function requestPending(obj: ApiObject & { status?: unknown }): boolean {
  const requested = reconcileRequest(obj);
  if (requested === undefined) return false;
  const status = obj.status as { lastHandledReconcileAt?: unknown } | undefined;
  return status?.lastHandledReconcileAt !== requested;
}
