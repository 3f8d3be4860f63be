// The connection pools and TLS settings of every client airlift opens (registry, Harbor, S3): extra CAs are added
// to Node's built-in roots (never replace them), skipping verification is an explicit opt-out, and with an
// EndpointPolicy every socket passes the operator's SSRF policy at connect time.
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { getCACertificates } from "node:tls";
import { Agent } from "undici";
import type { EndpointPolicy } from "./endpoint-policy.ts";
import { guardedConnector, guardedHttpAgent, guardedHttpsAgent } from "./guarded-connector.ts";

/** How a client may connect: which certificates it trusts, and which addresses it may reach. */
export interface ConnectionSettings {
  /** Extra trusted CAs (PEM), added to Node's default trust (its roots and NODE_EXTRA_CA_CERTS). */
  caPem?: string;
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
  // "default" is what Node trusts when no `ca` is given: its roots plus NODE_EXTRA_CA_CERTS (the operator-wide CA
  // the chart mounts), so a resource's own CA adds to the site's trust instead of replacing it.
  if (settings.caPem) tls.ca = [...getCACertificates("default"), settings.caPem];
  if (settings.insecureSkipTLSVerify) tls.rejectUnauthorized = false;
  return tls;
}

/** An undici Agent: one keep-alive pool per origin, sharing the TLS settings and the endpoint policy. */
export function createAgent(options: AgentOptions = {}): Agent {
  const tls = tlsOptions(options);
  return new Agent({
    connections: options.connections ?? 8,
    keepAliveTimeout: 30_000,
    connect: options.endpointPolicy ? guardedConnector(options.endpointPolicy, tls) : tls,
  });
}

/** node:http and node:https keep-alive agents (for clients built on node:http, like the S3 SDK's handler). */
export function createNodeAgents(options: AgentOptions = {}): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const base = { keepAlive: true, maxSockets: options.connections ?? 8 };
  const https = { ...base, ...tlsOptions(options) };
  const policy = options.endpointPolicy;
  return {
    httpAgent: policy ? guardedHttpAgent(policy, base) : new HttpAgent(base),
    httpsAgent: policy ? guardedHttpsAgent(policy, https) : new HttpsAgent(https),
  };
}
