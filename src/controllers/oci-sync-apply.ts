// The sync stage of OciSync: apply the extracted tree when the digest or spec changed, the last sync had errors or
// the managed objects drifted (oci-sync-decide.ts says which), else only re-read the health of objects not Current
// yet. Drift is seen by the sync's watches (src/sync/drift-watch.ts), which wake the OciSync as soon as a managed
// object changes: steady state costs no request per period. The watches live in process memory: without them (a
// restart, or watches the identity may not open) the stage applies again, which is always correct. A sync with
// errors is logged as a failure with its reason.
import type { KubeConfig } from "../kube/kube-config.ts";
import { parseDuration } from "../api/duration.ts";
import type {
  HealthCheckStatus,
  OciSync,
  OciSyncSpecDefaulted,
  OciSyncStatus,
  InventoryEntry as StatusEntry,
} from "../api/oci-sync.ts";
import type { Run, StepResult } from "../kube/reconcile-steps.ts";
import {
  computeHealthIfAny,
  healthAfterApply,
  type ApplyResult,
  describeIdentity,
  syncDirectory,
  type HealthExprs,
  type Impersonation,
  type InventoryEntry,
  type KustomizeLimits,
  SyncError,
  type SyncOwner,
  type SyncScope,
} from "../sync/index.ts";
import { DirNotFoundError } from "../sync/loader.ts";
import type { SyncSource } from "../transfer/sync-source.ts";
import { needsApply, sourceChanged, syncFailureReason, type SyncStageError } from "./oci-sync-decide.ts";
import { readInventory } from "./oci-sync-inventory.ts";
import { InventoryStore } from "./oci-sync-inventory-store.ts";
import { SyncWatches } from "./oci-sync-watches.ts";
import { entryKey, inventoryWithHealth, toEngineInventory } from "./oci-sync-status.ts";
import { redactSecrets, substitutionValues, type SubstitutionValues } from "./oci-sync-values.ts";
import type { OperatorDefaults } from "./defaults.ts";
import { imagePreflight, type Preflight } from "./oci-sync-preflight.ts";
import { EndpointPolicy } from "../net/endpoint-policy.ts";
import type { RegistryConnection } from "../transfer/connection.ts";

/** What the sync stage produced. */
export type SyncOutcome =
  /** The source could not be loaded (no such dir, a file that does not parse): nothing applied or pruned. */
  | { kind: "loadFailed"; errors: SyncStageError[] }
  /** The stage ran (or found nothing to do): the inventory with health, and the errors of the objects that failed. */
  | { kind: "synced"; entries: StatusEntry[]; errors: SyncError[]; changed: boolean };

/** What one OciSync reconcile's steps share. */
export interface SyncState {
  spec: OciSyncSpecDefaulted;
  owner: SyncOwner;
  /** The staging folder (one sub-folder per digest). */
  folder: string;
  scope: SyncScope;
  impersonate: Impersonation | undefined;
  /** The stage a failure belongs to (the source stage records its error in status.source). */
  stage: "prepare" | "source" | "sync";
  periodMs: number;
  source?: SyncSource & { manifestDigest: string };
  outcome?: SyncOutcome;
  inventory?: InventoryStore;
  /** spec.healthCheckExprs compiled (oci-sync-health.ts). */
  exprs?: HealthExprs;
  /** The objects of spec.healthChecks as last read. */
  checks?: HealthCheckStatus[];
  /** The cluster synced into when not the operator's own (spec.kubeConfig, oci-sync-target.ts). */
  kubeConfig?: KubeConfig;
  /** The config image's registry and how it is reached (set by the source step; the image preflight uses it). */
  registry?: { host: string; connection: RegistryConnection };
  /** The image preflight of the revision applied or blocked in this reconcile. */
  preflight?: Preflight;
}

/** One OciSync reconcile as its steps see it. */
export type SyncRun = Run<OciSync, OciSyncStatus, SyncState>;

/** Options of an OciSyncApplier. */
export interface OciSyncApplierOptions {
  /** Called when managed objects drifted and the source is applied again (airlift_ocisync_drift_corrections_total). */
  onDrift?: () => void;
  /** Asks for a reconcile of the OciSync now (a watch saw drift). */
  wake?: (namespace: string, name: string) => void;
  /** The kustomize binary (undefined: rendering off, a kustomization is refused). */
  kustomize?: string;
  /** Bounds of each `kustomize build`. */
  kustomizeLimits?: Partial<KustomizeLimits>;
  /** The site's defaults, read at each sync for the built-in substitution variables. */
  defaults?: OperatorDefaults;
  /** Most objects one sync may hold (LoadLimits.maxObjects; undefined: the loader's default). */
  maxObjects?: number;
  /** The operator's endpoint policy, for the image preflight's registry lookups. */
  endpointPolicy?: EndpointPolicy;
}

/** One Recreated Event per object spec.force deleted and created again. */
async function announceRecreated(run: SyncRun, results: readonly ApplyResult[]): Promise<void> {
  const { ctx, obj } = run;
  for (const r of results.filter((x) => x.recreated))
    await ctx.events.event(
      obj,
      {
        type: "Normal",
        reason: "Recreated",
        action: "Recreate",
        note: `spec.force: deleted and created ${describeIdentity(r.identity)} again, its update was refused as invalid`,
      },
      ctx.signal,
    );
}

/** The sync stage, with the drift watches of the OciSyncs this process synced. */
export class OciSyncApplier {
  readonly #watches: SyncWatches;
  readonly #opts: OciSyncApplierOptions;
  readonly #defaults: OperatorDefaults;
  /** The substitution values' fingerprint each OciSync was last applied with (by uid). */
  readonly #applied = new Map<string, string>();

  constructor(options: OciSyncApplierOptions = {}) {
    this.#opts = options;
    this.#watches = new SyncWatches(options.wake);
    this.#defaults = options.defaults ?? { registry: undefined, s3Endpoint: undefined, workDir: "" };
  }

  /** Closes an OciSync's watches (it was deleted). */
  forget(sync: OciSync): void {
    this.#watches.forget(sync);
    this.#applied.delete(sync.metadata.uid ?? "");
  }

  /** Closes every watch (the controller stops). */
  stop(): Promise<void> {
    return this.#watches.stop();
  }

  /** Step 2 of a reconcile: apply, or check for drift and re-read health. */
  async sync(run: SyncRun): Promise<StepResult> {
    const { ctx, obj, state } = run;
    const source = state.source;
    if (!source) throw new Error("OciSync: the source stage did not run");
    state.stage = "sync";
    const stored = await readInventory(ctx.client, obj, ctx.signal);
    state.inventory = new InventoryStore({
      client: ctx.client,
      sync: obj,
      status: run.status,
      signal: ctx.signal,
      stored,
    });
    const uid = obj.metadata.uid ?? "";
    const watch = this.#watches.get(obj);
    const { client, secrets, signal } = ctx;
    const values = await substitutionValues({ client, secrets, sync: obj, defaults: this.#defaults, signal });
    const decision = {
      status: obj.status,
      generation: obj.metadata.generation,
      digest: source.digest,
      pulled: source.pulled,
      hasBaseline: watch?.ready === true,
      valuesChanged: this.#applied.get(uid) !== fingerprintOf(values),
    };
    if (!needsApply(decision)) {
      if (!watch?.drifted) {
        state.outcome = await this.#steady(run, stored);
        return "continue";
      }
      ctx.log.info({ drift: watch.drifted }, "managed objects drifted; re-applying");
      this.#opts.onDrift?.();
    }
    watch?.pause();
    state.outcome = await this.#apply(run, stored, {
      source,
      values,
      changed: sourceChanged(decision),
      drifted: !needsApply(decision),
    });
    this.#applied.set(uid, fingerprintOf(values));
    return "continue";
  }

  /** Nothing changed and nothing drifted: nothing is applied; only objects not Current yet are read again. */
  async #steady(run: SyncRun, stored: StatusEntry[]): Promise<SyncOutcome> {
    const { ctx, state } = run;
    const pending = stored.filter((e) => e.status !== "Current");
    if (pending.length === 0) return { kind: "synced", entries: stored, errors: [], changed: false };
    const kubeConfig = state.kubeConfig ?? ctx.client.kubeConfig;
    const options = { kubeConfig, signal: ctx.signal, impersonate: state.impersonate, exprs: state.exprs };
    const engine = toEngineInventory(pending);
    const fresh = inventoryWithHealth(engine, await computeHealthIfAny(engine, options));
    const byKey = new Map(fresh.map((e) => [entryKey(e), e]));
    const entries = stored.map((e) => byKey.get(entryKey(e)) ?? e);
    return { kind: "synced", entries, errors: [], changed: false };
  }

  /** The image preflight of the revision about to be applied (undefined when spec.imagePreflight.mode is off). */
  #preflight(run: SyncRun): Preflight | undefined {
    const { state, ctx } = run;
    if (!state.registry) return undefined;
    return imagePreflight({
      spec: state.spec.imagePreflight,
      sourceRegistry: state.registry.host,
      connection: state.registry.connection,
      endpointPolicy: this.#opts.endpointPolicy ?? new EndpointPolicy(),
      signal: ctx.signal,
    });
  }

  /** Applies `dir` of the extracted tree with server-side apply and prunes what left it. */
  async #apply(
    run: SyncRun,
    stored: StatusEntry[],
    input: {
      source: NonNullable<SyncState["source"]>;
      values: SubstitutionValues | undefined;
      changed: boolean;
      drifted: boolean;
    },
  ): Promise<SyncOutcome> {
    const { ctx, state } = run;
    const { source, values } = input;
    const { spec, impersonate } = state;
    const kubeConfig = state.kubeConfig ?? ctx.client.kubeConfig;
    state.preflight = this.#preflight(run);
    const result = await syncDirectory({
      root: source.root,
      dir: spec.oci.dir,
      render: { mode: spec.render ?? "auto", kustomize: this.#opts.kustomize, limits: this.#opts.kustomizeLimits },
      limits:
        this.#opts.maxObjects === undefined
          ? undefined
          : { maxObjects: this.#opts.maxObjects, maxFiles: this.#opts.maxObjects },
      substitute: values?.values,
      scope: state.scope,
      owner: state.owner,
      sourceDigest: source.digest,
      kubeConfig,
      previousInventory: toEngineInventory(stored),
      prune: spec.prune,
      safeguards: { allowPruneAll: spec.pruneSafeguard.allowEmpty, maxPruneFraction: spec.pruneSafeguard.maxFraction },
      dependencyTimeoutMs: parseDuration(spec.timeout),
      force: spec.force,
      validation: spec.validation,
      beforeApply: (entries: readonly InventoryEntry[]) =>
        state.inventory?.recordIntent(stored, entries) ?? Promise.resolve(),
      ...(state.preflight ? { afterLoad: state.preflight.afterLoad } : {}),
      signal: ctx.signal,
      impersonate,
      exprs: state.exprs,
    });
    // No Secret-sourced value reaches status, events or logs, whatever an API server's message quotes.
    result.errors = redacted(result.errors, values);
    if (!result.loaded) {
      const errors = result.errors.map((e): SyncStageError =>
        e instanceof DirNotFoundError
          ? {
              code: e.code,
              message: `failed to load ${spec.oci.dir}: the image ${source.image}@${source.digest} has no directory "${spec.oci.dir}"`,
            }
          : e,
      );
      ctx.log.warn(
        { reason: syncFailureReason(errors), errors: errors.length, error: errors[0]?.message },
        "sync failed: the revision did not load or did not validate; nothing applied",
      );
      return { kind: "loadFailed", errors };
    }
    await announceRecreated(run, result.results);
    const health = await healthAfterApply(result.inventory, result.results, {
      kubeConfig,
      signal: ctx.signal,
      impersonate,
      exprs: state.exprs,
    });
    await this.#watches.expect({
      sync: run.obj,
      kubeConfig,
      impersonate,
      owner: state.owner,
      scope: state.scope,
      sourceDigest: source.digest,
      inventory: result.inventory,
      results: result.results,
      log: ctx.log,
      signal: ctx.signal,
    });
    const counts = {
      objects: result.inventory.length,
      pruned: result.pruned.length,
      errors: result.errors.length,
      drifted: input.drifted,
    };
    if (result.errors.length > 0)
      ctx.log.warn(
        { ...counts, reason: syncFailureReason(result.errors), error: result.errors[0]?.message },
        "sync failed",
      );
    else ctx.log.info(counts, "synced");
    return {
      kind: "synced",
      entries: inventoryWithHealth(result.inventory, health),
      errors: result.errors,
      changed: input.changed,
    };
  }
}

/** The values' fingerprint ("" without substitution, so a sync that has none matches the first time). */
function fingerprintOf(values: SubstitutionValues | undefined): string {
  return values?.fingerprint ?? "";
}

/** The errors with Secret-sourced values masked in their messages (the same error when nothing needs masking). */
function redacted(errors: SyncError[], values: SubstitutionValues | undefined): SyncError[] {
  const secretValues = values?.secretValues ?? [];
  return errors.map((error) => {
    const message = redactSecrets(error.message, secretValues);
    return message === error.message ? error : new SyncError(error.code, message, error.resources);
  });
}
