// The site's one trust: an operator-wide CA bundle (the org infrastructure CA, say) that every registry, Harbor and
// S3 connection adds to Node's default roots, beside a resource's own CA. The bundle is process-wide and may change
// while the process runs (the operator watches a ConfigMap or Secret and sets it here); tlsOptions reads it each
// time a client is built, so the next transfer uses the new bundle without a restart. Each connection remembers the
// trust it used, so a certificate failure can say what was trusted.
import { X509Certificate } from "node:crypto";

/** An operator-wide CA bundle and where it came from. */
export interface TrustBundle {
  /** The PEM certificates, concatenated. */
  pem: string;
  /** Where it came from, e.g. `ConfigMap trust/org-ca (key ca.crt)`. */
  origin: string;
  /** How many certificates it holds. */
  certificates: number;
}

/** A resource's own CA bundle and where it came from. */
export interface OwnTrust {
  caPem?: string;
  /** e.g. `Secret tenant/registry-ca (key ca.crt)`; the description says "the resource's CA bundle" without it. */
  caOrigin?: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text that parse as X.509 (others are dropped), and how many were dropped. */
export function parseCertificates(text: string): { pem: string; certificates: number; invalid: number } {
  const good: string[] = [];
  let invalid = 0;
  for (const block of text.match(PEM_BLOCK) ?? []) {
    try {
      new X509Certificate(block);
      good.push(block);
    } catch {
      invalid++;
    }
  }
  return { pem: good.length > 0 ? `${good.join("\n")}\n` : "", certificates: good.length, invalid };
}

const plural = (n: number): string => `${n} cert${n === 1 ? "" : "s"}`;

/** The process-wide bundle; a change applies to clients built afterwards. */
class SiteTrust {
  #bundle: TrustBundle | undefined;
  #generation = 0;

  /** Counts changes of the bundle: shared connection pools are keyed by it (connection-cache.ts). */
  get generation(): number {
    return this.#generation;
  }

  /** The current bundle, undefined when none is set. */
  get bundle(): TrustBundle | undefined {
    return this.#bundle;
  }

  /** Replaces (undefined: clears) the bundle; true when the trust changed. */
  set(bundle: TrustBundle | undefined): boolean {
    const next = bundle && bundle.certificates > 0 ? { ...bundle } : undefined;
    const changed = next?.pem !== this.#bundle?.pem || next?.origin !== this.#bundle?.origin;
    this.#bundle = next;
    if (changed) this.#generation++;
    return changed;
  }

  /** What a connection with `own` trusts, for messages: "system roots + ConfigMap trust/org-ca (key ca.crt, 1 cert)". */
  describe(own: OwnTrust = {}): string {
    const parts = ["system roots"];
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    if (extra) parts.push(`NODE_EXTRA_CA_CERTS ${extra}`);
    const site = this.#bundle;
    if (site) parts.push(withCount(site.origin, site.certificates));
    if (own.caPem) {
      const n = (own.caPem.match(PEM_BLOCK) ?? []).length;
      parts.push(withCount(own.caOrigin ?? "the resource's CA bundle", n));
    }
    return parts.join(" + ");
  }
}

/** `origin (key k)` + count → `origin (key k, 1 cert)`; `origin` → `origin (1 cert)`. */
function withCount(origin: string, n: number): string {
  return origin.endsWith(")") ? `${origin.slice(0, -1)}, ${plural(n)})` : `${origin} (${plural(n)})`;
}

/** The operator-wide trust of this process. */
export const siteTrust = new SiteTrust();

const trustOfError = new WeakMap<object, string>();

/** Notes on a connection failure which trust the connection used (read back by trustUsed). */
export function recordTrust(err: unknown, description: string): void {
  if (typeof err === "object" && err !== null && !trustOfError.has(err)) trustOfError.set(err, description);
}

/** The trust recorded on `err` or anywhere along its `cause` chain; undefined when none was. */
export function trustUsed(err: unknown): string | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 10; depth++) {
    const found = trustOfError.get(e);
    if (found) return found;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
