/**
 * A repository's manifests: resolve (HEAD), fetch (bounded to 4 MiB, digest verified or computed), push, delete.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
import type { CallOptions, ManifestContent, ManifestTarget } from "../ocispec/content.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { digestOf, isDigest, parseDigest, toDigest, type Digest } from "../ocispec/digest.ts";
import { parseManifest, type Manifest } from "../ocispec/manifest.ts";
import { MANIFEST_MEDIA_TYPES } from "../ocispec/media-types.ts";
import { repoRequest, repoUrl, type RepositoryContext } from "./client.ts";
import { DigestMismatchError, InvalidInputError, NotFoundError } from "./errors.ts";
import { readBounded } from "../net/bounded-read.ts";
import { discard, header, type HttpResponse } from "./http.ts";
import { isTag } from "./reference.ts";
import { errorFromResponse } from "./response-errors.ts";

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
  if (!isTag(reference))
    throw new InvalidInputError(`invalid tag ${JSON.stringify(reference.slice(0, 200))}`, "TAG_INVALID");
  return reference;
}

function contentType(res: HttpResponse): string | undefined {
  return header(res, "content-type")?.split(";")[0]?.trim();
}

/** What a fetch asks for: a tag or digest, or a descriptor whose size bounds the read and must match. */
function wanted(reference: string | Descriptor): { ref: string; limit: number; desc?: Descriptor } {
  if (typeof reference === "string") return { ref: reference, limit: MANIFEST_SIZE_LIMIT };
  return { ref: reference.digest, limit: Math.min(reference.size, MANIFEST_SIZE_LIMIT), desc: reference };
}

/**
 * The digest of fetched manifest bytes, checked against the digest that named them (or the registry's
 * `Docker-Content-Digest`): by tag we trust our own hash, but a registry that disagrees is suspicious.
 */
function fetchedDigest(what: string, bytes: Uint8Array, expected: string | undefined): Digest {
  const digest = digestOf(bytes, isDigest(expected) ? parseDigest(expected).algorithm : "sha256");
  if (isDigest(expected) && digest !== expected)
    throw new DigestMismatchError(`manifest ${what}: content digest ${digest}, expected ${expected}`, expected, digest);
  return digest;
}

/** The descriptor of manifest bytes to push under `reference`; bytes over the size limit or not matching a digest reference are refused. */
function descriptorToPush(reference: string, bytes: Uint8Array, mediaType: string): Descriptor {
  if (bytes.byteLength > MANIFEST_SIZE_LIMIT)
    throw new InvalidInputError(`manifest is larger than ${MANIFEST_SIZE_LIMIT} bytes`, "MANIFEST_TOO_LARGE");
  const byDigest = isDigest(reference) ? reference : undefined;
  const digest = digestOf(bytes, byDigest ? parseDigest(byDigest).algorithm : "sha256");
  if (byDigest && digest !== byDigest)
    throw new DigestMismatchError(`manifest bytes do not match ${byDigest}`, byDigest, digest);
  return { mediaType, digest, size: bytes.byteLength };
}

/** A registry that answers it stored other bytes (a digest of the same algorithm) than we pushed is refused. */
function checkStored(what: string, digest: Digest, answered: string | undefined): void {
  if (isDigest(answered) && parseDigest(answered).algorithm === parseDigest(digest).algorithm && answered !== digest) {
    throw new DigestMismatchError(`push manifest ${what}: registry stored ${answered}`, digest, answered);
  }
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
    if (isDigest(reference) && digest !== reference)
      throw new DigestMismatchError(
        `resolve ${this.#ctx.repository}@${reference}: registry answered ${digest}`,
        reference,
        digest,
      );
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
    const { ref, limit, desc } = wanted(reference);
    const { res, bytes } = await this.#get(ref, limit, options);
    const digest = fetchedDigest(
      `${this.#ctx.repository}:${ref}`,
      bytes,
      isDigest(ref) ? ref : header(res, "docker-content-digest"),
    );
    if (desc && bytes.byteLength !== desc.size) {
      throw new DigestMismatchError(
        `manifest ${ref}: ${bytes.byteLength} bytes, expected ${desc.size}`,
        `${desc.size} bytes`,
        `${bytes.byteLength} bytes`,
      );
    }
    const mediaType = contentType(res) ?? desc?.mediaType ?? "application/octet-stream";
    return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes };
  }

  /** GETs a manifest by tag or digest, refusing a body over `limit` bytes. */
  async #get(ref: string, limit: number, options: CallOptions): Promise<{ res: HttpResponse; bytes: Buffer }> {
    const signal = this.#ctx.client.signal(options);
    const res = await repoRequest(this.#ctx, "GET", this.#url(ref), { headers: { accept: ACCEPT }, signal });
    if (res.status !== 200) throw await errorFromResponse(res, `fetch manifest ${this.#ctx.repository}:${ref}`);
    const bytes = await readBounded(res.body, limit);
    if (bytes === undefined)
      throw new InvalidInputError(
        `manifest ${this.#ctx.repository}:${ref} is larger than ${limit} bytes`,
        "MANIFEST_TOO_LARGE",
      );
    return { res, bytes };
  }

  /** Fetches and narrows a manifest; unknown media types and malformed documents throw InvalidManifestError (src/ocispec). */
  async fetch(reference: string | Descriptor, options: CallOptions = {}): Promise<FetchedManifest> {
    const content = await this.fetchContent(reference, options);
    const manifest = parseManifest(content.bytes, content.descriptor.mediaType);
    return { ...content, descriptor: { ...content.descriptor, mediaType: manifest.mediaType }, manifest };
  }

  /**
   * PUTs a manifest under a tag or its digest. A 412 on a tag that already names these exact bytes (Harbor's
   * immutable tags) counts as success.
   */
  async pushContent(
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    options: CallOptions = {},
  ): Promise<Descriptor> {
    const descriptor = descriptorToPush(reference, bytes, mediaType);
    const signal = this.#ctx.client.signal(options);
    const res = await repoRequest(this.#ctx, "PUT", this.#url(reference), {
      headers: { "content-type": mediaType, "content-length": String(bytes.byteLength) },
      body: bytes,
      signal,
    });
    if (res.status === 412 && !isDigest(reference)) {
      await discard(res);
      return this.#alreadyTagged(reference, descriptor, options);
    }
    if (res.status !== 201 && res.status !== 200)
      throw await errorFromResponse(res, `push manifest ${this.#ctx.repository}:${reference}`);
    await discard(res);
    checkStored(`${this.#ctx.repository}:${reference}`, descriptor.digest, header(res, "docker-content-digest"));
    return descriptor;
  }

  /** After a 412 on a tag (Harbor's immutable tags): success when the tag already names these exact bytes. */
  async #alreadyTagged(tag: string, descriptor: Descriptor, options: CallOptions): Promise<Descriptor> {
    const existing = await this.resolve(tag, options);
    if (existing.digest === descriptor.digest) return descriptor;
    throw new InvalidInputError(
      `tag ${this.#ctx.repository}:${tag} is immutable and names ${existing.digest}`,
      "TAG_IMMUTABLE",
    );
  }

  /** Pushes a manifest (same as pushContent; reads better at call sites). */
  push(reference: string, bytes: Uint8Array, mediaType: string, options: CallOptions = {}): Promise<Descriptor> {
    return this.pushContent(reference, bytes, mediaType, options);
  }

  /** Deletes a manifest by digest. */
  async delete(digest: Digest | string, options: CallOptions = {}): Promise<void> {
    const res = await repoRequest(this.#ctx, "DELETE", this.#url(toDigest(digest)), {
      signal: this.#ctx.client.signal(options),
    });
    if (res.status !== 202 && res.status !== 200)
      throw await errorFromResponse(res, `delete manifest ${this.#ctx.repository}@${digest}`);
    await discard(res);
  }
}
