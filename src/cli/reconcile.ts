// `airlift reconcile KIND NAME [--wait]`: `flux reconcile` for the three kinds. Sets the reconcile-now annotation
// (src/kube/reconcile-request.ts) to the current time; with --wait, reads the object until its
// status.lastHandledReconcileAt shows that value (the operator writes it after the reconcile's summary) and Ready is
// settled (not Unknown: health pending), then
// prints the Ready condition and the revision (OciSync: the source digest; ImageImport: the archive's ETag;
// ArtifactPull: the artifact's revision). A suspended object is refused, as flux does: resume it first.
import { setTimeout as sleep } from "node:timers/promises";
import { Option, type Command } from "commander";
import { ANNOTATION_RECONCILE_REQUESTED_AT } from "../kube/reconcile-request.ts";
import type { KubeObject } from "../kube/resource.ts";
import { CliError, durationArg, EXIT_FAILURE, EXIT_OK, type CliContext, type CliIO } from "./command.ts";
import { isSuspended, readyCondition, Target, targetCommand, type TargetFlags } from "./object-target.ts";

interface ReconcileFlags extends TargetFlags {
  wait?: boolean;
  waitTimeout: number;
}

const POLL_MS = 200;

const AFTER = `
With --wait, exits 0 when the reconcile the request caused ends Ready=True, 1 when it ends otherwise (the
condition's reason and message are printed) or when --wait-timeout passes first.`;

/** The revision a kind's status reports, for the line --wait prints. */
export function revisionOf(obj: KubeObject): string | undefined {
  const s = (obj.status ?? {}) as {
    source?: { digest?: string };
    sync?: { digest?: string };
    sourceRevision?: string;
    artifact?: { revision?: string };
  };
  return s.source?.digest ?? s.sourceRevision ?? s.artifact?.revision;
}

function handled(obj: KubeObject): unknown {
  return (obj.status as { lastHandledReconcileAt?: unknown } | undefined)?.lastHandledReconcileAt;
}

/** Reads the object until it acknowledges `requestedAt` with a settled Ready (not Unknown), or the deadline passes. */
async function waitForAck(target: Target, requestedAt: string, timeoutMs: number): Promise<KubeObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const obj = await target.get();
    if (handled(obj) === requestedAt && readyCondition(obj)?.status !== "Unknown") return obj;
    if (Date.now() >= deadline)
      throw new CliError(
        `${target.label} did not acknowledge the request within ${timeoutMs / 1000}s: is the operator running? (see \`airlift status\` and its logs)`,
      );
    await sleep(POLL_MS);
  }
}

function report(target: Target, obj: KubeObject, io: CliIO): number {
  const ready = readyCondition(obj);
  const revision = revisionOf(obj);
  const state = ready ? `Ready=${ready.status} ${ready.reason}: ${ready.message}` : "no Ready condition yet";
  io.stdout.write(`reconciled ${target.label}${revision ? ` at ${revision}` : ""}\n${state}\n`);
  return ready?.status === "True" ? EXIT_OK : EXIT_FAILURE;
}

async function run(kind: string, name: string, flags: ReconcileFlags, io: CliIO): Promise<number> {
  const target = new Target(kind, name, flags, io.env);
  try {
    if (isSuspended(await target.get()))
      throw new CliError(`${target.label} is suspended: run \`airlift resume ${target.kind.singular} ${name}\` first`);
    const requestedAt = new Date().toISOString();
    await target.patch({ metadata: { annotations: { [ANNOTATION_RECONCILE_REQUESTED_AT]: requestedAt } } });
    io.stdout.write(`requested a reconcile of ${target.label} at ${requestedAt}\n`);
    if (!flags.wait) return EXIT_OK;
    return report(target, await waitForAck(target, requestedAt, flags.waitTimeout), io);
  } finally {
    await target.close();
  }
}

/** The `reconcile` command. */
export function command(ctx: CliContext): Command {
  return targetCommand(
    "reconcile",
    "Reconcile an OciSync, ImageImport or ArtifactPull now (an OciSync polls its registry at once, an ImageImport re-checks its archive).",
  )
    .option("--wait", "wait until the operator acknowledges the request, then print the result")
    .addOption(
      new Option("--wait-timeout <duration>", "how long --wait waits").argParser(durationArg).default(300_000, "5m"),
    )
    .addHelpText("after", AFTER)
    .action(async (kind: string, name: string, flags: ReconcileFlags) => {
      ctx.exitCode = await run(kind, name, flags, ctx.io);
    });
}
