// Operator-wide defaults the reconcilers fall back to when a resource leaves an endpoint out. A GDC-style DNS suffix
// derives both, as the runbooks do by hand: `harbor.<suffix>` and `objectstorage.<suffix>`.
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OperatorDefaults {
  /** host[:port] of the registry used when a resource names none (e.g. `harbor.zone1.example.com`). */
  registry: string | undefined;
  /** URL of the S3 endpoint used when a resource names none (e.g. `https://objectstorage.zone1.example.com`). */
  s3Endpoint: string | undefined;
  /** Where reconcilers stage pulled and extracted content (an emptyDir in the Deployment). */
  workDir: string;
  /** The site's DNS suffix (explicit or discovered), without leading or trailing dots. */
  readonly dnsSuffix?: string;
  /** The default registry with its origin (SiteDefaults); absent: the origin is "from the operator's defaults". */
  readonly registryWithOrigin?: DefaultWithOrigin;
  /** The default S3 endpoint with its origin (SiteDefaults). */
  readonly s3EndpointWithOrigin?: DefaultWithOrigin;
}

/** Resolves the defaults from explicit values, else from the DNS suffix. */
export function resolveDefaults(input: {
  registry?: string;
  s3Endpoint?: string;
  dnsSuffix?: string;
  workDir?: string;
}): OperatorDefaults {
  const suffix = input.dnsSuffix?.replace(/^\.+|\.+$/g, "");
  return {
    registry: input.registry || (suffix ? `harbor.${suffix}` : undefined),
    s3Endpoint: input.s3Endpoint || (suffix ? `https://objectstorage.${suffix}` : undefined),
    dnsSuffix: suffix || undefined,
    workDir: input.workDir || join(tmpdir(), "airlift"),
  };
}

/** A default endpoint and where it came from (e.g. `from ConfigMap gpc-system/dnssuffix`). */
export interface DefaultWithOrigin {
  value: string;
  origin: string;
}

/** The explicit settings SiteDefaults starts from (flags or environment); each wins over discovery. */
export interface ExplicitDefaults {
  registry?: string;
  s3Endpoint?: string;
  dnsSuffix?: string;
  workDir?: string;
}

const trimSuffix = (suffix: string | undefined): string | undefined =>
  suffix?.trim().replace(/^\.+|\.+$/g, "") || undefined;

/**
 * Operator defaults a watched site value can change while the operator runs: the reconcilers read `registry` and
 * `s3Endpoint` at each reconcile, so a discovered DNS suffix or Harbor URL reaches the next reconcile without a
 * restart. Explicit settings win: --default-registry / --default-s3-endpoint over anything discovered, --dns-suffix
 * over the discovered suffix and Harbor URL. For the registry, a discovered Harbor URL wins over a discovered suffix.
 */
export class SiteDefaults implements OperatorDefaults {
  readonly workDir: string;
  readonly #explicit: ExplicitDefaults;
  #discovered: DefaultWithOrigin | undefined;
  #harbor: DefaultWithOrigin | undefined;

  constructor(explicit: ExplicitDefaults) {
    this.#explicit = { ...explicit, dnsSuffix: trimSuffix(explicit.dnsSuffix) };
    this.workDir = explicit.workDir || join(tmpdir(), "airlift");
  }

  /** True when explicit settings decide the registry, so a discovered Harbor URL would change nothing. */
  get registryExplicitlySet(): boolean {
    return !!this.#explicit.registry || !!this.#explicit.dnsSuffix;
  }

  /**
   * Sets (or, with undefined, clears) the registry discovered from Harbor's external URL (`https://host[:port]/...`
   * or a bare host); true when a default changed. It wins over a discovered suffix, not over explicit settings.
   */
  discoverHarborUrl(externalURL: string | undefined, origin: string): boolean {
    const before = JSON.stringify(this.describe());
    const url = externalURL?.trim();
    let host = url?.replace(/^https?:\/\//i, "").replace(/\/.*$/, "");
    if (url && /^https?:\/\//i.test(url) && URL.canParse(url)) host = new URL(url).host;
    this.#harbor = host ? { value: host, origin } : undefined;
    return JSON.stringify(this.describe()) !== before;
  }

  /** True when explicit settings decide both endpoints, so a discovered suffix would change nothing. */
  get explicitlySet(): boolean {
    return !!this.#explicit.dnsSuffix || (!!this.#explicit.registry && !!this.#explicit.s3Endpoint);
  }

  /** Sets (or, with undefined, clears) the discovered DNS suffix; true when a default changed. */
  discoverDnsSuffix(suffix: string | undefined, origin: string): boolean {
    const before = JSON.stringify(this.describe());
    const value = trimSuffix(suffix);
    this.#discovered = value ? { value, origin } : undefined;
    return JSON.stringify(this.describe()) !== before;
  }

  #suffix(): DefaultWithOrigin | undefined {
    if (this.#explicit.dnsSuffix) return { value: this.#explicit.dnsSuffix, origin: "from --dns-suffix" };
    return this.#discovered;
  }

  /** The DNS suffix in use with its origin (--dns-suffix, else the discovered one). */
  get dnsSuffixWithOrigin(): DefaultWithOrigin | undefined {
    return this.#suffix();
  }

  /** The default registry with its origin. */
  get registryWithOrigin(): DefaultWithOrigin | undefined {
    if (this.#explicit.registry) return { value: this.#explicit.registry, origin: "from --default-registry" };
    if (this.#harbor && !this.#explicit.dnsSuffix) return this.#harbor;
    const suffix = this.#suffix();
    return suffix && { value: `harbor.${suffix.value}`, origin: suffix.origin };
  }

  /** The default S3 endpoint with its origin. */
  get s3EndpointWithOrigin(): DefaultWithOrigin | undefined {
    if (this.#explicit.s3Endpoint) return { value: this.#explicit.s3Endpoint, origin: "from --default-s3-endpoint" };
    const suffix = this.#suffix();
    return suffix && { value: `https://objectstorage.${suffix.value}`, origin: suffix.origin };
  }

  get registry(): string | undefined {
    return this.registryWithOrigin?.value;
  }

  get dnsSuffix(): string | undefined {
    return this.#suffix()?.value;
  }

  get s3Endpoint(): string | undefined {
    return this.s3EndpointWithOrigin?.value;
  }

  /** The defaults and their origins, for logs. */
  describe(): { registry?: DefaultWithOrigin; s3Endpoint?: DefaultWithOrigin } {
    return { registry: this.registryWithOrigin, s3Endpoint: this.s3EndpointWithOrigin };
  }
}
