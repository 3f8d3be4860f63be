// OCI image layout archives (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), as written by skopeo's
// oci-archive, crane and Docker 25+. Indexes nest (multi-arch); names come from the ref-name annotations.
// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
import { CONTAINERD_IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION } from "../ocispec/annotations.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { blobPath, digestOf, parseDigest } from "../ocispec/digest.ts";
import { isImageManifestMediaType, isIndexMediaType, OCI_MANIFEST } from "../ocispec/media-types.ts";
import { BlobMismatchError, InvalidArchiveError, quoteName } from "./errors.ts";
import { asArray, asDescriptor, asObject, parseJson } from "./archive-json.ts";
import { sniffCompression } from "./compression.ts";
import { memberBlob } from "./archive-blob.ts";
import { MAX_METADATA_BYTES, type ArchiveMember, type ArchiveMembers } from "./archive-members.ts";
import type { ArchiveDocument, ArchiveImage, ArchiveIndex } from "./image-types.ts";

const MAX_DEPTH = 4;

/** The images and indexes (nested ones included) of an OCI layout. */
export interface OciLayoutContents {
  images: ArchiveImage[];
  indexes: ArchiveIndex[];
}

/** Reference names of a top-level descriptor: containerd's full name first, then the OCI ref name. */
function namesOf(desc: Descriptor): string[] {
  const names = [desc.annotations?.[CONTAINERD_IMAGE_NAME_ANNOTATION], desc.annotations?.[REF_NAME_ANNOTATION]];
  return [...new Set(names.filter((n): n is string => typeof n === "string" && n !== ""))];
}

class LayoutReader {
  readonly #members: ArchiveMembers;
  readonly #signal: AbortSignal | undefined;
  readonly out: OciLayoutContents = { images: [], indexes: [] };

  constructor(members: ArchiveMembers, signal?: AbortSignal) {
    this.#members = members;
    this.#signal = signal;
  }

  #member(desc: Descriptor, what: string): ArchiveMember {
    const path = blobPath(desc.digest);
    const member = this.#members.lookup(path);
    if (!member)
      throw new InvalidArchiveError(
        `${this.#members.description}: ${what} ${desc.digest} is missing (${path})`,
        "MISSING_BLOB",
      );
    if (member.size !== desc.size) {
      throw new InvalidArchiveError(
        `${this.#members.description}: ${what} ${desc.digest} is ${member.size} bytes, its descriptor says ${desc.size}`,
        "SIZE_MISMATCH",
      );
    }
    return member;
  }

  /** A small blob, read whole, its digest verified. */
  async document(desc: Descriptor, what: string): Promise<ArchiveDocument> {
    if (desc.size > MAX_METADATA_BYTES)
      throw new InvalidArchiveError(
        `${this.#members.description}: ${what} ${desc.digest} is ${desc.size} bytes, over the metadata bound`,
        "METADATA_TOO_LARGE",
      );
    const bytes = await this.#members.readSmall(this.#member(desc, what), this.#signal);
    const actual = digestOf(bytes, parseDigest(desc.digest).algorithm);
    if (actual !== desc.digest)
      throw new BlobMismatchError(`${what} ${quoteName(blobPath(desc.digest))}: digest`, desc.digest, actual);
    return { digest: desc.digest, mediaType: desc.mediaType, size: desc.size, bytes };
  }

  async visit(desc: Descriptor, names: string[], parents: ArchiveDocument[]): Promise<void> {
    if (parents.length > MAX_DEPTH)
      throw new InvalidArchiveError(
        `${this.#members.description}: indexes nested deeper than ${MAX_DEPTH}`,
        "TOO_DEEP",
      );
    const doc = await this.document(desc, "manifest");
    const top = parents.length === 0 && desc.annotations ? { annotations: desc.annotations } : {};
    const body = asObject(parseJson(doc.bytes, `manifest ${desc.digest}`), `manifest ${desc.digest}`);
    if (body.manifests !== undefined && body.layers !== undefined) {
      throw new InvalidArchiveError(
        `${this.#members.description}: ${desc.digest} has both manifests and layers`,
        "AMBIGUOUS_MANIFEST",
      );
    }
    if (
      isIndexMediaType(desc.mediaType) ||
      (body.manifests !== undefined && !isImageManifestMediaType(desc.mediaType))
    ) {
      this.out.indexes.push({ names, document: doc, parents, ...top });
      const children = asArray(body.manifests, `index ${desc.digest}: manifests`);
      for (const [i, child] of children.entries()) {
        await this.visit(asDescriptor(child, `index ${desc.digest}: manifests[${i}]`), [], [...parents, doc]);
      }
      return;
    }
    this.out.images.push({ names, manifest: doc, ...(await this.image(desc, body)), parents, ...top });
  }

  /** The config, layers and platform of the image manifest `body` that `desc` names. */
  async image(
    desc: Descriptor,
    body: Record<string, unknown>,
  ): Promise<Pick<ArchiveImage, "config" | "layers" | "platform">> {
    const config = await this.document(asDescriptor(body.config, `manifest ${desc.digest}: config`), "config");
    const layers = [];
    for (const [i, raw] of asArray(body.layers ?? [], `manifest ${desc.digest}: layers`).entries()) {
      const layer = asDescriptor(raw, `manifest ${desc.digest}: layers[${i}]`);
      const member = this.#member(layer, "layer");
      const compression = sniffCompression(await this.#members.head(member, this.#signal));
      layers.push(memberBlob(this.#members, member, { ...layer, compression }));
    }
    return { config, layers, ...(desc.platform ? { platform: desc.platform } : {}) };
  }
}

/** cosign's `kind` annotation: a layout with it was written by `cosign save`, which leaves bundle referrers unlisted. */
const COSIGN_KIND_ANNOTATION = "kind";
/** Manifests are small; a blob larger than this is not one worth reading to find out. */
const UNLISTED_MANIFEST_BYTES = 64 << 10;

/**
 * Manifests of `cosign save` layouts that index.json does not list: OCI 1.1 referrers (sigstore bundles) whose
 * `subject` is a manifest the layout lists. They are added as unnamed top-level images, so the importer carries
 * them after their subject. Only small JSON blobs of such layouts are read.
 */
async function visitUnlistedReferrers(
  members: ArchiveMembers,
  reader: LayoutReader,
  signal?: AbortSignal,
): Promise<void> {
  const tops = [...reader.out.images, ...reader.out.indexes].filter((m) => m.parents.length === 0);
  if (!tops.some((m) => m.annotations?.[COSIGN_KIND_ANNOTATION]?.startsWith("dev.cosignproject.cosign/"))) return;
  const known = new Set<string>([
    ...reader.out.images.flatMap((i) => (i.manifest ? [i.manifest.digest] : [])),
    ...reader.out.indexes.map((i) => i.document.digest),
  ]);
  for (const member of members.files("blobs/sha256/")) {
    const digest = `sha256:${member.name.split("/").pop() ?? ""}`;
    if (member.size > UNLISTED_MANIFEST_BYTES || known.has(digest)) continue;
    const mediaType = referrerMediaType(await members.readSmall(member, signal), member.name, known);
    if (mediaType === undefined) continue;
    await reader.visit(asDescriptor({ mediaType, digest, size: member.size }, member.name), [], []);
    known.add(digest);
  }
}

/** The media type of a blob that is an image manifest whose `subject` is in `known`; undefined for anything else. */
function referrerMediaType(body: Buffer, name: string, known: ReadonlySet<string>): string | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = asObject(parseJson(body, name), name);
  } catch {
    return undefined; // not JSON: a layer or some other blob
  }
  const subject = doc.subject as { digest?: unknown } | undefined;
  if (typeof subject?.digest !== "string" || !known.has(subject.digest) || doc.layers === undefined) return undefined;
  return typeof doc.mediaType === "string" ? doc.mediaType : OCI_MANIFEST;
}

/** Reads index.json and every manifest, index and config it reaches. */
export async function readOciLayout(
  members: ArchiveMembers,
  indexMember: ArchiveMember,
  signal?: AbortSignal,
): Promise<OciLayoutContents> {
  const layoutMember = members.lookup("oci-layout");
  if (layoutMember) {
    const layout = asObject(parseJson(await members.readSmall(layoutMember, signal), "oci-layout"), "oci-layout");
    if (typeof layout.imageLayoutVersion !== "string")
      throw new InvalidArchiveError(`${members.description}: oci-layout has no imageLayoutVersion`, "MALFORMED_JSON");
  }
  const index = asObject(parseJson(await members.readSmall(indexMember, signal), "index.json"), "index.json");
  if (index.layers !== undefined)
    throw new InvalidArchiveError(`${members.description}: index.json has layers`, "AMBIGUOUS_MANIFEST");
  const reader = new LayoutReader(members, signal);
  const manifests = asArray(index.manifests, "index.json: manifests");
  if (manifests.length === 0)
    throw new InvalidArchiveError(`${members.description}: index.json lists no manifests`, "NO_IMAGES");
  for (const [i, raw] of manifests.entries()) {
    const desc = asDescriptor(raw, `index.json: manifests[${i}]`);
    await reader.visit(desc, namesOf(desc), []);
  }
  await visitUnlistedReferrers(members, reader, signal);
  return reader.out;
}
