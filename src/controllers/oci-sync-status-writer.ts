// Writes an OciSync's status after each reconcile step: the `source` and `sync` blocks, the inventory, the artifact
// revision and the kstatus conditions (only this file sets Ready). A status equal to the stored one is not written,
// so a steady-state period costs no API write. Events: Normal `Synced` on a new revision, Warning on each failure.
import type { OciSync, OciSyncStatus } from "../api/oci-sync.ts";
import { parseOciSync } from "../api/parse.ts";
import { OCI_SYNC } from "../api/group-version.ts";
import { markReady, markReconciling, markRetrying, markStalled, setCondition, removeCondition, READY, RECONCILING, STALLED, type Condition } from "../kube/conditions.ts";
import type { ReconcileContext } from "../kube/reconciler.ts";
import { keyOf, type KubeObject } from "../kube/resource.ts";
import { updateStatus } from "../kube/status.ts";
import type { InventoryEntry, SyncError } from "../sync/index.ts";
import { writeInventory } from "./oci-sync-inventory.ts";
import { OciSyncReasons, syncErrorReason, type OciSyncSourceError } from "./oci-sync-reasons.ts";
import type { ResolvedSource } from "./oci-sync-source.ts";
import { countByStatus, describeObjects, entryKey, healthVerdict, inventoryWithHealth, revisionOf, stageErrors, type CodedError } from "./oci-sync-status.ts";
import type { InventoryEntry as StatusEntry } from "../api/oci-sync.ts";

/** What the sync stage produced. */
export type SyncOutcome =
  | { kind: "dirNotFound"; message: string }
  | { kind: "loadFailed"; errors: CodedError[] }
  | { kind: "synced"; entries: StatusEntry[]; errors: SyncError[]; applied: boolean; changed: boolean; pruned?: number };

const NO_ERRORS = { errors: [], errorSummary: { totalCount: 0, truncated: false } };
// Errors a retry of the same source cannot fix: Stalled until the source or the cluster changes.
const PERMANENT_CODES = new Set(["ManagementConflict", "ScopeViolation", "DuplicateObject", "PruneSafeguard", "Forbidden"]);

const nowIso = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** Key-order-independent equality of JSON values. */
function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null && x !== undefined).sort(([x], [y]) => x.localeCompare(y)).map(([k, x]) => [k, norm(x)]));
    return v;
  };
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** Status writes of one reconcile. */
export class StatusWriter {
  readonly #ctx: ReconcileContext;
  readonly #sync: OciSync;
  /** The inventory as last written by recordIntent in this reconcile. */
  #intended: StatusEntry[] | undefined;
  /** status.inventoryRef as last written in this reconcile (undefined: not written yet, so the object's own). */
  #inventoryRef: OciSyncStatus["inventoryRef"] | null | undefined;

  constructor(ctx: ReconcileContext, sync: OciSync) {
    this.#ctx = ctx;
    this.#sync = sync;
  }

  get #generation(): number | undefined {
    return this.#sync.metadata.generation;
  }

  /** Merge-patches status with what `compute` returns from the freshest object; skips a write that changes nothing. */
  async #write(compute: (status: OciSyncStatus) => Record<string, unknown>, observe = true): Promise<void> {
    await updateStatus(
      this.#ctx.client,
      OCI_SYNC,
      keyOf(this.#sync as unknown as KubeObject),
      (latest) => {
        const status = parseOciSync(latest).status ?? {};
        const patch = { ...(observe ? { observedGeneration: this.#generation } : {}), ...compute(status) };
        return sameJson({ ...status, ...patch }, status) ? undefined : patch;
      },
      { signal: this.#ctx.signal },
    );
  }

  /**
   * Stores the inventory (in status or its ConfigMap) and returns the status fields to patch. A second store in one
   * reconcile sees the first one's ConfigMap, so moving back into status deletes it.
   */
  async #storeInventory(entries: readonly StatusEntry[]): Promise<Record<string, unknown>> {
    const ref = this.#inventoryRef === undefined ? this.#sync.status?.inventoryRef : (this.#inventoryRef ?? undefined);
    const { inventoryRef: _old, ...status } = this.#sync.status ?? {};
    const sync: OciSync = { ...this.#sync, status: { ...status, ...(ref ? { inventoryRef: ref } : {}) } };
    const fields = await writeInventory(this.#ctx.client, sync, entries, this.#ctx.signal);
    this.#inventoryRef = fields.inventoryRef as OciSyncStatus["inventoryRef"] | null;
    return fields;
  }

  async #event(type: "Normal" | "Warning", reason: string, note: string): Promise<void> {
    await this.#ctx.events.event(this.#sync as unknown as KubeObject, { type, reason, action: "Sync", note }, this.#ctx.signal);
  }

  /**
   * Before applying: adds the objects about to be applied to the stored inventory (status Unknown), when some are not
   * in it yet, so a crash mid-apply cannot orphan them. observedGeneration is left alone: nothing is synced yet.
   */
  async recordIntent(stored: readonly StatusEntry[], entries: readonly InventoryEntry[]): Promise<void> {
    const base = this.#intended ?? stored;
    const known = new Set(base.map(entryKey));
    const added = entries.filter((e) => !known.has(entryKey(e)));
    if (added.length === 0) return;
    // No health read yet: the new entries are Unknown.
    const merged = [...base, ...inventoryWithHealth(added, [])];
    const fields = await this.#storeInventory(merged);
    await this.#write(() => fields, false);
    this.#intended = merged;
  }

  /** spec.suspend: Ready=False/Suspended, nothing else touched. */
  async suspended(): Promise<void> {
    const message = "spec.suspend is true: the source is not polled and nothing is applied";
    await this.#write((s) => ({ conditions: setCondition(removeCondition(removeCondition(s.conditions, RECONCILING), STALLED), { type: READY, status: "False", reason: OciSyncReasons.Suspended, message, observedGeneration: this.#generation }) }));
  }

  /** The source stage failed: its errors, Stalled (or retrying for transient faults). */
  async sourceFailed(failure: OciSyncSourceError): Promise<void> {
    const message = `failed to fetch ${this.#sync.spec.oci.image}: ${failure.message}`;
    await this.#write((s) => ({
      source: { ...s.source, image: this.#sync.spec.oci.image, lastUpdate: nowIso(), ...stageErrors([{ code: failure.reason, message }]) },
      conditions: failure.transient ? markRetrying(s.conditions, this.#generation, failure.reason, message) : markStalled(s.conditions, this.#generation, failure.reason, message),
    }));
    await this.#event("Warning", failure.reason, message);
  }

  /** The sync stage ran (or found nothing to do): everything after a successful fetch. Returns true while health is pending. */
  async synced(source: ResolvedSource & { manifestDigest: string }, outcome: SyncOutcome, timeoutMs: number): Promise<boolean> {
    const revision = revisionOf(source.tag, source.digest);
    const sourceBlock = (s: OciSyncStatus): Record<string, unknown> => ({
      image: source.image,
      digest: source.manifestDigest,
      lastUpdate: s.source?.digest === source.manifestDigest && !s.source.errors?.length && s.source.lastUpdate ? s.source.lastUpdate : nowIso(),
      ...NO_ERRORS,
    });
    if (outcome.kind !== "synced") {
      const reason = outcome.kind === "dirNotFound" ? OciSyncReasons.DirNotFound : OciSyncReasons.InvalidYAML;
      const errors: CodedError[] = outcome.kind === "dirNotFound" ? [{ code: reason, message: outcome.message }] : outcome.errors;
      const message = `revision ${revision}: ${errors[0]?.message ?? reason}`;
      await this.#write((s) => ({
        source: sourceBlock(s),
        sync: { digest: s.sync?.digest, lastUpdate: nowIso(), ...stageErrors(errors) },
        artifact: { revision },
        conditions: markStalled(s.conditions, this.#generation, reason, message),
      }));
      await this.#event("Warning", reason, message);
      return false;
    }
    const inventoryFields = await this.#storeInventory(outcome.entries);
    let pending = false;
    let newRevision = false;
    let verdictReason: string = OciSyncReasons.Succeeded;
    let verdictMessage = "";
    await this.#write((s) => {
      const newContent = outcome.changed || s.sync?.digest !== source.digest;
      newRevision = newContent && outcome.errors.length === 0;
      const lastUpdate = newContent || !s.sync?.lastUpdate ? nowIso() : s.sync.lastUpdate;
      const conditions = this.#conditions(s.conditions, outcome, revision, Date.parse(lastUpdate), timeoutMs);
      const ready = conditions.find((c) => c.type === READY);
      verdictReason = ready?.reason ?? "";
      verdictMessage = ready?.message ?? "";
      pending = conditions.some((c) => c.type === RECONCILING && c.reason === OciSyncReasons.HealthPending);
      return {
        source: sourceBlock(s),
        sync: { digest: source.digest, lastUpdate, ...stageErrors(outcome.errors) },
        artifact: { revision },
        ...inventoryFields,
        conditions,
      };
    });
    if (outcome.errors.length > 0) await this.#event("Warning", verdictReason, verdictMessage);
    else if (newRevision) await this.#event("Normal", "Synced", `synced ${source.image}@${source.digest}: ${outcome.entries.length} objects`);
    return pending;
  }

  #conditions(old: Condition[] | undefined, outcome: Extract<SyncOutcome, { kind: "synced" }>, revision: string, syncedAtMs: number, timeoutMs: number): Condition[] {
    const gen = this.#generation;
    const n = outcome.entries.length;
    if (outcome.errors.length > 0) {
      const reason = syncErrorReason(outcome.errors);
      const first = outcome.errors[0]?.message ?? "";
      const message = `revision ${revision}: ${outcome.errors.length} error(s) applying ${n} object(s); first: ${first}`;
      return outcome.errors.every((e) => PERMANENT_CODES.has(e.code)) ? markStalled(old, gen, reason, message) : markRetrying(old, gen, reason, message);
    }
    const verdict = healthVerdict(outcome.entries, syncedAtMs, timeoutMs, Date.now());
    if (verdict.kind === "current") return markReady(old, gen, `applied revision ${revision}: ${n} object(s) Current`);
    const counts = JSON.stringify(countByStatus(outcome.entries));
    if (verdict.kind === "timeout") {
      return markStalled(old, gen, OciSyncReasons.HealthTimeout, `revision ${revision}: ${verdict.objects.length} object(s) not Current within ${Math.round(timeoutMs / 1000)}s ${counts}: ${describeObjects(verdict.objects)}`);
    }
    return markReconciling(old, gen, `revision ${revision}: waiting for ${verdict.objects.length} object(s) to become Current: ${describeObjects(verdict.objects)}`, OciSyncReasons.HealthPending);
  }
}
