// Pruning in reverse depends-on order (Config Sync deletes a dependant before its dependency): the annotations of
// the objects leaving the source are read from the cluster (the source no longer has them), the apply groups are
// pruned last group first, and a dependency is deleted only once every dependant pruned before it is gone. A
// dependant still there after the timeout (a finalizer holds it) keeps its dependencies for the next sync
// (DependencyNotReconciled). Objects whose annotations form a cycle, or do not parse, are pruned first, unordered:
// they left the source, so nobody can fix their annotation any more.
import { objectPath, type KubeObject } from "../kube/resource.ts";
import { mapBounded } from "./concurrency.ts";
import { hasDependsOn, planDependencies, type PlanItem } from "./depends-on.ts";
import { waitGone } from "./depends-on-wait.ts";
import { SyncError } from "./errors.ts";
import { describeIdentity, identityKey } from "./identity.ts";
import { entryApiVersion, type InventoryEntry } from "./inventory.ts";
import { pruneObjects, type PruneContext, type PruneOutcome } from "./prune.ts";

type Candidate = PlanItem & { entry: InventoryEntry };

/** The live annotations of each candidate (none when it cannot be read: prune itself reports that). */
async function readCandidates(ctx: PruneContext, candidates: readonly InventoryEntry[]): Promise<Candidate[]> {
  return mapBounded(
    candidates,
    ctx.concurrency ?? 8,
    async (entry): Promise<Candidate> => {
      try {
        const type = await ctx.discovery.lookup(entryApiVersion(entry), entry.kind, ctx.signal);
        if (!type) return { identity: entry, entry };
        const live = await ctx.client.request<KubeObject>(objectPath(type, entry), {
          signal: ctx.signal,
          timeoutMs: ctx.timeoutMs,
        });
        return { identity: entry, entry, annotations: live.metadata.annotations };
      } catch {
        return { identity: entry, entry };
      }
    },
    ctx.signal,
  );
}

function merge(into: PruneOutcome, more: PruneOutcome): void {
  into.pruned.push(...more.pruned);
  into.abandoned.push(...more.abandoned);
  into.failed.push(...more.failed);
  into.errors.push(...more.errors);
}

/** Deletes the candidates, dependants before their dependencies; without annotations, exactly pruneObjects. */
export async function pruneInDependencyOrder(
  ctx: PruneContext,
  candidates: readonly InventoryEntry[],
  timeoutMs: number,
): Promise<PruneOutcome> {
  if (candidates.length === 0) return pruneObjects(ctx, candidates);
  const items = await readCandidates(ctx, candidates);
  if (!hasDependsOn(items)) return pruneObjects(ctx, candidates);
  // Dependencies outside the candidates stay in the cluster: for prune they impose no order.
  const plan = planDependencies(items, { has: () => true, get: () => undefined });
  const candidateKeys = new Set(candidates.map(identityKey));
  const dependents = new Map<string, string[]>();
  for (const [key, deps] of plan.dependencies)
    for (const d of deps) dependents.set(identityKey(d), [...(dependents.get(identityKey(d)) ?? []), key]);
  const batches = [plan.refused.map((r) => r.item), ...[...plan.groups].reverse()];
  const out: PruneOutcome = { pruned: [], abandoned: [], failed: [], errors: [] };
  const remaining = new Map<string, string>();
  for (const batch of batches) {
    const go = batch.filter((item) => {
      const held = (dependents.get(identityKey(item.identity)) ?? []).find((k) => remaining.has(k));
      if (held === undefined) return true;
      out.failed.push(item.entry);
      out.errors.push(heldError(item.entry, remaining.get(held) as string, timeoutMs));
      remaining.set(identityKey(item.identity), `${describeIdentity(item.identity)} (kept: its dependant remains)`);
      return false;
    });
    const outcome = await pruneObjects(
      ctx,
      go.map((i) => i.entry),
    );
    merge(out, outcome);
    for (const e of outcome.failed) remaining.set(identityKey(e), `${describeIdentity(e)} (its deletion failed)`);
    const waitFor = outcome.pruned.filter((e) =>
      (plan.dependencies.get(identityKey(e)) ?? []).some((d) => candidateKeys.has(identityKey(d))),
    );
    if (waitFor.length === 0) continue;
    const still = await waitGone(
      { client: ctx.client, discovery: ctx.discovery, timeoutMs, signal: ctx.signal },
      waitFor,
    );
    for (const [key, h] of still)
      remaining.set(key, `${describeIdentity(h.entry)} (still ${h.status} after ${Math.round(timeoutMs / 1000)}s)`);
  }
  return out;
}

function heldError(entry: InventoryEntry, dependant: string, timeoutMs: number): SyncError {
  return new SyncError(
    "DependencyNotReconciled",
    `${describeIdentity(entry)} is not pruned yet: its dependant ${dependant} is not gone (waited up to ${Math.round(timeoutMs / 1000)}s); retried at the next sync`,
    [entry],
  );
}
