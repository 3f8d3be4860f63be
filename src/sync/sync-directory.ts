// One sync of a directory: load, scope, staged apply, inventory, prune. The steps and their guarantees are
// documented in index.ts; this file only sequences them.
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeClient } from "../kube/rest-client.ts";
import { applyBody, applyObject, type ApplyContext, type ApplyResult } from "./apply.ts";
import { refusalsAfterForce } from "./force-recreate.ts";
import { syncClient, type Impersonation } from "./client.ts";
import { mapBounded } from "./concurrency.ts";
import { definedKinds, waitEstablished, waitServed } from "./crds.ts";
import { Discovery } from "./discovery.ts";
import { LoadError, SyncError } from "./errors.ts";
import {
  describeIdentity,
  identityKey,
  identityOf,
  splitApiVersion,
  type Manifest,
  type ObjectIdentity,
} from "./identity.ts";
import { inventoryDiff, normalizeInventory, toEntry, type InventoryEntry } from "./inventory.ts";
import { loadSource, type RenderOptions } from "./load-source.ts";
import type { LoadLimits } from "./loader.ts";
import { applyInDependencyOrder } from "./depends-on-apply.ts";
import { hasDependsOn, type PlanItem } from "./depends-on.ts";
import { waitCurrent } from "./depends-on-wait.ts";
import type { HealthExprs } from "./cel-health.ts";
import { indexLive, type LiveIndex } from "./live-index.ts";
import { APPLY_STAGES, groupByStage } from "./order.ts";
import { checkOwner, unmanagedBy, type SyncOwner } from "./ownership.ts";
import { pruneInDependencyOrder } from "./depends-on-prune.ts";
import { checkPruneSafeguards, type PruneSafeguards } from "./prune.ts";
import { resolveObjects, type ResolvedObject, type SyncScope } from "./scope.ts";
import { dryRunObjects } from "./validate.ts";

/** Inputs of one sync. */
export interface SyncDirectoryOptions {
  /** The extracted source (nothing outside it is read). */
  root: string;
  /** Directory inside root (default "."). */
  dir?: string;
  scope: SyncScope;
  owner: SyncOwner;
  /** Digest of the source image, written to every object's `airlift.dev/source-digest`. */
  sourceDigest: string;
  kubeConfig: KubeConfig;
  impersonate?: Impersonation;
  /** The inventory returned by the previous sync ([] the first time). */
  previousInventory: readonly InventoryEntry[];
  /** Delete what left the source (default true in OciSync). */
  prune: boolean;
  safeguards?: PruneSafeguards;
  limits?: Partial<LoadLimits>;
  /** kustomize rendering (default: auto with no binary, so a kustomization is refused). */
  render?: RenderOptions;
  /** Recreate a managed object whose update the API server refuses as invalid (spec.force). */
  force?: boolean;
  /** Values for `${VAR}` in the loaded objects (Flux postBuild); unset: no substitution. */
  substitute?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** Parallel API calls within a stage (default 8). */
  concurrency?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /**
   * How long a `config.kubernetes.io/depends-on` dependency may take to become Current before its dependants are
   * applied, and a dependant to be gone before its dependency is pruned (default 5 min, Config Sync's).
   */
  dependencyTimeoutMs?: number;
  /** CEL rules that replace kstatus for their kinds, for the health computed from each apply's answer. */
  exprs?: HealthExprs;
  /** How long CRDs of the set may take to become Established (default 30 s). */
  crdTimeoutMs?: number;
  /**
   * Called with the objects about to be applied, before any of them is (once for the source's CRDs, once for the
   * rest). The caller records them with the inventory first, so that a process killed mid-apply leaves no object it
   * created unrecorded, which no later prune would find (Config Sync writes its ResourceGroup first for this reason).
   */
  beforeApply?: (entries: InventoryEntry[]) => Promise<void>;
  /**
   * Called with the loaded (rendered, substituted) objects before anything is validated or applied; returns the
   * objects to apply (the image preflight pins digests here) or throws a SyncError to apply nothing.
   */
  afterLoad?: (manifests: Manifest[]) => Promise<Manifest[]>;
}

/** Config Sync's default reconcile timeout, the wait on a depends-on dependency. */
const DEFAULT_DEPENDENCY_TIMEOUT_MS = 5 * 60_000;

/** Outcome of one sync. */
export interface SyncDirectoryResult {
  /**
   * False when the source failed to load or the server's dry-run refused some of its objects: nothing was applied
   * (beyond the set's own CRDs, which are recorded) or pruned.
   */
  loaded: boolean;
  /** The inventory to store for the next sync. */
  inventory: InventoryEntry[];
  /** One result per loaded object. */
  results: ApplyResult[];
  pruned: InventoryEntry[];
  /** Left alone during prune (already gone, no longer ours, `prune: disabled`) with the reason. */
  abandoned: { entry: InventoryEntry; reason: string }[];
  /** Every error: load, per-object apply, safeguard, prune. */
  errors: SyncError[];
}

function failedResult(m: Manifest, error: SyncError, identity: ObjectIdentity = identityOf(m.object)): ApplyResult {
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

const isCrd = (m: Manifest): boolean =>
  m.object.kind === "CustomResourceDefinition" && m.object.apiVersion.startsWith("apiextensions.k8s.io/");

interface Run {
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
}

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
    };
    await applyCrds(run, manifests.filter(isCrd));
    if (run.refused.length === 0)
      await applyRest(
        run,
        manifests.filter((m) => !isCrd(m)),
        definedKinds(manifests),
      );
    return run.refused.length > 0 ? refusedResult(run, previous) : await finish(run, previous);
  } finally {
    await client.close();
  }
}

/** Separates resolved objects from per-object errors and from objects to leave alone, recording all three. */
function partition(
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

/** Validate-then-apply (validate.ts): true when the server accepts every object's dry-run, else records the refusals. */
async function validated(run: Run, objects: readonly ResolvedObject[]): Promise<boolean> {
  const { options } = run;
  const refused = await refusalsAfterForce(
    { ...run.apply, bodyOf: (o) => applyBody(o.manifest.object, run.apply.owner, run.apply.sourceDigest) },
    objects,
    await dryRunObjects({ ...run.apply, concurrency: options.concurrency }, objects),
  );
  run.refused.push(...refused);
  return refused.length === 0;
}

/** The revision was refused: nothing more applied, nothing pruned; the inventory keeps what the last one left. */
function refusedResult(run: Run, previous: readonly InventoryEntry[]): SyncDirectoryResult {
  // A CRD of the set applied before the rest was refused stays recorded (it exists and is ours).
  const crds = run.results.filter((r) => r.owned).map((r) => toEntry(r.identity, r.apiVersion));
  return {
    loaded: false,
    inventory: normalizeInventory([...previous, ...crds]),
    results: run.results,
    pruned: [],
    abandoned: [],
    errors: [...run.refused, ...run.results.flatMap((r) => (r.error ? [r.error] : []))],
  };
}

async function announce(run: Run, objects: readonly ResolvedObject[]): Promise<void> {
  if (objects.length > 0)
    await run.options.beforeApply?.(objects.map((o) => toEntry(o.identity, o.manifest.object.apiVersion)));
}

async function applyStage(run: Run, objects: readonly ResolvedObject[], live: LiveIndex): Promise<ApplyResult[]> {
  const ctx: ApplyContext = { ...run.apply, live };
  const results = await mapBounded(
    objects,
    run.options.concurrency ?? 8,
    (o) => applyObject(ctx, o),
    run.options.signal,
  );
  run.results.push(...results);
  return results;
}

async function applyCrds(run: Run, crds: readonly Manifest[]): Promise<void> {
  if (crds.length === 0) return;
  const ok = partition(
    run,
    crds,
    await resolveObjects([...crds], run.options.scope, run.discovery, run.options.signal),
  );
  if (!(await validated(run, ok))) return;
  await announce(run, ok);
  const live = await indexLive(run.client, ok, run.options.signal);
  const applied = (await applyStage(run, ok, live)).filter((r) => r.action !== "failed").map((r) => r.identity.name);
  const late = new Set(
    await waitEstablished(run.client, applied, { signal: run.options.signal, timeoutMs: run.options.crdTimeoutMs }),
  );
  for (const name of applied) if (!late.has(name)) run.established.add(name);
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

/** Two manifests can name one object once scope fills in namespaces (`default` written and omitted). */
function dropDuplicates(run: Run, objects: readonly ResolvedObject[]): ResolvedObject[] {
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
