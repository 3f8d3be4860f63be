// Connectors that apply the EndpointPolicy to every socket an HTTP client opens: undici (registry and Harbor
// clients) and node:http(s) agents (the S3 SDK).
import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions } from "node:http";
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from "node:https";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { buildConnector } from "undici";
import type { EndpointPolicy } from "./endpoint-policy.ts";

/** An undici `connect` function: literal IPs are checked before connecting, names when they resolve. */
export function guardedConnector(
  policy: EndpointPolicy,
  tls: buildConnector.BuildOptions = {},
): buildConnector.connector {
  const byPort = new Map<number, buildConnector.connector>();
  return (opts, callback) => {
    const port = Number(opts.port || (opts.protocol === "https:" ? 443 : 80));
    const host = opts.hostname.replace(/^\[|\]$/g, "");
    try {
      if (isIP(host)) policy.check(host, port);
    } catch (err) {
      callback(err as Error, null);
      return;
    }
    let connect = byPort.get(port);
    if (!connect) {
      connect = buildConnector({ ...tls, lookup: policy.lookupFor(port) });
      byPort.set(port, connect);
    }
    connect(opts, callback);
  };
}

type CreateConnection = (
  options: { host?: string | null; port?: number | string | null },
  callback: (err: Error | null, socket: Duplex) => void,
) => Duplex | undefined;

function guardAgent<A extends HttpAgent>(agent: A, policy: EndpointPolicy, defaultPort: number): A {
  const base = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
    const port = Number(options.port || defaultPort);
    const host = (options.host ?? "").replace(/^\[|\]$/g, "");
    if (isIP(host)) policy.check(host, port);
    return base({ ...options, lookup: policy.lookupFor(port) } as typeof options, callback);
  };
  return agent;
}

/** node:https Agent whose sockets pass the policy. */
export function guardedHttpsAgent(policy: EndpointPolicy, options: HttpsAgentOptions): HttpsAgent {
  return guardAgent(new HttpsAgent(options), policy, 443);
}

/** node:http Agent whose sockets pass the policy. */
export function guardedHttpAgent(policy: EndpointPolicy, options: HttpAgentOptions): HttpAgent {
  return guardAgent(new HttpAgent(options), policy, 80);
}
