// One unit of an import, in the order that keeps a tag from ever naming something incomplete: an image, or an
// index with every child it reaches (children first, then the index byte-exact by its original digest); then what
// refers to any of it (cosign's digest tags, OCI 1.1 `subject` manifests); then the `beforeTag` hook (where
// signature verification stands); then the tags, the commit point.
import type { ArchiveImage, ArchiveIndex } from "../archive/image-types.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { toDigest } from "../ocispec/digest.ts";
import { parseManifest } from "../ocispec/manifest.ts";
import { formatPlatform } from "../ocispec/platform.ts";
import type { ImagePlan } from "./destinations.ts";
import { keptEntries, noPlatformError, reducedIndex } from "./index-platforms.ts";
import { referrersOf, type ArchiveContents, type ArchiveManifest, type ImportUnit } from "./import-units.ts";

/** A manifest as pushed: its descriptor and exact bytes (what tags are written with). */
export interface PushedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** One child of an imported index, as status lists it. */
export interface ImportedChild {
  /** `os/arch[/variant]`, `unknown/unknown` for BuildKit attestations, `?` when the index gives none. */
  platform: string;
  digest: string;
}

/** One referrer pushed with an image. */
export interface ImportedReferrer {
  digest: string;
  /** The manifest it refers to. */
  subject: string;
  /** `tag` for cosign's digest tags, else how the registry lists it: `referrers-api` or `tag-schema`. */
  via: string;
}

export interface ImportedImage {
  /** How the archive names the image (its first RepoTag, or `#<index>`). */
  source: string;
  /** Every reference pushed, `registry/repository:tag`. */
  references: string[];
  digest: string;
  mediaType: string;
  size: number;
  /** True when every tag already named this content and nothing was pushed. */
  unchanged: boolean;
  /** The archive's index digest, when a platform subset made the pushed index a different document. */
  sourceDigest?: string;
  /** For an index: its children (nested indexes flattened), in index order. */
  children?: ImportedChild[];
  referrers?: ImportedReferrer[];
}

/** What the `beforeTag` hook sees: everything is in the destination's repositories, nothing is tagged yet. */
export interface UnitReadyToTag {
  source: string;
  repositories: string[];
  /** The image or index about to be tagged. */
  descriptor: Descriptor;
  /** Every manifest digest pushed for it (the top one and the children of an index). */
  digests: string[];
  referrers: ImportedReferrer[];
  signal: AbortSignal;
}

/** Called after a unit's content and referrers are pushed and before its tags are written; a throw stops the tag. */
export type BeforeTagHook = (unit: UnitReadyToTag) => Promise<void>;

/** The pushing an import unit needs (the Importer of import-archive.ts). */
export interface UnitPusher {
  push(image: ArchiveImage, plan: ImagePlan): Promise<{ image: ImportedImage; pushed?: PushedManifest }>;
  pushImage(image: ArchiveImage, repositories: readonly string[], mode: "preserve"): Promise<PushedManifest>;
  pushManifest(repositories: readonly string[], doc: { bytes: Buffer; mediaType: string }): Promise<PushedManifest>;
  tag(targets: readonly { repository: string; tag: string }[], pushed: PushedManifest): Promise<void>;
  register(repositories: readonly string[], subject: string, referrer: Descriptor): Promise<string>;
}

class UnitPush {
  readonly #pusher: UnitPusher;
  readonly #contents: ArchiveContents;
  readonly #repositories: string[];
  readonly #platforms: readonly string[] | undefined;
  readonly digests = new Set<string>();
  readonly children: ImportedChild[] = [];

  constructor(pusher: UnitPusher, contents: ArchiveContents, repositories: string[], platforms?: readonly string[]) {
    this.#platforms = platforms;
    this.#pusher = pusher;
    this.#contents = contents;
    this.#repositories = repositories;
  }

  /** The entries of `index` to push: all of them, or the platform subset. */
  #entries(index: ArchiveIndex): { all: Descriptor[]; kept: Descriptor[] } {
    const doc = index.document;
    const parsed = parseManifest(doc.bytes, doc.mediaType);
    const all = parsed.kind === "index" ? parsed.manifests : [];
    const platforms = this.#platforms;
    if (!platforms?.length) return { all, kept: all };
    const kept = keptEntries(all, platforms, (e) => {
      const child = this.#contents.byDigest.get(e.digest);
      return child?.kind === "index" && this.#entries(child.index).kept.length > 0;
    });
    if (kept.length === 0) throw noPlatformError(doc.digest, all, platforms);
    return { all, kept };
  }

  /** An index: each child (recursively) by digest, then the index's own bytes (a subset for `platforms`). */
  async index(index: ArchiveIndex, record: boolean): Promise<PushedManifest> {
    const doc = index.document;
    const { all, kept: entries } = this.#entries(index);
    // A nested index reduced to the subset is a new document: this index names it by its new digest.
    const replaced = new Map<string, Descriptor>();
    for (const entry of entries) {
      const child = this.#contents.byDigest.get(entry.digest);
      if (!child) throw new Error(`index ${doc.digest}: child ${entry.digest} is not in the archive`);
      const pushed = await this.manifest(child, false);
      if (pushed.descriptor.digest !== entry.digest) replaced.set(entry.digest, pushed.descriptor);
      if (record && child.kind === "image")
        this.children.push({ platform: formatPlatform(entry.platform), digest: entry.digest });
    }
    const bytes = reducedIndex(doc.bytes, all, entries, replaced);
    const pushed = await this.#pusher.pushManifest(this.#repositories, { bytes, mediaType: doc.mediaType });
    this.digests.add(pushed.descriptor.digest);
    return pushed;
  }

  async manifest(m: ArchiveManifest, top: boolean): Promise<PushedManifest> {
    if (m.kind === "index") return this.index(m.index, true);
    const pushed = await this.#pusher.pushImage(m.image, this.#repositories, "preserve");
    if (!top) this.digests.add(pushed.descriptor.digest);
    return pushed;
  }

  /** Every referrer of what was pushed (and referrers of those), each after its subject. */
  async referrers(): Promise<ImportedReferrer[]> {
    const out: ImportedReferrer[] = [];
    for (const r of referrersOf(this.#contents.referrers, this.digests)) {
      const pushed = await this.manifest(r.manifest, true);
      const { digest } = pushed.descriptor;
      if (r.tag) {
        await this.#pusher.tag(
          this.#repositories.map((repository) => ({ repository, tag: r.tag ?? "" })),
          pushed,
        );
        out.push({ digest, subject: r.subject, via: "tag" });
        continue;
      }
      const via = await this.#pusher.register(this.#repositories, r.subject, referrerDescriptor(pushed));
      out.push({ digest, subject: r.subject, via });
    }
    return out;
  }
}

/** The descriptor a referrers list carries: with the artifact type (or config media type) and annotations. */
function referrerDescriptor(pushed: PushedManifest): Descriptor {
  const m = parseManifest(pushed.bytes, pushed.descriptor.mediaType);
  const artifactType = m.artifactType ?? (m.kind === "manifest" ? m.config.mediaType : undefined);
  return {
    ...pushed.descriptor,
    ...(artifactType ? { artifactType } : {}),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  };
}

/** Pushes one unit for `plan`: content, referrers, the hook, then the tags. */
export async function pushUnit(
  pusher: UnitPusher,
  contents: ArchiveContents,
  job: {
    unit: ImportUnit;
    plan: ImagePlan;
    beforeTag?: BeforeTagHook;
    signal: AbortSignal;
    /** Keep only these platforms of an index (`os/arch[/variant]`). */
    platforms?: readonly string[];
  },
): Promise<ImportedImage> {
  const { unit, plan } = job;
  const repositories = [...new Set(plan.targets.map((t) => t.repository))];
  const push = new UnitPush(pusher, contents, repositories, job.platforms);
  let image: ImportedImage;
  let pushed: PushedManifest | undefined;
  if (unit.top.kind === "image") {
    ({ image, pushed } = await pusher.push(unit.top.image, plan));
    push.digests.add(image.digest);
  } else {
    pushed = await push.index(unit.top.index, true);
    const { digest, mediaType, size } = pushed.descriptor;
    const references = plan.targets.map((t) => `${t.registry}/${t.repository}:${t.tag}`);
    image = { source: plan.source, references, digest, mediaType, size, unchanged: false, children: push.children };
    // A platform subset is a new index: status keeps the archive's digest next to the pushed one.
    if (digest !== unit.top.index.document.digest) image.sourceDigest = unit.top.index.document.digest;
  }
  const referrers = await push.referrers();
  if (referrers.length > 0) image.referrers = referrers;
  const descriptor = pushed?.descriptor ?? {
    mediaType: image.mediaType,
    digest: toDigest(image.digest),
    size: image.size,
  };
  await job.beforeTag?.({
    source: plan.source,
    repositories,
    descriptor,
    digests: [...push.digests],
    referrers,
    signal: job.signal,
  });
  if (pushed) await pusher.tag(plan.targets, pushed);
  return image;
}
