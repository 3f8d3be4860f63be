// The members of an image archive as a small file system: name lookup with link resolution, bounded metadata
// reads, magic-byte heads and body streams. Plain tar is read in place by offset (`IndexedMembers`); gzip-wrapped
// tar, which cannot be read by offset, is read in sequential passes (`SequentialMembers`, in
// archive-members-sequential.ts) behind the same interface.
import type { Readable } from "node:stream";
import { InvalidArchiveError, quoteName } from "./errors.ts";
import { SNIFF_BYTES } from "./compression.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import { indexTar, type TarIndexOptions } from "./tar-index.ts";
import type { TarEntry, TarEntryType } from "./tar-header.ts";

/** Bound on any metadata document read from an archive (manifest.json, index.json, manifests, configs). */
export const MAX_METADATA_BYTES = 4 << 20;

/** One member of the archive, in archive order. */
export interface ArchiveMember {
  name: string;
  type: TarEntryType;
  size: number;
  linkname: string;
  /** Position in archive order (0-based). */
  ordinal: number;
}

/** Called with a member's body; what it leaves unread is discarded. */
export type MemberVisitor = (member: ArchiveMember, body: Readable) => Promise<void>;

/** Read access to the members of one archive. */
export interface ArchiveMembers {
  readonly description: string;
  /** "gzip" when the whole archive is gzip-wrapped (read sequentially). */
  readonly wrapping: "none" | "gzip";
  /** The regular file a name leads to, following links inside the archive; undefined when absent. */
  lookup(name: string): ArchiveMember | undefined;
  /** Regular files whose (normalized) name starts with `prefix`, in archive order. */
  files(prefix: string): ArchiveMember[];
  /** The whole body of a small member (at most `maxBytes`, default MAX_METADATA_BYTES). */
  readSmall(member: ArchiveMember, signal?: AbortSignal, maxBytes?: number): Promise<Buffer>;
  /** The first SNIFF_BYTES bytes of a member (fewer if it is shorter). */
  head(member: ArchiveMember, signal?: AbortSignal): Promise<Buffer>;
  /**
   * The body of one member from `offset` (default 0). Sequential archives pay a pass up to the member for each
   * call (and skip to the offset); indexed ones read just the range.
   */
  open(member: ArchiveMember, signal?: AbortSignal, offset?: number): Readable;
  /** Hands the body of each listed member to `visit`, one at a time, in archive order (one pass). */
  visit(members: readonly ArchiveMember[], visit: MemberVisitor, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Canonical form of a member path: no "./", no empty or "." segments, ".." resolved; undefined if it leaves the root. */
function normalizeMemberName(name: string): string | undefined {
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

/** Name table of an archive with link resolution (symlinks relative to their folder, hardlinks from the root). */
export class MemberTable {
  readonly #byName = new Map<string, ArchiveMember>();
  readonly #description: string;

  constructor(description: string, members: Iterable<ArchiveMember>) {
    this.#description = description;
    // A later member of the same name replaces an earlier one, as when tar extracts.
    for (const m of members) {
      const key = normalizeMemberName(m.name);
      if (key !== undefined && key !== "") this.#byName.set(key, m);
    }
  }

  /** Regular files named `prefix…`, in archive order. */
  files(prefix: string): ArchiveMember[] {
    return [...this.#byName.entries()]
      .filter(([key, m]) => key.startsWith(prefix) && m.type === "file")
      .map(([, m]) => m)
      .sort((a, b) => a.ordinal - b.ordinal);
  }

  /** The regular file behind `name`, or undefined. Throws on link loops. */
  lookup(name: string): ArchiveMember | undefined {
    let key = normalizeMemberName(name);
    for (let hops = 0; hops < 16; hops++) {
      if (key === undefined) return undefined;
      const m = this.#byName.get(key);
      if (!m) return undefined;
      if (m.type === "file") return m;
      if (m.type === "symlink") {
        const dir = key.split("/").slice(0, -1).join("/");
        key = m.linkname.startsWith("/") ? undefined : normalizeMemberName(`${dir}/${m.linkname}`);
      } else if (m.type === "hardlink") {
        key = normalizeMemberName(m.linkname);
      } else return undefined;
    }
    throw new InvalidArchiveError(`${this.#description}: too many links resolving ${quoteName(name)}`, "LINK_LOOP");
  }
}

/** Throws when a member is larger than a metadata read allows. */
export function checkSmall(description: string, member: ArchiveMember, maxBytes: number): void {
  if (member.size > maxBytes) {
    throw new InvalidArchiveError(
      `${description}: ${quoteName(member.name)} is ${member.size} bytes, over the ${maxBytes}-byte metadata bound`,
      "METADATA_TOO_LARGE",
    );
  }
}

/** Members of a plain tar archive, read in place by byte offset. */
export class IndexedMembers implements ArchiveMembers {
  readonly wrapping = "none" as const;
  readonly description: string;
  readonly #source: RandomAccessSource;
  readonly #offsets = new Map<number, number>();
  readonly #table: MemberTable;

  private constructor(source: RandomAccessSource, entries: TarEntry[]) {
    this.#source = source;
    this.description = source.description;
    const members = entries.map((e, ordinal): ArchiveMember => {
      this.#offsets.set(ordinal, e.offset);
      return { name: e.name, type: e.type, size: e.size, linkname: e.linkname, ordinal };
    });
    this.#table = new MemberTable(source.description, members);
  }

  /** Indexes the tar headers of `source`. */
  static async open(source: RandomAccessSource, options: TarIndexOptions = {}): Promise<IndexedMembers> {
    return new IndexedMembers(source, await indexTar(source, options));
  }

  lookup(name: string): ArchiveMember | undefined {
    return this.#table.lookup(name);
  }

  files(prefix: string): ArchiveMember[] {
    return this.#table.files(prefix);
  }

  #offset(member: ArchiveMember): number {
    const offset = this.#offsets.get(member.ordinal);
    if (offset === undefined) throw new RangeError(`unknown member ${member.ordinal}`);
    return offset;
  }

  async readSmall(member: ArchiveMember, signal?: AbortSignal, maxBytes = MAX_METADATA_BYTES): Promise<Buffer> {
    checkSmall(this.description, member, maxBytes);
    return this.#source.read(this.#offset(member), member.size, signal);
  }

  async head(member: ArchiveMember, signal?: AbortSignal): Promise<Buffer> {
    return this.#source.read(this.#offset(member), Math.min(SNIFF_BYTES, member.size), signal);
  }

  open(member: ArchiveMember, signal?: AbortSignal, offset = 0): Readable {
    return this.#source.stream(this.#offset(member) + offset, member.size - offset, signal);
  }

  async visit(members: readonly ArchiveMember[], visit: MemberVisitor, signal?: AbortSignal): Promise<void> {
    const ordered = [...new Map(members.map((m) => [m.ordinal, m])).values()].sort((a, b) => a.ordinal - b.ordinal);
    for (const m of ordered) {
      signal?.throwIfAborted();
      const body = this.open(m, signal);
      try {
        await visit(m, body);
      } finally {
        body.destroy();
      }
    }
  }

  async close(): Promise<void> {
    await this.#source.close();
  }
}
