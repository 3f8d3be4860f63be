// `docker save` archives: `manifest.json` lists images as {Config, RepoTags, Layers: ["<id>/layer.tar"]}; the
// config's `rootfs.diff_ids` give the uncompressed digest of each layer, in order. crane's tarball format is the
// same with gzip layers named `<hex>.tar.gz`, and Docker 25+ points Layers into an OCI layout (`blobs/sha256/..`).
// https://github.com/moby/moby/blob/master/image/spec/v1.2.md
import { Digester, digestOf, toDigest, type Digest } from "../ocispec/digest.ts";
import { DOCKER_CONFIG, DOCKER_LAYER, DOCKER_LAYER_GZIP, OCI_LAYER_ZSTD } from "../ocispec/media-types.ts";
import { BlobMismatchError, InvalidArchiveError, quoteName } from "./errors.ts";
import { asArray, asDigest, asObject, asString, asStringArray, parseJson } from "./archive-json.ts";
import { sniffCompression, type Compression } from "./compression.ts";
import { memberBlob } from "./archive-blob.ts";
import type { ArchiveMember, ArchiveMembers } from "./archive-members.ts";
import type { ArchiveBlob, ArchiveDocument, ArchiveImage } from "./image-types.ts";

const layerMediaType: Record<Compression, string> = {
  none: DOCKER_LAYER,
  gzip: DOCKER_LAYER_GZIP,
  zstd: OCI_LAYER_ZSTD,
};

/** One entry of manifest.json, narrowed. */
export interface DockerManifestEntry {
  config: string;
  repoTags: string[];
  layers: string[];
}

/** Reads and narrows manifest.json. */
export async function readDockerManifest(
  members: ArchiveMembers,
  member: ArchiveMember,
  signal?: AbortSignal,
): Promise<DockerManifestEntry[]> {
  const doc = asArray(parseJson(await members.readSmall(member, signal), "manifest.json"), "manifest.json");
  return doc.map((raw, i) => {
    const e = asObject(raw, `manifest.json[${i}]`);
    return {
      config: asString(e.Config, `manifest.json[${i}].Config`),
      repoTags: asStringArray(e.RepoTags, `manifest.json[${i}].RepoTags`),
      layers: asStringArray(e.Layers, `manifest.json[${i}].Layers`),
    };
  });
}

/** The digest a member's name claims (`<hex>.json`, `<hex>.tar.gz`, `blobs/sha256/<hex>`, `sha256:<hex>`). */
function digestFromName(name: string): Digest | undefined {
  const m = /(?:^|\/)(?:sha256[:_/])?([0-9a-f]{64})(?:\.json|\.tar|\.tar\.gz|\.tar\.zst)?$/.exec(name);
  return m ? toDigest(`sha256:${m[1]}`) : undefined;
}

function requireMember(members: ArchiveMembers, name: string, what: string): ArchiveMember {
  const member = members.lookup(name);
  if (!member)
    throw new InvalidArchiveError(
      `${members.description}: ${what} ${quoteName(name)} is missing from the archive`,
      "MISSING_BLOB",
    );
  return member;
}

async function readConfig(
  members: ArchiveMembers,
  name: string,
  signal?: AbortSignal,
): Promise<{ doc: ArchiveDocument; diffIds: Digest[] }> {
  const bytes = await members.readSmall(requireMember(members, name, "config"), signal);
  const digest = digestOf(bytes);
  const claimed = digestFromName(name);
  if (claimed && claimed !== digest) throw new BlobMismatchError(`config ${quoteName(name)}: digest`, claimed, digest);
  const config = asObject(parseJson(bytes, `config ${name}`), `config ${name}`);
  const rootfs = asObject(config.rootfs, `config ${name}: rootfs`);
  const diffIds = asArray(rootfs.diff_ids, `config ${name}: rootfs.diff_ids`).map((d, i) =>
    asDigest(d, `config ${name}: rootfs.diff_ids[${i}]`),
  );
  return { doc: { digest, mediaType: DOCKER_CONFIG, size: bytes.length, bytes }, diffIds };
}

/** Hashes a member in one read: the digest of a compressed layer whose name does not give it. */
async function hashMember(members: ArchiveMembers, member: ArchiveMember, signal?: AbortSignal): Promise<Digest> {
  const digester = new Digester();
  await members.visit(
    [member],
    async (_m, body) => {
      for await (const chunk of body as AsyncIterable<Buffer>) digester.update(chunk);
    },
    signal,
  );
  return digester.digest();
}

async function layerBlob(
  members: ArchiveMembers,
  name: string,
  diffId: Digest,
  signal?: AbortSignal,
): Promise<ArchiveBlob> {
  const member = requireMember(members, name, "layer");
  const compression = sniffCompression(await members.head(member, signal));
  // Uncompressed: the diff_id is the blob digest. Compressed: the name gives it (crane, Docker 25), else hash once.
  const digest =
    compression === "none" ? diffId : (digestFromName(name) ?? (await hashMember(members, member, signal)));
  return memberBlob(members, member, {
    digest,
    size: member.size,
    mediaType: layerMediaType[compression],
    compression,
    diffId,
  });
}

/** The images of a docker-archive, with names from RepoTags. */
export async function readDockerArchive(
  members: ArchiveMembers,
  manifestMember: ArchiveMember,
  signal?: AbortSignal,
): Promise<ArchiveImage[]> {
  const entries = await readDockerManifest(members, manifestMember, signal);
  if (entries.length === 0)
    throw new InvalidArchiveError(`${members.description}: manifest.json lists no images`, "NO_IMAGES");
  const images: ArchiveImage[] = [];
  for (const [i, entry] of entries.entries()) {
    const { doc, diffIds } = await readConfig(members, entry.config, signal);
    if (diffIds.length !== entry.layers.length) {
      throw new InvalidArchiveError(
        `${members.description}: manifest.json[${i}] has ${entry.layers.length} layers, its config ${diffIds.length} diff_ids`,
        "LAYER_COUNT_MISMATCH",
      );
    }
    const layers: ArchiveBlob[] = [];
    for (const [j, name] of entry.layers.entries())
      layers.push(await layerBlob(members, name, diffIds[j] as Digest, signal));
    images.push({ names: entry.repoTags, config: doc, layers, parents: [] });
  }
  return images;
}
