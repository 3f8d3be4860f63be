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
import { PassThrough, type Readable } from "node:stream";
import { extractLayers, type ExtractedFile, type ExtractLimits, type LayerToExtract } from "../archive/extract.ts";
import { OciLayoutWriter } from "../archive/layout-writer.ts";
import { RegistryClient, type ClientOptions } from "../oci/client.ts";
import { InvalidInputError } from "../oci/errors.ts";
import type { Descriptor, ImageManifest } from "../oci/manifest.ts";
import { parseReference } from "../oci/reference.ts";
import { Repository } from "../oci/repository.ts";
import { deletePrefix, listPrefix, uploadStream } from "../storage/s3-sink.ts";

export type PullDestination = { kind: "directory"; path: string } | { kind: "s3"; client: S3Client; bucket: string; prefix: string };

export interface PullArtifactOptions {
  connection?: Omit<ClientOptions, "registry">;
  /** os/arch[/variant] picked from an index (default linux/amd64). */
  platform?: string;
  extract?: boolean;
  limits?: Partial<ExtractLimits>;
  /** Where extraction is staged (a fresh folder below it, removed afterwards). */
  workDir: string;
  signal?: AbortSignal;
}

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
}

function platformText(p: { os: string; architecture: string; variant?: string } | undefined): string {
  return p ? `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}` : "?";
}

/** The image manifest of `reference`: itself, or the entry of its index matching `platform`. */
export async function resolvePlatformManifest(
  repo: Repository,
  reference: string,
  platform: string,
  signal?: AbortSignal,
): Promise<{ top: Descriptor; manifest: ImageManifest; descriptor: Descriptor; bytes: Uint8Array; platform?: string }> {
  const top = await repo.manifests().fetch(reference, signal ? { signal } : {});
  if (top.manifest.kind === "manifest") return { top: top.descriptor, manifest: top.manifest, descriptor: top.descriptor, bytes: top.bytes };
  const [os, architecture, variant] = platform.split("/");
  const match = top.manifest.manifests.find((d) => d.platform?.os === os && d.platform?.architecture === architecture && (!variant || d.platform?.variant === variant));
  if (!match) {
    const have = top.manifest.manifests.map((d) => platformText(d.platform)).join(", ");
    throw new InvalidInputError(`${reference} is an index with no manifest for ${platform} (it has: ${have || "none"})`, "PLATFORM_NOT_FOUND");
  }
  const inner = await repo.manifests().fetch(match, signal ? { signal } : {});
  if (inner.manifest.kind !== "manifest") throw new InvalidInputError(`manifest ${match.digest} for ${platform} is a nested index`, "MANIFEST_INVALID");
  return { top: top.descriptor, manifest: inner.manifest, descriptor: inner.descriptor, bytes: inner.bytes, platform };
}

function layersOf(repo: Repository, manifest: ImageManifest): LayerToExtract[] {
  return manifest.layers.map((l) => ({
    open: (signal?: AbortSignal) => repo.blobs().fetch(l, signal ? { signal } : {}),
    mediaType: l.mediaType,
    ...(l.annotations ? { annotations: l.annotations } : {}),
  }));
}

async function publishTree(staged: string, files: ExtractedFile[], dest: PullDestination, signal?: AbortSignal): Promise<void> {
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
    await uploadStream(dest.client, dest.bucket, key, createReadStream(join(staged, f.path)), signal ? { signal } : {});
  }
  // Keys of an older artifact that this one does not have.
  for (const stale of (await listPrefix(dest.client, dest.bucket, base, signal ? { signal } : {})).filter((o) => !keep.has(o.key))) {
    await deletePrefix(dest.client, dest.bucket, stale.key, signal ? { signal } : {});
  }
}

/** Pulls `reference` (`registry/repository:tag` or `@sha256:...`) into `dest`; see the file comment. */
export async function pullArtifact(reference: string, dest: PullDestination, options: PullArtifactOptions): Promise<PullResult> {
  const ref = parseReference(reference);
  const client = new RegistryClient({ ...options.connection, registry: ref.registry });
  const repo = new Repository(client, ref.repository);
  const signal = options.signal;
  const staging = join(options.workDir, `pull-${randomBytes(6).toString("hex")}`);
  try {
    const picked = await resolvePlatformManifest(repo, ref.digest ?? ref.tag ?? "latest", options.platform ?? "linux/amd64", signal);
    let files: ExtractedFile[] = [];
    const staged = join(staging, "tree");
    if (options.extract) {
      await mkdir(staging, { recursive: true });
      files = (await extractLayers(layersOf(repo, picked.manifest), staged, { ...options.limits, ...(signal ? { signal } : {}) })).files;
    }
    const writer = dest.kind === "directory" ? OciLayoutWriter.toDirectory(dest.path) : OciLayoutWriter.toS3({ client: dest.client, bucket: dest.bucket, prefix: dest.prefix.replace(/\/+$/, "") });
    let blobsWritten = 0;
    for (const blob of [picked.manifest.config, ...picked.manifest.layers]) {
      if (await writer.writeBlob(blob, () => streamOf(repo, blob, signal), signal)) blobsWritten++;
    }
    await writer.writeBlobBytes(Buffer.from(picked.bytes), signal);
    const title = ref.tag ?? picked.descriptor.digest;
    writer.addManifest({ mediaType: picked.descriptor.mediaType, digest: picked.descriptor.digest, size: picked.descriptor.size, annotations: { "org.opencontainers.image.ref.name": title } });
    await writer.finish(signal);
    if (options.extract) await publishTree(staged, files, dest, signal);
    const location = dest.kind === "directory" ? dest.path : `s3://${dest.bucket}/${dest.prefix}`;
    return {
      digest: picked.top.digest,
      manifestDigest: picked.descriptor.digest,
      mediaType: picked.top.mediaType,
      ...(picked.platform ? { platform: picked.platform } : {}),
      files,
      blobsWritten,
      location,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await client.close();
  }
}

/** A blob's verified byte stream as a Readable the layout writer can consume synchronously. */
function streamOf(repo: Repository, blob: Descriptor, signal?: AbortSignal): Readable {
  const out = new PassThrough();
  repo.blobs().fetch(blob, signal ? { signal } : {}).then(
    (body) => body.on("error", (e) => out.destroy(e)).pipe(out),
    (err: unknown) => out.destroy(err as Error),
  );
  return out;
}
