// ImageImport's own metrics beside the controller runtime's: imports by result and the duration of those that ran.
// Looked up in the registry first, so a second controller on the same registry (tests) shares them.
import { Counter, Histogram } from "prom-client";
import type { Metrics } from "../observability/metrics.ts";

/** The import metrics. */
export interface ImportMetrics {
  imports: Counter<"result">;
  duration: Histogram;
}

/** The import metrics on `metrics.registry`, every result label starting at zero. */
export function importMetrics(metrics: Metrics): ImportMetrics {
  const get = <T>(name: string, make: () => T): T => (metrics.registry.getSingleMetric(name) as T | undefined) ?? make();
  const imports = get("airlift_imageimport_imports_total", () => new Counter({ name: "airlift_imageimport_imports_total", help: "Imports finished, by result.", labelNames: ["result"] as const, registers: [metrics.registry] }));
  for (const result of ["succeeded", "unchanged", "failed", "retrying"]) imports.inc({ result }, 0);
  const duration = get("airlift_imageimport_duration_seconds", () => new Histogram({ name: "airlift_imageimport_duration_seconds", help: "Duration of imports that ran.", buckets: [1, 5, 15, 60, 300, 900, 3600], registers: [metrics.registry] }));
  return { imports, duration };
}
