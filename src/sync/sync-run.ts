// The state of one syncDirectory run and the steps every stage of it repeats: sort resolved objects from refusals,
// validate with the server's dry-run, announce to the inventory, apply with bounded concurrency. Kept apart from
// sync-directory.ts (which sequences the stages) so each stage file stays small.
import type { KubeClient } from "../kube/rest-client.ts";
import { applyBody, applyObject, type ApplyContext, type ApplyResult } from "./apply.ts";
import { mapBounded } from "./concurrency.ts";
import type { Discovery } from "./discovery.ts";
import { SyncError } from "./errors.ts";
import { refusalsAfterForce } from "./force-recreate.ts";
import { describeIdentity, identityKey, identityOf, type Manifest, type ObjectIdentity } from "./identity.ts";
import { normalizeInventory, toEntry, type InventoryEntry } from "./inventory.ts";
import type { LiveIndex } from "./live-index.ts";
import { unmanagedBy } from "./ownership.ts";
import type { ResolvedObject } from "./scope.ts";
import type { SyncDirectoryOptions, SyncDirectoryResult } from "./sync-options.ts";
import { dryRunObjects } from "./validate.ts";
import type { SchemaCheck } from "./validate-schema.ts";

/** Parallel API calls of a stage when the caller sets none (kubectl sends one at a time). */
export const DEFAULT_SYNC_CONCURRENCY = 32;

/** One run of syncDirectory. */
export interface Run {
  options: SyncDirectoryOptions;
  client: KubeClient;
  discovery: Discovery;
  apply: ApplyContext;
  results: ApplyResult[];
  /** Final identities of everything in the source, applied or not: what prune must never touch. */
  current: ObjectIdentity[];
  /** Names of the CRDs of the source that were applied and became Established. */
  established: Set<string>;
  /** Objects the validation dry-run refused: when any, the rest of the revision is not applied. */
  refused: SyncError[];
  /** spec.validation Schema: the schema check that replaces the dry-run. */
  schemas?: SchemaCheck;
}

/** The result of an object that was not applied because of `error`. */
export function failedResult(
  m: Manifest,
  error: SyncError,
  identity: ObjectIdentity = identityOf(m.object),
): ApplyResult {
  return {
    identity,
    apiVersion: m.object.apiVersion,
    source: m.source,
    action: "failed",
    owned: false,
    error,
    message: error.message,
  };
}

/** Separates resolved objects from per-object errors and from objects to leave alone, recording all three. */
export function partition(
  run: Run,
  manifests: readonly Manifest[],
  resolved: readonly (ResolvedObject | SyncError)[],
): ResolvedObject[] {
  const ok: ResolvedObject[] = [];
  resolved.forEach((r, i) => {
    const m = manifests[i] as Manifest;
    if (r instanceof SyncError) {
      run.results.push(failedResult(m, r));
      run.current.push(identityOf(m.object));
    } else {
      run.current.push(r.identity);
      const unmanaged = unmanagedBy(m.object.metadata.annotations);
      if (unmanaged) run.results.push(leftAlone(r, unmanaged));
      else ok.push(r);
    }
  });
  return ok;
}

/** An object the source declares but asks to leave alone: kept from prune (it is current) and from the inventory. */
function leftAlone(o: ResolvedObject, why: string): ApplyResult {
  return {
    identity: o.identity,
    apiVersion: o.manifest.object.apiVersion,
    source: o.manifest.source,
    action: "skipped",
    owned: false,
    message: `left alone: ${why}`,
  };
}

/** Two manifests can name one object once scope fills in namespaces (`default` written and omitted). */
export function dropDuplicates(run: Run, objects: readonly ResolvedObject[]): ResolvedObject[] {
  const seen = new Map<string, string>();
  return objects.filter((o) => {
    const key = identityKey(o.identity);
    const other = seen.get(key);
    if (other === undefined) {
      seen.set(key, o.manifest.source);
      return true;
    }
    run.results.push(
      failedResult(
        o.manifest,
        new SyncError(
          "DuplicateObject",
          `duplicate object ${describeIdentity(o.identity)}: declared in ${other} and ${o.manifest.source}`,
          [o.identity],
        ),
        o.identity,
      ),
    );
    return false;
  });
}

/**
 * Validate-then-apply: true when every object passes the server's dry-run (validate.ts) or, with spec.validation
 * Schema, the cluster's schemas (validate-schema.ts); else records the refusals.
 */
export async function validated(run: Run, objects: readonly ResolvedObject[]): Promise<boolean> {
  if (run.schemas) {
    const refused = await run.schemas.refusals(objects, run.options.signal);
    run.refused.push(...refused);
    return refused.length === 0;
  }
  const refused = await refusalsAfterForce(
    { ...run.apply, bodyOf: (o) => applyBody(o.manifest.object, run.apply.owner, run.apply.sourceDigest) },
    objects,
    await dryRunObjects({ ...run.apply, concurrency: run.options.concurrency ?? DEFAULT_SYNC_CONCURRENCY }, objects),
  );
  run.refused.push(...refused);
  return refused.length === 0;
}

/** The revision was refused: nothing more applied, nothing pruned; the inventory keeps what the last one left. */
export function refusedResult(run: Run, previous: readonly InventoryEntry[]): SyncDirectoryResult {
  // CRDs and Namespaces of the set applied before the rest was refused stay recorded (they exist and are ours).
  const early = run.results.filter((r) => r.owned).map((r) => toEntry(r.identity, r.apiVersion));
  return {
    loaded: false,
    inventory: normalizeInventory([...previous, ...early]),
    results: run.results,
    pruned: [],
    abandoned: [],
    errors: [...run.refused, ...run.results.flatMap((r) => (r.error ? [r.error] : []))],
  };
}

/** Records the objects about to be applied with the inventory first (SyncDirectoryOptions.beforeApply). */
export async function announce(run: Run, objects: readonly ResolvedObject[]): Promise<void> {
  if (objects.length > 0)
    await run.options.beforeApply?.(objects.map((o) => toEntry(o.identity, o.manifest.object.apiVersion)));
}

/** Applies one stage's objects with bounded concurrency and records the results. */
export async function applyStage(
  run: Run,
  objects: readonly ResolvedObject[],
  live: LiveIndex,
): Promise<ApplyResult[]> {
  const ctx: ApplyContext = { ...run.apply, live };
  const results = await mapBounded(
    objects,
    run.options.concurrency ?? DEFAULT_SYNC_CONCURRENCY,
    (o) => applyObject(ctx, o),
    run.options.signal,
  );
  run.results.push(...results);
  return results;
}
