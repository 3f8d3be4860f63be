// The ImageImport reconciler (GitHub issue 5): the runbook "gdcloud cp s3://BUCKET/g/IMAGE.tar; docker load; docker
// tag; docker push harbor.<dnsSuffix>/..." as a level-based loop around the engine's importArchive.
//   - Inputs: the spec (generation), the bucket object (ETag, one HEAD per check) and the referenced Secrets. An
//     import whose inputs are unchanged since its last success or permanent failure is not run again; a changed
//     spec, object or Secret runs it again, and the engine then uploads only missing blobs.
//   - Transient faults (registry 5xx/429, S3 throttling, resets) are retried with backoff (Ready=False,
//     Reconciling=ProgressingWithRetry); permanent ones (bad archive, access denied, unauthorized, bad destination)
//     are Stalled until an input changes, which is re-checked every RECHECK_MS with a HEAD.
//   - Deleting an ImageImport aborts its transfer (the reconcile's signal); pushed images stay in the registry.
//   - Several imports run at once up to the controller's workers (--workers / AIRLIFT_MAX_CONCURRENT_IMPORTS);
//     imports into one registry share what is placed and what is being uploaded, so two imports of the same archive
//     at once upload each blob once and mount it into the other repository.
import { createHash } from "node:crypto";
import { Counter, Histogram } from "prom-client";
import { IMAGE_IMPORT } from "../api/group-version.ts";
import { withImageImportDefaults, type ImageImport, type ImageImportSpecDefaulted } from "../api/image-import.ts";
import { parseImageImport } from "../api/parse.ts";
import { isNotFound } from "../kube/api-error.ts";
import { Controller } from "../kube/controller.ts";
import { StallingError, TransientError, WaitingError, errorReason } from "../kube/errors.ts";
import { getCondition } from "../kube/conditions.ts";
import type { ReconcileContext, Reconciler, Request, Result } from "../kube/reconciler.ts";
import { getObject } from "../kube/status.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { CredentialProvider } from "../oci/docker-config.ts";
import { createS3Client } from "../storage/s3-client.ts";
import { S3Source } from "../storage/s3-source.ts";
import type { DestinationSpec, ImageSelection } from "../transfer/destinations.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import { importArchive } from "../transfer/import-archive.ts";
import { sharedBlobs, type SharedBlobs } from "../transfer/blob-copy.ts";
import { caBundle, registryCredentials, registryHost, s3Connection } from "./credentials.ts";
import type { ControllerDeps } from "./index.ts";
import { ImportStatusWriter } from "./image-import-status.ts";

/** How often a finished or stalled import re-checks its inputs (one HEAD and the Secrets). */
export const RECHECK_MS = 5 * 60_000;

interface ImportMetrics {
  imports: Counter<"result">;
  duration: Histogram;
}

function importMetrics(metrics: Metrics): ImportMetrics {
  const get = <T>(name: string, make: () => T): T => (metrics.registry.getSingleMetric(name) as T | undefined) ?? make();
  const imports = get("airlift_imageimport_imports_total", () => new Counter({ name: "airlift_imageimport_imports_total", help: "Imports finished, by result.", labelNames: ["result"] as const, registers: [metrics.registry] }));
  for (const result of ["succeeded", "unchanged", "failed", "retrying"]) imports.inc({ result }, 0);
  const duration = get("airlift_imageimport_duration_seconds", () => new Histogram({ name: "airlift_imageimport_duration_seconds", help: "Duration of imports that ran.", buckets: [1, 5, 15, 60, 300, 900, 3600], registers: [metrics.registry] }));
  return { imports, duration };
}

function selections(spec: ImageImportSpecDefaulted): ImageSelection[] {
  return (spec.images ?? []).map((i) => ({
    source: typeof i.source === "number" ? `#${i.source}` : i.source,
    ...(i.repository ? { repository: i.repository } : {}),
    ...(i.tags ? { tags: i.tags } : {}),
  }));
}

function destination(spec: ImageImportSpecDefaulted, registry: string): DestinationSpec {
  const d = spec.destination;
  return {
    registry,
    ...(d.repository ? { repository: d.repository } : {}),
    ...(d.tags ? { tags: d.tags } : {}),
    ...(d.rewrite?.repositoryPrefix !== undefined ? { repositoryPrefix: d.rewrite.repositoryPrefix } : {}),
  };
}

/** Everything an import depends on, hashed: same fingerprint, same outcome. Secrets' bytes never leave the hash. */
function fingerprint(generation: number | undefined, etag: string, material: unknown): string {
  return createHash("sha256").update(JSON.stringify([generation, etag, material])).digest("hex");
}

export class ImageImportReconciler implements Reconciler {
  readonly #deps: ControllerDeps;
  readonly #metrics: ImportMetrics;
  /** Fingerprint of the inputs of each object's last permanent failure (by uid). */
  readonly #stalledOn = new Map<string, string>();
  /** Per registry: blobs placed and uploads under way, so concurrent imports of one archive mount, not re-upload. */
  readonly #shared = new Map<string, SharedBlobs>();

  #sharedFor(registry: string): SharedBlobs {
    let shared = this.#shared.get(registry);
    // Bounded: forgetting only costs a HEAD-skip or an upload later.
    if (!shared || shared.placed.size > 50_000) {
      shared = { ...sharedBlobs(), ...(shared ? { inflight: shared.inflight } : {}) };
      this.#shared.set(registry, shared);
    }
    return shared;
  }

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#metrics = importMetrics(deps.metrics);
  }

  async reconcile(req: Request, ctx: ReconcileContext): Promise<Result> {
    let obj: ImageImport;
    try {
      obj = parseImageImport(await getObject(ctx.client, IMAGE_IMPORT, req, ctx.signal));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const writer = new ImportStatusWriter(ctx, obj);
    const spec = withImageImportDefaults(obj.spec);
    if (spec.suspend) {
      if (getCondition(obj.status?.conditions, "Ready")?.reason !== "Suspended") await writer.suspended();
      return {};
    }
    try {
      return await this.#run(obj, spec, writer, ctx);
    } catch (err) {
      ctx.signal.throwIfAborted();
      return this.#failed(obj, err, writer, ctx);
    }
  }

  async #failed(obj: ImageImport, err: unknown, writer: ImportStatusWriter, ctx: ReconcileContext): Promise<Result> {
    if (err instanceof WaitingError) {
      await writer.failed(err.reason, err.message, true, undefined);
      throw err;
    }
    const c = err instanceof StallingError ? { reason: errorReason(err), transient: false, message: err.message } : classifyTransferError(err);
    await writer.failed(c.reason, c.message, c.transient, undefined);
    await ctx.events.event(obj as never, { type: "Warning", reason: c.reason, action: "Import", note: c.message }, ctx.signal).catch(() => undefined);
    if (c.transient) {
      this.#metrics.imports.inc({ result: "retrying" });
      throw new TransientError(c.reason, c.message, { cause: err });
    }
    this.#metrics.imports.inc({ result: "failed" });
    return { requeueAfterMs: RECHECK_MS };
  }

  async #run(obj: ImageImport, spec: ImageImportSpecDefaulted, writer: ImportStatusWriter, ctx: ReconcileContext): Promise<Result> {
    const namespace = obj.metadata.namespace ?? "";
    const d = spec.destination;
    const s3conn = await s3Connection(ctx.secrets, namespace, spec.source.s3, this.#deps.defaults, ctx.signal);
    const registry = registryHost(d.registry ?? d.rewrite?.registry, this.#deps.defaults);
    const credentials = await registryCredentials(ctx.secrets, namespace, d.credentialsSecretRef, registry, ctx.signal);
    const caPem = await caBundle(ctx.secrets, namespace, d.caBundleSecretRef, ctx.signal);
    const s3 = createS3Client({ ...s3conn, endpointPolicy: this.#deps.endpointPolicy });
    try {
      const source = await S3Source.open({ client: s3, bucket: spec.source.s3.bucket, key: spec.source.s3.key, signal: ctx.signal });
      const etag = source.etag;
      const inputs = fingerprint(obj.metadata.generation, etag, [s3conn, registry, credentials?.(registry), caPem]);
      const ready = getCondition(obj.status?.conditions, "Ready");
      if (ready?.status === "True" && obj.status?.sourceRevision === etag && obj.status.observedGeneration === obj.metadata.generation) {
        return { requeueAfterMs: RECHECK_MS }; // done, and nothing changed
      }
      const uid = obj.metadata.uid ?? "";
      if (this.#stalledOn.get(uid) === inputs) return { requeueAfterMs: RECHECK_MS };
      await this.#import(obj, spec, source, { registry, credentials, caPem, etag }, writer, ctx).catch((err: unknown) => {
        if (!classifyTransferError(err).transient) this.#stalledOn.set(uid, inputs);
        throw err;
      });
      this.#stalledOn.delete(uid);
      return { requeueAfterMs: RECHECK_MS };
    } finally {
      s3.destroy();
    }
  }

  async #import(
    obj: ImageImport,
    spec: ImageImportSpecDefaulted,
    source: S3Source,
    conn: { registry: string; credentials: CredentialProvider | undefined; caPem: string | undefined; etag: string },
    writer: ImportStatusWriter,
    ctx: ReconcileContext,
  ): Promise<void> {
    const started = Date.now();
    const d = spec.destination;
    await writer.started(conn.etag, source.size);
    await ctx.events.event(obj as never, { type: "Normal", reason: "ImportStarted", action: "Import", note: `importing s3://${spec.source.s3.bucket}/${spec.source.s3.key} into ${conn.registry}` }, ctx.signal).catch(() => undefined);
    let uploadedSoFar = 0;
    const result = await importArchive(source, {
      destination: destination(spec, conn.registry),
      images: selections(spec),
      connection: {
        ...(d.plainHTTP ? { plainHttp: true } : {}),
        ...(conn.caPem ? { caPem: conn.caPem } : {}),
        ...(d.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
        ...(conn.credentials ? { credentials: conn.credentials } : {}),
        endpointPolicy: this.#deps.endpointPolicy,
      },
      layerCompression: spec.layerCompression,
      concurrency: spec.concurrency,
      shared: this.#sharedFor(conn.registry),
      signal: ctx.signal,
      progressIntervalMs: 3_000,
      onProgress: (snapshot) => {
        this.#deps.metrics.bytesTransferred.inc({ controller: "imageimport", direction: "upload" }, Math.max(0, snapshot.bytesDone - uploadedSoFar));
        uploadedSoFar = Math.max(uploadedSoFar, snapshot.bytesDone);
        writer.progress(snapshot);
      },
      onImage: (image) => {
        const note = `${image.unchanged ? "already present" : "pushed"}: ${image.source} as ${image.references.join(", ")} (${image.digest})`;
        void ctx.events.event(obj as never, { type: "Normal", reason: "ImagePushed", action: "Push", note }, ctx.signal).catch(() => undefined);
      },
    });
    await writer.succeeded(result, conn.etag);
    this.#metrics.duration.observe((Date.now() - started) / 1000);
    this.#metrics.imports.inc({ result: result.images.every((i) => i.unchanged) ? "unchanged" : "succeeded" });
    await ctx.events.event(obj as never, { type: "Normal", reason: "Succeeded", action: "Import", note: `imported ${result.images.length} image(s) in ${((Date.now() - started) / 1000).toFixed(1)}s` }, ctx.signal).catch(() => undefined);
    ctx.log.info({ images: result.images.length, uploaded: result.blobsUploaded, skipped: result.blobsSkipped, mounted: result.blobsMounted }, "import succeeded");
  }
}

/** Builds the ImageImport controller (workers: AIRLIFT_MAX_CONCURRENT_IMPORTS, else the operator's --workers). */
export function createImageImportController(deps: ControllerDeps): Controller {
  const workers = Number(process.env.AIRLIFT_MAX_CONCURRENT_IMPORTS);
  return new Controller({
    name: "imageimport",
    type: IMAGE_IMPORT,
    reconciler: new ImageImportReconciler(deps),
    ...(Number.isInteger(workers) && workers > 0 ? { workers } : {}),
  });
}
