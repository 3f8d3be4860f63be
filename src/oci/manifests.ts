/**
 * A repository's manifests: resolve (HEAD), fetch (bounded to 4 MiB, digest verified or computed), push, delete.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import { repoRequest, repoUrl, type CallOptions, type RepositoryContext } from "./client.ts";
import { digestOf, isDigest, parseDigest, toDigest, type Digest } from "./digest.ts";
import { DigestMismatchError, InvalidInputError, NotFoundError } from "./errors.ts";
import { discard, header, readBounded, type HttpResponse } from "./http.ts";
import { parseManifest, type Descriptor, type Manifest } from "./manifest.ts";
import { MANIFEST_MEDIA_TYPES } from "./media-types.ts";
import { isTag } from "./reference.ts";
import { errorFromResponse } from "./response-errors.ts";
import type { ManifestContent, ManifestTarget } from "./storage.ts";

/** Manifests larger than this are refused (the spec's recommended limit for registries). */
export const MANIFEST_SIZE_LIMIT = 4 * 1024 * 1024;

const ACCEPT = MANIFEST_MEDIA_TYPES.join(", ");

/** A fetched manifest: the exact bytes, their descriptor and the narrowed document. */
export interface FetchedManifest extends ManifestContent {
  manifest: Manifest;
}

/** A tag or a digest, validated before it becomes part of a URL. */
function referencePath(reference: string): string {
  if (reference.includes(":")) return toDigest(reference);
  if (!isTag(reference)) throw new InvalidInputError(`invalid tag ${JSON.stringify(reference.slice(0, 200))}`, "TAG_INVALID");
  return reference;
}

function contentType(res: HttpResponse): string | undefined {
  return header(res, "content-type")?.split(";")[0]?.trim();
}

/** Manifest operations of one repository. */
export class ManifestStore implements ManifestTarget {
  readonly #ctx: RepositoryContext;

  constructor(ctx: RepositoryContext) {
    this.#ctx = ctx;
  }

  #url(reference: string): URL {
    return repoUrl(this.#ctx, `manifests/${referencePath(reference)}`);
  }

  /** HEAD a tag or digest: the manifest's descriptor from `Docker-Content-Digest`, or a GET when that is missing. */
  async resolve(reference: string, options: CallOptions = {}): Promise<Descriptor> {
    const signal = this.#ctx.client.signal(options);
    const res = await repoRequest(this.#ctx, "HEAD", this.#url(reference), { headers: { accept: ACCEPT }, signal });
    await discard(res);
    if (res.status !== 200) throw await errorFromResponse(res, `resolve ${this.#ctx.repository}:${reference}`);
    const digest = header(res, "docker-content-digest");
    const size = Number(header(res, "content-length"));
    const mediaType = contentType(res);
    if (digest === undefined || !isDigest(digest) || !Number.isSafeInteger(size) || mediaType === undefined) {
      return (await this.fetchContent(reference, options)).descriptor;
    }
    if (isDigest(reference) && digest !== reference) throw new DigestMismatchError(`resolve ${this.#ctx.repository}@${reference}: registry answered ${digest}`, reference, digest);
    return { mediaType, digest, size };
  }

  /** Descriptor of a manifest by digest, or undefined when the registry does not have it. */
  async exists(digest: Digest | string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    try {
      return await this.resolve(toDigest(digest), options);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /** The manifest's bytes and descriptor, without interpreting them (any media type). */
  async fetchContent(reference: string | Descriptor, options: CallOptions = {}): Promise<ManifestContent> {
    const ref = typeof reference === "string" ? reference : reference.digest;
    const limit = typeof reference === "string" ? MANIFEST_SIZE_LIMIT : Math.min(reference.size, MANIFEST_SIZE_LIMIT);
    const signal = this.#ctx.client.signal(options);
    const res = await repoRequest(this.#ctx, "GET", this.#url(ref), { headers: { accept: ACCEPT }, signal });
    if (res.status !== 200) throw await errorFromResponse(res, `fetch manifest ${this.#ctx.repository}:${ref}`);
    const bytes = await readBounded(res.body, limit);
    if (bytes === undefined) throw new InvalidInputError(`manifest ${this.#ctx.repository}:${ref} is larger than ${limit} bytes`, "MANIFEST_TOO_LARGE");
    const expected = isDigest(ref) ? ref : header(res, "docker-content-digest");
    const algorithm = expected !== undefined && isDigest(expected) ? parseDigest(expected).algorithm : "sha256";
    const digest = digestOf(bytes, algorithm);
    // By digest the bytes must match it; by tag we trust our own hash, but a registry that disagrees is suspicious.
    if (expected !== undefined && isDigest(expected) && digest !== expected) {
      throw new DigestMismatchError(`manifest ${this.#ctx.repository}:${ref}: content digest ${digest}, expected ${expected}`, expected, digest);
    }
    if (typeof reference !== "string" && bytes.byteLength !== reference.size) {
      throw new DigestMismatchError(`manifest ${ref}: ${bytes.byteLength} bytes, expected ${reference.size}`, `${reference.size} bytes`, `${bytes.byteLength} bytes`);
    }
    const mediaType = contentType(res) ?? (typeof reference === "string" ? "application/octet-stream" : reference.mediaType);
    return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes };
  }

  /** Fetches and narrows a manifest; unknown media types and malformed documents throw InvalidInputError. */
  async fetch(reference: string | Descriptor, options: CallOptions = {}): Promise<FetchedManifest> {
    const content = await this.fetchContent(reference, options);
    const manifest = parseManifest(content.bytes, content.descriptor.mediaType);
    return { ...content, descriptor: { ...content.descriptor, mediaType: manifest.mediaType }, manifest };
  }

  /**
   * PUTs a manifest under a tag or its digest. A 412 on a tag that already names these exact bytes (Harbor's
   * immutable tags) counts as success.
   */
  async pushContent(reference: string, bytes: Uint8Array, mediaType: string, options: CallOptions = {}): Promise<Descriptor> {
    if (bytes.byteLength > MANIFEST_SIZE_LIMIT) throw new InvalidInputError(`manifest is larger than ${MANIFEST_SIZE_LIMIT} bytes`, "MANIFEST_TOO_LARGE");
    const digest = digestOf(bytes, isDigest(reference) ? parseDigest(reference).algorithm : "sha256");
    if (isDigest(reference) && digest !== reference) throw new DigestMismatchError(`manifest bytes do not match ${reference}`, reference, digest);
    const descriptor: Descriptor = { mediaType, digest, size: bytes.byteLength };
    const signal = this.#ctx.client.signal(options);
    const res = await repoRequest(this.#ctx, "PUT", this.#url(reference), {
      headers: { "content-type": mediaType, "content-length": String(bytes.byteLength) },
      body: bytes,
      signal,
    });
    if (res.status === 412 && !isDigest(reference)) {
      await discard(res);
      const existing = await this.resolve(reference, options);
      if (existing.digest === digest) return descriptor;
      throw new InvalidInputError(`tag ${this.#ctx.repository}:${reference} is immutable and names ${existing.digest}`, "TAG_IMMUTABLE");
    }
    if (res.status !== 201 && res.status !== 200) throw await errorFromResponse(res, `push manifest ${this.#ctx.repository}:${reference}`);
    await discard(res);
    const answered = header(res, "docker-content-digest");
    if (answered !== undefined && isDigest(answered) && parseDigest(answered).algorithm === parseDigest(digest).algorithm && answered !== digest) {
      throw new DigestMismatchError(`push manifest ${this.#ctx.repository}:${reference}: registry stored ${answered}`, digest, answered);
    }
    return descriptor;
  }

  /** Pushes a manifest (same as pushContent; reads better at call sites). */
  push(reference: string, bytes: Uint8Array, mediaType: string, options: CallOptions = {}): Promise<Descriptor> {
    return this.pushContent(reference, bytes, mediaType, options);
  }

  /** Deletes a manifest by digest. */
  async delete(digest: Digest | string, options: CallOptions = {}): Promise<void> {
    const res = await repoRequest(this.#ctx, "DELETE", this.#url(toDigest(digest)), { signal: this.#ctx.client.signal(options) });
    if (res.status !== 202 && res.status !== 200) throw await errorFromResponse(res, `delete manifest ${this.#ctx.repository}@${digest}`);
    await discard(res);
  }
}
