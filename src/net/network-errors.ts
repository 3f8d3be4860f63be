// What every client of airlift (registry, Harbor, S3) reads from a low-level failure (undici, net, tls): the
// error code under any `cause` chain, whether it is a certificate problem, and whether another attempt may help.
import { endpointRefusal, type EndpointRefusedError } from "./endpoint-policy.ts";

/** Certificate verification failures: permanent until the CA bundle (or an explicit opt-out) changes. */
const TLS_ERROR_CODES: ReadonlySet<string> = new Set([
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
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
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
function lowLevelCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  return lowLevelCode((err as { cause?: unknown }).cause);
}

/** 5xx, 429 and 408 may succeed later; everything else needs a change first. */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** A connection-level failure worth another attempt (never a refusal of the endpoint policy). */
export function isTransientNetworkFailure(err: unknown): boolean {
  if (endpointRefusal(err)) return false;
  const code = lowLevelCode(err);
  return code !== undefined && TRANSIENT_NETWORK_CODES.has(code);
}

/** What a low-level failure was: the endpoint policy's refusal, a certificate problem, or another connection failure. */
export type NetworkFailure =
  { kind: "refused"; refusal: EndpointRefusedError } | { kind: "tls" | "connection"; code: string };

/** Sorts a low-level failure for a client to wrap in its own error classes; `code` is `NETWORK` when none is found. */
export function describeNetworkFailure(err: unknown): NetworkFailure {
  const refusal = endpointRefusal(err);
  if (refusal) return { kind: "refused", refusal };
  const code = lowLevelCode(err) ?? "NETWORK";
  return { kind: TLS_ERROR_CODES.has(code) ? "tls" : "connection", code };
}
