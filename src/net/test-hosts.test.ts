import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { describe, it } from "node:test";

// The override is read once when the module loads: set it before the first import (each test file is a process).
process.env.AIRLIFT_TEST_HOSTS = "harbor.site.test=127.0.0.1";
const { parseTestHosts } = await import("./test-hosts.ts");
const { EndpointPolicy, endpointRefusal } = await import("./endpoint-policy.ts");

function resolve(allowLoopback: boolean, host: string): Promise<LookupAddress[]> {
  return new Promise((ok, fail) => {
    new EndpointPolicy({ allowLoopback }).lookupFor(443)(host, { all: true }, (err, addresses) =>
      err ? fail(err) : ok(addresses as LookupAddress[]),
    );
  });
}

describe("parseTestHosts", () => {
  it("maps lower-cased names to literal IPs and ignores everything else", () => {
    const hosts = parseTestHosts(" Harbor.Site.test=127.0.13.1, objectstorage.site.test = ::1,bad=name,=1.2.3.4,alone");
    assert.deepEqual(
      [...hosts],
      [
        ["harbor.site.test", "127.0.13.1"],
        ["objectstorage.site.test", "::1"],
      ],
    );
    assert.equal(parseTestHosts(undefined).size, 0);
  });
});

describe("the AIRLIFT_TEST_HOSTS override under the endpoint policy", () => {
  it("answers with the override's address, which the policy still checks", async () => {
    assert.deepEqual(await resolve(true, "HARBOR.site.test"), [{ address: "127.0.0.1", family: 4 }]);
    const refused = await resolve(false, "harbor.site.test").then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(endpointRefusal(refused), `refused as a loopback address: ${String(refused)}`);
  });
});
