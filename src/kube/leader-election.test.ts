// The renew deadline bounds leadership even when the API server answers slowly: a failed optimistic renewal, a GET
// that takes most of its timeout, then a PUT that hangs must not keep a replica leading past renewDeadline (a standby may take over at
// leaseDuration). The client is a small stand-in with the KubeClient.request shape; the real Lease flow is covered
// by test/integration/kube-leader.test.ts and faults-apiserver.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "./api-error.ts";
import { LeaderElector } from "./leader-election.ts";
import type { KubeClient, RequestOptions } from "./rest-client.ts";

type Answer = (options: RequestOptions) => Promise<unknown>;

/** Answers requests in order from `script`; once it runs out, every request hangs until its signal or timeout. */
function scriptedClient(script: Answer[]): { client: KubeClient; sent: string[] } {
  const sent: string[] = [];
  const hang = (options: RequestOptions): Promise<never> =>
    new Promise((_, reject) => {
      const signal = AbortSignal.any([
        options.signal ?? new AbortController().signal,
        AbortSignal.timeout(options.timeoutMs ?? 30_000),
      ]);
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
    });
  const client = {
    request: (path: string, options: RequestOptions = {}) => {
      sent.push(`${options.method ?? "GET"} ${path}`);
      const next = script.shift() ?? hang;
      return next(options);
    },
  };
  return { client: client as unknown as KubeClient, sent };
}

const lease = (holder: string) => ({
  metadata: { name: "l", namespace: "ns", resourceVersion: "1" },
  spec: { holderIdentity: holder, leaseDurationSeconds: 3, renewTime: new Date().toISOString() },
});

describe("LeaderElector renew deadline", () => {
  it("gives up leadership by renewDeadline when renewals are slow, not after the last request's timeout", async () => {
    const cfg = {
      namespace: "ns",
      name: "l",
      identity: "me",
      leaseDurationMs: 3_000,
      renewDeadlineMs: 1_000,
      retryPeriodMs: 300,
    };
    // Acquire: GET 404, POST created. The first renewal's optimistic PUT conflicts, its GET answers after 500 ms,
    // then everything hangs (timeout 600 ms).
    const slowGet: Answer = async () => {
      await sleep(500);
      return lease("me");
    };
    const { client, sent } = scriptedClient([
      () => Promise.reject(new ApiError(404, "NotFound", "not found")),
      async () => lease("me"),
      () => Promise.reject(new ApiError(409, "Conflict", "the object has been modified")),
      slowGet,
    ]);
    const elector = new LeaderElector(client, cfg);
    const stop = new AbortController();
    let leadingSince = 0;
    let lostAfter = -1;
    const started = Date.now();
    await elector.run(stop.signal, {
      onStartedLeading: () => (leadingSince = Date.now()),
      onLost: () => (lostAfter = Date.now() - started),
    });
    assert.ok(leadingSince > 0, "became leader");
    assert.ok(lostAfter >= cfg.renewDeadlineMs, `lost after ${lostAfter} ms, before the deadline`);
    // Before the fix the PUT's own timeout ran on past the deadline (lost at ~1.4 s, and up to 2 × timeout later).
    assert.ok(lostAfter < cfg.renewDeadlineMs + 150, `lost only after ${lostAfter} ms`);
    assert.equal(elector.isLeader, false);
    assert.deepEqual(sent.slice(0, 2), [
      "GET /apis/coordination.k8s.io/v1/namespaces/ns/leases/l",
      "POST /apis/coordination.k8s.io/v1/namespaces/ns/leases",
    ]);
  });

  it("renews with one PUT of the lease it last wrote, and reads the lease only after that PUT fails", async () => {
    const cfg = {
      namespace: "ns",
      name: "l",
      identity: "me",
      leaseDurationMs: 3_000,
      renewDeadlineMs: 1_000,
      retryPeriodMs: 100,
    };
    const { client, sent } = scriptedClient([
      () => Promise.reject(new ApiError(404, "NotFound", "not found")),
      async () => lease("me"),
      async () => lease("me"),
      () => Promise.reject(new ApiError(409, "Conflict", "the object has been modified")),
      async () => lease("me"),
      async () => lease("me"),
    ]);
    const elector = new LeaderElector(client, cfg);
    const stop = new AbortController();
    const running = elector.run(stop.signal, { onStartedLeading: () => undefined, onLost: () => undefined });
    while (sent.length < 6) await sleep(20);
    stop.abort();
    await running;
    const path = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l";
    assert.deepEqual(sent.slice(2, 6), [`PUT ${path}`, `PUT ${path}`, `GET ${path}`, `PUT ${path}`]);
  });

  it("keeps leading while renewals succeed and returns without losing when stopped", async () => {
    const cfg = {
      namespace: "ns",
      name: "l",
      identity: "me",
      leaseDurationMs: 3_000,
      renewDeadlineMs: 1_000,
      retryPeriodMs: 100,
    };
    const answers: Answer[] = [
      () => Promise.reject(new ApiError(404, "NotFound", "not found")),
      async () => lease("me"),
    ];
    for (let i = 0; i < 40; i++) answers.push(async () => lease("me"));
    const { client } = scriptedClient(answers);
    const elector = new LeaderElector(client, cfg);
    const stop = new AbortController();
    let lost = false;
    const running = elector.run(stop.signal, { onStartedLeading: () => undefined, onLost: () => (lost = true) });
    await sleep(1_500);
    assert.equal(elector.isLeader, true);
    stop.abort();
    await running;
    assert.equal(lost, false);
  });
});
