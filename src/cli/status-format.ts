// Text of `airlift status`: for each OciSync what `nomos status` prints for a RootSync/RepoSync (source, state,
// digest, the managed resources table), then one line per ImageImport / ArtifactPull. Pure functions of the objects.
import type { InventoryEntry, OciSync } from "../api/oci-sync.ts";

/** Any airlift object, as far as the one-line summary needs. */
export interface SummaryObject {
  kind?: string;
  metadata: { name: string; namespace?: string };
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[]; [key: string]: unknown };
}

/** nomos's state words: SYNCED, ERROR, PENDING, STALLED. */
export function syncState(sync: OciSync): string {
  const conds = sync.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === "Ready");
  if (sync.spec.suspend) return "SUSPENDED";
  if (conds.some((c) => c.type === "Stalled" && c.status === "True")) return (sync.status?.sync?.errors?.length ?? sync.status?.source?.errors?.length) ? "ERROR" : "STALLED";
  if (ready?.status === "True") return "SYNCED";
  if (ready?.status === "False") return "ERROR";
  return "PENDING";
}

const hex = (digest: string | undefined): string => (digest ?? "").replace(/^sha256:/, "");

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join("").trimEnd());
}

/** nomos-style block of one OciSync; `inventory` is status.inventory or the ConfigMap's list. */
export function formatOciSync(sync: OciSync, inventory: readonly InventoryEntry[], rootNamespace: string | undefined): string {
  const ns = sync.metadata.namespace ?? "";
  const label = ns === rootNamespace ? `<root>:${sync.metadata.name}` : `${ns}:${sync.metadata.name}`;
  const digest = hex(sync.status?.sync?.digest ?? sync.status?.source?.digest);
  const head = table([[label, sync.status?.source?.image ?? sync.spec.oci.image], [syncState(sync), digest]], "   ");
  const lines = ["   --------------------", ...head];
  const errors = [...(sync.status?.source?.errors ?? []), ...(sync.status?.sync?.errors ?? [])];
  const ready = sync.status?.conditions?.find((c) => c.type === "Ready");
  if (errors.length > 0 || (ready && ready.status !== "True")) lines.push(`   ${ready?.reason ?? ""}: ${ready?.message ?? ""}`.trimEnd());
  for (const e of errors.slice(0, 5)) lines.push(`   Error ${e.code}: ${e.message}`);
  lines.push("   Managed resources:");
  const rows = [["NAMESPACE", "NAME", "STATUS", "SOURCEHASH"], ...inventory.map((e) => [e.namespace ?? "", `${e.kind.toLowerCase()}/${e.name}`, e.status, digest.slice(0, 7)])];
  lines.push(...table(rows, "      "));
  return lines.join("\n");
}

/** One line for an ImageImport / ArtifactPull: kind, namespace/name, Ready, reason, digest. */
export function summaryLine(obj: SummaryObject): string[] {
  const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
  const images = obj.status?.images;
  const firstImage = Array.isArray(images) ? (images[0] as { digest?: unknown } | undefined) : undefined;
  const digest = typeof obj.status?.resolvedDigest === "string" ? obj.status.resolvedDigest : typeof firstImage?.digest === "string" ? firstImage.digest : "";
  return [obj.kind ?? "", `${obj.metadata.namespace ?? ""}/${obj.metadata.name}`, ready?.status ?? "Unknown", ready?.reason ?? "", digest];
}

/** The summary lines as an aligned table. */
export function formatSummaries(objects: readonly SummaryObject[]): string {
  if (objects.length === 0) return "";
  return table([["KIND", "NAME", "READY", "REASON", "DIGEST"], ...objects.map(summaryLine)], "").join("\n");
}
