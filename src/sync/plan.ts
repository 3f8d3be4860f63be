// What a sync would do to each object, without doing it (`airlift diff`): the live object is read, the ownership
// rules of apply.ts are checked (another owner's object is a conflict, a create-only one that exists is skipped),
// then the object is server-side applied with `dryRun=All` and the sync's field manager and body (applyBody), so
// the answer holds the server's defaulting, admission and our managed fields exactly as the real apply would leave
// them. Live and answer are compared without the fields the server rewrites on every write (resourceVersion,
// managedFields, generation, status) and without the source-digest annotation, which every new image changes.
import { createTwoFilesPatch } from "diff";
import { stringify } from "yaml";
import { isNotFound } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { objectPath, type KubeObject } from "../kube/resource.ts";
import { objectError } from "./api-errors.ts";
import { applyBody } from "./apply.ts";
import { mapBounded } from "./concurrency.ts";
import { describeIdentity, type ObjectIdentity } from "./identity.ts";
import {
  ANNOTATION_SOURCE_DIGEST,
  createOnlyBy,
  describeOwner,
  FIELD_MANAGER,
  ownerFromLabels,
  sameOwner,
  type SyncOwner,
} from "./ownership.ts";
import type { ResolvedObject } from "./scope.ts";

/** What the sync would do to one object. */
export type PlannedAction = "create" | "change" | "unchanged" | "skip" | "conflict" | "failed";

/** The plan for one object. */
export interface PlannedObject {
  identity: ObjectIdentity;
  source: string;
  action: PlannedAction;
  /** A unified diff of live and dry-run result, for `change`. */
  diff?: string;
  /** Why it is skipped, in conflict or failed. */
  message?: string;
}

/** What planning needs. */
export interface PlanContext {
  client: KubeClient;
  owner: SyncOwner;
  sourceDigest: string;
  concurrency?: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Plans every object (in input order). */
export async function planObjects(ctx: PlanContext, objects: readonly ResolvedObject[]): Promise<PlannedObject[]> {
  return mapBounded(objects, ctx.concurrency ?? 8, (o) => planObject(ctx, o), ctx.signal);
}

async function planObject(ctx: PlanContext, obj: ResolvedObject): Promise<PlannedObject> {
  const base = { identity: obj.identity, source: obj.manifest.source };
  const path = objectPath(obj.type, obj.identity);
  let live: KubeObject | undefined;
  let answer: KubeObject;
  try {
    live = await readLive(ctx, path);
    const refused = live && leftAlone(ctx.owner, obj, live);
    if (refused) return { ...base, ...refused };
    answer = await ctx.client.request<KubeObject>(path, {
      method: "PATCH",
      patchType: "apply",
      // Forced only over our own object, as apply.ts does: a conflict over an adopted object shows as a failure.
      query: {
        fieldManager: FIELD_MANAGER,
        force: ownerFromLabels(live?.metadata.labels) ? true : undefined,
        dryRun: "All",
      },
      body: applyBody(obj.manifest.object, ctx.owner, ctx.sourceDigest),
      signal: ctx.signal,
      timeoutMs: ctx.timeoutMs,
    });
  } catch (err) {
    ctx.signal?.throwIfAborted();
    return { ...base, action: "failed", message: objectError("apply", obj.identity, err).message };
  }
  return live ? { ...base, ...compare(obj.identity, live, answer) } : { ...base, action: "create" };
}

/** `unchanged`, or `change` with the unified diff of the two comparable forms. */
function compare(
  identity: ObjectIdentity,
  live: KubeObject,
  answer: KubeObject,
): Pick<PlannedObject, "action" | "diff"> {
  const [liveForm, answerForm] = [comparable(live), comparable(answer)];
  if (identity.kind === "Secret" && identity.group === "") maskSecret(liveForm, answerForm);
  const before = stringify(liveForm);
  const after = stringify(answerForm);
  if (before === after) return { action: "unchanged" };
  const name = describeIdentity(identity);
  return { action: "change", diff: createTwoFilesPatch(`live ${name}`, `rendered ${name}`, before, after) };
}

/** The live object, or undefined when there is none. */
async function readLive(ctx: PlanContext, path: string): Promise<KubeObject | undefined> {
  try {
    return await ctx.client.request<KubeObject>(path, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** apply.ts's rules on a live object: another owner's is a conflict, a create-only one is skipped. */
function leftAlone(
  owner: SyncOwner,
  obj: ResolvedObject,
  live: KubeObject,
): { action: PlannedAction; message: string } | undefined {
  const liveOwner = ownerFromLabels(live.metadata.labels);
  if (liveOwner && !sameOwner(liveOwner, owner))
    return { action: "conflict", message: `managed by ${describeOwner(liveOwner)}; the sync leaves it untouched` };
  const createOnly = createOnlyBy(obj.manifest.object.metadata.annotations);
  return createOnly ? { action: "skip", message: `exists and ${createOnly}` } : undefined;
}

/** As `kubectl diff`: a Secret's values print as `***`, or `*** (before)` / `*** (after)` where they differ. */
function maskSecret(before: KubeObject, after: KubeObject): void {
  for (const field of ["data", "stringData"]) {
    const b = (before[field] ?? {}) as Record<string, unknown>;
    const a = (after[field] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
      const same = b[key] === a[key];
      if (key in b) b[key] = same ? "***" : "*** (before)";
      if (key in a) a[key] = same ? "***" : "*** (after)";
    }
  }
}

const VOLATILE = ["resourceVersion", "managedFields", "generation", "uid", "creationTimestamp", "selfLink"];

/** The object as compared: without status, server bookkeeping and the source digest. */
function comparable(object: KubeObject): KubeObject {
  const metadata = { ...object.metadata };
  for (const f of VOLATILE) delete metadata[f];
  if (metadata.annotations) {
    const { [ANNOTATION_SOURCE_DIGEST]: _digest, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
    if (Object.keys(annotations).length === 0) delete metadata.annotations;
  }
  const out: KubeObject = { ...object, metadata };
  delete out.status;
  return out;
}
