// Typed errors of the storage layer with a stable `code` and a `transient` flag, classified from the SDK's error
// names and HTTP status, never from message text. Retrying is decided by `transient` alone.
// Error codes: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html

/** Base class of every storage error. */
export class StorageError extends Error {
  readonly code: string;
  readonly transient: boolean;

  constructor(message: string, code: string, transient: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.transient = transient;
  }
}

/** The bucket or the key does not exist (NoSuchKey, NoSuchBucket, 404). */
export class SourceNotFoundError extends StorageError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "SOURCE_NOT_FOUND", false, options);
  }
}

/** The credentials are refused (403, InvalidAccessKeyId, SignatureDoesNotMatch). */
export class AccessDeniedError extends StorageError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "ACCESS_DENIED", false, options);
  }
}

/** The object changed (its ETag no longer matches) while it was being read: the reader must start over. */
export class SourceChangedError extends StorageError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "SOURCE_CHANGED", false, options);
  }
}

/** A fault retrying may cure: 5xx, throttling, resets, a stalled body. */
export class StorageUnavailableError extends StorageError {
  constructor(message: string, code = "STORAGE_UNAVAILABLE", options?: ErrorOptions) {
    super(message, code, true, options);
  }
}

/** Any other refusal by the server (bad request, invalid range): permanent. */
export class StorageRequestError extends StorageError {
  constructor(message: string, code = "STORAGE_REQUEST_FAILED", options?: ErrorOptions) {
    super(message, code, false, options);
  }
}

const notFound = new Set(["NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchUpload"]);
const denied = new Set(["AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled", "InvalidToken", "ExpiredToken"]);
const throttled = new Set(["SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable", "TooManyRequests"]);
const networkCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "UND_ERR_SOCKET"]);

function statusOf(err: object): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === "number" ? meta.httpStatusCode : undefined;
}

/** Maps an SDK or network error to a StorageError; `what` names the object (never credentials). */
export function classifyS3Error(err: unknown, what: string): Error {
  if (err instanceof StorageError) return err;
  if (!(err instanceof Error)) return new StorageRequestError(`${what}: ${String(err)}`);
  if (err.name === "AbortError") return err;
  const status = statusOf(err);
  const code = (err as { code?: unknown }).code;
  const name = err.name;
  const detail = `${name}${status ? ` (HTTP ${status})` : ""}: ${err.message}`;
  if (notFound.has(name) || status === 404) return new SourceNotFoundError(`${what} not found: ${detail}`, { cause: err });
  if (denied.has(name) || status === 403 || status === 401) return new AccessDeniedError(`${what}: access denied: ${detail}`, { cause: err });
  if (name === "PreconditionFailed" || status === 412) return new SourceChangedError(`${what} changed while being read (ETag no longer matches): ${detail}`, { cause: err });
  if (throttled.has(name) || (status !== undefined && (status >= 500 || status === 429 || status === 408))) {
    return new StorageUnavailableError(`${what}: ${detail}`, "STORAGE_UNAVAILABLE", { cause: err });
  }
  if ((typeof code === "string" && networkCodes.has(code)) || name === "TimeoutError" || /socket hang up|ECONNRESET/.test(err.message)) {
    return new StorageUnavailableError(`${what}: network: ${detail}`, "STORAGE_NETWORK", { cause: err });
  }
  if (status === undefined && name === "Error") return new StorageUnavailableError(`${what}: ${detail}`, "STORAGE_NETWORK", { cause: err });
  return new StorageRequestError(`${what}: ${detail}`, "STORAGE_REQUEST_FAILED", { cause: err });
}
