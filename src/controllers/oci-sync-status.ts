// Pure pieces of OciSync's status: Config Sync-style stage errors (truncated with an errorSummary so the object stays
// far below the 2 MiB limit), the inventory with per-object kstatus health, the Flux-style revision, and the health
// verdict (Current / pending / timed out). No API calls here, so it is tested with plain tables.
import { STATUS_LIMITS, type ErrorSummary, type StageError } from "../api/meta.ts";
import type { InventoryEntry as StatusEntry, InventoryStatus } from "../api/oci-sync.ts";
import type { InventoryEntry, ObjectHealth } from "../sync/index.ts";

/** A stage's errors block, truncated to STATUS_LIMITS.errors. */
export interface StageErrors {
  errors: StageError[];
  errorSummary: ErrorSummary;
}

/** Anything with a code and a message (SyncError, or a source failure). */
export interface CodedError {
  code: string;
  message: string;
  resources?: readonly { group: string; kind: string; namespace: string; name: string }[];
}

const MAX_MESSAGE = 1024;

/** Stage errors for status: each with its objects' identities, the first STATUS_LIMITS.errors kept. */
export function stageErrors(errors: readonly CodedError[]): StageErrors {
  const kept = errors.slice(0, STATUS_LIMITS.errors).map((e): StageError => {
    const message = e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE - 3)}...` : e.message;
    const resources = (e.resources ?? [])
      .slice(0, 10)
      .map((r) => ({ group: r.group, kind: r.kind, name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) }));
    return resources.length > 0 ? { code: e.code, message, resources } : { code: e.code, message };
  });
  return { errors: kept, errorSummary: { totalCount: errors.length, truncated: errors.length > kept.length } };
}

const STATUSES: ReadonlySet<string> = new Set<InventoryStatus>([
  "Current",
  "InProgress",
  "Failed",
  "NotFound",
  "Unknown",
]);

/** The status inventory: every entry of the engine's inventory with its health (Unknown when not computed). */
export function inventoryWithHealth(
  inventory: readonly InventoryEntry[],
  health: readonly ObjectHealth[],
): StatusEntry[] {
  const byKey = new Map(health.map((h) => [entryKey(h.entry), h]));
  return inventory.map((e) => {
    const h = byKey.get(entryKey(e));
    const status: InventoryStatus = h && STATUSES.has(h.status) ? h.status : "Unknown";
    const out: StatusEntry = { group: e.group, version: e.version, kind: e.kind, name: e.name, status };
    if (e.namespace) out.namespace = e.namespace;
    if (status !== "Current" && h?.message) out.message = h.message.slice(0, 1024);
    return out;
  });
}

/** The engine's inventory back from the status form. */
export function toEngineInventory(entries: readonly StatusEntry[]): InventoryEntry[] {
  return entries.map((e) => ({
    group: e.group,
    version: e.version,
    kind: e.kind,
    namespace: e.namespace ?? "",
    name: e.name,
  }));
}

/** One key per object of an inventory, in either form. */
export function entryKey(e: { group: string; kind: string; namespace?: string; name: string }): string {
  return `${e.group}/${e.kind}/${e.namespace ?? ""}/${e.name}`;
}

/** Flux's `<tag>@sha256:<hex>`, or the bare digest for a pinned image without a tag. */
export function revisionOf(tag: string | undefined, digest: string): string {
  return tag ? `${tag}@${digest}` : digest;
}

/** What the health of the inventory means for Ready. */
export type HealthVerdict =
  { kind: "current" } | { kind: "pending"; objects: StatusEntry[] } | { kind: "timeout"; objects: StatusEntry[] };

/** Current when every object is; timed out when some are not `timeoutMs` after the sync; pending otherwise. */
export function healthVerdict(
  entries: readonly StatusEntry[],
  syncedAtMs: number,
  timeoutMs: number,
  nowMs: number,
): HealthVerdict {
  const notCurrent = entries.filter((e) => e.status !== "Current");
  if (notCurrent.length === 0) return { kind: "current" };
  // A Failed object will not heal by waiting; NotFound / InProgress may, until the timeout.
  const failed = notCurrent.some((e) => e.status === "Failed");
  if (failed || nowMs - syncedAtMs >= timeoutMs) return { kind: "timeout", objects: notCurrent };
  return { kind: "pending", objects: notCurrent };
}

/** `ConfigMap team-a/x (InProgress), ...`, at most `max` named. */
export function describeObjects(entries: readonly StatusEntry[], max = 10): string {
  const names = entries
    .slice(0, max)
    .map(
      (e) =>
        `${e.kind} ${e.namespace ? `${e.namespace}/` : ""}${e.name} (${e.status}${e.message ? `: ${e.message}` : ""})`,
    );
  return entries.length > max ? `${names.join(", ")} and ${entries.length - max} more` : names.join(", ");
}

/** How many objects are in each status. */
export function countByStatus(entries: readonly StatusEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.status] = (out[e.status] ?? 0) + 1;
  return out;
}
