// The tags that tie an artifact to the manifest it describes without a `subject` field: the OCI 1.1 referrers tag
// schema (`sha256-<hex>`, an index of referrers, for registries without the referrers API) and cosign's
// digest-named tags (`sha256-<hex>.sig` / `.att` / `.sbom`). One place for both spellings.
// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema
import { parseDigest, toDigest, type Digest } from "./digest.ts";

const COSIGN_TAG = /^(sha256|sha512)-([0-9a-f]{64}|[0-9a-f]{128})\.(sig|att|sbom)$/;

/** The referrers tag-schema tag of a subject digest: `sha256:abc…` → `sha256-abc…`. */
export function referrersTag(digest: Digest | string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `${algorithm}-${encoded}`;
}

/** True for a referrers tag-schema tag (`sha256-<hex>`): registry bookkeeping, rebuilt wherever referrers land. */
export function isReferrersTag(tag: string): boolean {
  return /^(sha256-[0-9a-f]{64}|sha512-[0-9a-f]{128})$/.test(tag);
}

/** The suffixes of cosign's digest tags: signatures, attestations, SBOMs. */
export const COSIGN_TAG_SUFFIXES = ["sig", "att", "sbom"] as const;

/** cosign's tag for an attachment of `digest`: `sha256:abc…`, `sig` → `sha256-abc….sig`. */
export function cosignTag(digest: Digest | string, suffix: (typeof COSIGN_TAG_SUFFIXES)[number]): string {
  return `${referrersTag(digest)}.${suffix}`;
}

/** The subject digest a cosign tag (`sha256-<hex>.sig`, `.att`, `.sbom`) names, else undefined. */
export function cosignTagSubject(tag: string): Digest | undefined {
  const m = COSIGN_TAG.exec(tag);
  return m ? toDigest(`${m[1]}:${m[2]}`) : undefined;
}
