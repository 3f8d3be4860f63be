// The controller runtime against a real kube-apiserver: reconcile loop, backoff, stalling, status conflicts,
// Secret namespace policy, events, finalizers and the probe/metrics endpoints.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { StallingError } from "../../src/kube/errors.ts";
import { addFinalizer, hasFinalizer, removeFinalizer } from "../../src/kube/finalizers.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { objectPath, type KubeObject, type ResourceType } from "../../src/kube/resource.ts";
import { SecretReader } from "../../src/kube/secrets.ts";
import { getObject, updateStatus } from "../../src/kube/status.ts";
import { markReady } from "../../src/kube/conditions.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";
import {
  RecordingReconciler,
  createNamespace,
  createWidget,
  eventually,
  installWidgetCrd,
  testManager,
  unique,
  widgetController,
  type LogCapture,
} from "./kube-support.ts";

const group = `${unique("ctrl")}.kubetest.airlift.dev`;
let client: KubeClient;
let type: ResourceType;
const managers: Manager[] = [];

before(async () => {
  const env = await testEnv();
  client = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  type = await installWidgetCrd(client, group);
});

after(async () => {
  await Promise.all(managers.map((m) => m.stop()));
  await client.close();
});

async function startWith(
  reconciler: RecordingReconciler,
  ns: string,
  opts: { baseDelayMs?: number } = {},
): Promise<{ manager: Manager; logs: LogCapture }> {
  const env = await testEnv();
  const made = testManager(loadKubeConfig(env.kube.kubeconfigPath), { namespace: ns, watchNamespace: ns });
  made.manager.add(
    widgetController(type, reconciler, { rateLimiter: { baseDelayMs: opts.baseDelayMs ?? 200, maxDelayMs: 10_000 } }),
  );
  managers.push(made.manager);
  await made.manager.start();
  return made;
}

describe("controller runtime", () => {
  it("reconciles a created object with a per-reconcile logger, and the status write lands", async () => {
    const ns = unique("rt-basic");
    await createNamespace(client, ns);
    const rec = new RecordingReconciler("m", async (req, ctx) => {
      ctx.log.info("reconciling");
      await updateStatus(
        ctx.client,
        { type, key: req },
        (latest) => ({ conditions: markReady([], latest.metadata.generation, "done") }),
        { signal: ctx.signal },
      );
      return {};
    });
    const { logs } = await startWith(rec, ns);
    await createWidget(client, type, ns, "w1");
    await eventually("Ready=True", async () => {
      const obj = await getObject(client, type, { namespace: ns, name: "w1" });
      const conds = (obj.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      return conds.some((c) => c.type === "Ready" && c.status === "True");
    });
    const line = logs.lines.find((l) => l.msg === "reconciling");
    assert.ok(line, "the reconcile logged through its context logger");
    assert.equal(line.controller, "widget");
    assert.equal(line.namespace, ns);
    assert.equal(line.name, "w1");
    assert.equal(line.reconcileID, rec.calls[0]?.reconcileID);
    // Our own status write (status only, same generation) does not trigger another reconcile.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(rec.callsFor(`${ns}/w1`).length, 1);
  });

  it("retries a failing reconcile with exponential backoff, then forgets the failures on success", async () => {
    const ns = unique("rt-backoff");
    await createNamespace(client, ns);
    const rec = new RecordingReconciler("m", (_req, _ctx, n) =>
      n <= 5 ? Promise.reject(new Error("registry answered 503")) : Promise.resolve({}),
    );
    const { manager } = await startWith(rec, ns, { baseDelayMs: 200 });
    await createWidget(client, type, ns, "flaky");
    await eventually("6 attempts", () => rec.callsFor(`${ns}/flaky`).length >= 6, 30_000);
    const at = rec.callsFor(`${ns}/flaky`).map((c) => c.at);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? t));
    // Delays are 200, 400, 800, 1600, 3200 ms: each gap is at least its delay, and grows.
    gaps.forEach((gap, i) => assert.ok(gap >= 200 * 2 ** i - 5, `gap ${i} was ${gap} ms, want >= ${200 * 2 ** i}`));
    assert.ok((gaps[4] ?? 0) > (gaps[1] ?? 0) * 2, `gaps grow: ${gaps.join(", ")}`);
    const metrics = await manager.metrics.registry.metrics();
    assert.match(metrics, /controller_runtime_reconcile_total\{controller="widget",result="error"\} 5/);
    assert.match(metrics, /controller_runtime_reconcile_errors_total\{controller="widget"\} 5/);
    assert.match(metrics, /workqueue_retries_total\{name="widget",controller="widget"\} 5/);
  });

  it("does not retry a stalled object until it changes", async () => {
    const ns = unique("rt-stall");
    await createNamespace(client, ns);
    const rec = new RecordingReconciler("m", async (req, ctx) => {
      const obj = ctx.cached();
      if ((obj?.spec as { mode?: string } | undefined)?.mode === "bad")
        throw new StallingError("InvalidSpec", "failed to read widget: mode bad");
      await Promise.resolve();
      return {};
    });
    await startWith(rec, ns, { baseDelayMs: 50 });
    await createWidget(client, type, ns, "stuck", { size: 1, mode: "bad" });
    await eventually("first attempt", () => rec.callsFor(`${ns}/stuck`).length === 1);
    // With a 50 ms backoff a retried error would have run many times in 2 s.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(rec.callsFor(`${ns}/stuck`).length, 1);
    await client.request(objectPath(type, { namespace: ns, name: "stuck" }), {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { mode: "good" } },
    });
    await eventually("reconcile after the spec change", () => rec.callsFor(`${ns}/stuck`).length === 2);
  });

  it("aborts the reconcile's signal when its object is deleted", async () => {
    const ns = unique("rt-delete");
    await createNamespace(client, ns);
    let aborted: string | undefined;
    const rec = new RecordingReconciler("m", (_req, ctx, n) => {
      if (n > 1) return Promise.resolve({});
      return new Promise((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          aborted = (ctx.signal.reason as Error).message;
          resolve({});
        });
      });
    });
    await startWith(rec, ns);
    await createWidget(client, type, ns, "doomed");
    await eventually("reconcile running", () => rec.calls.length === 1);
    await client.request(objectPath(type, { namespace: ns, name: "doomed" }), { method: "DELETE" });
    await eventually("signal aborted", () => aborted !== undefined);
    assert.match(aborted ?? "", /deleted/);
  });
});

describe("status, finalizers and events", () => {
  it("retries a status write that hits a conflict and lands it", async () => {
    const ns = unique("rt-conflict");
    await createNamespace(client, ns);
    const created = await createWidget(client, type, ns, "c1");
    // Someone else changes the object after we read it: our copy is stale.
    await client.request(objectPath(type, { namespace: ns, name: "c1" }), {
      method: "PATCH",
      patchType: "merge",
      body: { metadata: { labels: { touched: "yes" } } },
    });
    const seen: string[] = [];
    const result = await updateStatus(
      client,
      { type, key: { namespace: ns, name: "c1" } },
      (latest) => {
        seen.push(latest.metadata.resourceVersion ?? "");
        return { observedSize: 1 };
      },
      { current: created },
    );
    assert.equal(result.attempts, 2, "the first write got 409 and was retried");
    assert.notEqual(seen[0], seen[1], "the retry was computed from a fresh copy");
    const stored = await getObject(client, type, { namespace: ns, name: "c1" });
    assert.deepEqual(stored.status, { observedSize: 1 });
    assert.equal(stored.metadata.labels?.touched, "yes");
  });

  it("adds and removes a finalizer", async () => {
    const ns = unique("rt-final");
    await createNamespace(client, ns);
    const obj = await createWidget(client, type, ns, "f1");
    const withF = await addFinalizer({ client, type }, obj, "airlift.dev/cleanup");
    assert.ok(hasFinalizer(withF, "airlift.dev/cleanup"));
    const again = await addFinalizer({ client, type }, withF, "airlift.dev/cleanup");
    assert.deepEqual(again.metadata.finalizers, ["airlift.dev/cleanup"]);
    await client.request(objectPath(type, { namespace: ns, name: "f1" }), { method: "DELETE" });
    const deleting = await getObject(client, type, { namespace: ns, name: "f1" });
    assert.ok(deleting.metadata.deletionTimestamp, "the finalizer holds the object");
    await removeFinalizer({ client, type }, deleting, "airlift.dev/cleanup");
    await assert.rejects(
      getObject(client, type, { namespace: ns, name: "f1" }),
      (err: { status?: number }) => err.status === 404,
    );
  });

  it("records events.k8s.io/v1 Events and folds repeats into a series", async () => {
    const ns = unique("rt-events");
    await createNamespace(client, ns);
    const obj = await createWidget(client, type, ns, "e1");
    const { manager } = testManager(client.kubeConfig, { namespace: ns });
    const events = manager.events.forController("airlift.dev/widget");
    const input = {
      type: "Warning",
      reason: "RegistryUnavailable",
      action: "Push",
      note: "failed to push: 503",
    } as const;
    const first = await events.event(obj, input);
    assert.ok(first);
    // Three repeats: the first is written as a series right away, the next two only counted (rate limit).
    await events.event(obj, input);
    await events.event(obj, input);
    const name = await events.event(obj, input);
    assert.equal(name, first, "repeats reuse the first Event");
    const list = await client.request<{ items: KubeObject[] }>(`/apis/events.k8s.io/v1/namespaces/${ns}/events`);
    assert.equal(list.items.length, 1);
    const ev = list.items[0]!;
    assert.equal(ev.reason, "RegistryUnavailable");
    assert.equal(ev.action, "Push");
    assert.equal(ev.note, "failed to push: 503");
    assert.equal((ev.regarding as { name?: string }).name, "e1");
    assert.equal((ev.series as { count?: number } | undefined)?.count, 2);
    await manager.stop();
  });
});

describe("Secret namespace policy", () => {
  it("refuses a Secret in another namespace without the allowance, saying why and how to allow it", async () => {
    const home = unique("rt-home");
    const other = unique("rt-other");
    await createNamespace(client, home);
    await createNamespace(client, other);
    await client.request(`/api/v1/namespaces/${other}/secrets`, {
      method: "POST",
      body: { apiVersion: "v1", kind: "Secret", metadata: { name: "creds" }, stringData: { password: "s3cr3t" } },
    });
    const strict = new SecretReader({ client, allowCrossNamespace: false });
    await assert.rejects(
      strict.secret(home, { name: "creds", namespace: other }),
      (err: Error & { reason?: string }) => {
        assert.equal(err.reason, "CrossNamespaceRefNotAllowed");
        assert.match(err.message, /outside the resource's namespace/);
        assert.match(err.message, /--allow-cross-namespace-secrets/);
        assert.doesNotMatch(err.message, /s3cr3t/);
        return true;
      },
    );
    const allowing = new SecretReader({ client, allowCrossNamespace: true });
    const secret = await allowing.secret(home, { name: "creds", namespace: other });
    assert.equal(secret.data.password?.toString(), "s3cr3t");
    // Same-namespace references need no allowance; a missing one is a WaitingError, not a crash.
    await assert.rejects(
      strict.secret(home, { name: "absent" }),
      (err: Error & { reason?: string }) => err.reason === "SecretNotFound",
    );
  });
});

describe("probes and metrics", () => {
  it("answers /healthz, /readyz and /metrics with every label set at zero before any reconcile", async () => {
    const ns = unique("rt-metrics");
    await createNamespace(client, ns);
    const rec = new RecordingReconciler("m");
    const { manager } = await startWith(rec, ns);
    const [url] = manager.serverUrls;
    assert.ok(url);
    const get = async (path: string): Promise<{ status: number; text: string }> => {
      const res = await request(`${url}${path}`);
      return { status: res.statusCode, text: await res.body.text() };
    };
    assert.equal((await get("/healthz")).status, 200);
    const ready = await get("/readyz");
    assert.equal(ready.status, 200);
    assert.match(ready.text, /\[\+\]informers ok/);
    const metrics = (await get("/metrics")).text;
    for (const result of ["success", "error", "requeue", "requeue_after"]) {
      assert.match(
        metrics,
        new RegExp(`controller_runtime_reconcile_total\\{controller="widget",result="${result}"\\} 0`),
      );
    }
    assert.match(metrics, /controller_runtime_reconcile_errors_total\{controller="widget"\} 0/);
    assert.match(metrics, /controller_runtime_terminal_reconcile_errors_total\{controller="widget"\} 0/);
    assert.match(metrics, /controller_runtime_reconcile_time_seconds_count\{controller="widget"\} 0/);
    assert.match(metrics, /controller_runtime_max_concurrent_reconciles\{controller="widget"\} 2/);
    assert.match(metrics, /controller_runtime_active_workers\{controller="widget"\} 0/);
    for (const name of [
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_retries_total",
      "workqueue_unfinished_work_seconds",
      "workqueue_longest_running_processor_seconds",
    ]) {
      assert.match(metrics, new RegExp(`${name}\\{name="widget",controller="widget"\\} 0`));
    }
    assert.match(metrics, /workqueue_queue_duration_seconds_count\{name="widget",controller="widget"\} 0/);
    assert.match(metrics, /workqueue_work_duration_seconds_count\{name="widget",controller="widget"\} 0/);
    assert.match(metrics, /airlift_bytes_transferred_total\{controller="widget",direction="upload"\} 0/);
    assert.match(metrics, /rest_client_requests_total\{code="200",method="GET",host="[^"]+"\} [1-9]/);
    assert.doesNotMatch(metrics, /^leader_election_master_status\{/m, "reported only when leader election runs");
    assert.equal((await get("/nope")).status, 404);
    await manager.stop();
    assert.equal(rec.calls.length, 0);
  });
});
