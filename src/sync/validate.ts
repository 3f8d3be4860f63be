// Validate the whole set, then apply: before a revision's objects are applied, each one is server-side applied with
// `dryRun=All` (the API server runs defaulting, schema validation, admission and immutable-field checks without
// persisting: https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run). When the server refuses any of
// them, nothing of the revision is applied, every refusal is reported (ValidationFailed) and the objects of the last
// good revision stay as they are. One PATCH per object and no GET: the dry-run is forced, so a field-manager
// conflict is not a refusal (the real apply decides about ownership); only 400 and 422, the answers of a schema,
// an admission policy or an immutable field, are. Anything else (a missing namespace, RBAC, an outage) is left to
// the real apply, which reports it per object as before. The set's Namespaces are applied before the rest is
// dry-run (sync-foundations.ts): a dry-run into a Namespace that does not exist is a 404, not a judgement.
import { ApiError } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { objectPath } from "../kube/resource.ts";
import { applyBody } from "./apply.ts";
import { objectError } from "./api-errors.ts";
import { mapBounded } from "./concurrency.ts";
import { SyncError } from "./errors.ts";
import { createOnlyBy, FIELD_MANAGER, type SyncOwner } from "./ownership.ts";
import type { ResolvedObject } from "./scope.ts";

/** What a dry-run pass needs. */
export interface DryRunContext {
  client: KubeClient;
  owner: SyncOwner;
  /** The body carries the same source annotation as the real apply, so the server validates what will be applied. */
  sourceDigest: string;
  /** Parallel dry-runs (default 8). */
  concurrency?: number;
  signal?: AbortSignal;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/** HTTP statuses that mean the server refused the object itself (BadRequest, Invalid). */
const REFUSED = new Set([400, 422]);

/**
 * Dry-runs every object; returns one ValidationFailed error per object the server refused, in input order (empty when
 * the set may be applied). Objects applied only when absent (`airlift.dev/apply: IfNotPresent`) are not dry-run: an
 * existing one is never changed, so a forced dry-run over it would report what the apply never does.
 */
export async function dryRunObjects(ctx: DryRunContext, objects: readonly ResolvedObject[]): Promise<SyncError[]> {
  const checked = objects.filter((o) => createOnlyBy(o.manifest.object.metadata.annotations) === undefined);
  const outcomes = await mapBounded(checked, ctx.concurrency ?? 8, (o) => dryRunOne(ctx, o), ctx.signal);
  return outcomes.filter((e): e is SyncError => e !== undefined);
}

async function dryRunOne(ctx: DryRunContext, obj: ResolvedObject): Promise<SyncError | undefined> {
  try {
    await ctx.client.request(objectPath(obj.type, { namespace: obj.identity.namespace, name: obj.identity.name }), {
      method: "PATCH",
      patchType: "apply",
      query: { fieldManager: FIELD_MANAGER, force: true, dryRun: "All" },
      body: applyBody(obj.manifest.object, ctx.owner, ctx.sourceDigest),
      signal: ctx.signal,
      timeoutMs: ctx.timeoutMs,
    });
    return undefined;
  } catch (err) {
    ctx.signal?.throwIfAborted();
    if (!(err instanceof ApiError) || !REFUSED.has(err.status)) return undefined;
    const error = objectError("validate", obj.identity, err, "ValidationFailed");
    return new SyncError("ValidationFailed", `${error.message} (from ${obj.manifest.source})`, [obj.identity], {
      cause: err,
    });
  }
}
