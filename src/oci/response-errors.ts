/**
 * Turns an unexpected registry answer into a typed error, reading the spec's error body
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes) with a size bound.
 */
import { readErrorBody, statusFailureMessage } from "../net/error-body.ts";
import { AuthError, NotFoundError, RegistryError, type OciError } from "./errors.ts";
import type { HttpResponse } from "./http.ts";

const notFoundCodes = new Set(["MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN", "BLOB_UPLOAD_UNKNOWN"]);

/** Reads the error body (bounded) and builds the error; `what` names the operation, e.g. `GET manifest a/b:v1`. */
export async function errorFromResponse(res: HttpResponse, what: string): Promise<OciError> {
  const details = await readErrorBody(res.body);
  const first = details[0];
  const message = statusFailureMessage(what, res.status, details);
  if (res.status === 401 || res.status === 403) return new AuthError(message, res.status, first?.code);
  if (res.status === 404 || (first && notFoundCodes.has(first.code)))
    return new NotFoundError(message, res.status, details);
  return new RegistryError(message, res.status, details);
}
