// A platform subset of an image index (ImageImport's `platforms`): the entries whose platform is wanted, the
// BuildKit attestation manifests of those entries, and nested indexes that keep something. Every other byte of the
// index is kept; a subset is a new document, so its digest differs from the archive's (status says so).
import { DOCKER_REFERENCE_DIGEST_ANNOTATION, DOCKER_REFERENCE_TYPE_ANNOTATION } from "../ocispec/annotations.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { formatPlatform, parsePlatform, platformMatches } from "../ocispec/platform.ts";
import { PlatformNotFoundError } from "./content-errors.ts";

/** The entries of an index's `manifests` to keep for `platforms`; `keepNested` decides a nested index's entry. */
export function keptEntries(
  entries: readonly Descriptor[],
  platforms: readonly string[],
  keepNested: (entry: Descriptor) => boolean,
): Descriptor[] {
  const wanted = platforms.map(parsePlatform);
  const kept = new Set(
    entries
      .filter((e) => e.annotations?.[DOCKER_REFERENCE_TYPE_ANNOTATION] !== "attestation-manifest")
      .filter((e) => (e.platform ? wanted.some((w) => platformMatches(e.platform, w)) : keepNested(e)))
      .map((e) => e.digest as string),
  );
  return entries.filter(
    (e) =>
      kept.has(e.digest) ||
      (e.annotations?.[DOCKER_REFERENCE_TYPE_ANNOTATION] === "attestation-manifest" &&
        kept.has(e.annotations[DOCKER_REFERENCE_DIGEST_ANNOTATION] ?? "")),
  );
}

/**
 * The index bytes with only `kept` entries, a nested index that was itself reduced named by its new descriptor
 * (`replaced`, by original digest); the original bytes when nothing changed.
 */
export function reducedIndex(
  bytes: Buffer,
  all: readonly Descriptor[],
  kept: readonly Descriptor[],
  replaced: ReadonlyMap<string, Descriptor> = new Map(),
): Buffer {
  if (kept.length === all.length && replaced.size === 0) return bytes;
  const doc = JSON.parse(bytes.toString("utf8")) as { manifests: { digest: string; size: number }[] };
  const keep = new Set(kept.map((d) => d.digest as string));
  doc.manifests = doc.manifests
    .filter((m) => keep.has(m.digest))
    .map((m) => {
      const now = replaced.get(m.digest);
      return now ? { ...m, digest: now.digest, size: now.size } : m;
    });
  return Buffer.from(JSON.stringify(doc));
}

/** The refusal when no entry of an index is for any wanted platform. */
export function noPlatformError(digest: string, entries: readonly Descriptor[], platforms: readonly string[]): Error {
  const have = [...new Set(entries.filter((e) => e.platform).map((e) => formatPlatform(e.platform)))].join(", ");
  return new PlatformNotFoundError(
    `image index ${digest} has no manifest for ${platforms.join(", ")} (it has: ${have || "none"}): fix platforms`,
  );
}
