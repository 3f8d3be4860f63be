// The waits of depends-on ordering, as Config Sync does them: a dependant is applied only once its dependencies are
// reconciled (kstatus Current), and when pruning a dependency is deleted only once its dependants are gone. Both
// poll the objects until the condition holds or the time (spec.timeout) is up.
import { setTimeout as sleep } from "node:timers/promises";
import type { KubeClient } from "../kube/rest-client.ts";
import type { Discovery } from "./discovery.ts";
import { entryHealth, type ObjectHealth } from "./health.ts";
import { identityKey } from "./identity.ts";
import type { InventoryEntry } from "./inventory.ts";

/** What a wait reads with, and for how long. */
export interface WaitContext {
  client: KubeClient;
  discovery: Discovery;
  timeoutMs: number;
  /** Between two reads (default 500 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Waits until `done` holds for every entry; returns, by identity key, the last health of those it never held for. */
async function waitAll(
  ctx: WaitContext,
  entries: readonly InventoryEntry[],
  done: (h: ObjectHealth) => boolean,
): Promise<Map<string, ObjectHealth>> {
  const deadline = Date.now() + ctx.timeoutMs;
  let pending = [...entries];
  let last = new Map<string, ObjectHealth>();
  for (;;) {
    const health = await Promise.all(pending.map((e) => entryHealth(ctx.client, ctx.discovery, e, ctx)));
    last = new Map(health.filter((h) => !done(h)).map((h) => [identityKey(h.entry), h]));
    pending = pending.filter((e) => last.has(identityKey(e)));
    if (pending.length === 0 || Date.now() >= deadline) return last;
    await sleep(Math.min(ctx.intervalMs ?? 500, Math.max(0, deadline - Date.now())), undefined, {
      signal: ctx.signal,
    });
  }
}

/** Waits until every entry is Current; returns those that are not, with their last status. */
export function waitCurrent(ctx: WaitContext, entries: readonly InventoryEntry[]): Promise<Map<string, ObjectHealth>> {
  return waitAll(ctx, entries, (h) => h.status === "Current");
}

/** Waits until every entry is gone (NotFound); returns those still there. */
export function waitGone(ctx: WaitContext, entries: readonly InventoryEntry[]): Promise<Map<string, ObjectHealth>> {
  return waitAll(ctx, entries, (h) => h.status === "NotFound");
}
