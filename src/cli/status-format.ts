// Text of `airlift status`: for each OciSync what `nomos status` prints for a RootSync/RepoSync (source, state with
// its time, short digest, the managed resources table), then one line per ImageImport / ArtifactPull. Pure
// functions of the report (status-report.ts), so the layout is tested without an API server.
import { resourceName, type ObjectReport, type OciSyncReport, type StatusReport } from "./status-report.ts";
import { formatSite } from "./status-site.ts";

/** `sha256:abcdef12`: the algorithm and the first 8 hex digits, enough to tell versions apart. */
export function shortDigest(digest: string | undefined): string {
  if (!digest) return "";
  const colon = digest.indexOf(":");
  return colon < 0 ? digest.slice(0, 8) : digest.slice(0, colon + 9);
}

/** An RFC 3339 time as `2026-01-02 03:04:05 UTC`. */
export function formatTime(rfc3339: string | undefined): string {
  const ms = rfc3339 ? Date.parse(rfc3339) : NaN;
  return Number.isNaN(ms) ? "" : `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map(
    (r) =>
      indent +
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
        .join("")
        .trimEnd(),
  );
}

/** nomos-style block of one OciSync; a sync in `rootNamespace` is labelled `<root>`. */
export function formatOciSync(sync: OciSyncReport, rootNamespace: string | undefined): string {
  const label = sync.namespace === rootNamespace ? `<root>:${sync.name}` : `${sync.namespace}:${sync.name}`;
  const state = sync.syncedAt ? `${sync.state} @ ${formatTime(sync.syncedAt)}` : sync.state;
  const digest = shortDigest(sync.digest);
  const lines = [
    "   --------------------",
    ...table(
      [
        [label, sync.image],
        [state, digest],
      ],
      "   ",
    ),
  ];
  if (sync.reason) lines.push(`   ${sync.reason}: ${sync.message ?? ""}`.trimEnd());
  for (const e of sync.errors.slice(0, 5)) lines.push(`   Error ${e.code}: ${e.message}`);
  if (sync.errors.length > 5) lines.push(`   ... and ${sync.errors.length - 5} more errors (--json shows them all)`);
  lines.push("   Managed resources:");
  const rows = sync.resources.map((e) => [e.namespace ?? "", resourceName(e), e.status, digest]);
  lines.push(
    ...(rows.length ? table([["NAMESPACE", "NAME", "STATUS", "SOURCEHASH"], ...rows], "      ") : ["      none"]),
  );
  return lines.join("\n");
}

/** ImageImports and ArtifactPulls as an aligned table (empty when there are none). */
export function formatObjects(objects: readonly ObjectReport[]): string {
  if (objects.length === 0) return "";
  const rows = objects.map((o) => [o.kind, `${o.namespace}/${o.name}`, o.ready, o.reason, shortDigest(o.digest)]);
  return table([["KIND", "NAME", "READY", "REASON", "DIGEST"], ...rows], "").join("\n");
}

/** The whole text: `*context`, the site profile, each OciSync block, then the other objects. */
export function formatStatus(report: StatusReport, rootNamespace: string | undefined): string {
  const blocks = report.ociSyncs.map((s) => formatOciSync(s, rootNamespace));
  const objects = formatObjects(report.resources);
  const site = report.site ? `${formatSite(report.site, rootNamespace ?? "")}\n` : "";
  return `*${report.context}\n${site}${blocks.length ? blocks.join("\n\n") : "   no OciSyncs"}\n${objects ? `\n${objects}\n` : ""}`;
}
