/**
 * Descriptors and manifests, narrowed once from untrusted JSON: OCI image manifest and index, Docker schema 2
 * manifest and manifest list. https://github.com/opencontainers/image-spec/blob/main/manifest.md
 */
import { isDigest, type Digest } from "./digest.ts";
import { InvalidInputError } from "./errors.ts";
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST, isIndexMediaType, isManifestMediaType } from "./media-types.ts";

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

/** A content descriptor: what a blob or manifest is, its digest and exact size. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
  urls?: string[];
}

/** An image (or artifact) manifest: one config and ordered layers. */
export interface ImageManifest {
  kind: "manifest";
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An index / manifest list: descriptors of other manifests (often one per platform). */
export interface ImageIndex {
  kind: "index";
  schemaVersion: 2;
  mediaType: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

function fail(why: string): never {
  throw new InvalidInputError(`invalid manifest: ${why}`, "MANIFEST_INVALID");
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${where} is not an object`);
  for (const v of Object.values(value)) if (typeof v !== "string") fail(`${where} has a non-string value`);
  return value as Record<string, string>;
}

function platformOf(value: unknown, where: string): Platform | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) fail(`${where}.platform is not an object`);
  const p = value as Record<string, unknown>;
  if (typeof p.architecture !== "string" || typeof p.os !== "string") fail(`${where}.platform needs os and architecture`);
  const out: Platform = { architecture: p.architecture, os: p.os };
  if (typeof p.variant === "string") out.variant = p.variant;
  if (typeof p["os.version"] === "string") out["os.version"] = p["os.version"];
  if (Array.isArray(p["os.features"])) out["os.features"] = p["os.features"].filter((f): f is string => typeof f === "string");
  return out;
}

/** Narrows one descriptor; `where` names it in errors (e.g. `layers[2]`). */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== "object" || value === null) fail(`${where} is not an object`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== "string" || d.mediaType.length === 0) fail(`${where}.mediaType is missing`);
  if (typeof d.digest !== "string" || !isDigest(d.digest)) fail(`${where}.digest is not a valid digest`);
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) fail(`${where}.size is not a non-negative integer`);
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  const annotations = stringMap(d.annotations, `${where}.annotations`);
  if (annotations) out.annotations = annotations;
  if (typeof d.artifactType === "string") out.artifactType = d.artifactType;
  const platform = platformOf(d.platform, where);
  if (platform) out.platform = platform;
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u): u is string => typeof u === "string");
  return out;
}

function descriptorList(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) fail(`${where} is not an array`);
  return value.map((d, i) => parseDescriptor(d, `${where}[${i}]`));
}

function resolveMediaType(doc: Record<string, unknown>, contentType: string | undefined): string {
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  const fromHeader = contentType?.split(";")[0]?.trim();
  if (declared !== undefined && fromHeader && isManifestMediaType(fromHeader) && declared !== fromHeader) {
    fail(`mediaType ${declared} disagrees with Content-Type ${fromHeader}`);
  }
  const mediaType = declared ?? (fromHeader && isManifestMediaType(fromHeader) ? fromHeader : undefined);
  // An OCI document may omit mediaType; its shape then says what it is.
  const inferred = mediaType ?? (doc.manifests !== undefined ? OCI_INDEX : doc.layers !== undefined ? OCI_MANIFEST : undefined);
  if (inferred === undefined) fail("no mediaType and no recognizable shape");
  if (!isManifestMediaType(inferred)) {
    throw new InvalidInputError(`unsupported manifest media type ${JSON.stringify(inferred.slice(0, 200))} (supported: OCI image manifest and index, Docker schema 2 manifest and list)`, "MANIFEST_UNSUPPORTED");
  }
  return inferred;
}

function withCommon<T extends ImageManifest | ImageIndex>(out: T, doc: Record<string, unknown>): T {
  if (typeof doc.artifactType === "string") out.artifactType = doc.artifactType;
  if (doc.subject !== undefined) out.subject = parseDescriptor(doc.subject, "subject");
  const annotations = stringMap(doc.annotations, "annotations");
  if (annotations) out.annotations = annotations;
  return out;
}

/** Parses and narrows a manifest; `contentType` is the response's `Content-Type`, when there was one. */
export function parseManifest(bytes: Uint8Array | string, contentType?: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch {
    fail("not valid JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) fail("not a JSON object");
  const d = doc as Record<string, unknown>;
  if (d.schemaVersion !== 2) fail(`schemaVersion is ${JSON.stringify(d.schemaVersion)}, want 2`);
  // A document that is both an index and a manifest is ambiguous: refuse it rather than pick one.
  if (d.manifests !== undefined && d.layers !== undefined) fail("has both manifests and layers");
  const mediaType = resolveMediaType(d, contentType);
  if (isIndexMediaType(mediaType)) {
    if (d.layers !== undefined || d.config !== undefined) fail(`${mediaType} has config or layers`);
    return withCommon<ImageIndex>({ kind: "index", schemaVersion: 2, mediaType, manifests: descriptorList(d.manifests, "manifests") }, d);
  }
  if (d.manifests !== undefined) fail(`${mediaType} has manifests`);
  if ((mediaType === DOCKER_MANIFEST || mediaType === DOCKER_MANIFEST_LIST) && d.mediaType === undefined) fail("Docker manifests must declare mediaType");
  return withCommon<ImageManifest>(
    { kind: "manifest", schemaVersion: 2, mediaType, config: parseDescriptor(d.config, "config"), layers: descriptorList(d.layers, "layers") },
    d,
  );
}

/** The descriptors a manifest points to, in push order (config and layers, or child manifests). */
export function childrenOf(manifest: Manifest): Descriptor[] {
  return manifest.kind === "index" ? [...manifest.manifests] : [manifest.config, ...manifest.layers];
}
