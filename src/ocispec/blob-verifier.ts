// Size and digest checking of a blob while its bytes stream past, for every reader of content by descriptor (an
// archive's members, an OCI layout being written): a consumer never sees a clean end of bytes that do not match.
import { Transform, type TransformCallback } from "node:stream";
import { Digester, parseDigest } from "./digest.ts";
import { ContentMismatchError } from "./errors.ts";

/** Builds the error of a mismatch: `what` names the blob and the property (`size`, `digest`). */
export type MismatchError = (what: string, expected: string, actual: string) => Error;

/** What a {@link BlobVerifier} checks. */
export interface BlobExpectation {
  /** What the blob is, for messages. */
  what: string;
  size: number;
  /** When given, the bytes must hash to it (a valid digest). */
  digest?: string;
  /** The error a mismatch fails the stream with (default ContentMismatchError), so each layer keeps its own type. */
  mismatch?: MismatchError;
}

const contentMismatch: MismatchError = (what, expected, actual) => new ContentMismatchError(what, expected, actual);

/**
 * A pass-through that fails the stream when more or fewer than `size` bytes flow, or when the bytes do not hash
 * to `digest` (checked at the end, before the stream finishes, so a consumer never sees a clean end).
 */
export class BlobVerifier extends Transform {
  readonly #expect: BlobExpectation;
  readonly #mismatch: MismatchError;
  readonly #digester: Digester | undefined;
  #seen = 0;

  constructor(expect: BlobExpectation) {
    super();
    this.#expect = expect;
    this.#mismatch = expect.mismatch ?? contentMismatch;
    this.#digester = expect.digest === undefined ? undefined : new Digester(parseDigest(expect.digest).algorithm);
  }

  /** Bytes that passed so far. */
  get bytesSeen(): number {
    return this.#seen;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    const { what, size } = this.#expect;
    if (this.#seen > size) {
      done(this.#mismatch(`${what}: size`, String(size), `more than ${size} bytes`));
      return;
    }
    this.#digester?.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const { what, size, digest } = this.#expect;
    if (this.#seen !== size) {
      done(this.#mismatch(`${what}: size`, String(size), String(this.#seen)));
      return;
    }
    const actual = this.#digester?.digest();
    if (digest !== undefined && actual !== digest) {
      done(this.#mismatch(`${what}: digest`, digest, String(actual)));
      return;
    }
    done();
  }
}
