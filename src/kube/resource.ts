// Resource types and object keys: the runtime is generic over kinds, so a kind is described by data
// (group, version, plural) rather than a generated client class. Object metadata is api's one ObjectMeta type.
import type { ApiObject } from "../api/meta.ts";

/** Any Kubernetes object: type and object metadata (one ObjectMeta type with api) plus whatever else it holds. */
export interface KubeObject extends ApiObject {
  [key: string]: unknown;
}

/** A kind the runtime can list, watch and patch. */
export interface ResourceType {
  /** "" for the core group. */
  group: string;
  version: string;
  /** Lower-case plural, as in the URL. */
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** The reconcile request: which object, never what happened to it (level-based). */
export interface ObjectKey {
  namespace: string;
  name: string;
}

/** `namespace/name`, or `name` for cluster-scoped objects. */
export function keyString(key: ObjectKey): string {
  return key.namespace ? `${key.namespace}/${key.name}` : key.name;
}

/** Inverse of keyString. */
export function parseKey(key: string): ObjectKey {
  const slash = key.indexOf("/");
  return slash < 0 ? { namespace: "", name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The key of an object. */
export function keyOf(obj: ApiObject): ObjectKey {
  return { namespace: obj.metadata.namespace ?? "", name: obj.metadata.name };
}

/** Collection path, across namespaces when `namespace` is undefined. */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const base = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  return type.namespaced && namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${type.plural}`
    : `${base}/${type.plural}`;
}

/** Object path, optionally a subresource (`status`). */
export function objectPath(type: ResourceType, key: ObjectKey, subresource?: string): string {
  const path = `${collectionPath(type, type.namespaced ? key.namespace : undefined)}/${encodeURIComponent(key.name)}`;
  return subresource ? `${path}/${subresource}` : path;
}

/** Narrows a decoded JSON value to a KubeObject (the edge where unknown JSON becomes typed). */
export function asKubeObject(value: unknown): KubeObject {
  if (!value || typeof value !== "object") throw new TypeError("not a Kubernetes object");
  const rec = value as Record<string, unknown>;
  if (!rec.metadata || typeof rec.metadata !== "object") throw new TypeError("not a Kubernetes object: no metadata");
  return value as KubeObject;
}

/** Well-known core kinds the runtime itself uses. */
export const SECRETS: ResourceType = { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true };
export const CONFIG_MAPS: ResourceType = {
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
};
export const LEASES: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};
export const EVENTS: ResourceType = {
  group: "events.k8s.io",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true,
};
