// Digests (`algorithm:encoded`), validated before they are used anywhere, above all before one becomes a URL or a
// file path (`blobs/sha256/<hex>`). Only the registered algorithms are accepted:
// https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
import { createHash, type Hash } from "node:crypto";
import { InvalidDigestError } from "./errors.ts";

/** A digest string that passed {@link parseDigest}. */
export type Digest = string & { readonly __digest: unique symbol };

/** The registered digest algorithms. */
export type DigestAlgorithm = "sha256" | "sha512";

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const digestPattern = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

/** The two halves of a valid digest. */
export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  encoded: string;
}

/** True for `sha256:<64 lowercase hex>` / `sha512:<128 lowercase hex>`, nothing else. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === "string" && digestPattern.test(value);
}

/** Splits and validates a digest; throws InvalidDigestError (`DIGEST_INVALID`) for anything {@link isDigest} refuses. */
export function parseDigest(value: string): ParsedDigest {
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  if (colon < 0 || (algorithm !== "sha256" && algorithm !== "sha512")) {
    throw new InvalidDigestError(`invalid digest ${JSON.stringify(value.slice(0, 80))}: unsupported algorithm`);
  }
  if (!isDigest(value))
    throw new InvalidDigestError(
      `invalid digest ${JSON.stringify(value.slice(0, 80))}: want ${hexLength[algorithm]} lowercase hex digits`,
    );
  return { algorithm, encoded: value.slice(colon + 1) };
}

/** Validates and brands a digest string. */
export function toDigest(value: string): Digest {
  parseDigest(value);
  return value as Digest;
}

/** `blobs/<alg>/<hex>`, the path of a blob in an OCI image layout; throws InvalidDigestError for a bad digest. */
export function blobPath(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `blobs/${algorithm}/${encoded}`;
}

/** The digest of some bytes held in memory (manifests, configs, small blobs). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = "sha256"): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}` as Digest;
}

/** Computes a digest incrementally while bytes flow past. */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  #hash: Hash;
  #size = 0;

  constructor(algorithm: DigestAlgorithm = "sha256") {
    this.algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  /** Bytes hashed so far. */
  get size(): number {
    return this.#size;
  }

  /** Hashes the next bytes. */
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
  }

  /** An independent digester in this one's state (to rewind a resumed upload to a known point). */
  copy(): Digester {
    const twin = new Digester(this.algorithm);
    twin.#hash = this.#hash.copy();
    twin.#size = this.#size;
    return twin;
  }

  /** The digest of everything seen; the digester cannot be used afterwards. */
  digest(): Digest {
    return `${this.algorithm}:${this.#hash.digest("hex")}` as Digest;
  }
}
