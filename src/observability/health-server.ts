// The probe and metrics endpoints: /healthz (the process is alive), /readyz (caches synced; a standby that is not
// leader is still ready, so a rollout is not blocked by leader election), /metrics (Prometheus text format).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** A named check; returns an error message when failing, undefined when fine. */
export type Check = () => string | undefined;

/** What the server serves. */
export interface HealthServerOptions {
  /** `host:port` (":8081" binds every interface; port 0 picks a free one). */
  address: string;
  /** Which of the three paths to serve (both by default). */
  serve?: { health?: boolean; metrics?: boolean };
  registry?: Registry;
  healthChecks?: Record<string, Check>;
  readyChecks?: Record<string, Check>;
}

/** A started server. */
export interface HealthServer {
  /** `http://host:port` it listens on. */
  readonly url: string;
  close(): Promise<void>;
}

/** Splits `host:port` (host may be empty). */
export function parseAddress(address: string): { host: string | undefined; port: number } {
  const i = address.lastIndexOf(":");
  const host = i > 0 ? address.slice(0, i).replace(/^\[|\]$/g, "") : undefined;
  const port = Number(address.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid address "${address}": want host:port`);
  return { host, port };
}

function runChecks(checks: Record<string, Check>): { ok: boolean; text: string } {
  let ok = true;
  const lines: string[] = [];
  for (const [name, check] of Object.entries(checks)) {
    const failure = check();
    if (failure !== undefined) ok = false;
    lines.push(failure === undefined ? `[+]${name} ok` : `[-]${name} failed: ${failure}`);
  }
  lines.push(ok ? "ok" : "check failed");
  return { ok, text: `${lines.join("\n")}\n` };
}

/** The checks of a probe path (/healthz, /readyz), or undefined for any other path. */
function probeChecks(options: HealthServerOptions, path: string | undefined): Record<string, Check> | undefined {
  if (path === "/healthz") return options.healthChecks ?? {};
  if (path === "/readyz") return options.readyChecks ?? {};
  return undefined;
}

/** Answers /metrics with the registry's text exposition (500 when a collector fails). */
function replyMetrics(registry: Registry, reply: (status: number, body: string, type?: string) => void): void {
  registry.metrics().then(
    (text) => reply(200, text, registry.contentType),
    (err: unknown) => reply(500, `failed to collect metrics: ${err instanceof Error ? err.message : String(err)}\n`),
  );
}

/** Starts the HTTP server and resolves once it listens. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const serveHealth = options.serve?.health ?? true;
  const serveMetrics = options.serve?.metrics ?? true;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8"): void => {
      res.writeHead(status, { "content-type": type }).end(body);
    };
    const checks = serveHealth ? probeChecks(options, path) : undefined;
    if (checks) {
      const result = runChecks(checks);
      return reply(result.ok ? 200 : 503, result.text);
    }
    if (serveMetrics && path === "/metrics" && options.registry) return replyMetrics(options.registry, reply);
    reply(404, "not found\n");
  });
  const { host, port } = parseAddress(options.address);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
