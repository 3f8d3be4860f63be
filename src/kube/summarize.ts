// The one writer of an object's Ready / Reconciling / Stalled conditions (Flux source-controller's
// summarizeAndPatch): a reconcile ends in a Verdict, and summarize() turns it into kstatus conditions plus the kind's
// own status fields in one merge patch of the status subresource. Mid-reconcile writes (work started, progress, an
// inventory recorded before applying) go through the same object, chained so none overtakes another, and a patch
// that would change nothing is not sent (a steady-state period costs no API write). Each write is computed from the
// object as last read or written in this reconcile (seed), not a fresh GET: its resourceVersion guards the patch,
// and a 409 re-reads, so a stale copy costs a retry, never a lost write (controller-runtime patches from memory too).
import type { Reason } from "../api/conditions.ts";
import type { ApiObject, Condition } from "../api/meta.ts";
import {
  markReady,
  markReconciling,
  markRetrying,
  markStalled,
  markSuspended,
  removeCondition,
  setCondition,
  type ConditionInput,
} from "./conditions.ts";
import type { ReconcileContext } from "./reconciler.ts";
import { keyOf, type KubeObject, type ResourceType } from "./resource.ts";
import { updateStatus } from "./status.ts";

/** How a reconcile ended, as the conditions show it. */
export type Verdict =
  /** Ready=True (reason Succeeded unless given). */
  | { kind: "ready"; message: string; reason?: Reason }
  /** Reconciling=True, Ready=Unknown: work under way, or waiting for the result to settle. */
  | { kind: "progressing"; message: string; reason?: Reason }
  /** Ready=False and Stalled=True: nothing changes until an input does. */
  | { kind: "stalled"; reason: Reason; message: string }
  /** Ready=False and Reconciling=True/ProgressingWithRetry: a retry is scheduled. */
  | { kind: "retrying"; reason: Reason; message: string }
  /** Ready=False/Suspended: spec.suspend is set. */
  | { kind: "suspended"; message: string };

/** The conditions a verdict leaves, from the ones stored (pure: lastTransitionTime moves only on a status change). */
export function conditionsFor(
  old: readonly Condition[] | undefined,
  generation: number | undefined,
  verdict: Verdict,
): Condition[] {
  switch (verdict.kind) {
    case "ready":
      return markReady(old, generation, verdict.message, verdict.reason);
    case "progressing":
      return markReconciling(old, generation, verdict.message, verdict.reason);
    case "stalled":
      return markStalled(old, generation, verdict.reason, verdict.message);
    case "retrying":
      return markRetrying(old, generation, verdict.reason, verdict.message);
    case "suspended":
      return markSuspended(old, generation, verdict.message);
  }
}

/** The status every kind has. */
export interface KindStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** The reconcile request (reconcile-request.ts) last served. */
  lastHandledReconcileAt?: string;
}

/** A verdict and the kind's own fields, computed from the freshest stored status. */
export interface Summary {
  verdict: Verdict;
  /** Status fields besides conditions and observedGeneration (`null` removes a field). */
  fields?: Record<string, unknown>;
  /** The kind's own conditions (not Ready/Reconciling/Stalled, e.g. SourceVerified), written with the verdict. */
  conditions?: KindConditions;
}

/** Conditions of a kind's own, set or removed in the same write as the verdict's. */
export interface KindConditions {
  set?: readonly ConditionInput[];
  /** Types to remove (e.g. SourceVerified once spec.verify is gone). */
  remove?: readonly string[];
}

/** `conditions` with the kind's own set and removed (lastTransitionTime kept when a status does not change). */
export function withKindConditions(conditions: Condition[], own: KindConditions | undefined): Condition[] {
  let out = conditions;
  for (const type of own?.remove ?? []) out = removeCondition(out, type);
  for (const input of own?.set ?? []) out = setCondition(out, input);
  return out;
}

/** Key-order-independent equality of JSON values, absent and null alike. */
export function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (!v || typeof v !== "object") return v;
    const entries = Object.entries(v).filter(([, x]) => x !== null && x !== undefined);
    return Object.fromEntries(entries.sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, norm(x)]));
  };
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Options of a status write. */
export interface WriteOptions {
  /** Set status.observedGeneration to the reconciled generation (default true; false for an intent write). */
  observe?: boolean;
}

/** Status writes of one reconcile of one object: the summarizer and the mid-reconcile patches. */
export class Summarizer<S extends KindStatus> {
  readonly #ctx: ReconcileContext;
  readonly #type: ResourceType;
  readonly #obj: ApiObject;
  readonly #statusOf: (latest: KubeObject) => S;
  /** Writes are chained so they never overtake each other (progress writes are not awaited by their caller). */
  #chain: Promise<unknown> = Promise.resolve();
  /** The object as last read or written in this reconcile; undefined: the next write reads it first. */
  #latest: KubeObject | undefined;

  /** `statusOf` narrows the status of a freshly read object (the kind's parser). */
  constructor(ctx: ReconcileContext, type: ResourceType, obj: ApiObject, statusOf: (latest: KubeObject) => S) {
    this.#ctx = ctx;
    this.#type = type;
    this.#obj = obj;
    this.#statusOf = statusOf;
  }

  /** The object as this reconcile just read (or wrote) it: the next write computes from it instead of a GET. */
  seed(current: KubeObject): void {
    this.#latest = current;
  }

  /** The generation this reconcile works from. */
  get generation(): number | undefined {
    return this.#obj.metadata.generation;
  }

  /** Writes Ready / Reconciling / Stalled from the verdict `compute` returns, with its fields; returns the verdict. */
  async summarize(compute: (status: S) => Summary): Promise<Verdict> {
    let verdict: Verdict | undefined;
    await this.#write((status) => {
      const summary = compute(status);
      verdict = summary.verdict;
      const conditions = conditionsFor(status.conditions, this.generation, summary.verdict);
      return { ...summary.fields, conditions: withKindConditions(conditions, summary.conditions) };
    }, {});
    if (!verdict) throw new Error("summarize: the status was not computed");
    return verdict;
  }

  /** Reconciling=True/Progressing with `message`: work has started (and its fields, e.g. a start time). */
  async progressing(message: string, fields?: Record<string, unknown>): Promise<void> {
    await this.summarize(() => ({ verdict: { kind: "progressing", message }, fields }));
  }

  /** Status fields that are not conditions (progress, an intent inventory). */
  async patch(compute: (status: S) => Record<string, unknown>, options: WriteOptions = {}): Promise<void> {
    await this.#write(compute, options);
  }

  /** A progress write its caller does not wait for; a failure is logged, never fatal (the next write catches up). */
  progress(fields: Record<string, unknown>): void {
    this.#write(() => fields, {}).catch((err: unknown) =>
      this.#ctx.log.debug({ error: String(err) }, "progress status write failed"),
    );
  }

  async #write(compute: (status: S) => Record<string, unknown>, options: WriteOptions): Promise<void> {
    const run = async (): Promise<void> => {
      const current = this.#latest;
      this.#latest = undefined;
      const result = await updateStatus(
        this.#ctx.client,
        { type: this.#type, key: keyOf(this.#obj) },
        (latest) => {
          const status = this.#statusOf(latest);
          const patch = { ...compute(status) };
          if (options.observe !== false) patch.observedGeneration = this.generation;
          return sameJson({ ...status, ...patch }, status) ? undefined : patch;
        },
        { signal: this.#ctx.signal, current },
      );
      this.#latest = result.object;
    };
    const next = this.#chain.then(run, run);
    this.#chain = next.catch(() => undefined);
    await next;
  }
}
