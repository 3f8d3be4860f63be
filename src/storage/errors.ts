// Typed errors of the storage layer with a stable `code` and a `transient` flag, classified from the SDK's error
// names and HTTP status, never from message text. Retrying is decided by `transient` alone.
// Error codes: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
import { CodedError } from "../net/coded-error.ts";
import { describeNetworkFailure, isTransientStatus, TRANSIENT_NETWORK_CODES } from "../net/network-errors.ts";

/** Base class of every storage error. */
export class StorageError extends CodedError {}

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

/** The endpoint's certificate did not verify against the trusted CAs: permanent until the trust changes. */
export class StorageTlsError extends StorageError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "TLS", false, options);
  }
}

/** Any other refusal by the server (bad request, invalid range): permanent. */
export class StorageRequestError extends StorageError {
  constructor(message: string, code = "STORAGE_REQUEST_FAILED", options?: ErrorOptions) {
    super(message, code, false, options);
  }
}

/** What a server's answer means for the caller, strongest first: a name or a status may say it. */
type AnswerKind = "notFound" | "denied" | "changed" | "unavailable";
const precedence: readonly AnswerKind[] = ["notFound", "denied", "changed", "unavailable"];

const kindByName = new Map<string, AnswerKind>([
  ...["NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchUpload"].map((n) => [n, "notFound"] as const),
  ...[
    "AccessDenied",
    "Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AllAccessDisabled",
    "InvalidToken",
    "ExpiredToken",
  ].map((n) => [n, "denied"] as const),
  ["PreconditionFailed", "changed"],
  ...[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "TooManyRequests",
  ].map((n) => [n, "unavailable"] as const),
]);
const kindByStatus = new Map<number, AnswerKind>([
  [404, "notFound"],
  [401, "denied"],
  [403, "denied"],
  [412, "changed"],
]);

function statusOf(err: object): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === "number" ? meta.httpStatusCode : undefined;
}

/** The kind the SDK's error name or the HTTP status stands for; when both say something, the stronger wins. */
function answerKind(name: string, status: number | undefined): AnswerKind | undefined {
  const byStatus =
    status === undefined
      ? undefined
      : (kindByStatus.get(status) ?? (isTransientStatus(status) ? "unavailable" : undefined));
  const said = [kindByName.get(name), byStatus];
  return precedence.find((kind) => said.includes(kind));
}

const errorOfKind: Record<AnswerKind, (what: string, detail: string, options: ErrorOptions) => StorageError> = {
  notFound: (what, detail, options) => new SourceNotFoundError(`${what} not found: ${detail}`, options),
  denied: (what, detail, options) => new AccessDeniedError(`${what}: access denied: ${detail}`, options),
  changed: (what, detail, options) =>
    new SourceChangedError(`${what} changed while being read (ETag no longer matches): ${detail}`, options),
  unavailable: (what, detail, options) =>
    new StorageUnavailableError(`${what}: ${detail}`, "STORAGE_UNAVAILABLE", options),
};

/** A connection-level failure (reset, refused, timeout) rather than an answer. */
function isNetworkFailure(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && TRANSIENT_NETWORK_CODES.has(code)) return true;
  return err.name === "TimeoutError" || /socket hang up|ECONNRESET/.test(err.message);
}

/** Maps an SDK or network error to a StorageError; `what` names the object (never credentials). */
export function classifyS3Error(err: unknown, what: string): Error {
  if (err instanceof StorageError) return err;
  if (!(err instanceof Error)) return new StorageRequestError(`${what}: ${String(err)}`);
  if (err.name === "AbortError") return err;
  const status = statusOf(err);
  const detail = `${err.name}${status ? ` (HTTP ${status})` : ""}: ${err.message}`;
  const kind = answerKind(err.name, status);
  if (kind) return errorOfKind[kind](what, detail, { cause: err });
  const failure = describeNetworkFailure(err);
  if (failure.kind === "tls")
    return new StorageTlsError(`${what}: certificate verification failed (${failure.code})`, { cause: err });
  if (isNetworkFailure(err))
    return new StorageUnavailableError(`${what}: network: ${detail}`, "STORAGE_NETWORK", { cause: err });
  // An error with neither a status nor a name of its own: the SDK lost the connection before an answer.
  if (status === undefined && err.name === "Error")
    return new StorageUnavailableError(`${what}: ${detail}`, "STORAGE_NETWORK", { cause: err });
  return new StorageRequestError(`${what}: ${detail}`, "STORAGE_REQUEST_FAILED", { cause: err });
}
