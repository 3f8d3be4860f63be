// What an OciSync's status says after each reconcile, as pure functions of the stored status and the stages'
// results: the `source` and `sync` blocks (Config Sync's shape), the artifact revision and the verdict the
// summarizer (kube/summarize.ts) turns into conditions. `lastUpdate` moves only when the content does.
import type { HealthCheckStatus, OciSyncStatus, InventoryEntry as StatusEntry } from "../api/oci-sync.ts";
import { nowIso } from "../kube/conditions.ts";
import type { Summary } from "../kube/summarize.ts";
import { loadFailedVerdict, syncedVerdict, type SyncStageError } from "./oci-sync-decide.ts";
import { checksAsEntries } from "./oci-sync-health.ts";
import { revisionOf, stageErrors } from "./oci-sync-status.ts";

/** The source as the source stage found it. */
export interface SourceSeen {
  /** The image with the tag used, or pinned by digest. */
  image: string;
  tag?: string;
  /** The digest the tag (or pin) names. */
  digest: string;
  /** The image manifest used (the platform's, for an index). */
  manifestDigest: string;
}

const NO_ERRORS = { errors: [], errorSummary: { totalCount: 0, truncated: false } };

/** status.source after a successful fetch: its lastUpdate stays while the manifest and the error-free state do. */
function sourceBlock(s: OciSyncStatus, source: SourceSeen, now: string): Record<string, unknown> {
  const same = s.source?.digest === source.manifestDigest && !s.source.errors?.length && s.source.lastUpdate;
  return {
    image: source.image,
    digest: source.manifestDigest,
    lastUpdate: same ? s.source?.lastUpdate : now,
    ...NO_ERRORS,
  };
}

/** status.source after a failed fetch: the image and the failure, the last good digest kept. */
export function sourceFailedFields(
  s: OciSyncStatus,
  image: string,
  error: SyncStageError | { code: string; message: string },
  now: string,
): Record<string, unknown> {
  return { source: { ...s.source, image, lastUpdate: now, ...stageErrors([error]) } };
}

/** A source that could not be loaded (no such dir, a file that does not parse): Stalled with the load's errors. */
export function loadFailedSummary(
  s: OciSyncStatus,
  source: SourceSeen,
  errors: readonly SyncStageError[],
  now: string,
): Summary {
  const revision = revisionOf(source.tag, source.digest);
  return {
    verdict: loadFailedVerdict(errors, revision),
    fields: {
      source: sourceBlock(s, source, now),
      sync: { digest: s.sync?.digest, lastUpdate: now, ...stageErrors(errors) },
      artifact: { revision },
    },
  };
}

/** What the sync stage did. */
export interface SyncedOutcome {
  entries: StatusEntry[];
  errors: readonly (SyncStageError & {
    resources?: readonly { group: string; kind: string; namespace: string; name: string }[];
  })[];
  /** The digest or the spec differs from the last sync's. */
  changed: boolean;
}

/** A sync that ran: the blocks, the inventory fields, and Ready / HealthPending / HealthTimeout / the errors' reason. */
export function syncedSummary(
  s: OciSyncStatus,
  input: {
    source: SourceSeen;
    outcome: SyncedOutcome;
    inventoryFields: Record<string, unknown>;
    timeoutMs: number;
    now: Date;
    /** The objects of spec.healthChecks: Ready waits for them too. */
    checks?: readonly HealthCheckStatus[];
  },
): Summary & { newRevision: boolean } {
  const { source, outcome } = input;
  const revision = revisionOf(source.tag, source.digest);
  const now = nowIso(input.now);
  const newContent = outcome.changed || s.sync?.digest !== source.digest;
  const lastUpdate = newContent || !s.sync?.lastUpdate ? now : s.sync.lastUpdate;
  const verdict = syncedVerdict({
    errors: outcome.errors,
    entries: [...outcome.entries, ...checksAsEntries(input.checks ?? [])],
    revision,
    syncedAtMs: Date.parse(lastUpdate),
    timeoutMs: input.timeoutMs,
    nowMs: input.now.getTime(),
  });
  return {
    verdict,
    newRevision: newContent && outcome.errors.length === 0,
    fields: {
      source: sourceBlock(s, source, now),
      sync: { digest: source.digest, lastUpdate, ...stageErrors(outcome.errors) },
      artifact: { revision },
      healthChecks: input.checks?.length ? input.checks : null,
      ...input.inventoryFields,
    },
  };
}
