// The source stage of OciSync: resolve the image to a digest (one HEAD per period for a tag, nothing for a pinned
// digest), and on a new digest pull its layers and extract them into a folder named by that digest. The folder is
// published by rename (src/archive extractLayers) and older digests' folders are removed afterwards, so the apply
// stage always reads one complete tree (Config Sync's symlink swap, done with a rename).
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import semver from "semver";
import { extractLayers, removeExtractionLeftovers, TITLE_ANNOTATION, UNPACK_ANNOTATION, type LayerToExtract } from "../archive/index.ts";
import { parseReference, RegistryClient, Repository, type CredentialProvider, type Descriptor, type Reference, type RequestEvent } from "../oci/index.ts";
import type { ImageManifest } from "../oci/manifest.ts";
import type { EndpointPolicy } from "../net/endpoint-policy.ts";
import { OciSyncSourceError } from "./oci-sync-reasons.ts";

/** How to reach the registry of one OciSync. */
export interface SourceConnection {
  credentials?: CredentialProvider;
  caPem?: string;
  insecureSkipTLSVerify?: boolean;
  plainHTTP?: boolean;
  endpointPolicy?: EndpointPolicy;
  /** Counts every exchange on the wire (tests and the requests metric). */
  onRequest?: (e: RequestEvent) => void;
}

/** The image as one reconcile sees it. */
export interface ResolvedSource {
  /** The image with the tag actually used (semver picks one). */
  image: string;
  /** Tag used, when any (for `artifact.revision`). */
  tag?: string;
  /** Digest the tag (or the pin) names: an index or a manifest. */
  digest: string;
}

/** Splits `os/arch[/variant]`. */
export function parsePlatform(text: string): { os: string; architecture: string; variant?: string } {
  const [os = "", architecture = "", variant] = text.split("/");
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Picks the highest tag satisfying `range` (semver; tags with a leading `v` accepted). */
export function pickSemverTag(tags: readonly string[], range: string): string | undefined {
  let best: { tag: string; version: string } | undefined;
  for (const tag of tags) {
    const version = semver.clean(tag);
    if (!version || !semver.satisfies(version, range)) continue;
    if (!best || semver.gt(version, best.version)) best = { tag, version };
  }
  return best?.tag;
}

/** Title of an ORAS file layer that is itself a tarball (`oras push ... x.tar.gz`): unpack it as a layer. */
export function isTarballTitle(title: string): boolean {
  return /\.(tar\.gz|tgz|tar|tar\.zst)$/i.test(title);
}

/** A registry client and repository for `image`; close the client when done. */
export function openSource(image: string, conn: SourceConnection): { ref: Reference; repo: Repository; client: RegistryClient } {
  const ref = parseReference(image);
  const client = new RegistryClient({
    registry: ref.registry,
    ...(conn.plainHTTP ? { plainHttp: true } : {}),
    ...(conn.caPem ? { caPem: conn.caPem } : {}),
    ...(conn.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
    ...(conn.credentials ? { credentials: conn.credentials } : {}),
    ...(conn.endpointPolicy ? { endpointPolicy: conn.endpointPolicy } : {}),
    ...(conn.onRequest ? { onRequest: conn.onRequest } : {}),
    retry: { maxAttempts: 3 },
  });
  return { ref, repo: new Repository(client, ref.repository), client };
}

/**
 * Resolves the image: a pinned digest costs nothing, a tag one HEAD, a semver range one tag listing plus one HEAD.
 */
export async function resolveSource(ref: Reference, repo: Repository, semverRange: string | undefined, signal: AbortSignal): Promise<ResolvedSource> {
  const base = `${ref.registry}/${ref.repository}`;
  if (ref.digest && !semverRange) return { image: `${base}@${ref.digest}`, digest: ref.digest, ...(ref.tag ? { tag: ref.tag } : {}) };
  let tag = ref.tag ?? "latest";
  if (semverRange) {
    const tags = await repo.tags().list({ signal, timeoutMs: 60_000 });
    const picked = pickSemverTag(tags, semverRange);
    if (!picked) throw new OciSyncSourceError("ImageNotFound", `failed to resolve ${base}: no tag matches semver range ${JSON.stringify(semverRange)} (${tags.length} tags)`);
    tag = picked;
  }
  const desc = await repo.manifests().resolve(tag, { signal, timeoutMs: 30_000 });
  return { image: `${base}:${tag}`, tag, digest: desc.digest };
}

/** Options of pullSource. */
export interface PullOptions {
  platform: string;
  layerSelector?: { mediaType: string; operation: "extract" | "copy" };
  signal: AbortSignal;
}

/** The manifest actually used and where its content went. */
export interface PulledSource {
  /** Digest of the image manifest used (the platform's, for an index). */
  manifestDigest: string;
  root: string;
  layers: number;
}

async function pickManifest(repo: Repository, digest: string, platform: string, signal: AbortSignal): Promise<{ manifest: ImageManifest; digest: string }> {
  const top = await repo.manifests().fetch(digest, { signal });
  if (top.manifest.kind === "manifest") return { manifest: top.manifest, digest: top.descriptor.digest };
  const want = parsePlatform(platform);
  const match = top.manifest.manifests.find(
    (d: Descriptor) => d.platform?.os === want.os && d.platform.architecture === want.architecture && (!want.variant || d.platform.variant === want.variant),
  );
  if (!match) {
    const have = top.manifest.manifests.map((d) => (d.platform ? `${d.platform.os}/${d.platform.architecture}${d.platform.variant ? `/${d.platform.variant}` : ""}` : "?")).join(", ");
    throw new OciSyncSourceError("PlatformNotFound", `image index ${digest} has no manifest for platform ${platform} (has: ${have || "none"})`);
  }
  const inner = await repo.manifests().fetch(match, { signal });
  if (inner.manifest.kind !== "manifest") throw new OciSyncSourceError("UnsupportedMediaType", `manifest ${match.digest} for ${platform} is a nested index`);
  return { manifest: inner.manifest, digest: inner.descriptor.digest };
}

function layersToExtract(repo: Repository, manifest: ImageManifest, selector: PullOptions["layerSelector"]): LayerToExtract[] {
  let layers = manifest.layers;
  if (selector) {
    const first = layers.find((l) => l.mediaType === selector.mediaType);
    if (!first) throw new OciSyncSourceError("LayerNotFound", `no layer of media type ${selector.mediaType} (has: ${[...new Set(layers.map((l) => l.mediaType))].join(", ")})`);
    layers = [first];
  }
  return layers.map((l) => {
    const open = (signal?: AbortSignal): Promise<Readable> => repo.blobs().fetch(l, signal ? { signal } : {});
    const title = l.annotations?.[TITLE_ANNOTATION];
    if (selector?.operation === "copy") return { open, annotations: { [TITLE_ANNOTATION]: title ?? "layer" } };
    // `oras push img x.tar.gz` stores a gzip tarball as a titled file: unpack it like an image layer (the seed's
    // runbook relies on this), unless ORAS marked it as a folder, which extractLayers handles itself.
    if (title !== undefined && isTarballTitle(title) && l.annotations?.[UNPACK_ANNOTATION] !== "true") return { open, mediaType: l.mediaType };
    return { open, mediaType: l.mediaType, ...(l.annotations ? { annotations: l.annotations } : {}) };
  });
}

/** The folder of one digest under `base`. */
export function digestFolder(base: string, digest: string): string {
  return join(base, digest.replace(":", "-"));
}

/**
 * True when the digest's folder was extracted before (a restart or an unchanged digest reuses it). Tidies `base`
 * first: one OciSync is reconciled by one worker at a time, so a temporary folder here was left by a process that
 * died mid-extraction; and when the digest's folder is there, other digests' folders are stale.
 */
export async function reuseFolder(base: string, digest: string): Promise<boolean> {
  await removeExtractionLeftovers(base);
  const target = digestFolder(base, digest);
  const present = await stat(target).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (present) await removeOtherFolders(base, target);
  return present;
}

/** Pulls `digest` and extracts it into `base/<algo>-<hex>` (call reuseFolder first); removes the folders of other digests afterwards. */
export async function pullSource(repo: Repository, digest: string, base: string, options: PullOptions): Promise<PulledSource> {
  const { manifest, digest: manifestDigest } = await pickManifest(repo, digest, options.platform, options.signal);
  const layers = layersToExtract(repo, manifest, options.layerSelector);
  await mkdir(base, { recursive: true });
  const target = digestFolder(base, digest);
  await extractLayers(layers, target, { signal: options.signal, replace: true });
  await removeOtherFolders(base, target);
  return { manifestDigest, root: target, layers: layers.length };
}

async function removeOtherFolders(base: string, keep: string): Promise<void> {
  const keepName = keep.slice(base.length + 1);
  for (const name of await readdir(base)) {
    if (name !== keepName && /^sha\d+-/.test(name)) await rm(join(base, name), { recursive: true, force: true });
  }
}
