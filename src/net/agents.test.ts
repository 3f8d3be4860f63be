import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getCACertificates } from "node:tls";
import { createAgent, createNodeAgents, tlsOptions } from "./agents.ts";
import { EndpointPolicy } from "./endpoint-policy.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("TLS settings and agents", () => {
  it("adds a CA bundle to the default trust, and skips verification only when asked", () => {
    assert.deepEqual(tlsOptions({}), {});
    const withCa = tlsOptions({ caPem: PEM });
    assert.equal(withCa.ca?.length, getCACertificates("default").length + 1);
    assert.equal(withCa.ca?.at(-1), PEM);
    assert.equal(withCa.rejectUnauthorized, undefined);
    assert.deepEqual(tlsOptions({ insecureSkipTLSVerify: true }), { rejectUnauthorized: false });
  });

  it("keeps the operator-wide CA (NODE_EXTRA_CA_CERTS) when a resource adds its own", () => {
    const dir = mkdtempSync(join(tmpdir(), "airlift-ca-"));
    const cert = join(dir, "site-ca.crt");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=airlift test site CA",
        "-days",
        "1",
        "-keyout",
        join(dir, "k.pem"),
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    const code = `import { tlsOptions } from ${JSON.stringify(new URL("./agents.ts", import.meta.url).href)};
      const ca = tlsOptions({ caPem: "resource CA" }).ca;
      process.stdout.write(JSON.stringify({ site: ca.some((c) => c.includes(${JSON.stringify(readFileSync(cert, "utf8").split("\n")[1])})), own: ca.at(-1) === "resource CA" }));`;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert },
      encoding: "utf8",
    });
    assert.deepEqual(JSON.parse(run.stdout || "{}"), { site: true, own: true }, run.stderr);
  });

  it("builds node agents with the TLS settings and the pool size", async () => {
    const { httpAgent, httpsAgent } = createNodeAgents({
      caPem: PEM,
      connections: 3,
      endpointPolicy: EndpointPolicy.permissive(),
    });
    assert.equal(httpsAgent.maxSockets, 3);
    assert.equal(httpAgent.maxSockets, 3);
    assert.equal((httpsAgent.options.ca as string[]).at(-1), PEM);
    httpAgent.destroy();
    httpsAgent.destroy();
    await createAgent({ insecureSkipTLSVerify: true }).close();
  });
});
