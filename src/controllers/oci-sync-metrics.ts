// OciSync's own metric beside the controller runtime's: registry requests, the steady-state cost (one HEAD per period).
// Looked up in the registry first, so a second controller on the same registry (tests) shares it.
import { Counter } from "prom-client";
import type { Metrics } from "../observability/metrics.ts";

/** airlift_ocisync_registry_requests_total on `metrics.registry`. */
export function requestCounter(metrics: Metrics): Counter {
  const name = "airlift_ocisync_registry_requests_total";
  const existing = metrics.registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing;
  return new Counter({ name, help: "Registry requests made by OciSync (HEAD per period in steady state).", registers: [metrics.registry] });
}
