import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ProgressTracker, type ProgressSnapshot } from "./progress.ts";

describe("ProgressTracker", () => {
  it("never goes backwards and reads 100% only after every blob is finished", () => {
    const seen: ProgressSnapshot[] = [];
    const tracker = new ProgressTracker((s) => seen.push(s), 0);
    tracker.expect("a", 100);
    tracker.expect("b", 50);
    tracker.update("a", 60);
    tracker.update("a", 30); // a retried chunk reports less: ignored
    tracker.update("b", 50); // all bytes sent but not committed yet
    assert.ok(tracker.snapshot().bytesDone < 150);
    tracker.update("a", 100);
    assert.ok(tracker.snapshot().bytesDone < 150);
    tracker.finish("a");
    tracker.finish("b");
    tracker.flush();
    const dones = seen.map((s) => s.bytesDone);
    assert.deepEqual(
      dones,
      [...dones].sort((x, y) => x - y),
    );
    assert.deepEqual(tracker.snapshot(), { bytesDone: 150, bytesTotal: 150, blobsDone: 2, blobsTotal: 2 });
  });

  it("throttles updates to the interval", () => {
    const seen: ProgressSnapshot[] = [];
    const tracker = new ProgressTracker((s) => seen.push(s), 60_000);
    tracker.expect("a", 1000);
    for (let i = 1; i <= 100; i++) tracker.update("a", i * 5);
    assert.equal(seen.length, 1);
  });
});
