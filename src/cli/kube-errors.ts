// An API server failure as one line saying what to fix, for the commands that talk to Kubernetes (`status`). The
// kind is read from the error's class and code (ApiError status, Node's socket and TLS codes), never its message.
import { ApiError } from "../kube/api-error.ts";
import { CliError } from "./command.ts";
import { errorLine } from "./error-lines.ts";

const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The first `code` along an error's cause chain (and an AggregateError's first member). */
function codeOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = e instanceof AggregateError && e.errors.length > 0 ? e.errors[0] : e.cause;
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  return err instanceof DOMException && (err.name === "TimeoutError" || err.name === "AbortError");
}

function apiHint(err: ApiError, context: string): string {
  if (err.status === 401)
    return `the API server refused the credentials of context "${context}" (401): renew the token or certificate in the kubeconfig`;
  if (err.status === 403) return `${err.message}: ask for get/list on airlift.dev resources, or use -n NAMESPACE`;
  if (err.status === 404)
    return `${err.message}: the airlift CustomResourceDefinitions are not installed (kubectl apply -f crds/)`;
  return err.message;
}

/** `err` from a request to `server` (context `context`) as a CliError with exit code 1. */
export function kubeFailure(err: unknown, server: string, context: string, timeoutMs: number): CliError {
  if (err instanceof ApiError) return new CliError(apiHint(err, context));
  if (isTimeout(err))
    return new CliError(
      `no answer from the API server at ${server} within ${timeoutMs / 1000}s: check that it is up, or raise --timeout`,
    );
  const code = codeOf(err);
  if (code && UNREACHABLE.has(code))
    return new CliError(
      `cannot reach the API server at ${server} (${errorLine(err)}): check the cluster's server in the kubeconfig and that it is up`,
    );
  if (code && UNTRUSTED.has(code))
    return new CliError(
      `the API server at ${server} has a certificate the kubeconfig does not trust (${code}): set the cluster's certificate-authority-data`,
    );
  return new CliError(`request to the API server at ${server} failed: ${errorLine(err)}`);
}
