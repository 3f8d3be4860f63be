// The ImageImport reconciler (GitHub issue 5): the runbook "gdcloud cp s3://BUCKET/g/IMAGE.tar; docker load; docker
// tag; docker push harbor.<dnsSuffix>/..." as a level-based loop around the engine's importArchive, on the
// reconciler skeleton (kube/reconcile-steps.ts): open the archive → already done? → import → summarize.
//   - Inputs: the spec (generation), the bucket object (ETag, one HEAD per check) and the referenced Secrets. An
//     import whose inputs are unchanged since its last success or permanent failure is not run again (status says
//     so: image-import-decide.ts, restarts included); a changed spec, object or Secret runs it again, and the engine
//     then uploads only missing blobs.
//   - Transient faults (registry 5xx/429, S3 throttling, resets) are retried with backoff (Ready=False,
//     Reconciling=ProgressingWithRetry); permanent ones (bad archive, access denied, unauthorized, bad destination)
//     are Stalled until an input changes, which is re-checked every RECHECK_MS with a HEAD.
//   - Deleting an ImageImport aborts its transfer (the reconcile's signal); pushed images stay in the registry.
//   - Several imports run at once up to the controller's workers (--workers / AIRLIFT_MAX_CONCURRENT_IMPORTS);
//     imports into one registry share what is placed and what is being uploaded, so two imports of the same archive
//     at once upload each blob once and mount it into the other repository.
import { IMAGE_IMPORT } from "../api/group-version.ts";
import {
  withImageImportDefaults,
  type ImageImport,
  type ImageImportSpecDefaulted,
  type ImageImportStatus,
  type ImportAttempt,
} from "../api/image-import.ts";
import type { EndpointsUsed } from "../api/meta.ts";
import { parseImageImport } from "../api/parse.ts";
import { Controller } from "../kube/controller.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../kube/reconciler.ts";
import {
  reconcileKind,
  type Failure,
  type FailurePlan,
  type KindReconciler,
  type Run,
  type StepResult,
} from "../kube/reconcile-steps.ts";
import { nowIso } from "../kube/conditions.ts";
import { sharedBlobs, type SharedBlobs } from "../transfer/blob-copy.ts";
import type { RegistryConnection } from "../transfer/connection.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import { importArchive, type ImportResult } from "../transfer/import-archive.ts";
import { openS3Archive, type OpenedS3Archive } from "../transfer/s3-connection.ts";
import { verifyBeforeTag, type SourceVerification, type TrustedKeySet } from "../transfer/verify-source.ts";
import { endpointUsed } from "./credentials.ts";
import { importConnections } from "./image-import-connections.ts";
import { DropBoxPoller, type DropBoxPoll } from "./image-import-dropbox.ts";
import type { ImportMetrics } from "../observability/airlift-metrics.ts";
import type { OperatorDefaults } from "./defaults.ts";
import type { ControllerDeps } from "./deps.ts";
import { alreadyImported, importInputs, stalledOnInputs } from "./image-import-decide.ts";
import { destination, selections, sourceUrl } from "./image-import-spec.ts";
import { progressFields, startedFields, succeededSummary } from "./image-import-status.ts";
import { refusedConditions, verifiedConditions } from "./verify-source.ts";

/** How often a finished or stalled import re-checks its inputs (one HEAD and the Secrets). */
export const RECHECK_MS = 5 * 60_000;

/** What the steps of one reconcile found out. */
interface ImportState {
  spec: ImageImportSpecDefaulted;
  /** Set by the first step. */
  opened?: {
    archive: OpenedS3Archive;
    registry: string;
    connection: RegistryConnection;
    attempt: ImportAttempt;
    /** spec.verify's keys: every image is verified before it is tagged. */
    keys?: TrustedKeySet;
  };
  /** What spec.verify accepted, one per image or index. */
  verified: SourceVerification[];
  /** Set when an import ran to the end. */
  done?: { result: ImportResult; startedMs: number };
  /** The endpoints this reconcile uses and their origins (status.endpoints), set first. */
  endpoints?: EndpointsUsed;
  /** Set when the object is a drop-box and its poll ran. */
  dropBox?: DropBoxPoll;
}

/** The import's endpoints: the spec's own, else the operator's defaults, each with its origin. */
function importEndpoints(spec: ImageImportSpecDefaulted, defaults: OperatorDefaults): EndpointsUsed {
  const d = spec.destination;
  const field = d.registry ? "spec.destination.registry" : "spec.destination.rewrite.registry";
  return {
    registry: endpointUsed(d.registry ?? d.rewrite?.registry, field, defaults, "registry"),
    s3: endpointUsed(spec.source.s3.endpoint, "spec.source.s3.endpoint", defaults, "s3"),
  };
}

type ImportRun = Run<ImageImport, ImageImportStatus, ImportState>;

function opened(run: ImportRun): NonNullable<ImportState["opened"]> {
  if (!run.state.opened) throw new Error("ImageImport: the archive was not opened");
  return run.state.opened;
}

export class ImageImportReconciler implements Reconciler {
  readonly #deps: ControllerDeps;
  readonly #metrics: ImportMetrics;
  readonly #kind: KindReconciler<ImageImport, ImageImportStatus, ImportState>;
  /** Per registry: blobs placed and uploads under way, so concurrent imports of one archive mount, not re-upload. */
  readonly #shared = new Map<string, SharedBlobs>();
  readonly #dropBox: DropBoxPoller;

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#metrics = deps.metrics.imageImport;
    this.#dropBox = new DropBoxPoller(deps, (registry) => this.#sharedFor(registry));
    this.#kind = {
      type: IMAGE_IMPORT,
      action: "Import",
      parse: parseImageImport,
      classify: classifyTransferError,
      suspended: (obj) => (obj.spec.suspend ? "spec.suspend is true: no import runs until it is cleared" : undefined),
      begin: (obj) => ({ spec: withImageImportDefaults(obj.spec), verified: [] }),
      steps: [(run) => this.#open(run), (run) => Promise.resolve(this.#decide(run)), (run) => this.#import(run)],
      finish: (run) => this.#finish(run),
      failed: (run, failure) => this.#failed(run, failure),
    };
  }

  reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    return reconcileKind(this.#kind, req, ctx);
  }

  #sharedFor(registry: string): SharedBlobs {
    let shared = this.#shared.get(registry);
    // Bounded: forgetting only costs a HEAD-skip or an upload later.
    if (!shared || shared.placed.size > 50_000) {
      const fresh = sharedBlobs();
      shared = { ...fresh, inflight: shared?.inflight ?? fresh.inflight };
      this.#shared.set(registry, shared);
    }
    return shared;
  }

  /** Step 1: the connections from the spec and its Secrets, and a HEAD of the archive (its ETag); or a drop-box poll. */
  async #open(run: ImportRun): Promise<StepResult> {
    const { obj, ctx, state } = run;
    state.endpoints = importEndpoints(state.spec, this.#deps.defaults);
    const conns = await importConnections(this.#deps, obj, state.spec, ctx);
    const { bucket, key, prefix } = state.spec.source.s3;
    if (prefix !== undefined || key === undefined) {
      state.dropBox = await this.#dropBox.poll(run, conns, state.endpoints);
      return "done";
    }
    const archive = await openS3Archive({ connection: conns.s3, bucket, key, signal: ctx.signal });
    run.defer(() => archive.close());
    const generation = obj.metadata.generation;
    const inputs = importInputs({
      generation,
      etag: archive.etag,
      registry: conns.registry,
      s3Endpoint: conns.s3.endpoint,
      secretVersions: conns.secretVersions,
    });
    state.opened = {
      archive,
      registry: conns.registry,
      connection: conns.connection,
      attempt: { revision: archive.etag, generation: generation ?? 0, inputs },
      ...(conns.keys ? { keys: conns.keys } : {}),
    };
    return "continue";
  }

  /** Step 2: already imported, or already stalled on exactly these inputs? Then nothing runs. */
  #decide(run: ImportRun): StepResult {
    const { archive, attempt } = opened(run);
    const status = run.obj.status;
    const done =
      alreadyImported(status, run.obj.metadata.generation, archive.etag) ||
      stalledOnInputs(status, attempt.inputs ?? "");
    return done ? "done" : "continue";
  }

  /** Step 3: the import itself, with progress in status and an Event per image. */
  async #import(run: ImportRun): Promise<StepResult> {
    const { obj, ctx, state } = run;
    const { archive, registry, connection, attempt, keys } = opened(run);
    const startedMs = Date.now();
    await run.status.progressing(`importing ${sourceUrl(state.spec)} (revision ${archive.etag})`, {
      ...startedFields(archive.size, attempt, nowIso()),
      endpoints: state.endpoints,
    });
    await ctx.events.event(
      obj,
      {
        type: "Normal",
        reason: "ImportStarted",
        action: "Import",
        note: `importing ${sourceUrl(state.spec)} into ${registry}`,
      },
      ctx.signal,
    );
    let uploadedSoFar = 0;
    const result = await importArchive(archive.source, {
      destination: destination(state.spec, registry),
      images: selections(state.spec),
      ...(state.spec.platforms ? { platforms: state.spec.platforms } : {}),
      // spec.verify: nothing is tagged unless a trusted key's signature names it.
      ...(keys
        ? { beforeTag: verifyBeforeTag({ registry, connection, keys, onVerified: (v) => state.verified.push(v) }) }
        : {}),
      connection,
      layerCompression: state.spec.layerCompression,
      concurrency: state.spec.concurrency,
      shared: this.#sharedFor(registry),
      signal: ctx.signal,
      progressIntervalMs: 3_000,
      onProgress: (snapshot) => {
        this.#deps.metrics.bytesTransferred.inc(
          { controller: "imageimport", direction: "upload" },
          Math.max(0, snapshot.bytesDone - uploadedSoFar),
        );
        uploadedSoFar = Math.max(uploadedSoFar, snapshot.bytesDone);
        run.status.progress(progressFields(snapshot));
      },
      onImage: (image) => {
        const note = `${image.unchanged ? "already present" : "pushed"}: ${image.source} as ${image.references.join(", ")} (${image.digest})`;
        void ctx.events.event(obj, { type: "Normal", reason: "ImagePushed", action: "Push", note }, ctx.signal);
      },
    });
    state.done = { result, startedMs };
    return "continue";
  }

  /** Ready with the images when an import ran; nothing to write when it did not need to. */
  async #finish(run: ImportRun): Promise<Result> {
    const { ctx, state } = run;
    if (state.dropBox) return this.#dropBox.finish(run, state.dropBox);
    if (!state.done) return { requeueAfterMs: RECHECK_MS };
    const { result, startedMs } = state.done;
    await run.status.summarize(() => {
      const summary = succeededSummary(result, opened(run).attempt, nowIso());
      const conditions = verifiedConditions(state.spec.verify, state.verified, run.obj.metadata.generation);
      return { ...summary, fields: { ...summary.fields, endpoints: state.endpoints }, conditions };
    });
    const seconds = (Date.now() - startedMs) / 1000;
    this.#metrics.duration.observe(seconds);
    this.#metrics.imports.inc({ result: result.images.every((i) => i.unchanged) ? "unchanged" : "succeeded" });
    await ctx.events.event(
      run.obj,
      {
        type: "Normal",
        reason: "Succeeded",
        action: "Import",
        note: `imported ${result.images.length} image(s) in ${seconds.toFixed(1)}s`,
      },
      ctx.signal,
    );
    ctx.log.info(
      {
        images: result.images.length,
        uploaded: result.blobsUploaded,
        skipped: result.blobsSkipped,
        mounted: result.blobsMounted,
      },
      "import succeeded",
    );
    return { requeueAfterMs: RECHECK_MS };
  }

  #failed(run: ImportRun, failure: Failure): FailurePlan<ImageImportStatus> {
    if (failure.retryAfterMs === undefined)
      this.#metrics.imports.inc({ result: failure.transient ? "retrying" : "failed" });
    const endpoints = run.state.endpoints;
    return {
      message: `failed to import ${sourceUrl(run.state.spec)}: ${failure.message}`,
      recheckAfterMs: RECHECK_MS,
      fields: endpoints ? () => ({ endpoints }) : undefined,
      conditions: refusedConditions(failure, run.obj.metadata.generation),
    };
  }
}

/** Builds the ImageImport controller (workers: AIRLIFT_MAX_CONCURRENT_IMPORTS, else the operator's --workers). */
export function createImageImportController(deps: ControllerDeps): Controller {
  const workers = Number(process.env.AIRLIFT_MAX_CONCURRENT_IMPORTS);
  return new Controller({
    name: "imageimport",
    type: IMAGE_IMPORT,
    reconciler: new ImageImportReconciler(deps),
    workers: Number.isInteger(workers) && workers > 0 ? workers : undefined,
  });
}
