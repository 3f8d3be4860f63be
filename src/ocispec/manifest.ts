// Manifests and indexes, narrowed once from untrusted JSON: OCI image manifest and index, Docker schema 2
// manifest and manifest list. https://github.com/opencontainers/image-spec/blob/main/manifest.md
import { parseAnnotations, parseDescriptor, parseDescriptors, type Descriptor } from "./descriptor.ts";
import { InvalidManifestError } from "./errors.ts";
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
  isIndexMediaType,
  isManifestMediaType,
} from "./media-types.ts";

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

/** Either kind of document. */
export type Manifest = ImageManifest | ImageIndex;

function fail(why: string): never {
  throw new InvalidManifestError(`invalid manifest: ${why}`);
}

/** The `Content-Type` of the response, when it names a manifest type. */
function headerMediaType(contentType: string | undefined): string | undefined {
  const fromHeader = contentType?.split(";")[0]?.trim();
  return fromHeader && isManifestMediaType(fromHeader) ? fromHeader : undefined;
}

/** An OCI document may omit mediaType; its shape then says what it is. */
function shapeMediaType(doc: Record<string, unknown>): string | undefined {
  if (doc.manifests !== undefined) return OCI_INDEX;
  return doc.layers !== undefined ? OCI_MANIFEST : undefined;
}

function resolveMediaType(doc: Record<string, unknown>, contentType: string | undefined): string {
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  const fromHeader = headerMediaType(contentType);
  if (declared !== undefined && fromHeader !== undefined && declared !== fromHeader)
    fail(`mediaType ${declared} disagrees with Content-Type ${fromHeader}`);
  const mediaType = declared ?? fromHeader ?? shapeMediaType(doc);
  if (mediaType === undefined) fail("no mediaType and no recognizable shape");
  if (!isManifestMediaType(mediaType)) {
    throw new InvalidManifestError(
      `unsupported manifest media type ${JSON.stringify(mediaType.slice(0, 200))} (supported: OCI image manifest and index, Docker schema 2 manifest and list)`,
      "MANIFEST_UNSUPPORTED",
    );
  }
  return mediaType;
}

function withCommon<T extends Manifest>(out: T, doc: Record<string, unknown>): T {
  if (typeof doc.artifactType === "string") out.artifactType = doc.artifactType;
  if (doc.subject !== undefined) out.subject = parseDescriptor(doc.subject, "subject");
  const annotations = parseAnnotations(doc.annotations, "annotations");
  if (annotations) out.annotations = annotations;
  return out;
}

function parseJsonObject(bytes: Uint8Array | string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch {
    fail("not valid JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) fail("not a JSON object");
  return doc as Record<string, unknown>;
}

function parseIndex(d: Record<string, unknown>, mediaType: string): ImageIndex {
  if (d.layers !== undefined || d.config !== undefined) fail(`${mediaType} has config or layers`);
  return withCommon<ImageIndex>(
    { kind: "index", schemaVersion: 2, mediaType, manifests: parseDescriptors(d.manifests, "manifests") },
    d,
  );
}

function parseImageManifest(d: Record<string, unknown>, mediaType: string): ImageManifest {
  if (d.manifests !== undefined) fail(`${mediaType} has manifests`);
  if ((mediaType === DOCKER_MANIFEST || mediaType === DOCKER_MANIFEST_LIST) && d.mediaType === undefined)
    fail("Docker manifests must declare mediaType");
  const config = parseDescriptor(d.config, "config");
  return withCommon<ImageManifest>(
    { kind: "manifest", schemaVersion: 2, mediaType, config, layers: parseDescriptors(d.layers, "layers") },
    d,
  );
}

/** Parses and narrows a manifest; `contentType` is the response's `Content-Type`, when there was one. Throws InvalidManifestError. */
export function parseManifest(bytes: Uint8Array | string, contentType?: string): Manifest {
  const d = parseJsonObject(bytes);
  if (d.schemaVersion !== 2) fail(`schemaVersion is ${JSON.stringify(d.schemaVersion)}, want 2`);
  // A document that is both an index and a manifest is ambiguous: refuse it rather than pick one.
  if (d.manifests !== undefined && d.layers !== undefined) fail("has both manifests and layers");
  const mediaType = resolveMediaType(d, contentType);
  return isIndexMediaType(mediaType) ? parseIndex(d, mediaType) : parseImageManifest(d, mediaType);
}

/** The descriptors a manifest points to, in push order (config and layers, or child manifests). */
export function childrenOf(manifest: Manifest): Descriptor[] {
  return manifest.kind === "index" ? [...manifest.manifests] : [manifest.config, ...manifest.layers];
}
