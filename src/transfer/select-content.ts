// Which content of an artifact a flow uses, decided in one place for ArtifactPull's pull and OciSync's source: the
// image manifest (the reference's own, or the entry of its index matching the platform), and the layers to extract
// (all of them, or the first of a selected media type, as Flux's `layerSelector` does). What the choice cannot find
// is a typed error (content-errors.ts), never a guess.
import type { Readable } from "node:stream";
import type { LayerToExtract } from "../archive/extract.ts";
import type { Repository } from "../oci/repository.ts";
import { TITLE_ANNOTATION, UNPACK_ANNOTATION } from "../ocispec/annotations.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import type { ImageManifest } from "../ocispec/manifest.ts";
import { formatPlatform, parsePlatform, platformMatches } from "../ocispec/platform.ts";
import { LayerNotFoundError, NestedIndexError, PlatformNotFoundError } from "./content-errors.ts";

/** The image manifest a reference means for one platform. */
export interface SelectedManifest {
  /** What the reference names: an index or the manifest itself. */
  top: Descriptor;
  manifest: ImageManifest;
  /** The image manifest's own descriptor (the platform's entry, for an index). */
  descriptor: Descriptor;
  /** The image manifest's bytes, as fetched and verified. */
  bytes: Uint8Array;
  /** The platform chosen from an index; absent when the reference named a manifest. */
  platform?: string;
}

/** The image manifest of `reference` (tag or digest): itself, or the entry of its index matching `platform`. */
export async function selectManifest(
  repo: Repository,
  reference: string,
  platform: string,
  signal?: AbortSignal,
): Promise<SelectedManifest> {
  const top = await repo.manifests().fetch(reference, { signal });
  if (top.manifest.kind === "manifest")
    return { top: top.descriptor, manifest: top.manifest, descriptor: top.descriptor, bytes: top.bytes };
  const want = parsePlatform(platform);
  const match = top.manifest.manifests.find((d) => platformMatches(d.platform, want));
  if (!match) {
    const have = top.manifest.manifests.map((d) => formatPlatform(d.platform)).join(", ");
    throw new PlatformNotFoundError(
      `image index ${reference} has no manifest for platform ${platform} (it has: ${have || "none"})`,
    );
  }
  const inner = await repo.manifests().fetch(match, { signal });
  if (inner.manifest.kind !== "manifest")
    throw new NestedIndexError(`manifest ${match.digest} for ${platform} is a nested index`);
  return { top: top.descriptor, manifest: inner.manifest, descriptor: inner.descriptor, bytes: inner.bytes, platform };
}

/** Flux's `layerSelector`: the first layer of `mediaType`, extracted as a tarball or copied as one file. */
export interface LayerSelector {
  mediaType: string;
  operation: "extract" | "copy";
}

/** How a flow picks and reads layers. */
export interface LayerChoice {
  layerSelector?: LayerSelector;
  /**
   * Unpack a titled tarball file (`oras push img x.tar.gz`) like an image layer instead of writing it as a file
   * (OciSync's seed runbook relies on this); a file ORAS marked as a folder is unpacked either way.
   */
  unpackTarballFiles?: boolean;
}

/** Title of an ORAS file layer that is itself a tarball. */
function isTarballTitle(title: string): boolean {
  return /\.(tar\.gz|tgz|tar|tar\.zst)$/i.test(title);
}

function selected(layers: readonly Descriptor[], selector: LayerSelector | undefined): readonly Descriptor[] {
  if (!selector) return layers;
  const first = layers.find((l) => l.mediaType === selector.mediaType);
  if (!first)
    throw new LayerNotFoundError(
      `no layer of media type ${selector.mediaType} (has: ${[...new Set(layers.map((l) => l.mediaType))].join(", ")})`,
    );
  return [first];
}

function toExtract(repo: Repository, layer: Descriptor, choice: LayerChoice): LayerToExtract {
  const open = (signal?: AbortSignal): Promise<Readable> => repo.blobs().fetch(layer, { signal });
  const title = layer.annotations?.[TITLE_ANNOTATION];
  if (choice.layerSelector?.operation === "copy")
    return { open, annotations: { [TITLE_ANNOTATION]: title ?? "layer" } };
  if (
    choice.unpackTarballFiles &&
    title !== undefined &&
    isTarballTitle(title) &&
    layer.annotations?.[UNPACK_ANNOTATION] !== "true"
  )
    return { open, mediaType: layer.mediaType };
  return { open, mediaType: layer.mediaType, annotations: layer.annotations };
}

/** The layers of `manifest` to extract, in order, each opened from `repo` when the extractor reaches it. */
export function layersToExtract(repo: Repository, manifest: ImageManifest, choice: LayerChoice = {}): LayerToExtract[] {
  return selected(manifest.layers, choice.layerSelector).map((l) => toExtract(repo, l, choice));
}
