// One blob upload session on the wire (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs):
// opening it, asking where it stands, closing it with `PUT ?digest=`, and the checks of size and digest that every
// way of sending the bytes (streamed.ts, in-memory.ts) shares.
import type { PushDescriptor, PushOptions } from "../../ocispec/content.ts";
import type { Descriptor } from "../../ocispec/descriptor.ts";
import { Digester, parseDigest } from "../../ocispec/digest.ts";
import { locationOf, repoRequest, repoUrl, type RepositoryContext } from "../client.ts";
import { DigestMismatchError, isTransientNetworkError } from "../errors.ts";
import { discard, header, type HttpRequest, type HttpResponse } from "../http.ts";
import { errorFromResponse } from "../response-errors.ts";
import type { StreamCursor } from "./stream-cursor.ts";

/** The registry lost the session (404, or it refused the state): the blob starts over. */
export class SessionLost extends Error {}

/** The registry did not take a segment (416, or a token expired mid-stream): ask it where the upload stands. */
export class ResumeNeeded extends Error {}

const sessionLostCodes = new Set(["BLOB_UPLOAD_UNKNOWN", "BLOB_UPLOAD_INVALID"]);

/** `Range: 0-<end>` → bytes committed. Distribution answers `0-0` for an empty session, so 0-0 counts as none. */
export function committedFromRange(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(?:bytes=)?0-(\d+)$/.exec(value.trim());
  if (!match) return undefined;
  const end = Number(match[1]);
  return end === 0 ? 0 : end + 1;
}

/** Bytes committed after a 202 for bytes sent up to `end`: the `Range` header's, else `end`. */
export function committedAfter(range: string | undefined, end: number): number {
  const ranged = committedFromRange(range);
  // `0-0` after sending the blob's first byte means one byte committed.
  return ranged === 0 && end === 1 ? 1 : (ranged ?? end);
}

/** What the caller expects of one blob, and the requests of its upload session. */
export class UploadSession {
  readonly #ctx: RepositoryContext;
  readonly expected: PushDescriptor;
  readonly options: PushOptions;
  readonly #signal: AbortSignal | undefined;
  #reported = 0;

  constructor(ctx: RepositoryContext, expected: PushDescriptor, options: PushOptions) {
    this.#ctx = ctx;
    this.expected = expected;
    this.options = options;
    this.#signal = options.signal;
    if (expected.digest !== undefined) parseDigest(expected.digest);
  }

  get repository(): string {
    return this.#ctx.repository;
  }

  /** Resume attempts within one chunk or segment. */
  get maxResumes(): number {
    return this.options.maxResumes ?? 5;
  }

  /** A digester of the expected digest's algorithm (sha256 when none is expected). */
  digester(): Digester {
    return new Digester(this.expected.digest ? parseDigest(this.expected.digest).algorithm : "sha256");
  }

  progress(committed: number): void {
    if (committed <= this.#reported) return;
    this.#reported = committed;
    this.options.onProgress?.(committed);
  }

  async send(
    method: "GET" | "PUT" | "PATCH" | "POST" | "DELETE" | "HEAD",
    url: URL,
    init: { headers?: Record<string, string>; body?: HttpRequest["body"]; idempotent?: boolean } = {},
  ): Promise<HttpResponse> {
    return repoRequest(this.#ctx, method, url, { ...init, signal: this.#signal, actions: "pull,push" });
  }

  async open(): Promise<{ location: URL; minChunk: number }> {
    const res = await this.send("POST", repoUrl(this.#ctx, "blobs/uploads/"), { headers: { "content-length": "0" } });
    const location = locationOf(res);
    if (res.status !== 202 || location === undefined)
      throw await errorFromResponse(res, `start blob upload to ${this.#ctx.repository}`);
    await discard(res);
    return { location, minChunk: Number(header(res, "oci-chunk-min-length") ?? 0) || 0 };
  }

  /** The source ended before the expected size. */
  short(position: number): never {
    const size = this.expected.size ?? 0;
    throw new DigestMismatchError(
      `blob source gave ${position} bytes, expected ${size}`,
      `${size} bytes`,
      `${position} bytes`,
    );
  }

  checkSize(seen: number): void {
    const size = this.expected.size;
    if (size !== undefined && seen > size)
      throw new DigestMismatchError(
        `blob source gave more than the expected ${size} bytes`,
        `${size} bytes`,
        `>${size} bytes`,
      );
  }

  descriptor(digester: Digester): Descriptor {
    const { size, digest: expectedDigest } = this.expected;
    const digest = digester.digest();
    if (size !== undefined && digester.size !== size)
      throw new DigestMismatchError(
        `blob source gave ${digester.size} bytes, expected ${size}`,
        `${size} bytes`,
        `${digester.size} bytes`,
      );
    if (expectedDigest !== undefined && digest !== expectedDigest)
      throw new DigestMismatchError(`blob source does not match ${expectedDigest}`, expectedDigest, digest);
    return { mediaType: this.expected.mediaType ?? "application/octet-stream", digest, size: digester.size };
  }

  /** Throws SessionLost for a purged or refused session, a typed error otherwise (transient ones get a status check). */
  async failure(res: HttpResponse, what: string): Promise<never> {
    const err = await errorFromResponse(res, `${what} to ${this.#ctx.repository}`);
    if (res.status === 404 || sessionLostCodes.has(err.code)) throw new SessionLost();
    throw err;
  }

  /** `GET <location>`: how much the registry holds. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#closing-a-blob-upload */
  async status(location: URL): Promise<{ location: URL; offset: number }> {
    const res = await this.send("GET", location);
    if (res.status !== 204 && res.status !== 202) await this.failure(res, "get blob upload status");
    await discard(res);
    const offset = committedFromRange(header(res, "range"));
    if (offset === undefined) throw new SessionLost();
    return { location: locationOf(res) ?? location, offset };
  }

  /** The closing `PUT ?digest=`; after a dropped connection a HEAD tells whether it landed. */
  async commit(
    location: URL,
    desc: Descriptor,
    body: Buffer | string | AsyncIterable<Buffer>,
    cursor?: StreamCursor,
  ): Promise<void> {
    const url = new URL(location);
    url.searchParams.set("digest", desc.digest);
    const length = typeof body === "string" || body instanceof Buffer ? body.length : desc.size;
    const headers = { "content-type": "application/octet-stream", "content-length": String(length) };
    let res: HttpResponse;
    try {
      res = await this.send("PUT", url, { headers, body, idempotent: false });
    } catch (err) {
      await this.#commitDropped(err, desc, cursor);
      return;
    }
    if (res.status === 201 || res.status === 204) {
      await discard(res);
      this.progress(desc.size);
      return;
    }
    await this.failure(res, "commit blob");
  }

  /** The closing PUT failed on the wire: a source that ran short is a size mismatch; else a HEAD tells whether it landed. */
  async #commitDropped(err: unknown, desc: Descriptor, cursor: StreamCursor | undefined): Promise<void> {
    if (cursor?.exhausted && cursor.position < desc.size) this.short(cursor.position);
    if (!isTransientNetworkError(err)) throw err;
    if (!(await this.landed(desc))) throw new SessionLost();
  }

  /** HEAD the blob: true (and progress reported) when the registry has it. */
  async landed(desc: Descriptor): Promise<boolean> {
    const res = await this.send("HEAD", repoUrl(this.#ctx, `blobs/${desc.digest}`));
    await discard(res);
    if (res.status === 200) this.progress(desc.size);
    return res.status === 200;
  }
}
