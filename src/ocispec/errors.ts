// Errors of the spec floor: a malformed digest or document, and content that does not match its descriptor. All
// permanent (bad input does not get better by retrying); callers classify them by class and `code`.
import { CodedError } from "../net/coded-error.ts";

/** Base class of every error the spec floor throws; never transient. */
export class SpecError extends CodedError {
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, code, false, options);
  }
}

/** A digest that is not `sha256:<64 lowercase hex>` or `sha512:<128 lowercase hex>` (code `DIGEST_INVALID`). */
export class InvalidDigestError extends SpecError {
  constructor(message: string) {
    super(message, "DIGEST_INVALID");
  }
}

/** Why a document was refused: it breaks the spec, or it is of a media type this client does not read. */
export type InvalidManifestCode = "MANIFEST_INVALID" | "MANIFEST_UNSUPPORTED";

/** A manifest, index or descriptor that breaks the spec, or a manifest media type this client does not read. */
export class InvalidManifestError extends SpecError {
  constructor(message: string, code: InvalidManifestCode = "MANIFEST_INVALID") {
    super(message, code);
  }
}

/** Content whose size or digest differs from its descriptor (code `DIGEST_MISMATCH`). */
export class ContentMismatchError extends SpecError {
  readonly expected: string;
  readonly actual: string;

  constructor(what: string, expected: string, actual: string) {
    super(`${what}: expected ${expected}, got ${actual}`, "DIGEST_MISMATCH");
    this.expected = expected;
    this.actual = actual;
  }
}
