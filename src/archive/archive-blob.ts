// Binds the blob descriptions of an archive to the members holding their bytes, with size (and optionally
// digest) checking on every stream handed out.
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { BlobVerifier } from "../ocispec/blob-verifier.ts";
import type { Digest } from "../ocispec/digest.ts";
import { BlobMismatchError, InvalidArchiveError, quoteName } from "./errors.ts";
import type { ArchiveMember, ArchiveMembers } from "./archive-members.ts";
import type { ArchiveBlob, BlobOpenOptions, BlobVisitor } from "./image-types.ts";
import type { Compression } from "./compression.ts";

const memberOf = new WeakMap<ArchiveBlob, ArchiveMember>();

/** What is known of a blob before reading it. */
export interface BlobFacts {
  digest: Digest;
  size: number;
  mediaType: string;
  compression: Compression;
  diffId?: Digest;
  annotations?: Record<string, string>;
}

/** A stream's bytes differ from the blob's descriptor: the archive's own error type. */
export function blobMismatch(what: string, expected: string, actual: string): BlobMismatchError {
  return new BlobMismatchError(what, expected, actual);
}

/** Wraps a raw member stream (from `offset`) in a size check, and a digest check when it starts at 0. */
function verified(raw: Readable, blob: ArchiveBlob, verifyDigest: boolean, offset = 0): Readable {
  const what = `blob ${blob.digest} (${quoteName(blob.member)})${offset > 0 ? ` from byte ${offset}` : ""}`;
  const digest = verifyDigest && offset === 0 ? blob.digest : undefined;
  const check = new BlobVerifier({ what, size: blob.size - offset, digest, mismatch: blobMismatch });
  pipeline(raw, check).catch(() => {
    // The error reaches the consumer through `check`, which pipeline destroys with it.
  });
  return check;
}

/** An ArchiveBlob whose bytes are `member`. */
export function memberBlob(members: ArchiveMembers, member: ArchiveMember, facts: BlobFacts): ArchiveBlob {
  if (member.size !== facts.size) {
    throw new InvalidArchiveError(
      `${members.description}: ${quoteName(member.name)} is ${member.size} bytes, its descriptor says ${facts.size}`,
      "SIZE_MISMATCH",
    );
  }
  const blob: ArchiveBlob = {
    digest: facts.digest,
    size: facts.size,
    mediaType: facts.mediaType,
    compression: facts.compression,
    ...(facts.diffId ? { diffId: facts.diffId } : {}),
    annotations: facts.annotations ?? {},
    member: member.name,
    open(options: BlobOpenOptions = {}): Readable {
      const offset = options.offset ?? 0;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset > facts.size)
        throw new RangeError(`blob ${facts.digest}: offset ${offset} outside its ${facts.size} bytes`);
      return verified(members.open(member, options.signal, offset), blob, options.verifyDigest ?? false, offset);
    },
  };
  memberOf.set(blob, member);
  return blob;
}

/** {@link ImageArchive.streamBlobs} over any ArchiveMembers. */
export async function streamMemberBlobs(
  members: ArchiveMembers,
  blobs: readonly ArchiveBlob[],
  visit: BlobVisitor,
  options: BlobOpenOptions = {},
): Promise<void> {
  const byOrdinal = new Map<number, ArchiveBlob>();
  const seen = new Set<string>();
  for (const blob of blobs) {
    const member = memberOf.get(blob);
    if (!member) throw new TypeError("streamBlobs: blob does not belong to this archive");
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    byOrdinal.set(member.ordinal, blob);
  }
  const targets = [...byOrdinal.keys()].map((o) => memberOf.get(byOrdinal.get(o) as ArchiveBlob) as ArchiveMember);
  await members.visit(
    targets,
    async (member, body) => {
      const blob = byOrdinal.get(member.ordinal) as ArchiveBlob;
      const checked = verified(body, blob, options.verifyDigest ?? false);
      await visit(blob, checked);
    },
    options.signal,
  );
}
