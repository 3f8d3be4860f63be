// Deleting an OciSync. spec.deletionPolicy (oci-sync-deletion-decide.ts) says what happens to its objects: Orphan
// (the default, like Config Sync without deletion propagation: deleting the sync object must never wipe the
// workloads it delivered) leaves them, with only the owner labels remaining, so another OciSync declaring them
// later sees a ManagementConflict until someone removes those labels. Delete first prunes every object of the
// inventory (prune-disabled ones excepted, dependants before their dependencies), then lets the OciSync go;
// WaitForTermination also waits until they are gone (their own finalizers done), looking again every few seconds.
// With spec.kubeConfig the objects are deleted in that cluster (its kubeconfig is read only when something is to be
// deleted). Whatever the policy, the local folder, the inventory ConfigMap and the finalizer are removed at the end.
import { rm } from "node:fs/promises";
import type { KubeConfig } from "../kube/kube-config.ts";
import { parseDuration } from "../api/duration.ts";
import type { OciSync } from "../api/oci-sync.ts";
import { TransientError, WaitingError } from "../kube/errors.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import {
  describeIdentity,
  Discovery,
  syncClient,
  type Impersonation,
  type SyncOwner,
  type SyncScope,
} from "../sync/index.ts";
import { pruneInDependencyOrder } from "../sync/depends-on-prune.ts";
import { waitGone } from "../sync/depends-on-wait.ts";
import { deletionPolicyOf } from "./oci-sync-deletion-decide.ts";
import { deleteInventoryConfigMap, readInventory } from "./oci-sync-inventory.ts";
import { toEngineInventory } from "./oci-sync-status.ts";

/** How soon WaitForTermination looks again at objects still terminating. */
const TERMINATION_RECHECK_MS = 2_000;

/** What finalizing needs. */
export interface FinalizeInput {
  client: KubeClient;
  kubeConfig: KubeConfig;
  /** The cluster pruned when not `kubeConfig`'s (spec.kubeConfig), resolved only when pruning. */
  target?: () => Promise<KubeConfig | undefined>;
  sync: OciSync;
  owner: SyncOwner;
  scope: SyncScope;
  impersonate?: Impersonation;
  /** The OciSync's staging folder. */
  folder: string;
  signal: AbortSignal;
}

/** Cleans up before the finalizer goes; throws (retried) until the policy's deletions are done. Returns how many were deleted. */
export async function finalizeOciSync(input: FinalizeInput): Promise<number> {
  const { sync, signal } = input;
  const policy = deletionPolicyOf(sync);
  const pruned = policy === "Orphan" ? 0 : await deleteObjects(input, policy === "WaitForTermination");
  const ref = sync.status?.inventoryRef;
  if (ref) await deleteInventoryConfigMap(input.client, sync.metadata.namespace ?? "", ref.name, signal);
  await rm(input.folder, { recursive: true, force: true });
  return pruned;
}

/** Deletes every object of the inventory; with `wait`, throws WaitingError while some are still terminating. */
async function deleteObjects(input: FinalizeInput, wait: boolean): Promise<number> {
  const { sync, signal } = input;
  const name = `OciSync ${sync.metadata.namespace}/${sync.metadata.name}`;
  const inventory = toEngineInventory(await readInventory(input.client, sync, signal));
  const timeoutMs = parseDuration(sync.spec.timeout ?? "5m");
  const client = syncClient((await input.target?.()) ?? input.kubeConfig, input.impersonate);
  try {
    const discovery = new Discovery(client);
    const ctx = { client, discovery, owner: input.owner, scope: input.scope, signal };
    const outcome = await pruneInDependencyOrder(ctx, inventory, timeoutMs);
    const first = outcome.errors[0];
    if (first)
      throw new TransientError(
        first.code,
        `failed to delete the objects of ${name}: ${outcome.errors.map((e) => e.message).join("; ")}`,
      );
    if (!wait) return outcome.pruned.length;
    const still = await waitGone({ client, discovery, timeoutMs: 0, signal }, outcome.pruned);
    if (still.size > 0) {
      const objects = [...still.values()].map((h) => describeIdentity(h.entry)).slice(0, 5);
      throw new WaitingError(
        "TerminationPending",
        `${name} waits for ${still.size} object(s) to be gone (deletionPolicy WaitForTermination): ${objects.join(", ")}`,
        TERMINATION_RECHECK_MS,
      );
    }
    return outcome.pruned.length;
  } finally {
    await client.close();
  }
}
