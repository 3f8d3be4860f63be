// What an archive holds as the importer sees it: top-level units (an image, or an index with every child it
// reaches) that get tags, and referrers (manifests with a `subject`, cosign's `sha256-<hex>.sig|.att|.sbom` tags)
// that travel with whatever they describe. Children of an index are found by digest among the archive's manifests.
import type { ArchiveDocument, ArchiveImage, ArchiveIndex, ImageArchive } from "../archive/image-types.ts";
import type { Digest } from "../ocispec/digest.ts";
import { parseManifest } from "../ocispec/manifest.ts";
import { cosignTag, cosignTagSubject, isReferrersTag } from "../ocispec/subject-tags.ts";
import { splitRepoTag } from "./destinations.ts";

/** A manifest of the archive: an image (with its blobs) or an index. */
export type ArchiveManifest = { kind: "image"; image: ArchiveImage } | { kind: "index"; index: ArchiveIndex };

/** One thing tagged at the destination. */
export interface ImportUnit {
  names: string[];
  top: ArchiveManifest;
}

/** A manifest describing another one, and the digest it describes. */
export interface ArchiveReferrer {
  subject: Digest;
  manifest: ArchiveManifest;
  /** cosign's tag for it (`sha256-<hex>.sig`), pushed as such; absent for an OCI 1.1 referrer. */
  tag?: string;
}

/** What the archive holds, split into units and referrers. */
export interface ArchiveContents {
  units: ImportUnit[];
  referrers: ArchiveReferrer[];
  /** Every manifest of the archive by digest (the children of indexes are found here). */
  byDigest: Map<string, ArchiveManifest>;
}

/** The tag a name carries: an OCI layout's ref name is often the bare tag (`1`, `sha256-<hex>.sig`). */
function tagOf(name: string): string {
  return name.includes(":") || name.includes("/") ? splitRepoTag(name).tag : name;
}

function digestOf(m: ArchiveImage | ArchiveIndex): string {
  return "document" in m ? m.document.digest : (m.manifest?.digest ?? "");
}

function unit(u: ImportUnit): ArchiveImage | ArchiveIndex {
  return u.top.kind === "image" ? u.top.image : u.top.index;
}

function documentOf(m: ArchiveManifest): ArchiveDocument | undefined {
  return m.kind === "image" ? m.image.manifest : m.index.document;
}

/** cosign's `kind` annotations in the layouts `cosign save` writes (index.json entries): what each entry is. */
const COSIGN_KIND = "kind";
const COSIGN_SUBJECT_KINDS = new Set(["dev.cosignproject.cosign/image", "dev.cosignproject.cosign/imageIndex"]);
const COSIGN_ATTACHMENT_KINDS: Record<string, "sig" | "att"> = {
  "dev.cosignproject.cosign/sigs": "sig",
  "dev.cosignproject.cosign/atts": "att",
};

function annotationsOf(m: ArchiveManifest): Record<string, string> | undefined {
  return m.kind === "image" ? m.image.annotations : m.index.annotations;
}

/** The signed manifest of a `cosign save` layout (the entry of kind image or imageIndex), if this is one. */
function cosignSubjectOf(top: readonly ImportUnit[]): Digest | undefined {
  const signed = top.find((u) => COSIGN_SUBJECT_KINDS.has(annotationsOf(u.top)?.[COSIGN_KIND] ?? ""));
  const digest = signed ? documentOf(signed.top)?.digest : undefined;
  return digest;
}

/** The digest of the manifest a top-level entry refers to, with cosign's tag when that is how. */
function referrerOf(
  entry: ImportUnit,
  cosignSubject: Digest | undefined,
): Omit<ArchiveReferrer, "manifest"> | undefined {
  const { names } = entry;
  const doc = documentOf(entry.top);
  for (const tag of names.map(tagOf)) {
    const subject = cosignTagSubject(tag);
    if (subject) return { subject, tag };
  }
  // `cosign save`: signatures and attestations are named by kind, not by tag; they travel under cosign's tags.
  const attachment = COSIGN_ATTACHMENT_KINDS[annotationsOf(entry.top)?.[COSIGN_KIND] ?? ""];
  if (attachment && cosignSubject) return { subject: cosignSubject, tag: cosignTag(cosignSubject, attachment) };
  if (!doc) return undefined;
  let subject;
  try {
    subject = parseManifest(doc.bytes, doc.mediaType).subject;
  } catch {
    return undefined; // not narrowable here: pushed as a plain image, the registry judges it
  }
  return subject ? { subject: subject.digest } : undefined;
}

/** Every manifest by digest, and the top-level ones (listed in index.json, or docker-archive images). */
function manifestsOf(archive: ImageArchive): { byDigest: Map<string, ArchiveManifest>; top: ImportUnit[] } {
  const byDigest = new Map<string, ArchiveManifest>();
  const top: ImportUnit[] = [];
  for (const index of archive.indexes) {
    const m: ArchiveManifest = { kind: "index", index };
    byDigest.set(index.document.digest, m);
    if (index.parents.length === 0) top.push({ names: index.names, top: m });
  }
  for (const image of archive.images) {
    const m: ArchiveManifest = { kind: "image", image };
    if (image.manifest) byDigest.set(image.manifest.digest, m);
    if (image.parents.length === 0) top.push({ names: image.names, top: m });
  }
  return { byDigest, top };
}

/** Splits the archive's top-level manifests into units and referrers. */
export function archiveContents(archive: ImageArchive): ArchiveContents {
  const { byDigest, top } = manifestsOf(archive);
  // A layout may also list an index's children at the top (oras writes every manifest it holds): they are not units.
  const nested = new Set([...archive.images, ...archive.indexes].filter((m) => m.parents.length > 0).map(digestOf));
  const units: ImportUnit[] = [];
  const referrers: ArchiveReferrer[] = [];
  const cosignSubject = cosignSubjectOf(top);
  for (const entry of top) {
    // A copied referrers tag-schema index: the destination gets its own, from the referrers pushed there.
    if (entry.names.length > 0 && entry.names.every((n) => isReferrersTag(tagOf(n)))) continue;
    const ref = referrerOf(entry, cosignSubject);
    if (ref) referrers.push({ ...ref, manifest: entry.top });
    else if (!nested.has(digestOf(unit(entry)))) units.push(entry);
  }
  return { units, referrers, byDigest };
}

/** The digests of the manifests of a referrer chain that refer, transitively, to any of `pushed`, in push order. */
export function referrersOf(referrers: readonly ArchiveReferrer[], pushed: ReadonlySet<string>): ArchiveReferrer[] {
  const known = new Set(pushed);
  const out: ArchiveReferrer[] = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const r of referrers) {
      const digest = documentOf(r.manifest)?.digest;
      if (out.includes(r) || !known.has(r.subject)) continue;
      out.push(r);
      if (digest) known.add(digest);
      grew = true;
    }
  }
  return out;
}
