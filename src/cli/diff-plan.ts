// What one sync of an OciSync would do now, from the engine's own steps: load-source.ts renders and substitutes,
// scope.ts resolves kinds and namespaces, plan.ts dry-runs each object, inventory.ts names what left the source,
// prune.ts's safeguards and its per-object checks (run with dry-run deletes) say what would really be pruned.
import { readInventory } from "../controllers/oci-sync-inventory.ts";
import { toEngineInventory } from "../controllers/oci-sync-status.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { definedKinds } from "../sync/crds.ts";
import { Discovery } from "../sync/discovery.ts";
import { SyncError } from "../sync/errors.ts";
import { identityOf, splitApiVersion, type Manifest } from "../sync/identity.ts";
import { inventoryDiff, type InventoryEntry } from "../sync/inventory.ts";
import { loadSource, type RenderOptions } from "../sync/load-source.ts";
import { planObjects, type PlannedObject } from "../sync/plan.ts";
import { checkPruneSafeguards, pruneObjects, type PruneOutcome } from "../sync/prune.ts";
import { resolveObjects, type ResolvedObject, type SyncScope } from "../sync/scope.ts";
import type { ReadSync } from "./diff-source.ts";
import { workloadImages, type ImageUse } from "../sync/workload-images.ts";

/** What the sync would do. */
export interface SyncPlan {
  objects: PlannedObject[];
  /** The container images of the rendered workloads (what the operator's imagePreflight checks). */
  images: ImageUse[];
  /** Prune candidates and what prune.ts would decide for them. */
  prune: { candidates: InventoryEntry[]; refused?: string; disabled: boolean; outcome?: PruneOutcome };
}

/** The inputs of a plan. */
export interface PlanRequest {
  client: KubeClient;
  read: ReadSync;
  root: string;
  sourceDigest: string;
  scope: SyncScope;
  /** The kustomize binary (undefined: rendering off) and its bounds; the mode is the OciSync's. */
  render: Omit<RenderOptions, "mode">;
  /** The values `${VAR}`s are replaced with (the OciSync's, as the operator reads them); undefined: none. */
  substitute: Readonly<Record<string, string>> | undefined;
  signal: AbortSignal;
}

/** Renders the source as the operator would and plans each object and the prune. */
export async function planSync(request: PlanRequest): Promise<SyncPlan> {
  const { client, read, scope, signal } = request;
  const { spec } = read;
  const manifests = await loadSource({
    root: request.root,
    dir: spec.oci.dir,
    render: { ...request.render, mode: spec.render ?? "auto" },
    substitute: request.substitute,
    signal,
  });
  const owner = { kind: "OciSync", namespace: read.sync.metadata.namespace ?? "", name: read.sync.metadata.name };
  const discovery = new Discovery(client);
  const resolved = await resolveObjects(manifests, scope, discovery, signal);
  const ok = resolved.filter((r): r is ResolvedObject => !(r instanceof SyncError));
  const planned = await planObjects({ client, owner, sourceDigest: request.sourceDigest, signal }, ok);
  const objects = withCreatedContainers([...planned, ...unresolved(manifests, resolved)]);
  const current = [
    ...ok.map((o) => o.identity),
    ...manifests.filter((_, i) => resolved[i] instanceof SyncError).map((m) => identityOf(m.object)),
  ];
  const previous = toEngineInventory(await readInventory(client, read.sync, signal));
  const candidates = inventoryDiff(previous, current);
  const images = workloadImages(manifests);
  if (!spec.prune) return { objects, images, prune: { candidates, disabled: true } };
  const safeguards = {
    allowPruneAll: spec.pruneSafeguard.allowEmpty,
    maxPruneFraction: spec.pruneSafeguard.maxFraction,
  };
  const refused = checkPruneSafeguards(candidates.length, previous.length, current.length, safeguards);
  if (refused) return { objects, images, prune: { candidates, disabled: false, refused: refused.message } };
  const outcome = await pruneObjects({ client, discovery, owner, scope, signal, dryRun: true }, candidates);
  return { objects, images, prune: { candidates, disabled: false, outcome } };
}

/** Objects whose kind the server does not serve: a create when a CRD of the set defines it, else a failure. */
function unresolved(
  manifests: readonly Manifest[],
  resolved: readonly (ResolvedObject | SyncError)[],
): PlannedObject[] {
  const crdKinds = definedKinds(manifests);
  return manifests.flatMap((m, i): PlannedObject[] => {
    const r = resolved[i];
    if (!(r instanceof SyncError)) return [];
    const base = { identity: identityOf(m.object), source: m.source };
    const fromSet = crdKinds.get(`${splitApiVersion(m.object.apiVersion).group}/${m.object.kind}`);
    if (r.code === "UnknownKind" && fromSet !== undefined)
      return [{ ...base, action: "create", message: `its CRD ${fromSet} is created first; not dry-run` }];
    return [{ ...base, action: "failed", message: r.message }];
  });
}

/** An object in a Namespace the set creates cannot be dry-run before it exists: it is a create. */
function withCreatedContainers(objects: PlannedObject[]): PlannedObject[] {
  const created = new Set(
    objects
      .filter((o) => o.identity.kind === "Namespace" && o.identity.group === "" && o.action === "create")
      .map((o) => o.identity.name),
  );
  return objects.map((o) =>
    o.action === "failed" && created.has(o.identity.namespace)
      ? { ...o, action: "create", message: `its namespace ${o.identity.namespace} is created first; not dry-run` }
      : o,
  );
}
