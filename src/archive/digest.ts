// Digest strings and size/digest checking of blob streams. A digest is validated before it names a path
// (`blobs/sha256/<hex>`): https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { BlobMismatchError, InvalidArchiveError } from "./errors.ts";

const digestPattern = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;

/** True for `sha256:<64 hex>` / `sha512:<128 hex>`. */
export function isValidDigest(value: unknown): value is string {
  return typeof value === "string" && digestPattern.test(value);
}

/** Returns the digest, or throws InvalidArchiveError naming `what`. */
export function checkDigest(value: unknown, what: string): string {
  if (!isValidDigest(value)) throw new InvalidArchiveError(`${what}: invalid digest ${JSON.stringify(String(value).slice(0, 80))}`, "INVALID_DIGEST");
  return value;
}

/** `blobs/<alg>/<hex>` of a validated digest. */
export function blobPath(digest: string): string {
  const [alg, hex] = checkDigest(digest, "blob").split(":");
  return `blobs/${alg}/${hex}`;
}

/** The sha256 digest of bytes in memory. */
export function sha256Of(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** What a {@link BlobVerifier} checks. */
export interface BlobExpectation {
  /** What the blob is, for messages. */
  what: string;
  size: number;
  /** When given, the bytes must hash to it. */
  digest?: string;
}

/**
 * A pass-through that fails the stream when more or fewer than `size` bytes flow, or when the bytes do not hash
 * to `digest` (checked at the end, before the stream finishes, so a consumer never sees a clean end).
 */
export class BlobVerifier extends Transform {
  readonly #expect: BlobExpectation;
  readonly #hash: Hash | undefined;
  #seen = 0;

  constructor(expect: BlobExpectation) {
    super();
    this.#expect = expect;
    this.#hash = expect.digest ? createHash(expect.digest.slice(0, expect.digest.indexOf(":"))) : undefined;
  }

  /** Bytes that passed so far. */
  get bytesSeen(): number {
    return this.#seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#expect.size) {
      done(new BlobMismatchError(`${this.#expect.what}: size`, String(this.#expect.size), `more than ${this.#expect.size} bytes`));
      return;
    }
    this.#hash?.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.#seen !== this.#expect.size) {
      done(new BlobMismatchError(`${this.#expect.what}: size`, String(this.#expect.size), String(this.#seen)));
      return;
    }
    if (this.#hash && this.#expect.digest) {
      const actual = `${this.#expect.digest.slice(0, this.#expect.digest.indexOf(":"))}:${this.#hash.digest("hex")}`;
      if (actual !== this.#expect.digest) {
        done(new BlobMismatchError(`${this.#expect.what}: digest`, this.#expect.digest, actual));
        return;
      }
    }
    done();
  }
}
