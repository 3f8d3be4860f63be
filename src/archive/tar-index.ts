// Indexes a tar archive by reading only its header blocks through a RandomAccessSource: bodies are skipped by
// offset, so indexing a multi-GB archive in S3 costs one small ranged read per member.
import { InvalidArchiveError, quoteName } from "./errors.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
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
  type RawTarHeader,
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
async function readExact(
  source: RandomAccessSource,
  offset: number,
  length: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (offset + length > source.size) {
    throw new InvalidArchiveError(
      `${source.description}: truncated archive: ${length} bytes needed at offset ${offset}, size is ${source.size}`,
      "TRUNCATED",
    );
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

function hasPending(pending: PendingExtensions): boolean {
  return Object.keys(pending).length > 0;
}

/** The entries when no extension record waits for its entry; else `error`. */
function noPending(entries: TarEntry[], pending: PendingExtensions, error: InvalidArchiveError): TarEntry[] {
  if (hasPending(pending)) throw error;
  return entries;
}

/** Reads the extension record (pax, GNU long name) whose header is at `offset` into `pending`. */
async function readExtension(
  source: RandomAccessSource,
  raw: RawTarHeader,
  at: { offset: number; maxBytes: number; signal?: AbortSignal | undefined },
  pending: PendingExtensions,
): Promise<void> {
  if (raw.size > at.maxBytes)
    throw new InvalidArchiveError(
      `${source.description}: extension record of ${raw.size} bytes at ${at.offset}`,
      "INVALID_TAR_HEADER",
    );
  applyExtension(pending, raw.typeflag, await readExact(source, at.offset + BLOCK_SIZE, raw.size, at.signal));
}

/** The entry, once its data is known to lie inside the source. */
function inside(source: RandomAccessSource, entry: TarEntry): TarEntry {
  if (entry.offset + entry.size > source.size) {
    throw new InvalidArchiveError(
      `${source.description}: truncated archive: member ${quoteName(entry.name)} needs ${entry.size} bytes at ${entry.offset}, size is ${source.size}`,
      "TRUNCATED",
    );
  }
  return entry;
}

/**
 * Lists every member of the tar archive in `source`, in archive order, validating checksums and that every
 * member's data lies inside the source. Reads headers only.
 */
export async function indexTar(source: RandomAccessSource, options: TarIndexOptions = {}): Promise<TarEntry[]> {
  const maxEntries = options.maxEntries ?? 100_000;
  const maxBytes = options.maxExtensionBytes ?? 1 << 20;
  const entries: TarEntry[] = [];
  let pending: PendingExtensions = {};
  let entryStart = 0;
  let offset = 0;
  while (offset < source.size) {
    const block = await readExact(source, offset, BLOCK_SIZE, options.signal);
    // End of archive; a second zero block normally follows, and anything after it is ignored as tar does.
    if (isZeroBlock(block))
      return noPending(
        entries,
        pending,
        new InvalidArchiveError(`${source.description}: extension header without an entry`, "INVALID_TAR_HEADER"),
      );
    const raw = parseHeaderBlock(block);
    const dataOffset = offset + BLOCK_SIZE;
    if (isExtensionRecord(raw.typeflag)) {
      if (!hasPending(pending)) entryStart = offset;
      await readExtension(source, raw, { offset, maxBytes, signal: options.signal }, pending);
      offset = dataOffset + paddedSize(raw.size);
      continue;
    }
    const entry = inside(source, resolveHeader(raw, pending, hasPending(pending) ? entryStart : offset, dataOffset));
    pending = {};
    entries.push(entry);
    if (entries.length > maxEntries)
      throw new InvalidArchiveError(`${source.description}: more than ${maxEntries} members`, "TOO_MANY_ENTRIES");
    offset = dataOffset + paddedSize(entry.size);
  }
  // No end-of-archive marker: accepted (as GNU tar and Go's archive/tar do) when the last member is complete.
  return noPending(
    entries,
    pending,
    new InvalidArchiveError(`${source.description}: truncated archive after an extension header`, "TRUNCATED"),
  );
}
