// Members of a gzip-wrapped tar archive. gzip cannot be entered at an offset, so every access is a pass over the
// decompressed stream: one pass at open time lists the members, keeps their first bytes and buffers the small
// JSON documents (within a budget); `visit` then streams the wanted bodies in archive order in one more pass.
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { dropFirst } from "./drop-first.ts";
import { InvalidArchiveError, ArchiveError } from "./errors.ts";
import { SNIFF_BYTES } from "./compression.ts";
import {
  MAX_METADATA_BYTES,
  MemberTable,
  checkSmall,
  type ArchiveMember,
  type ArchiveMembers,
  type MemberVisitor,
} from "./archive-members.ts";
import type { RandomAccessSource } from "../ocispec/random-access-source.ts";
import { entryType } from "./tar-header.ts";

/** Limits of the listing pass. */
export interface SequentialOptions {
  signal?: AbortSignal;
  maxEntries?: number;
  /** Total bytes of small JSON members kept in memory by the listing pass (default 32 MiB). */
  metadataBudget?: number;
}

type PassVisitor = (member: ArchiveMember, body: Readable) => Promise<"continue" | "stop">;

const typeflags: Record<string, string> = {
  file: "0",
  "contiguous-file": "7",
  link: "1",
  symlink: "2",
  "character-device": "3",
  "block-device": "4",
  directory: "5",
  fifo: "6",
};

/** Wraps the parser's and gunzip's errors (which say "unexpected end of file" and the like) as archive errors. */
function asArchiveError(description: string, err: unknown): unknown {
  if (err instanceof ArchiveError || (err instanceof Error && err.name === "AbortError")) return err;
  if (err instanceof Error && "transient" in err) return err; // a storage error: keep its type
  const message = err instanceof Error ? err.message : String(err);
  const truncated = /unexpected end|premature|truncated/i.test(message);
  return new InvalidArchiveError(
    `${description}: ${truncated ? "truncated archive" : "malformed gzip/tar"}: ${message}`,
    truncated ? "TRUNCATED" : "INVALID_TAR",
    { cause: err },
  );
}

/** Resolves once `body` can take more data or is gone. */
function drainedOrClosed(body: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      body.off("drain", done);
      body.off("close", done);
      resolve();
    };
    body.once("drain", done);
    body.once("close", done);
  });
}

/**
 * Feeds one member's data to a visitor through a Node stream with backpressure. Whatever the visitor leaves
 * unread (it returned, failed or destroyed the stream) is read and discarded so the parser can go on.
 */
async function feedVisitor(
  entry: AsyncIterable<Buffer>,
  member: ArchiveMember,
  visitor: PassVisitor,
): Promise<"continue" | "stop"> {
  const body = new PassThrough();
  const visiting = visitor(member, body);
  const settled = visiting.then(
    () => body.destroy(),
    () => body.destroy(),
  );
  for await (const chunk of entry) {
    if (!body.destroyed && !body.write(chunk)) await drainedOrClosed(body);
  }
  if (!body.destroyed) body.end();
  await settled;
  return visiting;
}

/** A gzip-wrapped tar archive read in passes. */
export class SequentialMembers implements ArchiveMembers {
  readonly wrapping = "gzip" as const;
  readonly description: string;
  readonly #source: RandomAccessSource;
  readonly #members: ArchiveMember[] = [];
  readonly #heads = new Map<number, Buffer>();
  readonly #small = new Map<number, Buffer>();
  #table: MemberTable | undefined;

  private constructor(source: RandomAccessSource) {
    this.#source = source;
    this.description = source.description;
  }

  /** Runs the listing pass. */
  static async open(source: RandomAccessSource, options: SequentialOptions = {}): Promise<SequentialMembers> {
    const members = new SequentialMembers(source);
    await members.#list(options);
    return members;
  }

  async #list(options: SequentialOptions): Promise<void> {
    const maxEntries = options.maxEntries ?? 100_000;
    let budget = options.metadataBudget ?? 32 << 20;
    await this.#pass(async (member, body) => {
      this.#members.push(member);
      if (this.#members.length > maxEntries)
        throw new InvalidArchiveError(`${this.description}: more than ${maxEntries} members`, "TOO_MANY_ENTRIES");
      const chunks: Buffer[] = [];
      let kept = 0;
      let keep = member.type === "file" && member.size <= Math.min(MAX_METADATA_BYTES, budget);
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (kept === 0 && keep) keep = chunk[0] === 0x7b || chunk[0] === 0x5b; // JSON documents only: "{" or "["
        if (keep || kept < SNIFF_BYTES) chunks.push(chunk);
        kept += chunk.length;
      }
      const all = Buffer.concat(chunks);
      this.#heads.set(member.ordinal, all.subarray(0, SNIFF_BYTES));
      if (keep) {
        this.#small.set(member.ordinal, all);
        budget -= all.length;
      }
      return "continue";
    }, options.signal);
    this.#table = new MemberTable(this.description, this.#members);
  }

  /** One pass over the archive, handing each member to `visitor` until it says stop. */
  async #pass(visitor: PassVisitor, signal?: AbortSignal): Promise<void> {
    const extract = tar.extract();
    const raw = this.#source.stream(0, this.#source.size, signal);
    const feeding = pipeline(raw, createGunzip(), extract, ...(signal ? [{ signal }] : [])).catch(
      (err: unknown) => err,
    );
    let ordinal = 0;
    try {
      for await (const entry of extract) {
        const h = entry.header;
        const member: ArchiveMember = {
          name: h.name,
          type: entryType(typeflags[h.type ?? "file"] ?? "?"),
          size: h.size ?? 0,
          linkname: h.linkname ?? "",
          ordinal: ordinal++,
        };
        if ((await feedVisitor(entry as AsyncIterable<Buffer>, member, visitor)) === "stop") break;
      }
    } catch (err) {
      throw asArchiveError(this.description, err);
    } finally {
      raw.destroy();
      extract.destroy();
    }
    await feeding;
  }

  lookup(name: string): ArchiveMember | undefined {
    return this.#table?.lookup(name);
  }

  files(prefix: string): ArchiveMember[] {
    return this.#table?.files(prefix) ?? [];
  }

  async readSmall(member: ArchiveMember, signal?: AbortSignal, maxBytes = MAX_METADATA_BYTES): Promise<Buffer> {
    checkSmall(this.description, member, maxBytes);
    const kept = this.#small.get(member.ordinal);
    if (kept) return kept;
    // Not kept by the listing pass (over budget, or not JSON): one more pass for it.
    const chunks: Buffer[] = [];
    await this.visit(
      [member],
      async (_m, body) => {
        for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
      },
      signal,
    );
    return Buffer.concat(chunks);
  }

  head(member: ArchiveMember): Promise<Buffer> {
    return Promise.resolve(this.#heads.get(member.ordinal) ?? Buffer.alloc(0));
  }

  open(member: ArchiveMember, signal?: AbortSignal, offset = 0): Readable {
    const out = new PassThrough();
    const stop = new AbortController();
    const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    out.once("close", () => stop.abort());
    this.visit(
      [member],
      async (_m, body) => {
        await (offset > 0 ? pipeline(body, dropFirst(offset), out) : pipeline(body, out));
      },
      combined,
    ).catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
    return out;
  }

  async visit(members: readonly ArchiveMember[], visit: MemberVisitor, signal?: AbortSignal): Promise<void> {
    const wanted = new Map(members.map((m) => [m.ordinal, m]));
    if (wanted.size === 0) return;
    const last = Math.max(...wanted.keys());
    await this.#pass(async (member, body) => {
      const want = wanted.get(member.ordinal);
      if (want) await visit(want, body);
      return member.ordinal >= last ? "stop" : "continue";
    }, signal);
  }

  async close(): Promise<void> {
    await this.#source.close();
  }
}
