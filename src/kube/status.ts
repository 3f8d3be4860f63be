// Status writes through the status subresource with a JSON merge patch (never strategic merge: custom resources
// refuse it, STYLE.md / client-node #2434). Concurrency choice: each write carries the resourceVersion it was
// computed from as an optimistic guard, so a write computed from a stale object gets 409; we then re-read the
// object, recompute the status from the fresh copy and try again (client-go's RetryOnConflict).
import { isConflict } from "./api-error.ts";
import type { KubeClient } from "./rest-client.ts";
import { asKubeObject, objectPath, type KubeObject, type ObjectKey, type ResourceType } from "./resource.ts";

/** The object whose status is written: its kind and key. */
export interface ObjectRef {
  type: ResourceType;
  key: ObjectKey;
}

/** Options of updateStatus. */
export interface StatusUpdateOptions {
  signal?: AbortSignal;
  /** The object to compute the first attempt from (often the informer's copy); fetched when absent. */
  current?: KubeObject;
  /** Attempts before the conflict is returned to the caller (default 5). */
  maxAttempts?: number;
}

/** The outcome of updateStatus. */
export interface StatusUpdateResult {
  /** The object as stored after the write (or as read, when nothing needed writing). */
  object: KubeObject;
  /** Write attempts made; more than 1 means conflicts were retried. */
  attempts: number;
  /** False when `compute` returned undefined (nothing to write). */
  written: boolean;
}

/** Reads the object (fresh from the API server). */
export async function getObject(
  client: KubeClient,
  type: ResourceType,
  key: ObjectKey,
  signal?: AbortSignal,
): Promise<KubeObject> {
  return asKubeObject(await client.request(objectPath(type, key), { signal }));
}

/**
 * Computes the new `status` from an object with `compute` and writes it guarded by that object's resourceVersion,
 * re-reading and recomputing on 409 Conflict. `compute` returns undefined when nothing needs writing.
 */
export async function updateStatus(
  client: KubeClient,
  ref: ObjectRef,
  compute: (latest: KubeObject) => Record<string, unknown> | undefined,
  options: StatusUpdateOptions = {},
): Promise<StatusUpdateResult> {
  const { type, key } = ref;
  return retryOnConflict(client, ref, options, async (latest) => {
    const status = compute(latest);
    if (status === undefined) return undefined;
    return asKubeObject(
      await client.request(objectPath(type, key, "status"), {
        method: "PATCH",
        patchType: "merge",
        body: { metadata: { resourceVersion: latest.metadata.resourceVersion }, status },
        signal: options.signal,
      }),
    );
  });
}

/** Runs `write` with the freshest object it can, re-reading after each 409; `write` returns undefined for no-op. */
export async function retryOnConflict(
  client: KubeClient,
  ref: ObjectRef,
  options: StatusUpdateOptions,
  write: (latest: KubeObject) => Promise<KubeObject | undefined>,
): Promise<StatusUpdateResult> {
  const { type, key } = ref;
  const max = options.maxAttempts ?? 5;
  let latest = options.current ?? (await getObject(client, type, key, options.signal));
  for (let attempt = 1; ; attempt++) {
    try {
      const written = await write(latest);
      return { object: written ?? latest, attempts: attempt, written: written !== undefined };
    } catch (err) {
      if (!isConflict(err) || attempt >= max) throw err;
      latest = await getObject(client, type, key, options.signal);
    }
  }
}
