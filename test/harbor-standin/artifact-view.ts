// The Harbor STAND-IN's view of a repository: the registry's real tags and manifests grouped into Harbor
// `Artifact` objects (goharbor/harbor api/v2.0/swagger.yaml, definitions Artifact and Tag), with push times the
// stand-in recorded. Test support only.
import { accessoryView, type StandinAccessory } from "./accessories.ts";
import type { FetchedManifest, RegistryReader } from "./registry-reader.ts";

/** Harbor's "never pulled" time. */
const NEVER = "0001-01-01T00:00:00.000Z";

const IMAGE_CONFIGS = new Set([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);
const INDEXES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface ManifestDoc {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, string>;
}

/** Push times and stable ids, as Harbor's database would hold them. */
export class PushLedger {
  readonly #tagTimes = new Map<string, Date>();
  readonly #ids = new Map<string, number>();

  /** Sets when `repository:tag` was pushed (full registry repository name, e.g. `project/a/b`). */
  record(repository: string, tag: string, time: Date): void {
    this.#tagTimes.set(`${repository}:${tag}`, time);
  }

  /** The recorded push time; a tag pushed around the stand-in is dated when first seen. */
  tagTime(repository: string, tag: string): Date {
    const key = `${repository}:${tag}`;
    let time = this.#tagTimes.get(key);
    if (!time) {
      time = new Date();
      this.#tagTimes.set(key, time);
    }
    return time;
  }

  /** A stable integer id per kind and key (project, repository, artifact, tag). */
  id(kind: string, key: string): number {
    const k = `${kind}\u0000${key}`;
    let id = this.#ids.get(k);
    if (id === undefined) {
      id = this.#ids.size + 1;
      this.#ids.set(k, id);
    }
    return id;
  }
}

function artifactSize(m: FetchedManifest, doc: ManifestDoc): number {
  const parts = [doc.config, ...(doc.layers ?? [])].map((d) => d?.size ?? 0);
  return m.body.length + parts.reduce((a, b) => a + b, 0);
}

function harborType(m: FetchedManifest, doc: ManifestDoc): string {
  if (INDEXES.has(m.mediaType)) return "IMAGE";
  const config = doc.config?.mediaType ?? "";
  if (IMAGE_CONFIGS.has(config)) return "IMAGE";
  if (config === "application/vnd.cncf.helm.config.v1+json") return "CHART";
  return "UNKNOWN";
}

/** Harbor's `Accessory` JSON for one accessory of the artifact `subjectId`. */
function accessoryJson(
  ledger: PushLedger,
  full: string,
  subjectId: number,
  acc: StandinAccessory,
): Record<string, unknown> {
  return {
    id: ledger.id("accessory", `${full}@${acc.digest}`),
    artifact_id: ledger.id("artifact", `${full}@${acc.digest}`),
    subject_artifact_id: subjectId,
    subject_artifact_digest: acc.subjectDigest,
    subject_artifact_repo: full,
    size: acc.size,
    digest: acc.digest,
    type: acc.type,
    icon: "",
    creation_time: new Date().toISOString(),
  };
}

/** What the listing asks for besides the artifacts themselves. */
export interface ListingOptions {
  withTag: boolean;
  /** Harbor's `with_accessory`: each artifact's accessories (signatures, subject artifacts) in `accessories`. */
  withAccessory: boolean;
}

/**
 * The Harbor artifacts of `project/repository`, untouched by sort or paging; undefined when unknown. Accessories
 * are left out and shown under their subject (accessories.ts), as Harbor does.
 */
export async function repositoryArtifacts(
  reader: RegistryReader,
  ledger: PushLedger,
  project: string,
  repository: string,
  options: ListingOptions,
): Promise<Record<string, unknown>[] | undefined> {
  const full = `${project}/${repository}`;
  const tags = await reader.tags(full);
  if (tags === undefined) return undefined;
  const tagged = new Map<string, FetchedManifest>();
  for (const tag of tags) {
    const manifest = await reader.manifest(full, tag);
    if (manifest) tagged.set(tag, manifest);
  }
  const accessories = await accessoryView(reader, full, tagged);
  const byDigest = new Map<string, { manifest: FetchedManifest; tags: string[] }>();
  for (const [tag, manifest] of tagged) {
    if (accessories.hiddenTags.has(tag)) continue;
    const entry = byDigest.get(manifest.digest) ?? { manifest, tags: [] };
    entry.tags.push(tag);
    byDigest.set(manifest.digest, entry);
  }
  const projectId = ledger.id("project", project);
  const repositoryId = ledger.id("repository", full);
  return [...byDigest.values()].map(({ manifest, tags: names }) => {
    const doc = JSON.parse(manifest.body.toString("utf8")) as ManifestDoc;
    const artifactId = ledger.id("artifact", `${full}@${manifest.digest}`);
    const tagObjects = names.map((name) => ({
      id: ledger.id("tag", `${full}:${name}`),
      repository_id: repositoryId,
      artifact_id: artifactId,
      name,
      push_time: ledger.tagTime(full, name).toISOString(),
      pull_time: NEVER,
      immutable: false,
    }));
    // Harbor updates the artifact's push time whenever one of its tags is pushed again.
    const pushTime = tagObjects.map((t) => t.push_time).reduce((a, b) => (a > b ? a : b));
    const configType = INDEXES.has(manifest.mediaType) ? manifest.mediaType : (doc.config?.mediaType ?? "");
    const references = INDEXES.has(manifest.mediaType)
      ? (doc.manifests ?? []).map((d) => ({
          parent_id: artifactId,
          child_id: ledger.id("artifact", `${full}@${d.digest ?? ""}`),
          child_digest: d.digest,
          platform: d.platform ?? null,
          annotations: null,
          urls: null,
        }))
      : null;
    return {
      id: artifactId,
      type: harborType(manifest, doc),
      media_type: configType,
      manifest_media_type: manifest.mediaType,
      artifact_type: doc.artifactType ?? configType,
      project_id: projectId,
      repository_id: repositoryId,
      repository_name: full,
      digest: manifest.digest,
      size: artifactSize(manifest, doc),
      icon: "",
      push_time: pushTime,
      pull_time: NEVER,
      extra_attrs: {},
      annotations: doc.annotations ?? null,
      references,
      tags: options.withTag ? tagObjects : null,
      addition_links: {},
      labels: null,
      accessories: options.withAccessory
        ? (accessories.bySubject.get(manifest.digest) ?? []).map((a) => accessoryJson(ledger, full, artifactId, a))
        : null,
    };
  });
}
