// Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`) blob by blob from streams, to a
// LayoutStore: a local folder here, an S3 prefix in src/storage/s3-layout-store.ts. Each blob is checked (size and
// digest) while it flows and becomes visible only when complete; blobs already present with the right size are
// skipped; index.json is written last, so its presence means the layout is complete.
// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BlobVerifier } from "../ocispec/blob-verifier.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { blobPath, digestOf, type Digest } from "../ocispec/digest.ts";
import { OCI_INDEX } from "../ocispec/media-types.ts";
import { blobMismatch } from "./archive-blob.ts";

/** Where a layout's files go. Paths are "/"-separated and relative to the layout root. */
export interface LayoutStore {
  readonly description: string;
  /** The size of the file at `path`, or undefined when absent. */
  size(path: string, signal?: AbortSignal): Promise<number | undefined>;
  /** Writes `body` to `path`; the file appears only if the stream ends without error. */
  write(path: string, body: Readable, signal?: AbortSignal): Promise<void>;
}

/** A local folder as a LayoutStore (write to a temporary name, then rename). */
class DirectoryLayoutStore implements LayoutStore {
  readonly description: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.description = `layout ${root}`;
  }

  async size(path: string): Promise<number | undefined> {
    try {
      const st = await stat(join(this.#root, path));
      return st.isFile() ? st.size : undefined;
    } catch {
      return undefined;
    }
  }

  async write(path: string, body: Readable, signal?: AbortSignal): Promise<void> {
    const final = join(this.#root, path);
    await mkdir(dirname(final), { recursive: true });
    const tmp = join(dirname(final), `.tmp-${randomBytes(6).toString("hex")}`);
    try {
      await pipeline(body, createWriteStream(tmp, { flags: "wx" }), ...(signal ? [{ signal }] : []));
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

/** Builds an OCI layout in a LayoutStore. */
export class OciLayoutWriter {
  readonly #store: LayoutStore;
  readonly #manifests: Descriptor[] = [];

  constructor(store: LayoutStore) {
    this.#store = store;
  }

  /** A writer into a local folder. */
  static toDirectory(root: string): OciLayoutWriter {
    return new OciLayoutWriter(new DirectoryLayoutStore(root));
  }

  /**
   * Writes one blob from a stream (or a function opening one, called only when the blob is missing), checking
   * its size and digest as it flows. Returns false when the blob was already there and was skipped.
   */
  async writeBlob(
    desc: { digest: string; size: number },
    body: Readable | (() => Readable),
    signal?: AbortSignal,
  ): Promise<boolean> {
    const path = blobPath(desc.digest);
    if ((await this.#store.size(path, signal)) === desc.size) {
      if (typeof body !== "function") body.destroy();
      return false;
    }
    const source = typeof body === "function" ? body() : body;
    const verifier = new BlobVerifier({
      what: `blob ${desc.digest}`,
      size: desc.size,
      digest: desc.digest,
      mismatch: blobMismatch,
    });
    pipeline(source, verifier).catch(() => {
      // Surfaces through `verifier`, which the store is reading.
    });
    await this.#store.write(path, verifier, signal);
    return true;
  }

  /** Writes a small blob held in memory (a manifest or config); returns its digest. */
  async writeBlobBytes(bytes: Buffer, signal?: AbortSignal): Promise<Digest> {
    const digest = digestOf(bytes);
    await this.writeBlob({ digest, size: bytes.length }, () => Readable.from([bytes]), signal);
    return digest;
  }

  /** Adds a manifest (or index) to index.json; name it with `org.opencontainers.image.ref.name`. */
  addManifest(desc: Descriptor): void {
    this.#manifests.push(desc);
  }

  /** Writes `oci-layout` and then `index.json`. */
  async finish(signal?: AbortSignal): Promise<void> {
    await this.#store.write(
      "oci-layout",
      Readable.from([Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" }))]),
      signal,
    );
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: this.#manifests };
    await this.#store.write("index.json", Readable.from([Buffer.from(JSON.stringify(index))]), signal);
  }
}
