// The OciSync reconciler's decisions as pure functions of status, spec and the engine's answers: whether this
// period applies the source or only looks for drift ("already done?"), the most specific reason for a sync's errors
// and whether they stall, and the verdict the summarizer writes. Table-tested without an API server.
import type { Reason } from "../api/conditions.ts";
import type { InventoryEntry as StatusEntry, OciSyncStatus } from "../api/oci-sync.ts";
import type { Verdict } from "../kube/summarize.ts";
import type { SyncErrorCode } from "../sync/errors.ts";
import { countByStatus, describeObjects, healthVerdict } from "./oci-sync-status.ts";

/** What the source stage found, as the sync stage's decision needs it. */
export interface SyncInputs {
  status: OciSyncStatus | undefined;
  generation: number | undefined;
  /** The digest the source resolved to. */
  digest: string;
  /** True when the digest was pulled in this reconcile (not reused from the staging folder). */
  pulled: boolean;
  /** True when this process watches the managed objects since the last sync (the drift watches are ready). */
  hasBaseline: boolean;
  /** True when the substitution values' inputs (substituteFrom's resourceVersions, built-ins) differ from the last sync's. */
  valuesChanged?: boolean;
}

/** True when the source digest or the spec differs from what the last sync applied. */
export function sourceChanged(input: Pick<SyncInputs, "status" | "generation" | "digest">): boolean {
  return input.digest !== input.status?.sync?.digest || input.status?.observedGeneration !== input.generation;
}

/**
 * True when this period must apply: the digest or spec changed, the digest was just pulled, the last sync had
 * errors, the substitution values changed, or there is no drift baseline to compare against (a restart). Otherwise a
 * drift check decides.
 */
export function needsApply(input: SyncInputs): boolean {
  if (sourceChanged(input) || input.pulled || !input.hasBaseline || input.valuesChanged) return true;
  return (input.status?.sync?.errors?.length ?? 0) > 0;
}

/** Sync error codes, most specific first: the condition shows the first one present. ApplyFailed says least. */
const SPECIFICITY: readonly SyncErrorCode[] = [
  "DirNotFound",
  "KustomizeUnavailable",
  "RenderRefused",
  "RenderFailed",
  "SubstitutionFailed",
  "ValidationFailed",
  "ImagesMissing",
  "InvalidYAML",
  "PathEscape",
  "SizeLimitExceeded",
  "ObjectLimitExceeded",
  "DuplicateObject",
  "InvalidDependsOn",
  "DependsOnCycle",
  "ManagementConflict",
  "PruneRefused",
  "ScopeViolation",
  "Forbidden",
  "CRDNotEstablished",
  "DependencyNotReconciled",
  "UnknownKind",
  "ApplyConflict",
  "PruneFailed",
  "ApplyFailed",
];

/** Errors a retry of the same source cannot fix: Stalled until the source, the spec or the cluster changes. */
const PERMANENT: ReadonlySet<SyncErrorCode> = new Set([
  "ManagementConflict",
  "ScopeViolation",
  "DuplicateObject",
  "InvalidDependsOn",
  "DependsOnCycle",
  "PruneRefused",
  "Forbidden",
]);

/** The Ready reason for the errors of one sync: the most specific code among them (ApplyFailed when none is). */
export function syncFailureReason(errors: readonly { code: SyncErrorCode }[]): Reason {
  const codes = new Set(errors.map((e) => e.code));
  return SPECIFICITY.find((code) => codes.has(code)) ?? "ApplyFailed";
}

/** True when every error is one a retry cannot fix (the sync stalls instead of retrying with backoff). */
export function syncFailureStalls(errors: readonly { code: SyncErrorCode }[]): boolean {
  return errors.length > 0 && errors.every((e) => PERMANENT.has(e.code));
}

/** A sync stage error as status and the verdict see it. */
export interface SyncStageError {
  code: SyncErrorCode;
  message: string;
}

/** The verdict of a source that could not be loaded (missing dir, a file that does not parse): Stalled. */
export function loadFailedVerdict(errors: readonly SyncStageError[], revision: string): Verdict & { kind: "stalled" } {
  const reason = syncFailureReason(errors);
  return { kind: "stalled", reason, message: `revision ${revision}: ${errors[0]?.message ?? reason}` };
}

/** What the verdict of a sync that ran needs. */
export interface SyncedInput {
  errors: readonly SyncStageError[];
  entries: readonly StatusEntry[];
  revision: string;
  /** When the current content was first applied (status.sync.lastUpdate), for spec.timeout. */
  syncedAtMs: number;
  timeoutMs: number;
  nowMs: number;
}

/** Ready when every object is Current; HealthPending while some are not yet; HealthTimeout or the errors' reason. */
export function syncedVerdict(input: SyncedInput): Verdict {
  const { errors, entries, revision } = input;
  if (errors.length > 0) {
    const reason = syncFailureReason(errors);
    const message = `revision ${revision}: ${errors.length} error(s) applying ${entries.length} object(s); first: ${errors[0]?.message ?? ""}`;
    return syncFailureStalls(errors) ? { kind: "stalled", reason, message } : { kind: "retrying", reason, message };
  }
  const health = healthVerdict(entries, input.syncedAtMs, input.timeoutMs, input.nowMs);
  if (health.kind === "current")
    return { kind: "ready", message: `applied revision ${revision}: ${entries.length} object(s) Current` };
  if (health.kind === "timeout") {
    const counts = JSON.stringify(countByStatus(entries));
    const message = `revision ${revision}: ${health.objects.length} object(s) not Current within ${Math.round(input.timeoutMs / 1000)}s ${counts}: ${describeObjects(health.objects)}`;
    return { kind: "stalled", reason: "HealthTimeout", message };
  }
  return {
    kind: "progressing",
    reason: "HealthPending",
    message: `revision ${revision}: waiting for ${health.objects.length} object(s) to become Current: ${describeObjects(health.objects)}`,
  };
}
