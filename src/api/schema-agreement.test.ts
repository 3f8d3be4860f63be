// The TypeScript types and the CRD schema agree: an object with every field of its type set (full-objects.ts,
// checked by the compiler) has exactly the properties the schema declares, and its values pass the schema.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALL_KINDS, type KindInfo } from "./group-version.ts";
import { objectSchema } from "./crds.ts";
import { fullArtifactPull, fullImageImport, fullOciSync } from "../../test/fixtures/api/full-objects.ts";
import { validate } from "./validate.ts";
import type { SchemaNode } from "./openapi-schema.ts";

const FULL: Record<KindInfo["kind"], () => unknown> = {
  ImageImport: fullImageImport,
  ArtifactPull: fullArtifactPull,
  OciSync: fullOciSync,
};

/** Paths of every property in the schema below `path`. */
function schemaPaths(node: SchemaNode, path: string, out: Set<string>): Set<string> {
  if (node.items) schemaPaths(node.items, `${path}[]`, out);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    out.add(`${path}.${name}`);
    schemaPaths(child, `${path}.${name}`, out);
  }
  return out;
}

/** Paths of every field set in a value below `path` (arrays by their first item). */
function valuePaths(value: unknown, path: string, out: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    if (value.length > 0) valuePaths(value[0], `${path}[]`, out);
  } else if (value && typeof value === "object") {
    for (const [name, child] of Object.entries(value)) {
      out.add(`${path}.${name}`);
      valuePaths(child, `${path}.${name}`, out);
    }
  }
  return out;
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((x) => !b.has(x)).sort();
}

describe("types and CRD schema agree", () => {
  for (const kind of ALL_KINDS) {
    const schema = objectSchema(kind);
    const full = FULL[kind.kind]() as Record<string, unknown>;
    for (const part of ["spec", "status"] as const) {
      it(`${kind.kind}.${part}: every field of the type is in the schema, and every schema field is in the type`, () => {
        const node = schema.properties?.[part];
        assert.ok(node, `schema has no ${part}`);
        const fromSchema = schemaPaths(node, part, new Set());
        const fromType = valuePaths(full[part], part, new Set());
        assert.deepEqual(
          difference(fromType, fromSchema),
          [],
          "fields of the type missing from the schema (the API server would prune them)",
        );
        assert.deepEqual(
          difference(fromSchema, fromType),
          [],
          "schema fields missing from the type (or from full-objects.ts)",
        );
      });
    }
    it(`${kind.kind}: the fully populated object passes the schema's structural checks`, () => {
      assert.deepEqual(validate(schema, full, "", { rules: false }), []);
    });
  }

  it("the validator refuses a value of the wrong type, with its path", () => {
    const full = fullOciSync() as unknown as { spec: { oci: { period: unknown } } };
    full.spec.oci.period = 15;
    const issues = validate(objectSchema(ALL_KINDS[2]!), full, "", { rules: false });
    assert.deepEqual(issues, [{ path: "spec.oci.period", message: "must be a string" }]);
  });
});
