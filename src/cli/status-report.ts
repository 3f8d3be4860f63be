// The model of `airlift status`: what one round reads (status-read.ts), what `--json` prints as is and what the
// table (status-format.ts) lays out; plus the pure readings and the order that both need.
import type { InventoryEntry, OciSync } from "../api/oci-sync.ts";
import type { PublishedSite } from "../controllers/site-publish.ts";
import { getCondition } from "../kube/conditions.ts";

/** One OciSync, as `--json` prints it (`digest` in full there; the table shortens it). */
export interface OciSyncReport {
  namespace: string;
  name: string;
  image: string;
  state: string;
  /** When the current content was applied (status.sync.lastUpdate), for `SYNCED @ time`. */
  syncedAt?: string;
  digest?: string;
  revision?: string;
  /** The Ready condition's reason and message when it is not True. */
  reason?: string;
  message?: string;
  errors: { code: string; message: string }[];
  resources: InventoryEntry[];
}

/** One ImageImport or ArtifactPull. */
export interface ObjectReport {
  kind: string;
  namespace: string;
  name: string;
  ready: string;
  reason: string;
  digest?: string;
}

/** Everything one `airlift status` round shows. */
export interface StatusReport {
  context: string;
  /** The site profile the operator publishes in the root namespace, when there is one to read. */
  site?: PublishedSite;
  ociSyncs: OciSyncReport[];
  resources: ObjectReport[];
}

/** Any airlift object, as far as the one-line summary needs. */
export interface SummaryObject {
  kind?: string;
  metadata: { name: string; namespace?: string };
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[]; [key: string]: unknown };
}

/** nomos's state words: SYNCED, ERROR, PENDING, STALLED (and SUSPENDED). */
export function syncState(sync: OciSync): string {
  if (sync.spec.suspend) return "SUSPENDED";
  const conds = sync.status?.conditions ?? [];
  if (conds.some((c) => c.type === "Stalled" && c.status === "True")) return hasStageErrors(sync) ? "ERROR" : "STALLED";
  const ready = getCondition(conds, "Ready")?.status;
  return ready === "True" ? "SYNCED" : ready === "False" ? "ERROR" : "PENDING";
}

function hasStageErrors(sync: OciSync): boolean {
  const status = sync.status ?? {};
  return (status.sync?.errors?.length ?? 0) > 0 || (status.source?.errors?.length ?? 0) > 0;
}

/** `kind.group/name`, as kubectl and nomos name a resource (`deployment.apps/web`, `namespace/test`). */
export function resourceName(e: { kind: string; group: string; name: string }): string {
  return `${e.kind.toLowerCase()}${e.group ? `.${e.group}` : ""}/${e.name}`;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The report in a stable order: OciSyncs by namespace and name, their resources by namespace and `kind.group/name`, the other objects by kind, namespace and name. */
export function sortReport(report: StatusReport): StatusReport {
  const ociSyncs = report.ociSyncs
    .map((s) => ({
      ...s,
      resources: [...s.resources].sort(
        (a, b) => byText(a.namespace ?? "", b.namespace ?? "") || byText(resourceName(a), resourceName(b)),
      ),
    }))
    .sort((a, b) => byText(a.namespace, b.namespace) || byText(a.name, b.name));
  const resources = [...report.resources].sort(
    (a, b) => byText(a.kind, b.kind) || byText(a.namespace, b.namespace) || byText(a.name, b.name),
  );
  return { context: report.context, ociSyncs, resources };
}
