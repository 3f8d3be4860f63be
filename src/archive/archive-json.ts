// Narrowing of the untrusted JSON documents found in archives (manifest.json, index.json, manifests, configs),
// once, at the edge: every field read later has been checked here.
import { InvalidArchiveError } from "./errors.ts";
import { checkDigest } from "./digest.ts";

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** An OCI content descriptor, validated. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
  platform?: Platform;
}

/** The platform of a manifest inside an index. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parses JSON bytes, with a clear error naming the document. */
export function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch (err) {
    throw new InvalidArchiveError(`${what}: malformed JSON: ${(err as Error).message}`, "MALFORMED_JSON", { cause: err });
  }
}

/** True for a plain object. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value as an object, or an error naming `what`. */
export function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new InvalidArchiveError(`${what}: expected a JSON object`, "MALFORMED_JSON");
  return value;
}

/** The value as an array, or an error naming `what`. */
export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new InvalidArchiveError(`${what}: expected a JSON array`, "MALFORMED_JSON");
  return value;
}

/** The value as a non-empty string, or an error naming `what`. */
export function asString(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") throw new InvalidArchiveError(`${what}: expected a string`, "MALFORMED_JSON");
  return value;
}

/** The value as an array of strings (null and absent give []). */
export function asStringArray(value: unknown, what: string): string[] {
  if (value === null || value === undefined) return [];
  return asArray(value, what).map((v, i) => asString(v, `${what}[${i}]`));
}

function asAnnotations(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const obj = asObject(value, what);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) if (typeof v === "string") out[k] = v;
  return out;
}

function asPlatform(value: unknown, what: string): Platform | undefined {
  if (!isObject(value)) return undefined;
  const platform: Platform = { os: asString(value.os, `${what}.os`), architecture: asString(value.architecture, `${what}.architecture`) };
  if (typeof value.variant === "string") platform.variant = value.variant;
  return platform;
}

/** A validated descriptor (digest format, size a non-negative safe integer). */
export function asDescriptor(value: unknown, what: string): Descriptor {
  const obj = asObject(value, what);
  const size = obj.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidArchiveError(`${what}: invalid size`, "MALFORMED_JSON");
  }
  const desc: Descriptor = {
    mediaType: asString(obj.mediaType, `${what}.mediaType`),
    digest: checkDigest(obj.digest, what),
    size,
    annotations: asAnnotations(obj.annotations, `${what}.annotations`),
  };
  const platform = asPlatform(obj.platform, `${what}.platform`);
  if (platform) desc.platform = platform;
  return desc;
}
