import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { backoffDelay, defaultRetryPolicy, retryDelay, withRetry } from "./backoff.ts";
import { CodedError } from "./coded-error.ts";

const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };

describe("backoffDelay", () => {
  it("doubles the ceiling from the base up to the cap, with jitter in the upper half", () => {
    assert.equal(
      backoffDelay(policy, 1, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(policy, 1, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(policy, 3, () => 1),
      400,
    );
    assert.equal(
      backoffDelay(policy, 10, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(policy, 10, () => 0),
      500,
    );
  });

  it("always lies between half the ceiling and the ceiling, never above maxDelayMs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 60_000 }),
        (attempt, r, base, max) => {
          const p = { ...policy, baseDelayMs: base, maxDelayMs: max };
          const ceiling = Math.min(max, base * 2 ** (attempt - 1));
          const delay = backoffDelay(p, attempt, () => r);
          assert.ok(delay >= Math.floor(ceiling / 2) && delay <= Math.ceil(ceiling), `${delay} for ceiling ${ceiling}`);
          assert.ok(delay <= max);
        },
      ),
    );
  });
});

describe("retryDelay", () => {
  it("waits as long as Retry-After asks, up to maxRetryAfterMs; without it, the backoff", () => {
    assert.equal(retryDelay(policy, 1, 3000), 3000);
    assert.equal(retryDelay(policy, 1, 0), 0);
    assert.equal(retryDelay(policy, 1, 60_000), 5000);
    const backoff = retryDelay(policy, 2, undefined);
    assert.ok(backoff >= 100 && backoff <= 200, String(backoff));
  });
});

describe("withRetry", () => {
  const fast = { ...defaultRetryPolicy, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };
  const transient = (): CodedError => new CodedError("busy", "BUSY", true);

  it("retries transient errors until success, telling fn the attempt", async () => {
    const seen: number[] = [];
    const value = await withRetry(async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw transient();
      return "ok";
    }, fast);
    assert.equal(value, "ok");
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it("gives up after maxAttempts with the last error, and at once on a permanent one", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw transient();
      }, fast),
      /busy/,
    );
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw new CodedError("gone", "GONE", false);
      }, fast),
      /gone/,
    );
    assert.equal(calls, 1);
  });

  it("stops when the signal aborts, during the wait or before an attempt", async () => {
    const controller = new AbortController();
    const slow = { ...fast, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    const pending = withRetry(
      async () => {
        throw transient();
      },
      slow,
      controller.signal,
    );
    setImmediate(() => controller.abort());
    await assert.rejects(pending, (err: unknown) => err instanceof Error && err.name === "AbortError");
    await assert.rejects(
      withRetry(async () => "never", fast, controller.signal),
      (err: unknown) => err instanceof Error && err.name === "AbortError",
    );
  });
});
