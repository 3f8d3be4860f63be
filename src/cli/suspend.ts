// `airlift suspend KIND NAME` and (resume.ts) `airlift resume KIND NAME`: `flux suspend` / `flux resume` for the
// three kinds, by a merge patch of spec.suspend. Resume also sets the reconcile-now annotation, so the object is
// looked at at once rather than at its next period, as flux resume does.
import type { Command } from "commander";
import { ANNOTATION_RECONCILE_REQUESTED_AT } from "../kube/reconcile-request.ts";
import { EXIT_OK, type CliContext, type CliIO } from "./command.ts";
import { Target, targetCommand, type TargetFlags } from "./object-target.ts";

/** Sets spec.suspend to `suspend` on the named object and says so. */
export async function setSuspend(
  args: { kind: string; name: string; suspend: boolean },
  flags: TargetFlags,
  io: CliIO,
): Promise<number> {
  const target = new Target(args.kind, args.name, flags, io.env);
  try {
    const metadata = args.suspend
      ? undefined
      : { annotations: { [ANNOTATION_RECONCILE_REQUESTED_AT]: new Date().toISOString() } };
    await target.patch({ spec: { suspend: args.suspend }, ...(metadata ? { metadata } : {}) });
    io.stdout.write(`${args.suspend ? "suspended" : "resumed"} ${target.label}\n`);
    return EXIT_OK;
  } finally {
    await target.close();
  }
}

/** The `suspend` command. */
export function command(ctx: CliContext): Command {
  return targetCommand(
    "suspend",
    "Suspend an OciSync, ImageImport or ArtifactPull (spec.suspend: true): nothing is polled or applied until resumed.",
  ).action(async (kind: string, name: string, flags: TargetFlags) => {
    ctx.exitCode = await setSuspend({ kind, name, suspend: true }, flags, ctx.io);
  });
}
