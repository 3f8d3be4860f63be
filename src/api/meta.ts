// Types shared by the three kinds and the controller runtime (kube imports them from here): object metadata,
// metav1.Condition, Secret references and status blocks.
// Field names follow the Kubernetes API conventions
// (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md).

/** Object metadata as api and kube read it; the API server sends more fields, which are kept as unknown. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** Any object with type and object metadata (TypeMeta + ObjectMeta): the three kinds and every KubeObject. */
export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** metav1.Condition (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/object-meta/). */
export interface Condition {
  /** `Ready`, `Reconciling` or `Stalled` (see conditions.ts). */
  type: string;
  status: "True" | "False" | "Unknown";
  /** metadata.generation the condition was computed from. */
  observedGeneration?: number;
  /** RFC 3339 time of the last status change. */
  lastTransitionTime: string;
  /** PascalCase machine-readable reason: one of conditions.ts's catalogue when airlift wrote it. */
  reason: string;
  /** Human-readable detail; never holds credentials or remote response bodies. */
  message: string;
}

/** The values a condition's status takes. */
export const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;

/**
 * A Secret holding registry (and Harbor API) credentials: kubernetes.io/dockerconfigjson or kubernetes.io/basic-auth,
 * or any Secret read as basic credentials once a key or the username is named (Harbor's harbor-admin: key `secret`,
 * user `admin`).
 */
export interface RegistryCredentialsRef {
  name: string;
  /** Another namespace needs a grant (a Secret source namespace and the Secret's annotation); default: the object's. */
  namespace?: string;
  /** Key of the username (default `username`); exclusive with `username`. */
  usernameKey?: string;
  /** Key of the password (default `password`). */
  passwordKey?: string;
  /** A literal username, for Secrets that hold only the password (e.g. `admin`). */
  username?: string;
}

/** A Secret holding S3 access keys, under configurable keys (GDC's object-storage-key-* Secrets use the defaults). */
export interface S3CredentialsRef {
  name: string;
  /** Another namespace needs a grant (a Secret source namespace and the Secret's annotation); default: the object's. */
  namespace?: string;
  /** Key of the access key id; default `access-key-id`. */
  accessKeyIdKey?: string;
  /** Key of the secret access key; default `secret-access-key`. */
  secretAccessKeyKey?: string;
}

/** A Secret holding PEM CA certificates to trust in addition to the system roots. */
export interface CaBundleRef {
  name: string;
  /** Another namespace needs a grant (a Secret source namespace and the Secret's annotation); default: the object's. */
  namespace?: string;
  /** Key of the PEM bundle; default `ca.crt`. */
  key?: string;
}

/** An endpoint a reconcile used and where it came from (e.g. `from ConfigMap gpc-system/dnssuffix`, `from spec`). */
export interface EndpointUsed {
  value: string;
  origin: string;
}

/** The endpoints of a resource's last reconcile, with their origins. */
export interface EndpointsUsed {
  registry?: EndpointUsed;
  s3?: EndpointUsed;
}

/** Secret keys used when a reference leaves them out. */
export const SECRET_KEY_DEFAULTS = {
  accessKeyIdKey: "access-key-id",
  secretAccessKeyKey: "secret-access-key",
  caBundleKey: "ca.crt",
  usernameKey: "username",
  passwordKey: "password",
} as const;

/** An S3-compatible bucket location with its connection settings. */
export interface S3Location {
  /**
   * `host[:port]` or `http(s)://host[:port]` (https when no scheme); default: the operator's
   * AIRLIFT_DEFAULT_S3_ENDPOINT (`objectstorage.<dnsSuffix>` on GDC).
   */
  endpoint?: string;
  bucket: string;
  /** Signing region; default `us-east-1`. */
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most on-premises S3 servers need; default true. */
  forcePathStyle?: boolean;
  credentialsSecretRef?: S3CredentialsRef;
  caBundleSecretRef?: CaBundleRef;
  /** Skip TLS certificate verification (testing only). */
  insecureSkipTLSVerify?: boolean;
}

/** Flux-style artifact record: what users grep for. */
export interface ArtifactRef {
  /** `<tag>@sha256:<hex>`, or `sha256:<hex>` when no tag was involved. */
  revision: string;
}

/** Group/kind/namespace/name of an object named in an error. */
export interface ResourceRef {
  /** "" for the core group. */
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** One error of a stage (Config Sync's ConfigSyncError shape). */
export interface StageError {
  /** Stable machine-readable code, e.g. `ApplyFailed`, `PathEscapesRoot`. */
  code: string;
  message: string;
  resources?: ResourceRef[];
}

/** How many errors there were, when status keeps only the first few. */
export interface ErrorSummary {
  totalCount: number;
  /** True when `errors` holds fewer than totalCount. */
  truncated: boolean;
}

/** Caps that keep status far below the 2 MiB object limit; the CRD schema enforces the same maxItems. */
export const STATUS_LIMITS = {
  /** ArtifactPull status.files. */
  files: 100,
  /** errors[] of each OciSync stage. */
  errors: 20,
  /** OciSync status.inventory; past this the inventory goes to the ConfigMap named by status.inventoryRef. */
  inventory: 1000,
  /** ImageImport status.images. */
  images: 256,
} as const;

/** An S3 location with its defaults filled in. */
export type S3LocationDefaulted<T extends S3Location> = T & { region: string; forcePathStyle: boolean };

/** Region used when an S3 location names none. */
export const DEFAULT_S3_REGION = "us-east-1";

/** Fills an S3 location's defaults (region, path style, Secret key names), as the API server would. */
export function withS3Defaults<T extends S3Location>(location: T): S3LocationDefaulted<T> {
  const out = {
    ...location,
    region: location.region ?? DEFAULT_S3_REGION,
    forcePathStyle: location.forcePathStyle ?? true,
  };
  const creds = location.credentialsSecretRef;
  if (creds) {
    out.credentialsSecretRef = {
      ...creds,
      accessKeyIdKey: creds.accessKeyIdKey ?? SECRET_KEY_DEFAULTS.accessKeyIdKey,
      secretAccessKeyKey: creds.secretAccessKeyKey ?? SECRET_KEY_DEFAULTS.secretAccessKeyKey,
    };
  }
  return withCaBundleDefaults(out);
}

/** Fills the default key of a block's caBundleSecretRef (or caCertSecretRef), as the API server would. */
export function withCaBundleDefaults<T extends { caBundleSecretRef?: CaBundleRef; caCertSecretRef?: CaBundleRef }>(
  block: T,
): T {
  const out = { ...block };
  if (block.caBundleSecretRef)
    out.caBundleSecretRef = {
      ...block.caBundleSecretRef,
      key: block.caBundleSecretRef.key ?? SECRET_KEY_DEFAULTS.caBundleKey,
    };
  if (block.caCertSecretRef)
    out.caCertSecretRef = {
      ...block.caCertSecretRef,
      key: block.caCertSecretRef.key ?? SECRET_KEY_DEFAULTS.caBundleKey,
    };
  return out;
}
