// Typed errors of the archive layer. Callers classify by class and `code`, never by message text; every one of
// these is permanent (bad input), so a reconciler turns it into a Stalled condition instead of retrying.
import { CodedError } from "../net/coded-error.ts";

/** Base class of this module's errors: a stable `code`, never transient. */
export class ArchiveError extends CodedError {
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, code, false, options);
  }
}

/** The archive is malformed: bad tar checksum, truncated data, missing or malformed metadata, bad digests. */
export class InvalidArchiveError extends ArchiveError {
  constructor(message: string, code = "INVALID_ARCHIVE", options?: ErrorOptions) {
    super(message, code, options);
  }
}

/** A blob's bytes do not hash to the digest that names it, or its size differs from the declared one. */
export class BlobMismatchError extends ArchiveError {
  readonly expected: string;
  readonly actual: string;

  constructor(what: string, expected: string, actual: string) {
    super(`${what}: expected ${expected}, got ${actual}`, "BLOB_MISMATCH");
    this.expected = expected;
    this.actual = actual;
  }
}

/** Why the extractor refused an entry. */
export type RefusalReason = "PathTraversal" | "SymlinkEscape" | "SizeLimit" | "EntryLimit" | "UnsupportedEntry";

/** The extractor refused a layer; nothing of the extraction is left on disk. */
export class ExtractionRefusedError extends ArchiveError {
  readonly reason: RefusalReason;
  /** The offending entry name (as in the archive, truncated), when there is one. */
  readonly entry: string | undefined;

  constructor(reason: RefusalReason, message: string, entry?: string) {
    super(
      message,
      `EXTRACTION_REFUSED_${reason.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c).toUpperCase()}`,
    );
    this.reason = reason;
    this.entry = entry?.slice(0, 256);
  }
}

/** Shortens an untrusted name before it goes into a message. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);
}
