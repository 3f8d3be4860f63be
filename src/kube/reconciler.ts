// The reconcile contract (controller-runtime pkg/reconcile): level-based, keyed by namespace/name only.
import type { Logger } from "pino";
import type { EventRecorder } from "./events.ts";
import type { KubeClient } from "./rest-client.ts";
import type { KubeObject, ObjectKey } from "./resource.ts";
import type { SecretReader } from "./secrets.ts";

/** Which object to reconcile. */
export type Request = ObjectKey;

/** What the reconcile asks of the manager when it succeeds. */
export interface Result {
  /** Reconcile again after this many ms even if nothing changes (polling, intervals). */
  requeueAfterMs?: number;
}

/** Everything a reconcile may use besides the request. */
export interface ReconcileContext {
  /** Child logger with {controller, namespace, name, reconcileID}. */
  log: Logger;
  /** Aborted on shutdown, or when the object is deleted while being reconciled. */
  signal: AbortSignal;
  reconcileID: string;
  client: KubeClient;
  /** The object as the informer cache holds it now (undefined when it is gone). */
  cached: () => KubeObject | undefined;
  events: EventRecorder;
  secrets: SecretReader;
  /** Number of failed attempts for this object since its last success. */
  retries: number;
}

/** One reconciler per kind. Return a Result, or throw a StallingError / WaitingError / any other error. */
export interface Reconciler {
  reconcile(request: Request, ctx: ReconcileContext): Promise<Result>;
  /** Releases what the reconciler keeps open between reconciles (watches); called when its controller stops. */
  stop?(): Promise<void>;
}
