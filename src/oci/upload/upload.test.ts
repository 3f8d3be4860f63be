import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Readable } from "node:stream";
import { ChunkReader } from "./chunk-reader.ts";
import { nextLink } from "../../net/link-header.ts";
import { committedFromRange } from "./session.ts";

describe("upload helpers", () => {
  it("reads the committed size from Range", () => {
    assert.equal(committedFromRange("0-1023"), 1024);
    assert.equal(committedFromRange("bytes=0-9"), 10);
    assert.equal(committedFromRange("0-0"), 0);
    assert.equal(committedFromRange(undefined), undefined);
    assert.equal(committedFromRange("5-9"), undefined);
  });

  it("cuts a stream into fixed chunks whatever its piece sizes", async () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const reader = new ChunkReader(
      Readable.from([data.subarray(0, 7), data.subarray(7, 500), data.subarray(500)]),
      300,
    );
    const sizes: number[] = [];
    const parts: Buffer[] = [];
    for (let c = await reader.read(); c; c = await reader.read()) {
      sizes.push(c.length);
      parts.push(Buffer.from(c));
    }
    assert.deepEqual(sizes, [300, 300, 300, 100]);
    assert.deepEqual(Buffer.concat(parts), data);
  });

  it("finds rel=next in Link headers", () => {
    const base = new URL("https://r.example/v2/a/tags/list?n=2");
    assert.equal(
      nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', base)?.toString(),
      "https://r.example/v2/a/tags/list?n=2&last=b",
    );
    assert.equal(
      nextLink('<https://r.example/p1>; rel="prev", <https://r.example/p3>; rel=next', base)?.toString(),
      "https://r.example/p3",
    );
    assert.equal(nextLink('</x>; rel="prev"', base), undefined);
    assert.equal(nextLink(undefined, base), undefined);
  });
});
