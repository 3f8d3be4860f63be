// The measured process of bench/archive-stream.ts: opens an archive in S3 through S3Source and hashes every
// layer blob as it streams (no upload), verifying digests. Prints one JSON line with what it saw.
import { createHash } from "node:crypto";
import { openImageArchive } from "../src/archive/index.ts";
import { createS3Client, S3Source } from "../src/storage/index.ts";

const [endpoint, accessKeyId, secretAccessKey, bucket, key] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const client = createS3Client({ endpoint, accessKeyId, secretAccessKey, forcePathStyle: true });
const archive = await openImageArchive(await S3Source.open({ client, bucket, key, ownsClient: true }));
let bytes = 0;
const digests: string[] = [];
await archive.streamBlobs(
  archive.images.flatMap((i) => i.layers),
  async (blob, body) => {
    const hash = createHash("sha256");
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    const digest = `sha256:${hash.digest("hex")}`;
    if (digest !== blob.digest) throw new Error(`digest mismatch for ${blob.member}`);
    digests.push(digest);
  },
  { verifyDigest: false },
);
await archive.close();
process.stdout.write(`${JSON.stringify({ wrapping: archive.wrapping, layers: digests.length, bytes })}\n`);
