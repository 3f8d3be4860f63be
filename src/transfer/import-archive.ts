// importArchive: an image archive (docker save or OCI layout, plain or gzip-wrapped) streamed from a random-access
// source (a file, an S3 object) straight into a registry. Per image: layers (bounded concurrency, HEAD-skip, mount,
// digest checked while they flow) → config → manifest by digest → tags last, so a tag never names content that
// failed verification. Nothing is held in memory beyond a few chunk buffers, and nothing touches the disk.
import type { Readable } from "node:stream";
import { openImageArchive } from "../archive/image-archive.ts";
import type { ArchiveBlob, ArchiveImage, ImageArchive } from "../archive/image-types.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import type { RegistryClient } from "../oci/client.ts";
import { digestOf, toDigest } from "../ocispec/digest.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { Repository } from "../oci/repository.ts";
import { openRegistryClient, type RegistryConnection } from "./connection.ts";
import {
  copyBytes,
  copyLayer,
  emptyStats,
  sharedBlobs,
  type CopyContext,
  type CopyStats,
  type SharedBlobs,
} from "./blob-copy.ts";
import { planDestinations, type DestinationSpec, type ImagePlan, type ImageSelection } from "./destinations.ts";
import {
  buildImageManifest,
  configMediaType,
  manifestFormat,
  planLayer,
  type LayerCompressionMode,
  type LayerPlan,
  type ManifestFormat,
} from "./layer-plan.ts";
import { forEachBounded } from "./pool.ts";
import { ProgressTracker, type ProgressListener } from "./progress.ts";

export interface ImportArchiveOptions {
  /** Where the images go (registry host, repository / tags, or a prefix keeping RepoTags). */
  destination: DestinationSpec;
  /** Select / rename images of a multi-image archive. */
  images?: readonly ImageSelection[];
  /** How the registry is reached (TLS, credentials, endpoint policy, request hook). */
  connection?: RegistryConnection;
  layerCompression?: LayerCompressionMode;
  /** Layers uploaded at once (default 3). */
  concurrency?: number;
  /** PATCH size (default 64 MiB streamed from a re-readable archive, 4 MiB held in memory otherwise). */
  chunkSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  progressIntervalMs?: number;
  /** Blobs placed / being uploaded by other imports into the same registry (the operator shares one per registry). */
  shared?: SharedBlobs;
  /** Called as each image is fully pushed (all its tags). */
  onImage?: (image: ImportedImage) => void;
}

export interface ImportedImage {
  /** How the archive names the image (its first RepoTag, or `#<index>`). */
  source: string;
  /** Every reference pushed, `registry/repository:tag`. */
  references: string[];
  digest: string;
  mediaType: string;
  size: number;
  /** True when every tag already named this content and nothing was pushed. */
  unchanged: boolean;
}

export interface ImportResult extends CopyStats {
  images: ImportedImage[];
  format: ImageArchive["format"];
  durationMs: number;
}

/** The stored manifest of an image whose every byte is preserved (pushed as is), else undefined. */
function storedManifest(image: ArchiveImage, plans: LayerPlan[]): ArchiveImage["manifest"] | undefined {
  return image.manifest && plans.every((p) => p.action === "copy") ? image.manifest : undefined;
}

/** The format an image is pushed in: its stored manifest's when kept, else the one its layers allow. */
function pushFormat(image: ArchiveImage, archive: ImageArchive, plans: LayerPlan[]): ManifestFormat {
  const stored = storedManifest(image, plans);
  if (stored) return stored.mediaType.includes("docker") ? "docker" : "oci";
  return formatOf(archive, plans);
}

/** The manifest an image is pushed with: its stored one when every byte is preserved, else a built one. */
function manifestFor(
  image: ArchiveImage,
  archive: ImageArchive,
  plans: LayerPlan[],
  layers: Descriptor[],
): { bytes: Buffer; mediaType: string; format: ManifestFormat } {
  const stored = storedManifest(image, plans);
  const format = pushFormat(image, archive, plans);
  if (stored) return { bytes: stored.bytes, mediaType: stored.mediaType, format };
  const config = { mediaType: configMediaType(format), digest: image.config.digest, size: image.config.size };
  return { ...buildImageManifest(format, config, layers), format };
}

function formatOf(archive: ImageArchive, plans: LayerPlan[]): ManifestFormat {
  return manifestFormat(
    archive.format === "docker-archive" ? "docker" : "oci",
    plans.map((p) => p.to),
  );
}

class Importer {
  readonly #archive: ImageArchive;
  readonly #client: RegistryClient;
  readonly #options: ImportArchiveOptions;
  readonly #ctx: CopyContext;
  readonly #repos = new Map<string, Repository>();

  constructor(archive: ImageArchive, client: RegistryClient, options: ImportArchiveOptions, signal: AbortSignal) {
    this.#archive = archive;
    this.#client = client;
    this.#options = options;
    this.#ctx = {
      stats: emptyStats(),
      progress: new ProgressTracker(options.onProgress, options.progressIntervalMs),
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      signal,
      ...(options.shared ?? sharedBlobs()),
    };
  }

  get stats(): CopyStats {
    return this.#ctx.stats;
  }

  flush(): void {
    this.#ctx.progress.flush();
  }

  #repo(name: string): Repository {
    let repo = this.#repos.get(name);
    if (!repo) {
      repo = new Repository(this.#client, name);
      this.#repos.set(name, repo);
    }
    return repo;
  }

  /** True when every target tag already names a manifest of this image's config with the planned layer types. */
  async #alreadyThere(image: ArchiveImage, plan: ImagePlan, plans: LayerPlan[]): Promise<Descriptor | undefined> {
    let found: Descriptor | undefined;
    for (const target of plan.targets) {
      const repo = this.#repo(target.repository);
      let fetched;
      try {
        fetched = await repo.manifests().fetch(target.tag, { signal: this.#ctx.signal });
      } catch {
        return undefined;
      }
      const m = fetched.manifest;
      if (!("config" in m) || m.config.digest !== image.config.digest || m.layers.length !== plans.length)
        return undefined;
      if (found && found.digest !== fetched.descriptor.digest) return undefined;
      found = fetched.descriptor;
    }
    return found;
  }

  async #uploadLayers(
    repo: Repository,
    image: ArchiveImage,
    plans: LayerPlan[],
    format: ManifestFormat,
  ): Promise<Descriptor[]> {
    const out: Descriptor[] = new Array<Descriptor>(image.layers.length);
    const indexed = image.layers.map((blob, i) => ({ blob, i }));
    if (this.#archive.wrapping === "gzip") {
      // One decompression pass for all blobs: layers go one at a time in archive order.
      const done = new Set<number>();
      await this.#archive.streamBlobs(
        image.layers,
        async (blob: ArchiveBlob, body: Readable) => {
          for (const x of indexed.filter((y) => y.blob.digest === blob.digest)) {
            if (done.has(x.i)) continue;
            let used = false;
            const once = (): Readable => {
              if (used) throw new Error(`cannot restart layer ${blob.digest} of a gzip-wrapped archive mid-stream`);
              used = true;
              return body;
            };
            out[x.i] = await copyLayer(
              repo,
              { blob, plan: plans[x.i] as LayerPlan, format, source: { open: once, reopenable: false } },
              this.#ctx,
            );
            done.add(x.i);
            if (!used) body.resume();
          }
        },
        { signal: this.#ctx.signal },
      );
      return out;
    }
    await forEachBounded(indexed, this.#options.concurrency ?? 3, this.#ctx.signal, async ({ blob, i }, signal) => {
      const source = { open: (offset: number) => blob.open({ signal, offset }), reopenable: true };
      out[i] = await copyLayer(repo, { blob, plan: plans[i] as LayerPlan, format, source }, { ...this.#ctx, signal });
    });
    return out;
  }

  /** Pushes one image under every planned reference; tags last. */
  async push(image: ArchiveImage, plan: ImagePlan): Promise<ImportedImage> {
    const mode = this.#options.layerCompression ?? "preserve";
    const plans = image.layers.map((l) => planLayer(l.compression, mode));
    const references = plan.targets.map((t) => `${t.registry}/${t.repository}:${t.tag}`);
    const existing = await this.#alreadyThere(image, plan, plans);
    if (existing) {
      for (const l of image.layers) this.#ctx.progress.finish(`${l.digest}:existing`, l.size);
      return {
        source: plan.source,
        references,
        digest: existing.digest,
        mediaType: existing.mediaType,
        size: existing.size,
        unchanged: true,
      };
    }
    const primary = this.#repo(plan.targets[0]?.repository ?? "");
    const layers = await this.#uploadLayers(primary, image, plans, pushFormat(image, this.#archive, plans));
    const manifest = manifestFor(image, this.#archive, plans, layers);
    const desc = await this.#pushManifest(image, plan, { primary, layers, manifest });
    return {
      source: plan.source,
      references,
      digest: desc.digest,
      mediaType: manifest.mediaType,
      size: desc.size,
      unchanged: false,
    };
  }

  /** Config and manifest (by digest) into every planned repository, siblings mounting the primary's layers; tags last. */
  async #pushManifest(
    image: ArchiveImage,
    plan: ImagePlan,
    pushed: {
      primary: Repository;
      layers: Descriptor[];
      manifest: { bytes: Buffer; mediaType: string; format: ManifestFormat };
    },
  ): Promise<Descriptor> {
    const { primary, layers, manifest } = pushed;
    const configDesc: Descriptor = {
      mediaType: configMediaType(manifest.format),
      digest: toDigest(image.config.digest),
      size: image.config.size,
    };
    const repositories = [...new Set(plan.targets.map((t) => t.repository))];
    let desc: Descriptor | undefined;
    for (const name of repositories) {
      const repo = this.#repo(name);
      // Sibling repositories get every blob by mount (or skip) from the primary one.
      if (repo !== primary) for (const l of layers) await copyBytesOrMount(repo, l, this.#ctx, primary.name);
      await copyBytes(repo, configDesc, image.config.bytes, this.#ctx);
      desc = await repo
        .manifests()
        .push(digestOf(manifest.bytes), manifest.bytes, manifest.mediaType, { signal: this.#ctx.signal });
    }
    for (const target of plan.targets) {
      await this.#repo(target.repository)
        .manifests()
        .push(target.tag, manifest.bytes, manifest.mediaType, { signal: this.#ctx.signal });
    }
    return desc as Descriptor;
  }
}

async function copyBytesOrMount(repo: Repository, layer: Descriptor, ctx: CopyContext, from: string): Promise<void> {
  if (await repo.blobs().exists(layer.digest, { signal: ctx.signal })) {
    ctx.stats.blobsSkipped++;
    return;
  }
  if (await repo.blobs().mount(layer.digest, from, { signal: ctx.signal })) {
    ctx.stats.blobsMounted++;
    return;
  }
  throw new Error(`failed to mount ${layer.digest} from ${from} into ${repo.name}`);
}

/** Imports every (selected) image of the archive in `source` into the destination registry. */
export async function importArchive(source: RandomAccessSource, options: ImportArchiveOptions): Promise<ImportResult> {
  const started = Date.now();
  const signal = options.signal ?? new AbortController().signal;
  const archive = await openImageArchive(source, { signal });
  const client = openRegistryClient(options.destination.registry, options.connection ?? {});
  try {
    const plans = planDestinations(
      archive.images.map((image, index) => ({ index, names: image.names })),
      options.destination,
      options.images,
    );
    const importer = new Importer(archive, client, options, signal);
    const images: ImportedImage[] = [];
    for (const plan of plans) {
      const image = archive.images[plan.index] as ArchiveImage;
      const done = await importer.push(image, plan);
      images.push(done);
      options.onImage?.(done);
    }
    importer.flush();
    return { images, format: archive.format, durationMs: Date.now() - started, ...importer.stats };
  } finally {
    await client.close();
    await archive.close();
  }
}
