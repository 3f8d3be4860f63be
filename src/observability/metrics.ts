// The operator's Prometheus registry: controller-runtime's reconcile and workqueue metrics, client-go's REST client
// and leader-election metrics, all under their upstream names so the dashboards and alerts written for
// controller-runtime operators work; Node's default process metrics unprefixed (process_*, nodejs_*), as
// prom-client gives them; and airlift's own metrics under `airlift_`. Every label set of a controller is created at
// zero when the controller registers (STYLE.md rule 8), so dashboards and alerts see a series before the first reconcile.
// https://book.kubebuilder.io/reference/metrics-reference
import { Gauge, Registry, collectDefaultMetrics, type Counter } from "prom-client";
import {
  createAirliftMetrics,
  TRANSFER_DIRECTIONS,
  type ImportMetrics,
  type OciSyncMetrics,
} from "./airlift-metrics.ts";
import { createReconcileMetrics, type ReconcileMetrics } from "./reconcile-metrics.ts";
import { createResourceInfo, type ResourceInfo } from "./resource-info.ts";
import { createRestClientMetrics, type RestClientMetrics } from "./rest-client-metrics.ts";
import { createWorkqueueMetrics, type WorkqueueMetrics } from "./workqueue-metrics.ts";

/** The operator's metrics, on their own registry (so two managers in one test process do not collide). */
export interface Metrics {
  readonly registry: Registry;
  /** controller_runtime_*. */
  readonly reconcile: ReconcileMetrics;
  /** workqueue_*. */
  readonly workqueue: WorkqueueMetrics;
  /** rest_client_*: every call to the API server. */
  readonly restClient: RestClientMetrics;
  /** leader_election_master_status{name}: 1 while this replica holds the Lease `name`, else 0 (client-go's). */
  readonly leaderElection: Gauge<"name">;
  /** airlift_resource_info: one series per object. */
  readonly resources: ResourceInfo;
  /** Bytes moved by transfers; reconcilers and engines increment it. */
  readonly bytesTransferred: Counter<"controller" | "direction">;
  readonly imageImport: ImportMetrics;
  readonly ociSync: OciSyncMetrics;
  /** Creates every label set of a controller at zero (its queue's are created with the queue). */
  initController(controller: string, workers: number): void;
}

/** Options of createMetrics. */
export interface MetricsOptions {
  /** Also collect Node process metrics (default true). */
  processMetrics?: boolean;
}

const EVENT_LOOP_SAMPLE_MS = 100;

/** Creates the metrics on a fresh registry. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  // The event loop delay is sampled every 100 ms, not prom-client's 10 ms: that timer alone was half a per cent of
  // a core in an otherwise idle operator, and percentiles over a scrape interval need no finer sampling.
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const reconcile = createReconcileMetrics(registry);
  const airlift = createAirliftMetrics(registry);
  const leaderElection = new Gauge({
    name: "leader_election_master_status",
    help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
    labelNames: ["name"] as const,
    registers: [registry],
  });
  return {
    registry,
    reconcile,
    workqueue: createWorkqueueMetrics(registry),
    restClient: createRestClientMetrics(registry),
    leaderElection,
    resources: createResourceInfo(registry),
    ...airlift,
    initController(controller: string, workers: number): void {
      reconcile.init(controller, workers);
      for (const direction of TRANSFER_DIRECTIONS) airlift.bytesTransferred.inc({ controller, direction }, 0);
    },
  };
}
