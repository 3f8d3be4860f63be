// spec.force (Flux's): an object whose update the API server refuses as invalid (422), typically an immutable field
// such as a Job's template or a Service's clusterIP, is deleted and created again. Only an object this sync
// manages, and only when the same body would be accepted as a new object: a server-side dry-run create (under a
// generated name, since the old object still holds the real one) tells an invalid update from an invalid object
// without reading the server's message, so a plain mistake in the source is reported and never deletes anything.
import { setTimeout as sleep } from "node:timers/promises";
import { isNotFound, isStatus } from "../kube/api-error.ts";
import type { SyncError } from "./errors.ts";
import { identityKey } from "./identity.ts";
import { ownerFromLabels, sameOwner, type SyncOwner } from "./ownership.ts";
import { collectionPath, objectPath, type KubeObject } from "../kube/resource.ts";
import { FIELD_MANAGER } from "./ownership.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { ResolvedObject } from "./scope.ts";

/** What a recreate needs of the apply's context. */
export interface RecreateContext {
  client: KubeClient;
  /** spec.force. */
  force?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** How long the old object may take to go (its finalizers) before the create; default 60 s. */
const GONE_TIMEOUT_MS = 60_000;

/** True when spec.force is on and `body` would be accepted as a new object (so only the update was refused). */
export async function recreatable(ctx: RecreateContext, obj: ResolvedObject, body: KubeObject): Promise<boolean> {
  if (!ctx.force) return false;
  // name is required by the type, but a create with generateName must not carry one: the server picks it.
  const probe = { ...body, metadata: { ...body.metadata, generateName: `${obj.identity.name.slice(0, 40)}-` } };
  delete (probe.metadata as { name?: string }).name;
  try {
    await ctx.client.request(collectionPath(obj.type, obj.identity.namespace || undefined), {
      method: "POST",
      query: { dryRun: "All", fieldManager: FIELD_MANAGER },
      body: probe,
      signal: ctx.signal,
      timeoutMs: ctx.timeoutMs,
    });
    return true;
  } catch {
    return false;
  }
}

/** Deletes `live` (exactly that uid) and waits until it is gone; throws when it is still there after the wait. */
export async function deleteForRecreate(ctx: RecreateContext, obj: ResolvedObject, live: KubeObject): Promise<void> {
  const path = objectPath(obj.type, { namespace: obj.identity.namespace, name: obj.identity.name });
  const request = { signal: ctx.signal, timeoutMs: ctx.timeoutMs };
  await ctx.client.request(path, {
    method: "DELETE",
    body: {
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: "Background",
      preconditions: { uid: live.metadata.uid },
    },
    ...request,
  });
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  for (;;) {
    try {
      const now = await ctx.client.request<KubeObject>(path, request);
      if (now.metadata.uid !== live.metadata.uid) return;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`the old object was still there after ${GONE_TIMEOUT_MS / 1000}s (a finalizer?)`);
    await sleep(250, undefined, { signal: ctx.signal });
  }
}

/** What the validation pass needs to tell which refusals spec.force resolves. */
export interface ForceValidation extends RecreateContext {
  owner: SyncOwner;
  /** The body the apply will send for an object. */
  bodyOf: (obj: ResolvedObject) => KubeObject;
}

/**
 * Of the validation dry-run's refusals, those spec.force does not resolve: with force, a refused update (422) of an
 * object this sync manages, whose body a create accepts, is left to the apply, which recreates it.
 */
export async function refusalsAfterForce(
  ctx: ForceValidation,
  objects: readonly ResolvedObject[],
  refused: readonly SyncError[],
): Promise<SyncError[]> {
  if (!ctx.force) return [...refused];
  const byKey = new Map(objects.map((o) => [identityKey(o.identity), o]));
  const kept = await Promise.all(
    refused.map(async (error) => {
      const id = error.resources[0];
      const obj = id && byKey.get(identityKey(id));
      const resolved = obj !== undefined && isStatus(error.cause, 422) && (await forceWillRecreate(ctx, obj));
      return resolved ? undefined : error;
    }),
  );
  return kept.filter((e): e is SyncError => e !== undefined);
}

async function forceWillRecreate(ctx: ForceValidation, obj: ResolvedObject): Promise<boolean> {
  const path = objectPath(obj.type, { namespace: obj.identity.namespace, name: obj.identity.name });
  let live: KubeObject;
  try {
    live = await ctx.client.request<KubeObject>(path, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
  } catch {
    return false;
  }
  const owner = ownerFromLabels(live.metadata.labels);
  return owner !== undefined && sameOwner(owner, ctx.owner) && recreatable(ctx, obj, ctx.bodyOf(obj));
}
