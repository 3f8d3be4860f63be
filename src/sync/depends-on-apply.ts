// Applying in depends-on order: the apply groups of depends-on.ts one after the other, each group in the stage order
// and with the bounded concurrency of a normal apply. Before a group starts, the dependencies its objects name are
// waited for until Current (Config Sync checks a dependency is reconciled before applying its dependant); an object
// whose dependency failed, or did not become Current within the timeout, is not applied this time
// (DependencyNotReconciled) and neither is anything depending on it.
import type { ApplyResult } from "./apply.ts";
import { SyncError } from "./errors.ts";
import { describeIdentity, identityKey, type ObjectIdentity } from "./identity.ts";
import type { InventoryEntry } from "./inventory.ts";
import { planDependencies, type EarlierOutcomes, type PlanItem } from "./depends-on.ts";
import type { ObjectHealth } from "./health.ts";

/** What ordered apply calls back into. */
export interface OrderedApplyHooks<T extends PlanItem> {
  /** Applies one group (stage order, bounded concurrency) and records the results. */
  apply(items: T[]): Promise<ApplyResult[]>;
  /** Records an object that is not applied. */
  refuse(item: T, error: SyncError): void;
  /** Waits until the entries are Current; returns those that are not. */
  waitCurrent(entries: InventoryEntry[]): Promise<Map<string, ObjectHealth>>;
  /** The entry (with its version) of a planned object. */
  entryOf(item: T): InventoryEntry;
  /** Objects of the source handled before (CRDs, refusals): what a dependency on them means. */
  earlier: EarlierOutcomes;
  /** For messages: how long the wait lasts. */
  timeoutMs: number;
}

/** Applies `items` group by group in depends-on order. */
export async function applyInDependencyOrder<T extends PlanItem>(
  items: readonly T[],
  hooks: OrderedApplyHooks<T>,
): Promise<void> {
  const plan = planDependencies(items, hooks.earlier);
  const outcome = new Map<string, SyncError | undefined>();
  for (const { item, error } of plan.refused) {
    hooks.refuse(item, error);
    outcome.set(identityKey(item.identity), error);
  }
  const planned = new Map(plan.groups.flat().map((i) => [identityKey(i.identity), i]));
  for (const group of plan.groups) {
    const ready = await settle(group, { hooks, planned, outcome, dependencies: plan.dependencies });
    for (const result of await hooks.apply(ready))
      outcome.set(identityKey(result.identity), result.action === "failed" ? result.error : undefined);
  }
}

interface Settle<T extends PlanItem> {
  hooks: OrderedApplyHooks<T>;
  planned: Map<string, T>;
  outcome: Map<string, SyncError | undefined>;
  dependencies: Map<string, ObjectIdentity[]>;
}

/** The objects of `group` whose planned dependencies applied and became Current; refuses the others. */
async function settle<T extends PlanItem>(group: readonly T[], s: Settle<T>): Promise<T[]> {
  const depsOf = (item: T): ObjectIdentity[] =>
    (s.dependencies.get(identityKey(item.identity)) ?? []).filter((d) => s.planned.has(identityKey(d)));
  const toWait = new Map<string, InventoryEntry>();
  for (const item of group)
    for (const d of depsOf(item)) {
      const key = identityKey(d);
      if (s.outcome.get(key) === undefined) toWait.set(key, s.hooks.entryOf(s.planned.get(key) as T));
    }
  const notCurrent = toWait.size > 0 ? await s.hooks.waitCurrent([...toWait.values()]) : new Map();
  return group.filter((item) => {
    const error = blocker(item, depsOf(item), { outcome: s.outcome, notCurrent, timeoutMs: s.hooks.timeoutMs });
    if (!error) return true;
    s.hooks.refuse(item, error);
    s.outcome.set(identityKey(item.identity), error);
    return false;
  });
}

/** Why `item` may not be applied yet (a dependency failed or is not Current), or undefined. */
function blocker(
  item: PlanItem,
  deps: readonly ObjectIdentity[],
  seen: {
    outcome: ReadonlyMap<string, SyncError | undefined>;
    notCurrent: ReadonlyMap<string, ObjectHealth>;
    timeoutMs: number;
  },
): SyncError | undefined {
  const { outcome, notCurrent, timeoutMs } = seen;
  for (const d of deps) {
    const failed = outcome.get(identityKey(d));
    const late = notCurrent.get(identityKey(d));
    if (!failed && !late) continue;
    const why = failed
      ? `failed (${failed.code})`
      : `is ${late?.status}${late?.message ? ` (${late.message})` : ""} after ${Math.round(timeoutMs / 1000)}s`;
    return new SyncError(
      "DependencyNotReconciled",
      `${describeIdentity(item.identity)} is not applied: it depends on ${describeIdentity(d)}, which ${why}; retried at the next sync`,
      [item.identity, d],
    );
  }
  return undefined;
}
