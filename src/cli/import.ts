// `airlift import`: an image archive (a local file or s3://bucket/key) streamed into a registry under the given
// references, or under its own RepoTags with --repository-prefix. The same engine the ImageImport reconciler runs.
// Every argument is checked before the first byte goes over the network.
import { Command, Option } from "commander";
import { FileSource } from "../archive/source.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import type { DestinationSpec, ImageSelection } from "../transfer/destinations.ts";
import { importArchive, type ImportResult } from "../transfer/import-archive.ts";
import type { LayerCompressionMode } from "../transfer/layer-plan.ts";
import { openS3Archive, type OpenedS3Archive, type S3Connection } from "../transfer/s3-connection.ts";
import { CliError, EXIT_OK, UsageError, positiveIntArg, type CliContext, type CliIO } from "./command.ts";
import { progressMode, progressPrinter } from "./progress-printer.ts";
import { addSiteRegistryFlags, withSiteRegistry, type SiteRegistryFlags } from "./site-registry.ts";
import { checkReference, hostProblem } from "./reference-check.ts";
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
import { checkLocalArchive, parseS3Location, type S3Location } from "./transfer-input.ts";
import { verifyBeforeTag, type SourceVerification } from "../transfer/verify-source.ts";
import { importedImageLines } from "./import-lines.ts";
import { addVerifyKeyOption, verifiedLine, verifyKeySet } from "./verify-keys.ts";
import { importDropBox, isDropBox, type DropBoxFlags } from "./import-drop-box.ts";

interface ImportFlags extends TransferFlags, SiteRegistryFlags, DropBoxFlags {
  repositoryPrefix?: string;
  image?: string[];
  platform?: string[];
  layerCompression: LayerCompressionMode;
  concurrency: number;
  chunkSize?: number;
  verifyKey?: string[];
  tlogKey?: string[];
}

const AFTER = `
Examples:
  airlift import app.tar harbor.example.com/library/app:1.0 harbor.example.com/library/app:latest
  airlift import s3://airgap/g/images.tar harbor.example.com --repository-prefix mirror
  airlift import images.tar harbor.example.com --image app:1=apps/app:1 --image '#1=apps/db:19'
  airlift import multi-arch.tar harbor.example.com/library/app:1 --platform linux/amd64 --platform linux/arm64
  airlift import signed.tar harbor.example.com/library/app:1 --verify-key cosign.pub
  airlift import s3://airgap/g/ harbor.example.com --repository-prefix mirror --match '*.tar' --checksums required
  (a drop-box: --verify-key there checks SHA256SUMS.sig, whose list binds every archive)
  AIRLIFT_DEFAULT_REGISTRY=harbor.example.com airlift import app.tar library/app:1.0
  airlift import app.tar library/app:1.0 --site-registry --context site-a   # the registry the operator publishes

${TRANSFER_EXIT_CODES_HELP}`;

function destinationFrom(targets: string[], prefix: string | undefined, registry: string | undefined): DestinationSpec {
  if (targets.length === 0) throw new UsageError("name at least one destination: registry/repository:tag");
  if (prefix !== undefined) {
    const host = targets[0] ?? "";
    if (targets.length !== 1 || host.includes("/"))
      throw new UsageError("with --repository-prefix, give the registry host only (e.g. harbor.example.com)");
    const problem = hostProblem(host);
    if (problem) throw new UsageError(`invalid registry "${host}": ${problem}`);
    return { registry: host, repositoryPrefix: prefix };
  }
  const refs = targets.map((t) => checkReference(t, "destination", registry));
  const first = refs[0];
  if (!first || refs.some((r) => r.registry !== first.registry || r.repository !== first.repository)) {
    throw new UsageError(
      "all destinations must name the same registry/repository (use --image for several repositories)",
    );
  }
  if (refs.some((r) => r.digest !== undefined))
    throw new UsageError("a destination names a tag, not a digest: the digest is the archive's");
  return { registry: first.registry, repository: first.repository, tags: refs.map((r) => r.tag ?? "latest") };
}

function selections(values: string[], registry: string | undefined): ImageSelection[] {
  return values.map((v) => {
    const eq = v.lastIndexOf("=");
    if (eq <= 0)
      throw new UsageError(`--image takes SRC=REPO:TAG (SRC a RepoTag of the archive or #index), got "${v}"`);
    const ref = checkReference(
      `${registry ?? "localhost"}/${v.slice(eq + 1)}`,
      `--image target "${v.slice(eq + 1)}" as`,
    );
    return { source: v.slice(0, eq), repository: ref.repository, tags: [ref.tag ?? "latest"] };
  });
}

/** The destinations as given, or the default registry when --repository-prefix / --image name none. */
function targetsOf(targets: string[], flags: ImportFlags, registry: string | undefined): string[] {
  const hostOnly = flags.repositoryPrefix !== undefined || (flags.image ?? []).length > 0;
  return targets.length === 0 && hostOnly && registry !== undefined ? [registry] : targets;
}

/** What to import from and to, all checked; nothing has touched the network yet. */
function plan(
  src: string,
  given: string[],
  flags: ImportFlags,
  env: NodeJS.ProcessEnv,
): { s3?: { location: S3Location; connection: S3Connection }; destination: DestinationSpec; images: ImageSelection[] } {
  const location = parseS3Location(src, "archive");
  const s3 = location ? { location, connection: s3ConnectionFrom(flags, env) } : undefined;
  const registry = defaultRegistry(flags, env);
  const targets = targetsOf(given, flags, registry);
  const images = selections(flags.image ?? [], targets[0]);
  if (images.length > 0 && (targets.length !== 1 || targets[0]?.includes("/")))
    throw new UsageError("with --image, give the registry host only (e.g. harbor.example.com)");
  const destination =
    images.length > 0 ? { registry: targets[0] ?? "" } : destinationFrom(targets, flags.repositoryPrefix, registry);
  checkRegistryFlags(flags);
  if (!location) checkLocalArchive(src);
  return { s3, destination, images };
}

/** The archive: a local file, or an s3:// object (kept in `opened` so that its client is closed at the end). */
async function openArchive(
  src: string,
  s3: { location: S3Location; connection: S3Connection } | undefined,
  opened: { archive?: OpenedS3Archive },
): Promise<RandomAccessSource> {
  if (!s3) return FileSource.open(src);
  opened.archive = await openS3Archive({ connection: s3.connection, bucket: s3.location.bucket, key: s3.location.key });
  return opened.archive.source;
}

function printResult(result: ImportResult, json: boolean | undefined, io: CliIO): void {
  if (json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    io.stderr.write(
      `uploaded ${result.blobsUploaded} blobs (${result.bytesUploaded} bytes), skipped ${result.blobsSkipped}, mounted ${result.blobsMounted} in ${(result.durationMs / 1000).toFixed(1)}s\n`,
    );
}

async function run(src: string, targets: string[], given: ImportFlags, io: CliIO): Promise<number> {
  const flags = await withSiteRegistry(given, io.env);
  if (isDropBox(src, flags)) return importDropBox(src, targets, flags, io);
  const { s3, destination, images } = plan(src, targets, flags, io.env);
  const keys = verifyKeySet(flags, flags.verifyKey, "--verify-key");
  const progress = progressPrinter(progressMode(flags.progress, io.stderr), io.stderr);
  const opened: { archive?: OpenedS3Archive } = {};
  try {
    const source = await openArchive(src, s3, opened);
    const connection = await registryConnection(flags, io.env, destination.registry, {
      stdin: readStdin,
      warn: (line) => io.stderr.write(`airlift import: warning: ${line}\n`),
    });
    const onVerified = (v: SourceVerification): void => {
      if (!flags.json) progress.above(() => io.stdout.write(`${verifiedLine(v)}\n`));
    };
    const result = await importArchive(source, {
      destination,
      images,
      ...(flags.platform ? { platforms: flags.platform } : {}),
      // --verify-key: nothing is tagged unless a signature by one of the keys names it.
      ...(keys ? { beforeTag: verifyBeforeTag({ registry: destination.registry, connection, keys, onVerified }) } : {}),
      connection,
      layerCompression: flags.layerCompression,
      concurrency: flags.concurrency,
      chunkSize: flags.chunkSize === undefined ? undefined : flags.chunkSize * 1024 * 1024,
      onProgress: progress.onProgress,
      progressIntervalMs: progress.intervalMs,
      onImage: (image) => {
        if (!flags.json) progress.above(() => io.stdout.write(importedImageLines(image)));
      },
    });
    progress.done();
    printResult(result, flags.json, io);
    return EXIT_OK;
  } catch (err) {
    progress.done();
    if (err instanceof UsageError || err instanceof CliError) throw err;
    const c = classifyTransferError(err);
    throw new CliError(`${c.reason}: ${c.message}`, exitCodeFor(c.reason));
  } finally {
    opened.archive?.close();
  }
}

/** The `import` command. */
export function command(ctx: CliContext): Command {
  const cmd = new Command("import")
    .description("Stream a docker save / OCI archive (plain or gzip) into a registry without unpacking it anywhere.")
    .argument("<archive>", "a file, s3://bucket/key, or a drop-box folder s3://bucket/prefix/")
    .argument(
      "[destinations...]",
      "registry/repository:tag (one or more tags of one repository), or the registry host with --repository-prefix / --image",
    )
    .option("--repository-prefix <project>", "keep the archive's RepoTags, under PROJECT on the registry")
    .option(
      "--image <src=repo:tag>",
      "import only SRC (a RepoTag or #index) as REPO:TAG; repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      "--platform <os/arch[/variant]>",
      "of a multi-arch index, keep only this platform (a reduced index with a new digest is pushed); repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addOption(
      new Option("--layer-compression <mode>", "how layers are stored")
        .choices(["preserve", "gzip", "zstd", "none"])
        .default("preserve"),
    )
    .addOption(new Option("--concurrency <n>", "layers uploaded at once").argParser(positiveIntArg).default(3))
    .option(
      "--repository-template <template>",
      "drop-box: name each archive's repository after its key, e.g. mirror/{dir}/{name} (its tags stay its own)",
    )
    .option(
      "--match <glob>",
      "drop-box: import the archives under s3://bucket/prefix/ whose key (relative to the prefix) matches; repeatable (default **/*.tar, **/*.tar.gz, **/*.tgz)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addOption(
      new Option("--checksums <policy>", "drop-box: check each archive against the prefix's SHA256SUMS first")
        .choices(["auto", "required", "off"])
        .default("auto"),
    )
    .addOption(new Option("--parallel <n>", "drop-box: archives imported at once").argParser(positiveIntArg).default(2))
    .addOption(
      new Option(
        "--chunk-size <mib>",
        "bytes per upload request in MiB (default: 64 streamed from the archive, 4 when a layer is compressed on the fly or the archive is gzip-wrapped)",
      ).argParser(positiveIntArg),
    );
  return addSiteRegistryFlags(addTransferFlags(addVerifyKeyOption(cmd, "each image (or index)")))
    .addHelpText("after", AFTER)
    .action(async (src: string, targets: string[], flags: ImportFlags) => {
      ctx.exitCode = await run(src, targets, flags, ctx.io);
    });
}
