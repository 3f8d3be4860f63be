/**
 * A repository's blobs: `exists` (HEAD), `fetch` (a stream verified against digest and size as it flows, resumed
 * with `Range` after a dropped connection), `push` (see upload/push-blob.ts) and cross-repository `mount`.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
 */
import { Readable } from "node:stream";
import type { BlobSource, BlobStorage, CallOptions, PushDescriptor, PushOptions } from "../ocispec/content.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { Digester, parseDigest, toDigest, type Digest } from "../ocispec/digest.ts";
import { locationOf, repoRequest, repoUrl, type RepositoryContext } from "./client.ts";
import { DigestMismatchError, classifyNetworkError, isTransientNetworkError } from "./errors.ts";
import { discard, header, type HttpResponse } from "./http.ts";
import { validateRepository } from "./reference.ts";
import { errorFromResponse } from "./response-errors.ts";
import { pushBlob } from "./upload/push-blob.ts";

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
    const res = await repoRequest(this.#ctx, "HEAD", repoUrl(this.#ctx, `blobs/${d}`), {
      signal: this.#ctx.client.signal(options),
    });
    await discard(res);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await errorFromResponse(res, `check blob ${d} in ${this.#ctx.repository}`);
    const size = Number(header(res, "content-length"));
    return {
      mediaType: header(res, "content-type") ?? "application/octet-stream",
      digest: d,
      size: Number.isSafeInteger(size) ? size : -1,
    };
  }

  async #open(desc: Descriptor, position: number, signal: AbortSignal | undefined): Promise<Opened> {
    const headers: Record<string, string> = position > 0 ? { range: `bytes=${position}-` } : {};
    const res = await repoRequest(this.#ctx, "GET", repoUrl(this.#ctx, `blobs/${desc.digest}`), { headers, signal });
    if (res.status === 200) return { res, skip: position }; // the server ignored Range: drop what we have
    if (res.status === 206 && position > 0 && parseContentRangeStart(header(res, "content-range")) === position)
      return { res, skip: 0 };
    if (res.status === 206) {
      await discard(res);
      throw new DigestMismatchError(
        `blob ${desc.digest}: the registry answered a different range`,
        `bytes ${position}-`,
        header(res, "content-range") ?? "",
      );
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
    const open = (position: number): Promise<Opened> => this.#open(desc, position, signal);
    return Readable.from(verifiedBytes(desc, first, { start, open, maxResumes: options.maxResumes ?? 5 }), {
      objectMode: false,
    });
  }

  /** Pushes a blob from a restartable source; see {@link pushBlob}. */
  push(expected: PushDescriptor, source: BlobSource, options: PushOptions = {}): Promise<Descriptor> {
    return pushBlob(this.#ctx, { expected, source }, options);
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
    if (res.status !== 202 || location === undefined)
      throw await errorFromResponse(res, `mount blob ${d} from ${fromRepository} into ${this.#ctx.repository}`);
    await discard(res);
    if (options.fallback) {
      const { source, descriptor, push } = options.fallback;
      await pushBlob(this.#ctx, { expected: { ...descriptor, digest: d }, source, session: location }, push ?? {});
      return false;
    }
    const cancel = await repoRequest(this.#ctx, "DELETE", location, { signal: this.#ctx.client.signal(options) });
    await discard(cancel);
    return false;
  }

  /** Deletes a blob (registries often refuse: 405 when deletion is disabled). */
  async delete(digest: Digest | string, options: CallOptions = {}): Promise<void> {
    const d = toDigest(digest);
    const res = await repoRequest(this.#ctx, "DELETE", repoUrl(this.#ctx, `blobs/${d}`), {
      signal: this.#ctx.client.signal(options),
    });
    if (res.status !== 202 && res.status !== 204)
      throw await errorFromResponse(res, `delete blob ${d} from ${this.#ctx.repository}`);
    await discard(res);
  }
}

/** An opened GET of a blob: the response and how many of its first bytes to drop (a server that ignored `Range`). */
interface Opened {
  res: HttpResponse;
  skip: number;
}

/** How a broken download goes on: from where it started, how to open it again at a position, and how often. */
interface Resume {
  start: number;
  open: (position: number) => Promise<Opened>;
  maxResumes: number;
}

/** A body without its first `skip` bytes. */
async function* skipping(body: AsyncIterable<Buffer>, skip: number): AsyncGenerator<Buffer> {
  let left = skip;
  for await (const chunk of body) {
    const dropped = Math.min(left, chunk.byteLength);
    left -= dropped;
    if (dropped < chunk.byteLength) yield dropped > 0 ? chunk.subarray(dropped) : chunk;
  }
}

/** Counts (and, from byte 0, hashes) a blob's bytes as they flow; fails on more bytes than its size, and at the end on a wrong size or digest. */
class BlobCheck {
  readonly #desc: Descriptor;
  readonly #digester: Digester | undefined;
  position: number;

  constructor(desc: Descriptor, start: number) {
    this.#desc = desc;
    this.#digester = start === 0 ? new Digester(parseDigest(desc.digest).algorithm) : undefined;
    this.position = start;
  }

  /** The chunk, once counted and hashed. */
  pass(chunk: Buffer): Buffer {
    const { digest, size } = this.#desc;
    this.position += chunk.byteLength;
    if (this.position > size)
      throw new DigestMismatchError(
        `blob ${digest}: more bytes than its size ${size}`,
        `${size} bytes`,
        `>${size} bytes`,
      );
    this.#digester?.update(chunk);
    return chunk;
  }

  /** Throws unless exactly the blob's bytes went by. */
  finish(): void {
    const { digest, size } = this.#desc;
    if (this.position !== size)
      throw new DigestMismatchError(
        `blob ${digest}: ${this.position} bytes, expected ${size}`,
        `${size} bytes`,
        `${this.position} bytes`,
      );
    const actual = this.#digester?.digest();
    if (actual !== undefined && actual !== digest)
      throw new DigestMismatchError(`blob ${digest}: content digest is ${actual}`, digest, actual);
  }
}

/** The verified byte flow of one blob, reconnecting from the current position after transient failures. */
async function* verifiedBytes(desc: Descriptor, first: Opened, resume: Resume): AsyncGenerator<Buffer> {
  const check = new BlobCheck(desc, resume.start);
  let current: Opened | undefined = first;
  for (let resumes = 0; current; resumes++) {
    try {
      for await (const chunk of skipping(current.res.body as AsyncIterable<Buffer>, current.skip))
        yield check.pass(chunk);
      current = undefined;
    } catch (err) {
      if (!isTransientNetworkError(err) || resumes >= resume.maxResumes || check.position >= desc.size)
        throw classifyNetworkError(err, `fetch blob ${desc.digest}`);
      current = await resume.open(check.position);
    }
  }
  check.finish();
}
