// Receipts: after each drop-box import, a small JSON object written back to the bucket under
// `<prefix>/.airlift/receipts/<name>.json`, so the connected side can prove what arrived (source key, ETag, SHA-256,
// the references and digests pushed, when, by whom). They are also the drop-box's memory: an archive whose receipt
// names its current ETag is not imported again, across restarts and from the CLI alike.
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { listPrefix, uploadStream } from "../storage/s3-sink.ts";
import { S3Source } from "../storage/s3-source.ts";
import { forEachBounded } from "./pool.ts";
import { AIRLIFT_FOLDER, folderPrefix } from "./drop-box-scan.ts";

/** The receipt format's version; readers skip receipts of another. */
export const RECEIPT_VERSION = "airlift.dev/receipt/v1";
const RECEIPTS = `${AIRLIFT_FOLDER}receipts/`;
const MAX_RECEIPT_BYTES = 1 << 20;

/** One pushed image as a receipt lists it. */
export interface ReceiptImage {
  source: string;
  references: string[];
  digest: string;
  mediaType: string;
}

/** What one import proves. */
export interface Receipt {
  version: typeof RECEIPT_VERSION;
  source: { bucket: string; key: string; etag: string; size: number; sha256: string };
  /** The checksum list the archive was checked against, when there was one. */
  checksumList?: { etag: string; signedBy?: string };
  images: ReceiptImage[];
  importedAt: string;
  /** The operator instance or CLI user, and the object that asked (namespace/name) when the operator did. */
  importedBy: { identity: string; version: string; object?: string };
}

/** The key of the receipt of archive `name` (relative to the prefix). */
export function receiptKey(prefix: string, name: string): string {
  return `${folderPrefix(prefix)}${RECEIPTS}${name}.json`;
}

/** Writes the receipt (one PUT). */
export async function writeReceipt(
  client: S3Client,
  location: { bucket: string; prefix: string; name: string },
  receipt: Receipt,
  signal?: AbortSignal,
): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(receipt, null, 2)}\n`);
  await uploadStream({
    client,
    bucket: location.bucket,
    key: receiptKey(location.prefix, location.name),
    body: Readable.from([body]),
    contentType: "application/json",
    signal,
  });
}

function asReceipt(bytes: Buffer): Receipt | undefined {
  try {
    const parsed = JSON.parse(bytes.toString("utf8")) as Partial<Receipt>;
    return parsed.version === RECEIPT_VERSION && parsed.source && Array.isArray(parsed.images)
      ? (parsed as Receipt)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Every readable receipt under the prefix, by archive name (unreadable or foreign ones are skipped). */
export async function readReceipts(
  client: S3Client,
  location: { bucket: string; prefix: string },
  signal?: AbortSignal,
): Promise<Map<string, Receipt>> {
  const folder = `${folderPrefix(location.prefix)}${RECEIPTS}`;
  const listed = (await listPrefix(client, location.bucket, folder, { signal })).filter(
    (o) => o.key.endsWith(".json") && o.size > 0 && o.size <= MAX_RECEIPT_BYTES,
  );
  const receipts = new Map<string, Receipt>();
  await forEachBounded(listed, 8, signal, async (o, s) => {
    const source = await S3Source.open({ client, bucket: location.bucket, key: o.key, signal: s });
    const receipt = asReceipt(await source.read(0, source.size, s));
    if (receipt) receipts.set(o.key.slice(folder.length, -".json".length), receipt);
  });
  return receipts;
}
