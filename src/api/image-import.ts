// ImageImport: stream an image archive (docker-archive or OCI archive, plain or gzip) from an S3 bucket into an
// OCI registry. The CRD schema is image-import-schema.ts; schema-agreement.test.ts proves the two agree.
import type { VerifySpec } from "./verify.ts";
import type { CaBundleRef, Condition, EndpointsUsed, ObjectMeta, RegistryCredentialsRef, S3Location } from "./meta.ts";
import { withCaBundleDefaults, withS3Defaults, type S3LocationDefaulted } from "./meta.ts";

/** How layers are written to the registry. */
export const LAYER_COMPRESSIONS = ["preserve", "gzip", "zstd", "none"] as const;
/** `preserve` pushes layers as the archive holds them; `gzip` compresses uncompressed ones; `none` pushes them plain. */
export type LayerCompression = (typeof LAYER_COMPRESSIONS)[number];

/** How a drop-box checks archives against the prefix's SHA256SUMS. */
export const CHECKSUM_POLICIES = ["auto", "required", "off"] as const;
/** `auto`: when SHA256SUMS is there; `required`: no list, no import; `off`: never. */
export type ChecksumPolicy = (typeof CHECKSUM_POLICIES)[number];

/** The archive's location: one object (`key`), or a drop-box (`prefix` and `match`). */
export interface ImageImportS3Source extends S3Location {
  /** Object key of the archive, e.g. `g/oracle_db.tar`; exclusive with prefix. */
  key?: string;
  /** A drop-box: every archive under this folder that `match` selects is imported, new ones as they appear. */
  prefix?: string;
  /** Globs over keys relative to the prefix (`*.tar`, `g/**\/*.tar.gz`); default every .tar, .tar.gz and .tgz. */
  match?: string[];
  /** Checking archives against the prefix's SHA256SUMS (and its signature); default auto. */
  checksums?: ChecksumPolicy;
}

/** Where an archive's images land when their RepoTags are kept. */
export interface RepoTagRewrite {
  /** Registry replacing the RepoTag's registry; default destination.registry, then the operator's default. */
  registry?: string;
  /** Prepended to each RepoTag's repository (`team/` + `library/nginx` → `team/library/nginx`). */
  repositoryPrefix?: string;
}

/** The registry side. */
export interface ImageImportDestination {
  /** Registry host[:port]; default: the operator's default registry (`harbor.<dnsSuffix>`). */
  registry?: string;
  /** Repository path, e.g. `library/oracle-db`; required unless rewrite (or every images[] entry names one). */
  repository?: string;
  /** Tags to push; exclusive with rewrite. */
  tags?: string[];
  /** Keep the archive's RepoTags, rewritten onto the destination; exclusive with tags. */
  rewrite?: RepoTagRewrite;
  /** A drop-box's naming template (`mirror/{dir}/{name}`): the repository from the archive's key, its own tags. */
  repositoryTemplate?: string;
  credentialsSecretRef?: RegistryCredentialsRef;
  caBundleSecretRef?: CaBundleRef;
  insecureSkipTLSVerify?: boolean;
  plainHTTP?: boolean;
}

/** Selects (and optionally renames) one entry of a multi-image archive. */
export interface ImageSelector {
  /** A RepoTag of the archive (`oracle/db:19.3`) or a zero-based index into its manifest list. */
  source: string | number;
  /** Repository for this image; overrides destination.repository and rewrite. */
  repository?: string;
  /** Tags for this image; override destination.tags and the RepoTags. */
  tags?: string[];
}

/** Desired state of an ImageImport. */
export interface ImageImportSpec {
  source: { s3: ImageImportS3Source };
  destination: ImageImportDestination;
  /** Entries to import; default: every image of the archive. */
  images?: ImageSelector[];
  /** Keep only these platforms (`os/arch[/variant]`) of a multi-arch index; the reduced index has a new digest. */
  platforms?: string[];
  /** Default `preserve`. */
  layerCompression?: LayerCompression;
  /** Blobs uploaded at once, 1..16; default 3. */
  concurrency?: number;
  /** Stop reconciling; default false. */
  /** Verify the source's signature offline before it is used. */
  verify?: VerifySpec;
  suspend?: boolean;
  /** A drop-box's poll period (Go duration); default 5m. */
  interval?: string;
  /** A drop-box's archives imported at once, 1..8; default 2. */
  parallelImports?: number;
}

/** One image pushed. */
export interface ImportedImage {
  /** The archive entry: its first RepoTag, or `#<index>` when it has none. */
  source: string;
  /** Where it went: `registry/repository:tag`. */
  reference: string;
  /** Digest of the pushed manifest. */
  digest: string;
  /** Media type of the pushed manifest. */
  mediaType: string;
  /** Bytes of the image's blobs (config and layers) as pushed. */
  size: number;
  /** The archive's index digest, when a `platforms` subset pushed a different (reduced) index. */
  sourceDigest?: string;
  /** For an index (multi-arch image): each child image's platform and digest, pushed before the index. */
  children?: { platform: string; digest: string }[];
  /** Signatures, attestations and SBOMs from the archive pushed with it: digest, subject, and how they are listed. */
  referrers?: { digest: string; subject: string; via: string }[];
}

/** Byte progress of the import under way; never goes backwards within one attempt. */
export interface ImportProgress {
  bytesDone: number;
  bytesTotal: number;
}

/** The input of the last attempt, so a failed import is not retried in a hot loop on unchanged input. */
export interface ImportAttempt {
  /** The archive's ETag. */
  revision: string;
  /** metadata.generation of the spec. */
  generation: number;
  /**
   * SHA-256 (hex) of everything the attempt depended on: generation, ETag, endpoints and the referenced Secrets'
   * resourceVersions (never their values). An attempt that stalled is not repeated on the same inputs, restarts included.
   */
  inputs?: string;
}

/** One archive of a drop-box, as its last poll left it. */
export interface DropBoxKeyStatus {
  /** The key relative to the prefix. */
  name: string;
  etag: string;
  outcome: "imported" | "quarantined" | "failed";
  reason?: string;
  message?: string;
  /** `reference@digest` of each pushed image. */
  images?: string[];
  at: string;
}

/** A drop-box's state: counts over the archives matched now, and the most recent outcomes. */
export interface DropBoxStatus {
  matched: number;
  imported: number;
  quarantined: number;
  failed: number;
  /** Matched but not settled yet (new, replaced, or waiting for a retry). */
  pending: number;
  lastPollAt?: string;
  /** The checksum list the last poll trusted: its ETag and the fingerprint of the key that signed it. */
  checksumList?: { etag: string; signedBy?: string };
  /** The ConfigMap (same namespace) with every archive's outcome, one line each. */
  outcomesConfigMap?: string;
  /** The last outcomes, newest first (bounded). */
  recent?: DropBoxKeyStatus[];
}

/** Observed state of an ImageImport. */
export interface ImageImportStatus {
  observedGeneration?: number;
  /** The reconcile request (airlift.dev/reconcile-requested-at) last handled. */
  lastHandledReconcileAt?: string;
  conditions?: Condition[];
  images?: ImportedImage[];
  progress?: ImportProgress;
  /** ETag of the imported archive; a re-import happens only when it (or the spec) changes. */
  sourceRevision?: string;
  /** When the current or last import started (RFC 3339). */
  startedAt?: string;
  /** When the last import completed (RFC 3339). */
  completedAt?: string;
  lastAttempt?: ImportAttempt;
  /** The registry and S3 endpoint the last reconcile used, and where each came from. */
  endpoints?: EndpointsUsed;
  /** A drop-box's counts and recent outcomes. */
  dropBox?: DropBoxStatus;
}

/** An ImageImport object. */
export interface ImageImport {
  apiVersion: "airlift.dev/v1alpha1";
  kind: "ImageImport";
  metadata: ObjectMeta;
  spec: ImageImportSpec;
  status?: ImageImportStatus;
}

/** Defaults of ImageImport's own fields (the CRD schema declares the same). */
export const IMAGE_IMPORT_DEFAULTS = {
  layerCompression: "preserve",
  concurrency: 3,
  suspend: false,
} as const;

/** Defaults of a drop-box's fields, applied by the reconciler (a single-key import has no use for them). */
export const DROP_BOX_DEFAULTS = {
  interval: "5m",
  parallelImports: 2,
  checksums: "auto",
  match: ["**/*.tar", "**/*.tar.gz", "**/*.tgz"],
} as const;

/** An ImageImport spec with every defaulted field present. */
export type ImageImportSpecDefaulted = Omit<
  ImageImportSpec,
  "layerCompression" | "concurrency" | "suspend" | "source"
> & {
  source: { s3: S3LocationDefaulted<ImageImportS3Source> };
  layerCompression: LayerCompression;
  concurrency: number;
  suspend: boolean;
};

/** Returns a copy of `spec` with defaults filled in, as the API server would (Secret key names included). */
export function withImageImportDefaults(spec: ImageImportSpec): ImageImportSpecDefaulted {
  const copy = structuredClone(spec);
  return {
    ...copy,
    source: { s3: withS3Defaults(copy.source.s3) },
    destination: withCaBundleDefaults(copy.destination),
    layerCompression: copy.layerCompression ?? IMAGE_IMPORT_DEFAULTS.layerCompression,
    concurrency: copy.concurrency ?? IMAGE_IMPORT_DEFAULTS.concurrency,
    suspend: copy.suspend ?? IMAGE_IMPORT_DEFAULTS.suspend,
  };
}
