// Which artifact an ArtifactPull means: a digest as given, a tag resolved with one HEAD, or a tag policy. Policies
// ask Harbor's API for the tags and their push times (one sorted, paged listing, the runbook's curl | jq); on a
// registry without Harbor's API, newest-pushed falls back to each image config's `created` time, reading at most
// MAX_CONFIG_TAGS tags (the manifest and config fetch per tag that made Flux refuse this, flux2#3449).
import { HarborClient, isHarbor } from "../harbor/client.ts";
import { candidatesFromArtifacts } from "../harbor/artifact-candidates.ts";
import { selectTag, type TagCandidate, type TagPolicy } from "../harbor/tag-policy.ts";
import type { HarborArtifact } from "../harbor/artifact.ts";
import type { ClientOptions } from "../oci/client.ts";
import type { Repository } from "../oci/repository.ts";

export const MAX_CONFIG_TAGS = 50;
/** Image configs are small JSON; a bigger "config" is not read (it sorts oldest). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
const MAX_ARTIFACTS = 5_000;

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
  connection: Omit<ClientOptions, "registry">;
  signal?: AbortSignal;
}

function harborCredentials(req: ResolveRequest): { username: string; password: string } | undefined {
  const c = req.connection.credentials?.(req.registry);
  return c?.kind === "basic" ? { username: c.username, password: c.password } : undefined;
}

async function fromHarbor(req: ResolveRequest, url: string): Promise<TagCandidate[]> {
  const creds = harborCredentials(req);
  const client = new HarborClient({
    url,
    ...(creds ? { credentials: creds } : {}),
    ...(req.connection.caPem ? { caPem: req.connection.caPem } : {}),
    ...(req.connection.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
    ...(req.connection.endpointPolicy ? { endpointPolicy: req.connection.endpointPolicy } : {}),
  });
  try {
    const artifacts: HarborArtifact[] = [];
    for await (const a of client.listArtifacts({ project: req.project, repository: req.repository, ...(req.signal ? { signal: req.signal } : {}) })) {
      artifacts.push(a);
      if (artifacts.length >= MAX_ARTIFACTS) break;
    }
    return candidatesFromArtifacts(artifacts);
  } finally {
    await client.close();
  }
}

async function fromImageConfigs(req: ResolveRequest): Promise<TagCandidate[]> {
  const tags = (await req.repo.tags().list(req.signal ? { signal: req.signal } : {})).slice(-MAX_CONFIG_TAGS);
  const out: TagCandidate[] = [];
  for (const tag of tags) {
    const fetched = await req.repo.manifests().fetch(tag, req.signal ? { signal: req.signal } : {});
    let created = "1970-01-01T00:00:00Z";
    if (fetched.manifest.kind === "manifest" && fetched.manifest.config.size <= MAX_CONFIG_BYTES) {
      const config = await req.repo.blobs().fetch(fetched.manifest.config, req.signal ? { signal: req.signal } : {});
      const chunks: Buffer[] = [];
      for await (const c of config) chunks.push(Buffer.from(c as Uint8Array));
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { created?: unknown };
        if (typeof parsed.created === "string") created = parsed.created;
      } catch {
        // not a JSON config (an ORAS artifact's empty config): it sorts oldest
      }
    }
    out.push({ tag, digest: fetched.descriptor.digest, pushTime: created, ...(fetched.manifest.artifactType ? { artifactType: fetched.manifest.artifactType } : {}) });
  }
  return out;
}

/** Resolves the spec's tag / digest / policy to one digest; see the file comment. */
export async function resolveArtifact(req: ResolveRequest): Promise<ResolvedArtifact> {
  const signal = req.signal ? { signal: req.signal } : {};
  if (req.digest) return { digest: req.digest };
  if (req.tag) return { tag: req.tag, digest: (await req.repo.manifests().resolve(req.tag, signal)).digest };
  const policy = req.tagPolicy ?? { newestPushed: {} };
  const url = `${req.connection.plainHttp ? "http" : "https"}://${req.registry}`;
  const harbor = await isHarbor(url, {
    ...(req.connection.caPem ? { caPem: req.connection.caPem } : {}),
    ...(req.connection.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
    ...(req.connection.endpointPolicy ? { endpointPolicy: req.connection.endpointPolicy } : {}),
    ...signal,
  });
  const candidates = harbor ? await fromHarbor(req, url) : await fromImageConfigs(req);
  const picked = selectTag(candidates, policy, { excludeSignatures: req.excludeSignatures });
  return {
    tag: picked.candidate.tag,
    digest: picked.candidate.digest,
    pushTime: picked.candidate.pushTime,
    tagSource: harbor ? "HarborAPI" : "ImageConfig",
    considered: picked.considered,
  };
}
