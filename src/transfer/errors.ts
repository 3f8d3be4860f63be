// The one classification of every engine error, for the three reconcilers (condition reasons) and the CLI (exit
// codes): an error becomes a catalogue reason (api/conditions.ts), whether a retry may help, and a message safe for
// status. By class and `code` only, never by message or `name` text (STYLE.md). The controller-level errors
// (kube's StallingError / WaitingError, which keep their own reason) are the reconciler skeleton's business.
import type { Reason } from "../api/conditions.ts";
import { ArchiveError, BlobMismatchError, ExtractionRefusedError } from "../archive/errors.ts";
import {
  HarborError,
  HarborForbiddenError,
  HarborNotFoundError,
  HarborTlsError,
  HarborUnauthorizedError,
} from "../harbor/errors.ts";
import { InvalidTagPolicyError, NoMatchingTagError } from "../harbor/tag-policy.ts";
import { endpointRefusal } from "../net/endpoint-policy.ts";
import { siteTrust, trustUsed } from "../net/trust.ts";
import { ContentMismatchError, InvalidManifestError, SpecError } from "../ocispec/errors.ts";
import { AuthError, DigestMismatchError, InvalidInputError, NotFoundError, OciError, TlsError } from "../oci/errors.ts";
import {
  AccessDeniedError,
  SourceChangedError,
  SourceNotFoundError,
  StorageError,
  StorageTlsError,
} from "../storage/errors.ts";
import {
  LayerNotFoundError,
  NestedIndexError,
  NoMatchingSemverTagError,
  PlatformNotFoundError,
} from "./content-errors.ts";
import { VerifyError, type VerifyReason } from "../verify/errors.ts";
import { DestinationPlanError } from "./destinations.ts";
import { ChecksumListError } from "./checksum-list.ts";
import { ChecksumMismatchError, NotListedError } from "./drop-box-trust.ts";

/** The reasons an engine error can have (a part of the catalogue). */
export type TransferReason = Extract<
  Reason,
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
  | "PlatformNotFound"
  | "LayerNotFound"
  | "TransferFailed"
  | VerifyReason
  | "ChecksumMismatch"
  | "NotListed"
  | "ChecksumListInvalid"
>;

/** An engine error as status shows it. */
export interface Classified {
  reason: TransferReason;
  /** True when the same attempt may succeed later (5xx, 429, resets, a changed source object). */
  transient: boolean;
  message: string;
}

/** Registry codes (distribution spec error codes, or the client's own) with a reason of their own. */
const REGISTRY_CODES: Readonly<Record<string, TransferReason>> = {
  UNAUTHORIZED: "Unauthorized",
  DENIED: "Unauthorized",
  HTTP_401: "Unauthorized",
  HTTP_403: "Unauthorized",
  NAME_UNKNOWN: "RepositoryNotFound",
  MANIFEST_INVALID: "UnsupportedMediaType",
  MANIFEST_UNSUPPORTED: "UnsupportedMediaType",
  MEDIA_TYPE_UNSUPPORTED: "UnsupportedMediaType",
  PLATFORM_NOT_FOUND: "PlatformNotFound",
  LAYER_NOT_FOUND: "LayerNotFound",
  NO_MATCHING_TAG: "NoMatchingTag",
};

function registryReason(err: OciError): TransferReason {
  if (err instanceof TlsError) return "UntrustedCertificate";
  if (err instanceof DigestMismatchError) return "DigestMismatch";
  const byCode = REGISTRY_CODES[err.code];
  if (byCode) return byCode;
  if (err instanceof AuthError) return "Unauthorized";
  if (err instanceof NotFoundError) return "SourceNotFound";
  if (err instanceof InvalidInputError) return "InvalidReference";
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
  return "InvalidArchive";
}

function specReason(err: SpecError): TransferReason {
  if (err instanceof ContentMismatchError) return "DigestMismatch";
  if (err instanceof InvalidManifestError) return "UnsupportedMediaType";
  return "InvalidReference";
}

function storageReason(err: StorageError): TransferReason {
  if (err instanceof SourceNotFoundError) return "SourceNotFound";
  if (err instanceof AccessDeniedError) return "AccessDenied";
  if (err instanceof SourceChangedError) return "SourceChanged";
  if (err instanceof StorageTlsError) return "UntrustedCertificate";
  return err.transient ? "SourceUnavailable" : "TransferFailed";
}

type ErrorClass = abstract new (...args: never[]) => Error;

/** The engine's own choices that no retry changes: a new push or a spec change fixes them. */
const PERMANENT: readonly (readonly [ErrorClass, TransferReason])[] = [
  [DestinationPlanError, "InvalidDestination"],
  [PlatformNotFoundError, "PlatformNotFound"],
  [LayerNotFoundError, "LayerNotFound"],
  [NestedIndexError, "UnsupportedMediaType"],
  [NoMatchingTagError, "NoMatchingTag"],
  [NoMatchingSemverTagError, "NoMatchingTag"],
  [InvalidTagPolicyError, "InvalidTagPolicy"],
  [ChecksumMismatchError, "ChecksumMismatch"],
  [NotListedError, "NotListed"],
  [ChecksumListError, "ChecksumListInvalid"],
];

/** Reason and retry verdict of a typed engine error; undefined for an error the engine did not type. */
function typed(err: unknown): [TransferReason, boolean] | undefined {
  // The network policy's refusal may sit under a client's own error: permanent, the spec must change.
  if (endpointRefusal(err)) return ["EndpointRefused", false];
  if (err instanceof OciError) return [registryReason(err), err.transient];
  if (err instanceof HarborError) return [harborReason(err), err.transient];
  if (err instanceof ArchiveError) return [archiveReason(err), false];
  // A refused signature stays refused until the source is re-signed or a key is added.
  if (err instanceof VerifyError) return [err.code, false];
  if (err instanceof SpecError) return [specReason(err), false];
  // A changed source object restarts the transfer from the new version.
  if (err instanceof StorageError) return [storageReason(err), err.transient || err instanceof SourceChangedError];
  const permanent = PERMANENT.find(([type]) => err instanceof type);
  return permanent ? [permanent[1], false] : undefined;
}

/**
 * Classifies any error the engine throws. Unknown errors are transient (a retry with backoff is the safe bet). A
 * certificate failure's message names the trust the connection used (system roots, the site's bundle, the
 * resource's own CA), so the fix is plain.
 */
export function classifyTransferError(err: unknown): Classified {
  const text = err instanceof Error ? err.message : String(err);
  const [reason, transient] = typed(err) ?? ["TransferFailed", true];
  const message =
    reason === "UntrustedCertificate" ? `${text}; trusted: ${trustUsed(err) ?? siteTrust.describe()}` : text;
  return { reason, transient, message };
}
