// Which artifact an ArtifactPull means: a digest as given, a tag resolved with one HEAD, or a tag policy. Policies
// ask Harbor's API for the tags and their push times (one sorted, paged listing, the runbook's curl | jq); on a
// registry without Harbor's API, newest-pushed falls back to each image config's `created` time, reading at most
// MAX_CONFIG_TAGS tags (the manifest and config fetch per tag that made Flux refuse this, flux2#3449).
import { HarborClient } from "../harbor/client.ts";
import { candidatesFromArtifacts } from "../harbor/artifact-candidates.ts";
import { selectTag, type TagCandidate, type TagPolicy } from "../harbor/tag-policy.ts";
import type { HarborArtifact } from "../harbor/artifact.ts";
import type { FetchedManifest } from "../oci/manifests.ts";
import type { Repository } from "../oci/repository.ts";
import { harborClientOptions, leaseRegistryPool, type RegistryConnection } from "./connection.ts";

export const MAX_CONFIG_TAGS = 50;
/** Image configs are small JSON; a bigger "config" is not read (it sorts oldest). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_ARTIFACTS = 5_000;
const EPOCH = "1970-01-01T00:00:00Z";

export interface ResolvedArtifact {
  tag?: string;
  digest: string;
  /** Harbor's push time of the tag, or the image config's `created` in the fallback. */
  pushTime?: string;
  tagSource?: "HarborAPI" | "ImageConfig";
  /** How many tags were considered (policies). */
  considered?: number;
}

export interface ResolveRequest {
  repo: Repository;
  registry: string;
  project: string;
  repository: string;
  tag?: string;
  digest?: string;
  tagPolicy?: TagPolicy;
  excludeSignatures: boolean;
  /** How the registry (and Harbor's API beside it) is reached. */
  connection: RegistryConnection;
  signal?: AbortSignal;
}

async function fromHarbor(req: ResolveRequest, client: HarborClient): Promise<TagCandidate[]> {
  const artifacts: HarborArtifact[] = [];
  for await (const a of client.listArtifacts({
    project: req.project,
    repository: req.repository,
    signal: req.signal,
  })) {
    artifacts.push(a);
    if (artifacts.length >= MAX_ARTIFACTS) break;
  }
  return candidatesFromArtifacts(artifacts);
}

/** An image config's `created`, or the epoch (an ORAS artifact's empty config, a config too big to read): it sorts oldest. */
async function createdOf(
  repo: Repository,
  manifest: FetchedManifest["manifest"],
  signal: AbortSignal | undefined,
): Promise<string> {
  if (manifest.kind !== "manifest" || manifest.config.size > MAX_CONFIG_BYTES) return EPOCH;
  const config = await repo.blobs().fetch(manifest.config, { signal });
  const chunks: Buffer[] = [];
  for await (const c of config) chunks.push(Buffer.from(c as Uint8Array));
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { created?: unknown };
    return typeof parsed.created === "string" ? parsed.created : EPOCH;
  } catch {
    return EPOCH; // not a JSON config
  }
}

async function fromImageConfigs(req: ResolveRequest): Promise<TagCandidate[]> {
  const tags = (await req.repo.tags().list({ signal: req.signal })).slice(-MAX_CONFIG_TAGS);
  const out: TagCandidate[] = [];
  for (const tag of tags) {
    const fetched = await req.repo.manifests().fetch(tag, { signal: req.signal });
    const pushTime = await createdOf(req.repo, fetched.manifest, req.signal);
    out.push({ tag, digest: fetched.descriptor.digest, pushTime, artifactType: fetched.manifest.artifactType });
  }
  return out;
}

/** Candidates of a policy: Harbor's listing when the registry is a Harbor, else the image configs (one client for both). */
async function candidatesOf(
  req: ResolveRequest,
): Promise<{ candidates: TagCandidate[]; tagSource: "HarborAPI" | "ImageConfig" }> {
  // Harbor's API is on the registry's origin: its requests go over the registry's pool.
  const pool = leaseRegistryPool(req.registry, req.connection);
  try {
    const harbor = new HarborClient({ ...harborClientOptions(req.registry, req.connection), dispatcher: pool.value });
    if (await harbor.isHarbor({ signal: req.signal }))
      return { candidates: await fromHarbor(req, harbor), tagSource: "HarborAPI" };
  } finally {
    await pool.release();
  }
  return { candidates: await fromImageConfigs(req), tagSource: "ImageConfig" };
}

/** Resolves the spec's tag / digest / policy to one digest; see the file comment. */
export async function resolveArtifact(req: ResolveRequest): Promise<ResolvedArtifact> {
  if (req.digest) return { digest: req.digest };
  if (req.tag)
    return { tag: req.tag, digest: (await req.repo.manifests().resolve(req.tag, { signal: req.signal })).digest };
  const policy = req.tagPolicy ?? { newestPushed: {} };
  const { candidates, tagSource } = await candidatesOf(req);
  const picked = selectTag(candidates, policy, { excludeSignatures: req.excludeSignatures });
  return {
    tag: picked.candidate.tag,
    digest: picked.candidate.digest,
    pushTime: picked.candidate.pushTime,
    tagSource,
    considered: picked.considered,
  };
}
