#!/usr/bin/env node
// `airlift <command>`: the dispatcher. Subcommands load lazily so `airlift version` does not pull in the Kubernetes
// client; adding a command is one line in COMMANDS (its module exports `command: Command`).
import { fileURLToPath } from "node:url";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIO, type Command } from "./command.ts";

interface Entry {
  summary: string;
  load: () => Promise<{ command: Command }>;
}

/** Registered subcommands, in help order. */
export const COMMANDS: Record<string, Entry> = {
  import: { summary: "stream an image archive (file or s3://) into a registry", load: () => import("./import.ts") },
  operator: { summary: "run the controllers (in a cluster, or against a kubeconfig)", load: () => import("./operator.ts") },
  pull: { summary: "pull an artifact into an OCI layout (folder or s3://), optionally extracted", load: () => import("./pull.ts") },
  status: { summary: "show OciSyncs like nomos status, and ImageImports / ArtifactPulls", load: () => import("./status.ts") },
  version: { summary: "print the version", load: () => import("./version.ts") },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, e]) => `  ${name.padEnd(width)}  ${e.summary}`);
  return [
    "airlift moves artifacts across an air gap: bucket archives into registries, registry artifacts into buckets,",
    "and OCI images of YAML into clusters.",
    "",
    "Usage: airlift <command> [flags]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `airlift <command> --help` for a command's flags.",
    "Exit codes: 0 success, 1 failure, 2 usage error.",
    "",
  ].join("\n");
}

// node:util parseArgs reports unknown or malformed flags as TypeErrors with an ERR_PARSE_ARGS_* code.
function isUsageError(err: unknown): err is Error {
  return err instanceof UsageError || (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS"));
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? io.stderr : io.stdout).write(help());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === "--version") return main(["version"], io);
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.stderr.write(`airlift: unknown command "${name}"\n\n${help()}`);
    return EXIT_USAGE;
  }
  const { command } = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.usage);
    return EXIT_OK;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (isUsageError(err)) {
      io.stderr.write(`airlift ${name}: ${err.message}\n\n${command.usage}`);
      return EXIT_USAGE;
    }
    io.stderr.write(`airlift ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
  // Long-running commands (operator) resolve only when they are done, so exiting here is safe.
  process.exitCode = code;
}
