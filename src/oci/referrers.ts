/**
 * Referrers of a manifest: the referrers API, and the tag-schema fallback (`sha256-<hex>` tags holding an index)
 * for registries without it. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers
 */
import type { CallOptions } from "../ocispec/content.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { toDigest, type Digest } from "../ocispec/digest.ts";
import { referrersTag } from "../ocispec/subject-tags.ts";
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

/** True when the repository answers the referrers API (a registry without it answers 404). */
async function hasReferrersApi(ctx: RepositoryContext, subject: Digest, options: CallOptions): Promise<boolean> {
  const res = await repoRequest(ctx, "GET", repoUrl(ctx, `referrers/${subject}`), {
    headers: { accept: OCI_INDEX },
    signal: ctx.client.signal(options),
  });
  await discard(res);
  if (res.status === 404) return false;
  if (res.status !== 200) throw await errorFromResponse(res, `list referrers of ${subject} in ${ctx.repository}`);
  return true;
}

/**
 * Makes `referrer` (already pushed by digest, its `subject` being `subject`) findable: a registry with the referrers
 * API indexes it on push; without one, it is added to the `sha256-<hex>` tag-schema index. Returns how.
 */
export async function registerReferrer(
  ctx: RepositoryContext,
  subject: Digest | string,
  referrer: Descriptor,
  options: CallOptions = {},
): Promise<"referrers-api" | "tag-schema"> {
  const digest = toDigest(subject);
  if (await hasReferrersApi(ctx, digest, options)) return "referrers-api";
  const existing = await viaTagSchema(ctx, digest, options);
  if (existing.some((d) => d.digest === referrer.digest)) return "tag-schema";
  const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...existing, referrer] };
  await new ManifestStore(ctx).push(referrersTag(digest), Buffer.from(JSON.stringify(index)), OCI_INDEX, options);
  return "tag-schema";
}
