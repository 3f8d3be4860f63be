/**
 * Typed errors of the OCI client. Callers decide "retry later" vs. "stall" by class and `transient`, never by
 * message text. Messages never carry credentials: they name the method, the path and the registry's error code.
 */
import { CodedError } from "../net/coded-error.ts";
import type { ErrorBodyEntry } from "../net/error-body.ts";
import { describeNetworkFailure, isTransientNetworkFailure, isTransientStatus } from "../net/network-errors.ts";

/** Base class of this module's errors; `code` e.g. `MANIFEST_UNKNOWN`, `DIGEST_MISMATCH`, `TLS`. */
export class OciError extends CodedError {}

/** One entry of the distribution spec's error body `{"errors":[{code,message,detail}]}`. */
export type RegistryErrorDetail = ErrorBodyEntry;

/** A registry answered with an unexpected status; `code` is the first error code of its body when it sent one. */
export class RegistryError extends OciError {
  readonly status: number;
  readonly errors: readonly RegistryErrorDetail[];

  constructor(message: string, status: number, errors: readonly RegistryErrorDetail[] = [], options?: ErrorOptions) {
    super(message, errors[0]?.code ?? `HTTP_${status}`, isTransientStatus(status), options);
    this.status = status;
    this.errors = errors;
  }
}

/** 404 (or the spec's `*_UNKNOWN` codes): the manifest, blob, repository or upload does not exist. */
export class NotFoundError extends RegistryError {}

/** 401/403, or a token service that refused the credentials. Not transient: fix the credentials. */
export class AuthError extends OciError {
  readonly status: number;

  constructor(
    message: string,
    status: number,
    code = status === 403 ? "DENIED" : "UNAUTHORIZED",
    options?: ErrorOptions,
  ) {
    super(message, code, false, options);
    this.status = status;
  }
}

/** The server's certificate could not be verified. */
export class TlsError extends OciError {
  constructor(message: string, options?: ErrorOptions) {
    super(
      `${message} (hint: supply the registry's CA bundle, or set insecureSkipTLSVerify knowingly)`,
      "TLS",
      false,
      options,
    );
  }
}

/** Content did not match its descriptor: wrong digest, too many or too few bytes. Never transient. */
export class DigestMismatchError extends OciError {
  readonly expected: string;
  readonly actual: string;

  constructor(message: string, expected: string, actual: string) {
    super(message, "DIGEST_MISMATCH", false);
    this.expected = expected;
    this.actual = actual;
  }
}

/** Malformed input: a reference, digest, manifest or header that breaks the spec's grammar. */
export class InvalidInputError extends OciError {
  constructor(message: string, code = "INVALID") {
    super(message, code, false);
  }
}

/** A connection-level failure (reset, refused, timeout) after the retries were spent. */
export class TransportError extends OciError {
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, code, true, options);
  }
}

/** Maps a low-level error (undici, net, tls) to the module's types; leaves OciErrors and aborts as they are. */
export function classifyNetworkError(err: unknown, what: string): Error {
  if (err instanceof OciError) return err;
  if (err instanceof Error && err.name === "AbortError") return err;
  const failure = describeNetworkFailure(err);
  // The operator's SSRF policy refused the address: permanent, and its message names the allowance.
  if (failure.kind === "refused") return failure.refusal;
  if (failure.kind === "tls")
    return new TlsError(`${what}: certificate verification failed (${failure.code})`, { cause: err });
  return new TransportError(`${what}: ${failure.code}`, failure.code, { cause: err });
}

/** True for connection-level failures worth another attempt. */
export function isTransientNetworkError(err: unknown): boolean {
  if (err instanceof OciError) return err.transient;
  return isTransientNetworkFailure(err);
}
