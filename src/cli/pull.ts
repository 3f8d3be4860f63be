// `airlift pull`: an artifact (image, a platform of an index, or an ORAS artifact) into an OCI image layout in a
// folder or under an s3:// prefix, optionally extracted beside it under extracted/ — the runbook's
// `gdcloud artifacts pull` + `gdcloud artifacts extract`. The same engine the ArtifactPull reconciler runs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { classifyTransferError } from "../transfer/errors.ts";
import { pullArtifact, type PullDestination, type PullResult } from "../transfer/pull-artifact.ts";
import { EXIT_OK, UsageError, type CliIO, type Command } from "./command.ts";
import { TRANSFER_FLAGS_USAGE, TRANSFER_OPTIONS, exitCodeFor, parseS3Url, readStdin, registryConnection, s3ConnectionFrom, type TransferFlags } from "./transfer-flags.ts";

const USAGE = `Usage: airlift pull <registry/repository:tag | registry/repository@sha256:...> <dir | s3://bucket/prefix> [flags]

Writes the artifact as an OCI image layout; with --extract also its files under extracted/ (safe extraction: no path
escapes, size and entry caps; a refused artifact leaves the destination as it was).

  --extract                  extract the layers (ORAS files by their title) under extracted/
  --platform OS/ARCH         the manifest to take from an index (default linux/amd64)
${TRANSFER_FLAGS_USAGE}`;

const OPTIONS = { ...TRANSFER_OPTIONS, extract: { type: "boolean" }, platform: { type: "string", default: "linux/amd64" } } as const;

/** A folder, or an s3:// prefix reached with the S3 flags and AWS_* environment. */
function destinationOf(target: string, flags: TransferFlags, env: NodeJS.ProcessEnv): PullDestination {
  const s3 = parseS3Url(target);
  return s3 ? { kind: "s3", connection: s3ConnectionFrom(flags, env), bucket: s3.bucket, prefix: s3.key } : { kind: "directory", path: target };
}

function printResult(result: PullResult, reference: string, json: boolean | undefined, io: CliIO): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  io.stdout.write(`pulled ${reference} (${result.manifestDigest}${result.platform ? `, ${result.platform}` : ""}) into ${result.location}\n`);
  for (const f of result.files) io.stdout.write(`  ${f.path} ${f.size}\n`);
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [reference, target] = positionals;
  if (!reference || !target || positionals.length > 2) throw new UsageError("give a reference and a destination");
  const dest = destinationOf(target, v, io.env);
  const workDir = await mkdtemp(join(tmpdir(), "airlift-pull-"));
  try {
    const connection = await registryConnection(v, io.env, readStdin);
    printResult(await pullArtifact(reference, dest, { connection, platform: v.platform, extract: Boolean(v.extract), workDir }), reference, v.json, io);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const c = classifyTransferError(err);
    io.stderr.write(`airlift pull: ${c.reason}: ${c.message}\n`);
    return exitCodeFor(c.reason);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export const command: Command = { name: "pull", summary: "pull an artifact into an OCI layout (folder or s3://), optionally extracted", usage: USAGE, run };
