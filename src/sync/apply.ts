// Server-side apply of one object, with the ownership rules of docs/DESIGN.md: field manager `airlift`; force only for
// objects we already manage (so a conflict with another manager on a foreign object is reported, not stolen);
// an object labelled for another owner is never touched; `airlift.dev/apply: IfNotPresent` creates once.
// What is known of the live object comes from the sync's LiveIndex (one metadata LIST per kind and namespace), so an
// apply costs one request; the apply's answer is the object, and its health is computed from it (no read after).
// https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
import { isNotFound, isStatus } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { objectPath, type KubeObject } from "../kube/resource.ts";
import { objectError } from "./api-errors.ts";
import { ManagementConflictError, type SyncError } from "./errors.ts";
import type { HealthExprs } from "./cel-health.ts";
import { objectHealth, type Health } from "./health-rules.ts";
import { describeIdentity, type ObjectIdentity } from "./identity.ts";
import type { LiveIndex, LiveMeta } from "./live-index.ts";
import {
  createOnlyBy,
  ANNOTATION_SOURCE_DIGEST,
  FIELD_MANAGER,
  describeOwner,
  ownerFromLabels,
  ownerLabels,
  sameOwner,
  type SyncOwner,
} from "./ownership.ts";
import { deleteForRecreate, recreatable } from "./force-recreate.ts";
import type { ResolvedObject } from "./scope.ts";

/** What applying one object did. */
export type ApplyAction = "created" | "configured" | "unchanged" | "skipped" | "failed";

/** The outcome for one object. */
export interface ApplyResult {
  identity: ObjectIdentity;
  apiVersion: string;
  action: ApplyAction;
  /** Where the object came from (file relative to the sync root). */
  source: string;
  /** Why it was skipped or failed. */
  message?: string;
  error?: SyncError;
  /** True when the object carries our owner labels after this step (it belongs in the inventory). */
  owned: boolean;
  /** resourceVersion after the step, when known (for drift detection). */
  resourceVersion?: string;
  /** True when spec.force deleted and created the object again (force-recreate.ts). */
  recreated?: boolean;
  /** metadata.generation after the step, when the kind has one (drift watches compare it). */
  generation?: number;
  /** Health computed from the apply's answer (undefined when nothing was applied: read it separately). */
  health?: Health;
}

/** What every apply of a sync shares. */
export interface ApplyContext {
  client: KubeClient;
  owner: SyncOwner;
  /** Written to `airlift.dev/source-digest` on every object. */
  sourceDigest: string;
  signal?: AbortSignal;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** spec.force: recreate a managed object whose update is refused as invalid (force-recreate.ts). */
  force?: boolean;
  /** Owners and resourceVersions of the live objects, listed up front; absent: each object is read first. */
  live?: LiveIndex;
  /** CEL rules that replace kstatus for their kinds (spec.healthCheckExprs). */
  exprs?: HealthExprs;
  /** The server refuses unknown and duplicate fields instead of dropping them with a warning (kubectl's default). */
  strictFields?: boolean;
}

// Fields the server owns; sending them would turn an apply into a precondition or be rejected.
const SERVER_METADATA = [
  "resourceVersion",
  "uid",
  "creationTimestamp",
  "generation",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
];

/** The body we apply: the manifest, our labels and source annotation, without server-owned metadata. */
export function applyBody(object: KubeObject, owner: SyncOwner, sourceDigest: string): KubeObject {
  const metadata = { ...object.metadata };
  for (const f of SERVER_METADATA) delete metadata[f];
  metadata.labels = { ...object.metadata.labels, ...ownerLabels(owner) };
  metadata.annotations = { ...object.metadata.annotations, [ANNOTATION_SOURCE_DIGEST]: sourceDigest };
  const body: KubeObject = { ...object, metadata };
  delete body.status;
  return body;
}

type ResultBase = Pick<ApplyResult, "identity" | "apiVersion" | "source">;

function resultBase(obj: ResolvedObject): ResultBase {
  return { identity: obj.identity, apiVersion: obj.manifest.object.apiVersion, source: obj.manifest.source };
}

function pathOf(obj: ResolvedObject): string {
  return objectPath(obj.type, { namespace: obj.identity.namespace, name: obj.identity.name });
}

/** The live object's owner and resourceVersion, or undefined when it does not exist yet. */
async function readLive(ctx: ApplyContext, path: string): Promise<LiveMeta | undefined> {
  try {
    const live = await ctx.client.request<KubeObject>(path, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
    const { labels, resourceVersion, uid } = live.metadata;
    return { owner: ownerFromLabels(labels), resourceVersion, uid };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** From the index when it covers the object (a create-only object must know of unlabelled copies: it reads). */
async function liveMeta(ctx: ApplyContext, obj: ResolvedObject): Promise<LiveMeta | undefined> {
  const known = ctx.live?.lookup(obj);
  if (known?.covered && !createOnlyBy(obj.manifest.object.metadata.annotations)) return known.live;
  return readLive(ctx, pathOf(obj));
}

function isOurs(live: LiveMeta | undefined, owner: SyncOwner): boolean {
  return live?.owner !== undefined && sameOwner(live.owner, owner);
}

/** The result when the live object must stay as it is (another owner's, or created once), else undefined. */
function leaveAlone(ctx: ApplyContext, obj: ResolvedObject, live: LiveMeta): ApplyResult | undefined {
  const liveOwner = live.owner;
  if (liveOwner && !sameOwner(liveOwner, ctx.owner)) {
    const error = new ManagementConflictError(
      obj.identity,
      describeOwner(liveOwner),
      `failed to apply ${describeIdentity(obj.identity)}: it is managed by ${describeOwner(liveOwner)}; left untouched (remove it from one of the two sources)`,
    );
    return { ...resultBase(obj), action: "failed", owned: false, error, message: error.message };
  }
  const createOnly = createOnlyBy(obj.manifest.object.metadata.annotations);
  if (createOnly) {
    return {
      ...resultBase(obj),
      action: "skipped",
      owned: liveOwner !== undefined,
      message: `exists and ${createOnly}`,
      resourceVersion: live.resourceVersion,
    };
  }
  return undefined;
}

/** The result of an apply the server answered: the object it returned gives resourceVersion, generation and health. */
function appliedResult(
  ctx: ApplyContext,
  obj: ResolvedObject,
  answer: { status: number; applied: KubeObject; live: LiveMeta | undefined },
): ApplyResult {
  const { status, applied, live } = answer;
  const rv = applied.metadata.resourceVersion;
  // 201: the apply created it (an unlabelled object the index could not see answers 200).
  const action: ApplyAction = status === 201 ? "created" : rv === live?.resourceVersion ? "unchanged" : "configured";
  const generation = applied.metadata.generation;
  return {
    ...resultBase(obj),
    action,
    owned: true,
    resourceVersion: rv,
    generation: typeof generation === "number" ? generation : undefined,
    health: ctx.exprs?.evaluate(applied) ?? objectHealth(applied),
  };
}

/** The server-side apply itself: forced only over an object we already manage. */
async function patchObject(ctx: ApplyContext, obj: ResolvedObject, live: LiveMeta | undefined): Promise<ApplyResult> {
  const ours = isOurs(live, ctx.owner);
  try {
    const { status, body: applied } = await ctx.client.exchange<KubeObject>(pathOf(obj), {
      method: "PATCH",
      patchType: "apply",
      query: {
        fieldManager: FIELD_MANAGER,
        force: ours ? true : undefined,
        fieldValidation: ctx.strictFields ? "Strict" : undefined,
      },
      body: applyBody(obj.manifest.object, ctx.owner, ctx.sourceDigest),
      signal: ctx.signal,
      timeoutMs: ctx.timeoutMs,
    });
    return appliedResult(ctx, obj, { status, applied, live });
  } catch (err) {
    const body = applyBody(obj.manifest.object, ctx.owner, ctx.sourceDigest);
    if (ours && live && isStatus(err, 422) && (await recreatable(ctx, obj, body)))
      return recreateObject(ctx, obj, live);
    const error = objectError("apply", obj.identity, err);
    return { ...resultBase(obj), action: "failed", owned: ours, error, message: error.message };
  }
}

/** spec.force: delete the managed object and apply it again as new. */
async function recreateObject(ctx: ApplyContext, obj: ResolvedObject, live: LiveMeta): Promise<ApplyResult> {
  const { apiVersion } = obj.manifest.object;
  try {
    await deleteForRecreate(ctx, obj, {
      apiVersion,
      kind: obj.identity.kind,
      metadata: { name: obj.identity.name, uid: live.uid },
    });
  } catch (err) {
    const error = objectError("recreate", obj.identity, err);
    return { ...resultBase(obj), action: "failed", owned: true, error, message: error.message };
  }
  const created = await patchObject(ctx, obj, undefined);
  return created.action === "failed" ? created : { ...created, recreated: true, message: "recreated (spec.force)" };
}

/** Applies one object; never throws for a per-object failure (the result says `failed`). */
export async function applyObject(ctx: ApplyContext, obj: ResolvedObject): Promise<ApplyResult> {
  let live: LiveMeta | undefined;
  try {
    live = await liveMeta(ctx, obj);
  } catch (err) {
    return { ...resultBase(obj), action: "failed", owned: false, error: objectError("read", obj.identity, err) };
  }
  return (live && leaveAlone(ctx, obj, live)) || (await patchObject(ctx, obj, live));
}
