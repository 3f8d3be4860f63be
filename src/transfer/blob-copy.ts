// Moving one layer of an archive into a repository: skipped when the registry has it, mounted from a sibling
// repository this import already filled, else uploaded (chunked, resumable) with its digest checked as it flows.
import { Readable } from "node:stream";
import type { ArchiveBlob } from "../archive/image-types.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import type { Repository } from "../oci/repository.ts";
import { toDigest } from "../ocispec/digest.ts";
import { layerMediaType, type LayerPlan, type ManifestFormat } from "./layer-plan.ts";
import { transformLayer } from "./layer-stream.ts";
import type { ProgressTracker } from "./progress.ts";

/** Counters of one import, shared by every blob copy. */
export interface CopyStats {
  blobsUploaded: number;
  blobsSkipped: number;
  blobsMounted: number;
  bytesUploaded: number;
  bytesSkipped: number;
}

export function emptyStats(): CopyStats {
  return { blobsUploaded: 0, blobsSkipped: 0, blobsMounted: 0, bytesUploaded: 0, bytesSkipped: 0 };
}

export interface CopyContext {
  stats: CopyStats;
  progress: ProgressTracker;
  /** PATCH size; the uploader's default (by how bytes are held) when absent. */
  chunkSize?: number;
  signal: AbortSignal;
  /** Where each digest already is in this registry, for cross-repository mounts. */
  placed: Map<string, string>;
  /** Uploads under way in this registry (by source digest and target compression), shared across imports. */
  inflight: Map<string, Promise<{ digest: string; repository: string }>>;
}

/** What imports into one registry share so that concurrent imports of the same content mount instead of re-uploading. */
export interface SharedBlobs {
  placed: Map<string, string>;
  inflight: Map<string, Promise<{ digest: string; repository: string }>>;
}

export function sharedBlobs(): SharedBlobs {
  return {
    placed: new Map<string, string>(),
    inflight: new Map<string, Promise<{ digest: string; repository: string }>>(),
  };
}

/** `promise`, or a rejection as soon as `signal` aborts (waiting on another import must not outlive our own). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** A blob already present (or mounted) in `repo`, by digest: no bytes move. */
async function present(repo: Repository, digest: string, ctx: CopyContext): Promise<boolean> {
  if (await repo.blobs().exists(digest, { signal: ctx.signal })) {
    ctx.stats.blobsSkipped++;
    return true;
  }
  const from = ctx.placed.get(digest);
  if (from && from !== repo.name && (await repo.blobs().mount(digest, from, { signal: ctx.signal }))) {
    ctx.stats.blobsMounted++;
    return true;
  }
  return false;
}

/** The layer's stored bytes from an offset; `reopenable` false when it can be read only once, from 0. */
export interface LayerSource {
  open: (offset: number) => Readable;
  reopenable: boolean;
}

/** One layer to copy: the archive's blob, what to do with it, in which manifest format, and how to read it. */
export interface LayerCopy {
  blob: ArchiveBlob;
  plan: LayerPlan;
  format: ManifestFormat;
  source: LayerSource;
}

/** A layer copy under way: its manifest media type and its progress (and in-flight) key. */
interface Job {
  layer: LayerCopy;
  mediaType: string;
  id: string;
}

type Placed = { digest: string; repository: string };

/** Another import (or image) is uploading these very bytes: wait for it, then mount from its repository. */
async function fromInflight(repo: Repository, job: Job, ctx: CopyContext): Promise<Descriptor | undefined> {
  const pending = ctx.inflight.get(job.id);
  if (!pending) return undefined;
  const other = await abortable(pending, ctx.signal).catch(() => undefined);
  ctx.signal.throwIfAborted();
  if (!other) return undefined;
  const same = other.repository === repo.name;
  if (!same && !(await repo.blobs().mount(other.digest, other.repository, { signal: ctx.signal }))) return undefined;
  if (same) ctx.stats.blobsSkipped++;
  else ctx.stats.blobsMounted++;
  const size = (await repo.blobs().exists(other.digest, { signal: ctx.signal }))?.size ?? job.layer.blob.size;
  ctx.progress.finish(job.id, size);
  ctx.placed.set(other.digest, repo.name);
  return { mediaType: job.mediaType, digest: toDigest(other.digest), size };
}

/** Copies one layer into `repo` per its plan and returns its manifest descriptor. */
export async function copyLayer(repo: Repository, layer: LayerCopy, ctx: CopyContext): Promise<Descriptor> {
  const job: Job = {
    layer,
    mediaType: layerMediaType(layer.format, layer.plan.to),
    id: `${layer.blob.digest}:${layer.plan.to}`,
  };
  ctx.progress.expect(job.id, layer.blob.size);
  const done = await fromInflight(repo, job, ctx);
  if (done) return done;
  let settle: { resolve: (v: Placed) => void; reject: (e: unknown) => void } | undefined;
  const mine = new Promise<Placed>((resolve, reject) => (settle = { resolve, reject }));
  mine.catch(() => undefined); // nobody may be waiting
  ctx.inflight.set(job.id, mine);
  try {
    const desc = await transferLayer(repo, job, ctx);
    settle?.resolve({ digest: desc.digest, repository: repo.name });
    return desc;
  } catch (err) {
    settle?.reject(err);
    throw err;
  } finally {
    if (ctx.inflight.get(job.id) === mine) ctx.inflight.delete(job.id);
  }
}

async function transferLayer(repo: Repository, job: Job, ctx: CopyContext): Promise<Descriptor> {
  const { blob, plan, source } = job.layer;
  const { mediaType, id } = job;
  const chunking = { chunkSize: ctx.chunkSize, reopenable: source.reopenable };
  if (plan.action === "copy") {
    if (await present(repo, blob.digest, ctx)) {
      ctx.stats.bytesSkipped += blob.size;
      ctx.progress.finish(id, blob.size);
      ctx.placed.set(blob.digest, repo.name);
      return { mediaType, digest: toDigest(blob.digest), size: blob.size };
    }
    const desc = await repo.blobs().push({ mediaType, digest: blob.digest, size: blob.size }, source.open, {
      ...chunking,
      signal: ctx.signal,
      onProgress: (committed) => ctx.progress.update(id, committed),
    });
    return uploaded(repo, desc, job, ctx);
  }
  // A transformed layer's digest is known only once its bytes have flowed: upload while computing it. Its
  // progress counts the stored bytes read (the output's size is unknown until the end).
  const read = (bytes: number): void => ctx.progress.update(id, Math.min(bytes, blob.size - 1));
  const desc = await repo
    .blobs()
    .push({ mediaType }, () => transformLayer(source.open(0), plan, read), { ...chunking, signal: ctx.signal });
  return uploaded(repo, desc, job, ctx);
}

function uploaded(repo: Repository, desc: Descriptor, job: Job, ctx: CopyContext): Descriptor {
  ctx.stats.blobsUploaded++;
  ctx.stats.bytesUploaded += desc.size;
  ctx.progress.finish(job.id);
  ctx.placed.set(desc.digest, repo.name);
  return { mediaType: job.mediaType, digest: desc.digest, size: desc.size };
}

/** Makes sure `repo` has a small blob whose bytes are in memory (a config). */
export async function copyBytes(repo: Repository, desc: Descriptor, bytes: Buffer, ctx: CopyContext): Promise<void> {
  if (await present(repo, desc.digest, ctx)) return;
  await repo
    .blobs()
    .push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size }, () => Readable.from([bytes]), {
      signal: ctx.signal,
    });
  ctx.stats.blobsUploaded++;
  ctx.stats.bytesUploaded += desc.size;
  ctx.placed.set(desc.digest, repo.name);
}
