// The API server's failure answer (a metav1.Status) as an error with a stable status code and reason.
// https://kubernetes.io/docs/reference/using-api/api-concepts/#http-status-codes

/** A non-2xx answer from the Kubernetes API server. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  /** HTTP status code (404, 409, 410, ...). */
  readonly status: number;
  /** metav1.Status reason (`NotFound`, `Conflict`, `AlreadyExists`, `Expired`, ...), or "" when absent. */
  readonly reason: string;

  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** Builds an ApiError from a response body, keeping only the Status message (never the raw body). */
export function apiErrorFromBody(status: number, method: string, path: string, body: string): ApiError {
  let reason = "";
  let detail = "";
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object") {
      const rec = parsed as Record<string, unknown>;
      if (typeof rec.reason === "string") reason = rec.reason;
      if (typeof rec.message === "string") detail = rec.message;
    }
  } catch {
    // not a Status document
  }
  return new ApiError(status, reason, `${method} ${path}: ${status}${detail ? ` ${detail}` : ""}`);
}

/** True when `err` is an ApiError with one of the given status codes. */
export function isStatus(err: unknown, ...codes: number[]): err is ApiError {
  return err instanceof ApiError && codes.includes(err.status);
}

/** True for 404 Not Found. */
export function isNotFound(err: unknown): boolean {
  return isStatus(err, 404);
}

/** True for 409 Conflict with reason `Conflict` (a stale resourceVersion), not `AlreadyExists`. */
export function isConflict(err: unknown): boolean {
  return isStatus(err, 409) && err.reason !== "AlreadyExists";
}

/** True for 409 AlreadyExists. */
export function isAlreadyExists(err: unknown): boolean {
  return isStatus(err, 409) && err.reason === "AlreadyExists";
}
