// controller-runtime's reconcile metrics under controller-runtime's own names, labels and buckets
// (sigs.k8s.io/controller-runtime pkg/internal/controller/metrics), so dashboards and alerts written for any
// controller-runtime operator read airlift's unchanged. https://book.kubebuilder.io/reference/metrics-reference
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Outcomes of one reconcile, controller-runtime's `result` label values. */
export const RECONCILE_RESULTS = ["success", "error", "requeue", "requeue_after"] as const;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];

/** controller-runtime's ReconcileTime buckets, in seconds; longer reconciles (big transfers) land in +Inf. */
export const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** The `controller_runtime_*` metrics. */
export interface ReconcileMetrics {
  /** controller_runtime_reconcile_total{controller,result}. */
  readonly total: Counter<"controller" | "result">;
  /** controller_runtime_reconcile_errors_total{controller}: every reconcile that returned an error. */
  readonly errors: Counter<"controller">;
  /** controller_runtime_terminal_reconcile_errors_total{controller}: errors not retried (airlift's stalling errors). */
  readonly terminalErrors: Counter<"controller">;
  /** controller_runtime_reconcile_time_seconds{controller}. */
  readonly time: Histogram<"controller">;
  /** controller_runtime_max_concurrent_reconciles{controller}. */
  readonly maxConcurrent: Gauge<"controller">;
  /** controller_runtime_active_workers{controller}. */
  readonly activeWorkers: Gauge<"controller">;
  /** Creates every label set of `controller` at zero, as controller-runtime's initMetrics does. */
  init(controller: string, workers: number): void;
}

/** Registers the reconcile metrics on `registry`. */
export function createReconcileMetrics(registry: Registry): ReconcileMetrics {
  const registers = [registry];
  const controller = ["controller"] as const;
  const total = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"] as const,
    registers,
  });
  const errors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller",
    labelNames: controller,
    registers,
  });
  const terminalErrors = new Counter({
    name: "controller_runtime_terminal_reconcile_errors_total",
    help: "Total number of terminal reconciliation errors per controller",
    labelNames: controller,
    registers,
  });
  const time = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames: controller,
    buckets: RECONCILE_TIME_BUCKETS,
    registers,
  });
  const maxConcurrent = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames: controller,
    registers,
  });
  const activeWorkers = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames: controller,
    registers,
  });
  return {
    total,
    errors,
    terminalErrors,
    time,
    maxConcurrent,
    activeWorkers,
    init(name: string, workers: number): void {
      for (const result of RECONCILE_RESULTS) total.inc({ controller: name, result }, 0);
      errors.inc({ controller: name }, 0);
      terminalErrors.inc({ controller: name }, 0);
      time.zero({ controller: name });
      maxConcurrent.set({ controller: name }, workers);
      activeWorkers.set({ controller: name }, 0);
    },
  };
}
