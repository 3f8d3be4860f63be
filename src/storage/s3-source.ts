// An S3 object as a RandomAccessSource (src/ocispec/random-access-source.ts). Every read is a ranged GetObject pinned to the
// ETag seen at open time (`If-Match`), so an object replaced mid-import fails with SourceChangedError instead of
// mixing two versions. Bodies get an idle timeout (the SDK can wait forever on a dropped connection), and a body
// that breaks is resumed with a new ranged GET from the byte reached.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
import { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { setTimeout as sleep } from "node:timers/promises";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import { backoffDelay, type RetryPolicy } from "../net/backoff.ts";
import { isTransient } from "../net/coded-error.ts";
import { TRANSFER_IDLE_TIMEOUT_MS } from "../net/network-bounds.ts";
import { classifyS3Error, StorageRequestError, StorageUnavailableError } from "./errors.ts";
import { callS3, retryPolicy } from "./retry.ts";

/** Largest `read()`; larger ranges go through `stream()`. */
const MAX_READ = 16 << 20;

/** Where the object is and how patiently to read it. */
export interface S3SourceOptions {
  client: S3Client;
  bucket: string;
  key: string;
  signal?: AbortSignal;
  /** Retry settings over net's defaults (src/net/backoff.ts); also bounds the resumes of a broken body. */
  retry?: Partial<RetryPolicy>;
  /** A body that delivers nothing for this long while data is wanted is abandoned and resumed (default TRANSFER_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
  /** Per-request timeout for HEAD and for a GET's headers (default 60 s). */
  requestTimeoutMs?: number;
  /** Destroy the client on close (when the source created it for itself). */
  ownsClient?: boolean;
}

/** Waits for the next chunk of `iterator`, failing with a transient error when none comes within `ms`. */
async function nextWithin(
  iterator: AsyncIterator<Buffer>,
  body: Readable,
  ms: number,
  what: string,
): Promise<IteratorResult<Buffer>> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new StorageUnavailableError(
        `${what}: no data for ${ms} ms, abandoning the connection`,
        "STORAGE_IDLE_TIMEOUT",
      );
      body.destroy(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([iterator.next(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

/** An S3 object read by ranges. */
export class S3Source implements RandomAccessSource {
  readonly size: number;
  readonly description: string;
  readonly etag: string;
  readonly #opts: S3SourceOptions;
  readonly #retry: RetryPolicy;
  /** Counters for tests and metrics: GET requests sent and bodies resumed after a break. */
  readonly stats = { gets: 0, resumes: 0 };

  private constructor(opts: S3SourceOptions, size: number, etag: string) {
    this.#opts = opts;
    this.#retry = retryPolicy(opts.retry);
    this.size = size;
    this.etag = etag;
    this.description = `s3://${opts.bucket}/${opts.key}`;
  }

  /** HEADs the object for its size and ETag. Throws SourceNotFoundError / AccessDeniedError / StorageError. */
  static async open(opts: S3SourceOptions): Promise<S3Source> {
    const what = `s3://${opts.bucket}/${opts.key}`;
    const head = await callS3(
      what,
      (abortSignal) => opts.client.send(new HeadObjectCommand({ Bucket: opts.bucket, Key: opts.key }), { abortSignal }),
      {
        signal: opts.signal,
        retry: opts.retry,
        timeoutMs: opts.requestTimeoutMs,
      },
    );
    if (head.ContentLength === undefined || head.ETag === undefined)
      throw new StorageRequestError(`${what}: HEAD gave no size or ETag`, "STORAGE_NO_ETAG");
    return new S3Source(opts, head.ContentLength, head.ETag);
  }

  /** One ranged GET of [start, end) pinned to the ETag; resolves with the body once headers arrive. */
  async #get(start: number, end: number, signal?: AbortSignal): Promise<Readable> {
    this.stats.gets++;
    const outer = signal ?? this.#opts.signal;
    // The timeout bounds the wait for headers only: the body is bounded by the idle timeout.
    const headers = new AbortController();
    const timer = setTimeout(
      () =>
        headers.abort(
          new StorageUnavailableError(`${this.description}: no response headers in time`, "STORAGE_TIMEOUT"),
        ),
      this.#opts.requestTimeoutMs ?? 60_000,
    );
    const combined = outer ? AbortSignal.any([outer, headers.signal]) : headers.signal;
    try {
      const res = await this.#opts.client.send(
        new GetObjectCommand({
          Bucket: this.#opts.bucket,
          Key: this.#opts.key,
          Range: `bytes=${start}-${end - 1}`,
          IfMatch: this.etag,
        }),
        { abortSignal: combined },
      );
      if (!(res.Body instanceof Readable))
        throw new StorageRequestError(`${this.description}: GET gave no body stream`);
      return res.Body;
    } catch (err) {
      throw classifyS3Error(headers.signal.aborted && !outer?.aborted ? headers.signal.reason : err, this.description);
    } finally {
      clearTimeout(timer);
    }
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    this.#check(offset, length);
    if (length > MAX_READ)
      throw new RangeError(`${this.description}: read of ${length} bytes exceeds the small-read bound`);
    const out = Buffer.alloc(length);
    let filled = 0;
    for await (const chunk of this.#chunks(offset, length, signal)) {
      chunk.copy(out, filled);
      filled += chunk.length;
    }
    return out;
  }

  stream(offset: number, length: number, signal?: AbortSignal): Readable {
    this.#check(offset, length);
    return Readable.from(this.#chunks(offset, length, signal), { objectMode: false, highWaterMark: 1 << 20 });
  }

  #check(offset: number, length: number): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.size
    ) {
      throw new RangeError(`${this.description}: range ${offset}+${length} outside the object (${this.size} bytes)`);
    }
  }

  /** The bytes of [offset, offset+length) as chunks, resuming after transient failures. */
  async *#chunks(offset: number, length: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const end = offset + length;
    let pos = offset;
    let failures = 0;
    while (pos < end) {
      let body: Readable | undefined;
      try {
        body = await this.#get(pos, end, signal);
        for await (const chunk of this.#clipped(body, pos, end)) {
          pos += chunk.length;
          failures = 0;
          yield chunk;
        }
        if (pos < end)
          throw new StorageUnavailableError(
            `${this.description}: body ended at byte ${pos} of ${end}`,
            "STORAGE_SHORT_BODY",
          );
      } catch (caught) {
        failures++;
        await this.#pauseOrThrow(caught, failures, body !== undefined, signal);
      } finally {
        body?.destroy();
      }
    }
  }

  /** One GET's body as chunks clipped to [start, end), each within the idle timeout; stops early if the body ends. */
  async *#clipped(body: Readable, start: number, end: number): AsyncGenerator<Buffer> {
    const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const idleMs = this.#opts.idleTimeoutMs ?? TRANSFER_IDLE_TIMEOUT_MS;
    for (let pos = start; pos < end;) {
      const next = await nextWithin(iterator, body, idleMs, this.description);
      if (next.done) return;
      // A server that sends more than asked for would corrupt the stream: keep only the range.
      const chunk = next.value.length > end - pos ? next.value.subarray(0, end - pos) : next.value;
      pos += chunk.length;
      yield chunk;
    }
    // Read the body's end too: a body destroyed before its end takes its socket with it (no keep-alive reuse, a
    // new connection for every ranged GET). A server that sends more than the range loses its connection instead.
    if (body.readableLength === 0 && !body.readableEnded) await nextWithin(iterator, body, idleMs, this.description);
  }

  /** After a failed read: throws when the failure is permanent or the attempts are spent, else waits net's backoff. */
  async #pauseOrThrow(caught: unknown, failures: number, resuming: boolean, signal?: AbortSignal): Promise<void> {
    const err = classifyS3Error(caught, this.description);
    if (!isTransient(err) || failures >= this.#retry.maxAttempts || signal?.aborted) throw err;
    if (resuming) this.stats.resumes++;
    await sleep(backoffDelay(this.#retry, failures), undefined, { signal });
  }

  async close(): Promise<void> {
    if (this.#opts.ownsClient) this.#opts.client.destroy();
    return Promise.resolve();
  }
}
