// The small interfaces every place content can live implements (a registry repository, an OCI image layout, an
// archive), after oras-go's `content` package, so the transfer layer copies between any two of them.
import type { Readable } from "node:stream";
import type { Descriptor } from "./descriptor.ts";
import type { Digest } from "./digest.ts";

/** Per-call options: every external call takes a signal and a time limit. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Opens the blob's bytes from an offset; called again to restart an upload. */
export type BlobSource = (offset: number) => Readable;

/** What the caller knows about a blob to push; a missing digest or size is computed while pushing. */
export interface PushDescriptor {
  mediaType?: string;
  digest?: Digest;
  size?: number;
}

/** How to push a blob. */
export interface PushOptions extends CallOptions {
  /**
   * Bytes per request, raised to the registry's `OCI-Chunk-Min-Length` (default 64 MiB streamed, 4 MiB in
   * memory). In memory, blobs that fit in one chunk go in one request.
   */
  chunkSize?: number;
  /** True when `source(offset)` really starts at `offset` and may be called again: the blob is streamed. */
  reopenable?: boolean;
  /** Bytes the destination has committed; never goes backwards. */
  onProgress?: (committed: number) => void;
  /** Restarts of the whole blob after a lost session (default 3). */
  maxRestarts?: number;
  /** Resume attempts within one chunk after failures (default 5). */
  maxResumes?: number;
}

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
