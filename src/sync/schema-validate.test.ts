import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Manifest } from "./identity.ts";
import { SchemaValidator } from "./schema-validate.ts";

const meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const set = {
  schemas: {
    [meta]: {
      type: "object",
      properties: { name: { type: "string" }, labels: { type: "object", additionalProperties: { type: "string" } } },
    },
    "test.v1.Thing": {
      type: "object",
      "x-kubernetes-group-version-kind": [{ group: "test.dev", version: "v1", kind: "Thing" }],
      properties: {
        apiVersion: { type: "string" },
        kind: { type: "string" },
        metadata: { allOf: [{ $ref: `#/components/schemas/${meta}` }], default: {} },
        spec: {
          type: "object",
          required: ["mode"],
          properties: {
            mode: { type: "string", enum: ["a", "b"] },
            port: { "x-kubernetes-int-or-string": true },
            free: {
              type: "object",
              "x-kubernetes-preserve-unknown-fields": true,
              properties: { known: { type: "integer" } },
            },
            template: {
              type: "object",
              "x-kubernetes-embedded-resource": true,
              properties: { spec: { type: "object" } },
            },
            when: { type: "string", nullable: true },
          },
        },
      },
    },
  },
  resources: [{ group: "test.dev", version: "v1", kind: "Thing", plural: "things", namespaced: true }],
};

const thing = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Manifest["object"] => ({
  apiVersion: "test.dev/v1",
  kind: "Thing",
  metadata: { name: "t" },
  spec,
  ...extra,
});

describe("SchemaValidator", () => {
  const v = new SchemaValidator(set, []);

  it("accepts a valid object: int-or-string either way, open subtrees, embedded resources, nulls as unset", () => {
    assert.deepEqual(v.validate(thing({ mode: "a", port: 80 })), []);
    assert.deepEqual(v.validate(thing({ mode: "b", port: "http", free: { anything: [1] }, when: null })), []);
    const embedded = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} };
    assert.deepEqual(v.validate(thing({ mode: "a", template: embedded })), []);
  });

  it("reports unknown fields (also in metadata, through $ref), wrong types, enums and required fields with their path", () => {
    const found = v.validate(
      thing({ port: true, extra: 1, free: { known: "x" } }, { metadata: { name: "t", labelz: {} } }),
    );
    assert.deepEqual(found.map((f) => [f.field, f.message]).sort(), [
      ["metadata.labelz", 'unknown field "metadata.labelz"'],
      ["spec", 'spec: missing required field "mode"'],
      ["spec.extra", 'unknown field "spec.extra"'],
      ["spec.free.known", 'spec.free.known: wrong type "x": must be integer'],
      ["spec.port", "spec.port: wrong type true: must be integer or string"],
    ]);
    assert.deepEqual(v.validate(thing({ mode: "c" }))[0]?.path, ["spec", "mode"]);
  });

  it("a CRD in the bundle adds its kind: resource type and schema", () => {
    const crd: Manifest = {
      source: "crd.yaml",
      object: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.example.com" },
        spec: {
          group: "example.com",
          scope: "Cluster",
          names: { kind: "Widget", plural: "widgets" },
          versions: [
            { name: "v1", schema: { openAPIV3Schema: { type: "object", properties: { size: { type: "integer" } } } } },
          ],
        },
      },
    };
    const withCrd = new SchemaValidator(set, [crd]);
    assert.equal(v.typeOf("example.com/v1", "Widget"), undefined);
    assert.deepEqual(withCrd.typeOf("example.com/v1", "Widget"), {
      group: "example.com",
      version: "v1",
      kind: "Widget",
      plural: "widgets",
      namespaced: false,
    });
    const widget = { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", bogus: 1 }, size: "big" };
    assert.deepEqual(
      withCrd
        .validate(widget)
        .map((f) => f.field)
        .sort(),
      ["metadata.bogus", "size"],
    );
  });
});
