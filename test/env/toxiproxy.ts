// Toxiproxy (Shopify/toxiproxy, built from Go modules) as the TCP fault proxy of fault tests: a proxy per upstream
// on a free loopback port, and toxics (reset_peer, limit_data, timeout, latency) added and removed over its API.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { request } from "undici";
import { writeTokenKubeconfig, type KubeConnection } from "./kube.ts";
import { freePort } from "./ports.ts";
import { startProcess, waitUntil } from "./process.ts";
import { toolPath } from "./tools.ts";

export interface Toxic {
  name: string;
  type: "reset_peer" | "limit_data" | "timeout" | "latency" | "bandwidth" | "slicer";
  stream?: "upstream" | "downstream";
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface Toxiproxy {
  /** Creates a proxy to `upstream` (host:port); resolves to the proxy's host:port. */
  proxy(name: string, upstream: string): Promise<string>;
  addToxic(proxy: string, toxic: Toxic): Promise<void>;
  removeToxic(proxy: string, toxic: string): Promise<void>;
  /** Disabled, a proxy closes its connections and refuses new ones (the upstream is unreachable); enabled again, it listens. */
  setEnabled(proxy: string, enabled: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** A proxy `name` in front of the API server and an admin kubeconfig (at `path`) that goes through it. */
export async function proxiedKubeconfig(
  toxi: Toxiproxy,
  name: string,
  kube: Pick<KubeConnection, "server" | "caFile" | "adminToken">,
  path: string,
): Promise<string> {
  const listen = await toxi.proxy(name, new URL(kube.server).host);
  return writeTokenKubeconfig(
    path,
    { server: `https://${listen}`, caFile: kube.caFile },
    "airlift-admin",
    kube.adminToken,
  );
}

export async function startToxiproxy(workDir: string): Promise<Toxiproxy> {
  mkdirSync(workDir, { recursive: true });
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const proc = startProcess(
    "toxiproxy",
    toolPath("toxiproxy-server"),
    ["-host", "127.0.0.1", "-port", String(port)],
    join(workDir, "toxiproxy.log"),
  );
  await waitUntil(proc, "toxiproxy /version", async () => (await request(`${api}/version`)).statusCode === 200);
  const call = async (method: "POST" | "DELETE", path: string, body?: unknown): Promise<void> => {
    const res = await request(`${api}${path}`, {
      method,
      ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`toxiproxy ${method} ${path}: ${res.statusCode} ${text}`);
  };
  return {
    async proxy(name, upstream) {
      const listen = `127.0.0.1:${await freePort()}`;
      await call("POST", "/proxies", { name, listen, upstream, enabled: true });
      return listen;
    },
    addToxic: (proxy, toxic) => call("POST", `/proxies/${proxy}/toxics`, { stream: "upstream", toxicity: 1, ...toxic }),
    removeToxic: (proxy, toxic) => call("DELETE", `/proxies/${proxy}/toxics/${toxic}`),
    setEnabled: (proxy, enabled) => call("POST", `/proxies/${proxy}`, { enabled }),
    stop: () => proc.stop(),
  };
}
