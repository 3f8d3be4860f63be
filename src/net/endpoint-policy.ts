// The operator's SSRF stance. Registry and S3 endpoints come from resources that any namespace tenant can write, so
// every connection the operator opens for them passes this policy, checked on the resolved address at connect time
// (a name that resolves to a forbidden address is refused too, and so is a redirect to one):
//   - loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16 — cloud metadata — and fe80::/10) and unspecified
//     addresses are refused unless the operator is started with an explicit allowance;
//   - specific endpoints (the API server, the operator's own metrics and health ports) are refused always;
//   - private ranges (10/8, 172.16/12, 192.168/16, fc00::/7) are allowed: air-gapped Harbor and object storage live
//     there.
// The CLI, run by a person against endpoints they typed, uses the permissive policy.
import type { LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { CodedError } from "./coded-error.ts";
import { lookupAll } from "./test-hosts.ts";

export interface EndpointPolicyOptions {
  allowLoopback?: boolean;
  allowLinkLocal?: boolean;
  /** address:port pairs never to connect to (the API server, our own metrics/health listeners). */
  deniedEndpoints?: readonly { address: string; port: number }[];
}

/** A connection the policy refused; permanent (the spec must change). Code `ENDPOINT_REFUSED`. */
export class EndpointRefusedError extends CodedError {
  constructor(message: string) {
    super(message, "ENDPOINT_REFUSED", false);
  }
}

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");
const linkLocal = new BlockList();
linkLocal.addSubnet("169.254.0.0", 16, "ipv4");
linkLocal.addSubnet("fe80::", 10, "ipv6");
const unspecified = new BlockList();
unspecified.addAddress("0.0.0.0", "ipv4");
unspecified.addAddress("::", "ipv6");

function familyOf(address: string): "ipv4" | "ipv6" {
  return isIP(address) === 6 ? "ipv6" : "ipv4";
}

/** `::ffff:127.0.0.1` is 127.0.0.1 for this purpose. */
function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match?.[1] ?? address;
}

export class EndpointPolicy {
  readonly #options: EndpointPolicyOptions;
  readonly #permissive: boolean;

  constructor(options: EndpointPolicyOptions = {}, permissive = false) {
    this.#options = options;
    this.#permissive = permissive;
  }

  /** A policy that allows everything (the CLI, tests of the engine). */
  static permissive(): EndpointPolicy {
    return new EndpointPolicy({}, true);
  }

  /** Throws EndpointRefusedError when `address:port` may not be connected to. */
  check(rawAddress: string, port: number, host = rawAddress): void {
    if (this.#permissive) return;
    const address = unmapped(rawAddress);
    const refusal = this.#refusal(address, port);
    if (!refusal) return;
    const [why, allowance] = refusal;
    const shown = host === address ? address : `${host} (${address})`;
    throw new EndpointRefusedError(
      `refused to connect to ${shown}:${port}: ${why}${allowance ? `; the operator allows it only with ${allowance}` : ""}`,
    );
  }

  /** Why `address:port` is refused and which flag would allow it, or undefined when it is allowed. */
  #refusal(address: string, port: number): readonly [why: string, allowance?: string] | undefined {
    const family = familyOf(address);
    if (unspecified.check(address, family)) return ["an unspecified address"];
    if (!this.#options.allowLoopback && loopback.check(address, family))
      return ["a loopback address", "--allow-loopback-endpoints"];
    if (!this.#options.allowLinkLocal && linkLocal.check(address, family))
      return ["a link-local address", "--allow-link-local-endpoints"];
    const denied = (this.#options.deniedEndpoints ?? []).some(
      (d) => d.port === port && unmapped(d.address) === address,
    );
    return denied ? ["an endpoint of the cluster or of the operator itself"] : undefined;
  }

  /**
   * A `lookup` for net/tls connect options that resolves `host` and refuses forbidden answers. Node skips lookup
   * for literal IPs, so callers check those with `check` (see `guardedConnectOptions`).
   */
  lookupFor(port: number): LookupFunction {
    return (hostname, options, callback) => {
      lookupAll(hostname, options, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, "", 0);
        try {
          for (const a of addresses) this.check(a.address, port, hostname);
        } catch (refused) {
          return callback(refused as NodeJS.ErrnoException, "", 0);
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0];
        if (!first)
          return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "", 0);
        return callback(null, first.address, first.family);
      });
    };
  }

  /** Checks a URL's host up front (literal IPs; names are checked again when they resolve). */
  checkUrl(url: string | URL): void {
    const parsed = typeof url === "string" ? new URL(url) : url;
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
    if (isIP(host)) this.check(host, port);
    else if (host === "localhost") this.check("127.0.0.1", port, host);
  }
}

/** The policy's refusal inside an HTTP client's error (clients wrap connect errors), if that is what failed. */
export function endpointRefusal(err: unknown): EndpointRefusedError | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof EndpointRefusedError) return e;
  }
  return undefined;
}
