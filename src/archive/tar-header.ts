// Parsing of single tar header blocks and of the pax / GNU extension records that precede an entry, as pure
// functions over bytes so they are unit-tested without any archive. Formats: POSIX ustar and pax
// (https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13), GNU long names (`L`/`K`)
// and base-256 numbers (https://www.gnu.org/software/tar/manual/html_node/Standard.html).
import { InvalidArchiveError, quoteName } from "./errors.ts";

export const BLOCK_SIZE = 512;

/** What an entry is, from its type flag. */
export type TarEntryType =
  "file" | "directory" | "symlink" | "hardlink" | "char-device" | "block-device" | "fifo" | "other";

/** One header block as stored, before pax / GNU records are applied. */
export interface RawTarHeader {
  name: string;
  mode: number;
  size: number;
  typeflag: string;
  linkname: string;
}

/** A fully resolved archive member. */
export interface TarEntry {
  name: string;
  type: TarEntryType;
  /** Byte offset of the entry's data (the block after its header). */
  offset: number;
  /** Data size in bytes (0 for links, directories and devices). */
  size: number;
  linkname: string;
  mode: number;
  /** Byte offset of the first header block of this entry (its pax / GNU records included). */
  headerOffset: number;
}

/** Extension records collected for the next entry. */
export interface PendingExtensions {
  path?: string;
  linkpath?: string;
  size?: number;
}

/** Rounds a data size up to whole blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK_SIZE) * BLOCK_SIZE;
}

/** True for an all-zero block (the end-of-archive marker is two of them). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

function cString(block: Uint8Array, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return Buffer.from(end < 0 ? field : field.subarray(0, end)).toString("utf8");
}

/** A numeric field: octal text (space / NUL padded) or GNU base-256 (high bit of the first byte set). */
export function parseNumber(block: Uint8Array, start: number, length: number, what: string): number {
  const first = block[start] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new InvalidArchiveError(`tar header: negative base-256 ${what}`, "INVALID_TAR_HEADER");
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) {
      value = value * 256 + (block[i] ?? 0);
      if (value > Number.MAX_SAFE_INTEGER)
        throw new InvalidArchiveError(`tar header: ${what} too large`, "INVALID_TAR_HEADER");
    }
    return value;
  }
  const text = Buffer.from(block.subarray(start, start + length))
    .toString("latin1")
    .replace(/[\0 ]+$/, "")
    .replace(/^ +/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text))
    throw new InvalidArchiveError(`tar header: ${what} is not octal: ${quoteName(text)}`, "INVALID_TAR_HEADER");
  return parseInt(text, 8);
}

/** Verifies the header checksum (unsigned sum, with the historic signed sum accepted too). */
function verifyChecksum(block: Uint8Array): void {
  const stored = parseNumber(block, 148, 8, "checksum");
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new InvalidArchiveError(
      `tar header: bad checksum (stored ${stored}, computed ${unsigned})`,
      "INVALID_TAR_HEADER",
    );
  }
}

/** Parses one 512-byte header block (checksum verified). */
export function parseHeaderBlock(block: Uint8Array): RawTarHeader {
  if (block.length !== BLOCK_SIZE) throw new InvalidArchiveError("tar header: short block", "TRUNCATED");
  verifyChecksum(block);
  let name = cString(block, 0, 100);
  const magic = Buffer.from(block.subarray(257, 263)).toString("latin1");
  // Only POSIX ustar uses the prefix field; GNU's "ustar  " keeps times there.
  if (magic === "ustar\0") {
    const prefix = cString(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: parseNumber(block, 100, 8, "mode"),
    size: parseNumber(block, 124, 12, "size"),
    typeflag: String.fromCharCode(block[156] ?? 0),
    linkname: cString(block, 157, 100),
  };
}

/** The pax record at `pos`: its key, value and length in bytes. */
function paxRecordAt(buf: Buffer, pos: number): { key: string; value: string; length: number } {
  const space = buf.indexOf(0x20, pos);
  const length = space > pos ? Number(buf.toString("latin1", pos, space)) : NaN;
  if (
    !Number.isSafeInteger(length) ||
    length <= space - pos ||
    pos + length > buf.length ||
    buf[pos + length - 1] !== 0x0a
  ) {
    throw new InvalidArchiveError("tar pax header: malformed record", "INVALID_TAR_HEADER");
  }
  const record = buf.toString("utf8", space + 1, pos + length - 1);
  const eq = record.indexOf("=");
  if (eq <= 0) throw new InvalidArchiveError("tar pax header: record without '='", "INVALID_TAR_HEADER");
  return { key: record.slice(0, eq), value: record.slice(eq + 1), length };
}

/** Keeps a pax record whose key matters here (path, linkpath, size). */
function keepPaxRecord(out: PendingExtensions, key: string, value: string): void {
  if (key === "path") out.path = value;
  else if (key === "linkpath") out.linkpath = value;
  else if (key === "size") {
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw new InvalidArchiveError(`tar pax header: invalid size ${quoteName(value)}`, "INVALID_TAR_HEADER");
    }
    out.size = Number(value);
  }
}

/** Parses pax extended header records (`"<len> <key>=<value>\n"`), keeping the keys that matter here. */
export function parsePaxRecords(data: Uint8Array): PendingExtensions {
  const out: PendingExtensions = {};
  const buf = Buffer.from(data);
  for (let pos = 0; pos < buf.length;) {
    if (buf[pos] === 0) break; // some writers pad the record block with NULs
    const { key, value, length } = paxRecordAt(buf, pos);
    keepPaxRecord(out, key, value);
    pos += length;
  }
  return out;
}

/** The name carried by a GNU `L` / `K` record: its data up to the first NUL. */
export function parseGnuLongName(data: Uint8Array): string {
  const end = data.indexOf(0);
  return Buffer.from(end < 0 ? data : data.subarray(0, end)).toString("utf8");
}

const entryTypes: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file", // contiguous file: a regular file everywhere that matters
  "1": "hardlink",
  "2": "symlink",
  "3": "char-device",
  "4": "block-device",
  "5": "directory",
  "6": "fifo",
};

/** The entry type of a type flag; header-only types carry no data whatever their size field says. */
export function entryType(typeflag: string): TarEntryType {
  return entryTypes[typeflag] ?? "other";
}

/** True for the records that describe the next entry rather than being one. */
export function isExtensionRecord(typeflag: string): boolean {
  return typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K";
}

/** Applies pending extensions to a raw header, giving the entry's name, size and link. */
export function resolveHeader(
  raw: RawTarHeader,
  ext: PendingExtensions,
  headerOffset: number,
  dataOffset: number,
): TarEntry {
  let name = ext.path ?? raw.name;
  const type = entryType(raw.typeflag);
  // Directories are often written "dir/"; keep one canonical form.
  if (type === "directory") name = name.replace(/\/+$/, "");
  const headerOnly = type !== "file" && type !== "other";
  return {
    name,
    type,
    offset: dataOffset,
    size: headerOnly ? 0 : (ext.size ?? raw.size),
    linkname: ext.linkpath ?? raw.linkname,
    mode: raw.mode,
    headerOffset,
  };
}
