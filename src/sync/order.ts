// Apply order, after Flux's staged apply: CRDs first (then wait until Established), Namespaces, other
// cluster-scoped objects (RBAC first), then namespaced objects. Prune runs in the reverse order, except that
// Namespaces go last: deleting a Namespace deletes its contents, which then vanish from under the pruner.
// https://fluxcd.io/flux/components/kustomize/kustomizations/#controlling-the-apply-order-of-manifests
import type { ObjectIdentity } from "./identity.ts";

/** The apply stages, in order. */
export type Stage = "crds" | "namespaces" | "cluster" | "namespaced";

/** Stages in apply order. */
export const APPLY_STAGES: readonly Stage[] = ["crds", "namespaces", "cluster", "namespaced"];

/** Stages in prune order: custom resources before their CRDs, Namespaces last. */
export const PRUNE_STAGES: readonly Stage[] = ["namespaced", "cluster", "crds", "namespaces"];

// Within a stage, kinds others depend on go first (Helm's install order, abridged). Others keep name order.
const KIND_PRIORITY = [
  "ClusterRole",
  "ClusterRoleBinding",
  "ResourceQuota",
  "LimitRange",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "Role",
  "RoleBinding",
  "Service",
];

/** The stage of an object whose namespace is final ("" means cluster-scoped). */
export function stageOf(id: ObjectIdentity): Stage {
  if (id.group === "apiextensions.k8s.io" && id.kind === "CustomResourceDefinition") return "crds";
  if (id.group === "" && id.kind === "Namespace") return "namespaces";
  return id.namespace ? "namespaced" : "cluster";
}

function kindRank(kind: string): number {
  const i = KIND_PRIORITY.indexOf(kind);
  return i < 0 ? KIND_PRIORITY.length : i;
}

/** Deterministic order inside a stage: by kind priority, then kind, namespace and name. */
export function compareInStage(a: ObjectIdentity, b: ObjectIdentity): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    a.kind.localeCompare(b.kind) ||
    a.group.localeCompare(b.group) ||
    a.namespace.localeCompare(b.namespace) ||
    a.name.localeCompare(b.name)
  );
}

/** Groups items into the given stage order, dropping empty stages; items are sorted within each stage. */
export function groupByStage<T extends { identity: ObjectIdentity }>(
  items: readonly T[],
  order: readonly Stage[] = APPLY_STAGES,
): { stage: Stage; items: T[] }[] {
  const byStage = new Map<Stage, T[]>();
  for (const item of items) {
    const stage = stageOf(item.identity);
    const list = byStage.get(stage) ?? [];
    list.push(item);
    byStage.set(stage, list);
  }
  const out: { stage: Stage; items: T[] }[] = [];
  for (const stage of order) {
    const list = byStage.get(stage);
    if (list) out.push({ stage, items: list.sort((a, b) => compareInStage(a.identity, b.identity)) });
  }
  return out;
}
