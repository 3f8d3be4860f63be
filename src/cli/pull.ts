// `airlift pull`: an artifact (image, a platform of an index, or an ORAS artifact) into an OCI image layout in a
// folder or under an s3:// prefix, optionally extracted beside it under extracted/ — the runbook's
// `gdcloud artifacts pull` + `gdcloud artifacts extract`. The same engine the ArtifactPull reconciler runs.
// Every argument is checked before the first request.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { classifyTransferError } from "../transfer/errors.ts";
import { pullArtifact, type PullDestination, type PullResult } from "../transfer/pull-artifact.ts";
import { CliError, EXIT_OK, UsageError, type CliContext, type CliIO } from "./command.ts";
import { progressMode, progressPrinter } from "./progress-printer.ts";
import { addSiteRegistryFlags, withSiteRegistry, type SiteRegistryFlags } from "./site-registry.ts";
import { checkReference, withRegistry } from "./reference-check.ts";
import {
  TRANSFER_EXIT_CODES_HELP,
  addTransferFlags,
  checkRegistryFlags,
  defaultRegistry,
  exitCodeFor,
  readStdin,
  registryConnection,
  s3ConnectionFrom,
  type TransferFlags,
} from "./transfer-flags.ts";
import { parseS3Location } from "./transfer-input.ts";
import { verifyReference } from "../transfer/verify-source.ts";
import { addVerifyKeyOption, verifiedLine, verifyKeySet } from "./verify-keys.ts";

interface PullFlags extends TransferFlags, SiteRegistryFlags {
  extract?: boolean;
  platform: string;
  verifyKey?: string[];
  tlogKey?: string[];
}

const AFTER = `
Examples:
  airlift pull harbor.example.com/apps/demo:1.1.0 ./demo --extract
  airlift pull harbor.example.com/apps/demo@sha256:... s3://artifacts/apps/demo --platform linux/arm64
  airlift pull harbor.example.com/apps/demo:1.1.0 ./demo --verify-key cosign.pub

${TRANSFER_EXIT_CODES_HELP}`;

/** A folder, or an s3:// prefix reached with the S3 flags and AWS_* environment. */
function destinationOf(target: string, flags: TransferFlags, env: NodeJS.ProcessEnv): PullDestination {
  const s3 = parseS3Location(target, "destination");
  return s3
    ? { kind: "s3", connection: s3ConnectionFrom(flags, env), bucket: s3.bucket, prefix: s3.key }
    : { kind: "directory", path: target };
}

function checkPlatform(platform: string): void {
  if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(platform))
    throw new UsageError(`--platform takes OS/ARCH[/VARIANT] such as linux/amd64 or linux/arm64/v8, got "${platform}"`);
}

function printResult(result: PullResult, reference: string, json: boolean | undefined, io: CliIO): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  io.stdout.write(
    `pulled ${reference} (${result.manifestDigest}${result.platform ? `, ${result.platform}` : ""}) into ${result.location}\n`,
  );
  for (const f of result.files) io.stdout.write(`  ${f.path} ${f.size}\n`);
}

async function run(given: string, target: string, pullFlags: PullFlags, io: CliIO): Promise<number> {
  const flags = await withSiteRegistry(pullFlags, io.env);
  const registry = defaultRegistry(flags, io.env);
  const parsed = checkReference(given, "reference", registry);
  const reference = withRegistry(given, "reference", registry);
  checkPlatform(flags.platform);
  const dest = destinationOf(target, flags, io.env);
  checkRegistryFlags(flags);
  const keys = verifyKeySet(flags, flags.verifyKey, "--verify-key");
  const progress = progressPrinter(progressMode(flags.progress, io.stderr), io.stderr);
  const workDir = await mkdtemp(join(tmpdir(), "airlift-pull-"));
  try {
    const connection = await registryConnection(flags, io.env, parsed.registry, {
      stdin: readStdin,
      warn: (line) => io.stderr.write(`airlift pull: warning: ${line}\n`),
    });
    // --verify-key: the digest is verified first, then pulled by that digest (a tag moving meanwhile cannot slip in).
    const verified = keys && (await verifyReference(reference, connection, keys));
    if (verified && !flags.json) io.stdout.write(`${verifiedLine(verified)}\n`);
    const target = verified ? `${parsed.registry}/${parsed.repository}@${verified.digest}` : reference;
    const result = await pullArtifact(target, dest, {
      connection,
      platform: flags.platform,
      extract: Boolean(flags.extract),
      workDir,
      onProgress: progress.onProgress,
      progressIntervalMs: progress.intervalMs,
    });
    progress.done();
    printResult(result, reference, flags.json, io);
    return EXIT_OK;
  } catch (err) {
    progress.done();
    if (err instanceof UsageError || err instanceof CliError) throw err;
    const c = classifyTransferError(err);
    throw new CliError(`${c.reason}: ${c.message}`, exitCodeFor(c.reason));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The `pull` command. */
export function command(ctx: CliContext): Command {
  const cmd = new Command("pull")
    .description(
      "Write an artifact as an OCI image layout; with --extract also its files under extracted/ (safe extraction: no path escapes, size and entry caps; a refused artifact leaves the destination as it was).",
    )
    .argument("<reference>", "registry/repository:tag or registry/repository@sha256:...")
    .argument("<destination>", "a folder, or s3://bucket/prefix")
    .option("--extract", "extract the layers (ORAS files by their title) under extracted/")
    .option("--platform <os/arch>", "the manifest to take from an index", "linux/amd64");
  return addSiteRegistryFlags(addTransferFlags(addVerifyKeyOption(cmd, "the artifact")))
    .addHelpText("after", AFTER)
    .action(async (reference: string, target: string, flags: PullFlags) => {
      ctx.exitCode = await run(reference, target, flags, ctx.io);
    });
}
