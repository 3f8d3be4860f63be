// Condition types and reasons shared by the three reconcilers. kstatus
// (https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md): `Ready` is always present,
// `Reconciling` and `Stalled` only while True. Reasons are PascalCase, stable, and what alerts and tests match on;
// the condition message carries the human detail.

/** Condition types. */
export const ConditionType = {
  Ready: "Ready",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
} as const;
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

/** Reasons every kind uses. */
export const CommonReason = {
  /** Ready=True: the desired state is in place. */
  Succeeded: "Succeeded",
  /** Reconciling=True: work is under way. */
  Progressing: "Progressing",
  /** Reconciling=True after a transient failure that will be retried. */
  ProgressingWithRetry: "ProgressingWithRetry",
  /** spec.suspend is true: nothing is reconciled. */
  Suspended: "Suspended",
  /** The object passed the API server's schema but not the reconciler's checks (Stalled). */
  InvalidSpec: "InvalidSpec",
  /** A referenced Secret or one of its keys is missing. */
  SecretNotFound: "SecretNotFound",
  /** A referenced Secret lives in another namespace and the operator does not allow that. */
  CrossNamespaceRefNotAllowed: "CrossNamespaceRefNotAllowed",
  /** The credentials were refused (401/403). */
  AuthenticationFailed: "AuthenticationFailed",
  /** An endpoint was refused by the operator's network policy (loopback, link-local, the API server). */
  EndpointRefused: "EndpointRefused",
  /** TLS failed (unknown authority, bad CA bundle). */
  TLSFailed: "TLSFailed",
  /** The registry answered with an error (retried while transient). */
  RegistryError: "RegistryError",
  /** The S3 server answered with an error (retried while transient). */
  StorageError: "StorageError",
  /** A blob's or manifest's digest differs from the one announced. */
  DigestMismatch: "DigestMismatch",
  /** A manifest, config or layer has a media type airlift does not handle. */
  UnsupportedMediaType: "UnsupportedMediaType",
  /** The image index has no manifest for spec's platform. */
  PlatformNotFound: "PlatformNotFound",
} as const;

/** Reasons of ImageImport. */
export const ImageImportReason = {
  /** The bucket object does not exist. */
  ArchiveNotFound: "ArchiveNotFound",
  /** The archive is not a readable docker-archive or OCI archive (bad tar, no manifest.json / index.json). */
  ArchiveInvalid: "ArchiveInvalid",
  /** spec.images[].source names no entry of the archive. */
  ImageNotInArchive: "ImageNotInArchive",
  /** A multi-image archive without destination.rewrite or spec.images. */
  AmbiguousArchive: "AmbiguousArchive",
  /** Pushing a blob or manifest failed. */
  PushFailed: "PushFailed",
  /** The object's ETag changed while it was read; the import restarts. */
  SourceChanged: "SourceChanged",
} as const;

/** Reasons of ArtifactPull. */
export const ArtifactPullReason = {
  /** spec.source.tag or digest does not exist. */
  ArtifactNotFound: "ArtifactNotFound",
  /** tagPolicy matched no tag. */
  NoMatchingTag: "NoMatchingTag",
  /** The Harbor API could not be read. */
  HarborAPIError: "HarborAPIError",
  /** Extraction refused an entry (path escape, link, device) or hit a limit. */
  ExtractFailed: "ExtractFailed",
  /** An extraction limit (spec.extractLimits) was exceeded. */
  SizeLimitExceeded: "SizeLimitExceeded",
  /** Writing to the destination bucket failed. */
  UploadFailed: "UploadFailed",
} as const;

/** Reasons of OciSync. */
export const OciSyncReason = {
  /** The image could not be resolved or pulled. */
  SourceFailed: "SourceFailed",
  /** An extracted path escapes `dir`, or a link points outside it. */
  PathEscapesRoot: "PathEscapesRoot",
  /** A YAML document could not be parsed or is not a Kubernetes object. */
  InvalidManifest: "InvalidManifest",
  /** A namespaced OciSync carried a cluster-scoped object or another namespace. */
  ScopeRefused: "ScopeRefused",
  /** Server-side apply of one or more objects failed. */
  ApplyFailed: "ApplyFailed",
  /** Impersonating spec.serviceAccountName failed. */
  ImpersonationFailed: "ImpersonationFailed",
  /** Prune was refused by the safeguard (empty source, or too large a fraction). */
  PruneBlocked: "PruneBlocked",
  /** Deleting objects that left the source failed. */
  PruneFailed: "PruneFailed",
  /** Objects are applied but not yet Current. */
  HealthCheckPending: "HealthCheckPending",
  /** Objects did not become Current within spec.timeout. */
  HealthCheckFailed: "HealthCheckFailed",
} as const;

/** Every reason constant, for tests that check the PascalCase rule. */
export const ALL_REASONS: readonly string[] = [
  ...Object.values(CommonReason),
  ...Object.values(ImageImportReason),
  ...Object.values(ArtifactPullReason),
  ...Object.values(OciSyncReason),
];

/** The API server's pattern for metav1.Condition.reason. */
export const REASON_PATTERN = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";
