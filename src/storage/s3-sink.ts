// Writing streams of unknown length to S3 keys: a single PUT when the stream ends within one part, multipart
// above that (parts buffered one at a time, so memory stays at about one part). A failed multipart upload is
// aborted so no half-written object or orphaned parts stay behind. Plus listing and deleting a prefix.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { RetryPolicy } from "../net/backoff.ts";
import { SourceNotFoundError, StorageRequestError } from "./errors.ts";
import { callS3 } from "./retry.ts";

/** S3's smallest part (all but the last). */
export const MIN_PART_SIZE = 5 << 20;
/** S3's most parts per upload. */
const MAX_PARTS = 10_000;

/** Options of {@link uploadStream}: where `body` goes and how. */
export interface UploadOptions {
  client: S3Client;
  bucket: string;
  key: string;
  /** Any length; destroyed when the upload fails. */
  body: Readable;
  signal?: AbortSignal;
  /** Part size in bytes (default 16 MiB, at least 5 MiB). Objects up to this size go up in one PUT. */
  partSize?: number;
  contentType?: string;
  /** Retry settings over net's defaults (src/net/backoff.ts). */
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms (default 120,000). */
  requestTimeoutMs?: number;
  /**
   * Called after the last byte was read and before the object becomes visible; throwing here (say, on a digest
   * mismatch) aborts the upload and nothing is written.
   */
  beforeCommit?: () => void | Promise<void>;
}

/** What was written. */
export interface UploadResult {
  key: string;
  size: number;
  etag: string | undefined;
  parts: number;
}

/** Reads `body` into buffers of exactly `size` bytes (the last one shorter). */
async function* partsOf(body: Readable, size: number): AsyncGenerator<Buffer, void, undefined> {
  let chunks: Buffer[] = [];
  let held = 0;
  for await (const raw of body as AsyncIterable<Buffer | string>) {
    let chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    while (held + chunk.length >= size) {
      const take = size - held;
      chunks.push(chunk.subarray(0, take));
      yield Buffer.concat(chunks, size);
      chunk = chunk.subarray(take);
      chunks = [];
      held = 0;
    }
    if (chunk.length > 0) {
      chunks.push(chunk);
      held += chunk.length;
    }
  }
  if (held > 0 || chunks.length > 0) yield Buffer.concat(chunks, held);
}

class Uploader {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #key: string;
  readonly #opts: UploadOptions;
  readonly #what: string;

  constructor(opts: UploadOptions) {
    this.#client = opts.client;
    this.#bucket = opts.bucket;
    this.#key = opts.key;
    this.#opts = opts;
    this.#what = `s3://${opts.bucket}/${opts.key}`;
  }

  /** Sends one request with retries and a timeout, mapping errors to StorageErrors. */
  send<T>(call: (client: S3Client, abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const { signal, retry, requestTimeoutMs } = this.#opts;
    return callS3(this.#what, (abortSignal) => call(this.#client, abortSignal), {
      signal,
      retry,
      timeoutMs: requestTimeoutMs ?? 120_000,
    });
  }

  async single(part: Buffer): Promise<UploadResult> {
    await this.#opts.beforeCommit?.();
    const res = await this.send<{ ETag?: string }>((client, abortSignal) =>
      client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#key,
          Body: part,
          ContentLength: part.length,
          ContentType: this.#opts.contentType,
        }),
        { abortSignal },
      ),
    );
    return { key: this.#key, size: part.length, etag: res.ETag, parts: 1 };
  }

  async multipart(first: Buffer, rest: AsyncGenerator<Buffer, void, undefined>): Promise<UploadResult> {
    const created = await this.send<{ UploadId?: string }>((client, abortSignal) =>
      client.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#key, ContentType: this.#opts.contentType }),
        { abortSignal },
      ),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new StorageRequestError(`${this.#what}: CreateMultipartUpload gave no UploadId`);
    const parts: { ETag: string; PartNumber: number }[] = [];
    let size = 0;
    try {
      for (let part: Buffer | undefined = first; part; part = (await rest.next()).value || undefined) {
        const PartNumber = parts.length + 1;
        if (PartNumber > MAX_PARTS)
          throw new StorageRequestError(
            `${this.#what}: more than ${MAX_PARTS} parts; raise the part size`,
            "STORAGE_TOO_MANY_PARTS",
          );
        const body = part;
        const res = await this.send<{ ETag?: string }>((client, abortSignal) =>
          client.send(
            new UploadPartCommand({
              Bucket: this.#bucket,
              Key: this.#key,
              UploadId: uploadId,
              PartNumber,
              Body: body,
              ContentLength: body.length,
            }),
            { abortSignal },
          ),
        );
        parts.push({ ETag: res.ETag ?? "", PartNumber });
        size += body.length;
      }
      await this.#opts.beforeCommit?.();
      const done = await this.send<{ ETag?: string }>((client, abortSignal) =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.#bucket,
            Key: this.#key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
          { abortSignal },
        ),
      );
      return { key: this.#key, size, etag: done.ETag, parts: parts.length };
    } catch (err) {
      await this.#abort(uploadId);
      throw err;
    }
  }

  async #abort(uploadId: string): Promise<void> {
    // Best effort, and not bound to the caller's (possibly aborted) signal: orphaned parts cost storage.
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#key, UploadId: uploadId }),
        { abortSignal: AbortSignal.timeout(30_000) },
      );
    } catch {
      // A bucket lifecycle rule for incomplete uploads is the backstop.
    }
  }
}

/** Uploads `body` (any length) to `bucket/key`. The object appears only if every byte arrived. */
export async function uploadStream(opts: UploadOptions): Promise<UploadResult> {
  const { body } = opts;
  const partSize = Math.max(MIN_PART_SIZE, opts.partSize ?? 16 << 20);
  const uploader = new Uploader(opts);
  const parts = partsOf(body, partSize);
  try {
    const first = await parts.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    if (firstPart.length < partSize) return await uploader.single(firstPart);
    // Exactly one part's worth may still be the whole object: look one part ahead before going multipart.
    const second = await parts.next();
    if (second.done) return await uploader.single(firstPart);
    async function* remaining(): AsyncGenerator<Buffer, void, undefined> {
      yield second.value as Buffer;
      yield* parts;
    }
    return await uploader.multipart(firstPart, remaining());
  } catch (err) {
    body.destroy();
    throw err;
  }
}

/** Options of the prefix helpers. */
export interface PrefixOptions {
  signal?: AbortSignal;
  /** Retry settings over net's defaults (src/net/backoff.ts). */
  retry?: Partial<RetryPolicy>;
  /** Stop listing after this many keys (default 100,000). */
  maxKeys?: number;
}

/** One listed object. */
export interface ListedObject {
  key: string;
  size: number;
  etag: string | undefined;
}

/** Every object under `prefix`, following continuation tokens (bounded by `maxKeys`). */
export async function listPrefix(
  client: S3Client,
  bucket: string,
  prefix: string,
  opts: PrefixOptions = {},
): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  const what = `s3://${bucket}/${prefix}`;
  const maxKeys = opts.maxKeys ?? 100_000;
  let token: string | undefined;
  do {
    const page = await callS3(
      what,
      (abortSignal) =>
        client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), {
          abortSignal,
        }),
      opts,
    );
    for (const obj of page.Contents ?? []) if (obj.Key) out.push({ key: obj.Key, size: obj.Size ?? 0, etag: obj.ETag });
    if (out.length > maxKeys)
      throw new StorageRequestError(`${what}: more than ${maxKeys} keys`, "STORAGE_TOO_MANY_KEYS");
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** Deletes every object under `prefix`; returns how many were deleted. */
export async function deletePrefix(
  client: S3Client,
  bucket: string,
  prefix: string,
  opts: PrefixOptions = {},
): Promise<number> {
  const keys = (await listPrefix(client, bucket, prefix, opts)).map((o) => o.key);
  const what = `s3://${bucket}/${prefix}`;
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const res = await callS3(
      what,
      (abortSignal) =>
        client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
          { abortSignal },
        ),
      opts,
    );
    const failed = res.Errors?.[0];
    if (failed)
      throw new StorageRequestError(
        `${what}: delete of ${failed.Key ?? "?"} failed: ${failed.Code ?? ""}`,
        "STORAGE_DELETE_FAILED",
      );
  }
  return keys.length;
}

/** The size of `bucket/key`, or undefined when it does not exist. */
export async function objectSize(
  client: S3Client,
  bucket: string,
  key: string,
  opts: PrefixOptions = {},
): Promise<number | undefined> {
  try {
    const head = await callS3(
      `s3://${bucket}/${key}`,
      (abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }),
      opts,
    );
    return head.ContentLength ?? 0;
  } catch (err) {
    if (err instanceof SourceNotFoundError) return undefined;
    throw err;
  }
}
