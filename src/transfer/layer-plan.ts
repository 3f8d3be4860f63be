// What happens to each layer on its way into the registry, and which manifest format the pushed image uses.
// `preserve` moves the bytes untouched (the digest stays the archive's); `gzip` compresses uncompressed layers once,
// computing the digest while the compressed bytes flow (never compressing twice, unlike crane); `zstd` does the same
// with zstd (OCI media type; containerd ≥ 1.5 and Harbor read it); `none` stores uncompressed layers.

export type LayerCompressionMode = "preserve" | "gzip" | "zstd" | "none";
export type Compression = "none" | "gzip" | "zstd";
export type ManifestFormat = "oci" | "docker";

export const mediaTypes = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
} as const;

const layerMediaTypes: Record<ManifestFormat, Record<Compression, string>> = {
  oci: {
    none: "application/vnd.oci.image.layer.v1.tar",
    gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
    zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  },
  docker: {
    none: "application/vnd.docker.image.rootfs.diff.tar",
    gzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
    zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  },
};

export interface LayerPlan {
  /** copy: bytes as they are; compress: into `to`; decompress: store them uncompressed; recompress: `from` → `to`. */
  action: "copy" | "compress" | "decompress" | "recompress";
  from: Compression;
  to: Compression;
}

/** The transformation a layer stored with `from` compression goes through under `mode`. */
export function planLayer(from: Compression, mode: LayerCompressionMode): LayerPlan {
  if (mode === "preserve") return { action: "copy", from, to: from };
  if (mode === "gzip" || mode === "zstd") {
    if (from === mode) return { action: "copy", from, to: mode };
    return { action: from === "none" ? "compress" : "recompress", from, to: mode };
  }
  return from === "none" ? { action: "copy", from, to: "none" } : { action: "decompress", from, to: "none" };
}

/**
 * The manifest format of a pushed image: Docker schema 2 (what `docker push` writes) when the source was a Docker
 * archive and every layer ends up gzip; OCI otherwise, since Docker schema 2 has no well-supported media type for
 * uncompressed or zstd layers.
 */
export function manifestFormat(sourceFormat: ManifestFormat, layers: readonly Compression[]): ManifestFormat {
  return sourceFormat === "docker" && layers.every((c) => c === "gzip") ? "docker" : "oci";
}

export function layerMediaType(format: ManifestFormat, compression: Compression): string {
  return layerMediaTypes[format][compression];
}

export function configMediaType(format: ManifestFormat): string {
  return format === "docker" ? mediaTypes.dockerConfig : mediaTypes.ociConfig;
}

export function manifestMediaType(format: ManifestFormat): string {
  return format === "docker" ? mediaTypes.dockerManifest : mediaTypes.ociManifest;
}

/** A minimal descriptor, as it appears in a manifest. */
export interface PlannedDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** Serializes an image manifest deterministically (same inputs, same bytes, same digest). */
export function buildImageManifest(
  format: ManifestFormat,
  config: PlannedDescriptor,
  layers: readonly PlannedDescriptor[],
  annotations?: Record<string, string>,
): { mediaType: string; bytes: Buffer } {
  const mediaType = manifestMediaType(format);
  const doc: Record<string, unknown> = { schemaVersion: 2, mediaType, config, layers };
  if (annotations && Object.keys(annotations).length > 0 && format === "oci") doc.annotations = annotations;
  return { mediaType, bytes: Buffer.from(JSON.stringify(doc)) };
}
