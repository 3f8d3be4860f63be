import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { StreamCursor } from "./stream-cursor.ts";

const source = (...pieces: string[]): Readable => Readable.from(pieces.map((p) => Buffer.from(p)));

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts).toString();
}

describe("StreamCursor", () => {
  it("takes exact lengths across piece boundaries, keeping the rest, and sees every byte once", async () => {
    const seen: string[] = [];
    const cursor = new StreamCursor(source("abc", "defgh", "ij"), (p) => seen.push(p.toString()));
    assert.equal(await collect(cursor.take(4)), "abcd");
    assert.equal(cursor.position, 4);
    assert.equal(await cursor.skip(2), 2);
    assert.equal(await collect(cursor.take(10)), "ghij");
    assert.equal(cursor.exhausted, true);
    assert.equal(await cursor.atEnd(), true);
    assert.equal(seen.join(""), "abcdefghij");
  });

  it("atEnd peeks without losing the byte it read", async () => {
    const cursor = new StreamCursor(source("x", "yz"));
    assert.equal(await collect(cursor.take(1)), "x");
    assert.equal(await cursor.atEnd(), false);
    assert.equal(cursor.exhausted, false);
    assert.equal(await collect(cursor.take(5)), "yz");
    assert.equal(await cursor.atEnd(), true);
  });

  it("close releases the source", async () => {
    const stream = source("a", "b");
    const cursor = new StreamCursor(stream);
    await cursor.next(1);
    await cursor.close();
    assert.equal(stream.destroyed, true);
  });
});
