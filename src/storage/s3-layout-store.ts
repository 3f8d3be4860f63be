// An S3 prefix as the LayoutStore an OCI layout is written to (src/archive/layout-writer.ts): every file goes up
// as a stream (one PUT, or a multipart upload aborted on failure), so a layout of any size needs no local disk.
import type { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import type { LayoutStore } from "../archive/layout-writer.ts";
import { objectSize, uploadStream } from "./s3-sink.ts";

/** Where the layout goes. */
export interface S3LayoutStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix of the layout ("" or without a trailing "/"; a "/" is inserted). */
  prefix: string;
  partSize?: number;
}

/** An S3 prefix as a LayoutStore (multipart uploads, aborted on failure). */
export class S3LayoutStore implements LayoutStore {
  readonly description: string;
  readonly #opts: S3LayoutStoreOptions;

  constructor(opts: S3LayoutStoreOptions) {
    this.#opts = opts;
    this.description = `s3://${opts.bucket}/${opts.prefix}`;
  }

  #key(path: string): string {
    const prefix = this.#opts.prefix.replace(/\/+$/, "");
    return prefix ? `${prefix}/${path}` : path;
  }

  /** The size of the object at `path`, or undefined when absent. */
  size(path: string, signal?: AbortSignal): Promise<number | undefined> {
    return objectSize(this.#opts.client, this.#opts.bucket, this.#key(path), { signal });
  }

  /** Uploads `body` to `path`; nothing is left behind when the stream fails. */
  async write(path: string, body: Readable, signal?: AbortSignal): Promise<void> {
    await uploadStream({
      client: this.#opts.client,
      bucket: this.#opts.bucket,
      key: this.#key(path),
      body,
      signal,
      partSize: this.#opts.partSize,
    });
  }
}
