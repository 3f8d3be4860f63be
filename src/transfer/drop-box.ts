// The drop-box: every archive under a bucket prefix that its patterns match is imported, each once per ETag (a
// replaced object again), each checked against the prefix's checksum list before anything is pushed, each followed
// by a receipt in the bucket. Archives run with bounded concurrency and never block each other: one failing is an
// outcome, not an error. The operator calls it once per poll; the CLI once. Nothing here knows Kubernetes.
import type { S3Client } from "@aws-sdk/client-s3";
import { S3Source } from "../storage/s3-source.ts";
import type { TrustedKey } from "../verify/keys.ts";
import { classifyTransferError, type TransferReason } from "./errors.ts";
import { importArchive, type ImportArchiveOptions, type ImportedImage } from "./import-archive.ts";
import { forEachBounded } from "./pool.ts";
import { templateDestination } from "./drop-box-naming.ts";
import { readReceipts, writeReceipt, type Receipt } from "./receipts.ts";
import { scanDropBox, type DropBoxEntry, type DropBoxLocation } from "./drop-box-scan.ts";

export type { DropBoxEntry, DropBoxLocation } from "./drop-box-scan.ts";
import {
  checkListed,
  sha256Of,
  trustedChecksums,
  type ChecksumPolicy,
  type TrustedChecksums,
} from "./drop-box-trust.ts";

/** What happened to one archive in one poll. */
export interface KeyOutcome {
  name: string;
  key: string;
  etag: string;
  /** imported: pushed (or found in place) and receipted; quarantined: refused by the checksums; failed: anything else. */
  outcome: "imported" | "quarantined" | "failed";
  reason?: TransferReason;
  /** True for a failure a later poll may not repeat (registry down, throttled). */
  transient?: boolean;
  message?: string;
  sha256?: string;
  images?: ImportedImage[];
  at: string;
}

/** What the drop-box remembers of an archive between polls: the ETag it last settled, how, and what it pushed. */
export interface Settled {
  etag: string;
  outcome: KeyOutcome["outcome"];
  transient?: boolean;
  reason?: TransferReason;
  message?: string;
  /** `reference@digest` of each image pushed. */
  references?: string[];
  at: string;
}

/** The memory entry of an outcome. */
export function settledOf(outcome: KeyOutcome): Settled {
  const references = outcome.images?.flatMap((i) => i.references.map((r) => `${r}@${i.digest}`));
  return {
    etag: outcome.etag,
    outcome: outcome.outcome,
    at: outcome.at,
    ...(outcome.transient !== undefined ? { transient: outcome.transient } : {}),
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(outcome.message ? { message: outcome.message } : {}),
    ...(references ? { references } : {}),
  };
}

/** One poll. */
export interface DropBoxOptions {
  client: S3Client;
  location: DropBoxLocation;
  /** How each archive is pushed (destination with rewrite, connection, compression...). */
  importOptions: Omit<ImportArchiveOptions, "onProgress" | "signal">;
  checksums: ChecksumPolicy;
  /** Keys the checksum list must be signed with; none: an unsigned list is trusted. */
  keys?: readonly TrustedKey[];
  /** Archives imported at once (default 2). */
  parallel?: number;
  /** Name each archive's repository after its key (drop-box-naming.ts) instead of keeping its RepoTags. */
  repositoryTemplate?: string;
  /** What earlier polls settled, by name; undefined: read the receipts in the bucket. */
  settled?: Map<string, Settled>;
  /** Who imports, for the receipts. */
  importedBy: Receipt["importedBy"];
  signal?: AbortSignal;
  onOutcome?: (outcome: KeyOutcome) => void;
}

/** One poll's result: every archive matched, and what this poll did. */
export interface DropBoxResult {
  matched: DropBoxEntry[];
  outcomes: KeyOutcome[];
  /** The memory after this poll (pass it to the next). */
  settled: Map<string, Settled>;
  checksumList?: { etag: string; signedBy?: string };
}

/** True when this archive's current ETag needs no work (imported, or refused for good, at this ETag). */
function isSettled(entry: DropBoxEntry, settled: Settled | undefined): boolean {
  return settled !== undefined && settled.etag === entry.etag && !(settled.outcome === "failed" && settled.transient);
}

function receiptImages(images: readonly ImportedImage[]): Receipt["images"] {
  return images.map((i) => ({ source: i.source, references: i.references, digest: i.digest, mediaType: i.mediaType }));
}

async function importOne(
  options: DropBoxOptions,
  entry: DropBoxEntry,
  trusted: TrustedChecksums | undefined,
  signal: AbortSignal,
): Promise<KeyOutcome> {
  const { client, location } = options;
  const source = await S3Source.open({ client, bucket: location.bucket, key: entry.key, signal });
  const etag = source.etag;
  const sha256 = await sha256Of(source.stream(0, source.size, signal));
  if (trusted) checkListed(trusted, entry.name, sha256);
  const destination = options.repositoryTemplate
    ? templateDestination(options.importOptions.destination.registry, options.repositoryTemplate, entry.name)
    : options.importOptions.destination;
  const result = await importArchive(source, { ...options.importOptions, destination, signal });
  const receipt: Receipt = {
    version: "airlift.dev/receipt/v1",
    source: { bucket: location.bucket, key: entry.key, etag, size: source.size, sha256 },
    ...(trusted
      ? { checksumList: { etag: trusted.etag, ...(trusted.signedBy ? { signedBy: trusted.signedBy } : {}) } }
      : {}),
    images: receiptImages(result.images),
    importedAt: new Date().toISOString(),
    importedBy: options.importedBy,
  };
  await writeReceipt(client, { ...location, name: entry.name }, receipt, signal);
  return {
    name: entry.name,
    key: entry.key,
    etag,
    outcome: "imported",
    sha256,
    images: result.images,
    at: receipt.importedAt,
  };
}

/** Reasons that quarantine an archive: its bytes or its list are not trusted (a signature reason included). */
const QUARANTINE: ReadonlySet<string> = new Set([
  "ChecksumMismatch",
  "NotListed",
  "SignatureMissing",
  "SignatureInvalid",
  "SignatureKeyUnknown",
]);

/** An archive's failure as an outcome: refused by the checksums, or failed (transient or not). */
function failedOutcome(entry: DropBoxEntry, err: unknown): KeyOutcome {
  const c = classifyTransferError(err);
  return {
    name: entry.name,
    key: entry.key,
    etag: entry.etag,
    outcome: QUARANTINE.has(c.reason) ? "quarantined" : "failed",
    reason: c.reason,
    transient: c.transient,
    message: c.message,
    at: new Date().toISOString(),
  };
}

async function initialMemory(options: DropBoxOptions): Promise<Map<string, Settled>> {
  if (options.settled) return new Map(options.settled);
  const receipts = await readReceipts(options.client, options.location, options.signal);
  return new Map(
    [...receipts].map(([name, r]) => [
      name,
      {
        etag: r.source.etag,
        outcome: "imported" as const,
        at: r.importedAt,
        references: r.images.flatMap((i) => i.references.map((ref) => `${ref}@${i.digest}`)),
      },
    ]),
  );
}

/**
 * One poll of the drop-box: lists it, decides trust for the whole list at once (a list refused refuses every
 * archive), and imports each unsettled archive. Throws only when the prefix cannot be listed or its checksum list
 * read; everything about a single archive is an outcome.
 */
export async function pollDropBox(options: DropBoxOptions): Promise<DropBoxResult> {
  const listing = await scanDropBox(options.client, options.location, options.signal);
  const settled = await initialMemory(options);
  const todo = listing.entries.filter((e) => !isSettled(e, settled.get(e.name)));
  let trusted: TrustedChecksums | undefined;
  let refusal: Error | undefined;
  try {
    trusted = trustedChecksums(listing.checksums, options.checksums, options.keys ?? []);
  } catch (err) {
    refusal = err instanceof Error ? err : new Error(String(err));
  }
  const outcomes: KeyOutcome[] = [];
  await forEachBounded(todo, options.parallel ?? 2, options.signal, async (entry, signal) => {
    let outcome: KeyOutcome;
    try {
      if (refusal !== undefined) throw refusal;
      outcome = await importOne(options, entry, trusted, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      outcome = failedOutcome(entry, err);
    }
    settled.set(entry.name, settledOf(outcome));
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  });
  // Archives that left the prefix are forgotten (a new one under the same name is new).
  const present = new Set(listing.entries.map((e) => e.name));
  for (const name of settled.keys()) if (!present.has(name)) settled.delete(name);
  return {
    matched: listing.entries,
    outcomes,
    settled,
    ...(trusted
      ? { checksumList: { etag: trusted.etag, ...(trusted.signedBy ? { signedBy: trusted.signedBy } : {}) } }
      : {}),
  };
}
