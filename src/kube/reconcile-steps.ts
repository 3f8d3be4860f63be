// One reconciler skeleton for every kind, in the shape of Flux source-controller's Reconcile
// (https://github.com/fluxcd/source-controller/blob/main/internal/controller/ocirepository_controller.go): fetch the
// object (gone: nothing to do), handle deletion, return early when suspended, add the finalizer, then run the kind's
// ordered steps, each returning "continue" or "done" or throwing, stopping at the first error. Conditions are
// written only by the summarizer (summarize.ts): the kind's finish() on success, failed() here on an error.
// Errors are classified by type: kube's StallingError / WaitingError / TransientError keep their reason, an object
// that fails the kind's parser is InvalidSpec, anything else goes to the kind's (the engine's) classifier.
import type { Reason } from "../api/conditions.ts";
import type { ApiObject } from "../api/meta.ts";
import { InvalidObjectError } from "../api/parse.ts";
import { isNotFound } from "./api-error.ts";
import { StallingError, TransientError, WaitingError, errorMessage } from "./errors.ts";
import { addFinalizer, hasFinalizer, isDeleting, removeFinalizer } from "./finalizers.ts";
import type { ReconcileContext, Request, Result } from "./reconciler.ts";
import type { KubeObject, ResourceType } from "./resource.ts";
import { reconcileRequest } from "./reconcile-request.ts";
import { getObject } from "./status.ts";
import { Summarizer, type KindConditions, type KindStatus } from "./summarize.ts";

/** An object of a kind with a status the summarizer writes. */
export interface KindObject<S extends KindStatus> extends ApiObject {
  status?: S;
}

/** A failure as status shows it. */
export interface Failure {
  reason: Reason;
  /** True when a retry may help (retried with backoff, or after `retryAfterMs`). */
  transient: boolean;
  message: string;
  /** Set for a WaitingError: when to look again. */
  retryAfterMs?: number;
}

/** Maps an error the runtime does not type (an engine error) to a failure. */
export type Classifier = (err: unknown) => { reason: Reason; transient: boolean; message: string };

/** The controller-level part of classifying a failure: typed reconcile errors first, then the kind's classifier. */
export function classifyFailure(err: unknown, classify: Classifier): Failure {
  if (err instanceof WaitingError)
    return { reason: err.reason, transient: true, message: err.message, retryAfterMs: err.retryAfterMs };
  if (err instanceof StallingError) return { reason: err.reason, transient: false, message: err.message };
  if (err instanceof TransientError) return { reason: err.reason, transient: true, message: err.message };
  if (err instanceof InvalidObjectError) return { reason: "InvalidSpec", transient: false, message: err.message };
  const c = classify(err);
  return { reason: c.reason, transient: c.transient, message: c.message };
}

/** One reconcile of one object, as the steps see it. */
export interface Run<T extends KindObject<S>, S extends KindStatus, State> {
  readonly obj: T;
  readonly ctx: ReconcileContext;
  /** The one writer of conditions, and of the kind's other status fields. */
  readonly status: Summarizer<S>;
  /** What the steps found out, for the later steps and finish(). */
  readonly state: State;
  /** Registers a cleanup to run after the reconcile, success or failure, last registered first (Go's defer). */
  defer(cleanup: () => unknown): void;
}

/** "done" skips the remaining steps (the object is already as it should be). */
export type StepResult = "continue" | "done";

/** One step of a reconcile. */
export type Step<T extends KindObject<S>, S extends KindStatus, State> = (run: Run<T, S, State>) => Promise<StepResult>;

/** What a kind says about one of its failures. */
export interface FailurePlan<S> {
  /** The condition message and Event note, e.g. `failed to pull apps/demo: <cause>`. */
  message: string;
  /** Status fields to write with the failure (a stage's errors block). */
  fields?: (status: S) => Record<string, unknown>;
  /** The kind's own conditions to write with it (SourceVerified=False after a refused signature). */
  conditions?: KindConditions;
  /** A permanent failure is looked at again after this long (a new push may fix it); undefined stalls for good. */
  recheckAfterMs?: number;
}

/** A kind's reconciler, described for the skeleton. */
export interface KindReconciler<T extends KindObject<S>, S extends KindStatus, State> {
  type: ResourceType;
  /** The Event action of failures (`Import`, `Pull`, `Sync`). */
  action: string;
  /** Narrows an object read from the API server (throws InvalidObjectError). */
  parse: (obj: KubeObject) => T;
  /** The object's status, empty when it has none yet (default: `obj.status ?? {}`). */
  statusOf?: (obj: T) => S;
  classify: Classifier;
  /** The message of Ready=False/Suspended, or undefined when the object is not suspended. */
  suspended: (obj: T) => string | undefined;
  finalizer?: { name: string; finalize: (obj: T, ctx: ReconcileContext) => Promise<void> };
  /** The fresh state of one reconcile. */
  begin: (obj: T) => State;
  steps: readonly Step<T, S, State>[];
  /** After the steps: summarize through run.status and say when to reconcile again. */
  finish: (run: Run<T, S, State>) => Promise<Result>;
  failed: (run: Run<T, S, State>, failure: Failure) => FailurePlan<S>;
}

/** The status of a parsed object: the kind's own reading, else its `status` (empty when it has none yet). */
function statusOf<T extends KindObject<S>, S extends KindStatus, State>(kind: KindReconciler<T, S, State>, obj: T): S {
  return kind.statusOf ? kind.statusOf(obj) : (obj.status ?? ({} as S));
}

/** The status of an object the kind's parser refuses, narrowed no further than the summarizer needs. */
function rawStatus(latest: KubeObject): KindStatus {
  const status = latest.status;
  return status && typeof status === "object" && !Array.isArray(status) ? status : {};
}

async function fetchObject(ctx: ReconcileContext, type: ResourceType, req: Request): Promise<KubeObject | undefined> {
  try {
    return await getObject(ctx.client, type, req, ctx.signal);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Parses the object; one the parser refuses is Stalled with InvalidSpec until its spec changes. */
async function parseOrStall<T extends KindObject<S>, S extends KindStatus, State>(
  kind: KindReconciler<T, S, State>,
  raw: KubeObject,
  ctx: ReconcileContext,
): Promise<T> {
  try {
    return kind.parse(raw);
  } catch (err) {
    if (!(err instanceof InvalidObjectError)) throw err;
    const message = `invalid ${raw.kind ?? kind.type.kind} ${raw.metadata.namespace ?? ""}/${raw.metadata.name}: ${err.message}`;
    const status = new Summarizer(ctx, kind.type, raw, rawStatus);
    status.seed(raw);
    await status.summarize(() => ({ verdict: { kind: "stalled", reason: "InvalidSpec", message } }));
    throw new StallingError("InvalidSpec", message, { cause: err });
  }
}

/** Deletion: runs the finalizer hook once, then lets the object go. */
async function finalize<T extends KindObject<S>, S extends KindStatus, State>(
  kind: KindReconciler<T, S, State>,
  raw: KubeObject,
  obj: T,
  ctx: ReconcileContext,
): Promise<Result> {
  const finalizer = kind.finalizer;
  if (!finalizer || !hasFinalizer(raw, finalizer.name)) return {};
  await finalizer.finalize(obj, ctx);
  await removeFinalizer({ client: ctx.client, type: kind.type, signal: ctx.signal }, raw, finalizer.name);
  return {};
}

/** The skeleton: fetch, deletion, finalizer, suspend, then the kind's steps and its summary. */
export async function reconcileKind<T extends KindObject<S>, S extends KindStatus, State>(
  kind: KindReconciler<T, S, State>,
  req: Request,
  ctx: ReconcileContext,
): Promise<Result> {
  const raw = await fetchObject(ctx, kind.type, req);
  if (!raw) return {};
  let obj = await parseOrStall(kind, raw, ctx);
  if (isDeleting(raw)) return finalize(kind, raw, obj, ctx);
  const suspended = kind.suspended(obj);
  if (suspended !== undefined) {
    // Before the finalizer: a suspended object creates nothing for one to guard (it gets one before its first step
    // once resumed), and a thousand new suspended objects cost one status write each, not a write and a re-reconcile.
    const status = new Summarizer<S>(ctx, kind.type, obj, (latest) => statusOf(kind, kind.parse(latest)));
    status.seed(raw);
    await status.summarize(() => ({ verdict: { kind: "suspended", message: suspended } }));
    return {};
  }
  let current = raw;
  if (kind.finalizer && !hasFinalizer(raw, kind.finalizer.name)) {
    current = await addFinalizer({ client: ctx.client, type: kind.type, signal: ctx.signal }, raw, kind.finalizer.name);
    obj = kind.parse(current);
  }
  const status = new Summarizer<S>(ctx, kind.type, obj, (latest) => statusOf(kind, kind.parse(latest)));
  status.seed(current);
  const cleanups: (() => unknown)[] = [];
  const run: Run<T, S, State> = {
    obj,
    ctx,
    status,
    state: kind.begin(obj),
    defer: (cleanup) => cleanups.push(cleanup),
  };
  try {
    return await runSteps(kind, run);
  } finally {
    await acknowledge(status, reconcileRequest(raw), ctx);
    for (const cleanup of cleanups.reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch((err: unknown) => ctx.log.warn({ error: errorMessage(err) }, "reconcile cleanup failed"));
    }
  }
}

/**
 * Records the reconcile request this run served in status.lastHandledReconcileAt, after the kind's summary (so a
 * client waiting for it sees the new digest too), success or failure; no write when it is recorded already.
 */
async function acknowledge<S extends KindStatus>(
  status: Summarizer<S>,
  requested: string | undefined,
  ctx: ReconcileContext,
): Promise<void> {
  if (requested === undefined || ctx.signal.aborted) return;
  await status
    .patch(() => ({ lastHandledReconcileAt: requested }), { observe: false })
    .catch((err: unknown) => ctx.log.warn({ error: errorMessage(err) }, "reconcile request not acknowledged"));
}

async function runSteps<T extends KindObject<S>, S extends KindStatus, State>(
  kind: KindReconciler<T, S, State>,
  run: Run<T, S, State>,
): Promise<Result> {
  try {
    for (const step of kind.steps) if ((await step(run)) === "done") break;
    return await kind.finish(run);
  } catch (err) {
    run.ctx.signal.throwIfAborted();
    return failed(kind, run, err);
  }
}

/** Summarizes a failure, records a Warning Event, and tells the controller how to go on. */
async function failed<T extends KindObject<S>, S extends KindStatus, State>(
  kind: KindReconciler<T, S, State>,
  run: Run<T, S, State>,
  err: unknown,
): Promise<Result> {
  const failure = classifyFailure(err, kind.classify);
  const plan = kind.failed(run, failure);
  const { reason } = failure;
  const message = plan.message;
  await run.status.summarize((s) => ({
    verdict: failure.transient ? { kind: "retrying", reason, message } : { kind: "stalled", reason, message },
    fields: plan.fields?.(s),
    conditions: plan.conditions,
  }));
  await run.ctx.events.event(run.obj, { type: "Warning", reason, action: kind.action, note: message }, run.ctx.signal);
  if (failure.retryAfterMs !== undefined) throw new WaitingError(reason, message, failure.retryAfterMs, { cause: err });
  if (failure.transient) throw new TransientError(reason, message, { cause: err });
  if (plan.recheckAfterMs === undefined) throw new StallingError(reason, message, { cause: err });
  return { requeueAfterMs: plan.recheckAfterMs };
}
