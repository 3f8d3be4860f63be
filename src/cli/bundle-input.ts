// What `airlift vet` and `airlift diff` read a bundle from, turned into one extracted folder: a directory as it is;
// a tar or tar.gz, extracted with the same safe extractor OciSync uses; an OCI image layout (a folder or a tar of
// one) whose manifest's layers are extracted as OciSync extracts a pulled image; or an image reference, fetched and
// extracted by OciSync's own source stage (transfer/sync-source.ts).
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { extractLayers, type LayerToExtract } from "../archive/extract.ts";
import type { RegistryConnection } from "../transfer/connection.ts";
import { fetchSyncSource } from "../transfer/sync-source.ts";
import { CliError } from "./command.ts";

/** An extracted bundle; `close()` removes what was extracted for it. */
export interface Bundle {
  root: string;
  /** What it was read from, for messages: the path, or the image with its digest. */
  label: string;
  /** The image digest, for an image reference. */
  digest?: string;
  close: () => Promise<void>;
}

/** The image as fetched (the default registry applied) and how to reach it; asked only for an image reference. */
export type ConnectionFor = (image: string) => Promise<{ image: string; connection: RegistryConnection }>;

interface Descriptor {
  mediaType?: string;
  digest: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** Opens `input`: an existing path is a folder, an archive or a layout; anything else an image reference. */
export async function openBundle(
  input: string,
  options: { platform: string; semverRange?: string; connection: ConnectionFor; signal: AbortSignal },
): Promise<Bundle> {
  const info = await stat(input).catch(() => undefined);
  const temp = await mkdtemp(join(tmpdir(), "airlift-bundle-"));
  const close = (): Promise<void> => rm(temp, { recursive: true, force: true });
  try {
    if (info?.isDirectory()) {
      const dir = resolve(input);
      if (await isLayout(dir)) return { ...(await fromLayout(dir, temp, options.platform)), label: input, close };
      await close();
      return { root: dir, label: input, close: () => Promise.resolve() };
    }
    if (info?.isFile()) {
      const root = join(temp, "archive");
      await extractLayers([{ open: () => createReadStream(input) }], root, { signal: options.signal });
      if (await isLayout(root)) return { ...(await fromLayout(root, temp, options.platform)), label: input, close };
      return { root, label: input, close };
    }
    const { image, connection } = await options.connection(input);
    const source = await fetchSyncSource({
      image,
      connection,
      semverRange: options.semverRange,
      platform: options.platform,
      folder: join(temp, "image"),
      signal: options.signal,
    });
    return { root: source.root, label: `${source.image}@${source.digest}`, digest: source.digest, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function isLayout(dir: string): Promise<boolean> {
  return (await stat(join(dir, "oci-layout")).catch(() => undefined))?.isFile() === true;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, "utf8")) as T;
}

function blobPath(layout: string, digest: string): string {
  const [alg, hex] = digest.split(":");
  if (!alg || !hex || !/^[a-z0-9]+$/.test(alg) || !/^[a-f0-9]+$/.test(hex))
    throw new CliError(`OCI layout ${layout}: invalid digest ${digest}`);
  return join(layout, "blobs", alg, hex);
}

/** The layout's one image (or the platform's, from an index), extracted under `temp`. */
async function fromLayout(layout: string, temp: string, platform: string): Promise<{ root: string; digest: string }> {
  let desc = onlyManifest(layout, (await readJson<{ manifests?: Descriptor[] }>(join(layout, "index.json"))).manifests);
  for (let depth = 0; desc.mediaType?.includes("index") && depth < 4; depth++) {
    const index = await readJson<{ manifests?: Descriptor[] }>(blobPath(layout, desc.digest));
    const [os, arch, variant] = platform.split("/");
    const match = index.manifests?.find(
      (m) =>
        m.platform?.os === os && m.platform?.architecture === arch && (!variant || m.platform?.variant === variant),
    );
    desc = match ?? onlyManifest(layout, index.manifests);
  }
  const manifest = await readJson<{ layers?: Descriptor[] }>(blobPath(layout, desc.digest));
  const layers = (manifest.layers ?? []).map((l): LayerToExtract => ({
    open: () => createReadStream(blobPath(layout, l.digest)),
    mediaType: l.mediaType,
    annotations: l.annotations,
  }));
  const root = join(temp, "layout-root");
  await extractLayers(layers, root, { unpackFileLayers: true });
  return { root, digest: desc.digest };
}

function onlyManifest(layout: string, manifests: Descriptor[] | undefined): Descriptor {
  const [first, ...rest] = manifests ?? [];
  if (!first) throw new CliError(`OCI layout ${layout} holds no image`);
  if (rest.length > 0)
    throw new CliError(`OCI layout ${layout} holds ${rest.length + 1} images and no platform picks one: keep one`);
  return first;
}
