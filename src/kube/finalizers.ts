// Finalizers: added before a reconciler creates anything outside the object, removed once cleanup is done.
// Written as a merge patch of the whole list, guarded by resourceVersion and retried on conflict, because a merge
// patch replaces lists and another controller may be editing the same list.
import type { KubeClient } from "./rest-client.ts";
import { asKubeObject, keyOf, objectPath, type KubeObject, type ResourceType } from "./resource.ts";

/** Where finalizer writes go: the client, the object's kind, and the reconcile's signal. */
export interface FinalizerTarget {
  client: KubeClient;
  type: ResourceType;
  signal?: AbortSignal;
}
import { retryOnConflict } from "./status.ts";

/** True when `obj` carries `finalizer`. */
export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

/** True once deletion was requested (the object waits for its finalizers). */
export function isDeleting(obj: KubeObject): boolean {
  return Boolean(obj.metadata.deletionTimestamp);
}

async function setFinalizers(
  target: FinalizerTarget,
  obj: KubeObject,
  change: (list: string[]) => string[] | undefined,
): Promise<KubeObject> {
  const { client, type, signal } = target;
  const result = await retryOnConflict(client, { type, key: keyOf(obj) }, { current: obj, signal }, async (latest) => {
    const next = change([...(latest.metadata.finalizers ?? [])]);
    if (!next) return undefined;
    const body = { metadata: { resourceVersion: latest.metadata.resourceVersion, finalizers: next } };
    return asKubeObject(
      await client.request(objectPath(type, keyOf(latest)), { method: "PATCH", patchType: "merge", body, signal }),
    );
  });
  return result.object;
}

/** Adds `finalizer` if missing; returns the object as stored. */
export function addFinalizer(target: FinalizerTarget, obj: KubeObject, finalizer: string): Promise<KubeObject> {
  return setFinalizers(target, obj, (list) => (list.includes(finalizer) ? undefined : [...list, finalizer]));
}

/** Removes `finalizer` if present; returns the object as stored (the API server may delete it right after). */
export function removeFinalizer(target: FinalizerTarget, obj: KubeObject, finalizer: string): Promise<KubeObject> {
  return setFinalizers(target, obj, (list) =>
    list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined,
  );
}
