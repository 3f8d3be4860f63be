// Deleting an OciSync. By default its managed objects stay in the cluster (like Config Sync without deletion
// propagation: deleting the sync object must never wipe the workloads it delivered); only the owner labels remain on
// them, so another OciSync declaring them later sees a ManagementConflict until someone removes those labels. With
// the annotation `airlift.dev/deletion-propagation: Foreground` the finalizer first prunes every object of the
// inventory (prune-disabled objects excepted), then lets the OciSync go. Either way the local folder, the inventory
// ConfigMap and the finalizer are removed.
import { rm } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import type { OciSync } from "../api/oci-sync.ts";
import { TransientError } from "../kube/errors.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { Discovery, syncClient, type Impersonation, type SyncOwner, type SyncScope } from "../sync/index.ts";
import { pruneObjects } from "../sync/prune.ts";
import { deleteInventoryConfigMap, readInventory } from "./oci-sync-inventory.ts";
import { toEngineInventory } from "./oci-sync-status.ts";

/** Annotation asking that deleting the OciSync deletes its objects too. */
export const ANNOTATION_DELETION_PROPAGATION = "airlift.dev/deletion-propagation";

/** What finalizing needs. */
export interface FinalizeInput {
  client: KubeClient;
  kubeConfig: KubeConfig;
  sync: OciSync;
  owner: SyncOwner;
  scope: SyncScope;
  impersonate?: Impersonation;
  /** The OciSync's staging folder. */
  folder: string;
  signal: AbortSignal;
}

/** Cleans up before the finalizer goes; throws (retried) when a foreground prune could not delete everything. */
export async function finalizeOciSync(input: FinalizeInput): Promise<number> {
  const { sync, signal } = input;
  let pruned = 0;
  if (sync.metadata.annotations?.[ANNOTATION_DELETION_PROPAGATION] === "Foreground") {
    const inventory = toEngineInventory(await readInventory(input.client, sync, signal));
    const client = syncClient(input.kubeConfig, input.impersonate);
    try {
      const outcome = await pruneObjects(
        { client, discovery: new Discovery(client), owner: input.owner, scope: input.scope, signal },
        inventory,
      );
      if (outcome.errors.length > 0) {
        throw new TransientError(
          "PruneFailed",
          `failed to delete the objects of OciSync ${sync.metadata.namespace}/${sync.metadata.name}: ${outcome.errors.map((e) => e.message).join("; ")}`,
        );
      }
      pruned = outcome.pruned.length;
    } finally {
      await client.close();
    }
  }
  const ref = sync.status?.inventoryRef;
  if (ref) await deleteInventoryConfigMap(input.client, sync.metadata.namespace ?? "", ref.name, signal);
  await rm(input.folder, { recursive: true, force: true });
  return pruned;
}
