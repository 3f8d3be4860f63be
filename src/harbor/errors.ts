/**
 * Typed errors of the Harbor API client. Callers decide "retry later" vs. "stall" by class and `transient`,
 * never by message text. Messages name the method, the API path and Harbor's error code; never credentials.
 */
import { CodedError } from "../net/coded-error.ts";
import { statusFailureMessage, type ErrorBodyEntry } from "../net/error-body.ts";
import { describeNetworkFailure, isTransientStatus } from "../net/network-errors.ts";

/** One entry of Harbor's error body `{"errors":[{"code":"NOT_FOUND","message":"..."}]}`. */
export type HarborErrorDetail = ErrorBodyEntry;

/** Base class of this module's errors; `code` e.g. `NOT_FOUND`, `UNAUTHORIZED`, `UNEXPECTED_RESPONSE`. */
export class HarborError extends CodedError {
  /** The HTTP status, when a response came (0 otherwise). */
  readonly status: number;
  /** The body's error entries, when Harbor sent any. */
  readonly details: readonly HarborErrorDetail[];

  constructor(
    message: string,
    init: { code: string; transient: boolean; status?: number; details?: readonly HarborErrorDetail[] },
    options?: ErrorOptions,
  ) {
    super(message, init.code, init.transient, options);
    this.status = init.status ?? 0;
    this.details = init.details ?? [];
  }
}

/** 404: the project or repository does not exist (or is invisible to these credentials). */
export class HarborNotFoundError extends HarborError {}

/** 401: no credentials, or wrong ones. Not transient: fix the credentials. */
export class HarborUnauthorizedError extends HarborError {}

/** 403: the credentials are valid but lack permission on the project. */
export class HarborForbiddenError extends HarborError {}

/** 5xx, 429 or 408: Harbor is overloaded or down; the call may succeed later. */
export class HarborServerError extends HarborError {}

/** Any other status Harbor should not send for this call (400, 409, ...). */
export class HarborRequestError extends HarborError {}

/** A 2xx answer that is not Harbor's documented shape: the URL is probably not a Harbor API. */
export class HarborResponseShapeError extends HarborError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, { code: "UNEXPECTED_RESPONSE", transient: false }, options);
  }
}

/** A connection-level failure: refused, reset, timeout. Transient. */
export class HarborTransportError extends HarborError {}

/** The server's certificate could not be verified. Not transient: supply the CA bundle. */
export class HarborTlsError extends HarborError {}

/** The typed error of an unexpected status; `what` names the call, e.g. `list artifacts of p/r`. */
export function errorForStatus(status: number, what: string, details: readonly HarborErrorDetail[]): HarborError {
  const first = details[0];
  const message = statusFailureMessage(what, status, details);
  if (status === 401)
    return new HarborUnauthorizedError(message, { code: "UNAUTHORIZED", transient: false, status, details });
  if (status === 403)
    return new HarborForbiddenError(message, { code: "FORBIDDEN", transient: false, status, details });
  if (status === 404) return new HarborNotFoundError(message, { code: "NOT_FOUND", transient: false, status, details });
  if (isTransientStatus(status))
    return new HarborServerError(message, { code: first?.code ?? `HTTP_${status}`, transient: true, status, details });
  return new HarborRequestError(message, { code: first?.code ?? `HTTP_${status}`, transient: false, status, details });
}

/** Maps an undici/net/tls failure to a typed error; leaves HarborErrors and the caller's aborts as they are. */
export function classifyNetworkError(err: unknown, what: string, callerSignal?: AbortSignal): Error {
  if (err instanceof HarborError) return err;
  if (callerSignal?.aborted && err instanceof Error) return err;
  const failure = describeNetworkFailure(err);
  // The operator's SSRF policy refused the address: permanent, and its message names the allowance.
  if (failure.kind === "refused") return failure.refusal;
  if (failure.kind === "tls") {
    return new HarborTlsError(
      `failed to ${what}: certificate verification failed (${failure.code}); supply the CA bundle, or set insecureSkipTLSVerify knowingly`,
      { code: "TLS", transient: false },
      { cause: err },
    );
  }
  // The per-request time limit (AbortSignal.timeout) fired: the caller did not abort, so it is a slow Harbor.
  const code =
    err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError") ? "TIMEOUT" : failure.code;
  return new HarborTransportError(`failed to ${what}: ${code}`, { code, transient: true }, { cause: err });
}
