// The registry the operator serves: controller-runtime's and client-go's names and labels, every label set of a
// controller at zero, unprefixed process metrics, and one airlift_resource_info series per object.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMetrics } from "./metrics.ts";

describe("metrics", () => {
  it("creates every label set of a controller and its queue at zero, under controller-runtime's names", async () => {
    const m = createMetrics({ processMetrics: false });
    m.initController("imageimport", 3);
    m.workqueue.forQueue("imageimport", () => ({ totalSeconds: 0, longestSeconds: 0 }));
    const text = await m.registry.metrics();
    for (const result of ["success", "error", "requeue", "requeue_after"]) {
      assert.match(
        text,
        new RegExp(`^controller_runtime_reconcile_total\\{controller="imageimport",result="${result}"\\} 0$`, "m"),
      );
    }
    assert.match(text, /^controller_runtime_reconcile_errors_total\{controller="imageimport"\} 0$/m);
    assert.match(text, /^controller_runtime_terminal_reconcile_errors_total\{controller="imageimport"\} 0$/m);
    assert.match(text, /^controller_runtime_reconcile_time_seconds_bucket\{le="60",controller="imageimport"\} 0$/m);
    assert.match(text, /^controller_runtime_max_concurrent_reconciles\{controller="imageimport"\} 3$/m);
    assert.match(text, /^controller_runtime_active_workers\{controller="imageimport"\} 0$/m);
    for (const name of [
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_retries_total",
      "workqueue_unfinished_work_seconds",
      "workqueue_longest_running_processor_seconds",
    ]) {
      assert.match(text, new RegExp(`^${name}\\{name="imageimport",controller="imageimport"\\} 0$`, "m"));
    }
    assert.match(text, /^workqueue_queue_duration_seconds_count\{name="imageimport",controller="imageimport"\} 0$/m);
    assert.match(
      text,
      /^workqueue_work_duration_seconds_bucket\{le="1e-8",name="imageimport",controller="imageimport"\} 0$/m,
    );
    assert.match(text, /^airlift_bytes_transferred_total\{controller="imageimport",direction="download"\} 0$/m);
    assert.match(text, /^airlift_imageimport_imports_total\{result="failed"\} 0$/m);
    assert.doesNotMatch(
      text,
      /^airlift_(reconcile|workqueue|leader)/m,
      "no airlift-prefixed copies of the runtime's metrics",
    );
  });

  it("reads unfinished work and the longest running processor from the queue when scraped", async () => {
    const m = createMetrics({ processMetrics: false });
    let work = { totalSeconds: 0, longestSeconds: 0 };
    m.workqueue.forQueue("ocisync", () => work);
    work = { totalSeconds: 90.5, longestSeconds: 60 };
    const text = await m.registry.metrics();
    assert.match(text, /^workqueue_unfinished_work_seconds\{name="ocisync",controller="ocisync"\} 90.5$/m);
    assert.match(text, /^workqueue_longest_running_processor_seconds\{name="ocisync",controller="ocisync"\} 60$/m);
  });

  it("exposes Node's process metrics without a prefix", async () => {
    const text = await createMetrics().registry.metrics();
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      assert.match(text, new RegExp(`^${name} `, "m"));
    }
    assert.doesNotMatch(text, /^airlift_process_|^airlift_nodejs_/m);
  });

  it("keeps one airlift_resource_info series per object and drops it on deletion", async () => {
    const m = createMetrics({ processMetrics: false });
    const base = { kind: "OciSync", namespace: "apps", name: "web", suspended: false };
    m.resources.set({ ...base, ready: "Unknown", reason: "Progressing" });
    m.resources.set({ ...base, ready: "False", reason: "Unauthorized" });
    m.resources.set({ ...base, name: "db", ready: "True", reason: "Succeeded" });
    let series = (await m.registry.getSingleMetricAsString("airlift_resource_info"))
      .split("\n")
      .filter((l) => l.startsWith("airlift_resource_info{"));
    assert.deepEqual(series, [
      'airlift_resource_info{kind="OciSync",namespace="apps",name="web",ready="False",reason="Unauthorized",suspended="false"} 1',
      'airlift_resource_info{kind="OciSync",namespace="apps",name="db",ready="True",reason="Succeeded",suspended="false"} 1',
    ]);
    m.resources.remove("OciSync", "apps", "web");
    m.resources.remove("OciSync", "apps", "never-seen");
    series = (await m.registry.getSingleMetricAsString("airlift_resource_info"))
      .split("\n")
      .filter((l) => l.startsWith("airlift_resource_info{"));
    assert.deepEqual(series, [
      'airlift_resource_info{kind="OciSync",namespace="apps",name="db",ready="True",reason="Succeeded",suspended="false"} 1',
    ]);
  });

  it("counts REST calls by code, method and host, with their latency by verb and host", async () => {
    const m = createMetrics({ processMetrics: false });
    m.restClient.observe({ method: "GET", code: "200", host: "10.0.0.1:6443", seconds: 0.02 });
    m.restClient.observe({ method: "GET", code: "200", host: "10.0.0.1:6443", seconds: 0.2 });
    m.restClient.observe({ method: "PATCH", code: "<error>", host: "10.0.0.1:6443", seconds: 30 });
    const text = await m.registry.metrics();
    assert.match(text, /^rest_client_requests_total\{code="200",method="GET",host="10.0.0.1:6443"\} 2$/m);
    assert.match(text, /^rest_client_requests_total\{code="<error>",method="PATCH",host="10.0.0.1:6443"\} 1$/m);
    assert.match(
      text,
      /^rest_client_request_duration_seconds_bucket\{le="0.025",verb="GET",host="10.0.0.1:6443"\} 1$/m,
    );
    assert.match(text, /^rest_client_request_duration_seconds_count\{verb="GET",host="10.0.0.1:6443"\} 2$/m);
  });
});
