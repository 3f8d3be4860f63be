import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { forEachBounded } from "./pool.ts";

describe("forEachBounded", () => {
  it("never runs more than the limit at once and runs every item", async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5, 6, 7], 3, undefined, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(5);
      seen.push(n);
      running--;
    });
    assert.equal(peak, 3);
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
  });

  it("aborts the others on the first failure and throws that failure", async () => {
    const aborted: number[] = [];
    await assert.rejects(
      forEachBounded([1, 2, 3], 3, undefined, async (n, signal) => {
        if (n === 2) throw new Error("boom");
        await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
        aborted.push(n);
      }),
      /boom/,
    );
    assert.deepEqual(aborted.sort(), [1, 3]);
  });

  it("stops when the caller's signal is aborted", async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const run = forEachBounded([1, 2, 3, 4], 1, controller.signal, async (n) => {
      started.push(n);
      controller.abort(new Error("cancelled"));
    });
    await assert.rejects(run, /cancelled/);
    assert.deepEqual(started, [1]);
  });
});
