// The drift watches of the OciSyncs this process synced (src/sync/drift-watch.ts), one DriftWatch per OciSync uid:
// opened after its first sync here, told after every sync what that sync applied, closed when the OciSync is deleted
// or the controller stops. A watch that reports drift wakes the OciSync through the controller's queue.
import type { KubeConfig } from "../kube/kube-config.ts";
import type { Logger } from "pino";
import type { OciSync } from "../api/oci-sync.ts";
import {
  DriftWatch,
  type ApplyResult,
  type Impersonation,
  type InventoryEntry,
  type SyncOwner,
  type SyncScope,
} from "../sync/index.ts";

/** One sync's outcome, as its watch needs it. */
export interface SyncedObjects {
  sync: OciSync;
  /** The cluster synced into and the identity used (a tenant's watches are its ServiceAccount's). */
  kubeConfig: KubeConfig;
  impersonate: Impersonation | undefined;
  owner: SyncOwner;
  scope: SyncScope;
  sourceDigest: string;
  inventory: readonly InventoryEntry[];
  results: readonly ApplyResult[];
  log: Logger;
  signal: AbortSignal;
}

/** The watches by OciSync uid; see the file comment. */
export class SyncWatches {
  readonly #watches = new Map<string, DriftWatch>();
  readonly #wake: ((namespace: string, name: string) => void) | undefined;
  #stopped = false;

  constructor(wake: ((namespace: string, name: string) => void) | undefined) {
    this.#wake = wake;
  }

  /** The OciSync's watch, when one is open. */
  get(sync: OciSync): DriftWatch | undefined {
    return this.#watches.get(sync.metadata.uid ?? "");
  }

  /** Closes an OciSync's watch (it was deleted). */
  forget(sync: OciSync): void {
    const uid = sync.metadata.uid ?? "";
    void this.#watches.get(uid)?.stop();
    this.#watches.delete(uid);
  }

  /** Closes every watch (the controller stops); none is opened after. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#watches.values()].map((w) => w.stop()));
    this.#watches.clear();
  }

  /** After a sync: the OciSync's watch expects what it applied (opened on its first sync in this process). */
  async expect(synced: SyncedObjects): Promise<void> {
    const { sync, log, signal, scope } = synced;
    if (this.#stopped) return;
    const uid = sync.metadata.uid ?? "";
    let watch = this.#watches.get(uid);
    if (!watch) {
      const { namespace = "", name } = sync.metadata;
      watch = new DriftWatch({
        kubeConfig: synced.kubeConfig,
        impersonate: synced.impersonate,
        owner: synced.owner,
        tenantNamespace: scope.kind === "namespace" ? scope.namespace : undefined,
        onDrift: (what) => {
          log.info({ drift: what }, "managed object drifted; syncing");
          this.#wake?.(namespace, name);
        },
      });
      this.#watches.set(uid, watch);
    }
    try {
      await watch.expect(synced.inventory, synced.results, synced.sourceDigest, signal);
    } catch (err) {
      signal.throwIfAborted();
      // No watches: the next period applies again, which is always correct.
      log.warn({ error: (err as Error).message }, "drift watches unavailable; the next period re-applies");
      void watch.stop();
      this.#watches.delete(uid);
    }
  }
}
