import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createServer, type Server } from "node:tls";
import { request } from "undici";
import { createAgent, createNodeAgents } from "./agents.ts";
import { parseCertificates, siteTrust, trustUsed } from "./trust.ts";

/** A self-signed certificate for 127.0.0.1 (its own CA) and its key. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"];
  const names = ["-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1"];
  execFileSync("openssl", [...args, ...names, "-keyout", key, "-out", cert], { stdio: "ignore" });
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

const dir = mkdtempSync(join(tmpdir(), "airlift-trust-"));
const server = selfSigned(dir, "airlift-test-server");
const other = selfSigned(dir, "airlift-test-other");
let tls: Server;
let url: string;

before(async () => {
  // A bare TLS server answering every request with 204 (HTTP/1.1 over the socket, enough for both clients).
  tls = createServer({ cert: server.cert, key: server.key }, (socket) => {
    socket.on("data", () => socket.end("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"));
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
});

after(() => {
  siteTrust.set(undefined);
  tls.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One GET through an undici agent built now; the status, or the error. */
async function viaUndici(): Promise<number | Error> {
  const agent = createAgent();
  try {
    return (await request(url, { dispatcher: agent })).statusCode;
  } catch (err) {
    return err as Error;
  } finally {
    await agent.close();
  }
}

/** One GET through a node:https agent built now (the S3 client's kind). */
function viaNodeHttps(): Promise<number | Error> {
  const { httpAgent, httpsAgent } = createNodeAgents();
  return new Promise<number | Error>((resolve) => {
    get(url, { agent: httpsAgent }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on("error", resolve);
  }).finally(() => {
    httpAgent.destroy();
    httpsAgent.destroy();
  });
}

describe("the site's trust", () => {
  it("keeps valid certificates of a PEM text and counts the rest", () => {
    const parsed = parseCertificates(
      `junk\n${server.cert}\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n`,
    );
    assert.equal(parsed.certificates, 1);
    assert.equal(parsed.invalid, 1);
    assert.ok(parsed.pem.includes(server.cert.trim()));
    assert.deepEqual(parseCertificates("nothing here"), { pem: "", certificates: 0, invalid: 0 });
  });

  it("is added to every client built after it is set, and a failure says which trust was used", async () => {
    for (const via of [viaUndici, viaNodeHttps]) {
      siteTrust.set(undefined);
      const untrusted = await via();
      assert.ok(untrusted instanceof Error, `${via.name}: refused without the bundle`);
      assert.match(trustUsed(untrusted) ?? "", /^system roots/);

      const bundle = parseCertificates(server.cert);
      assert.equal(siteTrust.set({ ...bundle, origin: "ConfigMap trust/org-ca (key ca.crt)" }), true);
      assert.equal(await via(), 204, `${via.name}: trusted through the site's bundle`);

      siteTrust.set({ ...parseCertificates(other.cert), origin: "ConfigMap trust/org-ca (key ca.crt)" });
      const wrong = await via();
      assert.ok(wrong instanceof Error, `${via.name}: refused with a wrong bundle`);
      assert.match(trustUsed(wrong) ?? "", /^system roots.* \+ ConfigMap trust\/org-ca \(key ca\.crt, 1 cert\)$/);
    }
  });

  it("describes the site's bundle and a resource's own CA", () => {
    siteTrust.set({ ...parseCertificates(server.cert), origin: "Secret trust/org-ca (key ca.crt)" });
    assert.match(
      siteTrust.describe({ caPem: `${server.cert}${other.cert}`, caOrigin: "Secret tenant/reg-ca (key ca.crt)" }),
      /^system roots.* \+ Secret trust\/org-ca \(key ca\.crt, 1 cert\) \+ Secret tenant\/reg-ca \(key ca\.crt, 2 certs\)$/,
    );
    assert.equal(siteTrust.set({ pem: "", certificates: 0, origin: "ConfigMap trust/empty" }), true);
    assert.equal(siteTrust.bundle, undefined, "an empty bundle trusts nothing extra");
    assert.match(siteTrust.describe({ caPem: other.cert }), /^system roots.* \+ the resource's CA bundle \(1 cert\)$/);
  });
});
