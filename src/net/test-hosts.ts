// TEST-ONLY name-to-address override for the connections airlift opens through an endpoint policy (the operator's,
// and the CLI's permissive one). A site's names (harbor.<suffix>, objectstorage.<suffix>) must reach the loopback
// servers of the test environment, and the test must take the same code path as production: so the override sits
// in the one `lookup` the connectors use, and the endpoint policy checks its answers like any DNS answer. Set
// AIRLIFT_TEST_HOSTS="name=address,name=address" (read once at start); unset, every name goes to the system
// resolver. Not a feature: the chart and the docs never set it.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { isIP } from "node:net";

/** The parsed AIRLIFT_TEST_HOSTS: lower-case name to literal IP; entries that are not `name=IP` are ignored. */
export function parseTestHosts(value: string | undefined): ReadonlyMap<string, string> {
  const hosts = new Map<string, string>();
  for (const entry of (value ?? "").split(",")) {
    const [name, address] = entry.split("=").map((s) => s.trim());
    if (name && address && isIP(address)) hosts.set(name.toLowerCase(), address);
  }
  return hosts;
}

const overrides = parseTestHosts(process.env.AIRLIFT_TEST_HOSTS);

type LookupCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

/** Resolves `hostname` to all its addresses: the test override when it names the host, the system resolver else. */
export function lookupAll(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const address = overrides.get(hostname.toLowerCase());
  if (address === undefined) {
    dnsLookup(hostname, { ...options, all: true }, callback);
    return;
  }
  const family = isIP(address);
  const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
  const addresses = wanted === 0 || wanted === family ? [{ address, family }] : [];
  queueMicrotask(() => callback(null, addresses));
}
