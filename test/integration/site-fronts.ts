// The GDC site's front doors for the end-to-end test: the site's names resolve (through the test-only
// AIRLIFT_TEST_HOSTS override) to loopback addresses listening on 443, as harbor.<suffix> and
// objectstorage.<suffix> do at a site. Harbor's front passes TCP through to the TLS registry (its own certificate,
// which also covers the site names); object storage's front terminates TLS with a certificate of the same CA and
// forwards to MinIO, which serves plain HTTP in the test environment. Each front counts its connections and the
// bytes it carries back, so a test sees which site a client reached (pooled connections stay open between requests).
import { createServer as createNetServer, connect, type Server, type Socket } from "node:net";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import type { EnvironmentConnection } from "../env/index.ts";
import { makeServerCert } from "../env/pki.ts";
import { TLS_SITE_SUFFIXES } from "../env/registry.ts";

/** A listening front, how many connections it took and how many bytes it carried back to its clients. */
export interface SiteFront {
  readonly address: string;
  connections: number;
  /** Bytes from the upstream to clients: what shows a request on a kept-alive (pooled) connection too. */
  bytesToClients: number;
  close(): Promise<void>;
}

function pipeTo(target: { host: string; port: number }, front: SiteFront): (client: Socket) => void {
  return (client) => {
    front.connections++;
    const upstream = connect(target);
    upstream.on("data", (chunk: Buffer) => (front.bytesToClients += chunk.length));
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  };
}

async function listen(server: Server, address: string): Promise<SiteFront> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(443, address, () => resolve());
  });
  const front: SiteFront = {
    address,
    connections: 0,
    bytesToClients: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return front;
}

/** host:port or a URL to {host, port}. */
function target(hostPort: string): { host: string; port: number } {
  const url = new URL(hostPort.includes("://") ? hostPort : `tcp://${hostPort}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** A TCP pass-through on `address`:443 to `upstream` (host:port); the upstream's TLS reaches the client. */
export async function passThroughFront(address: string, upstream: string): Promise<SiteFront> {
  const server = createNetServer();
  const front = await listen(server, address);
  server.on("connection", pipeTo(target(upstream), front));
  return front;
}

/** A TLS front on `address`:443 with `cert`/`key`, forwarding the plain stream to `upstream` (URL or host:port). */
export async function tlsFront(
  address: string,
  upstream: string,
  pem: { cert: string; key: string },
): Promise<SiteFront> {
  const server = createTlsServer(pem);
  const front = await listen(server, address);
  server.on("secureConnection", pipeTo(target(upstream), front));
  return front;
}

/**
 * Fronts for every TLS_SITE_SUFFIXES site on :443 (harbor.<suffix> and objectstorage.<suffix>, each on its own
 * 127.0.<net>.x), by name, and the AIRLIFT_TEST_HOSTS value that sends the names there. Test files that run at the
 * same time each take their own `net` (:443 of one address serves one file).
 */
export async function startSiteFronts(
  env: EnvironmentConnection,
  net = 13,
): Promise<{ fronts: Record<string, SiteFront>; testHosts: string }> {
  const tls = env.registries["basic-tls"];
  const caFile = tls.caFile ?? "";
  // makeCA (test/env/pki.ts) writes the key next to the certificate.
  const ca = { certFile: caFile, keyFile: caFile.replace(/\.crt$/, ".key"), certPem: "", keyPem: "" };
  const dir = mkdtempSync(join(tmpdir(), "airlift-site-pki-"));
  const cert = await makeServerCert(
    dir,
    ca,
    "objectstorage",
    TLS_SITE_SUFFIXES.map((s) => `*.${s}`),
  );
  const fronts: Record<string, SiteFront> = {};
  const hosts: string[] = [];
  for (const [i, suffix] of TLS_SITE_SUFFIXES.entries()) {
    const harbor = `127.0.${net}.${2 * i + 1}`;
    const storage = `127.0.${net}.${2 * i + 2}`;
    fronts[`harbor.${suffix}`] = await passThroughFront(harbor, tls.host);
    fronts[`objectstorage.${suffix}`] = await tlsFront(storage, env.minio.endpoint, {
      cert: cert.certPem,
      key: cert.keyPem,
    });
    hosts.push(`harbor.${suffix}=${harbor}`, `objectstorage.${suffix}=${storage}`);
  }
  return { fronts, testHosts: hosts.join(",") };
}
