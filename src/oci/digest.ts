/**
 * Digests (`algorithm:encoded`), validated before they are used anywhere, above all before one becomes a URL or
 * file path. Only the registered algorithms are accepted:
 * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
 */
import { createHash, type Hash } from "node:crypto";
import { InvalidInputError } from "./errors.ts";

/** A digest string that passed {@link parseDigest}. */
export type Digest = string & { readonly __digest: unique symbol };

/** The registered digest algorithms with their hex length. */
export type DigestAlgorithm = "sha256" | "sha512";

const hexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

/** The two halves of a valid digest. */
export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  encoded: string;
}

/** Splits and validates a digest; throws InvalidInputError for anything but `sha256:<64 hex>` / `sha512:<128 hex>`. */
export function parseDigest(value: string): ParsedDigest {
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (colon < 0 || (algorithm !== "sha256" && algorithm !== "sha512")) {
    throw new InvalidInputError(`invalid digest ${JSON.stringify(value.slice(0, 80))}: unsupported algorithm`, "DIGEST_INVALID");
  }
  if (encoded.length !== hexLength[algorithm] || !/^[0-9a-f]+$/.test(encoded)) {
    throw new InvalidInputError(`invalid digest ${JSON.stringify(value.slice(0, 80))}: want ${hexLength[algorithm]} lowercase hex digits`, "DIGEST_INVALID");
  }
  return { algorithm, encoded };
}

/** Validates and brands a digest string. */
export function toDigest(value: string): Digest {
  parseDigest(value);
  return value as Digest;
}

/** True when `value` is a valid digest. */
export function isDigest(value: string): value is Digest {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/** The digest of some bytes held in memory (manifests, small blobs). */
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
