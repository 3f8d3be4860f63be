// A controller: informer events -> keys on a rate-limited workqueue -> workers calling the Reconciler.
// Level-based: handlers only enqueue keys; the reconcile reads the current state itself. Status-only updates of
// the primary object are not enqueued (our own status writes would otherwise re-trigger us), and an object whose
// status says Stalled at its current generation is not retried on its own events, not even by the periodic resync,
// until its generation (spec) changes. That verdict is read from the object (the Stalled condition's
// observedGeneration), never kept in process memory, so it holds across restarts and leader changes. Likewise a
// suspended object whose status already says Suspended at its generation is not replayed by a restart's first list
// or a resync: a thousand suspended objects cost nothing while they stay suspended.
// While it runs (on the leader) it keeps each primary object's airlift_resource_info series from the object as stored.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Metrics } from "../observability/metrics.ts";
import type { ReconcileResult } from "../observability/reconcile-metrics.ts";
import type { Condition } from "../api/meta.ts";
import { stalledAtGeneration, suspendedAtGeneration } from "./conditions.ts";
import { classifyError, errorMessage, errorReason, type WaitingError } from "./errors.ts";
import type { EventRecorder } from "./events.ts";
import type { Informer, InformerEventType } from "./informer.ts";
import { defaultRateLimiter, type RateLimiterOptions } from "./rate-limiter.ts";
import { requestPending } from "./reconcile-request.ts";
import type { ReconcileContext, Reconciler, Result } from "./reconciler.ts";
import type { KubeClient } from "./rest-client.ts";
import { keyOf, keyString, parseKey, type KubeObject, type ObjectKey, type ResourceType } from "./resource.ts";
import { resourceState } from "./resource-state.ts";
import type { SecretReader } from "./secrets.ts";
import { WorkQueue } from "./workqueue.ts";

/** A secondary kind whose changes enqueue primary objects (e.g. Secrets -> the resources that reference them). */
export interface SecondaryWatch {
  type: ResourceType;
  /** Keys of the primary objects to reconcile when `obj` changes. */
  map: (obj: KubeObject) => ObjectKey[];
  labelSelector?: string;
}

/** Static description of a controller. */
export interface ControllerOptions {
  /** Short name: metrics label, queue name and log field (e.g. "imageimport"). */
  name: string;
  /** The primary kind. */
  type: ResourceType;
  reconciler: Reconciler;
  watches?: SecondaryWatch[];
  /** Concurrent reconciles (default: the manager's --workers). */
  workers?: number;
  rateLimiter?: RateLimiterOptions;
}

/** What the manager hands a controller when it is added. */
export interface ControllerRuntime {
  client: KubeClient;
  log: Logger;
  metrics: Metrics;
  events: EventRecorder;
  secrets: SecretReader;
  /** Shared informer for a kind (one per kind and selector across controllers). */
  informer: (type: ResourceType, labelSelector?: string) => Informer;
  /** Label selector of the primary objects this replica reconciles (its shard); all when undefined. */
  watchLabelSelector?: string;
  /** Aborted when the manager shuts down. */
  signal: AbortSignal;
  defaultWorkers: number;
}

/** Wires informer -> queue -> workers for one kind. */
export class Controller {
  readonly name: string;
  readonly #opts: ControllerOptions;
  #rt: ControllerRuntime | undefined;
  #queue: WorkQueue | undefined;
  #primary: Informer | undefined;
  readonly #inFlight = new Map<string, AbortController>();
  #workers: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#opts = options;
  }

  /** The controller's queue (after setup). */
  get queue(): WorkQueue {
    if (!this.#queue) throw new Error(`controller ${this.name} is not set up`);
    return this.#queue;
  }

  /** Registers event handlers on the manager's informers; called once by Manager.add. */
  setup(rt: ControllerRuntime): Informer[] {
    this.#rt = rt;
    rt.metrics.initController(this.name, this.#opts.workers ?? rt.defaultWorkers);
    const queue: WorkQueue = new WorkQueue({
      name: this.name,
      rateLimiter: defaultRateLimiter(this.#opts.rateLimiter),
      metrics: rt.metrics.workqueue.forQueue(this.name, () => queue.unfinishedWork()),
    });
    this.#queue = queue;
    const primary = rt.informer(this.#opts.type, rt.watchLabelSelector);
    this.#primary = primary;
    primary.on((obj, type, old) => this.#onPrimary(obj, type, old));
    const informers = [primary];
    for (const w of this.#opts.watches ?? []) {
      const inf = rt.informer(w.type, w.labelSelector);
      inf.on((obj) => {
        for (const key of safeMap(w, obj, rt.log)) queue.add(keyString(key));
      });
      informers.push(inf);
    }
    return informers;
  }

  /** Starts the workers (when this replica becomes leader). */
  start(): void {
    const rt = this.#rt;
    if (!rt || this.#workers.length) return;
    const n = this.#opts.workers ?? rt.defaultWorkers;
    for (let i = 0; i < n; i++) this.#workers.push(this.#worker());
    for (const obj of this.#primary?.list() ?? []) this.#recordState(obj, "add");
  }

  /**
   * Stops taking work and aborts running reconciles; resolves true when every worker finished within
   * `deadlineMs`, false when some were still running at the deadline.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.#queue?.shutDown();
    for (const ac of this.#inFlight.values()) ac.abort(new Error("controller is shutting down"));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
    const drained = Promise.all(this.#workers).then(() => true as const);
    const result = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    await this.#opts.reconciler.stop?.();
    return result;
  }

  #onPrimary(obj: KubeObject, type: InformerEventType, old?: KubeObject): void {
    this.#recordState(obj, type);
    const key = keyString(keyOf(obj));
    if (type === "delete") this.#inFlight.get(key)?.abort(new Error("object was deleted"));
    else if (nothingToReconcile(obj, type, old)) return;
    this.#queue?.add(key);
  }

  /** Keeps the object's airlift_resource_info series while this controller runs (only the leader reports it). */
  #recordState(obj: KubeObject, type: InformerEventType): void {
    const rt = this.#rt;
    if (!rt || this.#workers.length === 0) return;
    const state = resourceState(this.#opts.type.kind, obj);
    if (type === "delete") rt.metrics.resources.remove(state.kind, state.namespace, state.name);
    else rt.metrics.resources.set(state);
  }

  async #worker(): Promise<void> {
    const queue = this.#queue;
    if (!queue) return;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await this.#process(key);
      } finally {
        queue.done(key);
      }
    }
  }

  async #process(key: string): Promise<void> {
    const rt = this.#rt;
    const queue = this.#queue;
    if (!rt || !queue) return;
    const request = parseKey(key);
    // Sharded: an object outside our selector (its shard label moved, or a secondary watch named it) is another
    // shard's; the watch delivered its leaving as a delete, so there is nothing of ours to finish.
    if (rt.watchLabelSelector !== undefined && !this.#primary?.get(request)) {
      queue.forget(key);
      return;
    }
    const reconcileID = randomUUID();
    const ac = new AbortController();
    const onStop = (): void => ac.abort(new Error("manager is shutting down"));
    rt.signal.addEventListener("abort", onStop, { once: true });
    this.#inFlight.set(key, ac);
    const log = rt.log.child({ controller: this.name, namespace: request.namespace, name: request.name, reconcileID });
    const ctx: ReconcileContext = {
      log,
      signal: ac.signal,
      reconcileID,
      client: rt.client,
      cached: () => this.#primary?.get(request),
      events: rt.events,
      secrets: rt.secrets,
      retries: queue.retries(key),
    };
    const labels = { controller: this.name };
    const end = rt.metrics.reconcile.time.startTimer(labels);
    rt.metrics.reconcile.activeWorkers.inc(labels);
    // Start and end at debug level: with leader election, who reconciled when can be read back from the logs.
    log.debug("reconcile started");
    let result: ReconcileResult | undefined;
    try {
      result = this.#onSuccess(key, await this.#opts.reconciler.reconcile(request, ctx));
    } catch (err) {
      result = this.#onError(key, err, log, ac.signal);
    } finally {
      end();
      rt.metrics.reconcile.activeWorkers.dec(labels);
      rt.signal.removeEventListener("abort", onStop);
      this.#inFlight.delete(key);
      log.debug({ result }, "reconcile finished");
    }
    rt.metrics.reconcile.total.inc({ controller: this.name, result });
  }

  #onSuccess(key: string, res: Result): ReconcileResult {
    const queue = this.queue;
    queue.forget(key);
    if (res.requeueAfterMs && res.requeueAfterMs > 0) {
      queue.addAfter(key, res.requeueAfterMs);
      return "requeue_after";
    }
    return "success";
  }

  #onError(key: string, err: unknown, log: Logger, signal: AbortSignal): ReconcileResult {
    const queue = this.queue;
    const rt = this.#rt;
    if (signal.aborted) {
      // Shutdown or deletion: the next leader (or the deletion's own event) takes it from here.
      log.info({ cause: errorMessage(signal.reason) }, "reconcile aborted");
      queue.forget(key);
      return "error";
    }
    const reason = errorReason(err);
    const counts = { controller: this.name };
    switch (classifyError(err)) {
      case "stalling":
        // controller-runtime's terminal error: counted, not retried.
        rt?.metrics.reconcile.errors.inc(counts);
        rt?.metrics.reconcile.terminalErrors.inc(counts);
        queue.forget(key);
        log.warn({ reason, error: errorMessage(err) }, "reconcile stalled; waiting for the object to change");
        return "error";
      case "waiting": {
        // Flux's waiting error is an expected wait, not a failure: a requeue after the delay.
        const after = (err as WaitingError).retryAfterMs;
        queue.forget(key);
        queue.addAfter(key, after);
        log.info({ reason, error: errorMessage(err), retryAfterMs: after }, "reconcile waiting");
        return "requeue_after";
      }
      case "transient": {
        rt?.metrics.reconcile.errors.inc(counts);
        const delay = queue.addRateLimited(key);
        log.error({ reason, error: errorMessage(err), retryInMs: delay }, "reconcile failed; retrying with backoff");
        return "error";
      }
    }
  }
}

/** True when an update changed neither spec (generation) nor the metadata a reconcile reacts to. */
export function onlyStatusChanged(old: KubeObject, obj: KubeObject): boolean {
  const a = old.metadata;
  const b = obj.metadata;
  if (a.generation === undefined || a.generation !== b.generation) return false;
  if (a.deletionTimestamp !== b.deletionTimestamp) return false;
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
  return same(a.labels, b.labels) && same(a.annotations, b.annotations) && same(a.finalizers, b.finalizers);
}

/** True when an event of a primary object needs no reconcile (see the file comment). */
export function nothingToReconcile(obj: KubeObject, type: InformerEventType, old?: KubeObject): boolean {
  if (type === "update" && old && onlyStatusChanged(old, obj)) return true;
  // A reconcile request, a spec change or a deletion is always served.
  if (requestPending(obj)) return false;
  // Stalled at this generation: only a spec change, deletion or a reconcile request can unblock it.
  if (type !== "add" && stalledObject(obj)) return true;
  return type !== "update" && settledSuspension(obj);
}

/** True when the object's status says Stalled at its current generation and it is not being deleted. */
function stalledObject(obj: KubeObject): boolean {
  if (obj.metadata.deletionTimestamp) return false;
  const conditions = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
  return stalledAtGeneration(Array.isArray(conditions) ? conditions : undefined, obj.metadata.generation);
}

/** True when the object is suspended and its status already says so at its generation (and it is not being deleted). */
function settledSuspension(obj: KubeObject): boolean {
  if (obj.metadata.deletionTimestamp || (obj.spec as { suspend?: unknown } | undefined)?.suspend !== true) return false;
  const conditions = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
  return suspendedAtGeneration(Array.isArray(conditions) ? conditions : undefined, obj.metadata.generation);
}

function safeMap(w: SecondaryWatch, obj: KubeObject, log: Logger): ObjectKey[] {
  try {
    return w.map(obj);
  } catch (err) {
    log.error({ kind: w.type.kind, error: errorMessage(err) }, "secondary watch mapping failed");
    return [];
  }
}
