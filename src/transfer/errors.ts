// One classification of every engine error, for the reconcilers (condition reasons) and the CLI (exit codes).
// By class and `code`/`transient` only, never by message text.
import { ArchiveError, BlobMismatchError, ExtractionRefusedError, InvalidArchiveError } from "../archive/errors.ts";
import { HarborError, HarborNotFoundError, HarborTlsError, HarborUnauthorizedError, HarborForbiddenError } from "../harbor/errors.ts";
import { NoMatchingTagError, InvalidTagPolicyError } from "../harbor/tag-policy.ts";
import { EndpointRefusedError } from "../net/endpoint-policy.ts";
import { AuthError, DigestMismatchError, InvalidInputError, NotFoundError, OciError, TlsError } from "../oci/errors.ts";
import { AccessDeniedError, SourceChangedError, SourceNotFoundError, StorageError } from "../storage/errors.ts";
import { DestinationPlanError } from "./destinations.ts";

/** The reasons users see in status (PascalCase, stable). */
export type TransferReason =
  | "InvalidArchive"
  | "DigestMismatch"
  | "SourceNotFound"
  | "SourceChanged"
  | "AccessDenied"
  | "SourceUnavailable"
  | "RegistryUnavailable"
  | "Unauthorized"
  | "RepositoryNotFound"
  | "UntrustedCertificate"
  | "InvalidDestination"
  | "InvalidReference"
  | "ExtractionRefused"
  | "EndpointRefused"
  | "NoMatchingTag"
  | "InvalidTagPolicy"
  | "UnsupportedMediaType"
  | "TransferFailed";

export interface Classified {
  reason: TransferReason;
  /** True when the same attempt may succeed later (5xx, 429, resets, a changed source object). */
  transient: boolean;
  message: string;
}

function registryReason(err: OciError): TransferReason {
  if (err instanceof TlsError) return "UntrustedCertificate";
  if (err instanceof AuthError || err.code === "UNAUTHORIZED" || err.code === "DENIED" || err.code === "HTTP_401" || err.code === "HTTP_403") return "Unauthorized";
  if (err instanceof NotFoundError) return err.code === "NAME_UNKNOWN" ? "RepositoryNotFound" : "SourceNotFound";
  if (err instanceof DigestMismatchError) return "DigestMismatch";
  if (err instanceof InvalidInputError) return err.code === "MEDIA_TYPE_UNSUPPORTED" || err.code === "MANIFEST_INVALID" ? "UnsupportedMediaType" : "InvalidReference";
  return err.transient ? "RegistryUnavailable" : "TransferFailed";
}

function harborReason(err: HarborError): TransferReason {
  if (err instanceof HarborTlsError) return "UntrustedCertificate";
  if (err instanceof HarborUnauthorizedError || err instanceof HarborForbiddenError) return "Unauthorized";
  if (err instanceof HarborNotFoundError) return "RepositoryNotFound";
  return err.transient ? "RegistryUnavailable" : "TransferFailed";
}

function archiveReason(err: ArchiveError): TransferReason {
  if (err instanceof ExtractionRefusedError) return "ExtractionRefused";
  if (err instanceof BlobMismatchError) return "DigestMismatch";
  if (err instanceof InvalidArchiveError) return "InvalidArchive";
  return "InvalidArchive";
}

function storageReason(err: StorageError): TransferReason {
  if (err instanceof SourceNotFoundError) return "SourceNotFound";
  if (err instanceof AccessDeniedError) return "AccessDenied";
  if (err instanceof SourceChangedError) return "SourceChanged";
  return err.transient ? "SourceUnavailable" : "TransferFailed";
}

/** Classifies any error the engine throws. Unknown errors are transient (a retry with backoff is the safe bet). */
export function classifyTransferError(err: unknown): Classified {
  const message = err instanceof Error ? err.message : String(err);
  let reason: TransferReason = "TransferFailed";
  let transient = true;
  if (err instanceof OciError) [reason, transient] = [registryReason(err), err.transient];
  else if (err instanceof HarborError) [reason, transient] = [harborReason(err), err.transient];
  else if (err instanceof ArchiveError) [reason, transient] = [archiveReason(err), false];
  else if (err instanceof StorageError) [reason, transient] = [storageReason(err), err.transient];
  else if (err instanceof DestinationPlanError) [reason, transient] = ["InvalidDestination", false];
  else if (err instanceof EndpointRefusedError) [reason, transient] = ["EndpointRefused", false];
  else if (err instanceof NoMatchingTagError) [reason, transient] = ["NoMatchingTag", false];
  else if (err instanceof InvalidTagPolicyError) [reason, transient] = ["InvalidTagPolicy", false];
  // A changed source object restarts the transfer from the new version.
  if (reason === "SourceChanged") transient = true;
  return { reason, transient, message };
}
