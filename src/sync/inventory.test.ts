import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeInventory,
  encodeInventory,
  inventoryDiff,
  normalizeInventory,
  type InventoryEntry,
} from "./inventory.ts";
import { checkPruneSafeguards } from "./prune.ts";
import { PruneSafeguardError } from "./errors.ts";

const e = (kind: string, namespace: string, name: string, group = "", version = "v1"): InventoryEntry => ({
  group,
  kind,
  namespace,
  name,
  version,
});

describe("inventory", () => {
  it("round-trips the compact form, names with underscores included", () => {
    const dns = fc.stringMatching(/^[a-z0-9]([a-z0-9.-]{0,20}[a-z0-9])?$/);
    const entry = fc.record({
      group: fc.oneof(fc.constant(""), dns),
      kind: fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,15}$/),
      namespace: fc.oneof(fc.constant(""), fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)),
      name: fc.stringMatching(/^[a-z0-9:_]([a-z0-9._:-]{0,20}[a-z0-9_])?$/),
      version: fc.stringMatching(/^v[0-9](alpha|beta)?[0-9]?$/),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) =>
        assert.deepEqual(
          decodeInventory(encodeInventory(entries)),
          entries.map((x) => ({ ...x })),
        ),
      ),
    );
  });

  it("prune candidates are the previous inventory minus the current set", () => {
    const previous = [e("ConfigMap", "t", "a"), e("ConfigMap", "t", "b"), e("Namespace", "", "t")];
    assert.deepEqual(
      inventoryDiff(previous, [
        { group: "", kind: "ConfigMap", namespace: "t", name: "a" },
        { group: "", kind: "Namespace", namespace: "", name: "t" },
      ]),
      [e("ConfigMap", "t", "b")],
    );
  });

  it("normalises to one sorted entry per identity", () => {
    assert.deepEqual(
      normalizeInventory([e("ConfigMap", "t", "b"), e("ConfigMap", "t", "a"), e("ConfigMap", "t", "b", "", "v2")]),
      [e("ConfigMap", "t", "a"), e("ConfigMap", "t", "b", "", "v2")],
    );
  });
});

describe("prune safeguards", () => {
  it("refuse to prune everything for an empty source unless allowed", () => {
    const refused = checkPruneSafeguards(3, 3, 0);
    assert.ok(refused instanceof PruneSafeguardError);
    assert.match(refused.message, /no objects.*all 3/);
    assert.equal(checkPruneSafeguards(3, 3, 0, { allowPruneAll: true }), undefined);
  });

  it("refuse a large fraction of a large inventory unless allowed; small inventories are exempt", () => {
    assert.ok(checkPruneSafeguards(6, 10, 4) instanceof PruneSafeguardError);
    assert.equal(checkPruneSafeguards(5, 10, 5), undefined);
    assert.equal(checkPruneSafeguards(6, 10, 4, { allowLargePrune: true }), undefined);
    assert.equal(checkPruneSafeguards(2, 3, 1), undefined);
    assert.ok(
      checkPruneSafeguards(2, 3, 1, { minInventoryForFraction: 1, maxPruneFraction: 0.5 }) instanceof
        PruneSafeguardError,
    );
    assert.equal(checkPruneSafeguards(0, 10, 0), undefined);
  });
});
