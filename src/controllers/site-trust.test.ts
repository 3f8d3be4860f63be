import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { caBundleOrigin, parseCaBundleSource } from "./site-trust.ts";

describe("the --ca-bundle source", () => {
  it("names a ConfigMap or a Secret, with the operator's namespace and ca.crt as defaults", () => {
    assert.deepEqual(parseCaBundleSource("configmap:trust/org-ca", "airlift-system"), {
      kind: "ConfigMap",
      namespace: "trust",
      name: "org-ca",
      key: "ca.crt",
    });
    const bundle = parseCaBundleSource("ConfigMap:org-ca#trust-bundle.pem", "airlift-system");
    assert.deepEqual(bundle, {
      kind: "ConfigMap",
      namespace: "airlift-system",
      name: "org-ca",
      key: "trust-bundle.pem",
    });
    assert.equal(caBundleOrigin(bundle), "ConfigMap airlift-system/org-ca (key trust-bundle.pem)");
    assert.deepEqual(parseCaBundleSource(" secret:pki/root#tls.crt ", "x"), {
      kind: "Secret",
      namespace: "pki",
      name: "root",
      key: "tls.crt",
    });
  });

  it("refuses other shapes, saying which it expects", () => {
    for (const bad of ["org-ca", "file:/etc/ca.pem", "configmap:", "secret:a/b/c", "configmap:a#bad key"]) {
      assert.throws(() => parseCaBundleSource(bad, "ns"), /configmap:|namespace\/name/, bad);
    }
  });
});
