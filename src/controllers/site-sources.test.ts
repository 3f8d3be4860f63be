import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adminHarborOrigin, parseSecretKeySource } from "./site-admin-cluster.ts";
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

describe("the --site-admin-kubeconfig-secret Secret", () => {
  it("names a Secret key, with the operator's namespace and Cluster API's `value` key as defaults", () => {
    assert.deepEqual(parseSecretKeySource("admin-kubeconfig", "airlift-system"), {
      namespace: "airlift-system",
      name: "admin-kubeconfig",
      key: "value",
    });
    const ref = parseSecretKeySource("root/root-admin-kubeconfig#kubeconfig", "x");
    assert.deepEqual(ref, { namespace: "root", name: "root-admin-kubeconfig", key: "kubeconfig" });
    assert.equal(
      adminHarborOrigin("harbor-system/harbor", ref),
      "from HarborCluster harbor-system/harbor in admin cluster (Secret root/root-admin-kubeconfig)",
    );
    for (const bad of ["", "#value", "a/b/c", "a#b#c", "a#bad key"])
      assert.throws(() => parseSecretKeySource(bad, "ns"), /NAME|namespace\/name/, bad);
  });
});
