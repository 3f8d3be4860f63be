// How `airlift diff` prints a plan: one line per object that would change (create, change with its unified diff,
// prune, and what would be left or refused and why), a count line on stderr; or one JSON document with --json.
// Unchanged objects are only counted, as `kubectl diff` prints nothing for them.
import { printImageLines, type ImageLine } from "./diff-images.ts";
import { redactSecrets } from "../controllers/oci-sync-values.ts";
import { describeIdentity } from "../sync/identity.ts";
import type { PlannedObject } from "../sync/plan.ts";
import type { CliIO } from "./command.ts";
import type { SyncPlan } from "./diff-plan.ts";

/** The counts of a plan; `changes` is what makes the exit code 1. */
export function planCounts(plan: SyncPlan): Record<string, number> & { changes: number } {
  const count = (a: PlannedObject["action"]): number => plan.objects.filter((o) => o.action === a).length;
  const prune = plan.prune.outcome?.pruned.length ?? 0;
  const counts = {
    create: count("create"),
    change: count("change"),
    prune,
    unchanged: count("unchanged"),
    skip: count("skip"),
    conflict: count("conflict"),
    // A prune the safeguard refuses fails the sync as a whole.
    failed: count("failed") + (plan.prune.outcome?.errors.length ?? 0) + (plan.prune.refused ? 1 : 0),
  };
  return { ...counts, changes: counts.create + counts.change + prune + counts.conflict + counts.failed };
}

function objectLines(plan: SyncPlan): string[] {
  const out: string[] = [];
  for (const o of plan.objects) {
    if (o.action === "unchanged") continue;
    const why = o.message ? `: ${o.message}` : "";
    out.push(`${o.action} ${describeIdentity(o.identity)} (${o.source})${why}`);
    if (o.diff) out.push(o.diff.trimEnd());
  }
  return out;
}

function pruneLines(plan: SyncPlan): string[] {
  const { candidates, refused, disabled, outcome } = plan.prune;
  if (candidates.length === 0) return [];
  if (disabled) return candidates.map((c) => `left ${describeIdentity(c)}: spec.prune is false`);
  if (refused)
    return [`${refused}`, ...candidates.map((c) => `left ${describeIdentity(c)}: the prune safeguard holds`)];
  return [
    ...(outcome?.pruned ?? []).map((e) => `prune ${describeIdentity(e)}`),
    ...(outcome?.abandoned ?? []).map((a) => `left ${describeIdentity(a.entry)}: ${a.reason}`),
    ...(outcome?.errors ?? []).map((e) => `failed ${e.message}`),
  ];
}

/** Prints the plan. */
export function printPlan(
  plan: SyncPlan,
  about: { sync: string; source: string; json: boolean; secretValues: readonly string[]; images: readonly ImageLine[] },
  io: CliIO,
): void {
  const counts = planCounts(plan);
  // Values from substituteFrom's Secrets never reach the terminal, whatever object they landed in.
  const masked = (text: string): string => redactSecrets(text, about.secretValues);
  if (about.json) {
    const doc = {
      sync: about.sync,
      source: about.source,
      counts,
      objects: plan.objects,
      prune: plan.prune,
      images: about.images,
    };
    io.stdout.write(`${masked(JSON.stringify(doc, null, 2))}\n`);
    return;
  }
  for (const line of [...objectLines(plan), ...pruneLines(plan)]) io.stdout.write(`${masked(line)}\n`);
  printImageLines(about.images, io);
  const parts = ["create", "change", "prune", "unchanged", "skip", "conflict", "failed"]
    .filter((k) => (counts[k] ?? 0) > 0 || k === "unchanged")
    .map((k) => `${counts[k]} ${k === "unchanged" || k === "failed" ? k : `to ${k}`}`);
  io.stderr.write(`${about.sync} from ${about.source}: ${parts.join(", ")}\n`);
}
