import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { readBounded } from "./bounded-read.ts";

function chunks(...sizes: number[]): Readable {
  return Readable.from(sizes.map((n, i) => Buffer.alloc(n, 97 + i)));
}

describe("readBounded", () => {
  it("returns the whole body up to and including the limit", async () => {
    assert.equal((await readBounded(chunks(3, 4), 7))?.toString(), "aaabbbb");
    assert.equal((await readBounded(chunks(), 0))?.length, 0);
  });

  it("gives undefined past the limit and destroys the stream", async () => {
    const body = chunks(4, 4, 4);
    assert.equal(await readBounded(body, 7), undefined);
    assert.ok(body.destroyed);
  });

  it("throws the caller's error past the limit", async () => {
    const body = chunks(8);
    await assert.rejects(
      readBounded(body, 7, () => new RangeError("too big")),
      (err: unknown) => err instanceof RangeError && err.message === "too big",
    );
    assert.ok(body.destroyed);
  });

  it("passes a broken stream's error on", async () => {
    const body = new Readable({
      read() {
        this.destroy(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
      },
    });
    await assert.rejects(readBounded(body, 10), /reset/);
  });
});
