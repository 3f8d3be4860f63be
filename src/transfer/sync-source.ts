// The source stage of OciSync: resolve the image to a digest (nothing for a pinned digest, one HEAD for a tag, one
// tag listing plus one HEAD for a semver range), and on a digest not extracted yet pull the platform's manifest and
// extract its layers into a folder named by that digest (digest-folders.ts). One registry client per call; an
// unchanged digest costs no GET.
import { mkdir } from "node:fs/promises";
import { extractLayers } from "../archive/extract.ts";
import type { Reference } from "../oci/reference.ts";
import type { Repository } from "../oci/repository.ts";
import { openRepositoryOf, type RegistryConnection } from "./connection.ts";
import { NoMatchingSemverTagError } from "./content-errors.ts";
import { digestFolder, removeOtherFolders, reuseFolder } from "./digest-folders.ts";
import { layersToExtract, selectManifest, type LayerSelector } from "./select-content.ts";
import { pickSemverTag } from "./semver-tag.ts";
import { verifyCached, type SourceVerification, type SyncVerify } from "./verify-source.ts";

/** The image as one call sees it. */
export interface ResolvedSource {
  /** The image with the tag actually used (semver picks one), or pinned by digest. */
  image: string;
  /** Tag used, when any (for `artifact.revision`). */
  tag?: string;
  /** Digest the tag (or the pin) names: an index or a manifest. */
  digest: string;
}

/** What to fetch and where to put it. */
export interface SyncSourceRequest {
  /** `registry/repository[:tag][@digest]`. */
  image: string;
  connection: RegistryConnection;
  /** Pick the highest tag inside this semver range instead of the image's tag. */
  semverRange?: string;
  /** `os/arch[/variant]` taken from an index. */
  platform: string;
  layerSelector?: LayerSelector;
  /** The staging folder: one sub-folder per digest. */
  folder: string;
  signal: AbortSignal;
  /** spec.verify: the resolved digest must be signed by a trusted key before it is pulled or reused. */
  verify?: SyncVerify;
}

/** The resolved image and the extracted tree to apply. */
export interface SyncSource extends ResolvedSource {
  /** The folder holding the digest's extracted tree. */
  root: string;
  /** False when the digest's folder was there already (nothing was pulled). */
  pulled: boolean;
  /** Digest of the image manifest used (the platform's, for an index); only known when pulled. */
  manifestDigest?: string;
  /** Layers extracted (0 when nothing was pulled). */
  layers: number;
  /** What spec.verify accepted. */
  verified?: SourceVerification;
}

/** Resolves the image: a pinned digest costs nothing, a tag one HEAD, a semver range one tag listing plus one HEAD. */
async function resolveSource(
  ref: Reference,
  repo: Repository,
  semverRange: string | undefined,
  signal: AbortSignal,
): Promise<ResolvedSource> {
  const base = `${ref.registry}/${ref.repository}`;
  if (ref.digest && !semverRange) return { image: `${base}@${ref.digest}`, digest: ref.digest, tag: ref.tag };
  let tag = ref.tag ?? "latest";
  if (semverRange) {
    const tags = await repo.tags().list({ signal, timeoutMs: 60_000 });
    const picked = pickSemverTag(tags, semverRange);
    if (!picked)
      throw new NoMatchingSemverTagError(
        `failed to resolve ${base}: no tag matches semver range ${JSON.stringify(semverRange)} (${tags.length} tags)`,
      );
    tag = picked;
  }
  const desc = await repo.manifests().resolve(tag, { signal, timeoutMs: 30_000 });
  return { image: `${base}:${tag}`, tag, digest: desc.digest };
}

/** Pulls `digest` and extracts it into its digest folder under `request.folder`; removes other digests' folders. */
async function pullSource(
  repo: Repository,
  resolved: ResolvedSource & Pick<SyncSource, "verified">,
  request: SyncSourceRequest,
): Promise<SyncSource> {
  const { manifest, descriptor } = await selectManifest(repo, resolved.digest, request.platform, request.signal);
  const layers = layersToExtract(repo, manifest, { layerSelector: request.layerSelector, unpackTarballFiles: true });
  await mkdir(request.folder, { recursive: true });
  const root = digestFolder(request.folder, resolved.digest);
  await extractLayers(layers, root, { signal: request.signal, replace: true });
  await removeOtherFolders(request.folder, root);
  return { ...resolved, root, pulled: true, manifestDigest: descriptor.digest, layers: layers.length };
}

/** Resolves the image and makes sure its digest's tree is extracted under `request.folder`; see the file comment. */
export async function fetchSyncSource(request: SyncSourceRequest): Promise<SyncSource> {
  const { reference, repository, close } = openRepositoryOf(request.image, request.connection, {
    retry: { maxAttempts: 3 },
  });
  try {
    const found = await resolveSource(reference, repository, request.semverRange, request.signal);
    const verified = request.verify && (await verifyCached(repository, found.digest, request.verify, request.signal));
    const resolved = verified ? { ...found, verified } : found;
    if (await reuseFolder(request.folder, resolved.digest))
      return { ...resolved, root: digestFolder(request.folder, resolved.digest), pulled: false, layers: 0 };
    return await pullSource(repository, resolved, request);
  } finally {
    await close();
  }
}
