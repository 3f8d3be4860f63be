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
import { pushUnit, type BeforeTagHook, type ImportedImage, type PushedManifest } from "./import-unit.ts";
import { archiveContents, type ImportUnit } from "./import-units.ts";
import { ProgressTracker, type ProgressListener } from "./progress.ts";

export interface ImportArchiveOptions {
  /** Where the images go (registry host, repository / tags, or a prefix keeping RepoTags). */
  destination: DestinationSpec;
  /** Select / rename images of a multi-image archive. */
  images?: readonly ImageSelection[];
  /** Keep only these platforms (`os/arch[/variant]`) of an index: a reduced index, with a new digest, is pushed. */
  platforms?: readonly string[];
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
  /**
   * Called once per image or index after its content and every referrer the archive holds for it are pushed, and
   * before any of its tags is written (signature verification goes here); a throw leaves it untagged.
   */
  beforeTag?: BeforeTagHook;
}

export type { ImportedImage, BeforeTagHook, UnitReadyToTag } from "./import-unit.ts";

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

/** Pushes the parts of an archive into one registry, sharing its blob bookkeeping across them. */
export class Importer {
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

  /** Pushes one image's content for `plan` (no tags); `pushed` is absent when every tag already names it. */
  async push(image: ArchiveImage, plan: ImagePlan): Promise<{ image: ImportedImage; pushed?: PushedManifest }> {
    const mode = this.#options.layerCompression ?? "preserve";
    const plans = image.layers.map((l) => planLayer(l.compression, mode));
    const references = plan.targets.map((t) => `${t.registry}/${t.repository}:${t.tag}`);
    const existing = await this.#alreadyThere(image, plan, plans);
    if (existing) {
      for (const l of image.layers) this.#ctx.progress.finish(`${l.digest}:existing`, l.size);
      const { digest, mediaType, size } = existing;
      return { image: { source: plan.source, references, digest, mediaType, size, unchanged: true } };
    }
    const pushed = await this.pushImage(image, repositoriesOf(plan), mode);
    const { digest, mediaType, size } = pushed.descriptor;
    return { image: { source: plan.source, references, digest, mediaType, size, unchanged: false }, pushed };
  }

  /**
   * Layers, config and manifest (by digest, never a tag) of one image into every repository, siblings mounting the
   * first one's layers. `preserve` is forced for what an index or a referrer names by digest.
   */
  async pushImage(
    image: ArchiveImage,
    repositories: readonly string[],
    mode?: LayerCompressionMode,
  ): Promise<PushedManifest> {
    const plans = image.layers.map((l) =>
      planLayer(l.compression, mode ?? this.#options.layerCompression ?? "preserve"),
    );
    const primary = this.#repo(repositories[0] ?? "");
    const layers = await this.#uploadLayers(primary, image, plans, pushFormat(image, this.#archive, plans));
    const manifest = manifestFor(image, this.#archive, plans, layers);
    const configDesc: Descriptor = {
      mediaType: configMediaType(manifest.format),
      digest: toDigest(image.config.digest),
      size: image.config.size,
    };
    for (const name of repositories) {
      const repo = this.#repo(name);
      // Sibling repositories get every blob by mount (or skip) from the primary one.
      if (repo !== primary) for (const l of layers) await copyBytesOrMount(repo, l, this.#ctx, primary.name);
      await copyBytes(repo, configDesc, image.config.bytes, this.#ctx);
    }
    return this.pushManifest(repositories, manifest);
  }

  /** A manifest or index, byte-exact, by its digest into every repository. */
  async pushManifest(
    repositories: readonly string[],
    doc: { bytes: Buffer; mediaType: string },
  ): Promise<PushedManifest> {
    let descriptor: Descriptor | undefined;
    for (const name of repositories)
      descriptor = await this.#repo(name)
        .manifests()
        .push(digestOf(doc.bytes), doc.bytes, doc.mediaType, { signal: this.#ctx.signal });
    return { descriptor: descriptor as Descriptor, bytes: doc.bytes };
  }

  /** Writes the tags: the commit point, after everything they name (and what refers to it) is there. */
  async tag(targets: readonly { repository: string; tag: string }[], pushed: PushedManifest): Promise<void> {
    for (const target of targets)
      await this.#repo(target.repository)
        .manifests()
        .push(target.tag, pushed.bytes, pushed.descriptor.mediaType, { signal: this.#ctx.signal });
  }

  /** Makes a pushed referrer findable from its subject in every repository. */
  async register(repositories: readonly string[], subject: string, referrer: Descriptor): Promise<string> {
    let how = "";
    for (const name of repositories)
      how = await this.#repo(name).registerReferrer(subject, referrer, { signal: this.#ctx.signal });
    return how;
  }
}

/** The distinct repositories of a plan, in order. */
export function repositoriesOf(plan: ImagePlan): string[] {
  return [...new Set(plan.targets.map((t) => t.repository))];
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
    const contents = archiveContents(archive);
    const plans = planDestinations(
      contents.units.map((unit, index) => ({ index, names: unit.names })),
      options.destination,
      options.images,
    );
    const importer = new Importer(archive, client, options, signal);
    const images: ImportedImage[] = [];
    for (const plan of plans) {
      const unit = contents.units[plan.index] as ImportUnit;
      const beforeTag = options.beforeTag;
      const extra = {
        ...(beforeTag ? { beforeTag } : {}),
        ...(options.platforms ? { platforms: options.platforms } : {}),
      };
      const done = await pushUnit(importer, contents, { unit, plan, signal, ...extra });
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
