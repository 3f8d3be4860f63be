// The manager (controller-runtime's): one API client, shared informers, controllers, leader election, probes and
// metrics. Every replica runs the informers (so a standby is ready and takes over warm); only the leader runs
// workers. Shutdown: stop taking work, abort running reconciles, wait up to a deadline, release the lease.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { KubeConfig } from "./kube-config.ts";
import type { Logger } from "pino";
import { startHealthServer, type HealthServer } from "../observability/health-server.ts";
import { createMetrics, type Metrics } from "../observability/metrics.ts";
import { stripForCache } from "./cache-transform.ts";
import type { Controller } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import { Informer } from "./informer.ts";
import { LeaderElector, type LeaderElectionConfig } from "./leader-election.ts";
import { KubeClient, observeRequests } from "./rest-client.ts";
import type { ResourceType } from "./resource.ts";
import { SecretReader } from "./secrets.ts";

/** Manager configuration (the operator command's flags map onto it). */
export interface ManagerOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** The operator's own namespace (holds the Lease). */
  namespace: string;
  /** This replica's identity; default `<hostname>_<random>`. */
  identity?: string;
  /** Leader election; disabled when undefined. */
  leaderElection?: Omit<LeaderElectionConfig, "namespace" | "identity">;
  /** Default workers per controller (default 2). */
  workers?: number;
  /** Watch only this namespace (default all). */
  watchNamespace?: string;
  /** Reconcile only primary objects matching this label selector (a shard, Flux's way); default all. */
  watchLabelSelector?: string;
  allowCrossNamespaceSecrets?: boolean;
  /** `host:port` for /metrics; none when undefined. */
  metricsAddr?: string;
  /** `host:port` for /healthz and /readyz; none when undefined. */
  healthAddr?: string;
  /** How long shutdown waits for running reconciles (default 30 s). */
  shutdownTimeoutMs?: number;
  /** Informer resync period (default 10 min). */
  resyncMs?: number;
  metrics?: Metrics;
  /**
   * Called when the lease is lost. Default: log and exit the process with code 1, because a replica that may no
   * longer be leader must not keep writing (and a restart is the cleanest way to rejoin as a candidate).
   */
  onLeadershipLost?: (reason: string) => void;
}

/** Runs controllers. */
export class Manager {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly events: EventRecorder;
  readonly secrets: SecretReader;
  readonly identity: string;
  readonly #opts: ManagerOptions;
  readonly #controllers: Controller[] = [];
  readonly #informers = new Map<string, Informer>();
  readonly #stop = new AbortController();
  readonly #servers: HealthServer[] = [];
  #elector: LeaderElector | undefined;
  #election: Promise<void> | undefined;
  #leading = false;
  #started = false;
  #stopping: Promise<void> | undefined;

  constructor(options: ManagerOptions) {
    this.#opts = options;
    this.log = options.log;
    this.metrics = options.metrics ?? createMetrics();
    // Every client built from this config counts in rest_client_*: the manager's and the sync engine's.
    observeRequests(options.kubeConfig, (r) => this.metrics.restClient.observe(r));
    this.client = new KubeClient(options.kubeConfig);
    this.identity = options.identity ?? `${hostname()}_${randomBytes(4).toString("hex")}`;
    this.events = new EventRecorder({
      client: this.client,
      controller: "airlift.dev/operator",
      instance: this.identity,
      log: this.log,
    });
    this.secrets = new SecretReader({
      client: this.client,
      allowCrossNamespace: options.allowCrossNamespaceSecrets ?? false,
    });
    this.#setLeader(0);
  }

  /** Adds a controller; must be called before start(). */
  add(controller: Controller): void {
    if (this.#started) throw new Error("failed to add controller: the manager has started");
    controller.setup({
      client: this.client,
      log: this.log,
      metrics: this.metrics,
      events: this.events.forController(`airlift.dev/${controller.name}`),
      secrets: this.secrets,
      informer: (type, labelSelector) => this.informer(type, labelSelector),
      watchLabelSelector: this.#opts.watchLabelSelector,
      signal: this.#stop.signal,
      defaultWorkers: this.#opts.workers ?? 2,
    });
    this.#controllers.push(controller);
  }

  /** The shared informer of a kind (created on first use). */
  informer(type: ResourceType, labelSelector?: string): Informer {
    const id = `${type.group}/${type.version}/${type.plural}?${labelSelector ?? ""}`;
    let inf = this.#informers.get(id);
    if (!inf) {
      inf = new Informer(this.client, type, {
        namespace: type.namespaced ? this.#opts.watchNamespace : undefined,
        labelSelector,
        resyncMs: this.#opts.resyncMs,
        transform: stripForCache,
        log: this.log,
      });
      this.#informers.set(id, inf);
      if (this.#started) inf.start();
    }
    return inf;
  }

  /** True while this replica runs the controllers. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** True once every informer has listed. */
  cachesSynced(): boolean {
    return [...this.#informers.values()].every((i) => i.hasSynced());
  }

  /** URLs of the probe and metrics servers, once started. */
  get serverUrls(): string[] {
    return this.#servers.map((s) => s.url);
  }

  /**
   * Starts servers and informers, waits for the caches, then runs the controllers (at once, or once elected).
   * Resolves when the caches are synced; leadership may come later.
   */
  async start(): Promise<void> {
    if (this.#started) throw new Error("manager already started");
    this.#started = true;
    await this.#startServers();
    for (const inf of this.#informers.values()) inf.start();
    await Promise.all([...this.#informers.values()].map((i) => i.waitForSync(this.#stop.signal)));
    this.log.info({ informers: this.#informers.size, identity: this.identity }, "caches synced");
    const le = this.#opts.leaderElection;
    if (!le) return this.#lead();
    this.#elector = new LeaderElector(
      this.client,
      { ...le, namespace: this.#opts.namespace, identity: this.identity },
      this.log,
    );
    this.#election = this.#elector.run(this.#stop.signal, {
      onStartedLeading: () => this.#lead(),
      onLost: (reason) => this.#lost(reason),
    });
  }

  /** Graceful stop: no new work, running reconciles aborted and awaited (up to the deadline), lease released. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async #shutdown(): Promise<void> {
    const deadline = this.#opts.shutdownTimeoutMs ?? 30_000;
    this.log.info({ deadlineMs: deadline }, "shutting down");
    const wasLeading = this.#leading;
    this.#stop.abort(new Error("manager is shutting down"));
    const drained = await Promise.all(this.#controllers.map((c) => c.stop(deadline)));
    if (drained.includes(false)) this.log.warn("some reconciles were still running at the shutdown deadline");
    await this.#election;
    // Release only after the workers are done, so the next leader never overlaps with our last writes.
    if (wasLeading) await this.#elector?.release();
    this.#leading = false;
    this.#setLeader(0);
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
    await Promise.all(this.#servers.map((s) => s.close()));
    await this.client.close();
    this.log.info("stopped");
  }

  #lead(): void {
    if (this.#stop.signal.aborted) return;
    this.#leading = true;
    this.#setLeader(1);
    for (const c of this.#controllers) c.start();
    this.log.info({ controllers: this.#controllers.map((c) => c.name) }, "controllers started");
  }

  #lost(reason: string): void {
    this.#leading = false;
    this.#setLeader(0);
    // Stop reconciling at once; no graceful drain, because another replica may already be leader.
    for (const c of this.#controllers) void c.stop(0);
    this.#stop.abort(new Error(reason));
    const handler =
      this.#opts.onLeadershipLost ??
      ((why: string): void => {
        this.log.fatal({ reason: why }, "leader election lost; exiting");
        process.exit(1);
      });
    handler(reason);
  }

  /** leader_election_master_status, reported (as client-go does) only when leader election runs. */
  #setLeader(value: 0 | 1): void {
    const lease = this.#opts.leaderElection?.name;
    if (lease !== undefined) this.metrics.leaderElection.set({ name: lease }, value);
  }

  async #startServers(): Promise<void> {
    const { healthAddr, metricsAddr } = this.#opts;
    const healthChecks = { ping: (): undefined => undefined };
    const readyChecks = {
      informers: (): string | undefined => (this.cachesSynced() ? undefined : "caches not synced"),
      shutdown: (): string | undefined => (this.#stop.signal.aborted ? "shutting down" : undefined),
    };
    const registry = this.metrics.registry;
    if (healthAddr && metricsAddr && healthAddr === metricsAddr) {
      this.#servers.push(await startHealthServer({ address: healthAddr, registry, healthChecks, readyChecks }));
      return;
    }
    if (healthAddr)
      this.#servers.push(
        await startHealthServer({ address: healthAddr, serve: { metrics: false }, healthChecks, readyChecks }),
      );
    if (metricsAddr)
      this.#servers.push(await startHealthServer({ address: metricsAddr, serve: { health: false }, registry }));
  }
}
