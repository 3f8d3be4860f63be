// What every HTTP client of airlift (registry, Harbor) reads from a low-level failure (undici, net, tls): the
// error code under any `cause` chain, whether it is a certificate problem, and whether another attempt may help.

/** Certificate verification failures: permanent until the CA bundle (or an explicit opt-out) changes. */
export const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Connection-level failures worth another attempt. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** The first string `code` along the error's `cause` chain. */
export function lowLevelCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  return lowLevelCode((err as { cause?: unknown }).cause);
}

/** 5xx, 429 and 408 may succeed later; everything else needs a change first. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** One entry of the `{"errors":[{code,message}]}` body that registries and Harbor send with an error status. */
export interface ErrorBodyEntry {
  code: string;
  message: string;
}

/**
 * Narrows `{"errors":[{code,message}]}` (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes,
 * Harbor's API uses the same shape); anything else gives an empty list. Codes and messages end up in conditions
 * and logs, so both are kept short.
 */
export function parseErrorsBody(text: string): ErrorBodyEntry[] {
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
    return [{ code: code.slice(0, 64), message: typeof message === "string" ? message.slice(0, 300) : "" }];
  });
}
