// What a drop-box's status says after a poll, as pure functions: counts over the archives matched now (an archive
// is settled at its current ETag, or pending), the recent outcomes, the verdict (Ready when every archive is in;
// Stalled naming the quarantined or failed ones; retrying when only transient failures remain) and the ConfigMap
// text listing every archive's outcome, one line each.
import type { Reason } from "../api/conditions.ts";
import type { DropBoxKeyStatus, DropBoxStatus } from "../api/image-import.ts";
import type { Verdict } from "../kube/summarize.ts";
import type { DropBoxEntry, KeyOutcome, Settled } from "../transfer/drop-box.ts";

/** Recent outcomes kept in status. */
export const RECENT_LIMIT = 20;
/** Bytes of the outcomes ConfigMap's text (etcd's object limit is 1.5 MiB). */
export const OUTCOMES_LIMIT = 900 * 1024;

/** One poll as the status functions see it. */
export interface PollView {
  matched: readonly DropBoxEntry[];
  settled: ReadonlyMap<string, Settled>;
  /** This poll's outcomes, in the order they happened. */
  outcomes: readonly KeyOutcome[];
  checksumList?: { etag: string; signedBy?: string };
}

/** The archive's memory entry when it is settled at its current ETag. */
function current(entry: DropBoxEntry, settled: ReadonlyMap<string, Settled>): Settled | undefined {
  const s = settled.get(entry.name);
  return s && s.etag === entry.etag ? s : undefined;
}

/** Counts over the matched archives. */
export function dropBoxCounts(
  view: Pick<PollView, "matched" | "settled">,
): Pick<DropBoxStatus, "matched" | "imported" | "quarantined" | "failed" | "pending"> {
  const counts = { matched: view.matched.length, imported: 0, quarantined: 0, failed: 0, pending: 0 };
  for (const entry of view.matched) {
    const s = current(entry, view.settled);
    if (!s) counts.pending++;
    else counts[s.outcome]++;
  }
  return counts;
}

function keyStatus(o: KeyOutcome): DropBoxKeyStatus {
  const images = o.images?.flatMap((i) => i.references.map((r) => `${r}@${i.digest}`));
  return {
    name: o.name,
    etag: o.etag,
    outcome: o.outcome,
    ...(o.reason ? { reason: o.reason } : {}),
    ...(o.message ? { message: o.message } : {}),
    ...(images ? { images } : {}),
    at: o.at,
  };
}

/** The recent outcomes: these (newest first), then the earlier ones of other archives, bounded. */
export function recentOutcomes(
  outcomes: readonly KeyOutcome[],
  previous: DropBoxStatus | undefined,
): DropBoxKeyStatus[] {
  const fresh = [...outcomes].reverse().map(keyStatus);
  const names = new Set(fresh.map((k) => k.name));
  return [...fresh, ...(previous?.recent ?? []).filter((k) => !names.has(k.name))].slice(0, RECENT_LIMIT);
}

/** status.dropBox after a poll: counts, the checksum list trusted, and recent outcomes (this poll's first). */
export function dropBoxStatus(
  view: PollView,
  previous: DropBoxStatus | undefined,
  extra: { outcomesConfigMap: string; now: string },
): DropBoxStatus {
  const recent = recentOutcomes(view.outcomes, previous);
  return {
    ...dropBoxCounts(view),
    lastPollAt: extra.now,
    ...(view.checksumList ? { checksumList: view.checksumList } : {}),
    outcomesConfigMap: extra.outcomesConfigMap,
    ...(recent.length > 0 ? { recent } : {}),
  };
}

interface Problem {
  name: string;
  settled: Settled;
}

function problems(view: Pick<PollView, "matched" | "settled">): Problem[] {
  return view.matched.flatMap((entry) => {
    const s = current(entry, view.settled);
    return s && s.outcome !== "imported" ? [{ name: entry.name, settled: s }] : [];
  });
}

function describe(list: readonly Problem[]): string {
  const shown = list.slice(0, 3).map((p) => `${p.name} (${p.settled.reason ?? "Failed"}: ${p.settled.message ?? ""})`);
  return list.length > 3 ? `${shown.join("; ")}; and ${list.length - 3} more` : shown.join("; ");
}

/** The drop-box's verdict: Ready, Stalled on the archives that need a person, or retrying. */
export function dropBoxVerdict(view: PollView, where: string): Verdict {
  const counts = dropBoxCounts(view);
  const bad = problems(view);
  const done = `${counts.imported} of ${counts.matched} archive(s) in ${where} imported`;
  const permanent = bad.filter((p) => !p.settled.transient);
  const first = (permanent[0] ?? bad[0])?.settled.reason;
  if (bad.length === 0)
    return {
      kind: "ready",
      message:
        counts.matched === 0
          ? `no archive in ${where} matches yet`
          : `${done} (${view.outcomes.length} this poll); receipts under .airlift/receipts/`,
    };
  const reason: Reason = first ?? "TransferFailed";
  const what = `${counts.quarantined} quarantined, ${counts.failed} failed; ${done}: ${describe(permanent.length > 0 ? permanent : bad)}`;
  return permanent.length > 0
    ? { kind: "stalled", reason, message: what }
    : { kind: "retrying", reason, message: what };
}

function line(name: string, s: Settled): string {
  const detail = s.outcome === "imported" ? (s.references ?? []).join(" ") : (s.message ?? "");
  return [name, s.outcome, s.etag, s.reason ?? "", s.at, detail.replace(/[\t\n]/g, " ")].join("\t");
}

/** Every matched archive's outcome as tab-separated lines (pending ones too), bounded by OUTCOMES_LIMIT. */
export function outcomesText(view: Pick<PollView, "matched" | "settled">): string {
  let text = "# name\toutcome\tetag\treason\tat\treferences or message\n";
  for (const [i, entry] of view.matched.entries()) {
    const s = current(entry, view.settled);
    const next = s ? line(entry.name, s) : [entry.name, "pending", entry.etag, "", "", ""].join("\t");
    if (text.length + next.length + 1 > OUTCOMES_LIMIT) {
      text += `# ${view.matched.length - i} more not listed (size limit); the bucket's receipts list every import\n`;
      break;
    }
    text += `${next}\n`;
  }
  return text;
}
