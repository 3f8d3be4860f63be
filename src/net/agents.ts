// The connection pools and TLS settings of every client airlift opens (registry, Harbor, S3): extra CAs (the
// operator-wide bundle of trust.ts, then a resource's own) are added to Node's built-in roots (never replace them),
// skipping verification is an explicit opt-out, and with an EndpointPolicy every socket passes the operator's SSRF
// policy at connect time. A failed connection records the trust it used (trust.ts) for the error's message.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Duplex } from "node:stream";
import { getCACertificates } from "node:tls";
import { Agent, buildConnector } from "undici";
import type { EndpointPolicy } from "./endpoint-policy.ts";
import { guardedConnector, guardedHttpAgent, guardedHttpsAgent } from "./guarded-connector.ts";
import { CONNECT_TIMEOUT_MS, H2_PING_INTERVAL_MS } from "./network-bounds.ts";
import { recordTrust, siteTrust } from "./trust.ts";

/** How a client may connect: which certificates it trusts, and which addresses it may reach. */
export interface ConnectionSettings {
  /** Extra trusted CAs (PEM), added to Node's default trust (its roots and NODE_EXTRA_CA_CERTS) and the site's. */
  caPem?: string;
  /** Where caPem came from (`Secret ns/name (key ca.crt)`), named in certificate failures. */
  caOrigin?: string;
  /** Skip certificate verification. Only for endpoints the user explicitly marked so. */
  insecureSkipTLSVerify?: boolean;
  /** The operator's SSRF policy, applied to every connection (redirect targets included); everything when absent. */
  endpointPolicy?: EndpointPolicy;
}

/** Connection settings plus the size of the pool. */
export interface AgentOptions extends ConnectionSettings {
  /** Keep-alive connections per origin (default 8). */
  connections?: number;
}

/** The TLS options of `settings` for node:tls (undici's connector and node:https take the same). */
export function tlsOptions(settings: ConnectionSettings): { ca?: string[]; rejectUnauthorized?: boolean } {
  const tls: { ca?: string[]; rejectUnauthorized?: boolean } = {};
  // "default" is what Node trusts when no `ca` is given: its roots plus NODE_EXTRA_CA_CERTS. The operator-wide
  // bundle (read now, so a changed one reaches the next client) and a resource's own CA add to it.
  const extra = [siteTrust.bundle?.pem, settings.caPem].filter((pem): pem is string => !!pem);
  if (extra.length > 0) tls.ca = [...getCACertificates("default"), ...extra];
  if (settings.insecureSkipTLSVerify) tls.rejectUnauthorized = false;
  return tls;
}

/** An undici Agent: one keep-alive pool per origin, sharing the TLS settings and the endpoint policy. */
export function createAgent(options: AgentOptions = {}): Agent {
  // The connect timeout covers the TLS handshake too (undici's connector).
  const tls = { ...tlsOptions(options), timeout: CONNECT_TIMEOUT_MS };
  const connect = options.endpointPolicy ? guardedConnector(options.endpointPolicy, tls) : buildConnector(tls);
  const trust = siteTrust.describe(options);
  return new Agent({
    connections: options.connections ?? 8,
    keepAliveTimeout: 30_000,
    h2Options: { pingInterval: H2_PING_INTERVAL_MS },
    connect: (opts, callback) =>
      connect(opts, (err, socket) => {
        if (err) recordTrust(err, trust);
        // undici's callback takes either an error or a socket (its two overloads).
        (callback as (e: Error | null, s: typeof socket) => void)(err, socket);
      }),
  });
}

type CreateConnection = (options: object, callback: (err: Error | null, socket: Duplex) => void) => Duplex | undefined;

/** Records the agent's trust on every socket failure of `agent` (the request sees the same error object). */
function recordingTrust(agent: HttpsAgent, trust: string): HttpsAgent {
  const holder = agent as unknown as { createConnection: CreateConnection };
  const base = holder.createConnection.bind(agent);
  holder.createConnection = (options, callback) => {
    const socket = base(options, callback);
    socket?.once("error", (err: Error) => recordTrust(err, trust));
    return socket;
  };
  return agent;
}

/** node:http and node:https keep-alive agents (for clients built on node:http, like the S3 SDK's handler). */
export function createNodeAgents(options: AgentOptions = {}): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const base = { keepAlive: true, maxSockets: options.connections ?? 8 };
  const https = { ...base, ...tlsOptions(options) };
  const policy = options.endpointPolicy;
  return {
    httpAgent: policy ? guardedHttpAgent(policy, base) : new HttpAgent(base),
    httpsAgent: recordingTrust(
      policy ? guardedHttpsAgent(policy, https) : new HttpsAgent(https),
      siteTrust.describe(options),
    ),
  };
}
