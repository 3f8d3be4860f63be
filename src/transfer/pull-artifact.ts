// pullArtifact: one artifact (an image, a platform of an index, or an ORAS artifact) written as an OCI image layout
// into a local folder or an S3 prefix, and optionally extracted beside it under `extracted/` — the runbook's
// `gdcloud artifacts pull --single-manifest-repo` + `gdcloud artifacts extract`. Extraction runs first, into a
// fresh local folder with the safe extractor, so a refused artifact leaves the destination as it was; the tree is
// published only once it is whole (renamed into place, or uploaded and then stale keys removed).
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { PassThrough, Readable, Transform } from "node:stream";
import { extractLayers, type ExtractedFile, type ExtractLimits } from "../archive/extract.ts";
import { OciLayoutWriter } from "../archive/layout-writer.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { digestOf } from "../ocispec/digest.ts";
import type { Repository } from "../oci/repository.ts";
import { S3LayoutStore } from "../storage/s3-layout-store.ts";
import { deletePrefix, listPrefix, uploadStream } from "../storage/s3-sink.ts";
import { openRepositoryOf, type RegistryConnection } from "./connection.ts";
import { ProgressTracker, type ProgressListener } from "./progress.ts";
import { leaseS3Client, type S3Connection } from "./s3-connection.ts";
import { carryReferrers, COSIGN_IMAGE_ANNOTATIONS, type PulledReferrer } from "./pull-referrers.ts";
import { layersToExtract, selectManifest, type SelectedManifest } from "./select-content.ts";

/** Where a pull writes: a local folder, or an S3 prefix (the engine opens and closes the client). */
export type PullDestination =
  { kind: "directory"; path: string } | { kind: "s3"; connection: S3Connection; bucket: string; prefix: string };

/** How one pull runs. */
export interface PullOptions {
  /** os/arch[/variant] picked from an index (default linux/amd64). */
  platform?: string;
  extract?: boolean;
  limits?: Partial<ExtractLimits>;
  /** Where extraction is staged (a fresh folder below it, removed afterwards). */
  workDir: string;
  signal?: AbortSignal;
  /** Bytes fetched so far (the layers count twice with `extract`: once extracted, once written). */
  onProgress?: ProgressListener;
  progressIntervalMs?: number;
}

/** A pull of a reference string, over a client of its own. */
export interface PullArtifactOptions extends PullOptions {
  connection?: RegistryConnection;
}

/** What a pull wrote. */
export interface PullResult {
  /** Digest of what the reference named (an index for multi-platform images). */
  digest: string;
  /** The image manifest written (the platform's, for an index). */
  manifestDigest: string;
  mediaType: string;
  /** The platform chosen from an index, when there was one. */
  platform?: string;
  files: ExtractedFile[];
  blobsWritten: number;
  location: string;
  /** Signatures, attestations, SBOMs and other referrers of the manifest, written into the layout with it. */
  referrers: PulledReferrer[];
}

/** An opened destination: the S3 client, when there is one, lives as long as the pull. */
type OpenedDestination =
  { kind: "directory"; path: string } | { kind: "s3"; client: S3Client; bucket: string; prefix: string };

async function publishTree(
  staged: string,
  files: ExtractedFile[],
  dest: OpenedDestination,
  signal?: AbortSignal,
): Promise<void> {
  if (dest.kind === "directory") {
    const target = join(dest.path, "extracted");
    const old = `${target}.old-${randomBytes(4).toString("hex")}`;
    await rename(target, old).catch(() => undefined);
    await rename(staged, target);
    await rm(old, { recursive: true, force: true });
    return;
  }
  const base = `${dest.prefix.replace(/\/+$/, "")}/extracted/`;
  const keep = new Set<string>();
  for (const f of files.filter((x) => x.type === "file")) {
    const key = `${base}${f.path}`;
    keep.add(key);
    await uploadStream({
      client: dest.client,
      bucket: dest.bucket,
      key,
      body: createReadStream(join(staged, f.path)),
      signal,
    });
  }
  // Keys of an older artifact that this one does not have.
  for (const stale of (await listPrefix(dest.client, dest.bucket, base, { signal })).filter((o) => !keep.has(o.key))) {
    await deletePrefix(dest.client, dest.bucket, stale.key, { signal });
  }
}

/**
 * Writes the picked manifest, its config and layers as an OCI layout named `title`, then its referrers
 * (pull-referrers.ts); returns the blobs written and the referrers carried.
 */
async function writeLayout(
  repo: Repository,
  picked: SelectedManifest,
  target: { title: string; dest: OpenedDestination; progress: ProgressTracker },
  signal?: AbortSignal,
): Promise<{ blobsWritten: number; referrers: PulledReferrer[] }> {
  const { title, dest, progress } = target;
  const writer =
    dest.kind === "directory"
      ? OciLayoutWriter.toDirectory(dest.path)
      : new OciLayoutWriter(
          new S3LayoutStore({ client: dest.client, bucket: dest.bucket, prefix: dest.prefix.replace(/\/+$/, "") }),
        );
  let blobsWritten = 0;
  for (const blob of [picked.manifest.config, ...picked.manifest.layers]) {
    if (await writer.writeBlob(blob, () => streamOf(repo, blob, counter(blob.digest, progress), signal), signal))
      blobsWritten++;
    else progress.finish(blob.digest);
  }
  await writer.writeBlobBytes(Buffer.from(picked.bytes), signal);
  writer.addManifest({
    mediaType: picked.descriptor.mediaType,
    digest: picked.descriptor.digest,
    size: picked.descriptor.size,
    annotations: { "org.opencontainers.image.ref.name": title, ...COSIGN_IMAGE_ANNOTATIONS },
  });
  const carried = await carryReferrers(
    repo,
    picked.descriptor.digest,
    {
      blob: (blob) => writer.writeBlob(blob, () => streamOf(repo, blob, new PassThrough(), signal), signal),
      bytes: async (bytes) => {
        const digest = digestOf(bytes);
        return writer.writeBlob({ digest, size: bytes.length }, () => Readable.from([bytes]), signal);
      },
      list: (desc) => writer.addManifest(desc),
    },
    signal,
  );
  await writer.finish(signal);
  return { blobsWritten: blobsWritten + carried.blobsWritten, referrers: carried.referrers };
}

async function pullInto(
  repo: Repository,
  reference: { tag?: string; digest?: string },
  dest: OpenedDestination,
  options: PullOptions,
): Promise<PullResult> {
  const signal = options.signal;
  const staging = join(options.workDir, `pull-${randomBytes(6).toString("hex")}`);
  try {
    const picked = await selectManifest(
      repo,
      reference.digest ?? reference.tag ?? "latest",
      options.platform ?? "linux/amd64",
      signal,
    );
    const progress = expectedProgress(picked, options);
    let files: ExtractedFile[] = [];
    const staged = join(staging, "tree");
    if (options.extract) {
      await mkdir(staging, { recursive: true });
      const layers = layersToExtract(repo, picked.manifest).map((l, i) => ({
        ...l,
        open: async (s?: AbortSignal) => through(await l.open(s), counter(`extract:${i}`, progress)),
      }));
      files = (await extractLayers(layers, staged, { ...options.limits, signal })).files;
    }
    const { blobsWritten, referrers } = await writeLayout(
      repo,
      picked,
      { title: reference.tag ?? picked.descriptor.digest, dest, progress },
      signal,
    );
    progress.flush();
    if (options.extract) await publishTree(staged, files, dest, signal);
    const location = dest.kind === "directory" ? dest.path : `s3://${dest.bucket}/${dest.prefix}`;
    return {
      digest: picked.top.digest,
      manifestDigest: picked.descriptor.digest,
      mediaType: picked.top.mediaType,
      platform: picked.platform,
      files,
      blobsWritten,
      location,
      referrers,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Pulls `reference` (a tag or digest of `repo`) into `dest`; see the file comment. An S3 destination's client is
 * opened first (an endpoint the policy refuses fails before any registry request) and closed at the end.
 */
export async function pullFromRepository(
  repo: Repository,
  reference: { tag?: string; digest?: string },
  dest: PullDestination,
  options: PullOptions,
): Promise<PullResult> {
  if (dest.kind === "directory") return pullInto(repo, reference, dest, options);
  const lease = leaseS3Client(dest.connection);
  try {
    const s3 = { kind: "s3", client: lease.value, bucket: dest.bucket, prefix: dest.prefix } as const;
    return await pullInto(repo, reference, s3, options);
  } finally {
    await lease.release();
  }
}

/** Pulls `reference` (`registry/repository:tag` or `@sha256:...`) into `dest` over a client of its own. */
export async function pullArtifact(
  reference: string,
  dest: PullDestination,
  options: PullArtifactOptions,
): Promise<PullResult> {
  const opened = openRepositoryOf(reference, options.connection ?? {});
  try {
    return await pullFromRepository(opened.repository, opened.reference, dest, options);
  } finally {
    await opened.close();
  }
}

/** The tracker of one pull, told every blob's size up front so the total never grows. */
function expectedProgress(picked: SelectedManifest, options: PullOptions): ProgressTracker {
  const progress = new ProgressTracker(options.onProgress, options.progressIntervalMs);
  // Without a layer selector every layer is extracted, in order.
  if (options.extract) picked.manifest.layers.forEach((l, i) => progress.expect(`extract:${i}`, l.size));
  for (const blob of [picked.manifest.config, ...picked.manifest.layers]) progress.expect(blob.digest, blob.size);
  return progress;
}

/** A pass-through that reports the bytes of blob `id` flowing through it. */
function counter(id: string, progress: ProgressTracker): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done): void {
      bytes += chunk.length;
      progress.update(id, bytes);
      done(null, chunk);
    },
    flush(done): void {
      progress.finish(id);
      done();
    },
  });
}

/** `body` piped into `out`, its errors too. */
function through(body: Readable, out: Transform): Transform {
  return body.on("error", (e) => out.destroy(e)).pipe(out);
}

/** A blob's verified byte stream, through `out`, as a Readable the layout writer can consume synchronously. */
function streamOf(repo: Repository, blob: Descriptor, out: Transform, signal?: AbortSignal): Readable {
  repo
    .blobs()
    .fetch(blob, { signal })
    .then(
      (body) => through(body, out),
      (err: unknown) => out.destroy(err as Error),
    );
  return out;
}
