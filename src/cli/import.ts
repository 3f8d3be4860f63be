// `airlift import`: an image archive (a local file or s3://bucket/key) streamed into a registry under the given
// references, or under its own RepoTags with --repository-prefix. The same engine the ImageImport reconciler runs.
import { parseArgs } from "node:util";
import { FileSource } from "../archive/source.ts";
import type { RandomAccessSource } from "../archive/source.ts";
import { parseReference } from "../oci/reference.ts";
import { S3Source } from "../storage/s3-source.ts";
import { classifyTransferError } from "../transfer/errors.ts";
import type { DestinationSpec, ImageSelection } from "../transfer/destinations.ts";
import { importArchive } from "../transfer/import-archive.ts";
import { EXIT_OK, UsageError, parsePositiveInt, type CliIO, type Command } from "./command.ts";
import { progressMode, progressPrinter } from "./progress-printer.ts";
import { TRANSFER_FLAGS_USAGE, TRANSFER_OPTIONS, exitCodeFor, parseS3Url, readStdin, registryConnection, s3ClientFrom } from "./transfer-flags.ts";

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

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [src, ...targets] = positionals;
  if (!src) throw new UsageError("name the archive: a file or s3://bucket/key");
  const mode = v["layer-compression"];
  if (mode !== "preserve" && mode !== "gzip" && mode !== "none") throw new UsageError(`--layer-compression must be preserve, gzip or none`);
  const images = selections(v.image, targets[0]);
  const destination =
    images.length > 0
      ? { spec: { registry: targets[0] ?? "" }, images }
      : destinationFrom(targets, v["repository-prefix"]);
  const s3 = parseS3Url(src);
  const client = s3 ? s3ClientFrom(v, io.env) : undefined;
  try {
    const source: RandomAccessSource = s3 && client ? await S3Source.open({ client, bucket: s3.bucket, key: s3.key }) : await FileSource.open(src);
    const connection = await registryConnection(v, io.env, destination.spec.registry, readStdin);
    const onProgress = progressPrinter(progressMode(v.progress, io.stderr), io.stderr);
    const result = await importArchive(source, {
      destination: destination.spec,
      images: destination.images,
      connection,
      layerCompression: mode,
      concurrency: parsePositiveInt("concurrency", v.concurrency),
      ...(v["chunk-size"] !== undefined ? { chunkSize: parsePositiveInt("chunk-size", v["chunk-size"]) * 1024 * 1024 } : {}),
      ...(onProgress ? { onProgress } : {}),
      onImage: (image) => {
        if (!v.json) io.stdout.write(`${image.unchanged ? "unchanged" : "pushed"} ${image.source} -> ${image.references.join(", ")} ${image.digest}\n`);
      },
    });
    if (v.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else io.stderr.write(`\nuploaded ${result.blobsUploaded} blobs (${result.bytesUploaded} bytes), skipped ${result.blobsSkipped}, mounted ${result.blobsMounted} in ${(result.durationMs / 1000).toFixed(1)}s\n`);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const c = classifyTransferError(err);
    io.stderr.write(`airlift import: ${c.reason}: ${c.message}\n`);
    return exitCodeFor(c.reason);
  } finally {
    client?.destroy();
  }
}

export const command: Command = { name: "import", summary: "stream an image archive (file or s3://) into a registry", usage: USAGE, run };
