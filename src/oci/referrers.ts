/**
 * Referrers of a manifest: the referrers API, and the tag-schema fallback (`sha256-<hex>` tags holding an index)
 * for registries without it. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
import type { CallOptions } from "../ocispec/content.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { parseDigest, toDigest, type Digest } from "../ocispec/digest.ts";
import { parseManifest } from "../ocispec/manifest.ts";
import { OCI_INDEX } from "../ocispec/media-types.ts";
import { repoRequest, repoUrl, type RepositoryContext } from "./client.ts";
import { InvalidInputError, NotFoundError } from "./errors.ts";
import { readBounded } from "../net/bounded-read.ts";
import { nextLink } from "../net/link-header.ts";
import { discard, header, type HttpResponse } from "./http.ts";
import { ManifestStore, MANIFEST_SIZE_LIMIT } from "./manifests.ts";
import { errorFromResponse } from "./response-errors.ts";

export interface ReferrersOptions extends CallOptions {
  /** Only referrers of this artifact type. */
  artifactType?: string;
  /** Bound on pages followed (default 100). */
  maxPages?: number;
}

/** The fallback tag of a subject digest: `sha256:abc…` → `sha256-abc…`. */
function referrersTag(digest: Digest | string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `${algorithm}-${encoded}`;
}

function filter(list: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType === undefined ? list : list.filter((d) => d.artifactType === artifactType);
}

async function viaTagSchema(ctx: RepositoryContext, subject: Digest, options: ReferrersOptions): Promise<Descriptor[]> {
  try {
    const { manifest } = await new ManifestStore(ctx).fetch(referrersTag(subject), options);
    if (manifest.kind !== "index")
      throw new InvalidInputError(`referrers tag ${referrersTag(subject)} is not an index`, "REFERRERS_INVALID");
    return filter(manifest.manifests, options.artifactType);
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
}

/** One answer of the referrers API: its descriptors (filtered, unless the registry did) and the next page. */
async function readPage(
  ctx: RepositoryContext,
  subject: Digest,
  res: HttpResponse,
  artifactType: string | undefined,
): Promise<{ found: Descriptor[]; next: URL | undefined }> {
  if (res.status !== 200) throw await errorFromResponse(res, `list referrers of ${subject} in ${ctx.repository}`);
  const body = await readBounded(res.body, MANIFEST_SIZE_LIMIT);
  if (body === undefined)
    throw new InvalidInputError(
      `referrers page of ${subject} is larger than ${MANIFEST_SIZE_LIMIT} bytes`,
      "REFERRERS_INVALID",
    );
  const index = parseManifest(body, OCI_INDEX);
  if (index.kind !== "index") throw new InvalidInputError("referrers answer is not an index", "REFERRERS_INVALID");
  const applied =
    header(res, "oci-filters-applied")
      ?.split(",")
      .map((s) => s.trim()) ?? [];
  const found = applied.includes("artifactType") ? index.manifests : filter(index.manifests, artifactType);
  const next = nextLink(header(res, "link"), res.url);
  if (next !== undefined && next.origin !== ctx.client.baseUrl.origin)
    throw new InvalidInputError("referrers page links to another origin", "REFERRERS_INVALID");
  return { found, next };
}

/** Every manifest whose `subject` is `digest` (optionally of one artifact type). */
export async function listReferrers(
  ctx: RepositoryContext,
  digest: Digest | string,
  options: ReferrersOptions = {},
): Promise<Descriptor[]> {
  const subject = toDigest(digest);
  const signal = ctx.client.signal(options);
  const maxPages = options.maxPages ?? 100;
  let url: URL | undefined = repoUrl(ctx, `referrers/${subject}`);
  if (options.artifactType !== undefined) url.searchParams.set("artifactType", options.artifactType);
  const out: Descriptor[] = [];
  for (let page = 0; url; page++) {
    if (page >= maxPages)
      throw new InvalidInputError(`referrers of ${subject} span too many pages`, "REFERRERS_TOO_MANY_PAGES");
    const res = await repoRequest(ctx, "GET", url, { headers: { accept: OCI_INDEX }, signal });
    if (res.status === 404 && page === 0) {
      // No referrers API here (the spec says such registries answer 404): read the tag schema instead.
      await discard(res);
      return viaTagSchema(ctx, subject, options);
    }
    const { found, next } = await readPage(ctx, subject, res, options.artifactType);
    out.push(...found);
    url = next;
  }
  return out;
}
