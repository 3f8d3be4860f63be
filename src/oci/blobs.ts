/**
 * A repository's blobs: `exists` (HEAD), `fetch` (a stream verified against digest and size as it flows, resumed
 * with `Range` after a dropped connection), `push` (see upload.ts) and cross-repository `mount`.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
 */
import { Readable } from "node:stream";
import { locationOf, repoRequest, repoUrl, type CallOptions, type RepositoryContext } from "./client.ts";
import { Digester, parseDigest, toDigest, type Digest } from "./digest.ts";
import { DigestMismatchError, classifyNetworkError, isTransientNetworkError } from "./errors.ts";
import { discard, header, type HttpResponse } from "./http.ts";
import type { Descriptor } from "./manifest.ts";
import { validateRepository } from "./reference.ts";
import { errorFromResponse } from "./response-errors.ts";
import type { BlobStorage } from "./storage.ts";
import { pushBlob, type BlobSource, type PushDescriptor, type PushOptions } from "./upload.ts";

export interface BlobFetchOptions extends CallOptions {
  /**
   * Start at this byte. The digest cannot be checked from the middle of a blob, so only the size is verified
   * then; callers resuming their own copy verify the digest themselves.
   */
  offset?: number;
  /** Reconnections after a dropped connection (default 5). */
  maxResumes?: number;
}

export interface MountOptions extends CallOptions {
  /**
   * When the registry answers the mount with a fresh upload session (202), push from this source into it;
   * without one, the session is deleted and `mount` resolves false.
   */
  fallback?: { source: BlobSource; descriptor: PushDescriptor; push?: PushOptions };
}

function parseContentRangeStart(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

/** Blob operations of one repository. */
export class BlobStore implements BlobStorage {
  readonly #ctx: RepositoryContext;

  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  /** HEAD the blob: its descriptor when the registry has it, undefined on 404. */
  async exists(digest: Digest | string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    const d = toDigest(digest);
    const res = await repoRequest(this.#ctx, "HEAD", repoUrl(this.#ctx, `blobs/${d}`), { signal: this.#ctx.client.signal(options) });
    await discard(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await errorFromResponse(res, `check blob ${d} in ${this.#ctx.repository}`);
    const size = Number(header(res, "content-length"));
    return { mediaType: header(res, "content-type") ?? "application/octet-stream", digest: d, size: Number.isSafeInteger(size) ? size : -1 };
  }

  async #open(desc: Descriptor, position: number, signal: AbortSignal | undefined): Promise<{ res: HttpResponse; skip: number }> {
    const headers: Record<string, string> = position > 0 ? { range: `bytes=${position}-` } : {};
    const res = await repoRequest(this.#ctx, "GET", repoUrl(this.#ctx, `blobs/${desc.digest}`), { headers, signal });
    if (res.status === 200) return { res, skip: position }; // the server ignored Range: drop what we have
    if (res.status === 206 && position > 0 && parseContentRangeStart(header(res, "content-range")) === position) return { res, skip: 0 };
    if (res.status === 206) {
      await discard(res);
      throw new DigestMismatchError(`blob ${desc.digest}: the registry answered a different range`, `bytes ${position}-`, header(res, "content-range") ?? "");
    }
    throw await errorFromResponse(res, `fetch blob ${desc.digest} from ${this.#ctx.repository}`);
  }

  /**
   * Streams a blob. Bytes are hashed and counted as they flow; the stream fails with DigestMismatchError on a
   * wrong digest, a short body or trailing bytes. A dropped connection is resumed with `Range`.
   */
  async fetch(desc: Descriptor, options: BlobFetchOptions = {}): Promise<Readable> {
    parseDigest(desc.digest);
    const start = options.offset ?? 0;
    // No whole-call timeout on a stream of unknown duration: undici's idle body timeout guards it.
    const signal = this.#ctx.client.signal(options, undefined);
    const first = await this.#open(desc, start, signal);
    const open = (position: number): Promise<{ res: HttpResponse; skip: number }> => this.#open(desc, position, signal);
    return Readable.from(verifiedBytes(desc, start, first, open, options.maxResumes ?? 5), { objectMode: false });
  }

  /** Pushes a blob from a restartable source; see {@link pushBlob}. */
  push(expected: PushDescriptor, source: BlobSource, options: PushOptions = {}): Promise<Descriptor> {
    return pushBlob(this.#ctx, expected, source, options);
  }

  /**
   * Mounts a blob from another repository of the same registry. Resolves true when mounted (201). On 202 the
   * registry opened an upload instead: it is used with `options.fallback`, or deleted.
   */
  async mount(digest: Digest | string, fromRepository: string, options: MountOptions = {}): Promise<boolean> {
    const d = toDigest(digest);
    validateRepository(fromRepository);
    const url = repoUrl(this.#ctx, "blobs/uploads/");
    url.searchParams.set("mount", d);
    url.searchParams.set("from", fromRepository);
    const res = await repoRequest(this.#ctx, "POST", url, {
      headers: { "content-length": "0" },
      signal: this.#ctx.client.signal(options),
      extraScopes: [`repository:${fromRepository}:pull`],
    });
    if (res.status === 201) {
      await discard(res);
      return true;
    }
    const location = locationOf(res);
    if (res.status !== 202 || location === undefined) throw await errorFromResponse(res, `mount blob ${d} from ${fromRepository} into ${this.#ctx.repository}`);
    await discard(res);
    if (options.fallback) {
      const { source, descriptor, push } = options.fallback;
      await pushBlob(this.#ctx, { ...descriptor, digest: d }, source, push ?? {}, location);
      return false;
    }
    const cancel = await repoRequest(this.#ctx, "DELETE", location, { signal: this.#ctx.client.signal(options) });
    await discard(cancel);
    return false;
  }

  /** Deletes a blob (registries often refuse: 405 when deletion is disabled). */
  async delete(digest: Digest | string, options: CallOptions = {}): Promise<void> {
    const d = toDigest(digest);
    const res = await repoRequest(this.#ctx, "DELETE", repoUrl(this.#ctx, `blobs/${d}`), { signal: this.#ctx.client.signal(options) });
    if (res.status !== 202 && res.status !== 204) throw await errorFromResponse(res, `delete blob ${d} from ${this.#ctx.repository}`);
    await discard(res);
  }
}

type Open = (position: number) => Promise<{ res: HttpResponse; skip: number }>;

/** The verified byte flow of one blob, reconnecting from the current position after transient failures. */
async function* verifiedBytes(desc: Descriptor, start: number, first: { res: HttpResponse; skip: number }, open: Open, maxResumes: number): AsyncGenerator<Buffer> {
  const digester = start === 0 ? new Digester(parseDigest(desc.digest).algorithm) : undefined;
  let position = start;
  let current: { res: HttpResponse; skip: number } | undefined = first;
  for (let resumes = 0; current; ) {
    let skip = current.skip;
    try {
      for await (const raw of current.res.body as AsyncIterable<Buffer>) {
        let chunk = raw;
        if (skip > 0) {
          const dropped = Math.min(skip, chunk.byteLength);
          skip -= dropped;
          chunk = chunk.subarray(dropped);
          if (chunk.byteLength === 0) continue;
        }
        position += chunk.byteLength;
        if (position > desc.size) {
          current.res.body.destroy();
          throw new DigestMismatchError(`blob ${desc.digest}: more bytes than its size ${desc.size}`, `${desc.size} bytes`, `>${desc.size} bytes`);
        }
        digester?.update(chunk);
        yield chunk;
      }
      current = undefined;
    } catch (err) {
      if (!isTransientNetworkError(err) || resumes >= maxResumes || position >= desc.size) throw classifyNetworkError(err, `fetch blob ${desc.digest}`);
      resumes++;
      current = await open(position);
    }
  }
  if (position !== desc.size) throw new DigestMismatchError(`blob ${desc.digest}: ${position} bytes, expected ${desc.size}`, `${desc.size} bytes`, `${position} bytes`);
  const actual = digester?.digest();
  if (actual !== undefined && actual !== desc.digest) throw new DigestMismatchError(`blob ${desc.digest}: content digest is ${actual}`, desc.digest, actual);
}
