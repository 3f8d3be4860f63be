import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRetryAfter } from "./retry-after.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");

  it("reads delay-seconds and HTTP dates", () => {
    assert.equal(parseRetryAfter("3", now), 3000);
    assert.equal(parseRetryAfter(" 0 ", now), 0);
    assert.equal(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now), 10_000);
    assert.equal(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", now), 0, "a past date means now");
  });

  it("ignores absent and malformed values", () => {
    for (const bad of [undefined, "", "-1", "1.5", "soon", "1e3"])
      assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  });
});
