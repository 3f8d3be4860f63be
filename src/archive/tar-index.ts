// Indexes a tar archive by reading only its header blocks through a RandomAccessSource: bodies are skipped by
// offset, so indexing a multi-GB archive in S3 costs one small ranged read per member.
import { InvalidArchiveError, quoteName } from "./errors.ts";
import type { RandomAccessSource } from "./source.ts";
import {
  BLOCK_SIZE,
  isExtensionRecord,
  isZeroBlock,
  paddedSize,
  parseGnuLongName,
  parseHeaderBlock,
  parsePaxRecords,
  resolveHeader,
  type PendingExtensions,
  type TarEntry,
} from "./tar-header.ts";

/** Limits of an index pass. */
export interface TarIndexOptions {
  signal?: AbortSignal;
  /** Refuse archives with more members than this (default 100,000). */
  maxEntries?: number;
  /** Largest pax / GNU long-name record accepted (default 1 MiB). */
  maxExtensionBytes?: number;
}

/** Reads `length` bytes, turning a short source into a "truncated archive" error. */
async function readExact(source: RandomAccessSource, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
  if (offset + length > source.size) {
    throw new InvalidArchiveError(`${source.description}: truncated archive: ${length} bytes needed at offset ${offset}, size is ${source.size}`, "TRUNCATED");
  }
  return source.read(offset, length, signal);
}

/** Applies one extension record's data to the pending set. */
function applyExtension(pending: PendingExtensions, typeflag: string, data: Buffer): void {
  if (typeflag === "x") Object.assign(pending, parsePaxRecords(data));
  else if (typeflag === "L") pending.path = parseGnuLongName(data);
  else if (typeflag === "K") pending.linkpath = parseGnuLongName(data);
  // "g" (pax global) records carry nothing this reader uses.
}

/**
 * Lists every member of the tar archive in `source`, in archive order, validating checksums and that every
 * member's data lies inside the source. Reads headers only.
 */
export async function indexTar(source: RandomAccessSource, options: TarIndexOptions = {}): Promise<TarEntry[]> {
  const maxEntries = options.maxEntries ?? 100_000;
  const maxExt = options.maxExtensionBytes ?? 1 << 20;
  const entries: TarEntry[] = [];
  let pending: PendingExtensions = {};
  let entryStart = 0;
  let offset = 0;
  while (offset < source.size) {
    const block = await readExact(source, offset, BLOCK_SIZE, options.signal);
    if (isZeroBlock(block)) {
      // End of archive; a second zero block normally follows, and anything after it is ignored as tar does.
      if (Object.keys(pending).length > 0) throw new InvalidArchiveError(`${source.description}: extension header without an entry`, "INVALID_TAR_HEADER");
      return entries;
    }
    const raw = parseHeaderBlock(block);
    const dataOffset = offset + BLOCK_SIZE;
    if (isExtensionRecord(raw.typeflag)) {
      if (raw.size > maxExt) throw new InvalidArchiveError(`${source.description}: extension record of ${raw.size} bytes at ${offset}`, "INVALID_TAR_HEADER");
      const data = await readExact(source, dataOffset, raw.size, options.signal);
      if (Object.keys(pending).length === 0) entryStart = offset;
      applyExtension(pending, raw.typeflag, data);
      offset = dataOffset + paddedSize(raw.size);
      continue;
    }
    const start = Object.keys(pending).length > 0 ? entryStart : offset;
    const entry = resolveHeader(raw, pending, start, dataOffset);
    pending = {};
    if (entry.offset + entry.size > source.size) {
      throw new InvalidArchiveError(
        `${source.description}: truncated archive: member ${quoteName(entry.name)} needs ${entry.size} bytes at ${entry.offset}, size is ${source.size}`,
        "TRUNCATED",
      );
    }
    entries.push(entry);
    if (entries.length > maxEntries) throw new InvalidArchiveError(`${source.description}: more than ${maxEntries} members`, "TOO_MANY_ENTRIES");
    offset = dataOffset + paddedSize(entry.size);
  }
  if (Object.keys(pending).length > 0) throw new InvalidArchiveError(`${source.description}: truncated archive after an extension header`, "TRUNCATED");
  // No end-of-archive marker: accepted (as GNU tar and Go's archive/tar do) when the last member is complete.
  return entries;
}
