// Health of objects the source does not hold (Flux's healthChecks): each named object is read in the sync's cluster
// and judged like an inventory entry (kstatus, or its kind's CEL rules). A tenant sync may only name objects of its
// own namespace: a cluster-scoped kind or another namespace is refused as a ScopeViolation before anything is read,
// so a tenant cannot learn about objects outside its scope through its status.
import { syncClient } from "./client.ts";
import { mapBounded } from "./concurrency.ts";
import { Discovery } from "./discovery.ts";
import { SyncError } from "./errors.ts";
import { entryHealth, type HealthOptions } from "./health.ts";
import type { Health } from "./health-rules.ts";
import { splitApiVersion } from "./identity.ts";
import type { InventoryEntry } from "./inventory.ts";
import type { SyncScope } from "./scope.ts";

/** An object named by spec.healthChecks. */
export interface HealthCheckTarget {
  apiVersion: string;
  kind: string;
  name: string;
  /** Default: `defaultNamespace`, for a namespaced kind. */
  namespace?: string;
}

/** One named object's health, with its namespace resolved ("" for a cluster-scoped one). */
export interface CheckedObject extends Health {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** Options of checkObjects. */
export interface CheckObjectsOptions extends HealthOptions {
  scope: SyncScope;
  /** The namespace of a namespaced object that names none: the sync's own. */
  defaultNamespace: string;
}

const describe = (t: HealthCheckTarget): string =>
  `${t.kind} ${t.namespace ? `${t.namespace}/` : ""}${t.name} (${t.apiVersion})`;

/** The entry to read, or a ScopeViolation; undefined when the kind is not served (NotFound). */
async function resolve(
  target: HealthCheckTarget,
  discovery: Discovery,
  options: CheckObjectsOptions,
): Promise<InventoryEntry | undefined> {
  const { group, version } = splitApiVersion(target.apiVersion);
  const type = await discovery.lookup(target.apiVersion, target.kind, options.signal);
  const namespaced = type?.namespaced ?? true;
  const namespace = namespaced ? target.namespace || options.defaultNamespace : "";
  const { scope } = options;
  if (scope.kind === "namespace" && (!namespaced || namespace !== scope.namespace)) {
    const why = namespaced ? `in namespace ${namespace}` : "a cluster-scoped object";
    throw new SyncError(
      "ScopeViolation",
      `refused spec.healthChecks entry ${describe(target)}: it names ${why}; a sync scoped to namespace ${scope.namespace} may only check objects of its own namespace`,
      [{ group, kind: target.kind, namespace, name: target.name }],
    );
  }
  return { group, version, kind: target.kind, namespace, name: target.name };
}

/**
 * Reads every named object and gives its health, in the order given. Throws SyncError ScopeViolation (nothing read)
 * when a tenant sync names an object outside its namespace.
 */
export async function checkObjects(
  targets: readonly HealthCheckTarget[],
  options: CheckObjectsOptions,
): Promise<CheckedObject[]> {
  if (targets.length === 0) return [];
  const client = syncClient(options.kubeConfig, options.impersonate);
  try {
    const discovery = new Discovery(client);
    const entries: (InventoryEntry | undefined)[] = [];
    for (const t of targets) entries.push(await resolve(t, discovery, options));
    return await mapBounded(
      targets.map((t, i) => ({ target: t, entry: entries[i] })),
      options.concurrency ?? 8,
      async ({ target, entry }): Promise<CheckedObject> => {
        if (!entry) throw new Error("unreachable: every target resolves");
        const { status, message } = await entryHealth(client, discovery, entry, options);
        return {
          apiVersion: target.apiVersion,
          kind: target.kind,
          namespace: entry.namespace,
          name: entry.name,
          status,
          message,
        };
      },
      options.signal,
    );
  } finally {
    await client.close();
  }
}
