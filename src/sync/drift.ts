// Drift between periods, cheaply: one labelled LIST per kind and namespace instead of a GET per object, comparing
// resourceVersions with a snapshot taken right after the last sync. Any difference (deleted, or changed by
// someone) tells the reconciler to re-apply now rather than at the next period. resourceVersions are opaque:
// only equality is meaningful. https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeClient } from "../kube/rest-client.ts";
import { collectionPath, type KubeObject } from "../kube/resource.ts";
import { syncClient, type Impersonation } from "./client.ts";
import { Discovery } from "./discovery.ts";
import { identityKey, splitApiVersion } from "./identity.ts";
import { entryApiVersion, type InventoryEntry } from "./inventory.ts";
import { ownerSelector, type SyncOwner } from "./ownership.ts";

/** identityKey -> resourceVersion of the inventory's objects that exist. */
export type DriftSnapshot = Map<string, string>;

/** What takeSnapshot reads with. */
export interface SnapshotOptions {
  client: KubeClient;
  discovery: Discovery;
  owner: SyncOwner;
  signal?: AbortSignal;
}

/** One LIST: a kind in one namespace ("" for cluster-scoped kinds). */
interface ListGroup {
  apiVersion: string;
  kind: string;
  namespace: string;
}

function listGroups(inventory: readonly InventoryEntry[]): ListGroup[] {
  const groups = new Map<string, ListGroup>();
  for (const e of inventory)
    groups.set(`${entryApiVersion(e)}|${e.kind}|${e.namespace}`, {
      apiVersion: entryApiVersion(e),
      kind: e.kind,
      namespace: e.namespace,
    });
  return [...groups.values()];
}

/** The objects of one group that carry our owner labels. */
async function* listOwned(g: ListGroup, options: SnapshotOptions): AsyncGenerator<KubeObject, void, undefined> {
  const type = await options.discovery.lookup(g.apiVersion, g.kind, options.signal);
  if (!type) return; // the kind is gone, so are its objects
  // Pagination keeps each answer bounded; continue tokens walk the rest.
  let cont: string | undefined;
  do {
    const list = await options.client.request<{ items?: KubeObject[]; metadata?: { continue?: string } }>(
      collectionPath(type, g.namespace || undefined),
      {
        query: { labelSelector: ownerSelector(options.owner), limit: 500, continue: cont },
        signal: options.signal,
      },
    );
    yield* list.items ?? [];
    cont = list.metadata?.continue || undefined;
  } while (cont);
}

/** Lists the inventory's kinds (one call per kind and namespace) and records each object's resourceVersion. */
export async function takeSnapshot(
  inventory: readonly InventoryEntry[],
  options: SnapshotOptions,
): Promise<DriftSnapshot> {
  const snapshot: DriftSnapshot = new Map();
  for (const g of listGroups(inventory)) {
    const group = splitApiVersion(g.apiVersion).group;
    for await (const item of listOwned(g, options)) {
      const key = identityKey({
        group,
        kind: g.kind,
        namespace: item.metadata.namespace ?? "",
        name: item.metadata.name ?? "",
      });
      snapshot.set(key, item.metadata.resourceVersion ?? "");
    }
  }
  return snapshot;
}

/** What changed between two snapshots of the same inventory. */
export interface Drift {
  /** Gone (deleted, or our labels removed). */
  missing: InventoryEntry[];
  /** Present with another resourceVersion: edited since the baseline. */
  changed: InventoryEntry[];
}

/** Compares a fresh snapshot with the baseline taken after the last sync. */
export function detectDrift(inventory: readonly InventoryEntry[], baseline: DriftSnapshot, now: DriftSnapshot): Drift {
  const drift: Drift = { missing: [], changed: [] };
  for (const e of inventory) {
    const key = identityKey(e);
    const before = baseline.get(key);
    const after = now.get(key);
    if (after === undefined) {
      if (before !== undefined) drift.missing.push(e);
    } else if (before !== undefined && before !== after) drift.changed.push(e);
  }
  return drift;
}

/** True when anything drifted. */
export function hasDrift(drift: Drift): boolean {
  return drift.missing.length > 0 || drift.changed.length > 0;
}

/** takeSnapshot with its own client: what the reconciler calls after a sync and again each drift check. */
export async function snapshotInventory(
  inventory: readonly InventoryEntry[],
  options: { kubeConfig: KubeConfig; owner: SyncOwner; impersonate?: Impersonation; signal?: AbortSignal },
): Promise<DriftSnapshot> {
  const client = syncClient(options.kubeConfig, options.impersonate);
  try {
    return await takeSnapshot(inventory, {
      client,
      discovery: new Discovery(client),
      owner: options.owner,
      signal: options.signal,
    });
  } finally {
    await client.close();
  }
}
