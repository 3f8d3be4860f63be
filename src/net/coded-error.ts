// The one base of every typed engine error (registry, Harbor, S3, archive, spec floor): a stable machine-readable
// `code` and whether retrying the same call may help. Callers classify by class and `code`, never by message text.

/** Base class: a stable `code` (e.g. `MANIFEST_UNKNOWN`, `SOURCE_NOT_FOUND`) and `transient`. */
export class CodedError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** True when the same call may succeed later (5xx, 429, connection resets, timeouts, a changed source). */
  readonly transient: boolean;

  constructor(message: string, code: string, transient: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.transient = transient;
  }
}

/** True when `err` says a retry may help (a CodedError with `transient`, or any error object carrying it). */
export function isTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { transient?: unknown }).transient === true;
}
