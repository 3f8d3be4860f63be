// The workqueue's guarantees: dedup, one worker per key, re-queue of a key added while processed, delays, backoff.
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { ItemExponentialBackoff, TokenBucket, defaultRateLimiter } from "./rate-limiter.ts";
import { WorkQueue } from "./workqueue.ts";

function queue(): WorkQueue {
  return new WorkQueue({ name: "test", rateLimiter: new ItemExponentialBackoff(1_000, 8_000) });
}

describe("WorkQueue", () => {
  it("de-duplicates a key added many times while it waits", async () => {
    const q = queue();
    q.add("ns/a");
    q.add("ns/a");
    q.add("ns/b");
    q.add("ns/a");
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), "ns/a");
    assert.equal(await q.get(), "ns/b");
    assert.equal(q.len(), 0);
  });

  it("never hands a key being processed to a second worker, and re-queues it after done", async () => {
    const q = queue();
    q.add("ns/a");
    const first = await q.get();
    q.add("ns/a"); // changed while processing
    assert.equal(q.len(), 0, "a key in progress is not handed out again");
    let second: string | undefined;
    const waiting = q.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    assert.equal(second, undefined);
    q.done(first!);
    await waiting;
    assert.equal(second, "ns/a");
  });

  it("does not re-queue a key on done when nobody added it meanwhile", async () => {
    const q = queue();
    q.add("k");
    q.done((await q.get())!);
    assert.equal(q.len(), 0);
    assert.equal(q.inFlight(), 0);
  });

  it("addAfter delays a key, and the earliest of two delays wins", () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"] });
    try {
      const q = queue();
      q.addAfter("k", 5_000);
      q.addAfter("k", 1_000);
      q.addAfter("k", 9_000);
      mock.timers.tick(999);
      assert.equal(q.len(), 0);
      mock.timers.tick(1);
      assert.equal(q.len(), 1);
      mock.timers.tick(10_000);
      assert.equal(q.len(), 1, "the later delays were dropped");
    } finally {
      mock.timers.reset();
    }
  });

  it("addRateLimited backs off exponentially per key up to the cap, and forget resets it", () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"] });
    try {
      const q = queue();
      const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited("k"));
      assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 8_000]);
      assert.equal(q.retries("k"), 5);
      assert.equal(q.addRateLimited("other"), 1_000, "backoff is per key");
      q.forget("k");
      assert.equal(q.retries("k"), 0);
      assert.equal(q.addRateLimited("k"), 1_000);
    } finally {
      mock.timers.reset();
    }
  });

  it("shutDown stops handing out work and wakes waiting workers", async () => {
    const q = queue();
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add("k");
    assert.equal(await q.get(), undefined);
    assert.equal(q.len(), 0);
  });

  it("reports adds, depth, queue latency, work duration and retries to its metrics hooks", async () => {
    const seen = { adds: 0, depths: [] as number[], latencies: [] as number[], work: [] as number[], retries: 0 };
    const q = new WorkQueue({
      name: "m",
      metrics: {
        add: () => seen.adds++,
        depth: (d) => seen.depths.push(d),
        queueLatency: (s) => seen.latencies.push(s),
        workDuration: (s) => seen.work.push(s),
        retry: () => seen.retries++,
      },
    });
    q.add("a");
    q.add("b");
    q.add("a");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await q.get(), "a");
    assert.equal(q.unfinishedWork().longestSeconds < 0.01, true, "just handed out");
    await new Promise((r) => setTimeout(r, 30));
    const unfinished = q.unfinishedWork();
    assert.ok(unfinished.longestSeconds >= 0.025, `longest ${unfinished.longestSeconds}`);
    assert.equal(unfinished.totalSeconds, unfinished.longestSeconds);
    q.done("a");
    assert.deepEqual(q.unfinishedWork(), { totalSeconds: 0, longestSeconds: 0 });
    q.addRateLimited("c");
    q.shutDown();
    assert.equal(seen.adds, 2, "the second add of a waiting key is not an add");
    assert.deepEqual(seen.depths, [1, 2, 1]);
    assert.equal(seen.latencies.length, 1);
    assert.ok((seen.latencies[0] ?? 0) >= 0.015, `queued for ${seen.latencies[0]} s`);
    assert.equal(seen.work.length, 1);
    assert.ok((seen.work[0] ?? 0) >= 0.025, `worked for ${seen.work[0]} s`);
    assert.equal(seen.retries, 1);
  });
});

describe("rate limiters", () => {
  it("the token bucket lets a burst through, then spaces items at 1/qps", () => {
    mock.timers.enable({ apis: ["Date"] });
    try {
      const bucket = new TokenBucket(10, 3);
      assert.deepEqual(
        [0, 1, 2].map((i) => bucket.when(`k${i}`)),
        [0, 0, 0],
      );
      assert.equal(bucket.when("k3"), 100);
      assert.equal(bucket.when("k4"), 200);
      mock.timers.tick(1_000);
      assert.equal(bucket.when("k5"), 0);
    } finally {
      mock.timers.reset();
    }
  });

  it("the default limiter takes the larger of backoff and bucket delay", () => {
    mock.timers.enable({ apis: ["Date"] });
    try {
      const limiter = defaultRateLimiter({ baseDelayMs: 10, maxDelayMs: 1_000, qps: 1, burst: 1 });
      assert.equal(limiter.when("a"), 10);
      assert.equal(limiter.when("a"), 1_000, "second token is 1 s away, more than the 20 ms backoff");
      assert.equal(limiter.retries("a"), 2);
    } finally {
      mock.timers.reset();
    }
  });
});
