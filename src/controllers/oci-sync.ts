// The OciSync reconciler (GitHub issue 7): Config Sync's RootSync/RepoSync with `sourceType: oci`, Flux's
// OCIRepository + Kustomization shape. Each period:
//   1. source: resolve the image (one HEAD for a tag; nothing for a pinned digest, config-sync#1332); a new digest is
//      pulled and extracted into a folder named by it (oci-sync-source.ts). Unchanged digest: no GET.
//   2. sync: when the digest or the spec changed, the last sync had errors, or the managed objects drifted (one
//      labelled LIST per kind and namespace, compared with the snapshot taken after the last sync), `dir` is applied
//      with server-side apply and what left the source is pruned (src/sync). Otherwise nothing is applied.
//   3. health: kstatus per object; Ready only when all are Current; after spec.timeout → Stalled HealthTimeout.
// Scope: in the operator's namespace an OciSync is a root sync (cluster-wide). Elsewhere it is a tenant sync confined
// to its namespace and applies as `spec.serviceAccountName`, default the ServiceAccount `airlift-sync` of its
// namespace (TENANT_SERVICE_ACCOUNT), by impersonation, so the tenant's RBAC bounds what it may write; the operator
// needs the `impersonate` verb on serviceaccounts for that.
// Content errors (invalid YAML, missing dir, unknown image) set Stalled but keep polling at the period: a new push
// under the tag fixes them without a spec change. Registry outages are retried with backoff (RegistryUnavailable).
import { join, resolve } from "node:path";
import { stat } from "node:fs/promises";
import { Counter } from "prom-client";
import { OCI_SYNC } from "../api/group-version.ts";
import { parseDuration } from "../api/duration.ts";
import { withOciSyncDefaults, type OciSync, type OciSyncSpecDefaulted, type InventoryEntry as StatusEntry } from "../api/oci-sync.ts";
import { parseOciSync } from "../api/parse.ts";
import { isNotFound } from "../kube/api-error.ts";
import { Controller } from "../kube/controller.ts";
import { StallingError, TransientError } from "../kube/errors.ts";
import { addFinalizer, hasFinalizer, isDeleting, removeFinalizer } from "../kube/finalizers.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../kube/reconciler.ts";
import { getObject } from "../kube/status.ts";
import type { KubeObject } from "../kube/resource.ts";
import type { Metrics } from "../observability/metrics.ts";
import { computeHealth, detectDrift, hasDrift, snapshotInventory, syncDirectory, type DriftSnapshot, type Impersonation, type SyncError, type SyncOwner, type SyncScope } from "../sync/index.ts";
import { caBundle, registryCredentials } from "./credentials.ts";
import type { ControllerDeps } from "./index.ts";
import { finalizeOciSync } from "./oci-sync-finalize.ts";
import { readInventory } from "./oci-sync-inventory.ts";
import { classifySourceError, OciSyncReasons } from "./oci-sync-reasons.ts";
import { openSource, pullSource, resolveSource, reuseFolder, type ResolvedSource } from "./oci-sync-source.ts";
import { fromSyncErrors, inventoryWithHealth, toEngineInventory } from "./oci-sync-status.ts";
import { StatusWriter, type SyncOutcome } from "./oci-sync-status-writer.ts";

/** The finalizer OciSyncs carry. */
export const OCI_SYNC_FINALIZER = "airlift.dev/ocisync";
/** The ServiceAccount a tenant OciSync applies as when spec.serviceAccountName is empty. */
export const TENANT_SERVICE_ACCOUNT = "airlift-sync";

/** Extra knobs (tests count registry requests through onRegistryRequest). */
export interface OciSyncOptions {
  onRegistryRequest?: (method: string, url: string) => void;
  workers?: number;
}

interface Memory {
  /** resourceVersions of the managed objects right after the last sync (drift baseline). */
  baseline?: DriftSnapshot;
}

function requestCounter(metrics: Metrics): Counter {
  const name = "airlift_ocisync_registry_requests_total";
  const existing = metrics.registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help: "Registry requests made by OciSync (HEAD per period in steady state).", registers: [metrics.registry] });
}

/** The reconciler; see the file comment for the contract. */
export class OciSyncReconciler implements Reconciler {
  readonly #deps: ControllerDeps;
  readonly #opts: OciSyncOptions;
  readonly #memory = new Map<string, Memory>();
  readonly #requests: Counter;

  constructor(deps: ControllerDeps, options: OciSyncOptions = {}) {
    this.#deps = deps;
    this.#opts = options;
    this.#requests = requestCounter(deps.metrics);
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    const raw = await this.#get(req, ctx);
    if (!raw) return {};
    const sync = parseOciSync(raw);
    const owner: SyncOwner = { kind: "OciSync", namespace: req.namespace, name: req.name };
    const folder = join(this.#deps.defaults.workDir, "ocisync", `${req.namespace}_${req.name}_${sync.metadata.uid ?? ""}`);
    const impersonate = this.#impersonation(sync);
    if (isDeleting(raw)) {
      if (!hasFinalizer(raw, OCI_SYNC_FINALIZER)) return {};
      const pruned = await finalizeOciSync({ client: ctx.client, kubeConfig: ctx.client.kubeConfig, sync, owner, scope: this.#scope(sync), ...(impersonate ? { impersonate } : {}), folder, signal: ctx.signal });
      ctx.log.info({ pruned }, "OciSync deleted; finalizer removed");
      this.#memory.delete(sync.metadata.uid ?? "");
      await removeFinalizer(ctx.client, OCI_SYNC, raw, OCI_SYNC_FINALIZER, ctx.signal);
      return {};
    }
    const current = hasFinalizer(raw, OCI_SYNC_FINALIZER) ? sync : parseOciSync(await addFinalizer(ctx.client, OCI_SYNC, raw, OCI_SYNC_FINALIZER, ctx.signal));
    const writer = new StatusWriter(ctx, current);
    const spec = withOciSyncDefaults(current.spec);
    if (spec.suspend) {
      await writer.suspended();
      return {};
    }
    const periodMs = parseDuration(spec.oci.period);
    const source = await this.#source(current, spec, folder, ctx, writer);
    if (!source) return { requeueAfterMs: periodMs };
    const outcome = await this.#sync(current, spec, source, { owner, impersonate, ctx, writer });
    const healthPending = await writer.synced(source, outcome, parseDuration(spec.timeout));
    return { requeueAfterMs: healthPending ? Math.min(periodMs, 2_000) : periodMs };
  }

  async #get(req: Request, ctx: ReconcileContext): Promise<KubeObject | undefined> {
    try {
      const raw = await getObject(ctx.client, OCI_SYNC, req, ctx.signal);
      parseOciSync(raw);
      return raw;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (err instanceof Error && err.name === "InvalidObjectError") throw new StallingError("InvalidSpec", `invalid OciSync ${req.namespace}/${req.name}: ${err.message}`);
      throw err;
    }
  }

  /** Root syncs apply as the operator (unless they name a ServiceAccount); tenant syncs always impersonate. */
  #impersonation(sync: OciSync): Impersonation | undefined {
    const namespace = sync.metadata.namespace ?? "";
    const name = sync.spec.serviceAccountName;
    if (namespace === this.#deps.operatorNamespace) return name ? { serviceAccount: { namespace, name } } : undefined;
    return { serviceAccount: { namespace, name: name || TENANT_SERVICE_ACCOUNT } };
  }

  #scope(sync: OciSync): SyncScope {
    const namespace = sync.metadata.namespace ?? "";
    return namespace === this.#deps.operatorNamespace ? { kind: "cluster" } : { kind: "namespace", namespace };
  }

  /** Resolves and, for a new digest, pulls; on failure writes status and returns undefined (or throws to retry). */
  async #source(sync: OciSync, spec: OciSyncSpecDefaulted, folder: string, ctx: ReconcileContext, writer: StatusWriter): Promise<(ResolvedSource & { root: string; manifestDigest: string; pulled: boolean }) | undefined> {
    const namespace = sync.metadata.namespace ?? "";
    const oci = spec.oci;
    let close: (() => Promise<void>) | undefined;
    try {
      if (oci.auth === "secret" && !oci.credentialsSecretRef) throw new StallingError("InvalidSpec", "spec.oci.auth is secret but spec.oci.credentialsSecretRef is not set");
      const registry = oci.image.split("/")[0] ?? "";
      const credentials = oci.auth === "secret" ? await registryCredentials(ctx.secrets, namespace, oci.credentialsSecretRef, registry, ctx.signal) : undefined;
      const caPem = await caBundle(ctx.secrets, namespace, oci.caCertSecretRef, ctx.signal);
      const { ref, repo, client } = openSource(oci.image, {
        ...(credentials ? { credentials } : {}),
        ...(caPem ? { caPem } : {}),
        ...(oci.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
        ...(oci.plainHTTP ? { plainHTTP: true } : {}),
        endpointPolicy: this.#deps.endpointPolicy,
        onRequest: (e) => {
          this.#requests.inc();
          this.#opts.onRegistryRequest?.(e.method, e.url);
        },
      });
      close = () => client.close();
      const resolved = await resolveSource(ref, repo, oci.semver?.range, ctx.signal);
      const lastManifest = sync.status?.source?.digest;
      if (await reuseFolder(folder, resolved.digest)) {
        return { ...resolved, root: join(folder, resolved.digest.replace(":", "-")), manifestDigest: lastManifest ?? resolved.digest, pulled: false };
      }
      const pulled = await pullSource(repo, resolved.digest, folder, { platform: oci.platform, signal: ctx.signal, ...(oci.layerSelector ? { layerSelector: oci.layerSelector } : {}) });
      ctx.log.info({ image: resolved.image, digest: resolved.digest, layers: pulled.layers }, "pulled new source digest");
      return { ...resolved, root: pulled.root, manifestDigest: pulled.manifestDigest, pulled: true };
    } catch (err) {
      ctx.signal.throwIfAborted();
      const failure = classifySourceError(err);
      await writer.sourceFailed(failure);
      if (failure.transient) throw new TransientError(failure.reason, failure.message, { cause: err });
      return undefined;
    } finally {
      await close?.();
    }
  }

  async #sync(sync: OciSync, spec: OciSyncSpecDefaulted, source: ResolvedSource & { root: string; pulled: boolean }, run: { owner: SyncOwner; impersonate: Impersonation | undefined; ctx: ReconcileContext; writer: StatusWriter }): Promise<SyncOutcome> {
    const { ctx, owner, impersonate, writer } = run;
    const kubeConfig = ctx.client.kubeConfig;
    const uid = sync.metadata.uid ?? "";
    const dirPath = resolve(source.root, spec.oci.dir);
    if (!(await stat(dirPath).then((s) => s.isDirectory(), () => false))) {
      return { kind: "dirNotFound", message: `failed to load ${spec.oci.dir}: the image ${source.image}@${source.digest} has no directory "${spec.oci.dir}"` };
    }
    const stored: StatusEntry[] = await readInventory(ctx.client, sync, ctx.signal);
    const previous = toEngineInventory(stored);
    const memory = this.#memory.get(uid) ?? {};
    this.#memory.set(uid, memory);
    const imp = impersonate ? { impersonate } : {};
    const changed = source.digest !== sync.status?.sync?.digest || sync.status?.observedGeneration !== sync.metadata.generation;
    let drifted = false;
    if (!changed && !source.pulled && !(sync.status?.sync?.errors?.length ?? 0) && memory.baseline) {
      const now = await snapshotInventory(previous, { kubeConfig, owner, signal: ctx.signal, ...imp }).catch(() => undefined);
      drifted = !now || hasDrift(detectDrift(previous, memory.baseline, now));
      if (!drifted) {
        // Steady state: nothing applied; health re-read only while some object is not Current yet.
        if (stored.every((e) => e.status === "Current")) return { kind: "synced", entries: stored, errors: [], applied: false, changed: false };
        const health = await computeHealth(previous, { kubeConfig, signal: ctx.signal, ...imp });
        return { kind: "synced", entries: inventoryWithHealth(previous, health), errors: [], applied: false, changed: false };
      }
      ctx.log.info("managed objects drifted; re-applying");
    }
    const result = await syncDirectory({
      root: source.root,
      dir: spec.oci.dir,
      scope: this.#scope(sync),
      owner,
      sourceDigest: source.digest,
      kubeConfig,
      previousInventory: previous,
      prune: spec.prune,
      safeguards: { allowPruneAll: spec.pruneSafeguard.allowEmpty, maxPruneFraction: spec.pruneSafeguard.maxFraction },
      beforeApply: (entries) => writer.recordIntent(stored, entries),
      signal: ctx.signal,
      ...imp,
    });
    if (!result.loaded) return { kind: "loadFailed", errors: fromSyncErrors(result.errors) };
    const health = await computeHealth(result.inventory, { kubeConfig, signal: ctx.signal, ...imp });
    memory.baseline = await snapshotInventory(result.inventory, { kubeConfig, owner, signal: ctx.signal, ...imp }).catch(() => undefined);
    const errors: SyncError[] = result.errors;
    ctx.log.info({ objects: result.inventory.length, pruned: result.pruned.length, errors: errors.length, drifted }, "synced");
    return { kind: "synced", entries: inventoryWithHealth(result.inventory, health), errors, applied: true, changed, pruned: result.pruned.length };
  }
}

/** Builds the OciSync controller. */
export function createOciSyncController(deps: ControllerDeps, options: OciSyncOptions = {}): Controller {
  return new Controller({
    name: "ocisync",
    type: OCI_SYNC,
    reconciler: new OciSyncReconciler(deps, options),
    ...(options.workers ? { workers: options.workers } : {}),
  });
}

export { OciSyncReasons };
