import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { barLine, formatBytes, progressMode, progressPrinter, progressText } from "./progress-printer.ts";

const MiB = 2 ** 20;

function sink(
  tty: boolean,
  columns = 80,
): { out: PassThrough & { isTTY?: boolean; columns?: number }; text: () => string } {
  const out: PassThrough & { isTTY?: boolean; columns?: number } = new PassThrough();
  out.isTTY = tty;
  out.columns = columns;
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
}

describe("transfer progress", () => {
  it("formats sizes and one line of progress with rate and ETA", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(1.5 * MiB), "1.5 MiB");
    assert.equal(formatBytes(3 * 1024 * MiB), "3.0 GiB");
    assert.equal(
      progressText({ bytesDone: 50 * MiB, bytesTotal: 200 * MiB, blobsDone: 1, blobsTotal: 4 }, 10 * MiB),
      "50.0 MiB / 200.0 MiB  25%  blobs 1/4  10.0 MiB/s  ETA 15s",
    );
  });

  it("picks a bar on a terminal and plain lines elsewhere", () => {
    assert.equal(progressMode("auto", sink(true).out), "bar");
    assert.equal(progressMode("auto", sink(false).out), "plain");
    assert.equal(progressMode("none", sink(true).out), "none");
  });

  it("redraws the bar in place, erasing what a longer line left, within the terminal's width", async () => {
    const s = sink(true, 60);
    let t = 0;
    const p = progressPrinter("bar", s.out, () => t);
    assert.ok(p.intervalMs <= 200);
    t = 1000;
    p.onProgress?.({ bytesDone: 900 * MiB, bytesTotal: 1000 * MiB, blobsDone: 1, blobsTotal: 2 });
    t = 2000;
    p.onProgress?.({ bytesDone: 1000 * MiB, bytesTotal: 1000 * MiB, blobsDone: 2, blobsTotal: 2 });
    p.done();
    await new Promise((r) => setImmediate(r));
    const draws = s.text().split("\r").slice(1);
    assert.equal(draws.length, 2);
    for (const d of draws) {
      assert.ok(d.replace(/\x1b\[K\n?$/, "").length <= 59, d);
      assert.match(d, /\x1b\[K\n?$/);
    }
    assert.match(s.text(), /\n$/);
    assert.equal(
      barLine({ bytesDone: 1, bytesTotal: 2, blobsDone: 0, blobsTotal: 1 }, 0, 200),
      "[############------------] 1 B / 2 B  50%  blobs 0/1  0 B/s",
    );
    assert.equal(
      barLine({ bytesDone: 1, bytesTotal: 2, blobsDone: 0, blobsTotal: 1 }, undefined, 200),
      "[############------------] 1 B / 2 B  50%  blobs 0/1",
    );
    assert.match(
      progressText({ bytesDone: 0, bytesTotal: 10 * 1024 * MiB, blobsDone: 0, blobsTotal: 1 }, 1024),
      /ETA 2912h42m$/,
    );
  });

  it("clears the bar before a line printed above it", async () => {
    const s = sink(true);
    const p = progressPrinter("bar", s.out);
    p.onProgress?.({ bytesDone: 1, bytesTotal: 2, blobsDone: 0, blobsTotal: 1 });
    p.above(() => s.out.write("pushed app:1\n"));
    p.done();
    await new Promise((r) => setImmediate(r));
    assert.match(s.text(), /\x1b\[K\r\x1b\[Kpushed app:1\n$/);
  });

  it("prints plain lines every few seconds, never a carriage return", async () => {
    const s = sink(false);
    const p = progressPrinter("plain", s.out);
    assert.ok(p.intervalMs >= 1000);
    p.onProgress?.({ bytesDone: MiB, bytesTotal: 2 * MiB, blobsDone: 0, blobsTotal: 1 });
    p.done();
    await new Promise((r) => setImmediate(r));
    assert.equal(s.text(), "progress: 1.0 MiB / 2.0 MiB  50%  blobs 0/1\n");
    assert.doesNotMatch(s.text(), /\r/);
  });
});
