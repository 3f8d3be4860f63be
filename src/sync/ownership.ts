// Who manages an object: every object a sync applies carries labels naming its owner (the OciSync), so a second
// owner is detected instead of fought over, and the pruner deletes only what is still ours.
import { SyncError } from "./errors.ts";

/** The owner of a sync (an OciSync): written into labels of every object it manages. */
export interface SyncOwner {
  kind: string;
  /** "" for a cluster-scoped owner. */
  namespace: string;
  name: string;
}

export const LABEL_OWNER_KIND = "airlift.dev/owner-kind";
export const LABEL_OWNER_NAMESPACE = "airlift.dev/owner-namespace";
export const LABEL_OWNER_NAME = "airlift.dev/owner-name";
/** The digest of the source image the object was last applied from. */
export const ANNOTATION_SOURCE_DIGEST = "airlift.dev/source-digest";
/** `IfNotPresent`: create the object once, then leave it alone. */
export const ANNOTATION_APPLY = "airlift.dev/apply";
/** `disabled`: never delete the object, even once it leaves the source. */
export const ANNOTATION_PRUNE = "airlift.dev/prune";
/** Config Sync's `ignore` (https://cloud.google.com/kubernetes-engine/enterprise/config-sync/docs/how-to/managing-objects): as airlift.dev/apply: IfNotPresent. */
export const ANNOTATION_CS_MUTATION = "client.lifecycle.config.k8s.io/mutation";
/** Config Sync's `detach`: as airlift.dev/prune: disabled, the object stays when it leaves the source. */
export const ANNOTATION_CS_DELETION = "client.lifecycle.config.k8s.io/deletion";

/** Config Sync's `disabled`: the object is left alone, neither applied nor pruned (and leaves the inventory). */
export const ANNOTATION_CS_MANAGED = "configmanagement.gke.io/managed";

/** Which annotation makes the source's object unmanaged (`configmanagement.gke.io/managed is disabled`), or undefined. */
export function unmanagedBy(annotations: Record<string, string> | undefined): string | undefined {
  if (annotations?.[ANNOTATION_CS_MANAGED] === "disabled") return `${ANNOTATION_CS_MANAGED} is disabled`;
  return undefined;
}

/** Which annotation makes the object create-only (`airlift.dev/apply is IfNotPresent`), or undefined. */
export function createOnlyBy(annotations: Record<string, string> | undefined): string | undefined {
  if (annotations?.[ANNOTATION_APPLY] === "IfNotPresent") return `${ANNOTATION_APPLY} is IfNotPresent`;
  if (annotations?.[ANNOTATION_CS_MUTATION] === "ignore") return `${ANNOTATION_CS_MUTATION} is ignore`;
  return undefined;
}

/** Which annotation keeps the object from being pruned (`airlift.dev/prune is disabled`), or undefined. */
export function pruneDisabledBy(annotations: Record<string, string> | undefined): string | undefined {
  if (annotations?.[ANNOTATION_PRUNE] === "disabled") return `${ANNOTATION_PRUNE} is disabled`;
  if (annotations?.[ANNOTATION_CS_DELETION] === "detach") return `${ANNOTATION_CS_DELETION} is detach`;
  return undefined;
}

/** The field manager of every server-side apply. */
export const FIELD_MANAGER = "airlift";

// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Checks that an owner can be written into label values; throws otherwise. */
export function checkOwner(owner: SyncOwner): void {
  for (const v of [owner.kind, owner.namespace, owner.name]) {
    if (v.length > 63 || !LABEL_VALUE.test(v))
      throw new SyncError(
        "ApplyFailed",
        `invalid owner ${describeOwner(owner)}: "${v}" is not a valid label value (63 characters at most)`,
      );
  }
  if (!owner.kind || !owner.name) throw new SyncError("ApplyFailed", "invalid owner: kind and name are required");
}

/** The labels naming `owner`. */
export function ownerLabels(owner: SyncOwner): Record<string, string> {
  return { [LABEL_OWNER_KIND]: owner.kind, [LABEL_OWNER_NAMESPACE]: owner.namespace, [LABEL_OWNER_NAME]: owner.name };
}

/** The owner named by an object's labels, or undefined when it carries none. */
export function ownerFromLabels(labels: Record<string, string> | undefined): SyncOwner | undefined {
  const kind = labels?.[LABEL_OWNER_KIND];
  const name = labels?.[LABEL_OWNER_NAME];
  if (kind === undefined && name === undefined) return undefined;
  return { kind: kind ?? "", namespace: labels?.[LABEL_OWNER_NAMESPACE] ?? "", name: name ?? "" };
}

/** True when both name the same owner. */
export function sameOwner(a: SyncOwner, b: SyncOwner): boolean {
  return a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;
}

/** `OciSync team-a/apps`. */
export function describeOwner(owner: SyncOwner): string {
  return `${owner.kind} ${owner.namespace ? `${owner.namespace}/` : ""}${owner.name}`;
}

/** A label selector matching the objects of `owner`. */
export function ownerSelector(owner: SyncOwner): string {
  return Object.entries(ownerLabels(owner))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
