// Drift detection between periods: a deleted or edited managed object shows up in a resourceVersion comparison,
// and the next sync puts it back (force applies our fields on objects we own).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import type { KubeObject } from "../../src/kube/resource.ts";
import { detectDrift, hasDrift, snapshotInventory, syncDirectory, type SyncOwner } from "../../src/sync/index.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";

describe("sync: drift", () => {
  it("detects a deleted and an edited object, and the next sync restores both", async () => {
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
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "apps" };
    const options = {
      root,
      scope: { kind: "cluster" } as const,
      owner,
      sourceDigest: "sha256:" + "d".repeat(64),
      kubeConfig,
      prune: true,
    };
    const first = await syncDirectory({ ...options, previousInventory: [] });
    assert.deepEqual(first.errors, []);
    const baseline = await snapshotInventory(first.inventory, { kubeConfig, owner });
    assert.equal(baseline.size, 3);
    assert.equal(
      hasDrift(detectDrift(first.inventory, baseline, await snapshotInventory(first.inventory, { kubeConfig, owner }))),
      false,
    );

    await admin.request(`/api/v1/namespaces/${ns}/configmaps/a`, { method: "DELETE" });
    await admin.request(`/api/v1/namespaces/${ns}/configmaps/b`, {
      method: "PATCH",
      patchType: "merge",
      body: { data: { v: "edited" } },
    });
    const drift = detectDrift(
      first.inventory,
      baseline,
      await snapshotInventory(first.inventory, { kubeConfig, owner }),
    );
    assert.deepEqual(
      drift.missing.map((e) => e.name),
      ["a"],
    );
    assert.deepEqual(
      drift.changed.map((e) => e.name),
      ["b"],
    );

    const second = await syncDirectory({ ...options, previousInventory: first.inventory });
    assert.deepEqual(second.errors, []);
    assert.deepEqual(
      second.results.map((r) => `${r.identity.name}:${r.action}`),
      ["a:created", "b:configured", "c:unchanged"],
    );
    assert.deepEqual((await admin.request<KubeObject>(`/api/v1/namespaces/${ns}/configmaps/b`)).data, { v: "1" });
    await admin.close();
  });
});
