import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stripForCache } from "./cache-transform.ts";
import type { KubeObject } from "./resource.ts";

describe("stripForCache", () => {
  it("drops managedFields and the last-applied annotation and keeps everything else", () => {
    const obj = {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "OciSync",
      metadata: {
        name: "s",
        namespace: "ns",
        resourceVersion: "7",
        managedFields: [{ manager: "kubectl", operation: "Apply" }],
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}", "airlift.dev/keep": "yes" },
        labels: { a: "b" },
      },
      spec: { suspend: true },
      status: { observedGeneration: 1 },
    } as KubeObject;
    const before = structuredClone(obj);
    const kept = stripForCache(obj);
    assert.deepEqual(kept, {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "OciSync",
      metadata: {
        name: "s",
        namespace: "ns",
        resourceVersion: "7",
        annotations: { "airlift.dev/keep": "yes" },
        labels: { a: "b" },
      },
      spec: { suspend: true },
      status: { observedGeneration: 1 },
    });
    assert.deepEqual(obj, before, "the object handed in is not changed");
  });

  it("returns an object with nothing to drop as it is", () => {
    const obj: KubeObject = { metadata: { name: "s", annotations: { a: "b" } } };
    assert.equal(stripForCache(obj), obj);
  });
});
