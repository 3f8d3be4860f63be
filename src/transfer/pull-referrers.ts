// What refers to a pulled manifest, carried into the OCI layout a pull writes so signatures survive the trip back
// out: cosign's digest tags (`sha256-<hex>.sig` / `.att` / `.sbom`) and OCI 1.1 referrers (the referrers API where
// the registry serves it, else its `sha256-<hex>` tag schema), transitively (a signature of an SBOM too). Each is
// written with every blob it reaches and listed in index.json the way both readers of such a layout expect it:
// airlift's importer (import-units.ts: a cosign tag as the ref name, or the manifest's `subject`) and
// `cosign verify --local-image` (cosign's `kind` annotations; bundles found by their `subject`).
import { NotFoundError, OciError } from "../oci/errors.ts";
import type { Repository } from "../oci/repository.ts";
import { REF_NAME_ANNOTATION } from "../ocispec/annotations.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import type { Digest } from "../ocispec/digest.ts";
import { childrenOf, type Manifest } from "../ocispec/manifest.ts";
import { cosignTag, COSIGN_TAG_SUFFIXES } from "../ocispec/subject-tags.ts";

/** A referrer as written into a pull's layout. */
export interface PulledReferrer {
  digest: string;
  /** The manifest it refers to. */
  subject: string;
  mediaType: string;
  artifactType?: string;
  /** cosign's tag for it, when that is how the registry ties it to its subject. */
  tag?: string;
}

/** A referrer found in the source, with its bytes. */
interface FoundReferrer extends PulledReferrer {
  descriptor: Descriptor;
  bytes: Buffer;
  manifest: Manifest;
}

/** Bound on referrers carried for one pull: a registry listing more is not describing one artifact's provenance. */
const MAX_REFERRERS = 256;

/** cosign's `kind` annotation (its `save` layout and `verify --local-image`). */
const COSIGN_KIND_ANNOTATION = "kind";
const COSIGN_KINDS: Record<string, string> = {
  sig: "dev.cosignproject.cosign/sigs",
  att: "dev.cosignproject.cosign/atts",
};

/** Where the layout's blobs go, with the manifest of each referrer listed at the top. */
export interface ReferrerSink {
  /** Writes a blob of `repo` (fetched only when missing); returns true when it was written. */
  blob(desc: Descriptor): Promise<boolean>;
  bytes(bytes: Buffer): Promise<boolean>;
  list(desc: Descriptor): void;
}

async function taggedReferrers(repo: Repository, subject: string, signal?: AbortSignal): Promise<FoundReferrer[]> {
  const out: FoundReferrer[] = [];
  for (const suffix of COSIGN_TAG_SUFFIXES) {
    const tag = cosignTag(subject, suffix);
    try {
      const got = await repo.manifests().fetch(tag, { signal });
      out.push(found(got, subject, tag));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  return out;
}

async function ociReferrers(repo: Repository, subject: string, signal?: AbortSignal): Promise<FoundReferrer[]> {
  const out: FoundReferrer[] = [];
  for (const desc of await repo.referrers(subject, { signal })) {
    out.push(found(await repo.manifests().fetch(desc, { signal }), subject));
  }
  return out;
}

function found(
  got: { descriptor: Descriptor; bytes: Buffer; manifest: Manifest },
  subject: string,
  tag?: string,
): FoundReferrer {
  const { manifest, descriptor } = got;
  const artifactType = manifest.artifactType ?? (manifest.kind === "manifest" ? manifest.config.mediaType : undefined);
  return {
    digest: descriptor.digest,
    subject,
    mediaType: descriptor.mediaType,
    ...(artifactType ? { artifactType } : {}),
    ...(tag ? { tag } : {}),
    descriptor: { ...descriptor, ...(artifactType ? { artifactType } : {}) },
    bytes: got.bytes,
    manifest,
  };
}

/** Every referrer of `subject` in `repo`, and the referrers of those, breadth first, each once. */
async function findReferrers(repo: Repository, subject: string, signal?: AbortSignal): Promise<FoundReferrer[]> {
  const out: FoundReferrer[] = [];
  const seen = new Set<string>([subject]);
  const queue = [subject];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const here = [...(await taggedReferrers(repo, next, signal)), ...(await ociReferrers(repo, next, signal))];
    for (const r of here.filter((x) => !seen.has(x.digest))) {
      if (out.length >= MAX_REFERRERS)
        throw new OciError(`${subject} has more than ${MAX_REFERRERS} referrers to carry`, "REFERRERS_TOO_MANY", false);
      seen.add(r.digest);
      out.push(r);
      queue.push(r.digest);
    }
  }
  return out;
}

/** Writes a manifest's blobs (an index's child manifests, recursively) before the manifest itself. */
async function writeTree(
  repo: Repository,
  sink: ReferrerSink,
  manifest: Manifest,
  signal?: AbortSignal,
): Promise<number> {
  let written = 0;
  for (const child of childrenOf(manifest)) {
    if (manifest.kind === "manifest") {
      if (await sink.blob(child)) written++;
      continue;
    }
    const got = await repo.manifests().fetch(child, { signal });
    written += await writeTree(repo, sink, got.manifest, signal);
    if (await sink.bytes(got.bytes)) written++;
  }
  return written;
}

/** The index.json annotations of a referrer: cosign's tag as the ref name, and cosign's `kind` for its own image. */
function listing(r: FoundReferrer, top: string): Descriptor {
  const annotations: Record<string, string> = {};
  if (r.tag) annotations[REF_NAME_ANNOTATION] = r.tag;
  const kind = COSIGN_KINDS[r.tag?.split(".").pop() ?? ""];
  if (kind && r.subject === top) annotations[COSIGN_KIND_ANNOTATION] = kind;
  return { ...r.descriptor, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
}

/**
 * Copies every referrer of `subject` (see the file comment) through `sink`; returns what was carried and how many
 * blobs were written.
 */
export async function carryReferrers(
  repo: Repository,
  subject: Digest | string,
  sink: ReferrerSink,
  signal?: AbortSignal,
): Promise<{ referrers: PulledReferrer[]; blobsWritten: number }> {
  let blobsWritten = 0;
  const referrers: PulledReferrer[] = [];
  for (const r of await findReferrers(repo, subject, signal)) {
    blobsWritten += await writeTree(repo, sink, r.manifest, signal);
    if (await sink.bytes(r.bytes)) blobsWritten++;
    sink.list(listing(r, subject));
    referrers.push({
      digest: r.digest,
      subject: r.subject,
      mediaType: r.mediaType,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
      ...(r.tag ? { tag: r.tag } : {}),
    });
  }
  return { referrers, blobsWritten };
}

/** The index.json annotation `cosign verify --local-image` finds the signed image by. */
export const COSIGN_IMAGE_ANNOTATIONS: Readonly<Record<string, string>> = {
  [COSIGN_KIND_ANNOTATION]: "dev.cosignproject.cosign/image",
};
