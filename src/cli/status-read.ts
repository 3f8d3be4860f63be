// What `airlift status` shows, read from the API server (list calls and the inventory ConfigMaps only) into one
// report that the text table and `--json` both print, in a stable order (sortReport).
import { setTimeout as sleep } from "node:timers/promises";
import { ARTIFACT_PULL, IMAGE_IMPORT, OCI_SYNC } from "../api/group-version.ts";
import type { InventoryEntry, OciSync } from "../api/oci-sync.ts";
import { readInventory } from "../controllers/oci-sync-inventory.ts";
import type { Condition } from "../api/meta.ts";
import { ApiError } from "../kube/api-error.ts";
import { getCondition } from "../kube/conditions.ts";
import type { KubeClient } from "../kube/rest-client.ts";
import { collectionPath, type ResourceType } from "../kube/resource.ts";
import {
  sortReport,
  syncState,
  type ObjectReport,
  type OciSyncReport,
  type StatusReport,
  type SummaryObject,
} from "./status-report.ts";

/** Which objects, and how long each request may take. */
export interface StatusQuery {
  /** Undefined for every namespace. */
  namespace: string | undefined;
  name: string | undefined;
  timeoutMs: number;
}

interface ListDoc<T> {
  items?: T[];
}

async function list<T>(client: KubeClient, type: ResourceType, query: StatusQuery): Promise<T[]> {
  const fieldSelector = query.name === undefined ? undefined : `metadata.name=${query.name}`;
  // A freshly installed CRD answers 429 "storage is (re)initializing" for a moment: retry a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      const out = await client.request<ListDoc<T>>(collectionPath(type, query.namespace), {
        query: { fieldSelector },
        timeoutMs: query.timeoutMs,
      });
      return out.items ?? [];
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429 || attempt >= 5) throw err;
      await sleep(500 * attempt);
    }
  }
}

function readyOf(obj: { status?: { conditions?: Condition[] } }): Condition | undefined {
  return getCondition(obj.status?.conditions, "Ready");
}

/** When the current content was applied, for `SYNCED @ time`. */
function syncedAt(sync: OciSync, state: string): string | undefined {
  if (state !== "SYNCED") return undefined;
  return sync.status?.sync?.lastUpdate ?? readyOf(sync)?.lastTransitionTime;
}

function stageErrors(sync: OciSync): { code: string; message: string }[] {
  const status = sync.status ?? {};
  return [...(status.source?.errors ?? []), ...(status.sync?.errors ?? [])].map((e) => ({
    code: e.code,
    message: e.message,
  }));
}

/** The image as resolved, the digest applied (else fetched) and the artifact revision. */
function sourceOf(sync: OciSync): Pick<OciSyncReport, "image" | "digest" | "revision"> {
  const status = sync.status ?? {};
  return {
    image: status.source?.image ?? sync.spec.oci.image,
    digest: status.sync?.digest ?? status.source?.digest,
    revision: status.artifact?.revision,
  };
}

function ociSyncReport(sync: OciSync, inventory: readonly InventoryEntry[]): OciSyncReport {
  const ready = readyOf(sync);
  const notReady = ready && ready.status !== "True" ? ready : undefined;
  const state = syncState(sync);
  return {
    namespace: sync.metadata.namespace ?? "",
    name: sync.metadata.name,
    state,
    syncedAt: syncedAt(sync, state),
    ...sourceOf(sync),
    reason: notReady?.reason,
    message: notReady?.message,
    errors: stageErrors(sync),
    resources: [...inventory],
  };
}

/** An ArtifactPull's resolved digest, or an ImageImport's first image's. */
function digestOf(status: SummaryObject["status"]): string | undefined {
  if (typeof status?.resolvedDigest === "string") return status.resolvedDigest;
  const first: unknown = Array.isArray(status?.images) ? status.images[0] : undefined;
  const digest = first && typeof first === "object" ? (first as { digest?: unknown }).digest : undefined;
  return typeof digest === "string" ? digest : undefined;
}

function objectReport(obj: SummaryObject): ObjectReport {
  const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
  return {
    kind: obj.kind ?? "",
    namespace: obj.metadata.namespace ?? "",
    name: obj.metadata.name,
    ready: ready?.status ?? "Unknown",
    reason: ready?.reason ?? "",
    digest: digestOf(obj.status),
  };
}

/** Reads one report. */
export async function readStatus(client: KubeClient, context: string, query: StatusQuery): Promise<StatusReport> {
  const syncs = await list<OciSync>(client, OCI_SYNC, query);
  const others = [
    ...(await list<SummaryObject>(client, IMAGE_IMPORT, query)),
    ...(await list<SummaryObject>(client, ARTIFACT_PULL, query)),
  ];
  const ociSyncs: OciSyncReport[] = [];
  for (const sync of syncs)
    ociSyncs.push(ociSyncReport(sync, await readInventory(client, sync, AbortSignal.timeout(query.timeoutMs))));
  return sortReport({ context, ociSyncs, resources: others.map(objectReport) });
}
