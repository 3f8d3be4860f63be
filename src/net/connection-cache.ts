// Connection pools shared across reconciles. Without it every reconcile built its own S3 client and registry
// connection pool and threw them away at its end, paying new TCP (and TLS) connections, and the S3 SDK's client
// construction, for every import, pull, sync and preflight. The operator enables the process-wide cache at start and
// closes it on shutdown; everything else (the CLI, tests) keeps the old one-pool-per-call behaviour, where a lease's
// release closes what it built.
//   - Keys name the endpoint, the credentials' identity (a SHA-256 of them: never the secret itself), the trust
//     (a resource's CA, the TLS opt-out, the operator-wide bundle's generation: a changed bundle means new pools; the
//     old ones close once their last user is done) and the endpoint policy. Keys are never logged.
//   - Bounded: at most `maxEntries` pools; the least recently used idle one is closed to make room, and when every
//     pool is in use a caller gets a pool of its own, closed on release. Idle pools close after `idleMs`.
import { createHash } from "node:crypto";
import type { ConnectionSettings } from "./agents.ts";
import type { EndpointPolicy } from "./endpoint-policy.ts";
import { siteTrust } from "./trust.ts";

/** A pool lent to one user: `value` until `release()` (idempotent). */
export interface Lease<T> {
  readonly value: T;
  release(): Promise<void>;
}

/** Bounds of the shared cache. */
export interface ConnectionCacheOptions {
  /** Most pools kept at once (default 64). */
  maxEntries?: number;
  /** An unused pool closes after this long (default 60 s). */
  idleMs?: number;
}

interface Entry {
  value: unknown;
  close: () => Promise<void> | void;
  generation: number;
  users: number;
  lastUsedMs: number;
  /** Out of the map (evicted or stale): closes when its last user releases it. */
  retired: boolean;
}

/** A short SHA-256 of secret parts (keys, passwords, a Docker config): stands for them in a key. */
export function secretIdentity(...parts: readonly (string | undefined)[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 32);
}

const policyIds = new WeakMap<EndpointPolicy, number>();
let nextPolicyId = 1;

/** The trust and reachability part of a key: CA (hashed), its origin, TLS opt-out, site trust generation, policy. */
export function settingsIdentity(settings: ConnectionSettings): string {
  const policy = settings.endpointPolicy;
  if (policy && !policyIds.has(policy)) policyIds.set(policy, nextPolicyId++);
  return [
    `ca=${settings.caPem ? secretIdentity(settings.caPem) : "-"}`,
    `caOrigin=${settings.caOrigin ?? "-"}`,
    `insecure=${settings.insecureSkipTLSVerify === true}`,
    `site=${siteTrust.generation}`,
    `policy=${policy ? policyIds.get(policy) : "-"}`,
  ].join(" ");
}

/** Keyed, bounded, idle-evicting pools; disabled (one pool per lease) until `enable`. */
export class ConnectionCache {
  readonly #entries = new Map<string, Entry>();
  #enabled = false;
  #maxEntries = 64;
  #idleMs = 60_000;
  #timer: NodeJS.Timeout | undefined;

  /** Starts sharing (the operator, at start). */
  enable(options: ConnectionCacheOptions = {}): void {
    this.#enabled = true;
    this.#maxEntries = Math.max(1, options.maxEntries ?? 64);
    this.#idleMs = options.idleMs ?? 60_000;
    this.#timer ??= setInterval(() => this.#sweep(), Math.max(1_000, this.#idleMs / 2)).unref();
  }

  /** Pools kept now. */
  get size(): number {
    return this.#entries.size;
  }

  /** The pool under `key`, built by `build` when there is none; `close` ends a pool this cache no longer keeps. */
  acquire<T>(key: string, build: () => T, close: (value: T) => Promise<void> | void): Lease<T> {
    if (!this.#enabled) return ownLease(build(), close);
    this.#sweep();
    let entry = this.#entries.get(key);
    if (!entry) {
      if (!this.#makeRoom()) return ownLease(build(), close);
      const value = build();
      entry = {
        value,
        close: () => close(value),
        generation: siteTrust.generation,
        users: 0,
        lastUsedMs: 0,
        retired: false,
      };
      this.#entries.set(key, entry);
    }
    entry.users++;
    return this.#lease(entry) as Lease<T>;
  }

  /** Closes every pool and stops sharing (the operator, on shutdown, after its reconciles ended). */
  async close(): Promise<void> {
    this.#enabled = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.allSettled(entries.map(async (e) => e.close()));
  }

  #lease(entry: Entry): Lease<unknown> {
    let released = false;
    return {
      value: entry.value,
      release: async (): Promise<void> => {
        if (released) return;
        released = true;
        entry.users--;
        entry.lastUsedMs = Date.now();
        if (entry.retired && entry.users === 0) await entry.close();
      },
    };
  }

  /** True when there is room for one more pool (closing the least recently used idle one if needed). */
  #makeRoom(): boolean {
    if (this.#entries.size < this.#maxEntries) return true;
    let oldest: [string, Entry] | undefined;
    for (const kv of this.#entries)
      if (kv[1].users === 0 && (!oldest || kv[1].lastUsedMs < oldest[1].lastUsedMs)) oldest = kv;
    if (!oldest) return false;
    this.#retire(oldest[0], oldest[1]);
    return true;
  }

  /** Closes idle pools past `idleMs`, and retires pools built under an older site trust. */
  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      const stale = entry.generation !== siteTrust.generation;
      if (stale || (entry.users === 0 && now - entry.lastUsedMs >= this.#idleMs)) this.#retire(key, entry);
    }
  }

  #retire(key: string, entry: Entry): void {
    this.#entries.delete(key);
    entry.retired = true;
    if (entry.users === 0) void Promise.resolve(entry.close()).catch(() => undefined);
  }
}

/** A lease on a pool of its own: release closes it. */
function ownLease<T>(value: T, close: (value: T) => Promise<void> | void): Lease<T> {
  let released = false;
  return {
    value,
    release: async (): Promise<void> => {
      if (released) return;
      released = true;
      await close(value);
    },
  };
}

/** The process's shared pools (registry agents, S3 clients); enabled by the operator. */
export const sharedConnections = new ConnectionCache();
