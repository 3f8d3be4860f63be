import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SiteDefaults } from "./defaults.ts";
import { imageOnRegistry } from "./credentials.ts";
import { configMapRef } from "./site-discovery.ts";

const FROM_CM = "from ConfigMap gpc-system/dnssuffix";

describe("SiteDefaults", () => {
  it("derives both defaults from the discovered suffix, follows its changes and says where they came from", () => {
    const d = new SiteDefaults({});
    assert.equal(d.registry, undefined);
    assert.equal(d.discoverDnsSuffix("zone1.example.com.", FROM_CM), true);
    assert.equal(d.registry, "harbor.zone1.example.com");
    assert.equal(d.s3Endpoint, "https://objectstorage.zone1.example.com");
    assert.deepEqual(d.registryWithOrigin, { value: "harbor.zone1.example.com", origin: FROM_CM });
    assert.equal(d.discoverDnsSuffix("zone1.example.com", FROM_CM), false, "the same suffix changes nothing");
    assert.equal(d.discoverDnsSuffix("zone2.example.com", FROM_CM), true);
    assert.equal(d.registry, "harbor.zone2.example.com");
    assert.equal(d.discoverDnsSuffix(undefined, FROM_CM), true);
    assert.equal(d.s3Endpoint, undefined);
  });

  it("lets explicit settings win over the discovered suffix", () => {
    const registryOnly = new SiteDefaults({ registry: "registry.local:5000" });
    registryOnly.discoverDnsSuffix("zone1.example.com", FROM_CM);
    assert.deepEqual(registryOnly.describe(), {
      registry: { value: "registry.local:5000", origin: "from --default-registry" },
      s3Endpoint: { value: "https://objectstorage.zone1.example.com", origin: FROM_CM },
    });
    assert.equal(registryOnly.explicitlySet, false);
    const suffix = new SiteDefaults({ dnsSuffix: "fixed.example.com" });
    assert.equal(suffix.explicitlySet, true);
    assert.equal(suffix.discoverDnsSuffix("zone1.example.com", FROM_CM), false);
    assert.deepEqual(suffix.registryWithOrigin, { value: "harbor.fixed.example.com", origin: "from --dns-suffix" });
  });

  it("takes the registry from Harbor's external URL over a discovered suffix, never over explicit settings", () => {
    const harbor = "from HarborCluster harbor-system/harbor";
    const d = new SiteDefaults({});
    d.discoverDnsSuffix("zone1.example.com", FROM_CM);
    assert.equal(d.discoverHarborUrl("https://harbor-core.zone1.example.com:8443/", harbor), true);
    assert.deepEqual(d.registryWithOrigin, { value: "harbor-core.zone1.example.com:8443", origin: harbor });
    assert.deepEqual(d.s3EndpointWithOrigin, { value: "https://objectstorage.zone1.example.com", origin: FROM_CM });
    assert.equal(d.discoverHarborUrl("harbor.bare.example", harbor), true);
    assert.equal(d.registry, "harbor.bare.example");
    assert.equal(d.discoverHarborUrl(undefined, harbor), true);
    assert.equal(d.registry, "harbor.zone1.example.com");
    for (const explicit of [{ registry: "r.local" }, { dnsSuffix: "fixed.example" }]) {
      const e = new SiteDefaults(explicit);
      assert.equal(e.registryExplicitlySet, true);
      assert.equal(e.discoverHarborUrl("https://other.example", harbor), false);
    }
  });

  it("parses namespace/name", () => {
    assert.deepEqual(configMapRef("gpc-system/dnssuffix"), { namespace: "gpc-system", name: "dnssuffix" });
    assert.throws(() => configMapRef("dnssuffix"), /namespace\/name/);
    assert.throws(() => configMapRef("a/b/c"), /namespace\/name/);
  });

  it("puts a host-less image under the site's registry, never docker.io, and refuses it with no registry known", () => {
    const d = new SiteDefaults({});
    assert.throws(
      () => imageOnRegistry("config/app:v1", d),
      (e: Error & { reason?: string }) => e.reason === "NoRegistry" && /--default-registry/.test(e.message),
    );
    d.discoverDnsSuffix("zone1.example.com", FROM_CM);
    assert.equal(imageOnRegistry("config/app:v1", d), "harbor.zone1.example.com/config/app:v1");
    assert.equal(
      imageOnRegistry("library/busybox@sha256:" + "a".repeat(64), d).split("/")[0],
      "harbor.zone1.example.com",
    );
    d.discoverHarborUrl("https://harbor.admin.example.com:8443/", "from HarborCluster harbor-system/harbor");
    assert.equal(imageOnRegistry("config/app:v1", d), "harbor.admin.example.com:8443/config/app:v1");
    for (const named of ["reg.example.com/config/app:v1", "localhost:5000/a/b:v1", "localhost/a:v1"])
      assert.equal(imageOnRegistry(named, d), named);
  });
});
