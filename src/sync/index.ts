// The sync engine of OciSync: make a cluster match a directory of YAML, Config Sync / Flux style.
//
//   syncDirectory({root, dir, scope, owner, sourceDigest, kubeConfig, impersonate?, previousInventory, prune,
//                  safeguards?, limits?, signal?, concurrency?, timeoutMs?}) -> {loaded, inventory, results[],
//                  pruned[], abandoned[], errors[]}
//     1. load every *.yaml / *.yml / *.json under root/dir (loader.ts): multi-document, `kind: List` expanded,
//        files without apiVersion/kind ignored; parse errors name file:line:col; caps on file size, total size,
//        file and object counts, YAML aliases; symlinks may not leave root. Any load error -> loaded: false,
//        nothing applied or pruned, the previous inventory returned unchanged.
//     2. resolve each object's resource through discovery and apply the scope (scope.ts): "cluster" applies
//        anything; "namespace" defaults the namespace and refuses cluster-scoped objects and other namespaces.
//     2b. validate-then-apply (validate.ts): a server-side dry-run of every object of a stage (the set's CRDs, then
//        its Namespaces, then the rest once those are applied: sync-foundations.ts); any 400/422 refusal ->
//        ValidationFailed for each, loaded: false, nothing of the rest applied or pruned, the previous inventory
//        kept (plus the CRDs and Namespaces applied before).
//     3. server-side apply (apply.ts, field manager `airlift`) in stages (order.ts): CRDs (then wait until
//        Established), Namespaces, cluster-scoped objects, namespaced objects. Every object gets the owner labels
//        `airlift.dev/owner-{kind,namespace,name}` and `airlift.dev/source-digest`; force only when already ours;
//        another owner's object -> ManagementConflict, untouched; `airlift.dev/apply: IfNotPresent` -> created
//        once then skipped. One result per object: created | configured | unchanged | skipped | failed.
//     4. prune (prune.ts) previous inventory minus the current set, custom resources first and Namespaces last,
//        Background propagation, only objects still labelled ours and without `airlift.dev/prune: disabled`;
//        refused with PruneSafeguardError when the source is empty or a large fraction would go, unless allowed.
//     The returned inventory (inventory.ts; encodeInventory() for the compact status/ConfigMap form) is the input
//     `previousInventory` of the next sync. As another identity: `impersonate: {serviceAccount: {namespace, name}}`.
//
//   computeHealth(inventory, {kubeConfig, impersonate?, signal?}) -> [{entry, status, message}]
//     kstatus-style Current | InProgress | Failed | NotFound | Unknown per object (health-rules.ts), or by the
//     kind's CEL rules (`exprs`: HealthExprs.compile(spec.healthCheckExprs), cel-health.ts).
//   checkObjects(targets, {kubeConfig, scope, defaultNamespace, exprs?}) -> the same for objects the source does not
//     hold (spec.healthChecks, health-check.ts); a tenant naming another namespace gets a ScopeViolation.
//
//   healthAfterApply(inventory, results, options): the same from the apply answers, reading only what was not applied.
//
//   new DriftWatch({kubeConfig, owner, onDrift}).expect(inventory, results, digest) (drift-watch.ts): metadata-only,
//     label-selected watches of the inventory's kinds; onDrift when a managed object is deleted or changed.
//
// Errors are SyncError subclasses with a stable `code` (errors.ts); classify by class or code, not by message.
export { syncDirectory, type SyncDirectoryOptions, type SyncDirectoryResult } from "./sync-directory.ts";
export { pinImages, pinnedImage, workloadImages, type ImageUse } from "./workload-images.ts";
export { dryRunObjects, type DryRunContext } from "./validate.ts";
export { loadSource, type RenderMode, type RenderOptions } from "./load-source.ts";
export { DEFAULT_KUSTOMIZE_LIMITS, type KustomizeLimits } from "./render-kustomize.ts";
export {
  computeHealth,
  computeHealthIfAny,
  entryHealth,
  healthAfterApply,
  type HealthOptions,
  type ObjectHealth,
} from "./health.ts";
export { DriftWatch, NAMESPACE_FANOUT, type DriftWatchOptions } from "./drift-watch.ts";
export { objectHealth, type Health, type HealthStatus } from "./health-rules.ts";
export { HealthExprError, HealthExprs, type HealthExprSpec } from "./cel-health.ts";
export { checkObjects, type CheckedObject, type CheckObjectsOptions, type HealthCheckTarget } from "./health-check.ts";
export { loadManifests, parseManifests, DEFAULT_LOAD_LIMITS, type LoadLimits, type LoadOptions } from "./loader.ts";
export { scopeObject, type SyncScope, type ResolvedObject } from "./scope.ts";
export { applyObject, applyBody, type ApplyAction, type ApplyResult, type ApplyContext } from "./apply.ts";
export { checkPruneSafeguards, pruneObjects, type PruneSafeguards, type PruneOutcome } from "./prune.ts";
export {
  decodeInventory,
  encodeInventory,
  entryApiVersion,
  inventoryDiff,
  inventorySize,
  normalizeInventory,
  toEntry,
  type InventoryEntry,
} from "./inventory.ts";
export { APPLY_STAGES, PRUNE_STAGES, groupByStage, stageOf, type Stage } from "./order.ts";
export { Discovery } from "./discovery.ts";
export { impersonatedUser, impersonatingConfig, syncClient, type Impersonation } from "./client.ts";
export {
  ANNOTATION_APPLY,
  ANNOTATION_PRUNE,
  ANNOTATION_SOURCE_DIGEST,
  FIELD_MANAGER,
  LABEL_OWNER_KIND,
  LABEL_OWNER_NAME,
  LABEL_OWNER_NAMESPACE,
  ownerSelector,
  type SyncOwner,
} from "./ownership.ts";
export { LoadError, ManagementConflictError, PruneSafeguardError, SyncError, type SyncErrorCode } from "./errors.ts";
export { describeIdentity, identityKey, splitApiVersion, type Manifest, type ObjectIdentity } from "./identity.ts";
