// The platform subset of an index: wanted platforms, their BuildKit attestations, nested indexes that keep something.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Descriptor } from "../ocispec/descriptor.ts";
import { digestOf } from "../ocispec/digest.ts";
import { OCI_INDEX, OCI_MANIFEST } from "../ocispec/media-types.ts";
import { keptEntries, reducedIndex } from "./index-platforms.ts";

function entry(name: string, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: OCI_MANIFEST, digest: digestOf(name), size: 10, ...extra };
}

const amd = entry("amd", { platform: { os: "linux", architecture: "amd64" } });
const arm = entry("arm", { platform: { os: "linux", architecture: "arm64", variant: "v8" } });
const attestation = (of: Descriptor, name: string): Descriptor =>
  entry(name, {
    platform: { os: "unknown", architecture: "unknown" },
    annotations: { "vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": of.digest },
  });
const nested = entry("nested", { mediaType: OCI_INDEX });

describe("keptEntries", () => {
  it("keeps the wanted platforms and only their attestation manifests", () => {
    const all = [amd, arm, attestation(amd, "att-amd"), attestation(arm, "att-arm")];
    const kept = keptEntries(all, ["linux/arm64"], () => false);
    assert.deepEqual(
      kept.map((d) => d.digest),
      [arm.digest, digestOf("att-arm")],
    );
  });

  it("keeps a nested index only when it keeps something", () => {
    assert.deepEqual(
      keptEntries([amd, nested], ["linux/amd64"], () => false),
      [amd],
    );
    assert.deepEqual(
      keptEntries([amd, nested], ["linux/s390x"], () => true),
      [nested],
    );
  });
});

describe("reducedIndex", () => {
  it("returns the original bytes when nothing is dropped, else a new document with the kept entries", () => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd, arm] }));
    assert.equal(reducedIndex(bytes, [amd, arm], [amd, arm]), bytes);
    const reduced = JSON.parse(reducedIndex(bytes, [amd, arm], [arm]).toString()) as { manifests: Descriptor[] };
    assert.deepEqual(reduced.manifests, [arm]);
  });

  it("names a nested index that was itself reduced by its new digest and size", () => {
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [nested, amd] }));
    const now = { ...nested, digest: digestOf("nested-reduced"), size: 99 };
    const out = JSON.parse(
      reducedIndex(bytes, [nested, amd], [nested], new Map([[nested.digest, now]])).toString(),
    ) as {
      manifests: Descriptor[];
    };
    assert.deepEqual(out.manifests, [now]);
  });
});
