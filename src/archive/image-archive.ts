// Opening an image archive: sniff gzip wrapping, index the members, tell the format (OCI layout, Docker 25+
// OCI layout with manifest.json, legacy docker save) and list its images.
import { InvalidArchiveError } from "./errors.ts";
import { sniffCompression } from "./compression.ts";
import { IndexedMembers, type ArchiveMembers } from "./archive-members.ts";
import { SequentialMembers } from "./archive-members-sequential.ts";
import { readDockerArchive, readDockerManifest } from "./docker-archive.ts";
import { readOciLayout } from "./oci-layout-archive.ts";
import { streamMemberBlobs } from "./archive-blob.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import type {
  ArchiveBlob,
  ArchiveImage,
  ArchiveIndex,
  BlobOpenOptions,
  BlobVisitor,
  ImageArchive,
} from "./image-types.ts";

/** Options of {@link openImageArchive}. */
export interface OpenArchiveOptions {
  signal?: AbortSignal;
  /** Most members an archive may have (default 100,000). */
  maxEntries?: number;
}

/** What an opened archive is made of. */
interface ArchiveParts {
  members: ArchiveMembers;
  etag: string | undefined;
  format: "docker-archive" | "oci-archive";
  images: ArchiveImage[];
  indexes: ArchiveIndex[];
}

class OpenedArchive implements ImageArchive {
  readonly format: "docker-archive" | "oci-archive";
  readonly wrapping: "none" | "gzip";
  readonly description: string;
  readonly etag: string | undefined;
  readonly images: ArchiveImage[];
  readonly indexes: ArchiveIndex[];
  readonly #members: ArchiveMembers;

  constructor({ members, etag, format, images, indexes }: ArchiveParts) {
    this.#members = members;
    this.wrapping = members.wrapping;
    this.description = members.description;
    this.etag = etag;
    this.format = format;
    this.images = images;
    this.indexes = indexes;
  }

  streamBlobs(blobs: readonly ArchiveBlob[], visit: BlobVisitor, options?: BlobOpenOptions): Promise<void> {
    return streamMemberBlobs(this.#members, blobs, visit, options);
  }

  close(): Promise<void> {
    return this.#members.close();
  }
}

/**
 * Names the OCI images with the same config by manifest.json's RepoTags (Docker 25+); for the child of an index
 * (a multi-platform save) the top-level index holding it, so the index is what gets the names. The RepoTags replace
 * the layout's own names, which spell the same references again (`io.containerd.image.name`
 * `docker.io/library/app:1`, ref name `1`): `docker load` tags by RepoTags, and so does the import.
 */
async function mergeRepoTags(
  members: ArchiveMembers,
  contents: { images: ArchiveImage[]; indexes: ArchiveIndex[] },
  signal?: AbortSignal,
): Promise<void> {
  const manifestJson = members.lookup("manifest.json");
  if (!manifestJson) return;
  const named = new Set<ArchiveImage | ArchiveIndex>();
  for (const entry of await readDockerManifest(members, manifestJson, signal)) {
    if (entry.repoTags.length === 0) continue;
    for (const image of contents.images) {
      if (!entry.config.endsWith(image.config.digest.replace(":", "/"))) continue;
      const top = image.parents[0];
      const holder = top ? contents.indexes.find((i) => i.document.digest === top.digest) : image;
      if (!holder) continue;
      holder.names = [...new Set([...entry.repoTags, ...(named.has(holder) ? holder.names : [])])];
      named.add(holder);
    }
  }
}

async function readImages(
  members: ArchiveMembers,
  etag: string | undefined,
  signal?: AbortSignal,
): Promise<ImageArchive> {
  const index = members.lookup("index.json");
  if (index) {
    const { images, indexes } = await readOciLayout(members, index, signal);
    await mergeRepoTags(members, { images, indexes }, signal);
    return new OpenedArchive({ members, etag, format: "oci-archive", images, indexes });
  }
  const manifest = members.lookup("manifest.json");
  if (!manifest) {
    throw new InvalidArchiveError(
      `${members.description}: not an image archive: neither manifest.json (docker-archive) nor index.json (OCI layout) found`,
      "MISSING_MANIFEST",
    );
  }
  return new OpenedArchive({
    members,
    etag,
    format: "docker-archive",
    images: await readDockerArchive(members, manifest, signal),
    indexes: [],
  });
}

/**
 * Opens the image archive in `source` (plain or gzip-wrapped tar) and lists its images. Reads tar headers and
 * metadata only; blob bodies are read later through the returned archive. Takes ownership of `source`.
 */
export async function openImageArchive(
  source: RandomAccessSource,
  options: OpenArchiveOptions = {},
): Promise<ImageArchive> {
  let members: ArchiveMembers | undefined;
  try {
    if (source.size === 0) throw new InvalidArchiveError(`${source.description}: empty archive`, "TRUNCATED");
    const head = await source.read(0, Math.min(4, source.size), options.signal);
    const compression = sniffCompression(head);
    if (compression === "zstd")
      throw new InvalidArchiveError(
        `${source.description}: zstd-wrapped archives are not supported`,
        "UNSUPPORTED_WRAPPING",
      );
    const limits = {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.maxEntries ? { maxEntries: options.maxEntries } : {}),
    };
    members =
      compression === "gzip" ? await SequentialMembers.open(source, limits) : await IndexedMembers.open(source, limits);
    return await readImages(members, source.etag, options.signal);
  } catch (err) {
    await (members ?? source).close();
    throw err;
  }
}
