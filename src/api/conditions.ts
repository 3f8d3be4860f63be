// The one reason catalogue: every reason airlift writes (a condition's reason, an Event's reason, a stage error's
// `code`), each with its meaning. Reasons are the users' alerting interface: they are PascalCase, stable, and the
// names below are the ones the operator emits; `Reason` is derived from this table, so code cannot write a reason
// that is not listed here (and reasons.test.ts scans the source for literals that slip past the type).
// kstatus (https://github.com/kubernetes-sigs/cli-utils/blob/master/pkg/kstatus/README.md): `Ready` is always
// present, `Reconciling` and `Stalled` only while True; the condition message carries the human detail.

/** Condition types. */
export const ConditionType = {
  Ready: "Ready",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
  /** A kind's own condition (spec.verify): not kstatus's, written next to Ready by the same summarizer. */
  SourceVerified: "SourceVerified",
} as const;

/** Every reason the operator can write, with its one-line meaning (the README's reason table). */
export const REASONS = {
  // Progress and success.
  Succeeded: "Ready=True: the desired state is in place (also the Normal event of a finished import).",
  Progressing: "Reconciling=True: a pull, import or apply is under way.",
  ProgressingWithRetry:
    "Reconciling=True after a transient failure; Ready=False carries the failure's reason and a retry is scheduled with backoff.",
  Suspended: "Ready=False: spec.suspend is true; nothing is reconciled until it is cleared.",
  HealthPending: "Reconciling=True: an OciSync applied its objects and waits for all of them to become Current.",
  TLSVerificationDisabled:
    "Ready=True (and a Warning event) for an ArtifactPull pulled with TLS verification switched off by spec.",
  ImportStarted: "Normal event: an ImageImport started copying its archive into the registry.",
  ImagePushed: "Normal event: one image of an ImageImport is in the registry (pushed, or already present).",
  Pulled: "Normal event: an ArtifactPull published a new digest to its bucket.",
  Synced: "Normal event: an OciSync applied a new revision without errors.",
  Recreated:
    "Normal event: spec.force deleted and created again an object whose update the API server refused as invalid (an immutable field).",

  // The spec and the objects it references.
  InvalidSpec: "Stalled: the object passed the API server's schema but not the reconciler's checks.",
  DependencyNotReady:
    "Ready=False: an OciSync named in spec.dependsOn is missing or not Ready at its current generation; looked at again every 2 s.",
  DependencyCycle:
    "Stalled: spec.dependsOn leads back to this OciSync (the message names the cycle); looked at again every period.",
  SecretNotFound: "A referenced Secret does not exist (yet); looked up again every 30 s.",
  CrossNamespaceRefNotAllowed:
    "Stalled: a reference names a Secret of another namespace without a grant (the namespace is not an operator Secret source, or the Secret's airlift.dev/allowed-namespaces annotation does not name the resource's namespace); the message says which.",
  InvalidCredentialsSecret:
    "Stalled: a referenced Secret lacks the expected keys or format (Docker config, basic-auth, S3 keys, PEM CA).",
  NoRegistry:
    "Stalled: the spec names no registry and the operator has no default (--default-registry / --dns-suffix).",
  NoS3Endpoint:
    "Stalled: the spec names no S3 endpoint and the operator has no default (--default-s3-endpoint / --dns-suffix).",
  NoS3Credentials: "Stalled: the S3 location has no credentialsSecretRef.",
  EndpointRefused:
    "Stalled: an endpoint's address is refused by the operator's network policy (loopback, link-local, the API server).",

  // Registries and Harbor.
  Unauthorized: "Stalled: the registry or Harbor refused the credentials (401/403).",
  UntrustedCertificate:
    "Stalled: TLS verification failed (unknown authority, wrong CA bundle); name the CA in the spec's CA Secret reference.",
  RegistryUnavailable: "The registry or Harbor could not be reached or answered 5xx/429; retried with backoff.",
  RepositoryNotFound: "Stalled: the repository (or Harbor project) does not exist.",
  SourceNotFound: "Stalled: what the spec names as the source does not exist: the S3 object, the tag or the digest.",
  NoMatchingTag: "Stalled: no tag matches the tag policy or semver range yet; checked again every interval.",
  InvalidTagPolicy: "Stalled: the tag policy cannot be evaluated (for example a bad pattern).",
  InvalidReference: "Stalled: an image reference, digest or manifest breaks the distribution spec's grammar.",
  UnsupportedMediaType: "Stalled: a manifest, config or layer has a media type airlift does not handle.",
  PlatformNotFound: "Stalled: the image index has no manifest for the spec's platform.",
  LayerNotFound: "Stalled: the image has no layer of the layer selector's media type.",
  DigestMismatch: "Stalled: content's digest or size differs from the one its descriptor announced.",

  // Signature verification (spec.verify; also the reason of SourceVerified=False).
  SignatureVerified:
    "SourceVerified=True: a signature by a trusted key names the source's digest (the message names the key's fingerprint and the signature's digest).",
  SignatureMissing:
    "Stalled: spec.verify is set and the source has no cosign signature (.sig tag) or sigstore bundle referrer; nothing is tagged, published or applied.",
  SignatureKeyUnknown:
    "Stalled: the source's signatures verify with none of the keys in spec.verify.publicKeysSecretRef (or a key there is of an unsupported type).",
  SignatureInvalid: "Stalled: a signature is malformed, altered, or made by a trusted key over another image's digest.",

  // Archives, extraction and buckets.
  InvalidArchive: "Stalled: the archive is not a readable docker-archive or OCI archive.",
  ExtractionRefused:
    "Stalled: extraction refused an entry (path escape, link, device file) or hit a size or entry limit.",
  InvalidDestination:
    "Stalled: the archive's images cannot be mapped to destinations (ambiguous archive, unknown spec.images source).",
  AccessDenied: "Stalled: the S3 server refused the credentials or the bucket policy (403).",
  SourceChanged: "The S3 object changed while it was read; the import restarts from the new version.",
  SourceUnavailable: "The S3 server could not be reached, answered 5xx or throttled; retried with backoff.",
  TransferFailed: "Any other failure of a transfer; retried with backoff while it may be transient.",
  ReconcileError: "Log only: a reconcile failed with an error that carries no reason; retried with backoff.",

  // Drop-box imports (an ImageImport of a bucket prefix): an archive's own outcome, in status.dropBox and its Events.
  ChecksumMismatch:
    "Stalled (that archive quarantined): its SHA-256 differs from its line in the prefix's SHA256SUMS; it is not imported until the object or the list changes.",
  NotListed:
    "Stalled (that archive quarantined): SHA256SUMS has no line for it, or checksums are required and the prefix has no SHA256SUMS.",
  ChecksumListInvalid:
    "Stalled: the prefix's SHA256SUMS cannot be read (a line of another format, a name listed twice with two digests); nothing is imported until it is fixed.",

  // OciSync content, apply, prune and health (also the `code` of status.source/sync errors).
  DirNotFound: "Stalled: spec.oci.dir is not a folder of the image.",
  InvalidYAML:
    "Stalled: a YAML or JSON document does not parse or is not a Kubernetes object (the message names file and line).",
  PathEscape: "Stalled: spec.oci.dir or a symlink of the image points outside the extracted tree.",
  SizeLimitExceeded: "Stalled: the manifests exceed the loader's caps (bytes, file size, alias expansions or depth).",
  ObjectLimitExceeded:
    "Stalled: the source holds more objects or manifest files than the per-sync limit (`airlift operator --sync-max-objects`, Helm `sync.maxObjects`, default 100,000); nothing is applied or pruned.",
  DuplicateObject: "Stalled: two documents declare the same object.",
  RenderFailed:
    "Stalled: `kustomize build` of spec.oci.dir failed, took too long, printed too much or used too much memory (the message is kustomize's).",
  RenderRefused:
    "Stalled: a kustomization reaches what an operator never renders: a remote base, helmCharts, an exec/container/KRM-function plugin, a path outside the image.",
  SubstitutionFailed:
    "Stalled: a ${VAR} of the rendered objects has no value in spec.substitute, spec.substituteFrom or the built-ins and no default (the message names the file and the variable), or a substituteFrom key is not a variable name.",
  SubstituteFromNotFound:
    "Stalled: a ConfigMap or Secret that spec.substituteFrom names (not optional) does not exist in the OciSync's namespace; looked up again every period.",
  ValidationFailed:
    "Stalled: the server-side dry-run of the revision refused one or more objects (schema, admission, immutable field); nothing of it was applied and the last good revision stays.",
  KustomizeUnavailable:
    "Stalled: spec.oci.dir holds a kustomization but the operator's kustomize is turned off or missing; its files are not applied as they stand.",
  ScopeViolation:
    "Stalled: a namespace-scoped OciSync declares (or names in spec.healthChecks) a cluster-scoped object or one in another namespace.",
  Forbidden: "Stalled: the identity the OciSync applies as may not write the object (RBAC).",
  ManagementConflict: "Stalled: the object is managed by another OciSync (or owner) and is left untouched.",
  UnknownKind: "The API server serves no such kind (is its CRD installed?); retried.",
  CRDNotEstablished: "A CRD of the same source was not applied or is not established yet; retried.",
  InvalidDependsOn:
    "Stalled: an object's config.kubernetes.io/depends-on does not parse, or names an object its source does not declare (a dependency must be in the same source); that object is not applied.",
  DependsOnCycle:
    "Stalled: config.kubernetes.io/depends-on annotations of one source form a cycle (the message names it); those objects are not applied.",
  TerminationPending:
    "An OciSync being deleted with deletionPolicy WaitForTermination waits for its deleted objects to be gone (their finalizers); looked at again every 2 s.",
  DependencyNotReconciled:
    "An object's depends-on dependency failed or did not become Current within spec.timeout (when pruning: its dependant was not gone in time); the object is left as it is until the next sync.",
  ApplyConflict: "Server-side apply conflicts with another field manager on an object airlift does not own; retried.",
  ApplyFailed: "Server-side apply of one or more objects failed; retried with backoff.",
  PruneRefused:
    "Stalled: the prune safeguard refused to delete (empty source, or too large a fraction of the inventory).",
  PruneFailed: "Deleting objects that left the source (or, with foreground deletion, all of them) failed; retried.",
  ImagesMissing:
    "An OciSync's workloads use images their registry does not have: with imagePreflight warn (default) a Warning event and status.imagePreflight list them after applying; with block nothing is applied (Ready=False) until they are pushed, checked again each period.",
  HealthTimeout:
    "Stalled: objects (applied, or named in spec.healthChecks) did not become Current within spec.timeout, or one of them Failed.",
  InvalidKubeConfig:
    "Stalled: the kubeconfig of spec.kubeConfig.secretRef is missing its key, does not parse, or needs what the operator never uses (an exec or auth-provider plugin, files, basic auth, insecure-skip-tls-verify), or its credentials were refused.",
  RemoteClusterUnavailable:
    "The API server of spec.kubeConfig did not answer (connection refused, timeout, 5xx); retried with backoff, nothing applied or pruned meanwhile.",
  InvalidHealthCheckExpr:
    "Stalled: a CEL expression of spec.healthCheckExprs does not parse, names an unknown function or exceeds the cost bounds (the message names the field).",
} as const satisfies Record<string, string>;

/** A reason of the catalogue. */
export type Reason = keyof typeof REASONS;

/** Every reason of the catalogue. */
export const ALL_REASONS: readonly Reason[] = Object.keys(REASONS) as Reason[];

/** True when `text` is a reason of the catalogue. */
export function isReason(text: string): text is Reason {
  return Object.hasOwn(REASONS, text);
}

/** The API server's pattern for metav1.Condition.reason. */
export const REASON_PATTERN = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";
