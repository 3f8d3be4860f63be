import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { gunzipSync, gzipSync, inflateRawSync } from "node:zlib";
import { createParallelGzip, storedBlocks } from "./parallel-gzip.ts";

async function gzip(data: Buffer, chunk = 100_000): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunk) pieces.push(data.subarray(at, at + chunk));
  const out: Buffer[] = [];
  for await (const c of Readable.from(pieces).pipe(createParallelGzip({ blockSize: 256 * 1024 })))
    out.push(c as Buffer);
  return Buffer.concat(out);
}

describe("parallel gzip", () => {
  const text = Buffer.from("layer of repeated text, as a config tree holds ".repeat(40_000));

  it("writes one gzip member that round-trips, as small as one level-6 stream", async () => {
    const data = Buffer.concat([text, randomBytes(1_500_000), text.subarray(0, 333_333)]);
    const gz = await gzip(data);
    assert.deepEqual(gunzipSync(gz), data);
    const single = gzipSync(data, { level: 6 }).length;
    assert.ok(Math.abs(gz.length - single) / single < 0.01, `${gz.length} vs ${single}`);
  });

  it("stores random blocks instead of growing them", async () => {
    const data = randomBytes(2_000_000);
    const gz = await gzip(data);
    assert.deepEqual(gunzipSync(gz), data);
    // 5 bytes per stored block of at most 64 KiB (blocks end at 256 KiB boundaries), 10 header, 2 final, 8 trailer.
    const storedHeads = 5 * (Math.ceil(data.length / 65_535) + Math.ceil(data.length / (256 * 1024)));
    assert.ok(gz.length <= data.length + storedHeads + 20, `${gz.length - data.length} bytes of overhead`);
  });

  it("gzips empty input and input smaller than a block", async () => {
    assert.equal(gunzipSync(await gzip(Buffer.alloc(0))).length, 0);
    assert.equal(gunzipSync(await gzip(Buffer.from("x"))).toString(), "x");
  });

  it("encodes stored blocks of at most 65,535 bytes", () => {
    const data = randomBytes(200_000);
    const raw = Buffer.concat([storedBlocks(data), Buffer.from([0x03, 0x00])]);
    assert.deepEqual(inflateRawSync(raw), data);
    assert.equal(raw.length, data.length + 4 * 5 + 2);
  });
});
