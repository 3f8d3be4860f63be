import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatDuration, parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  const table: [string, number][] = [
    ["15s", 15_000],
    ["10m", 600_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    ["1m30s", 90_000],
    ["0s", 0],
  ];
  for (const [text, ms] of table) it(`${text} → ${ms} ms`, () => assert.equal(parseDuration(text), ms));

  for (const bad of ["", "15", "s", "1d", "-5s", "1h 30m", "1.s", "15S", "ten minutes"]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseDuration(bad), RangeError));
  }

  it("formatDuration is its inverse on whole milliseconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => parseDuration(formatDuration(ms)) === ms),
    );
  });

  it("formats like Go, without zero parts", () => {
    assert.equal(formatDuration(5_400_000), "1h30m");
    assert.equal(formatDuration(1_500), "1.5s");
    assert.equal(formatDuration(3_600_000), "1h");
  });
});
