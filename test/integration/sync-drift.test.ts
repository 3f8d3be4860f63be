// Drift seen through watches: after a sync, a DriftWatch reports an edited, a deleted or an unlabelled managed
// object as it happens, ignores the sync's own writes and status-only writes, and the next sync puts things back.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import type { KubeObject } from "../../src/kube/resource.ts";
import { DriftWatch, syncDirectory, type SyncOwner } from "../../src/sync/index.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";

/** A promise of the next drift report, failing after `ms`. */
function nextDrift(reports: string[], ms = 10_000): Promise<string> {
  const seen = reports.length;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (reports.length > seen) {
        clearInterval(poll);
        resolve(reports[seen] ?? "");
      } else if (Date.now() - started > ms) {
        clearInterval(poll);
        reject(new Error(`no drift reported within ${ms} ms`));
      }
    }, 20);
  });
}

const deployment = (ns: string): unknown => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: ns },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "example/web:1" }] } },
  },
});

describe("sync: drift watch", () => {
  it("reports edits, deletions and lost labels as they happen, not the sync's own or status-only writes", async () => {
    const env = await testEnv();
    const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
    const admin = new KubeClient(kubeConfig);
    const ns = `drift-${randomBytes(3).toString("hex")}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const root = mkdtempSync(join(tmpdir(), "airlift-drift-"));
    for (const name of ["a", "b", "c"])
      writeFileSync(
        join(root, `${name}.json`),
        JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns }, data: { v: "1" } }),
      );
    writeFileSync(join(root, "web.json"), JSON.stringify(deployment(ns)));
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "apps" };
    const digest = "sha256:" + "d".repeat(64);
    const options = { root, scope: { kind: "cluster" } as const, owner, sourceDigest: digest, kubeConfig, prune: true };
    const reports: string[] = [];
    const watch = new DriftWatch({ kubeConfig, owner, onDrift: (what) => reports.push(what) });
    const cm = (name: string): string => `/api/v1/namespaces/${ns}/configmaps/${name}`;
    try {
      const first = await syncDirectory({ ...options, previousInventory: [] });
      assert.deepEqual(first.errors, []);
      await watch.expect(first.inventory, first.results, digest);
      assert.equal(watch.ready, true);
      assert.equal(watch.drifted, undefined);

      // A status-only write (same generation) is not drift; the data edit after it is, and is reported alone.
      await admin.request(`/apis/apps/v1/namespaces/${ns}/deployments/web/status`, {
        method: "PATCH",
        patchType: "merge",
        body: { status: { observedGeneration: 1, replicas: 1 } },
      });
      let drift = nextDrift(reports);
      await admin.request(cm("b"), { method: "PATCH", patchType: "merge", body: { data: { v: "edited" } } });
      assert.match(await drift, new RegExp(`ConfigMap ${ns}/b was changed`));
      assert.equal(reports.length, 1);
      assert.match(watch.drifted ?? "", /b was changed/);

      // The next sync restores b; its own writes are not drift.
      watch.pause();
      const second = await syncDirectory({ ...options, previousInventory: first.inventory });
      assert.deepEqual(second.errors, []);
      assert.equal(second.results.find((r) => r.identity.name === "b")?.action, "configured");
      assert.deepEqual((await admin.request<KubeObject>(cm("b"))).data, { v: "1" });
      await watch.expect(second.inventory, second.results, digest);
      assert.equal(watch.drifted, undefined);

      drift = nextDrift(reports);
      await admin.request(cm("a"), { method: "DELETE" });
      assert.match(await drift, new RegExp(`ConfigMap ${ns}/a was deleted`));

      watch.pause();
      const third = await syncDirectory({ ...options, previousInventory: second.inventory });
      assert.equal(third.results.find((r) => r.identity.name === "a")?.action, "created");
      await watch.expect(third.inventory, third.results, digest);
      // Taking our labels off moves the object out of the label-selected watch: reported like a deletion.
      drift = nextDrift(reports);
      await admin.request(cm("c"), {
        method: "PATCH",
        patchType: "merge",
        body: { metadata: { labels: { "airlift.dev/owner-name": null } } },
      });
      assert.match(await drift, new RegExp(`ConfigMap ${ns}/c was deleted or lost its owner labels`));
      // A spec change of the Deployment is drift too.
      watch.pause();
      const fourth = await syncDirectory({ ...options, previousInventory: third.inventory });
      assert.deepEqual(fourth.errors, []);
      await watch.expect(fourth.inventory, fourth.results, digest);
      drift = nextDrift(reports);
      await admin.request(`/apis/apps/v1/namespaces/${ns}/deployments/web`, {
        method: "PATCH",
        patchType: "merge",
        body: { spec: { replicas: 3 } },
      });
      assert.match(await drift, new RegExp(`Deployment ${ns}/web had its spec changed`));
    } finally {
      await watch.stop();
      rmSync(root, { recursive: true, force: true });
      await admin.request(`/api/v1/namespaces/${ns}`, { method: "DELETE" }).catch(() => undefined);
      await admin.close();
    }
  });
});
