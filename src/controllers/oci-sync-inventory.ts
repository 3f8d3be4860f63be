// Where an OciSync keeps its inventory. Up to STATUS_LIMITS.inventory (1,000) objects it lives in
// `status.inventory`, where `kubectl get -o yaml` and `airlift status` show it with each object's health. Past that a
// status entry list would push the object towards etcd's 1.5 MiB request limit and make every status patch heavy, so
// the whole list moves to a ConfigMap `<name>-inventory` in the OciSync's namespace (`status.inventoryRef` names it)
// and status keeps only the errors, the conditions and the counts. The ConfigMap carries an ownerReference to the
// OciSync (garbage-collected with it) and is also deleted by the finalizer. The list is stored gzipped in
// binaryData (10,000 entries are ~1.1 MB of JSON, over a ConfigMap's 1 MiB; gzipped ~15 times smaller); a
// ConfigMap written before that, with the plain `inventory.json` key, is still read.
import { gunzipSync, gzipSync } from "node:zlib";
import { STATUS_LIMITS } from "../api/meta.ts";
import type { InventoryEntry as StatusEntry, OciSync } from "../api/oci-sync.ts";
import { isNotFound } from "../kube/api-error.ts";
import { applyConfigMap } from "../kube/config-maps.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { CONFIG_MAPS, objectPath } from "../kube/resource.ts";

const DATA_KEY = "inventory.json";
const GZIP_KEY = "inventory.json.gz";

/** The ConfigMap name for a large inventory. */
export function inventoryConfigMapName(sync: OciSync): string {
  return `${sync.metadata.name.slice(0, 242)}-inventory`;
}

function narrowEntries(value: unknown): StatusEntry[] {
  if (!Array.isArray(value)) throw new Error("inventory ConfigMap does not hold a list");
  return value.filter(
    (e): e is StatusEntry =>
      typeof e === "object" &&
      e !== null &&
      typeof (e as StatusEntry).kind === "string" &&
      typeof (e as StatusEntry).name === "string",
  );
}

/** The inventory's JSON from the ConfigMap: gzipped in binaryData, or (written before that) plain in data. */
function storedText(cm: { data?: Record<string, string>; binaryData?: Record<string, string> }): string {
  const gz = cm.binaryData?.[GZIP_KEY];
  return gz === undefined ? (cm.data?.[DATA_KEY] ?? "[]") : gunzipSync(Buffer.from(gz, "base64")).toString();
}

/** The stored inventory with its health: from status, or from the ConfigMap status.inventoryRef names. */
export async function readInventory(client: KubeClient, sync: OciSync, signal: AbortSignal): Promise<StatusEntry[]> {
  const ref = sync.status?.inventoryRef;
  if (!ref) return sync.status?.inventory ?? [];
  try {
    const cm = await client.request<{ data?: Record<string, string>; binaryData?: Record<string, string> }>(
      objectPath(CONFIG_MAPS, { namespace: sync.metadata.namespace ?? "", name: ref.name }),
      { signal },
    );
    return narrowEntries(JSON.parse(storedText(cm)));
  } catch (err) {
    // A lost ConfigMap means a lost inventory: nothing can be pruned from it, the next sync rebuilds it.
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** Stores the inventory; returns the status fields to merge-patch (`null` removes the other form). */
export async function writeInventory(
  client: KubeClient,
  sync: OciSync,
  entries: readonly StatusEntry[],
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const namespace = sync.metadata.namespace ?? "";
  const name = inventoryConfigMapName(sync);
  if (entries.length <= STATUS_LIMITS.inventory) {
    if (sync.status?.inventoryRef)
      await deleteInventoryConfigMap(client, namespace, sync.status.inventoryRef.name, signal);
    return { inventory: entries, inventoryRef: null };
  }
  await applyConfigMap(
    client,
    {
      namespace,
      name,
      labels: { "airlift.dev/inventory-of": sync.metadata.name.slice(0, 63) },
      owner: sync,
      binaryData: { [GZIP_KEY]: gzipSync(JSON.stringify(entries)).toString("base64") },
    },
    { signal },
  );
  return { inventory: null, inventoryRef: { name } };
}

/** Deletes the inventory ConfigMap if it exists. */
export async function deleteInventoryConfigMap(
  client: KubeClient,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  try {
    await client.request(objectPath(CONFIG_MAPS, { namespace, name }), { method: "DELETE", signal });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
