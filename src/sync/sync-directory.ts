// One sync of a directory: load, scope, staged apply, inventory, prune. The steps and their guarantees are
// documented in index.ts; this file only sequences them.
import { syncClient } from "./client.ts";
import { definedKinds, waitServed } from "./crds.ts";
import { Discovery } from "./discovery.ts";
import { LoadError, SyncError } from "./errors.ts";
import { describeIdentity, identityKey, identityOf, splitApiVersion, type Manifest } from "./identity.ts";
import { inventoryDiff, normalizeInventory, toEntry, type InventoryEntry } from "./inventory.ts";
import { loadSource } from "./load-source.ts";
import { applyInDependencyOrder } from "./depends-on-apply.ts";
import { hasDependsOn, type PlanItem } from "./depends-on.ts";
import { waitCurrent } from "./depends-on-wait.ts";
import { indexLive, type LiveIndex } from "./live-index.ts";
import { APPLY_STAGES, groupByStage } from "./order.ts";
import { checkOwner } from "./ownership.ts";
import { pruneInDependencyOrder } from "./depends-on-prune.ts";
import { checkPruneSafeguards } from "./prune.ts";
import { resolveObjects, type ResolvedObject } from "./scope.ts";
import type { ApplyContext, ApplyResult } from "./apply.ts";
import { SchemaCheck } from "./validate-schema.ts";
import { applyFoundations } from "./sync-foundations.ts";
import type { SyncDirectoryOptions, SyncDirectoryResult } from "./sync-options.ts";
import {
  announce,
  applyStage,
  dropDuplicates,
  failedResult,
  partition,
  refusedResult,
  validated,
  type Run,
} from "./sync-run.ts";

export type { SyncDirectoryOptions, SyncDirectoryResult } from "./sync-options.ts";

/** Config Sync's default reconcile timeout, the wait on a depends-on dependency. */
const DEFAULT_DEPENDENCY_TIMEOUT_MS = 5 * 60_000;

/** Loads `root/dir` and makes the cluster match it; per-object failures are results, never exceptions. */
export async function syncDirectory(options: SyncDirectoryOptions): Promise<SyncDirectoryResult> {
  const previous = normalizeInventory(options.previousInventory);
  const unchanged = (error: SyncError): SyncDirectoryResult => ({
    loaded: false,
    inventory: previous,
    results: [],
    pruned: [],
    abandoned: [],
    errors: [error],
  });
  let manifests: Manifest[];
  try {
    checkOwner(options.owner);
    manifests = await loadSource({
      root: options.root,
      dir: options.dir,
      render: options.render,
      substitute: options.substitute,
      limits: options.limits,
      signal: options.signal,
    });
    if (options.afterLoad) manifests = await options.afterLoad(manifests);
  } catch (err) {
    options.signal?.throwIfAborted();
    if (err instanceof SyncError) return unchanged(err);
    return unchanged(
      new LoadError(
        "InvalidYAML",
        options.dir ?? ".",
        `failed to load ${options.dir ?? "."}: ${(err as Error).message}`,
        { cause: err },
      ),
    );
  }
  const client = syncClient(options.kubeConfig, options.impersonate);
  try {
    const discovery = new Discovery(client);
    const apply: ApplyContext = {
      client,
      owner: options.owner,
      sourceDigest: options.sourceDigest,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      force: options.force,
      exprs: options.exprs,
      strictFields: options.validation === "Schema",
    };
    const run: Run = {
      options,
      client,
      discovery,
      apply,
      results: [],
      current: [],
      established: new Set(),
      refused: [],
      schemas: options.validation === "Schema" ? new SchemaCheck(client, manifests) : undefined,
    };
    const rest = await applyFoundations(run, manifests);
    if (run.refused.length === 0) await applyRest(run, rest, definedKinds(manifests));
    return run.refused.length > 0 ? refusedResult(run, previous) : await finish(run, previous);
  } finally {
    await client.close();
  }
}

async function applyRest(
  run: Run,
  manifests: readonly Manifest[],
  crdKinds: ReadonlyMap<string, string>,
): Promise<void> {
  const { signal, scope } = run.options;
  const resolved = await resolveObjects([...manifests], scope, run.discovery, signal);
  // Kinds whose CRD was just applied can lag in discovery: wait for them before calling them unknown.
  for (let i = 0; i < resolved.length; i++) {
    const r = resolved[i];
    const m = manifests[i] as Manifest;
    const crd = crdKinds.get(`${splitApiVersion(m.object.apiVersion).group}/${m.object.kind}`);
    if (!(r instanceof SyncError) || r.code !== "UnknownKind" || crd === undefined) continue;
    const served =
      run.established.has(crd) &&
      (await waitServed(run.discovery, m.object.apiVersion, m.object.kind, {
        signal,
        timeoutMs: run.options.crdTimeoutMs ?? 10_000,
      }));
    if (served) {
      resolved[i] = (await resolveObjects([m], scope, run.discovery, signal))[0] as ResolvedObject | SyncError;
    } else {
      const id = identityOf(m.object);
      resolved[i] = new SyncError(
        "CRDNotEstablished",
        `failed to apply ${describeIdentity(id)} from ${m.source}: its CRD ${crd} in the same source was not applied or is not established`,
        [id],
      );
    }
  }
  const ok = dropDuplicates(run, partition(run, manifests, resolved));
  if (!(await validated(run, ok))) return;
  await announce(run, ok);
  // Listed once for every stage: a Namespace created in an early stage holds nothing labelled yet.
  const live = await indexLive(run.client, ok, signal);
  if (hasDependsOn(ok.map(planItem))) await applyOrdered(run, ok, live);
  else await applyInStages(run, ok, live);
}

async function applyInStages(run: Run, objects: readonly ResolvedObject[], live: LiveIndex): Promise<ApplyResult[]> {
  const out: ApplyResult[] = [];
  for (const stage of groupByStage(objects, APPLY_STAGES)) out.push(...(await applyStage(run, stage.items, live)));
  return out;
}

type Planned = PlanItem & { object: ResolvedObject };

const planItem = (o: ResolvedObject): Planned => ({
  identity: o.identity,
  annotations: o.manifest.object.metadata.annotations,
  object: o,
});

/** Config Sync's depends-on between the objects: apply groups, each waiting for its dependencies to be Current. */
async function applyOrdered(run: Run, objects: readonly ResolvedObject[], live: LiveIndex): Promise<void> {
  const timeoutMs = run.options.dependencyTimeoutMs ?? DEFAULT_DEPENDENCY_TIMEOUT_MS;
  const wait = { client: run.client, discovery: run.discovery, timeoutMs, signal: run.options.signal };
  await applyInDependencyOrder(objects.map(planItem), {
    apply: (items) =>
      applyInStages(
        run,
        items.map((i) => i.object),
        live,
      ),
    refuse: (item, error) => run.results.push(failedResult(item.object.manifest, error, item.identity)),
    waitCurrent: (entries) => waitCurrent(wait, entries),
    entryOf: (item) => toEntry(item.identity, item.object.manifest.object.apiVersion),
    earlier: new Map(run.results.map((r) => [identityKey(r.identity), r.action === "failed" ? r.error : undefined])),
    timeoutMs,
  });
}

async function finish(run: Run, previous: readonly InventoryEntry[]): Promise<SyncDirectoryResult> {
  const { options } = run;
  const previousKeys = new Set(previous.map(identityKey));
  const errors: SyncError[] = run.results.flatMap((r) => (r.error ? [r.error] : []));
  // Ours now, or failed this time but ours before (still wanted; a later sync retries it). Never another owner's.
  const kept = run.results.filter(
    (r) =>
      r.owned ||
      (r.action === "failed" && previousKeys.has(identityKey(r.identity)) && r.error?.code !== "ManagementConflict"),
  );
  const inventory = kept.map((r) => toEntry(r.identity, r.apiVersion));
  const out: SyncDirectoryResult = { loaded: true, inventory, results: run.results, pruned: [], abandoned: [], errors };
  if (!options.prune) {
    out.inventory = normalizeInventory(inventory);
    return out;
  }
  const candidates = inventoryDiff(previous, run.current);
  const refused = checkPruneSafeguards(candidates.length, previous.length, run.current.length, options.safeguards);
  if (refused) {
    errors.push(refused);
    out.inventory = normalizeInventory([...candidates, ...inventory]);
    return out;
  }
  const outcome = await pruneInDependencyOrder(
    {
      client: run.client,
      discovery: run.discovery,
      owner: options.owner,
      scope: options.scope,
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      concurrency: options.concurrency,
    },
    candidates,
    options.dependencyTimeoutMs ?? DEFAULT_DEPENDENCY_TIMEOUT_MS,
  );
  out.pruned = outcome.pruned;
  out.abandoned = outcome.abandoned;
  errors.push(...outcome.errors);
  out.inventory = normalizeInventory([...outcome.failed, ...inventory]);
  return out;
}
