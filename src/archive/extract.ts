// Safe extraction of image layers into a local folder. Layers (tar, tar+gzip, tar+zstd: sniffed by magic bytes)
// are applied in order with OCI whiteouts into a fresh private folder beside the target, which is renamed into
// place only when every layer succeeded; on any error nothing is left behind. ORAS file layers (a blob with an
// `org.opencontainers.image.title`) become a file of that name, or an unpacked folder when asked.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, chmod, lstat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { TITLE_ANNOTATION, UNPACK_ANNOTATION } from "../ocispec/annotations.ts";
import { decompressor, sniffCompression } from "./compression.ts";
import { ExtractionRefusedError, InvalidArchiveError, quoteName } from "./errors.ts";
import { entrySegments, whiteoutOf, type Whiteout } from "./extract-paths.ts";
import { defaultLimits, ExtractionTree, type ExtractLimits } from "./extract-tree.ts";

export { defaultLimits, type ExtractLimits } from "./extract-tree.ts";

/** One layer to apply. */
export interface LayerToExtract {
  /** The layer's bytes as stored (compressed or not). */
  open(signal?: AbortSignal): Readable | Promise<Readable>;
  mediaType?: string;
  annotations?: Record<string, string>;
}

/** Options of {@link extractLayers}. */
export interface ExtractOptions extends Partial<ExtractLimits> {
  signal?: AbortSignal;
  /** Unpack every titled `.tar.gz` file layer, as if each had `io.deis.oras.content.unpack: "true"`. */
  unpackFileLayers?: boolean;
  /** Replace an existing target folder (the old one is removed after the switch). */
  replace?: boolean;
}

/** One file in the result. */
export interface ExtractedFile {
  /** Relative, "/"-separated. */
  path: string;
  size: number;
  type: "file" | "symlink";
}

/** What was extracted. */
export interface ExtractResult {
  target: string;
  files: ExtractedFile[];
  /** Bytes of regular files written (before later layers' whiteouts). */
  bytesWritten: number;
}

/** Fails the stream once more than `max` bytes pass: decompression bombs stop here, whatever headers claim. */
class ByteCap extends Transform {
  readonly #max: number;
  #seen = 0;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#max) done(new ExtractionRefusedError("SizeLimit", `layer expands past ${this.#max} bytes`));
    else done(null, chunk);
  }
}

/** Reads the first chunk to sniff compression, and gives back a stream with it put back in front. */
async function peek(raw: Readable): Promise<{ head: Buffer; body: Readable }> {
  const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, body: Readable.from(all(), { objectMode: false }) };
}

type EntryFilter = (segments: string[], name: string) => void;

async function applyEntry(
  tree: ExtractionTree,
  header: tar.Header,
  body: Readable,
  filter?: EntryFilter,
): Promise<void> {
  const name = header.name;
  tree.countEntry(name);
  const segments = entrySegments(name);
  filter?.(segments, name);
  if (segments.length === 0) return; // the root folder itself
  const whiteout = whiteoutOf(segments);
  if (whiteout) return applyWhiteout(tree, whiteout, name);
  return applyMember(tree, header, segments, body);
}

function applyWhiteout(tree: ExtractionTree, whiteout: Whiteout, name: string): Promise<void> {
  return whiteout.kind === "opaque" ? tree.opaque(whiteout.dir, name) : tree.whiteout(whiteout.path, name);
}

/** Writes one file, folder or link entry; any other type is refused. */
async function applyMember(
  tree: ExtractionTree,
  header: tar.Header,
  segments: string[],
  body: Readable,
): Promise<void> {
  const name = header.name;
  const mode = header.mode ?? 0o644;
  switch (header.type) {
    case "file":
    case "contiguous-file":
      await tree.file(segments, mode, body, name);
      return;
    case "directory":
      return tree.directory(segments, mode, name);
    case "symlink":
      return tree.symlink(segments, header.linkname ?? "", name);
    case "link":
      return tree.hardlink(segments, header.linkname ?? "", name);
    default:
      throw new ExtractionRefusedError(
        "UnsupportedEntry",
        `entry ${quoteName(name)} is a ${header.type ?? "unknown type"}`,
        name,
      );
  }
}

/** Applies one tar stream (any compression) to the tree. */
async function applyTar(
  tree: ExtractionTree,
  raw: Readable,
  signal: AbortSignal | undefined,
  filter?: EntryFilter,
): Promise<void> {
  const { head, body } = await peek(raw);
  const extract = tar.extract();
  // Headers and padding add a little to the files' bytes; the cap on those is enforced per file as written.
  const cap = new ByteCap(tree.limits.maxTotalBytes + (64 << 20));
  const feeding = pipeline(body, decompressor(sniffCompression(head)), cap, extract, ...(signal ? [{ signal }] : []));
  feeding.catch(() => {
    // Reported through the extract iterator below.
  });
  try {
    for await (const entry of extract) {
      const entryBody = Readable.from(entry as AsyncIterable<Buffer>, { objectMode: false });
      await applyEntry(tree, entry.header, entryBody, filter);
      for await (const _ of entryBody) {
        // drain what a non-file entry carried
      }
    }
    await feeding;
  } catch (err) {
    body.destroy();
    extract.destroy();
    if (err instanceof ExtractionRefusedError || (err instanceof Error && err.name === "AbortError")) throw err;
    throw new InvalidArchiveError(`layer: malformed tar: ${(err as Error).message}`, "INVALID_LAYER", { cause: err });
  }
}

async function applyLayer(tree: ExtractionTree, layer: LayerToExtract, options: ExtractOptions): Promise<void> {
  const raw = await layer.open(options.signal);
  const title = layer.annotations?.[TITLE_ANNOTATION];
  if (title === undefined) return applyTar(tree, raw, options.signal);
  const segments = entrySegments(title);
  if (segments.length === 0)
    throw new ExtractionRefusedError("PathTraversal", `file layer title ${quoteName(title)} names the root`, title);
  tree.countEntry(title);
  if (layer.annotations?.[UNPACK_ANNOTATION] === "true" || options.unpackFileLayers) {
    // An ORAS folder: a tar.gz whose entries all live under the title.
    return applyTar(tree, raw, options.signal, (entry, name) => {
      if (entry.length === 0 || !segments.every((s, i) => entry[i] === s)) {
        throw new ExtractionRefusedError(
          "PathTraversal",
          `entry ${quoteName(name)} is outside the folder ${quoteName(title)}`,
          name,
        );
      }
    });
  }
  await tree.file(segments, 0o644, raw, title);
}

async function listFiles(root: string, dir: string[] = [], out: ExtractedFile[] = []): Promise<ExtractedFile[]> {
  for (const name of (await readdir(join(root, ...dir))).sort()) {
    const segments = [...dir, name];
    const st = await lstat(join(root, ...segments));
    if (st.isDirectory()) await listFiles(root, segments, out);
    else
      out.push({ path: segments.join("/"), size: st.isFile() ? st.size : 0, type: st.isFile() ? "file" : "symlink" });
  }
  return out;
}

/** Names of the extractor's own temporary folders beside a target (see extractLayers and publish). */
const LEFTOVER = /^\..+\.(extract|old)-[0-9a-f]{12}$/;

/**
 * Removes what extractions into `parent` left behind when their process died (a killed operator never runs its
 * cleanup). Only for a folder no extraction is writing into at the time.
 */
export async function removeExtractionLeftovers(parent: string): Promise<string[]> {
  const names = (await readdir(parent).catch(() => [] as string[])).filter((n) => LEFTOVER.test(n));
  for (const name of names) await rm(join(parent, name), { recursive: true, force: true });
  return names;
}

/** Moves the finished folder into place: a plain rename, or a swap when replacing. */
async function publish(tmp: string, target: string, replace: boolean): Promise<void> {
  const existing = await lstat(target).catch(() => undefined);
  if (!existing) return rename(tmp, target);
  if (!replace) throw Object.assign(new Error(`extract: target ${target} already exists`), { code: "EEXIST" });
  const old = join(dirname(target), `.${basename(target)}.old-${randomBytes(6).toString("hex")}`);
  await rename(target, old);
  await rename(tmp, target);
  await rm(old, { recursive: true, force: true });
}

/**
 * Extracts `layers` in order into `target` (created; must not exist unless `replace`). Throws
 * ExtractionRefusedError for unsafe or oversized content and InvalidArchiveError for malformed layers; on any
 * error the target is untouched and no temporary folder remains.
 */
export async function extractLayers(
  layers: readonly LayerToExtract[],
  target: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const limits: ExtractLimits = {
    maxTotalBytes: options.maxTotalBytes ?? defaultLimits.maxTotalBytes,
    maxFileBytes: options.maxFileBytes ?? defaultLimits.maxFileBytes,
    maxEntries: options.maxEntries ?? defaultLimits.maxEntries,
  };
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.extract-${randomBytes(6).toString("hex")}`);
  await mkdir(tmp, { mode: 0o700 });
  try {
    const tree = new ExtractionTree(tmp, limits);
    for (const layer of layers) {
      options.signal?.throwIfAborted();
      tree.nextLayer();
      await applyLayer(tree, layer, options);
    }
    const files = await listFiles(tmp);
    await chmod(tmp, 0o755);
    await publish(tmp, target, options.replace ?? false);
    return { target, files, bytesWritten: tree.bytesWritten };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
