/**
 * Small interfaces shared by every place content can live (a registry repository, an OCI image layout, an
 * archive), after oras-go's `content` package: the transfer layer copies between any two of them.
 */
import type { Readable } from "node:stream";
import type { CallOptions } from "./client.ts";
import type { Digest } from "./digest.ts";
import type { Descriptor } from "./manifest.ts";
import type { BlobSource, PushDescriptor, PushOptions } from "./upload.ts";

/** Reads content by descriptor; the stream fails if the bytes do not match the descriptor. */
export interface Fetcher {
  fetch(desc: Descriptor, options?: CallOptions): Promise<Readable>;
}

/** Stores content from a restartable source; returns the stored descriptor (digest computed when not given). */
export interface Pusher {
  push(expected: PushDescriptor, source: BlobSource, options?: PushOptions): Promise<Descriptor>;
}

/** Tells whether content is present, with its descriptor. */
export interface Exists {
  exists(digest: Digest | string, options?: CallOptions): Promise<Descriptor | undefined>;
}

/** Read-only content (an archive). */
export interface ReadOnlyStorage extends Fetcher, Exists {}

/** Read-write content addressed by digest. */
export interface BlobStorage extends Fetcher, Pusher, Exists {}

/** Manifest bytes together with what they are. */
export interface ManifestContent {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** Resolves a tag (or digest) to a descriptor. */
export interface Resolver {
  resolve(reference: string, options?: CallOptions): Promise<Descriptor>;
}

/** Where manifests live: by tag or digest, read, write and resolve. */
export interface ManifestTarget extends Resolver {
  fetchContent(reference: string | Descriptor, options?: CallOptions): Promise<ManifestContent>;
  pushContent(reference: string, bytes: Uint8Array, mediaType: string, options?: CallOptions): Promise<Descriptor>;
  exists(digest: Digest | string, options?: CallOptions): Promise<Descriptor | undefined>;
}
