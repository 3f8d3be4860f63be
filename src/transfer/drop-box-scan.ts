// What a drop-box prefix holds right now: the archives its `match` patterns select (with their ETags), and the
// checksum list and its signature when the admin dropped them. One LIST of the prefix per poll; the list and the
// signature are read only when present. Keys under `.airlift/` (our receipts) are never archives.
import { matchesGlob } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { listPrefix, type ListedObject } from "../storage/s3-sink.ts";
import { S3Source } from "../storage/s3-source.ts";
import { CHECKSUM_LIST, CHECKSUM_SIGNATURE, ChecksumListError, parseChecksumList } from "./checksum-list.ts";

/** The folder under the prefix where airlift writes (receipts); never scanned for archives. */
export const AIRLIFT_FOLDER = ".airlift/";
/** What `match` is when a drop-box names none. */
export const DEFAULT_MATCH = ["**/*.tar", "**/*.tar.gz", "**/*.tgz"] as const;
/** Largest checksum list or signature read (a list of 100,000 archives is about 10 MiB). */
const MAX_LIST_BYTES = 16 << 20;

/** A drop-box: a bucket prefix and the patterns of the archives in it. */
export interface DropBoxLocation {
  bucket: string;
  /** "" (the whole bucket) or a folder; a missing trailing "/" is added. */
  prefix: string;
  /** Globs over the key relative to the prefix (`*.tar`, `g/**\/*.tar.gz`); default DEFAULT_MATCH. */
  match?: readonly string[];
}

/** One archive found. */
export interface DropBoxEntry {
  key: string;
  /** The key relative to the prefix: what `match`, SHA256SUMS and receipts name. */
  name: string;
  etag: string;
  size: number;
}

/** The checksum list found in the prefix. */
export interface FoundChecksums {
  sums: Map<string, string>;
  /** The list's raw bytes (what a signature covers) and ETag. */
  bytes: Buffer;
  etag: string;
  /** The detached signature's bytes, when SHA256SUMS.sig is there. */
  signature?: Buffer;
}

/** One poll's view of the prefix. */
export interface DropBoxListing {
  entries: DropBoxEntry[];
  checksums?: FoundChecksums;
}

/** The prefix as a folder: "" stays "", anything else ends with "/". */
export function folderPrefix(prefix: string): string {
  return prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
}

/** True when `name` (relative to the prefix) is an archive the patterns select. */
export function matchesDropBox(name: string, match: readonly string[] = DEFAULT_MATCH): boolean {
  if (name.startsWith(AIRLIFT_FOLDER) || name === CHECKSUM_LIST || name === CHECKSUM_SIGNATURE) return false;
  return match.some((pattern) => matchesGlob(name, pattern));
}

async function readSmall(client: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<Buffer> {
  const source = await S3Source.open({ client, bucket, key, signal });
  if (source.size > MAX_LIST_BYTES)
    throw new ChecksumListError(`s3://${bucket}/${key} is ${source.size} bytes, more than a checksum list may be`);
  return source.size === 0 ? Buffer.alloc(0) : source.read(0, source.size, signal);
}

async function checksumsOf(
  client: S3Client,
  location: DropBoxLocation,
  listed: Map<string, ListedObject>,
  signal?: AbortSignal,
): Promise<FoundChecksums | undefined> {
  const prefix = folderPrefix(location.prefix);
  const list = listed.get(prefix + CHECKSUM_LIST);
  if (!list) return undefined;
  const bytes = await readSmall(client, location.bucket, list.key, signal);
  const sig = listed.get(prefix + CHECKSUM_SIGNATURE);
  const signature = sig ? await readSmall(client, location.bucket, sig.key, signal) : undefined;
  return {
    sums: parseChecksumList(bytes.toString("utf8")),
    bytes,
    etag: list.etag ?? "",
    ...(signature ? { signature } : {}),
  };
}

/** Lists the prefix once: the matching archives (sorted by key) and the checksum list, if any. */
export async function scanDropBox(
  client: S3Client,
  location: DropBoxLocation,
  signal?: AbortSignal,
): Promise<DropBoxListing> {
  const prefix = folderPrefix(location.prefix);
  const objects = await listPrefix(client, location.bucket, prefix, { signal });
  const listed = new Map(objects.map((o) => [o.key, o]));
  const entries = objects
    .map((o) => ({ key: o.key, name: o.key.slice(prefix.length), etag: o.etag ?? "", size: o.size }))
    .filter((e) => !e.name.endsWith("/") && matchesDropBox(e.name, location.match ?? DEFAULT_MATCH))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const checksums = await checksumsOf(client, location, listed, signal);
  return { entries, ...(checksums ? { checksums } : {}) };
}
