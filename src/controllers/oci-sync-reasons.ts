// Condition reasons of OciSync (the issue's own list) and the mapping from typed engine errors to them. Reasons are
// chosen by error class and code, never by message text (STYLE.md). Each reason says whether waiting may help:
// transient ones are retried with backoff, the others wait for a new digest or a spec change.
import { StallingError, WaitingError } from "../kube/errors.ts";
import { EndpointRefusedError } from "../net/endpoint-policy.ts";
import { AuthError, DigestMismatchError, InvalidInputError, NotFoundError, OciError, TlsError } from "../oci/index.ts";
import { ArchiveError } from "../archive/index.ts";
import type { SyncError } from "../sync/index.ts";

/** Reasons an OciSync's Ready / Stalled conditions carry. */
export const OciSyncReasons = {
  Succeeded: "Succeeded",
  Progressing: "Progressing",
  Suspended: "Suspended",
  /** A YAML or JSON document does not parse (the message names file and line). */
  InvalidYAML: "InvalidYAML",
  /** spec.oci.dir is not a folder of the image. */
  DirNotFound: "DirNotFound",
  /** The tag, digest or repository does not exist (or no tag matches the semver range). */
  ImageNotFound: "ImageNotFound",
  /** The registry refused the credentials (401/403). */
  Unauthorized: "Unauthorized",
  /** The registry could not be reached or answered 5xx/429: retried with backoff. */
  RegistryUnavailable: "RegistryUnavailable",
  /** The image's content could not be used (bad layer, unsafe path, size cap, platform missing). */
  InvalidArtifact: "InvalidArtifact",
  TLSFailed: "TLSFailed",
  EndpointRefused: "EndpointRefused",
  ApplyFailed: "ApplyFailed",
  PruneRefused: "PruneRefused",
  ManagementConflict: "ManagementConflict",
  HealthTimeout: "HealthTimeout",
  HealthPending: "HealthPending",
} as const;

/** A source-stage failure with its reason; `transient` ones are retried with backoff. */
export class OciSyncSourceError extends Error {
  override readonly name = "OciSyncSourceError";
  readonly reason: string;
  readonly transient: boolean;

  constructor(reason: string, message: string, transient = false, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
    this.transient = transient;
  }
}

/** Maps anything the source stage threw to a reason, a message safe for status, and whether to retry soon. */
export function classifySourceError(err: unknown): OciSyncSourceError {
  if (err instanceof OciSyncSourceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const make = (reason: string, transient = false): OciSyncSourceError => new OciSyncSourceError(reason, message, transient, { cause: err });
  if (err instanceof StallingError || err instanceof WaitingError) return new OciSyncSourceError(err.reason, message, err instanceof WaitingError, { cause: err });
  if (err instanceof EndpointRefusedError) return make(OciSyncReasons.EndpointRefused);
  if (err instanceof NotFoundError) return make(OciSyncReasons.ImageNotFound);
  if (err instanceof AuthError) return make(OciSyncReasons.Unauthorized);
  if (err instanceof TlsError) return make(OciSyncReasons.TLSFailed);
  if (err instanceof DigestMismatchError || err instanceof InvalidInputError || err instanceof ArchiveError) return make(OciSyncReasons.InvalidArtifact);
  if (err instanceof OciError) return make(err.transient ? OciSyncReasons.RegistryUnavailable : OciSyncReasons.InvalidArtifact, err.transient);
  if ((err as { code?: unknown }).code === "ENDPOINT_REFUSED") return make(OciSyncReasons.EndpointRefused);
  // Anything else (a reset the client did not type, a local disk error) is worth a retry.
  return make(OciSyncReasons.RegistryUnavailable, true);
}

/** The condition reason for the errors of one sync, most specific first. */
export function syncErrorReason(errors: readonly SyncError[]): string {
  const codes = new Set(errors.map((e) => e.code));
  if (codes.has("InvalidManifest") || codes.has("SizeLimitExceeded") || codes.has("PathEscape")) return OciSyncReasons.InvalidYAML;
  if (codes.has("ManagementConflict")) return OciSyncReasons.ManagementConflict;
  if (codes.has("PruneSafeguard")) return OciSyncReasons.PruneRefused;
  return OciSyncReasons.ApplyFailed;
}
