// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection package: a candidate
// takes the lease when it is free or when its holder has not renewed it for leaseDuration (measured on our own
// clock from when we last saw the record change, so clock skew between replicas does not matter). The leader
// renews every retryPeriod; if it cannot renew for renewDeadline it gives up leadership (and the process exits)
// before leaseDuration runs out, so two leaders never overlap. On graceful shutdown the lease is released
// (holderIdentity cleared) so a standby takes over at its next retry instead of waiting out the lease. A leader
// renews optimistically (client-go's fast path): one PUT of the lease as it last wrote it, guarded by its
// resourceVersion; only when that fails does it read the lease first, so steady leadership costs one request a period.
// https://kubernetes.io/docs/concepts/architecture/leases/
import type { Logger } from "pino";
import { isAlreadyExists, isConflict, isNotFound } from "./api-error.ts";
import { errorMessage } from "./errors.ts";
import { sleep } from "./informer.ts";
import type { KubeClient } from "./rest-client.ts";
import { LEASES, collectionPath, objectPath } from "./resource.ts";

/** Leader election tuning. */
export interface LeaderElectionConfig {
  /** Lease name (--leader-election-id). */
  name: string;
  /** Namespace of the Lease (the operator's own). */
  namespace: string;
  /** This replica's identity (pod name + random suffix). */
  identity: string;
  /** Default 15 s. */
  leaseDurationMs?: number;
  /** Default 10 s; must be shorter than leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Default 2 s. */
  retryPeriodMs?: number;
}

/** Callbacks of a leader elector. */
export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Leadership was lost (renewal failed past the deadline); the caller must stop reconciling at once. */
  onLost(reason: string): void;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/** Runs a candidate for one Lease. */
export class LeaderElector {
  readonly #client: KubeClient;
  readonly #cfg: Required<LeaderElectionConfig>;
  readonly #log: Logger | undefined;
  #observed = "";
  #observedAt = 0;
  #leader = false;
  #lease: Lease | undefined;

  constructor(client: KubeClient, config: LeaderElectionConfig, log?: Logger) {
    this.#client = client;
    this.#cfg = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...config };
    this.#log = log;
    if (this.#cfg.renewDeadlineMs >= this.#cfg.leaseDurationMs)
      throw new Error("leader election: renewDeadline must be shorter than leaseDuration");
    if (this.#cfg.retryPeriodMs >= this.#cfg.renewDeadlineMs)
      throw new Error("leader election: retryPeriod must be shorter than renewDeadline");
  }

  /** True while this replica holds the lease. */
  get isLeader(): boolean {
    return this.#leader;
  }

  /** Tries until elected, then renews until `signal` aborts (returns) or renewal fails past the deadline (onLost). */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    const acquiredAt = await this.#acquire(signal);
    if (acquiredAt === undefined) return;
    this.#leader = true;
    this.#log?.info({ lease: this.#cfg.name, identity: this.#cfg.identity }, "became leader");
    callbacks.onStartedLeading();
    await this.#renew(signal, callbacks, acquiredAt);
  }

  /** Tries until elected; resolves with when the winning attempt was sent, or undefined once `signal` aborts. */
  async #acquire(signal: AbortSignal): Promise<number | undefined> {
    for (;;) {
      if (signal.aborted) return undefined;
      const sentAt = Date.now();
      if (await this.#tryAcquireOrRenew(signal)) return sentAt;
      await sleep(this.#cfg.retryPeriodMs, signal);
    }
  }

  /** Renews until `signal` aborts, or calls onLost once renewal failed past the deadline. */
  async #renew(signal: AbortSignal, callbacks: LeaderCallbacks, acquiredAt: number): Promise<void> {
    // When the last successful acquire or renewal was sent.
    let lastRenew = acquiredAt;
    while (!signal.aborted) {
      await sleep(
        Math.max(0, Math.min(this.#cfg.retryPeriodMs, lastRenew + this.#cfg.renewDeadlineMs - Date.now())),
        signal,
      );
      if (signal.aborted) return;
      // A renewal counts from when it was sent (others time the lease from when they saw it change, which is later),
      // and no attempt may outlive the deadline: a slow GET then PUT (each with its own timeout) must not keep us
      // leading past the point where a standby may take over.
      const attemptStart = Date.now();
      const left = lastRenew + this.#cfg.renewDeadlineMs - attemptStart;
      const attempt = AbortSignal.any([signal, AbortSignal.timeout(Math.max(left, 1))]);
      if (left > 0 && (await this.#tryAcquireOrRenew(attempt, signal))) {
        lastRenew = attemptStart;
        continue;
      }
      if (signal.aborted) return;
      if (Date.now() - lastRenew >= this.#cfg.renewDeadlineMs) {
        this.#leader = false;
        const reason = `failed to renew lease ${this.#cfg.namespace}/${this.#cfg.name} within ${this.#cfg.renewDeadlineMs} ms`;
        this.#log?.error({ lease: this.#cfg.name, identity: this.#cfg.identity }, reason);
        callbacks.onLost(reason);
        return;
      }
    }
  }

  /** Clears holderIdentity if we hold the lease, so a standby can take over at once. */
  async release(): Promise<void> {
    if (!this.#leader || !this.#lease) return;
    this.#leader = false;
    const now = microTime();
    try {
      await this.#client.request(objectPath(LEASES, { namespace: this.#cfg.namespace, name: this.#cfg.name }), {
        method: "PATCH",
        patchType: "merge",
        timeoutMs: this.#cfg.retryPeriodMs * 2,
        // Guarded by the version we last wrote: if someone else already took it, we must not clear theirs.
        body: {
          metadata: { resourceVersion: this.#lease.metadata.resourceVersion },
          spec: { holderIdentity: null, leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        },
      });
      this.#log?.info({ lease: this.#cfg.name, identity: this.#cfg.identity }, "released leader lease");
    } catch (err) {
      this.#log?.warn({ lease: this.#cfg.name, error: errorMessage(err) }, "failed to release leader lease");
    }
  }

  /** `stop` is the run's own signal: an attempt cut short by it is not worth a warning, one cut by its deadline is. */
  async #tryAcquireOrRenew(signal: AbortSignal, stop = signal): Promise<boolean> {
    try {
      return await this.#acquireOrRenew(signal);
    } catch (err) {
      if (!stop.aborted && !isConflict(err) && !isAlreadyExists(err)) {
        this.#log?.warn({ lease: this.#cfg.name, error: errorMessage(err) }, "lease acquire/renew failed");
      }
      return false;
    }
  }

  async #acquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { namespace, name, identity } = this.#cfg;
    const path = objectPath(LEASES, { namespace, name });
    const timeoutMs = this.#cfg.retryPeriodMs * 2;
    const now = Date.now();
    const desired: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.#cfg.leaseDurationMs / 1_000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (await this.#renewOptimistically(desired, now, signal)) return true;
    const current = await this.#client.request<Lease>(path, { signal, timeoutMs }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!current) {
      const body = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace },
        spec: desired,
      };
      this.#lease = await this.#client.request<Lease>(collectionPath(LEASES, namespace), {
        method: "POST",
        body,
        signal,
        timeoutMs,
      });
      this.#observe(this.#lease, now);
      return true;
    }
    if (!this.#mayTake(current, now)) return false;
    const spec = current.spec ?? {};
    const renewing = spec.holderIdentity === identity;
    desired.acquireTime = renewing ? (spec.acquireTime ?? desired.acquireTime) : desired.acquireTime;
    desired.leaseTransitions = (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1);
    this.#lease = await this.#client.request<Lease>(path, {
      method: "PUT",
      body: { ...current, spec: desired },
      signal,
      timeoutMs,
    });
    this.#observe(this.#lease, now);
    return true;
  }

  /**
   * The fast path: while we lead and our lease is still valid by our clock, PUT the copy we last wrote with a new
   * renewTime. False when it does not apply or fails (a 409: someone changed the lease), for the slow path to decide.
   */
  async #renewOptimistically(desired: LeaseSpec, now: number, signal: AbortSignal): Promise<boolean> {
    const last = this.#lease;
    const spec = last?.spec;
    if (!this.#leader || !last || spec?.holderIdentity !== this.#cfg.identity) return false;
    if (this.#observedAt + this.#cfg.leaseDurationMs <= now) return false;
    const { namespace, name } = this.#cfg;
    try {
      this.#lease = await this.#client.request<Lease>(objectPath(LEASES, { namespace, name }), {
        method: "PUT",
        body: { ...last, spec: { ...desired, acquireTime: spec.acquireTime, leaseTransitions: spec.leaseTransitions } },
        signal,
        timeoutMs: this.#cfg.retryPeriodMs * 2,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      this.#log?.debug({ lease: name, error: errorMessage(err) }, "optimistic lease renewal failed; reading the lease");
      return false;
    }
    this.#observe(this.#lease, now);
    return true;
  }

  /** Observes the lease; true when it is ours, free, or another holder's that expired by our own clock. */
  #mayTake(current: Lease, now: number): boolean {
    const spec = current.spec ?? {};
    this.#observe(current, now);
    const holder = spec.holderIdentity ?? "";
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1_000;
    return holder === "" || holder === this.#cfg.identity || this.#observedAt + durationMs <= now;
  }

  #observe(lease: Lease, now: number): void {
    const record = JSON.stringify([lease.spec?.holderIdentity ?? "", lease.spec?.renewTime ?? ""]);
    if (record !== this.#observed) {
      this.#observed = record;
      this.#observedAt = now;
    }
  }
}
