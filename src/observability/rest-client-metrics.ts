// client-go's REST client metrics (k8s.io/component-base/metrics/prometheus/restclient, as controller-runtime
// registers them): every call the operator makes to the API server, by status code, method and host, and its
// latency by verb and host. A request that got no answer counts under code "<error>", as client-go does.
import { Counter, Histogram, type Registry } from "prom-client";

/** The latency buckets of client-go's rest_client_request_duration_seconds, in seconds. */
export const REST_CLIENT_DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/** One finished API call (for a watch: until its response headers). */
export interface RestRequest {
  /** HTTP method, upper case. */
  method: string;
  /** Status code as text, or "<error>" when no response came. */
  code: string;
  /** `host:port` of the API server. */
  host: string;
  seconds: number;
}

/** The `rest_client_*` metrics. */
export interface RestClientMetrics {
  /** rest_client_requests_total{code,method,host}. */
  readonly requests: Counter<"code" | "method" | "host">;
  /** rest_client_request_duration_seconds{verb,host}. */
  readonly duration: Histogram<"verb" | "host">;
  /** Records one call; pass it to the KubeClient as its request observer. */
  observe(request: RestRequest): void;
}

/** Registers the REST client metrics on `registry`. */
export function createRestClientMetrics(registry: Registry): RestClientMetrics {
  const requests = new Counter({
    name: "rest_client_requests_total",
    help: "Number of HTTP requests, partitioned by status code, method, and host.",
    labelNames: ["code", "method", "host"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "rest_client_request_duration_seconds",
    help: "Request latency in seconds. Broken down by verb, and host.",
    labelNames: ["verb", "host"] as const,
    buckets: REST_CLIENT_DURATION_BUCKETS,
    registers: [registry],
  });
  return {
    requests,
    duration,
    observe(r: RestRequest): void {
      requests.inc({ code: r.code, method: r.method, host: r.host });
      duration.observe({ verb: r.method, host: r.host }, r.seconds);
    },
  };
}
