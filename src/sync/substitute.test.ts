// Flux postBuild semantics of substitute.ts: values, defaults, escapes, the opt-out annotation, strict errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadError } from "./errors.ts";
import type { Manifest } from "./identity.ts";
import { substituteManifests, substituteString } from "./substitute.ts";

const cm = (data: Record<string, string>, annotations?: Record<string, string>): Manifest => ({
  object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", annotations }, data },
  source: "overlay/cm.yaml",
});

describe("substitution", () => {
  it("replaces ${VAR}, uses :=/:- defaults when unset or empty, keeps $${VAR} literal", () => {
    const vars = { SUFFIX: "zone1.example.com", EMPTY: "" };
    assert.equal(substituteString("harbor.${SUFFIX}", vars, "f"), "harbor.zone1.example.com");
    assert.equal(substituteString("${MISSING:=a}-${EMPTY:-b}-${SUFFIX:-c}", vars, "f"), "a-b-zone1.example.com");
    assert.equal(substituteString("$${SUFFIX}", vars, "f"), "${SUFFIX}");
  });

  it("an undefined variable without default names the file and the variable, never the values", () => {
    assert.throws(
      () => substituteManifests([cm({ a: "${SECRET_TOKEN}-${MISSING}" })], { SECRET_TOKEN: "s3cr3t" }),
      (err: unknown) => {
        assert.ok(err instanceof LoadError && err.code === "SubstitutionFailed");
        assert.match(err.message, /overlay\/cm\.yaml: ConfigMap c: variable MISSING/);
        assert.doesNotMatch(err.message, /s3cr3t/);
        return true;
      },
    );
  });

  it("an object annotated substitute: disabled keeps its ${...}", () => {
    const out = substituteManifests(
      [cm({ a: "${X}" }, { "kustomize.toolkit.fluxcd.io/substitute": "disabled" }), cm({ a: "${X}" })],
      { X: "1" },
    );
    assert.equal((out[0]?.object as unknown as { data: { a: string } }).data.a, "${X}");
    assert.equal((out[1]?.object as unknown as { data: { a: string } }).data.a, "1");
  });
});
