// `airlift resume KIND NAME`: clears spec.suspend and requests a reconcile at once (suspend.ts holds the patch).
import type { Command } from "commander";
import type { CliContext } from "./command.ts";
import type { TargetFlags } from "./object-target.ts";
import { targetCommand } from "./object-target.ts";
import { setSuspend } from "./suspend.ts";

/** The `resume` command. */
export function command(ctx: CliContext): Command {
  return targetCommand(
    "resume",
    "Resume a suspended OciSync, ImageImport or ArtifactPull (spec.suspend: false) and reconcile it now.",
  ).action(async (kind: string, name: string, flags: TargetFlags) => {
    ctx.exitCode = await setSuspend({ kind, name, suspend: false }, flags, ctx.io);
  });
}
