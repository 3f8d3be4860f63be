// OCI image layout archives (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), as written by skopeo's
// oci-archive, crane and Docker 25+. Indexes nest (multi-arch); names come from the ref-name annotations.
// https://github.com/opencontainers/image-spec/blob/main/image-layout.md
import { CONTAINERD_IMAGE_NAME_ANNOTATION, REF_NAME_ANNOTATION } from "../ocispec/annotations.ts";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { blobPath, digestOf, parseDigest } from "../ocispec/digest.ts";
import { isImageManifestMediaType, isIndexMediaType } from "../ocispec/media-types.ts";
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
      this.out.indexes.push({ names, document: doc, parents });
      const children = asArray(body.manifests, `index ${desc.digest}: manifests`);
      for (const [i, child] of children.entries()) {
        await this.visit(asDescriptor(child, `index ${desc.digest}: manifests[${i}]`), [], [...parents, doc]);
      }
      return;
    }
    this.out.images.push({ names, manifest: doc, ...(await this.image(desc, body)), parents });
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
  return reader.out;
}
