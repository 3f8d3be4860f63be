/**
 * Turns an unexpected registry answer into a typed error, reading the spec's error body
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes) with a size bound.
 */
import { AuthError, NotFoundError, RegistryError, type OciError, type RegistryErrorDetail } from "./errors.ts";
import { readBounded, type HttpResponse } from "./http.ts";

const ERROR_BODY_LIMIT = 64 * 1024;
const notFoundCodes = new Set(["MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN", "BLOB_UPLOAD_UNKNOWN"]);

/** Narrows `{"errors":[{code,message}]}`; anything else gives an empty list. */
export function parseErrorBody(text: string): RegistryErrorDetail[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const errors = typeof doc === "object" && doc !== null ? (doc as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e: unknown) => {
    if (typeof e !== "object" || e === null) return [];
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code !== "string") return [];
    // Registry messages are shown to users; keep them short.
    return [{ code, message: typeof message === "string" ? message.slice(0, 300) : "" }];
  });
}

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
