// Prune: delete what left the source, and only that. Candidates come from the inventory; each is re-read and
// deleted only while it still carries our owner labels, never with `airlift.dev/prune: disabled`, with a uid
// precondition so a re-created object of the same name is not the one deleted. Safeguards after Config Sync's:
// never prune everything or a large fraction without an explicit opt-in (Flux and Argo wiped clusters on empty
// sources; docs/DESIGN.md "What the incidents teach").
import { isNotFound } from "../kube/api-error.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { objectPath, type KubeObject, type ResourceType } from "../kube/resource.ts";
import { objectError } from "./api-errors.ts";
import { mapBounded } from "./concurrency.ts";
import type { Discovery } from "./discovery.ts";
import { PruneSafeguardError, type SyncError } from "./errors.ts";
import { describeIdentity } from "./identity.ts";
import { entryApiVersion, type InventoryEntry } from "./inventory.ts";
import { PRUNE_STAGES, groupByStage } from "./order.ts";
import { describeOwner, pruneDisabledBy, ownerFromLabels, sameOwner, type SyncOwner } from "./ownership.ts";
import type { SyncScope } from "./scope.ts";

/** Limits on what one sync may delete. */
export interface PruneSafeguards {
  /** Allow pruning every object of the inventory (the source became empty). Default false. */
  allowPruneAll?: boolean;
  /** Largest fraction of the inventory one sync may prune (default 0.5). */
  maxPruneFraction?: number;
  /** The fraction rule applies from this inventory size on (default 10): small inventories change by halves. */
  minInventoryForFraction?: number;
  /** Allow pruning more than `maxPruneFraction`. Default false. */
  allowLargePrune?: boolean;
}

/** Returns the safeguard a prune of `candidates` out of `inventorySize` would break, or undefined. */
export function checkPruneSafeguards(
  candidates: number,
  inventorySize: number,
  currentSize: number,
  safeguards: PruneSafeguards = {},
): PruneSafeguardError | undefined {
  if (candidates === 0) return undefined;
  // Allowing a prune of everything allows a large one too.
  if (currentSize === 0) return safeguards.allowPruneAll ? undefined : emptySourceRefusal(candidates, inventorySize);
  if (safeguards.allowLargePrune) return undefined;
  return largePruneRefusal(candidates, inventorySize, safeguards);
}

function emptySourceRefusal(candidates: number, inventorySize: number): PruneSafeguardError {
  return new PruneSafeguardError(
    `refused to prune: the source has no objects and pruning would delete all ${inventorySize} objects of the inventory; allow it explicitly if this is intended`,
    candidates,
    inventorySize,
  );
}

function largePruneRefusal(
  candidates: number,
  inventorySize: number,
  safeguards: PruneSafeguards,
): PruneSafeguardError | undefined {
  const maxFraction = safeguards.maxPruneFraction ?? 0.5;
  const minSize = safeguards.minInventoryForFraction ?? 10;
  if (inventorySize >= minSize && candidates / inventorySize > maxFraction) {
    return new PruneSafeguardError(
      `refused to prune: ${candidates} of ${inventorySize} objects (more than ${Math.round(maxFraction * 100)}%) left the source; allow a large prune explicitly if this is intended`,
      candidates,
      inventorySize,
    );
  }
  return undefined;
}

/** What pruning did. */
export interface PruneOutcome {
  /** Deleted now (deletion requested; finalizers may still hold them). */
  pruned: InventoryEntry[];
  /** Already gone, no longer ours, or `prune: disabled`: left alone and dropped from the inventory. */
  abandoned: { entry: InventoryEntry; reason: string }[];
  /** Deletion failed: they stay in the inventory so the next sync retries. */
  failed: InventoryEntry[];
  errors: SyncError[];
}

/** What pruning needs. */
export interface PruneContext {
  client: KubeClient;
  discovery: Discovery;
  owner: SyncOwner;
  /** Where the sync may write: a namespace-scoped sync never deletes outside its namespace, whatever its inventory says. */
  scope: SyncScope;
  signal?: AbortSignal;
  timeoutMs?: number;
  concurrency?: number;
  /** Send each delete with `dryRun=All` (`airlift diff`): every check runs, nothing is deleted. */
  dryRun?: boolean;
}

type Verdict = { kind: "pruned" } | { kind: "abandoned"; reason: string } | { kind: "failed"; error: SyncError };

/** Deletes the candidates in prune order (custom resources, cluster-scoped objects, CRDs, then Namespaces). */
export async function pruneObjects(ctx: PruneContext, candidates: readonly InventoryEntry[]): Promise<PruneOutcome> {
  const out: PruneOutcome = { pruned: [], abandoned: [], failed: [], errors: [] };
  const stages = groupByStage(
    candidates.map((entry) => ({ identity: entry, entry })),
    PRUNE_STAGES,
  );
  for (const stage of stages) {
    const verdicts = await mapBounded(
      stage.items,
      ctx.concurrency ?? 8,
      (item) => pruneOne(ctx, item.entry),
      ctx.signal,
    );
    verdicts.forEach((v, i) => {
      const entry = (stage.items[i] as { entry: InventoryEntry }).entry;
      if (v.kind === "pruned") out.pruned.push(entry);
      else if (v.kind === "abandoned") out.abandoned.push({ entry, reason: v.reason });
      else {
        out.failed.push(entry);
        out.errors.push(v.error);
      }
    });
  }
  return out;
}

async function pruneOne(ctx: PruneContext, entry: InventoryEntry): Promise<Verdict> {
  try {
    return await pruneLive(ctx, entry);
  } catch (err) {
    if (isNotFound(err)) return abandoned("already deleted");
    return { kind: "failed", error: objectError("prune", entry, err, "PruneFailed") };
  }
}

function abandoned(reason: string): Verdict {
  return { kind: "abandoned", reason };
}

/** Re-reads the entry's object and deletes it if it is still ours to delete; a 404 on the way throws. */
async function pruneLive(ctx: PruneContext, entry: InventoryEntry): Promise<Verdict> {
  const type = await ctx.discovery.lookup(entryApiVersion(entry), entry.kind, ctx.signal);
  // No API serves the kind any more (its CRD is gone), so no such object can exist.
  if (!type) return abandoned("its kind is no longer served");
  const outside = outsideScope(ctx.scope, type, entry);
  if (outside) return abandoned(outside);
  const path = objectPath(type, entry);
  const live = await ctx.client.request<KubeObject>(path, { signal: ctx.signal, timeoutMs: ctx.timeoutMs });
  const keep = keepReason(live, ctx.owner);
  if (keep) return abandoned(keep);
  if (!live.metadata.deletionTimestamp) await deleteExactly(ctx, path, live);
  return { kind: "pruned" };
}

/** Why the sync may not touch the entry's place, or undefined. */
function outsideScope(scope: SyncScope, type: ResourceType, entry: InventoryEntry): string | undefined {
  // The inventory lives in status or in a ConfigMap of the tenant's namespace: never trust it past the scope.
  if (scope.kind === "namespace" && (!type.namespaced || entry.namespace !== scope.namespace)) {
    return `outside namespace ${scope.namespace}, which this sync may not touch`;
  }
  return undefined;
}

/** Why the live object must be left alone (not ours any more, or pruning disabled), or undefined. */
function keepReason(live: KubeObject, owner: SyncOwner): string | undefined {
  const liveOwner = ownerFromLabels(live.metadata.labels);
  if (!liveOwner) return "no longer carries our owner labels";
  if (!sameOwner(liveOwner, owner)) return `now managed by ${describeOwner(liveOwner)}`;
  return pruneDisabledBy(live.metadata.annotations);
}

/** Deletes `live` and nothing else: the uid precondition fails on a re-created object of the same name. */
async function deleteExactly(ctx: PruneContext, path: string, live: KubeObject): Promise<void> {
  await ctx.client.request(path, {
    method: "DELETE",
    body: {
      apiVersion: "v1",
      kind: "DeleteOptions",
      propagationPolicy: "Background",
      preconditions: { uid: live.metadata.uid },
      // In the body: the API server takes a DELETE's options from its body when there is one.
      ...(ctx.dryRun ? { dryRun: ["All"] } : {}),
    },
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
  });
}

/** One line per abandoned entry, for logs and events. */
export function describeAbandoned(outcome: PruneOutcome): string[] {
  return outcome.abandoned.map((a) => `${describeIdentity(a.entry)}: ${a.reason}`);
}
