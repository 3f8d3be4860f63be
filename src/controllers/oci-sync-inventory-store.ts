// The inventory writes of one OciSync reconcile: the intent write before applying (so a crash mid-apply cannot
// orphan what it created) and the final store, each through the object's summarizer. It remembers the ConfigMap a
// first store in this reconcile made, so an inventory that grows past 1,000 entries in the intent write and shrinks
// back in the final one cannot leave that ConfigMap behind. An inventory ConfigMap that already holds exactly the
// entries to store is not written again: a steady period costs no write.
import type { InventoryEntry as StatusEntry, OciSync, OciSyncStatus } from "../api/oci-sync.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import type { Summarizer } from "../kube/summarize.ts";
import type { InventoryEntry } from "../sync/index.ts";
import { writeInventory } from "./oci-sync-inventory.ts";
import { entryKey, inventoryWithHealth } from "./oci-sync-status.ts";

/** Where the inventory writes go. */
export interface InventoryStoreOptions {
  client: KubeClient;
  sync: OciSync;
  status: Summarizer<OciSyncStatus>;
  signal: AbortSignal;
  /** The inventory as read at the start of this reconcile (from status or its ConfigMap). */
  stored: readonly StatusEntry[];
}

/** Inventory writes of one reconcile; see the file comment. */
export class InventoryStore {
  readonly #opts: InventoryStoreOptions;
  /** The inventory as last written by recordIntent in this reconcile. */
  #intended: StatusEntry[] | undefined;
  /** status.inventoryRef as last written in this reconcile (undefined: not written yet, so the object's own). */
  #inventoryRef: OciSyncStatus["inventoryRef"] | null | undefined;

  constructor(options: InventoryStoreOptions) {
    this.#opts = options;
  }

  /** Stores the inventory (in status or its ConfigMap) and returns the status fields to write with it. */
  async store(entries: readonly StatusEntry[]): Promise<Record<string, unknown>> {
    const { sync } = this.#opts;
    const ref = this.#inventoryRef === undefined ? sync.status?.inventoryRef : (this.#inventoryRef ?? undefined);
    const status: OciSyncStatus = { ...sync.status, inventoryRef: ref };
    if (ref && this.#inventoryRef === undefined && sameEntries(entries, this.#opts.stored))
      return { inventory: null, inventoryRef: { name: ref.name } };
    const fields = await writeInventory(this.#opts.client, { ...sync, status }, entries, this.#opts.signal);
    this.#inventoryRef = fields.inventoryRef as OciSyncStatus["inventoryRef"] | null;
    return fields;
  }

  /**
   * Before applying: adds the objects about to be applied to the stored inventory (status Unknown), when some are not
   * in it yet. observedGeneration is left alone: nothing is synced yet.
   */
  async recordIntent(stored: readonly StatusEntry[], entries: readonly InventoryEntry[]): Promise<void> {
    const base = this.#intended ?? stored;
    const known = new Set(base.map(entryKey));
    const added = entries.filter((e) => !known.has(entryKey(e)));
    if (added.length === 0) return;
    // No health read yet: the new entries are Unknown.
    const merged = [...base, ...inventoryWithHealth(added, [])];
    const fields = await this.store(merged);
    await this.#opts.status.patch(() => fields, { observe: false });
    this.#intended = merged;
  }
}

/** True when both lists hold the same entries in the same order, health included. */
function sameEntries(a: readonly StatusEntry[], b: readonly StatusEntry[]): boolean {
  return a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}
