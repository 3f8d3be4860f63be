import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";
import { BlobVerifier } from "./blob-verifier.ts";
import { digestOf } from "./digest.ts";
import { ContentMismatchError } from "./errors.ts";

async function drain(data: Buffer, verifier: BlobVerifier): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([data.subarray(0, 3), data.subarray(3)]),
    verifier,
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    },
  );
  return Buffer.concat(out);
}

describe("blob verifier", () => {
  const data = Buffer.from("hello, blob");

  it("passes bytes of the right size and digest through", async () => {
    const verifier = new BlobVerifier({ what: "blob", size: data.length, digest: digestOf(data) });
    assert.deepEqual(await drain(data, verifier), data);
    assert.equal(verifier.bytesSeen, data.length);
  });

  it("fails on too many, too few or different bytes", async () => {
    const mismatch =
      (property: string) =>
      (err: unknown): boolean =>
        err instanceof ContentMismatchError &&
        err.code === "DIGEST_MISMATCH" &&
        err.message.startsWith(`blob: ${property}`);
    await assert.rejects(drain(data, new BlobVerifier({ what: "blob", size: data.length - 1 })), mismatch("size"));
    await assert.rejects(drain(data, new BlobVerifier({ what: "blob", size: data.length + 1 })), mismatch("size"));
    await assert.rejects(
      drain(data, new BlobVerifier({ what: "blob", size: data.length, digest: digestOf("other") })),
      mismatch("digest"),
    );
  });

  it("fails with the caller's own error type when given one", async () => {
    class Mine extends Error {}
    await assert.rejects(
      drain(data, new BlobVerifier({ what: "blob", size: 1, mismatch: (what) => new Mine(what) })),
      Mine,
    );
  });
});
