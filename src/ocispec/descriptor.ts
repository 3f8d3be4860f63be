// Content descriptors, narrowed once from untrusted JSON (a registry's manifest, an archive's index.json): what a
// blob or manifest is, its digest and exact size. https://github.com/opencontainers/image-spec/blob/main/descriptor.md
import { isDigest, type Digest } from "./digest.ts";
import { InvalidManifestError } from "./errors.ts";
import type { Platform } from "./platform.ts";

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

function fail(why: string): never {
  throw new InvalidManifestError(`invalid manifest: ${why}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string-to-string map (annotations); absent or null gives undefined, as Go's decoder does. */
export function parseAnnotations(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) fail(`${where} is not an object`);
  for (const v of Object.values(value)) if (typeof v !== "string") fail(`${where} has a non-string value`);
  return value as Record<string, string>;
}

function parsePlatformObject(value: unknown, where: string): Platform | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) fail(`${where}.platform is not an object`);
  if (typeof value.architecture !== "string" || typeof value.os !== "string")
    fail(`${where}.platform needs os and architecture`);
  const out: Platform = { architecture: value.architecture, os: value.os };
  if (typeof value.variant === "string") out.variant = value.variant;
  if (typeof value["os.version"] === "string") out["os.version"] = value["os.version"];
  if (Array.isArray(value["os.features"]))
    out["os.features"] = value["os.features"].filter((f): f is string => typeof f === "string");
  return out;
}

function withOptional(out: Descriptor, d: Record<string, unknown>, where: string): Descriptor {
  const annotations = parseAnnotations(d.annotations, `${where}.annotations`);
  if (annotations) out.annotations = annotations;
  if (typeof d.artifactType === "string") out.artifactType = d.artifactType;
  const platform = parsePlatformObject(d.platform, where);
  if (platform) out.platform = platform;
  if (Array.isArray(d.urls)) out.urls = d.urls.filter((u): u is string => typeof u === "string");
  return out;
}

/** Narrows one descriptor; `where` names it in errors (e.g. `layers[2]`). Throws InvalidManifestError. */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isRecord(value)) fail(`${where} is not an object`);
  if (typeof value.mediaType !== "string" || value.mediaType.length === 0) fail(`${where}.mediaType is missing`);
  if (!isDigest(value.digest)) fail(`${where}.digest is not a valid digest`);
  const size = value.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
    fail(`${where}.size is not a non-negative integer`);
  return withOptional({ mediaType: value.mediaType, digest: value.digest, size }, value, where);
}

/** Narrows an array of descriptors (`manifests`, `layers`). */
export function parseDescriptors(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) fail(`${where} is not an array`);
  return value.map((d, i) => parseDescriptor(d, `${where}[${i}]`));
}
