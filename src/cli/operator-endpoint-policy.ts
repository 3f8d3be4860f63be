// The operator's SSRF policy (src/net/endpoint-policy.ts): resource endpoints may never reach the API server or the
// operator's own metrics and health listeners, nor loopback / link-local addresses unless explicitly allowed.
import { lookup } from "node:dns/promises";
import { networkInterfaces } from "node:os";
import { isIP } from "node:net";
import { EndpointPolicy } from "../net/endpoint-policy.ts";

export interface EndpointPolicyConfig {
  allowLoopback: boolean;
  allowLinkLocal: boolean;
  /** https://host:port of the API server (from the kubeconfig or in-cluster config). */
  apiServer: string | undefined;
  /** host:port listen addresses of our own servers (":8080" means every interface). */
  ownListeners: readonly (string | undefined)[];
}

function portOf(listen: string): number | undefined {
  const port = Number(listen.slice(listen.lastIndexOf(":") + 1));
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

/** Builds the policy, resolving the API server's name once at start-up. */
export async function operatorEndpointPolicy(cfg: EndpointPolicyConfig): Promise<EndpointPolicy> {
  const denied: { address: string; port: number }[] = [];
  if (cfg.apiServer) {
    const url = new URL(cfg.apiServer);
    const port = Number(url.port || 443);
    for (const address of await addressesOf(url.hostname.replace(/^\[|\]$/g, ""))) denied.push({ address, port });
  }
  const own = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  for (const listen of cfg.ownListeners) {
    const port = listen ? portOf(listen) : undefined;
    if (port !== undefined) for (const address of own) denied.push({ address, port });
  }
  return new EndpointPolicy({
    allowLoopback: cfg.allowLoopback,
    allowLinkLocal: cfg.allowLinkLocal,
    deniedEndpoints: denied,
  });
}
