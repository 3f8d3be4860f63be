import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { timeoutSignal } from "./timeout-signal.ts";

describe("timeoutSignal", () => {
  it("aborts with a TimeoutError after the limit, or with the caller's reason first", async () => {
    const alone = timeoutSignal(undefined, 5);
    await new Promise((resolve) => alone.addEventListener("abort", resolve));
    assert.equal((alone.reason as Error).name, "TimeoutError");
    const caller = new AbortController();
    const both = timeoutSignal(caller.signal, 60_000);
    caller.abort();
    assert.ok(both.aborted);
    assert.equal((both.reason as Error).name, "AbortError");
  });
});
