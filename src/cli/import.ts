// `airlift import`: an image archive (a local file or s3://bucket/key) streamed into a registry under the given
// references, or under its own RepoTags with --repository-prefix. The same engine the ImageImport reconciler runs.
import { parseArgs } from "node:util";
import { FileSource } from "../archive/source.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import { parseReference } from "../oci/reference.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import type { DestinationSpec, ImageSelection } from "../transfer/destinations.ts";
import { importArchive, type ImportResult } from "../transfer/import-archive.ts";
import type { LayerCompressionMode } from "../transfer/layer-plan.ts";
import { openS3Archive, type OpenedS3Archive, type S3Connection } from "../transfer/s3-connection.ts";
import { EXIT_OK, UsageError, parsePositiveInt, type CliIO, type Command } from "./command.ts";
import { progressMode, progressPrinter } from "./progress-printer.ts";
import { TRANSFER_FLAGS_USAGE, TRANSFER_OPTIONS, exitCodeFor, parseS3Url, readStdin, registryConnection, s3ConnectionFrom } from "./transfer-flags.ts";

const USAGE = `Usage: airlift import <file | s3://bucket/key> <registry/repository:tag>... [flags]
       airlift import <file | s3://bucket/key> <registry> --repository-prefix PROJECT [flags]

Streams a docker save / OCI archive (plain or gzip) into a registry without unpacking it anywhere.

  --repository-prefix P      keep the archive's RepoTags, under P on the registry
  --image SRC=REPO:TAG       import only SRC (a RepoTag or #index) as REPO:TAG; repeatable
  --layer-compression M      preserve (default) | gzip | none
  --concurrency N            layers uploaded at once (default 3)
  --chunk-size MIB           bytes per upload request in MiB (default 64 streamed from the archive, 4 when
                             a layer is compressed on the fly or the archive is gzip-wrapped)
${TRANSFER_FLAGS_USAGE}`;

const OPTIONS = {
  ...TRANSFER_OPTIONS,
  "repository-prefix": { type: "string" },
  image: { type: "string", multiple: true },
  "layer-compression": { type: "string", default: "preserve" },
  concurrency: { type: "string", default: "3" },
  "chunk-size": { type: "string" },
} as const;

function destinationFrom(targets: string[], prefix: string | undefined): { spec: DestinationSpec; images: ImageSelection[] } {
  if (targets.length === 0) throw new UsageError("name at least one destination");
  if (prefix !== undefined) {
    if (targets.length !== 1 || targets[0]?.includes("/")) throw new UsageError("with --repository-prefix, give the registry host only");
    return { spec: { registry: targets[0] ?? "", repositoryPrefix: prefix }, images: [] };
  }
  const refs = targets.map((t) => parseReference(t));
  const first = refs[0];
  if (!first || refs.some((r) => r.registry !== first.registry || r.repository !== first.repository)) {
    throw new UsageError("all destinations must name the same registry/repository (use --image for several repositories)");
  }
  return { spec: { registry: first.registry, repository: first.repository, tags: refs.map((r) => r.tag ?? "latest") }, images: [] };
}

function selections(values: string[] | undefined, registry: string | undefined): ImageSelection[] {
  return (values ?? []).map((v) => {
    const eq = v.lastIndexOf("=");
    if (eq <= 0) throw new UsageError(`--image takes SRC=REPO:TAG, got "${v}"`);
    const ref = parseReference(`${registry ?? "localhost"}/${v.slice(eq + 1)}`);
    return { source: v.slice(0, eq), repository: ref.repository, tags: [ref.tag ?? "latest"] };
  });
}

function layerCompression(value: string | undefined): LayerCompressionMode {
  if (value !== "preserve" && value !== "gzip" && value !== "none") throw new UsageError(`--layer-compression must be preserve, gzip or none`);
  return value;
}

/** The archive: a local file, or an s3:// object (kept in `opened` so that its client is closed at the end). */
async function openArchive(src: string, s3Connection: S3Connection | undefined, opened: { archive?: OpenedS3Archive }): Promise<RandomAccessSource> {
  const s3 = parseS3Url(src);
  if (!s3 || !s3Connection) return FileSource.open(src);
  opened.archive = await openS3Archive({ connection: s3Connection, bucket: s3.bucket, key: s3.key });
  return opened.archive.source;
}

function printResult(result: ImportResult, json: boolean | undefined, io: CliIO): void {
  if (json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else io.stderr.write(`\nuploaded ${result.blobsUploaded} blobs (${result.bytesUploaded} bytes), skipped ${result.blobsSkipped}, mounted ${result.blobsMounted} in ${(result.durationMs / 1000).toFixed(1)}s\n`);
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [src, ...targets] = positionals;
  if (!src) throw new UsageError("name the archive: a file or s3://bucket/key");
  const mode = layerCompression(v["layer-compression"]);
  const images = selections(v.image, targets[0]);
  const destination = images.length > 0 ? { spec: { registry: targets[0] ?? "" }, images } : destinationFrom(targets, v["repository-prefix"]);
  const s3Connection = parseS3Url(src) ? s3ConnectionFrom(v, io.env) : undefined;
  const opened: { archive?: OpenedS3Archive } = {};
  try {
    const source = await openArchive(src, s3Connection, opened);
    const connection = await registryConnection(v, io.env, readStdin);
    const result = await importArchive(source, {
      destination: destination.spec,
      images: destination.images,
      connection,
      layerCompression: mode,
      concurrency: parsePositiveInt("concurrency", v.concurrency),
      chunkSize: v["chunk-size"] === undefined ? undefined : parsePositiveInt("chunk-size", v["chunk-size"]) * 1024 * 1024,
      onProgress: progressPrinter(progressMode(v.progress, io.stderr), io.stderr),
      onImage: (image) => {
        if (!v.json) io.stdout.write(`${image.unchanged ? "unchanged" : "pushed"} ${image.source} -> ${image.references.join(", ")} ${image.digest}\n`);
      },
    });
    printResult(result, v.json, io);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const c = classifyTransferError(err);
    io.stderr.write(`airlift import: ${c.reason}: ${c.message}\n`);
    return exitCodeFor(c.reason);
  } finally {
    opened.archive?.close();
  }
}

export const command: Command = { name: "import", summary: "stream an image archive (file or s3://) into a registry", usage: USAGE, run };
