// The shapes an opened image archive is described with: images with their names, config, layers and (for OCI
// layouts) manifests and enclosing indexes. Shared by the per-format readers and the transfer layer.
import type { Readable } from "node:stream";
import type { Digest } from "../ocispec/digest.ts";
import type { Platform } from "../ocispec/platform.ts";
import type { Compression } from "./compression.ts";

/** A small document (manifest, index, config) held in memory, its digest checked against its bytes. */
export interface ArchiveDocument {
  digest: Digest;
  mediaType: string;
  size: number;
  bytes: Buffer;
}

/** Options of {@link ArchiveBlob.open}. */
export interface BlobOpenOptions {
  signal?: AbortSignal;
  /** Also hash the bytes and fail the stream at its end on a digest mismatch (size is always checked). */
  verifyDigest?: boolean;
  /** Start this many bytes into the blob (a resumed upload); the digest is not checked then, only the size. */
  offset?: number;
}

/** A layer blob in the archive: what it should be, and a way to read it. */
export interface ArchiveBlob {
  /** The digest the bytes must hash to (checked when streamed with `verifyDigest`, or by the consumer). */
  digest: Digest;
  size: number;
  mediaType: string;
  /** Sniffed from the first bytes, whatever the media type claims. */
  compression: Compression;
  /** The uncompressed digest from the config's `rootfs.diff_ids`, when known. */
  diffId?: Digest;
  annotations: Record<string, string>;
  /** The member holding the bytes (for messages). */
  member: string;
  /**
   * The blob's bytes; the stream errors if their count differs from `size`. For a gzip-wrapped archive every
   * call is a decompression pass up to the blob: prefer {@link ImageArchive.streamBlobs}.
   */
  open(options?: BlobOpenOptions): Readable;
}

/** One image (one manifest) in the archive. */
export interface ArchiveImage {
  /** References as recorded in the archive (RepoTags, ref-name annotations); may be empty. */
  names: string[];
  /** The stored manifest (OCI layouts); absent for docker-archive, whose manifest the consumer builds. */
  manifest?: ArchiveDocument;
  config: ArchiveDocument;
  layers: ArchiveBlob[];
  platform?: Platform;
  /** Enclosing indexes, outermost first (multi-arch images), empty for a top-level image. */
  parents: ArchiveDocument[];
  /** The annotations of its index.json entry (top-level manifests of OCI layouts only). */
  annotations?: Record<string, string>;
}

/** An index (multi-arch manifest list) of an OCI layout, with its names (top-level ones only have names). */
export interface ArchiveIndex {
  names: string[];
  document: ArchiveDocument;
  /** Enclosing indexes, outermost first; empty for an index listed in index.json. */
  parents: ArchiveDocument[];
  /** The annotations of its index.json entry (top-level indexes only). */
  annotations?: Record<string, string>;
}

/** Called with each blob's verified byte stream; must consume it before resolving. */
export type BlobVisitor = (blob: ArchiveBlob, body: Readable) => Promise<void>;

/** An opened image archive. */
export interface ImageArchive {
  readonly format: "docker-archive" | "oci-archive";
  /** "gzip" when the whole archive was gzip-wrapped. */
  readonly wrapping: "none" | "gzip";
  readonly description: string;
  /** The source object's version (S3 ETag), when it has one. */
  readonly etag: string | undefined;
  /** Every image manifest, top-level ones and the children of indexes. */
  readonly images: ArchiveImage[];
  /** Every index, top-level and nested (see {@link ArchiveIndex.parents}). */
  readonly indexes: ArchiveIndex[];
  /**
   * Streams each distinct blob (by digest) once, in archive order, size-checked (and digest-checked with
   * `verifyDigest`); one pass even for gzip-wrapped archives. Stops at the first error thrown by `visit`.
   */
  streamBlobs(blobs: readonly ArchiveBlob[], visit: BlobVisitor, options?: BlobOpenOptions): Promise<void>;
  close(): Promise<void>;
}
