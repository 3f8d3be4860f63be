// The inputs and the outcome of one syncDirectory run (sync-directory.ts), in a file of their own so the stage files
// (sync-run.ts, sync-foundations.ts) can name them without importing the sequencer.
import type { KubeConfig } from "../kube/kube-config.ts";
import type { ApplyResult } from "./apply.ts";
import type { HealthExprs } from "./cel-health.ts";
import type { Impersonation } from "./client.ts";
import type { SyncError } from "./errors.ts";
import type { Manifest } from "./identity.ts";
import type { InventoryEntry } from "./inventory.ts";
import type { RenderOptions } from "./load-source.ts";
import type { LoadLimits } from "./loader.ts";
import type { SyncOwner } from "./ownership.ts";
import type { PruneSafeguards } from "./prune.ts";
import type { SyncScope } from "./scope.ts";

/** Inputs of one sync. */
export interface SyncDirectoryOptions {
  /** The extracted source (nothing outside it is read). */
  root: string;
  /** Directory inside root (default "."). */
  dir?: string;
  scope: SyncScope;
  owner: SyncOwner;
  /** Digest of the source image, written to every object's `airlift.dev/source-digest`. */
  sourceDigest: string;
  kubeConfig: KubeConfig;
  impersonate?: Impersonation;
  /** The inventory returned by the previous sync ([] the first time). */
  previousInventory: readonly InventoryEntry[];
  /** Delete what left the source (default true in OciSync). */
  prune: boolean;
  safeguards?: PruneSafeguards;
  limits?: Partial<LoadLimits>;
  /** kustomize rendering (default: auto with no binary, so a kustomization is refused). */
  render?: RenderOptions;
  /** Recreate a managed object whose update the API server refuses as invalid (spec.force). */
  force?: boolean;
  /**
   * How the revision is checked before any of it is applied (spec.validation): "Server" (default) dry-runs every
   * object (validate.ts), "Schema" checks each against the cluster's OpenAPI v3 schemas (validate-schema.ts) and
   * applies with strict field validation.
   */
  validation?: "Server" | "Schema";
  /** Values for `${VAR}` in the loaded objects (Flux postBuild); unset: no substitution. */
  substitute?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** Parallel API calls within a stage (default DEFAULT_SYNC_CONCURRENCY, sync-run.ts). */
  concurrency?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /**
   * How long a `config.kubernetes.io/depends-on` dependency may take to become Current before its dependants are
   * applied, and a dependant to be gone before its dependency is pruned (default 5 min, Config Sync's).
   */
  dependencyTimeoutMs?: number;
  /** CEL rules that replace kstatus for their kinds, for the health computed from each apply's answer. */
  exprs?: HealthExprs;
  /** How long CRDs of the set may take to become Established (default 30 s). */
  crdTimeoutMs?: number;
  /**
   * Called with the objects about to be applied, before any of them is (once for the source's CRDs, once for its
   * Namespaces, once for the rest). The caller records them with the inventory first, so that a process killed mid-apply leaves no object it
   * created unrecorded, which no later prune would find (Config Sync writes its ResourceGroup first for this reason).
   */
  beforeApply?: (entries: InventoryEntry[]) => Promise<void>;
  /**
   * Called with the loaded (rendered, substituted) objects before anything is validated or applied; returns the
   * objects to apply (the image preflight pins digests here) or throws a SyncError to apply nothing.
   */
  afterLoad?: (manifests: Manifest[]) => Promise<Manifest[]>;
}

/** Outcome of one sync. */
export interface SyncDirectoryResult {
  /**
   * False when the source failed to load or the server's dry-run refused some of its objects: nothing was applied
   * (beyond the set's own CRDs, which are recorded) or pruned.
   */
  loaded: boolean;
  /** The inventory to store for the next sync. */
  inventory: InventoryEntry[];
  /** One result per loaded object. */
  results: ApplyResult[];
  pruned: InventoryEntry[];
  /** Left alone during prune (already gone, no longer ours, `prune: disabled`) with the reason. */
  abandoned: { entry: InventoryEntry; reason: string }[];
  /** Every error: load, per-object apply, safeguard, prune. */
  errors: SyncError[];
}
