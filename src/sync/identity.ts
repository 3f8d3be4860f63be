// Object identities: what the loader, the applier, the inventory and the pruner agree an object "is".
// Group/kind/namespace/name identify an object across API versions (Flux and Config Sync key on the same four).
import type { KubeObject } from "../kube/resource.ts";

/** The identity of one object: the version is not part of it (one object, many versions). */
export interface ObjectIdentity {
  /** "" for the core group. */
  group: string;
  kind: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** A manifest read from a file: the object plus where it came from, for error messages. */
export interface Manifest {
  object: KubeObject & { apiVersion: string; kind: string };
  /** Path relative to the sync root, with the 1-based document index in a multi-document file. */
  source: string;
}

/** Splits `group/version` (or a bare core `version`) into its parts. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** The identity of a manifest's object, its namespace as written. */
export function identityOf(obj: {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string };
}): ObjectIdentity {
  return {
    group: splitApiVersion(obj.apiVersion).group,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? "",
    name: obj.metadata.name ?? "",
  };
}

/** A stable string key: `group/kind/namespace/name` (the core group is written as an empty segment). */
export function identityKey(id: ObjectIdentity): string {
  return `${id.group}/${id.kind}/${id.namespace}/${id.name}`;
}

/** A human description for messages: `ConfigMap team-a/settings`, `ClusterRole.rbac.authorization.k8s.io admin`. */
export function describeIdentity(id: ObjectIdentity): string {
  const kind = id.group ? `${id.kind}.${id.group}` : id.kind;
  return `${kind} ${id.namespace ? `${id.namespace}/` : ""}${id.name}`;
}
