// Narrowing of the untrusted JSON documents found in archives (manifest.json, index.json, manifests, configs),
// once, at the edge: every field read later has been checked here. Descriptors are narrowed by the spec floor
// (src/ocispec/descriptor.ts); its refusals become InvalidArchiveError here, so an archive fails as an archive.
import { parseDescriptor, type Descriptor } from "../ocispec/descriptor.ts";
import { isDigest, type Digest } from "../ocispec/digest.ts";
import { SpecError } from "../ocispec/errors.ts";
import { InvalidArchiveError } from "./errors.ts";

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** Parses JSON bytes, with a clear error naming the document. */
export function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch (err) {
    throw new InvalidArchiveError(`${what}: malformed JSON: ${(err as Error).message}`, "MALFORMED_JSON", {
      cause: err,
    });
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
  if (typeof value !== "string" || value === "")
    throw new InvalidArchiveError(`${what}: expected a string`, "MALFORMED_JSON");
  return value;
}

/** The value as an array of strings (null and absent give []). */
export function asStringArray(value: unknown, what: string): string[] {
  if (value === null || value === undefined) return [];
  return asArray(value, what).map((v, i) => asString(v, `${what}[${i}]`));
}

/** The value as a valid digest, or InvalidArchiveError (`INVALID_DIGEST`) naming `what`. */
export function asDigest(value: unknown, what: string): Digest {
  if (!isDigest(value))
    throw new InvalidArchiveError(
      `${what}: invalid digest ${JSON.stringify(String(value).slice(0, 80))}`,
      "INVALID_DIGEST",
    );
  return value;
}

/** A validated descriptor (digest format, size a non-negative safe integer), or InvalidArchiveError naming `what`. */
export function asDescriptor(value: unknown, what: string): Descriptor {
  asDigest(asObject(value, what).digest, what);
  try {
    return parseDescriptor(value, what);
  } catch (err) {
    throw err instanceof SpecError ? new InvalidArchiveError(err.message, "MALFORMED_JSON", { cause: err }) : err;
  }
}
