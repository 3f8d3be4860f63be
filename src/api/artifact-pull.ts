// ArtifactPull: pick an artifact in Harbor by tag, digest or tag policy, pull it into an OCI image layout under a
// bucket prefix, optionally extracted. The CRD schema is artifact-pull-schema.ts.
import type {
  ArtifactRef,
  CaBundleRef,
  Condition,
  EndpointsUsed,
  ObjectMeta,
  RegistryCredentialsRef,
  S3Location,
} from "./meta.ts";
import type { VerifySpec } from "./verify.ts";
import { withCaBundleDefaults, withS3Defaults, type S3LocationDefaulted } from "./meta.ts";

/**
 * How to pick a tag. `newestPushed` takes the newest by Harbor's push_time (one sorted list call); `semver` the
 * highest version in a range; `pattern` narrows the candidates first and, alone, means newest pushed among them.
 * newestPushed and semver are exclusive.
 */
export interface TagPolicy {
  newestPushed?: Record<string, never>;
  semver?: { range: string };
  pattern?: { regex: string };
}

/** Where the artifact tag came from: Harbor's artifact list, or the image config when the registry is plain OCI. */
export const TAG_SOURCES = ["HarborAPI", "ImageConfig"] as const;
export type TagSource = (typeof TAG_SOURCES)[number];

/** The Harbor side. Exactly one of tag, digest and tagPolicy. */
export interface ArtifactPullSource {
  /** Registry (Harbor) host[:port]; default: the operator's default registry. */
  registry?: string;
  /** Harbor project. */
  project: string;
  /** Repository inside the project (may contain `/`). */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`: pinned, pulled once. */
  digest?: string;
  tagPolicy?: TagPolicy;
  /** Skip cosign `.sig`, `.att`, `.sbom` tags and artifacts with a subject or artifactType; default true. */
  excludeSignatures?: boolean;
  /** Platform picked from an image index, `os/arch[/variant]`; default `linux/amd64`. */
  platform?: string;
  credentialsSecretRef?: RegistryCredentialsRef;
  caBundleSecretRef?: CaBundleRef;
  insecureSkipTLSVerify?: boolean;
  plainHTTP?: boolean;
}

/** The bucket side. */
export interface ArtifactPullS3Destination extends S3Location {
  /** Key prefix the layout (and extracted files) are written under, e.g. `apps/demo/`. */
  prefix: string;
}

/** Caps of extraction. */
export interface ExtractLimits {
  /** Bytes actually written, all files together; default 1 GiB. */
  maxTotalBytes: number;
  /** Regular files written; default 100000. */
  maxFiles: number;
}

/** Desired state of an ArtifactPull. */
export interface ArtifactPullSpec {
  source: ArtifactPullSource;
  destination: { s3: ArtifactPullS3Destination };
  /** Also extract the layers' files under `<prefix>/files/`; default false. */
  extract?: boolean;
  extractLimits?: ExtractLimits;
  /** How often to look for a newer tag (ignored for a digest); default `10m`. */
  interval?: string;
  /** Verify the source's signature offline before it is used. */
  verify?: VerifySpec;
  suspend?: boolean;
}

/** One extracted file. */
export interface PulledFile {
  path: string;
  size: number;
}

/** Observed state of an ArtifactPull. */
export interface ArtifactPullStatus {
  observedGeneration?: number;
  /** The reconcile request (airlift.dev/reconcile-requested-at) last handled. */
  lastHandledReconcileAt?: string;
  conditions?: Condition[];
  resolvedTag?: string;
  resolvedDigest?: string;
  /** Harbor's push_time of the resolved artifact (RFC 3339). */
  pushTime?: string;
  tagSource?: TagSource;
  /** The first STATUS_LIMITS.files extracted files. */
  files?: PulledFile[];
  /** Number of extracted files, all of them. */
  fileCount?: number;
  artifact?: ArtifactRef;
  /** When the artifact was last pulled (RFC 3339). */
  lastPulled?: string;
  /** The registry and S3 endpoint the last reconcile used, and where each came from. */
  endpoints?: EndpointsUsed;
}

/** An ArtifactPull object. */
export interface ArtifactPull {
  apiVersion: "airlift.dev/v1alpha1";
  kind: "ArtifactPull";
  metadata: ObjectMeta;
  spec: ArtifactPullSpec;
  status?: ArtifactPullStatus;
}

/** Defaults of ArtifactPull's own fields (the CRD schema declares the same). */
export const ARTIFACT_PULL_DEFAULTS = {
  excludeSignatures: true,
  platform: "linux/amd64",
  extract: false,
  extractLimits: { maxTotalBytes: 1024 ** 3, maxFiles: 100_000 },
  interval: "10m",
  suspend: false,
} as const;

/** An ArtifactPull spec with every defaulted field present. */
export type ArtifactPullSpecDefaulted = Omit<
  ArtifactPullSpec,
  "source" | "destination" | "extract" | "extractLimits" | "interval" | "suspend"
> & {
  source: ArtifactPullSource & { excludeSignatures: boolean; platform: string };
  destination: { s3: S3LocationDefaulted<ArtifactPullS3Destination> };
  extract: boolean;
  extractLimits: ExtractLimits;
  interval: string;
  suspend: boolean;
};

/** Returns a copy of `spec` with defaults filled in, as the API server would. */
export function withArtifactPullDefaults(spec: ArtifactPullSpec): ArtifactPullSpecDefaulted {
  const copy = structuredClone(spec);
  const d = ARTIFACT_PULL_DEFAULTS;
  return {
    ...copy,
    source: {
      ...withCaBundleDefaults(copy.source),
      excludeSignatures: copy.source.excludeSignatures ?? d.excludeSignatures,
      platform: copy.source.platform ?? d.platform,
    },
    destination: { s3: withS3Defaults(copy.destination.s3) },
    extract: copy.extract ?? d.extract,
    extractLimits: {
      maxTotalBytes: copy.extractLimits?.maxTotalBytes ?? d.extractLimits.maxTotalBytes,
      maxFiles: copy.extractLimits?.maxFiles ?? d.extractLimits.maxFiles,
    },
    interval: copy.interval ?? d.interval,
    suspend: copy.suspend ?? d.suspend,
  };
}
