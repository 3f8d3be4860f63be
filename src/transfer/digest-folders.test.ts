// The OciSync staging folder after a crash: what a killed extraction left is removed whether the next reconcile
// pulls again or reuses an earlier digest's folder (a kill loop found the reuse path keeping it).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { digestFolder, reuseFolder } from "./digest-folders.ts";

const one = `sha256:${"1".repeat(64)}`;
const two = `sha256:${"2".repeat(64)}`;

function base(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "airlift-ocisync-folder-"));
  for (const name of names) mkdirSync(join(dir, name, "inner"), { recursive: true });
  return dir;
}

describe("reuseFolder", () => {
  it("reuses an extracted digest and removes a killed extraction's leftovers and other digests' folders", async () => {
    const dir = base([digestFolder("", one), digestFolder("", two), `.sha256-${"2".repeat(64)}.extract-0123456789ab`]);
    assert.equal(await reuseFolder(dir, one), true);
    assert.deepEqual(readdirSync(dir), [digestFolder("", one)]);
  });

  it("says a digest must be pulled, still removing leftovers but keeping the folder in use until the pull replaces it", async () => {
    const dir = base([digestFolder("", one), `.sha256-${"2".repeat(64)}.old-ba9876543210`]);
    assert.equal(await reuseFolder(dir, two), false);
    assert.deepEqual(readdirSync(dir), [digestFolder("", one)]);
  });
});
