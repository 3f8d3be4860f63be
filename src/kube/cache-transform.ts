// What the manager's informers keep of each object (controller-runtime's default cache transform): everything but
// metadata.managedFields and kubectl's last-applied-configuration annotation, which the controllers never read and
// which are most of a small object's size (a few KiB per object, held for every object of every watched kind).
import type { KubeObject } from "./resource.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** `obj` without managedFields and the last-applied annotation (a shallow copy when there was something to drop). */
export function stripForCache(obj: KubeObject): KubeObject {
  const meta = obj.metadata as KubeObject["metadata"] & { managedFields?: unknown };
  const annotations = meta.annotations;
  const hasLastApplied = annotations !== undefined && LAST_APPLIED in annotations;
  if (meta.managedFields === undefined && !hasLastApplied) return obj;
  const { managedFields: _dropped, ...metadata } = meta;
  if (hasLastApplied) {
    const { [LAST_APPLIED]: _applied, ...rest } = annotations;
    metadata.annotations = rest;
  }
  return { ...obj, metadata };
}
