// Turns API server failures of one object into sync errors with messages users can act on.
import { ApiError } from "../kube/api-error.ts";
import { SyncError, type SyncErrorCode } from "./errors.ts";
import { describeIdentity, type ObjectIdentity } from "./identity.ts";

// The authorizer's wording: `User "u" cannot create resource "configmaps" in API group "" in the namespace "t"`.
// https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-whether-a-request-is-allowed-or-denied
const FORBIDDEN =
  /User "([^"]*)" cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/;

/** Describes a 403: who was refused which verb on which resource in which namespace. */
export function forbiddenDetail(message: string): string | undefined {
  const m = FORBIDDEN.exec(message);
  if (!m) return undefined;
  const [, user, verb, resource, group, namespace] = m;
  const res = group ? `${resource}.${group}` : resource;
  return `${user} may not ${verb} ${res}${namespace ? ` in namespace ${namespace}` : " (cluster-wide)"}`;
}

/** The server's own message, without our `METHOD path: status` prefix. */
function serverMessage(err: ApiError): string {
  return err.message.replace(/^[A-Z]+ \S+: \d+ ?/, "");
}

/** Classifies a failure to `verb` one object into a SyncError; `fallback` is the code of unclassified failures. */
export function objectError(
  verb: string,
  id: ObjectIdentity,
  err: unknown,
  fallback: SyncErrorCode = "ApplyFailed",
): SyncError {
  const what = `failed to ${verb} ${describeIdentity(id)}`;
  if (err instanceof SyncError) return err;
  if (!(err instanceof ApiError))
    return new SyncError(fallback, `${what}: ${(err as Error).message}`, [id], { cause: err });
  const detail = serverMessage(err);
  if (err.status === 403) {
    return new SyncError("Forbidden", `${what}: forbidden: ${forbiddenDetail(detail) ?? detail}`, [id], { cause: err });
  }
  if (err.status === 409 && err.reason === "Conflict") {
    return new SyncError(
      "ApplyConflict",
      `${what}: fields are managed by another field manager (not forced, the object is not ours): ${detail}`,
      [id],
      { cause: err },
    );
  }
  return new SyncError(fallback, `${what}: ${err.status} ${err.reason ? `${err.reason}: ` : ""}${detail}`, [id], {
    cause: err,
  });
}
