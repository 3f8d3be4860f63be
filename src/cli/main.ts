#!/usr/bin/env node
// `airlift <command>`: the dispatcher, on commander (its "did you mean" covers unknown commands and flags). Only the
// named subcommand's module is loaded, so `airlift version` does not pull in the Kubernetes client: the others are
// registered as stubs that carry their one-line summary for the help and for suggestions. Every error ends here
// and is printed as one line (usage errors add "see `airlift <cmd> --help`") with its documented exit code.
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import {
  CliError,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  type CliContext,
  type CliIO,
  type CommandFactory,
} from "./command.ts";
import { commanderMessage, errorLine, usageLines } from "./error-lines.ts";

interface Entry {
  summary: string;
  load: () => Promise<{ command: CommandFactory }>;
}

/** Registered subcommands, in help order. */
export const COMMANDS: Record<string, Entry> = {
  convert: {
    summary: "convert Config Sync RootSync / RepoSync objects (sourceType: oci) into OciSyncs",
    load: () => import("./convert.ts"),
  },
  diff: {
    summary: "show what the next sync of an OciSync would create, change and prune (server-side dry-run)",
    load: () => import("./diff.ts"),
  },
  import: { summary: "stream an image archive (file or s3://) into a registry", load: () => import("./import.ts") },
  operator: {
    summary: "run the controllers (in a cluster, or against a kubeconfig)",
    load: () => import("./operator.ts"),
  },
  pull: {
    summary: "pull an artifact into an OCI layout (folder or s3://), optionally extracted",
    load: () => import("./pull.ts"),
  },
  reconcile: {
    summary: "reconcile an OciSync, ImageImport or ArtifactPull now (--wait for the result)",
    load: () => import("./reconcile.ts"),
  },
  resume: { summary: "resume a suspended OciSync, ImageImport or ArtifactPull", load: () => import("./resume.ts") },
  status: {
    summary: "show OciSyncs like nomos status, and ImageImports / ArtifactPulls",
    load: () => import("./status.ts"),
  },
  suspend: { summary: "suspend an OciSync, ImageImport or ArtifactPull", load: () => import("./suspend.ts") },
  verify: {
    summary: "verify an image's cosign signatures offline with public keys",
    load: () => import("./verify.ts"),
  },
  version: { summary: "print the version", load: () => import("./version.ts") },
  vet: {
    summary: "render and check a bundle offline as the operator would (scope, duplicates, schemas)",
    load: () => import("./vet.ts"),
  },
};

const ABOUT =
  "airlift moves artifacts across an air gap: bucket archives into registries, registry artifacts into buckets, and OCI images of YAML into clusters.";

const AFTER = `
Run \`airlift <command> --help\` for a command's flags.
Exit codes: 0 success, 1 failure, 2 usage error; import and pull add 3-7 (see their help).`;

/** Streams, one-line errors and no process.exit, for the program and every subcommand. */
function configure(cmd: Command, path: string, io: CliIO): Command {
  return cmd
    .exitOverride()
    .showSuggestionAfterError(true)
    .helpOption("-h, --help", "show this help")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(usageLines(path, commanderMessage(s))),
    });
}

/** The subcommand named in argv (`airlift help pull` names pull), if any. */
function commandName(argv: readonly string[]): string | undefined {
  const first = argv.find((a) => !a.startsWith("-"));
  const name = first === "help" ? argv[argv.indexOf(first) + 1] : first;
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
}

async function program(ctx: CliContext, name: string | undefined): Promise<Command> {
  const root = configure(new Command("airlift"), "airlift", ctx.io)
    .description(ABOUT)
    .usage("<command> [flags]")
    .addHelpText("after", AFTER);
  for (const [n, entry] of Object.entries(COMMANDS)) {
    if (n === name) root.addCommand(configure((await entry.load()).command(ctx), `airlift ${n}`, ctx.io));
    else root.command(n).description(entry.summary);
  }
  return root;
}

/** Prints `err` as one line (two for usage errors) and returns its exit code. */
function report(err: unknown, path: string, io: CliIO): number {
  if (err instanceof CommanderError) {
    // commander already printed the message or the help; help asked for exits 0, help for a missing command 2.
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
    return err.code === "commander.help" && err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof UsageError) {
    io.stderr.write(usageLines(path, err.message));
    return EXIT_USAGE;
  }
  io.stderr.write(`${path}: ${errorLine(err)}\n`);
  return err instanceof CliError ? err.exitCode : EXIT_FAILURE;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const args = argv[0] === "--version" ? ["version", ...argv.slice(1)] : argv;
  const name = commandName(args);
  const ctx: CliContext = { io, exitCode: EXIT_OK };
  try {
    await (await program(ctx, name)).parseAsync(args, { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    return report(err, name ? `airlift ${name}` : "airlift", io);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
  // Long-running commands (operator) resolve only when they are done, so exiting here is safe.
  process.exitCode = code;
}
