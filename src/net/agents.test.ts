import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rootCertificates } from "node:tls";
import { createAgent, createNodeAgents, tlsOptions } from "./agents.ts";
import { EndpointPolicy } from "./endpoint-policy.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("TLS settings and agents", () => {
  it("adds a CA bundle to the system roots, and skips verification only when asked", () => {
    assert.deepEqual(tlsOptions({}), {});
    const withCa = tlsOptions({ caPem: PEM });
    assert.equal(withCa.ca?.length, rootCertificates.length + 1);
    assert.equal(withCa.ca?.at(-1), PEM);
    assert.equal(withCa.rejectUnauthorized, undefined);
    assert.deepEqual(tlsOptions({ insecureSkipTLSVerify: true }), { rejectUnauthorized: false });
  });

  it("builds node agents with the TLS settings and the pool size", async () => {
    const { httpAgent, httpsAgent } = createNodeAgents({ caPem: PEM, connections: 3, endpointPolicy: EndpointPolicy.permissive() });
    assert.equal(httpsAgent.maxSockets, 3);
    assert.equal(httpAgent.maxSockets, 3);
    assert.equal((httpsAgent.options.ca as string[]).at(-1), PEM);
    httpAgent.destroy();
    httpsAgent.destroy();
    await createAgent({ insecureSkipTLSVerify: true }).close();
  });
});
