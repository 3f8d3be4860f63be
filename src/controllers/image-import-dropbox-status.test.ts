import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DropBoxEntry, KeyOutcome, Settled } from "../transfer/drop-box.ts";
import {
  dropBoxCounts,
  dropBoxStatus,
  dropBoxVerdict,
  outcomesText,
  RECENT_LIMIT,
} from "./image-import-dropbox-status.ts";

const AT = "2026-12-03T10:00:00.000Z";
const entry = (name: string, etag = `"${name}"`): DropBoxEntry => ({ key: `g/${name}`, name, etag, size: 1 });
const settled = (etag: string, outcome: Settled["outcome"], extra: Partial<Settled> = {}): Settled => ({
  etag,
  outcome,
  at: AT,
  ...extra,
});
const outcome = (name: string, o: KeyOutcome["outcome"]): KeyOutcome => ({
  name,
  key: `g/${name}`,
  etag: `"${name}"`,
  outcome: o,
  at: AT,
});

describe("drop-box status", () => {
  const matched = [entry("a.tar"), entry("b.tar"), entry("c.tar"), entry("d.tar")];
  const memory = new Map<string, Settled>([
    ["a.tar", settled('"a.tar"', "imported", { references: ["r/a:1@sha256:1"] })],
    ["b.tar", settled('"b.tar"', "quarantined", { reason: "ChecksumMismatch", message: "bytes differ" })],
    // Settled at an older ETag: the object was replaced, so it is pending again.
    ["c.tar", settled('"old"', "imported")],
    ["gone.tar", settled('"gone"', "imported")],
  ]);

  it("counts only archives matched now, at their current ETag", () => {
    assert.deepEqual(dropBoxCounts({ matched, settled: memory }), {
      matched: 4,
      imported: 1,
      quarantined: 1,
      failed: 0,
      pending: 2,
    });
  });

  it("is Stalled naming a quarantined archive, retrying when only transient failures remain, else Ready", () => {
    const stalled = dropBoxVerdict({ matched, settled: memory, outcomes: [] }, "s3://b/g/");
    assert.equal(stalled.kind, "stalled");
    assert.ok(stalled.kind === "stalled" && stalled.reason === "ChecksumMismatch");
    assert.match(stalled.message, /b\.tar \(ChecksumMismatch: bytes differ\)/);
    const flaky = new Map([
      ["a.tar", settled('"a.tar"', "failed", { transient: true, reason: "RegistryUnavailable" })],
    ]);
    const retrying = dropBoxVerdict({ matched: [entry("a.tar")], settled: flaky, outcomes: [] }, "s3://b/g/");
    assert.deepEqual([retrying.kind, "reason" in retrying && retrying.reason], ["retrying", "RegistryUnavailable"]);
    const fine = new Map([["a.tar", settled('"a.tar"', "imported")]]);
    assert.equal(dropBoxVerdict({ matched: [entry("a.tar")], settled: fine, outcomes: [] }, "x").kind, "ready");
    assert.match(dropBoxVerdict({ matched: [], settled: new Map(), outcomes: [] }, "s3://b/g/").message, /no archive/);
  });

  it("keeps the newest outcomes first, one per archive, bounded", () => {
    const previous = dropBoxStatus(
      { matched, settled: memory, outcomes: [outcome("a.tar", "imported"), outcome("b.tar", "quarantined")] },
      undefined,
      { outcomesConfigMap: "x-drop-box", now: AT },
    );
    assert.deepEqual(
      previous.recent?.map((r) => r.name),
      ["b.tar", "a.tar"],
    );
    const many = Array.from({ length: RECENT_LIMIT + 5 }, (_, i) => outcome(`n${i}.tar`, "imported"));
    const next = dropBoxStatus(
      { matched, settled: memory, outcomes: [outcome("a.tar", "failed"), ...many] },
      previous,
      {
        outcomesConfigMap: "x-drop-box",
        now: AT,
      },
    );
    assert.equal(next.recent?.length, RECENT_LIMIT);
    assert.equal(next.recent?.[0]?.name, `n${RECENT_LIMIT + 4}.tar`);
  });

  it("lists every matched archive in the outcomes text, pending ones too", () => {
    const lines = outcomesText({ matched, settled: memory }).trim().split("\n");
    assert.equal(lines.length, 5);
    assert.equal(lines[1], ["a.tar", "imported", '"a.tar"', "", AT, "r/a:1@sha256:1"].join("\t"));
    assert.ok(lines[3]?.startsWith('c.tar\tpending\t"c.tar"'));
  });
});
