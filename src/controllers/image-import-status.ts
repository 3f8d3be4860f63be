// Status of an ImageImport, written from one place per step: start (Reconciling/Progressing), progress (throttled by
// the engine, at most every few seconds), success (Ready/Succeeded with the images), failure (Stalled for permanent
// faults, Ready=False + Reconciling/ProgressingWithRetry for transient ones).
import { IMAGE_IMPORT } from "../api/group-version.ts";
import type { ImageImport, ImageImportStatus, ImportedImage } from "../api/image-import.ts";
import { markReady, markReconciling, markRetrying, markStalled, type Condition } from "../kube/conditions.ts";
import type { ReconcileContext } from "../kube/reconciler.ts";
import { keyOf, type KubeObject } from "../kube/resource.ts";
import { updateStatus } from "../kube/status.ts";
import type { ImportResult } from "../transfer/import-archive.ts";
import type { ProgressSnapshot } from "../transfer/progress.ts";

const nowIso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** The status fields of a finished import, one entry per pushed reference. */
export function importedImages(result: ImportResult): ImportedImage[] {
  return result.images.flatMap((image) =>
    image.references.map((reference) => ({ source: image.source, reference, digest: image.digest, mediaType: image.mediaType, size: image.size })),
  );
}

export class ImportStatusWriter {
  readonly #ctx: ReconcileContext;
  readonly #obj: ImageImport;
  /** Progress writes are chained so they never overtake each other or the final write. */
  #chain: Promise<void> = Promise.resolve();

  constructor(ctx: ReconcileContext, obj: ImageImport) {
    this.#ctx = ctx;
    this.#obj = obj;
  }

  get #generation(): number | undefined {
    return this.#obj.metadata.generation;
  }

  async #write(compute: (status: ImageImportStatus, conditions: Condition[] | undefined) => ImageImportStatus): Promise<void> {
    const run = async (): Promise<void> => {
      await updateStatus(this.#ctx.client, IMAGE_IMPORT, keyOf(this.#obj as unknown as KubeObject), (latest) => {
        const status = ((latest as { status?: ImageImportStatus }).status ?? {});
        return { ...compute(status, status.conditions), observedGeneration: this.#generation };
      }, { signal: this.#ctx.signal });
    };
    this.#chain = this.#chain.then(run, run);
    await this.#chain;
  }

  started(revision: string, bytesTotal: number): Promise<void> {
    return this.#write((_s, c) => ({
      conditions: markReconciling(c, this.#generation, `importing ${this.#source()} (revision ${revision})`),
      progress: { bytesDone: 0, bytesTotal },
      startedAt: nowIso(),
    }));
  }

  /** A progress write; failures are logged, never fatal (the next one or the final write catches up). */
  progress(snapshot: ProgressSnapshot): void {
    this.#write(() => ({ progress: { bytesDone: snapshot.bytesDone, bytesTotal: snapshot.bytesTotal } })).catch((err: unknown) =>
      this.#ctx.log.debug({ error: String(err) }, "progress status write failed"),
    );
  }

  succeeded(result: ImportResult, revision: string): Promise<void> {
    const images = importedImages(result);
    const bytes = result.bytesUploaded + result.bytesSkipped;
    const what = `imported ${result.images.length} image(s) as ${images.map((i) => i.reference).join(", ")}`;
    return this.#write((_s, c) => ({
      conditions: markReady(c, this.#generation, `${what}; uploaded ${result.blobsUploaded} blobs, skipped ${result.blobsSkipped}, mounted ${result.blobsMounted}`),
      images,
      progress: { bytesDone: bytes, bytesTotal: bytes },
      sourceRevision: revision,
      completedAt: nowIso(),
      lastAttempt: { revision, generation: this.#generation ?? 0 },
    }));
  }

  failed(reason: string, message: string, transient: boolean, revision: string | undefined): Promise<void> {
    const text = `failed to import ${this.#source()}: ${message}`;
    return this.#write((_s, c) => ({
      conditions: transient ? markRetrying(c, this.#generation, reason, text) : markStalled(c, this.#generation, reason, text),
      ...(revision ? { lastAttempt: { revision, generation: this.#generation ?? 0 } } : {}),
    }));
  }

  suspended(): Promise<void> {
    return this.#write((_s, c) =>
      ({ conditions: markStalled(c, this.#generation, "Suspended", "spec.suspend is true: no import runs until it is cleared").filter((x) => x.type !== "Stalled") }),
    );
  }

  #source(): string {
    const s3 = this.#obj.spec.source.s3;
    return `s3://${s3.bucket}/${s3.key}`;
  }
}
