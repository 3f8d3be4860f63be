/**
 * Turns an unexpected registry answer into a typed error, reading the spec's error body
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes) with a size bound.
 */
import { AuthError, NotFoundError, RegistryError, type OciError, type RegistryErrorDetail } from "./errors.ts";
import { readBounded, type HttpResponse } from "./http.ts";
import { parseErrorsBody } from "../net/network-errors.ts";

const ERROR_BODY_LIMIT = 64 * 1024;
const notFoundCodes = new Set(["MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN", "BLOB_UPLOAD_UNKNOWN"]);

/** Narrows `{"errors":[{code,message}]}`; anything else gives an empty list. */
export const parseErrorBody: (text: string) => RegistryErrorDetail[] = parseErrorsBody;

/** Reads the error body (bounded) and builds the error; `what` names the operation, e.g. `GET manifest a/b:v1`. */
export async function errorFromResponse(res: HttpResponse, what: string): Promise<OciError> {
  let details: RegistryErrorDetail[] = [];
  if (res.body.readable) {
    try {
      const body = await readBounded(res.body, ERROR_BODY_LIMIT);
      details = body ? parseErrorBody(body.toString("utf8")) : [];
    } catch {
      details = [];
    }
  }
  const first = details[0];
  const suffix = first ? `: ${first.code}${first.message ? ` (${first.message})` : ""}` : "";
  const message = `failed to ${what}: status ${res.status}${suffix}`;
  if (res.status === 401 || res.status === 403) return new AuthError(message, res.status, first?.code);
  if (res.status === 404 || (first && notFoundCodes.has(first.code))) return new NotFoundError(message, res.status, details);
  return new RegistryError(message, res.status, details);
}
