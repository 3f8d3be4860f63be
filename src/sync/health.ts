// Health of the inventory: each object is given a kstatus-style status (health-rules.ts), or the status its kind's
// CEL rules give (cel-health.ts, spec.healthCheckExprs), from the answer of its apply when there was one (the answer
// is the object), else by reading it.
import type { KubeConfig } from "../kube/kube-config.ts";
import { ApiError, isNotFound } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { objectPath, type KubeObject } from "../kube/resource.ts";
import { syncClient, type Impersonation } from "./client.ts";
import { mapBounded } from "./concurrency.ts";
import type { ApplyResult } from "./apply.ts";
import { Discovery } from "./discovery.ts";
import type { HealthExprs } from "./cel-health.ts";
import { identityKey } from "./identity.ts";
import { objectHealth, type Health } from "./health-rules.ts";
import { entryApiVersion, type InventoryEntry } from "./inventory.ts";

/** The health of one inventory entry. */
export interface ObjectHealth extends Health {
  entry: InventoryEntry;
}

/** Options of computeHealth. */
export interface HealthOptions {
  kubeConfig: KubeConfig;
  impersonate?: Impersonation;
  signal?: AbortSignal;
  concurrency?: number;
  timeoutMs?: number;
  /** CEL rules that replace kstatus for their kinds. */
  exprs?: HealthExprs;
}

/** Reads one object and computes its status: NotFound when absent, Unknown when it cannot be read. */
export async function entryHealth(
  client: KubeClient,
  discovery: Discovery,
  entry: InventoryEntry,
  options: Pick<HealthOptions, "signal" | "timeoutMs" | "exprs"> = {},
): Promise<ObjectHealth> {
  try {
    const type = await discovery.lookup(entryApiVersion(entry), entry.kind, options.signal);
    if (!type)
      return { entry, status: "NotFound", message: `kind ${entry.kind} is not served by ${entryApiVersion(entry)}` };
    const obj = await client.request<KubeObject>(objectPath(type, entry), {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return { entry, ...(options.exprs?.evaluate(obj) ?? objectHealth(obj)) };
  } catch (err) {
    if (isNotFound(err)) return { entry, status: "NotFound", message: "object not found" };
    const message =
      err instanceof ApiError ? `cannot read: ${err.status} ${err.reason}` : `cannot read: ${(err as Error).message}`;
    return { entry, status: "Unknown", message };
  }
}

/** Computes the status of every inventory entry, in inventory order. */
export async function computeHealth(
  inventory: readonly InventoryEntry[],
  options: HealthOptions,
): Promise<ObjectHealth[]> {
  const client = syncClient(options.kubeConfig, options.impersonate);
  try {
    const discovery = new Discovery(client);
    return await mapBounded(
      inventory,
      options.concurrency ?? 8,
      (e) => entryHealth(client, discovery, e, options),
      options.signal,
    );
  } finally {
    await client.close();
  }
}

/**
 * The status of every inventory entry, in inventory order: from the apply results that computed one, reading only
 * the rest (objects skipped as create-only, failed this time but kept, or left after a refused prune).
 */
export async function healthAfterApply(
  inventory: readonly InventoryEntry[],
  results: readonly ApplyResult[],
  options: HealthOptions,
): Promise<ObjectHealth[]> {
  const known = new Map<string, ApplyResult>();
  for (const r of results) if (r.health) known.set(identityKey(r.identity), r);
  const unread = inventory.filter((e) => !known.has(identityKey(e)));
  const read = new Map((await computeHealthIfAny(unread, options)).map((h) => [identityKey(h.entry), h]));
  return inventory.map((entry) => {
    const health = known.get(identityKey(entry))?.health;
    return health ? { entry, ...health } : (read.get(identityKey(entry)) as ObjectHealth);
  });
}

/** computeHealth, without opening a client for nothing. */
export function computeHealthIfAny(
  inventory: readonly InventoryEntry[],
  options: HealthOptions,
): Promise<ObjectHealth[]> {
  return inventory.length === 0 ? Promise.resolve([]) : computeHealth(inventory, options);
}
