// OciSync: poll an OCI image, extract `dir`, apply its YAML with server-side apply, prune what disappeared and
// report source digest and per-object health (Config Sync's RootSync/RepoSync with sourceType: oci). An OciSync
// in the operator's own namespace is a root sync (cluster-wide); elsewhere it is confined to its namespace.
import type {
  ArtifactRef,
  CaBundleRef,
  Condition,
  ObjectMeta,
  RegistryCredentialsRef,
  StageError,
  ErrorSummary,
} from "./meta.ts";
import type { VerifySpec } from "./verify.ts";
import { withCaBundleDefaults } from "./meta.ts";

/** How the YAML is laid out; only `unstructured` (any directory tree of manifests). */
export const SOURCE_FORMATS = ["unstructured"] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** How the registry is authenticated. */
export const OCI_AUTH_TYPES = ["none", "secret"] as const;
export type OciAuthType = (typeof OCI_AUTH_TYPES)[number];

/** What to do with the selected layer. */
export const LAYER_OPERATIONS = ["extract", "copy"] as const;
export type LayerOperation = (typeof LAYER_OPERATIONS)[number];

/** kstatus of an applied object. */
export const INVENTORY_STATUSES = ["Current", "InProgress", "Failed", "NotFound", "Unknown"] as const;
export type InventoryStatus = (typeof INVENTORY_STATUSES)[number];

/** Use one layer instead of flattening all of them (Flux's layerSelector). */
export interface LayerSelector {
  /** Media type of the layer to use; the first match wins. */
  mediaType: string;
  /** `extract` untars it (default); `copy` keeps it as one file. */
  operation?: LayerOperation;
}

/** The image side. */
export interface OciSource {
  /** `registry/repository:tag` or `registry/repository@sha256:...`; without a tag or digest when semver is set. */
  image: string;
  /** Directory inside the image holding the YAML; default `.`. */
  dir?: string;
  /** Poll period; default `15s`, at least `5s`. A digest-pinned image is pulled once. */
  period?: string;
  /** Default `none`; `secret` reads credentialsSecretRef. */
  auth?: OciAuthType;
  credentialsSecretRef?: RegistryCredentialsRef;
  caCertSecretRef?: CaBundleRef;
  insecureSkipTLSVerify?: boolean;
  plainHTTP?: boolean;
  /** Pick the highest tag in a range instead of a fixed tag. */
  semver?: { range: string };
  /** Platform picked from an image index; default `linux/amd64`. */
  platform?: string;
  layerSelector?: LayerSelector;
}

/** Prune limits (Config Sync's safeguard): never down to zero, never a large fraction, without opt-in. */
export interface PruneSafeguard {
  /** Allow a source with no objects to prune everything; default false. */
  allowEmpty?: boolean;
  /** Largest fraction of the inventory one sync may delete, 0..1; default 0.5. */
  maxFraction?: number;
}

/** `auto` builds a kustomization when dir holds one, `kustomize` requires one, `none` applies the files as written. */
export const RENDER_MODES = ["auto", "kustomize", "none"] as const;
/** How an OciSync renders its dir. */
export type RenderMode = (typeof RENDER_MODES)[number];

/** Kinds spec.substituteFrom reads values from. */
export const SUBSTITUTE_FROM_KINDS = ["ConfigMap", "Secret"] as const;

/** A ConfigMap or Secret of the OciSync's namespace whose keys are substitution variables (Flux postBuild). */
export interface SubstituteReference {
  kind: (typeof SUBSTITUTE_FROM_KINDS)[number];
  name: string;
  /** A missing object is skipped instead of failing the sync; default false. */
  optional?: boolean;
}

/** Desired state of an OciSync. */
export interface OciSyncSpec {
  /** Default `unstructured`. */
  sourceFormat?: SourceFormat;
  oci: OciSource;
  /** How dir is rendered; unset means `auto` (kustomize build when dir holds a kustomization). */
  render?: RenderMode;
  /** Values for `${VAR}`, `${VAR:=default}`, `${VAR:-default}` in the rendered objects (Flux postBuild). */
  substitute?: Record<string, string>;
  /** ConfigMaps and Secrets of the OciSync's namespace holding more values; `substitute` wins over them, later wins. */
  substituteFrom?: SubstituteReference[];
  /** Delete objects that left the source; default true. */
  prune?: boolean;
  pruneSafeguard?: PruneSafeguard;
  /** Apply as this ServiceAccount of the OciSync's namespace (impersonation). */
  serviceAccountName?: string;
  /** How long applied objects may take to become Current; default `5m`. */
  timeout?: string;
  /** Verify the source's signature offline before it is used. */
  verify?: VerifySpec;
  suspend?: boolean;
  /** OciSyncs that must be Ready at their current generation before this one applies (Flux's dependsOn). */
  dependsOn?: DependencyRef[];
  /** Recreate (delete, then create) a managed object whose apply the API server refuses as an invalid update. */
  force?: boolean;
  /** What deleting the OciSync does to its objects; unset: Orphan, or Delete with the deletion-propagation annotation. */
  deletionPolicy?: DeletionPolicy;
  /** How a revision is checked before any of it is applied; unset: Server (a dry-run of every object). */
  validation?: ValidationMode;
  /** Objects the source does not hold whose health Ready also waits for (Flux's healthChecks). */
  healthChecks?: HealthCheckRef[];
  /** CEL health rules for kinds kstatus cannot judge (Flux's healthCheckExprs). */
  healthCheckExprs?: HealthCheckExpr[];
  /** Apply, health-check and prune in the cluster this kubeconfig names (Flux's kubeConfig). */
  kubeConfig?: KubeConfigRef;
  /** Check the container images of the rendered workloads before applying (default mode warn). */
  imagePreflight?: ImagePreflightSpec;
}

/** What a missing image does: nothing checked, reported after applying, or nothing applied until present. */
export const IMAGE_PREFLIGHT_MODES = ["off", "warn", "block"] as const;

/** spec.imagePreflight. */
export interface ImagePreflightSpec {
  mode?: (typeof IMAGE_PREFLIGHT_MODES)[number];
  /** Rewrite each image to `image@sha256:...` as found at apply time, so every node runs what was checked. */
  pinDigests?: boolean;
}

/** status.imagePreflight: the images the last applied (or blocked) revision's workloads use. */
export interface ImagePreflightStatus {
  /** Distinct images checked. */
  checked: number;
  /** Images the registry answered it does not have: `image (Kind ns/name container)`, bounded. */
  missing?: string[];
  /** Images that could not be checked (registry unreachable, unauthorized): `image: why`, bounded. */
  unknown?: string[];
  /** Images pinned to a digest: `image@sha256:...`, bounded. */
  pinned?: string[];
  checkedAt: string;
}

/** One object whose health counts; `namespace` defaults to the OciSync's for a namespaced kind. */
export interface HealthCheckRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** CEL expressions over an object of apiVersion/kind: inProgress, failed, then current; the first true wins. */
export interface HealthCheckExpr {
  apiVersion: string;
  kind: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

/** A Secret of the OciSync's namespace holding a kubeconfig under `key` (default `value`, else `value.yaml`). */
export interface KubeConfigRef {
  secretRef: { name: string; key?: string };
}

/** Orphan leaves the objects, Delete deletes them, WaitForTermination also waits until they are gone (Flux's). */
export const DELETION_POLICIES = ["Orphan", "Delete", "WaitForTermination"] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

/**
 * Server dry-runs every object before any is applied (one extra request per object); Schema checks each object
 * against the cluster's OpenAPI v3 schemas in the operator and applies with strict field validation (one request per
 * group-version), leaving admission and the server's own rules to the apply itself.
 */
export const VALIDATION_MODES = ["Server", "Schema"] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

/** An OciSync this one waits for; `namespace` (default: this one's) only for a root sync. */
export interface DependencyRef {
  name: string;
  namespace?: string;
}

/** The fetch stage. */
export interface OciSourceStatus {
  /** The image as resolved (with the tag semver picked). */
  image?: string;
  /** Digest of the manifest used (the platform's, for an index). */
  digest?: string;
  lastUpdate?: string;
  errors?: StageError[];
  errorSummary?: ErrorSummary;
}

/** The apply stage. */
export interface OciSyncStageStatus {
  /** Source digest last applied. */
  digest?: string;
  lastUpdate?: string;
  errors?: StageError[];
  errorSummary?: ErrorSummary;
}

/** One applied object and its health. */
export interface InventoryEntry {
  /** "" for the core group. */
  group: string;
  version: string;
  kind: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
  status: InventoryStatus;
  message?: string;
}

/** Observed state of an OciSync. */
export interface OciSyncStatus {
  observedGeneration?: number;
  /** The reconcile request (airlift.dev/reconcile-requested-at) last handled. */
  lastHandledReconcileAt?: string;
  conditions?: Condition[];
  source?: OciSourceStatus;
  sync?: OciSyncStageStatus;
  /** Applied objects; absent when inventoryRef holds them. */
  inventory?: InventoryEntry[];
  /** ConfigMap (in the OciSync's namespace) holding the inventory when it exceeds STATUS_LIMITS.inventory. */
  inventoryRef?: { name: string };
  /** The objects of spec.healthChecks and their health. */
  healthChecks?: HealthCheckStatus[];
  /** The image preflight of the last revision applied or blocked. */
  imagePreflight?: ImagePreflightStatus;
  artifact?: ArtifactRef;
}

/** One spec.healthChecks object as last read. */
export interface HealthCheckStatus {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  status: InventoryStatus;
  message?: string;
}

/** An OciSync object. */
export interface OciSync {
  apiVersion: "airlift.dev/v1alpha1";
  kind: "OciSync";
  metadata: ObjectMeta;
  spec: OciSyncSpec;
  status?: OciSyncStatus;
}

/** Defaults of OciSync (the CRD schema declares the same). */
export const OCI_SYNC_DEFAULTS = {
  sourceFormat: "unstructured",
  dir: ".",
  period: "15s",
  auth: "none",
  platform: "linux/amd64",
  layerOperation: "extract",
  prune: true,
  pruneSafeguard: { allowEmpty: false, maxFraction: 0.5 },
  timeout: "5m",
  suspend: false,
} as const;

/** An OciSync spec with every defaulted field present. */
export type OciSyncSpecDefaulted = Omit<
  OciSyncSpec,
  "sourceFormat" | "oci" | "prune" | "pruneSafeguard" | "timeout" | "suspend"
> & {
  sourceFormat: SourceFormat;
  oci: OciSource & {
    dir: string;
    period: string;
    auth: OciAuthType;
    platform: string;
    layerSelector?: Required<LayerSelector>;
  };
  prune: boolean;
  pruneSafeguard: Required<PruneSafeguard>;
  timeout: string;
  suspend: boolean;
};

/** The image side with its defaults; a layer selector gets its default operation. */
function withOciSourceDefaults(source: OciSource): OciSyncSpecDefaulted["oci"] {
  const d = OCI_SYNC_DEFAULTS;
  const { layerSelector, ...oci } = withCaBundleDefaults(source);
  const out: OciSyncSpecDefaulted["oci"] = {
    ...oci,
    dir: oci.dir ?? d.dir,
    period: oci.period ?? d.period,
    auth: oci.auth ?? d.auth,
    platform: oci.platform ?? d.platform,
  };
  if (layerSelector) out.layerSelector = { ...layerSelector, operation: layerSelector.operation ?? d.layerOperation };
  return out;
}

/** Both prune limits, each defaulted on its own. */
function withPruneSafeguardDefaults(safeguard: PruneSafeguard | undefined): Required<PruneSafeguard> {
  const d = OCI_SYNC_DEFAULTS.pruneSafeguard;
  return { allowEmpty: safeguard?.allowEmpty ?? d.allowEmpty, maxFraction: safeguard?.maxFraction ?? d.maxFraction };
}

/** Returns a copy of `spec` with defaults filled in, as the API server would. */
export function withOciSyncDefaults(spec: OciSyncSpec): OciSyncSpecDefaulted {
  const copy = structuredClone(spec);
  const d = OCI_SYNC_DEFAULTS;
  return {
    ...copy,
    sourceFormat: copy.sourceFormat ?? d.sourceFormat,
    oci: withOciSourceDefaults(copy.oci),
    prune: copy.prune ?? d.prune,
    pruneSafeguard: withPruneSafeguardDefaults(copy.pruneSafeguard),
    timeout: copy.timeout ?? d.timeout,
    suspend: copy.suspend ?? d.suspend,
  };
}
