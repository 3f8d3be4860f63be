// Tenancy against a real kube-apiserver with RBAC: a namespace-scoped sync refuses what lies outside its
// namespace, and applying as an impersonated ServiceAccount lets RBAC bound it, one object at a time.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import type { KubeObject } from "../../src/kube/resource.ts";
import { syncDirectory, type SyncOwner } from "../../src/sync/index.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";
import { objectExists } from "./kube-support.ts";

function writeTree(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-tenant-"));
  for (const [path, doc] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), JSON.stringify(doc));
  }
  return root;
}

describe("sync: tenant scope and impersonation", () => {
  it("refuses cluster-scoped objects and other namespaces; RBAC of the impersonated ServiceAccount bounds the rest", async () => {
    const env = await testEnv();
    const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
    const admin = new KubeClient(kubeConfig);
    const ns = `tenant-${randomBytes(3).toString("hex")}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    await admin.request(`/api/v1/namespaces/${ns}/serviceaccounts`, {
      method: "POST",
      body: { metadata: { name: "syncer" } },
    });
    // The tenant may change existing ConfigMaps but not create them; Secrets it may create.
    await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
      method: "POST",
      body: {
        metadata: { name: "syncer" },
        rules: [
          { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "patch", "update"] },
          { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "create", "patch", "update"] },
        ],
      },
    });
    await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
      method: "POST",
      body: {
        metadata: { name: "syncer" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "syncer" },
        subjects: [{ kind: "ServiceAccount", name: "syncer", namespace: ns }],
      },
    });
    await admin.request(`/api/v1/namespaces/${ns}/configmaps`, {
      method: "POST",
      body: { metadata: { name: "existing" }, data: { v: "0" } },
    });

    const root = writeTree({
      "cluster-role.json": {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name: `${ns}-escalate` },
        rules: [],
      },
      "elsewhere.json": {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "elsewhere", namespace: "kube-system" },
        data: {},
      },
      "new-cm.json": { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "new" }, data: { v: "1" } },
      // Same value as the live object: shared ownership, no field conflict with the creator's manager.
      "existing-cm.json": {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "existing" },
        data: { v: "0", w: "1" },
      },
      "secret.json": { apiVersion: "v1", kind: "Secret", metadata: { name: "token" }, stringData: { t: "x" } },
    });
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "tenant-apps" };
    const out = await syncDirectory({
      root,
      scope: { kind: "namespace", namespace: ns },
      owner,
      sourceDigest: "sha256:" + "b".repeat(64),
      kubeConfig,
      impersonate: { serviceAccount: { namespace: ns, name: "syncer" } },
      previousInventory: [],
      prune: true,
    });
    const byName = new Map(out.results.map((r) => [r.identity.name, r]));
    assert.equal(byName.get(`${ns}-escalate`)?.error?.code, "ScopeViolation");
    assert.match(byName.get(`${ns}-escalate`)!.error!.message, /cluster-scoped/);
    assert.equal(byName.get("elsewhere")?.error?.code, "ScopeViolation");
    assert.match(byName.get("elsewhere")!.error!.message, /namespace kube-system/);
    const denied = byName.get("new")!;
    assert.equal(denied.action, "failed");
    assert.equal(denied.error?.code, "Forbidden");
    assert.match(
      denied.error.message,
      new RegExp(`system:serviceaccount:${ns}:syncer may not create configmaps in namespace ${ns}`),
    );
    assert.equal(byName.get("existing")?.action, "configured", byName.get("existing")?.message);
    assert.equal(byName.get("token")?.action, "created");
    assert.equal(out.errors.length, 3);
    assert.deepEqual(
      out.inventory.map((e) => `${e.kind}/${e.namespace}/${e.name}`),
      [`ConfigMap/${ns}/existing`, `Secret/${ns}/token`],
    );

    assert.equal(await objectExists(admin, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${ns}-escalate`), false);
    assert.equal(await objectExists(admin, "/api/v1/namespaces/kube-system/configmaps/elsewhere"), false);
    assert.equal(await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/new`), false);
    const existing = await admin.request<KubeObject>(`/api/v1/namespaces/${ns}/configmaps/existing`);
    assert.deepEqual(existing.data, { v: "0", w: "1" });
    assert.equal(existing.metadata.labels?.["airlift.dev/owner-namespace"], ns);
    await admin.close();
  });
  it("never prunes outside its namespace, even when its inventory names a foreign object that carries its owner labels", async () => {
    const env = await testEnv();
    const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
    const admin = new KubeClient(kubeConfig);
    const ns = `tenant-${randomBytes(3).toString("hex")}`;
    const other = `victim-${randomBytes(3).toString("hex")}`;
    for (const name of [ns, other])
      await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name } } });
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "tenant-apps" };
    const labels = {
      "airlift.dev/owner-kind": owner.kind,
      "airlift.dev/owner-namespace": owner.namespace,
      "airlift.dev/owner-name": owner.name,
    };
    // A crafted inventory (it lives in status or in a ConfigMap of the tenant's namespace) naming a ConfigMap and a
    // ClusterRole elsewhere, both labelled as if this sync managed them.
    await admin.request(`/api/v1/namespaces/${other}/configmaps`, {
      method: "POST",
      body: { metadata: { name: "precious", labels }, data: { v: "1" } },
    });
    await admin.request("/apis/rbac.authorization.k8s.io/v1/clusterroles", {
      method: "POST",
      body: { metadata: { name: `${ns}-precious`, labels }, rules: [] },
    });
    const root = writeTree({
      "cm.json": { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mine" }, data: { v: "1" } },
    });
    // No impersonation: the operator's own (admin) identity, so only the scope rule stands between the inventory and the deletes.
    const out = await syncDirectory({
      root,
      scope: { kind: "namespace", namespace: ns },
      owner,
      sourceDigest: "sha256:" + "c".repeat(64),
      kubeConfig,
      previousInventory: [
        { group: "", version: "v1", kind: "ConfigMap", namespace: other, name: "precious" },
        {
          group: "rbac.authorization.k8s.io",
          version: "v1",
          kind: "ClusterRole",
          namespace: "",
          name: `${ns}-precious`,
        },
        { group: "", version: "v1", kind: "ConfigMap", namespace: ns, name: "mine" },
      ],
      prune: true,
    });
    assert.deepEqual(out.pruned, []);
    assert.deepEqual(
      out.abandoned.map((a) => a.reason),
      [
        `outside namespace ${ns}, which this sync may not touch`,
        `outside namespace ${ns}, which this sync may not touch`,
      ],
    );
    assert.ok(await objectExists(admin, `/api/v1/namespaces/${other}/configmaps/precious`));
    assert.ok(await objectExists(admin, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${ns}-precious`));
    assert.deepEqual(
      out.inventory.map((e) => `${e.kind}/${e.namespace}/${e.name}`),
      [`ConfigMap/${ns}/mine`],
    );
    await admin.request(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${ns}-precious`, { method: "DELETE" });
    await admin.close();
  });
});
