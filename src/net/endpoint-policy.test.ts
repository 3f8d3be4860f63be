import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EndpointPolicy, EndpointRefusedError } from "./endpoint-policy.ts";

describe("EndpointPolicy", () => {
  const strict = new EndpointPolicy({ deniedEndpoints: [{ address: "10.96.0.1", port: 443 }] });

  it("refuses loopback, link-local (cloud metadata) and unspecified addresses by default", () => {
    for (const address of [
      "127.0.0.1",
      "127.9.9.9",
      "::1",
      "::ffff:127.0.0.1",
      "169.254.169.254",
      "fe80::1",
      "0.0.0.0",
    ]) {
      assert.throws(() => strict.check(address, 80), EndpointRefusedError, address);
    }
    assert.throws(
      () => strict.check("127.0.0.1", 5000),
      /loopback address; the operator allows it only with --allow-loopback-endpoints/,
    );
  });

  it("allows private ranges, where air-gapped registries live", () => {
    for (const address of ["10.1.2.3", "172.16.0.9", "192.168.1.8", "fd00::5"]) strict.check(address, 443);
  });

  it("refuses the API server's endpoint always, but not other ports of that address", () => {
    assert.throws(() => strict.check("10.96.0.1", 443), /endpoint of the cluster or of the operator itself/);
    strict.check("10.96.0.1", 5000);
  });

  it("honours the allowances and the permissive policy", () => {
    new EndpointPolicy({ allowLoopback: true }).check("127.0.0.1", 5000);
    new EndpointPolicy({ allowLinkLocal: true }).check("169.254.169.254", 80);
    EndpointPolicy.permissive().check("127.0.0.1", 80);
  });

  it("checks names when they resolve, and URLs with literal hosts up front", async () => {
    assert.throws(() => strict.checkUrl("http://127.0.0.1:5000/v2/"), EndpointRefusedError);
    assert.throws(() => strict.checkUrl("https://[::1]/"), EndpointRefusedError);
    assert.throws(() => strict.checkUrl("http://localhost:9000"), EndpointRefusedError);
    strict.checkUrl("https://harbor.example.com");
    const lookup = strict.lookupFor(443);
    const err = await new Promise<Error | null>((resolve) => lookup("localhost", {}, (e) => resolve(e)));
    assert.ok(err instanceof EndpointRefusedError);
  });
});
