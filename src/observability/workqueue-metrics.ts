// client-go's workqueue metrics under the names and labels controller-runtime registers them with
// (sigs.k8s.io/controller-runtime pkg/metrics/workqueue.go: `name` and `controller`, both the controller's name).
// Unfinished work and the longest running processor are what flag a stuck reconcile (a multi-GB import that stopped
// moving): they are computed from the queue's in-flight keys when Prometheus scrapes, not on a timer.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** client-go's queue and work duration buckets: ExponentialBuckets(10e-9, 10, 12), 10 ns to 1,000 s. */
export const WORKQUEUE_DURATION_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

/** Seconds of work in flight, read at scrape time. */
export interface UnfinishedWork {
  /** Sum over in-flight keys of how long each has been processed. */
  totalSeconds: number;
  /** How long the oldest in-flight key has been processed (0 when none is). */
  longestSeconds: number;
}

/** What one queue reports; the shape src/kube/workqueue.ts calls. */
export interface QueueMetricsHooks {
  /** A key was queued (it was not already waiting). */
  add(): void;
  depth(depth: number): void;
  /** Seconds a key waited between being queued and handed to a worker. */
  queueLatency(seconds: number): void;
  /** Seconds a worker held a key. */
  workDuration(seconds: number): void;
  retry(): void;
}

/** The `workqueue_*` metrics. */
export interface WorkqueueMetrics {
  /** Hooks for the queue `name`, every series created at zero; `unfinished` is called on each scrape. */
  forQueue(name: string, unfinished: () => UnfinishedWork): QueueMetricsHooks;
}

type QueueLabels = "name" | "controller";

/** Registers the workqueue metrics on `registry`. */
export function createWorkqueueMetrics(registry: Registry): WorkqueueMetrics {
  const registers = [registry];
  const labelNames = ["name", "controller"] as const;
  const sources = new Map<string, () => UnfinishedWork>();
  const depth = new Gauge({ name: "workqueue_depth", help: "Current depth of workqueue", labelNames, registers });
  const adds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue",
    labelNames,
    registers,
  });
  const latency = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames,
    buckets: WORKQUEUE_DURATION_BUCKETS,
    registers,
  });
  const work = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long in seconds processing an item from workqueue takes.",
    labelNames,
    buckets: WORKQUEUE_DURATION_BUCKETS,
    registers,
  });
  const retries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labelNames,
    registers,
  });
  const scrape = (gauge: Gauge<QueueLabels>, pick: (u: UnfinishedWork) => number): void => {
    for (const [name, read] of sources) gauge.set({ name, controller: name }, pick(read()));
  };
  new Gauge({
    name: "workqueue_unfinished_work_seconds",
    help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
    labelNames,
    registers,
    collect(): void {
      scrape(this, (u) => u.totalSeconds);
    },
  });
  new Gauge({
    name: "workqueue_longest_running_processor_seconds",
    help: "How many seconds has the longest running processor for workqueue been running.",
    labelNames,
    registers,
    collect(): void {
      scrape(this, (u) => u.longestSeconds);
    },
  });
  return {
    forQueue(name: string, unfinished: () => UnfinishedWork): QueueMetricsHooks {
      const labels = { name, controller: name };
      sources.set(name, unfinished);
      depth.set(labels, 0);
      adds.inc(labels, 0);
      latency.zero(labels);
      work.zero(labels);
      retries.inc(labels, 0);
      return {
        add: () => adds.inc(labels),
        depth: (n) => depth.set(labels, n),
        queueLatency: (s) => latency.observe(labels, s),
        workDuration: (s) => work.observe(labels, s),
        retry: () => retries.inc(labels),
      };
    },
  };
}
