// Prometheus metrics shaped like controller-runtime's (https://book.kubebuilder.io/reference/metrics-reference),
// prefixed `airlift_`. Every label set a controller can produce is created at zero when the controller registers,
// so dashboards and alerts see a series before the first reconcile.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Outcomes of one reconcile, the `result` label. */
export const RECONCILE_RESULTS = ["success", "error", "requeue_after", "stalled"] as const;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];

/** Directions of the bytes-transferred counter. */
export const TRANSFER_DIRECTIONS = ["download", "upload"] as const;
export type TransferDirection = (typeof TRANSFER_DIRECTIONS)[number];

/** The operator's metrics, on their own registry (so two managers in one test process do not collide). */
export interface Metrics {
  readonly registry: Registry;
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly reconcileDuration: Histogram<"controller">;
  readonly workqueueDepth: Gauge<"name">;
  readonly workqueueRetries: Counter<"name">;
  readonly leader: Gauge<"identity">;
  /** Bytes moved by transfers; reconcilers and engines increment it. */
  readonly bytesTransferred: Counter<"controller" | "direction">;
  /** Creates every label set of a controller (and its queue) at zero. */
  initController(controller: string): void;
}

/** Options of createMetrics. */
export interface MetricsOptions {
  /** Also collect Node process metrics (default true). */
  processMetrics?: boolean;
}

/** Creates the metrics on a fresh registry. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "airlift_" });
  const registers = [registry];
  const reconcileTotal = new Counter({
    name: "airlift_reconcile_total",
    help: "Total number of reconciliations per controller and result.",
    labelNames: ["controller", "result"] as const,
    registers,
  });
  const reconcileErrors = new Counter({
    name: "airlift_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller.",
    labelNames: ["controller"] as const,
    registers,
  });
  const reconcileDuration = new Histogram({
    name: "airlift_reconcile_duration_seconds",
    help: "Time per reconciliation per controller.",
    labelNames: ["controller"] as const,
    // controller-runtime's buckets reach 60 s; transfers take longer, so extend to an hour.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers,
  });
  const workqueueDepth = new Gauge({ name: "airlift_workqueue_depth", help: "Current depth of the workqueue.", labelNames: ["name"] as const, registers });
  const workqueueRetries = new Counter({
    name: "airlift_workqueue_retries_total",
    help: "Total number of retries handled by the workqueue.",
    labelNames: ["name"] as const,
    registers,
  });
  const leader = new Gauge({
    name: "airlift_leader",
    help: "1 while this process holds the leader-election lease, else 0.",
    labelNames: ["identity"] as const,
    registers,
  });
  const bytesTransferred = new Counter({
    name: "airlift_bytes_transferred_total",
    help: "Bytes moved between buckets, registries and clusters.",
    labelNames: ["controller", "direction"] as const,
    registers,
  });
  return {
    registry,
    reconcileTotal,
    reconcileErrors,
    reconcileDuration,
    workqueueDepth,
    workqueueRetries,
    leader,
    bytesTransferred,
    initController(controller: string): void {
      for (const result of RECONCILE_RESULTS) reconcileTotal.inc({ controller, result }, 0);
      reconcileErrors.inc({ controller }, 0);
      reconcileDuration.zero({ controller });
      workqueueDepth.set({ name: controller }, 0);
      workqueueRetries.inc({ name: controller }, 0);
      for (const direction of TRANSFER_DIRECTIONS) bytesTransferred.inc({ controller, direction }, 0);
    },
  };
}
