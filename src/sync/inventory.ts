// The inventory: identities (with API version) of the objects a sync applied last time. Prune is "inventory minus
// current set", so the inventory is the only thing ever pruned from (never a label query that could match objects
// someone else labelled). Compact form after Flux's `<namespace>_<name>_<group>_<kind>` ids, version appended:
// https://fluxcd.io/flux/components/kustomize/kustomizations/#inventory
import { identityKey, splitApiVersion, type ObjectIdentity } from "./identity.ts";

/** One object of the inventory. */
export interface InventoryEntry extends ObjectIdentity {
  /** The API version it was applied with (without the group). */
  version: string;
}

/** `group/version`, or `version` for the core group. */
export function entryApiVersion(entry: InventoryEntry): string {
  return entry.group ? `${entry.group}/${entry.version}` : entry.version;
}

/** An entry from an identity and the apiVersion it was applied with. */
export function toEntry(id: ObjectIdentity, apiVersion: string): InventoryEntry {
  return {
    group: id.group,
    kind: id.kind,
    namespace: id.namespace,
    name: id.name,
    version: splitApiVersion(apiVersion).version,
  };
}

/** Sorted, de-duplicated entries (one per identity; the later entry wins). */
export function normalizeInventory(entries: readonly InventoryEntry[]): InventoryEntry[] {
  const byKey = new Map<string, InventoryEntry>();
  for (const e of entries) byKey.set(identityKey(e), e);
  return [...byKey.values()].sort((a, b) => identityKey(a).localeCompare(identityKey(b)));
}

/** Entries of `previous` whose identity is not in `current`: the prune candidates. */
export function inventoryDiff(
  previous: readonly InventoryEntry[],
  current: Iterable<ObjectIdentity>,
): InventoryEntry[] {
  const keep = new Set<string>();
  for (const id of current) keep.add(identityKey(id));
  return previous.filter((e) => !keep.has(identityKey(e)));
}

/**
 * Compact strings `<namespace>_<name>_<group>_<kind>_<version>`. Namespaces, groups, kinds and versions never
 * contain `_`; names of a few kinds may, so decoding takes the namespace from the left and the rest from the right.
 */
export function encodeInventory(entries: readonly InventoryEntry[]): string[] {
  return entries.map((e) => `${e.namespace}_${e.name}_${e.group}_${e.kind}_${e.version}`);
}

/** Inverse of encodeInventory; throws on a malformed id. */
export function decodeInventory(ids: readonly string[]): InventoryEntry[] {
  return ids.map((id) => {
    const parts = id.split("_");
    if (parts.length < 5) throw new Error(`invalid inventory id ${JSON.stringify(id)}`);
    const namespace = parts[0] ?? "";
    const [group, kind, version] = parts.slice(-3) as [string, string, string];
    const name = parts.slice(1, -3).join("_");
    if (!name || !kind || !version) throw new Error(`invalid inventory id ${JSON.stringify(id)}`);
    return { group, kind, namespace, name, version };
  });
}

/** Bytes the compact inventory takes as JSON: above some budget the reconciler keeps it in a ConfigMap. */
export function inventorySize(entries: readonly InventoryEntry[]): number {
  return Buffer.byteLength(JSON.stringify(encodeInventory(entries)));
}
