// The real `airlift operator` process's /metrics after it reconciled one object of each kind: controller-runtime's
// reconcile and workqueue metrics, client-go's REST client and leader-election metrics under their upstream names and
// labels (what the dashboards and alerts written for controller-runtime operators query), Node's process metrics
// unprefixed, airlift_resource_info with one series per object that goes away with the object, and OciSync's drift
// corrections.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { airliftArgs, freePort, repoRoot, run, s3Client, type EnvironmentConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import {
  adminOnTestEnv,
  createOciSync,
  namespaceWithS3Keys,
  pushWithCrane,
  unique,
  waitFor,
} from "./ocisync-support.ts";

// One namespace for the operator and the objects: the OciSync is then a root sync, applying as the operator, so the
// sync engine's own API calls show in rest_client_requests_total.
const ns = unique("opmetrics");
const bucket = unique("opmetrics");
const CONTROLLERS = ["imageimport", "artifactpull", "ocisync"];
let env: EnvironmentConnection;
let admin: KubeClient;
let operator: ChildProcess | undefined;
let metricsUrl = "";

/** One sample of the exposition: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:\\.|[^"\\])*)"/g)) labels[l[1] ?? ""] = l[2] ?? "";
    samples.push({ name: m[1] ?? "", labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples of `name` whose labels include `labels`. */
function find(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with exactly `labels`, failing with what is there when there is none. */
function one(samples: readonly Sample[], name: string, labels: Record<string, string>): number {
  const exact = find(samples, name, labels).filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
  assert.equal(
    exact.length,
    1,
    `${name}${JSON.stringify(labels)}; have ${JSON.stringify(find(samples, name).map((s) => s.labels))}`,
  );
  return exact[0]?.value ?? NaN;
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${metricsUrl}/metrics`);
  assert.equal(res.status, 200);
  return parseExposition(await res.text());
}

async function readyOf(plural: string, name: string): Promise<string | undefined> {
  const o = await admin.request<{
    status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
  }>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}/${name}`);
  const r = o.status?.conditions?.find((c) => c.type === "Ready");
  return r ? `${r.status}/${r.reason}: ${r.message}` : undefined;
}

async function waitSucceeded(plural: string, name: string): Promise<void> {
  let seen: string | undefined;
  await waitFor(
    `${plural}/${name} Ready`,
    async () => {
      seen = await readyOf(plural, name);
      return seen?.startsWith("True/") ? true : undefined;
    },
    120_000,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last Ready: ${seen}`);
  });
}

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await namespaceWithS3Keys(admin, ns, env.minio);
  const registry = env.registries.anonymous.host;
  const cm = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sync\n  namespace: ${ns}\ndata:\n  a: b\n`;
  await pushWithCrane(`${registry}/${ns}/config:v1`, { "cm.yaml": cm });
  const artifact = await pushWithCrane(`${registry}/apps/${ns}:v1`, { "a.txt": "artifact\n" });
  const tarball = join(mkdtempSync(join(tmpdir(), "airlift-opmetrics-")), "image.tar");
  await run("crane", ["pull", "--insecure", "--format=tarball", `${registry}/${ns}/config:v1`, tarball]);
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "image.tar", Body: readFileSync(tarball) }));
  s3.destroy();

  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  const [cmd, args] = airliftArgs([
    "operator",
    "--kubeconfig",
    env.kube.kubeconfigPath,
    "--namespace",
    ns,
    "--watch-namespace",
    ns,
    "--leader-elect",
    "--metrics-addr",
    `127.0.0.1:${port}`,
    "--health-addr",
    "0",
    "--log-level",
    "info",
    "--allow-loopback-endpoints",
  ]);
  operator = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  teeToSuiteLog("operator-metrics", operator.stdout, operator.stderr);
  await waitFor(
    "the operator's /metrics",
    async () =>
      (await fetch(`${metricsUrl}/metrics`).then((r) => r.text())).includes("workqueue_depth") ? true : undefined,
    30_000,
  );

  const create = (plural: string, kind: string, name: string, spec: Record<string, unknown>): Promise<unknown> =>
    admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}`, {
      method: "POST",
      body: { apiVersion: "airlift.dev/v1alpha1", kind, metadata: { name }, spec },
    });
  await create("imageimports", "ImageImport", "import", {
    source: { s3: { endpoint: env.minio.endpoint, bucket, key: "image.tar", credentialsSecretRef: { name: "keys" } } },
    destination: { registry, plainHTTP: true, repository: `${ns}/imported`, tags: ["v1"] },
  });
  await create("artifactpulls", "ArtifactPull", "pull", {
    source: { registry, plainHTTP: true, project: "apps", repository: ns, digest: artifact },
    destination: {
      s3: { endpoint: env.minio.endpoint, bucket, prefix: "pulled/", credentialsSecretRef: { name: "keys" } },
    },
    extract: true,
  });
  await createOciSync(admin, ns, "sync", {
    oci: { image: `${registry}/${ns}/config:v1`, plainHTTP: true, period: "5s" },
  });
  await waitSucceeded("imageimports", "import");
  await waitSucceeded("artifactpulls", "pull");
  await waitSucceeded("ocisyncs", "sync");
});

after(async () => {
  if (operator && operator.exitCode === null) {
    const exited = new Promise((r) => operator?.once("exit", r));
    operator.kill("SIGTERM");
    await exited;
  }
  await admin?.close();
});

describe("the operator's /metrics", () => {
  it("has controller-runtime's reconcile metrics for every controller, every result label set, and counts", async () => {
    const samples = await scrape();
    for (const controller of CONTROLLERS) {
      for (const result of ["success", "error", "requeue", "requeue_after"])
        one(samples, "controller_runtime_reconcile_total", { controller, result });
      const succeeded = ["success", "requeue_after"].map((result) =>
        one(samples, "controller_runtime_reconcile_total", { controller, result }),
      );
      assert.ok((succeeded[0] ?? 0) + (succeeded[1] ?? 0) >= 1, controller);
      one(samples, "controller_runtime_reconcile_errors_total", { controller });
      one(samples, "controller_runtime_terminal_reconcile_errors_total", { controller });
      assert.equal(one(samples, "controller_runtime_max_concurrent_reconciles", { controller }), 2);
      one(samples, "controller_runtime_active_workers", { controller });
      assert.ok(one(samples, "controller_runtime_reconcile_time_seconds_count", { controller }) >= 1, controller);
      one(samples, "controller_runtime_reconcile_time_seconds_bucket", { controller, le: "60" });
    }
    // An ArtifactPull of a digest is pulled once: a plain success. ImageImport and OciSync look again later.
    assert.ok(
      one(samples, "controller_runtime_reconcile_total", { controller: "artifactpull", result: "success" }) >= 1,
    );
    assert.ok(
      one(samples, "controller_runtime_reconcile_total", { controller: "imageimport", result: "requeue_after" }) >= 1,
    );
    assert.ok(
      one(samples, "controller_runtime_reconcile_total", { controller: "ocisync", result: "requeue_after" }) >= 1,
    );
  });

  it("has the workqueue metrics with name and controller labels", async () => {
    const samples = await scrape();
    for (const name of CONTROLLERS) {
      const labels = { name, controller: name };
      assert.ok(one(samples, "workqueue_adds_total", labels) >= 1, name);
      one(samples, "workqueue_depth", labels);
      one(samples, "workqueue_retries_total", labels);
      one(samples, "workqueue_unfinished_work_seconds", labels);
      one(samples, "workqueue_longest_running_processor_seconds", labels);
      assert.ok(one(samples, "workqueue_queue_duration_seconds_count", labels) >= 1, name);
      assert.ok(one(samples, "workqueue_work_duration_seconds_count", labels) >= 1, name);
      one(samples, "workqueue_work_duration_seconds_bucket", { ...labels, le: "1000" });
    }
  });

  it("counts the API calls of the manager and of the sync engine, by code, method and host", async () => {
    const samples = await scrape();
    const host = new URL(env.kube.server).host;
    assert.ok(one(samples, "rest_client_requests_total", { code: "200", method: "GET", host }) >= 1);
    assert.ok(one(samples, "rest_client_requests_total", { code: "200", method: "PATCH", host }) >= 1, "status writes");
    // Only the sync engine's server-side apply creates objects with PATCH (answered 201 Created).
    assert.ok(
      one(samples, "rest_client_requests_total", { code: "201", method: "PATCH", host }) >= 1,
      "the sync engine's apply",
    );
    assert.ok(one(samples, "rest_client_request_duration_seconds_count", { verb: "GET", host }) >= 1);
    assert.equal(one(samples, "leader_election_master_status", { name: "airlift-leader" }), 1);
  });

  it("has unprefixed process metrics and airlift's own, and none of the old airlift_ copies", async () => {
    const samples = await scrape();
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "process_start_time_seconds",
      "nodejs_heap_size_used_bytes",
    ]) {
      assert.equal(find(samples, name).length, 1, name);
    }
    assert.ok(one(samples, "airlift_bytes_transferred_total", { controller: "imageimport", direction: "upload" }) > 0);
    assert.ok(
      one(samples, "airlift_bytes_transferred_total", { controller: "artifactpull", direction: "download" }) > 0,
    );
    assert.equal(one(samples, "airlift_imageimport_imports_total", { result: "succeeded" }), 1);
    assert.ok(one(samples, "airlift_ocisync_registry_requests_total", {}) >= 1);
    const old = samples
      .filter((s) => /^airlift_(reconcile|workqueue|leader|process|nodejs)/.test(s.name))
      .map((s) => s.name);
    assert.deepEqual([...new Set(old)], []);
  });

  it("counts an OciSync drift correction when a managed object is deleted behind its back", async () => {
    assert.equal(one(await scrape(), "airlift_ocisync_drift_corrections_total", {}), 0);
    await admin.request(`/api/v1/namespaces/${ns}/configmaps/from-sync`, { method: "DELETE" });
    await waitFor(
      "a drift correction",
      async () => (one(await scrape(), "airlift_ocisync_drift_corrections_total", {}) >= 1 ? true : undefined),
      60_000,
    );
    await waitFor(
      "the ConfigMap re-applied",
      () => admin.request(`/api/v1/namespaces/${ns}/configmaps/from-sync`),
      30_000,
    );
  });

  it("has one airlift_resource_info series per object, removed when the object is deleted", async () => {
    const samples = await scrape();
    for (const [kind, name] of [
      ["ImageImport", "import"],
      ["ArtifactPull", "pull"],
      ["OciSync", "sync"],
    ] as const) {
      const series = find(samples, "airlift_resource_info", { kind, namespace: ns, name });
      assert.equal(series.length, 1, `${kind}: ${JSON.stringify(series)}`);
      assert.deepEqual(series[0]?.labels, {
        kind,
        namespace: ns,
        name,
        ready: "True",
        reason: series[0]?.labels.reason ?? "",
        suspended: "false",
      });
      assert.equal(series[0]?.value, 1);
    }
    assert.equal(
      find(samples, "airlift_resource_info", { kind: "OciSync", name: "sync" })[0]?.labels.reason,
      "Succeeded",
    );

    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/artifactpulls/pull`, {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { suspend: true } },
    });
    const suspended = await waitFor(
      "ArtifactPull suspended in airlift_resource_info",
      async () => {
        const s = find(await scrape(), "airlift_resource_info", { kind: "ArtifactPull", name: "pull" });
        return s.length === 1 && s[0]?.labels.reason === "Suspended" ? s : undefined;
      },
      30_000,
    );
    assert.deepEqual(suspended[0]?.labels, {
      kind: "ArtifactPull",
      namespace: ns,
      name: "pull",
      ready: "False",
      reason: "Suspended",
      suspended: "true",
    });

    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/sync`, { method: "DELETE" });
    await waitFor(
      "the OciSync's series removed",
      async () =>
        find(await scrape(), "airlift_resource_info", { kind: "OciSync", name: "sync" }).length === 0
          ? true
          : undefined,
      60_000,
    );
    assert.equal(find(await scrape(), "airlift_resource_info", { kind: "ImageImport", name: "import" }).length, 1);
  });
});
