// The OciSync reconciler (GitHub issue 7): Config Sync's RootSync/RepoSync with `sourceType: oci`, Flux's
// OCIRepository + Kustomization shape, on the reconciler skeleton (kube/reconcile-steps.ts). Each period:
//   1. source: resolve the image (one HEAD for a tag; nothing for a pinned digest, config-sync#1332); a new digest is
//      pulled and extracted into a folder named by it (src/transfer/sync-source.ts). Unchanged digest: no GET.
//   2. sync: when the digest or the spec changed, the last sync had errors, or the managed objects drifted (seen by
//      metadata-only watches of the managed kinds, which wake the OciSync at once: src/sync/drift-watch.ts), `dir` is
//      applied with server-side apply and what left the source is pruned (src/sync, oci-sync-apply.ts). Otherwise
//      nothing is, and nothing is listed.
//   3. health: kstatus per object; Ready only when all are Current; after spec.timeout → Stalled HealthTimeout.
// Scope: in the operator's namespace an OciSync is a root sync (cluster-wide). Elsewhere it is a tenant sync confined
// to its namespace and applies as `spec.serviceAccountName`, default the ServiceAccount `airlift-sync` of its
// namespace (TENANT_SERVICE_ACCOUNT), by impersonation, so the tenant's RBAC bounds what it may write; the operator
// needs the `impersonate` verb on serviceaccounts for that.
// Content errors (invalid YAML, missing dir, unknown image) set Stalled but keep polling at the period: a new push
// under the tag fixes them without a spec change. Registry outages are retried with backoff (RegistryUnavailable).
import { join } from "node:path";
import { parseDuration } from "../api/duration.ts";
import { OCI_SYNC } from "../api/group-version.ts";
import { withOciSyncDefaults, type OciSync, type OciSyncStatus } from "../api/oci-sync.ts";
import { parseOciSync } from "../api/parse.ts";
import { nowIso } from "../kube/conditions.ts";
import { Controller } from "../kube/controller.ts";
import { StallingError } from "../kube/errors.ts";
import type { EventInput } from "../kube/events.ts";
import {
  reconcileKind,
  type Failure,
  type FailurePlan,
  type KindReconciler,
  type StepResult,
} from "../kube/reconcile-steps.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../kube/reconciler.ts";
import { keyString } from "../kube/resource.ts";
import type { Verdict } from "../kube/summarize.ts";
import type { Impersonation, SyncScope } from "../sync/index.ts";
import type { RegistryConnection, RegistryRequestEvent } from "../transfer/connection.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import { fetchSyncSource } from "../transfer/sync-source.ts";
import { registryOf } from "../transfer/image-presence.ts";
import { VerifiedDigests } from "../transfer/verify-source.ts";
import { caBundle, caOrigin, imageOnRegistry, registryCredentials } from "./credentials.ts";
import type { ControllerDeps } from "./deps.ts";
import { OciSyncApplier, type SyncRun, type SyncState } from "./oci-sync-apply.ts";
import { checkDependencies, DEPENDENCY_REASONS } from "./oci-sync-dependencies.ts";
import { finalizeOciSync } from "./oci-sync-finalize.ts";
import { compileHealthExprs, readHealthChecks } from "./oci-sync-health.ts";
import { syncTarget } from "./oci-sync-target.ts";
import { preflightFields } from "./oci-sync-preflight.ts";
import { loadFailedSummary, sourceFailedFields, syncedSummary } from "./oci-sync-summary.ts";
import { refusedConditions, verifiedConditions, verifyKeys } from "./verify-source.ts";

/** The finalizer OciSyncs carry. */
export const OCI_SYNC_FINALIZER = "airlift.dev/ocisync";
/** The ServiceAccount a tenant OciSync applies as when spec.serviceAccountName is empty. */
export const TENANT_SERVICE_ACCOUNT = "airlift-sync";

/** Extra knobs (tests count registry requests through onRegistryRequest). */
export interface OciSyncOptions {
  onRegistryRequest?: (method: string, url: string) => void;
  workers?: number;
  /** Asks the controller to reconcile an OciSync now (its drift watches saw a change). */
  wake?: (namespace: string, name: string) => void;
}

/** The reconciler; see the file comment for the contract. */
export class OciSyncReconciler implements Reconciler {
  readonly #deps: ControllerDeps;
  readonly #opts: OciSyncOptions;
  readonly #applier: OciSyncApplier;
  readonly #onRequest: (e: RegistryRequestEvent) => void;
  readonly #kind: KindReconciler<OciSync, OciSyncStatus, SyncState>;
  /** Digests spec.verify accepted, by key set: an unchanged digest is not verified again every period. */
  readonly #verified = new VerifiedDigests();

  constructor(deps: ControllerDeps, options: OciSyncOptions = {}) {
    this.#deps = deps;
    this.#opts = options;
    const requests = deps.metrics.ociSync.registryRequests;
    this.#applier = new OciSyncApplier({
      onDrift: () => deps.metrics.ociSync.driftCorrections.inc(),
      wake: options.wake,
      kustomize: deps.kustomize,
      kustomizeLimits: deps.kustomizeLimits,
      defaults: deps.defaults,
      maxObjects: deps.syncMaxObjects,
      endpointPolicy: deps.endpointPolicy,
    });
    this.#onRequest = (e) => {
      requests.inc();
      this.#opts.onRegistryRequest?.(e.method, e.url);
    };
    this.#kind = {
      type: OCI_SYNC,
      action: "Sync",
      parse: parseOciSync,
      classify: classifyTransferError,
      suspended: (obj) =>
        obj.spec.suspend ? "spec.suspend is true: the source is not polled and nothing is applied" : undefined,
      finalizer: { name: OCI_SYNC_FINALIZER, finalize: (obj, ctx) => this.#finalize(obj, ctx) },
      begin: (obj) => this.#begin(obj),
      steps: [
        (run) => this.#dependencies(run),
        (run) => this.#prepare(run),
        (run) => this.#source(run),
        (run) => this.#applier.sync(run),
        (run) => this.#healthChecks(run),
      ],
      finish: (run) => this.#finish(run),
      failed: (run, failure) => this.#failed(run, failure),
    };
  }

  reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    return reconcileKind(this.#kind, req, ctx);
  }

  /** Closes the drift watches. */
  stop(): Promise<void> {
    return this.#applier.stop();
  }

  #begin(sync: OciSync): SyncState {
    const spec = withOciSyncDefaults(sync.spec);
    const namespace = sync.metadata.namespace ?? "";
    const folder = join(
      this.#deps.defaults.workDir,
      "ocisync",
      `${namespace}_${sync.metadata.name}_${sync.metadata.uid ?? ""}`,
    );
    const owner = { kind: "OciSync", namespace, name: sync.metadata.name };
    return {
      spec,
      owner,
      folder,
      scope: this.#scope(sync),
      impersonate: this.#impersonation(sync),
      stage: "source",
      periodMs: parseDuration(spec.oci.period),
    };
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

  /** Deletion: prune when asked to (foreground), then drop the folder, the inventory ConfigMap and the drift baseline. */
  async #finalize(sync: OciSync, ctx: ReconcileContext): Promise<void> {
    const state = this.#begin(sync);
    const { owner, scope, impersonate, folder } = state;
    const pruned = await finalizeOciSync({
      client: ctx.client,
      kubeConfig: ctx.client.kubeConfig,
      target: () =>
        syncTarget({ sync, secrets: ctx.secrets, endpointPolicy: this.#deps.endpointPolicy }, { probe: true }),
      sync,
      owner,
      scope,
      impersonate,
      folder,
      signal: ctx.signal,
    });
    ctx.log.info({ pruned }, "OciSync deleted; finalizer removed");
    this.#applier.forget(sync);
  }

  /** How the image's registry is reached: the Secrets' values, the spec's TLS choices, and request counting. */
  async #connection(run: SyncRun): Promise<RegistryConnection> {
    const { ctx } = run;
    const namespace = run.obj.metadata.namespace ?? "";
    const oci = run.state.spec.oci;
    if (oci.auth === "secret" && !oci.credentialsSecretRef)
      throw new StallingError("InvalidSpec", "spec.oci.auth is secret but spec.oci.credentialsSecretRef is not set");
    return {
      credentials:
        oci.auth === "secret"
          ? await registryCredentials(ctx.secrets, namespace, oci.credentialsSecretRef, ctx.signal)
          : undefined,
      caPem: await caBundle(ctx.secrets, namespace, oci.caCertSecretRef, ctx.signal),
      caOrigin: caOrigin(namespace, oci.caCertSecretRef),
      insecureSkipTLSVerify: oci.insecureSkipTLSVerify,
      plainHttp: oci.plainHTTP,
      endpointPolicy: this.#deps.endpointPolicy,
      onRequest: this.#onRequest,
    };
  }

  /** Step 0: every OciSync in spec.dependsOn Ready at its generation (oci-sync-dependencies.ts). */
  async #dependencies(run: SyncRun): Promise<StepResult> {
    const { ctx, obj } = run;
    const operatorNamespace = this.#deps.operatorNamespace;
    await checkDependencies({ client: ctx.client, sync: obj, operatorNamespace, signal: ctx.signal });
    return "continue";
  }

  /** Step 0b: the CEL rules compiled, the target cluster chosen, a tenant's spec.healthChecks scope-checked. */
  async #prepare(run: SyncRun): Promise<StepResult> {
    const { state, obj, ctx } = run;
    // A failure here is the spec's or the target cluster's, not the source's: status.source is left alone.
    state.stage = "prepare";
    state.exprs = compileHealthExprs(obj);
    // spec.kubeConfig: the remote cluster's kubeconfig, checked and answering (oci-sync-target.ts).
    const target = { sync: obj, secrets: ctx.secrets, endpointPolicy: this.#deps.endpointPolicy, signal: ctx.signal };
    state.kubeConfig = await syncTarget(target, { probe: true });
    if (state.scope.kind === "namespace") await readHealthChecks(run);
    state.stage = "source";
    return "continue";
  }

  /** Step 3: the objects of spec.healthChecks, read after a sync that ran (oci-sync-health.ts). */
  async #healthChecks(run: SyncRun): Promise<StepResult> {
    if (run.state.outcome?.kind === "synced") await readHealthChecks(run);
    return "continue";
  }

  /** Step 1: resolve the image and, for a digest not extracted yet, pull it. */
  async #source(run: SyncRun): Promise<StepResult> {
    const { ctx, state } = run;
    const oci = state.spec.oci;
    const connection = await this.#connection(run);
    const keys = await verifyKeys(ctx.secrets, run.obj.metadata.namespace ?? "", state.spec.verify, ctx.signal);
    const source = await fetchSyncSource({
      ...(keys ? { verify: { keys, cache: this.#verified } } : {}),
      // A host-less image is the site's: under the default registry (the discovered Harbor), never docker.io.
      image: imageOnRegistry(oci.image, this.#deps.defaults),
      connection,
      semverRange: oci.semver?.range,
      platform: oci.platform,
      layerSelector: oci.layerSelector,
      folder: state.folder,
      signal: ctx.signal,
    });
    if (source.pulled)
      ctx.log.info({ image: source.image, digest: source.digest, layers: source.layers }, "pulled new source digest");
    state.source = {
      ...source,
      manifestDigest: source.manifestDigest ?? run.obj.status?.source?.digest ?? source.digest,
    };
    state.registry = { host: registryOf(source.image), connection };
    return "continue";
  }

  /** After the sync stage: the summary (Ready, HealthPending, HealthTimeout or the errors' reason) and its Events. */
  async #finish(run: SyncRun): Promise<Result> {
    const { ctx, state } = run;
    const { source, outcome } = state;
    if (!source || !outcome) throw new Error("OciSync: the sync stage did not run");
    let event: EventInput | undefined;
    let requeueAfterMs = state.periodMs;
    const conditions = verifiedConditions(state.spec.verify, [source.verified], run.obj.metadata.generation);
    const preflight = preflightFields(state.preflight);
    if (outcome.kind === "loadFailed") {
      event = await this.#loadFailed(run, outcome.errors, conditions);
    } else {
      const inventoryFields = (await state.inventory?.store(outcome.entries)) ?? {};
      const timeoutMs = parseDuration(state.spec.timeout);
      let newRevision = false;
      const verdict = await run.status.summarize((s) => {
        const summary = syncedSummary(s, {
          source,
          outcome,
          inventoryFields,
          timeoutMs,
          now: new Date(),
          checks: state.checks,
        });
        newRevision = summary.newRevision;
        return { ...summary, fields: { ...summary.fields, ...preflight }, conditions };
      });
      event = warning(verdict) ?? syncedEvent(newRevision, source, outcome.entries.length);
      // Health pending: look again soon, not a whole period later.
      if (verdict.kind === "progressing") requeueAfterMs = Math.min(state.periodMs, 2_000);
    }
    for (const e of [event, missingImagesEvent(state)]) if (e) await ctx.events.event(run.obj, e, ctx.signal);
    return { requeueAfterMs };
  }

  /** The summary of a revision that did not load, validate or pass the image preflight: nothing was applied. */
  async #loadFailed(
    run: SyncRun,
    errors: Parameters<typeof loadFailedSummary>[2],
    conditions: ReturnType<typeof verifiedConditions>,
  ): Promise<EventInput | undefined> {
    const source = run.state.source;
    if (!source) throw new Error("OciSync: the source stage did not run");
    const preflight = preflightFields(run.state.preflight);
    const failed = await run.status.summarize((s) => {
      const summary = loadFailedSummary(s, source, errors, nowIso());
      return { ...summary, fields: { ...summary.fields, ...preflight }, conditions };
    });
    return warning(failed);
  }

  /** A failed stage: the source stage records its error in status.source; either way the period brings a new look. */
  #failed(run: SyncRun, failure: Failure): FailurePlan<OciSyncStatus> {
    const image = run.state.spec.oci.image;
    // Waiting for another OciSync is not a fetch failure: the message is the dependency's, status.source untouched.
    if (DEPENDENCY_REASONS.has(failure.reason)) return { message: failure.message, recheckAfterMs: run.state.periodMs };
    if (run.state.stage !== "source")
      return { message: `failed to sync ${image}: ${failure.message}`, recheckAfterMs: run.state.periodMs };
    const message = `failed to fetch ${image}: ${failure.message}`;
    return {
      message,
      fields: (s) => sourceFailedFields(s, image, { code: failure.reason, message }, nowIso()),
      conditions: refusedConditions(failure, run.obj.metadata.generation),
      recheckAfterMs: run.state.periodMs,
    };
  }
}

/** The Normal Event of a sync that applied a new revision without errors; undefined when nothing new was applied. */
function syncedEvent(
  newRevision: boolean,
  source: { image: string; digest: string },
  objects: number,
): EventInput | undefined {
  if (!newRevision) return undefined;
  return {
    type: "Normal",
    reason: "Synced",
    action: "Sync",
    note: `synced ${source.image}@${source.digest}: ${objects} objects`,
  };
}

/** imagePreflight warn: the Warning Event of a revision applied although some of its images are missing. */
function missingImagesEvent(state: SyncState): EventInput | undefined {
  const missing = state.preflight?.missing ?? [];
  if (missing.length === 0 || state.outcome?.kind !== "synced") return undefined;
  const list = missing.slice(0, 5).map((u) => `${u.image} (${u.object} ${u.container})`);
  const more = missing.length > 5 ? `, and ${missing.length - 5} more` : "";
  return {
    type: "Warning",
    reason: "ImagesMissing",
    action: "Sync",
    note: `applied, but ${missing.length} image(s) are not in their registry: ${list.join(", ")}${more} (status.imagePreflight)`,
  };
}

/** The Warning Event of a verdict that is a failure. */
function warning(verdict: Verdict): EventInput | undefined {
  if (verdict.kind !== "stalled" && verdict.kind !== "retrying") return undefined;
  return { type: "Warning", reason: verdict.reason, action: "Sync", note: verdict.message };
}

/** Builds the OciSync controller. */
export function createOciSyncController(deps: ControllerDeps, options: OciSyncOptions = {}): Controller {
  // The drift watches wake an OciSync through the controller's own queue.
  const wake = (namespace: string, name: string): void => controller.queue.add(keyString({ namespace, name }));
  const controller: Controller = new Controller({
    name: "ocisync",
    type: OCI_SYNC,
    reconciler: new OciSyncReconciler(deps, { wake, ...options }),
    workers: options.workers,
  });
  return controller;
}
