// The sync engine against a real kube-apiserver: staged server-side apply, CRDs with their custom resources,
// updates, prune with its opt-outs and safeguards, ownership conflicts, health.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isNotFound } from "../../src/kube/api-error.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import type { KubeObject } from "../../src/kube/resource.ts";
import {
  computeHealth,
  syncDirectory,
  type InventoryEntry,
  type SyncDirectoryOptions,
  type SyncOwner,
} from "../../src/sync/index.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";

const suffix = (): string => randomBytes(3).toString("hex");

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-sync-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const configMap = (
  ns: string,
  name: string,
  data: Record<string, string>,
  annotations: Record<string, string> = {},
): string =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: ns, annotations }, data });

async function setup(): Promise<{
  base: Omit<SyncDirectoryOptions, "root" | "previousInventory" | "owner">;
  admin: KubeClient;
}> {
  const env = await testEnv();
  const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
  return {
    base: { scope: { kind: "cluster" }, sourceDigest: "sha256:" + "a".repeat(64), kubeConfig, prune: true },
    admin: new KubeClient(kubeConfig),
  };
}

async function getOrUndefined(admin: KubeClient, path: string): Promise<KubeObject | undefined> {
  try {
    return await admin.request<KubeObject>(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

describe("sync: apply", () => {
  it("applies the seed's test-namespace.yaml and reports the Namespace Current", async () => {
    const { base, admin } = await setup();
    const root = writeTree({ "test-namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n" });
    const owner: SyncOwner = { kind: "OciSync", namespace: "airlift-system", name: `seed-${suffix()}` };
    const out = await syncDirectory({ ...base, root, owner, previousInventory: [] });
    assert.deepEqual(out.errors, []);
    assert.equal(out.results.length, 1);
    assert.match(out.results[0]!.action, /^(created|configured)$/);
    assert.deepEqual(out.inventory, [{ group: "", kind: "Namespace", namespace: "", name: "test", version: "v1" }]);
    const ns = await admin.request<KubeObject>("/api/v1/namespaces/test");
    assert.equal(ns.metadata.labels?.["airlift.dev/owner-name"], owner.name);
    assert.equal(ns.metadata.annotations?.["airlift.dev/source-digest"], base.sourceDigest);
    const health = await computeHealth(out.inventory, { kubeConfig: base.kubeConfig });
    assert.deepEqual(
      health.map((h) => h.status),
      ["Current"],
    );
    // A second sync of the same source changes nothing.
    const again = await syncDirectory({ ...base, root, owner, previousInventory: out.inventory });
    assert.equal(again.results[0]!.action, "unchanged");
    await admin.close();
  });

  it("applies a CRD and its custom resources from one directory, the CRD established first", async () => {
    const { base, admin } = await setup();
    const s = suffix();
    const group = `g${s}.airlift.dev`;
    const ns = `crd-${s}`;
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `gadgets.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural: "gadgets", singular: "gadget", kind: "Gadget", listKind: "GadgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
              },
            },
          },
        ],
      },
    };
    const gadget = (name: string): string =>
      `---\napiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  size: 3\n`;
    // File order puts the custom resources before their CRD and Namespace: staging must fix that.
    const root = writeTree({
      "a-gadgets.yaml": gadget("one") + gadget("two"),
      "b-crd.json": JSON.stringify(crd),
      "c-ns.yaml": `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
    });
    const owner: SyncOwner = { kind: "OciSync", namespace: "airlift-system", name: `crd-${s}` };
    const out = await syncDirectory({ ...base, root, owner, previousInventory: [] });
    assert.deepEqual(out.errors, []);
    assert.deepEqual(
      out.results.map((r) => `${r.identity.kind}/${r.identity.name}:${r.action}`),
      [
        `CustomResourceDefinition/gadgets.${group}:created`,
        `Namespace/${ns}:created`,
        "Gadget/one:created",
        "Gadget/two:created",
      ],
    );
    const got = await admin.request<KubeObject>(`/apis/${group}/v1/namespaces/${ns}/gadgets/two`);
    assert.deepEqual(got.spec, { size: 3 });
    const health = await computeHealth(out.inventory, { kubeConfig: base.kubeConfig });
    assert.ok(
      health.every((h) => h.status === "Current"),
      JSON.stringify(health),
    );
    await admin.close();
  });

  it("a CRD the server refuses stops the revision before anything is applied, with the CRD named (validate-then-apply)", async () => {
    const { base, admin } = await setup();
    const s = suffix();
    const group = `bad${s}.airlift.dev`;
    // "Bogus" is not a scope: the API server refuses the CRD (422).
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `things.${group}` },
      spec: {
        group,
        scope: "Bogus",
        names: { plural: "things", kind: "Thing" },
        versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } }],
      },
    };
    const root = writeTree({
      "crd.json": JSON.stringify(crd),
      "thing.yaml": `apiVersion: ${group}/v1\nkind: Thing\nmetadata:\n  name: t\n  namespace: default\n`,
      "ok.json": configMap("default", `ok-${s}`, {}),
    });
    const out = await syncDirectory({
      ...base,
      root,
      owner: { kind: "OciSync", namespace: "airlift-system", name: `bad-${s}` },
      previousInventory: [],
    });
    assert.equal(out.loaded, false);
    assert.equal(out.errors[0]?.code, "ValidationFailed");
    assert.match(out.errors[0]?.message ?? "", new RegExp(`things\\.${group.replaceAll(".", "\\.")}: 422`));
    assert.deepEqual(out.inventory, []);
    // Nothing of the revision was applied: neither the CRD nor the ConfigMap beside it.
    await assert.rejects(
      admin.request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.${group}`),
      /404/,
    );
    await assert.rejects(admin.request(`/api/v1/namespaces/default/configmaps/ok-${s}`), /404/);
    await admin.close();
  });

  it("applies 500 ConfigMaps and re-syncs them unchanged", async (t) => {
    const { base, admin } = await setup();
    const s = suffix();
    const ns = `many-${s}`;
    const docs = [`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"${ns}"}}`];
    const files: Record<string, string> = { "ns.json": docs[0]! };
    for (let i = 0; i < 500; i++)
      files[`cm/${String(i).padStart(3, "0")}.json`] = configMap(ns, `cm-${i}`, { index: String(i) });
    const root = writeTree(files);
    const owner: SyncOwner = { kind: "OciSync", namespace: "airlift-system", name: `many-${s}` };
    let started = performance.now();
    const out = await syncDirectory({ ...base, root, owner, previousInventory: [] });
    const firstMs = performance.now() - started;
    assert.deepEqual(out.errors, []);
    assert.equal(out.results.filter((r) => r.action === "created").length, 501);
    assert.equal(out.inventory.length, 501);
    started = performance.now();
    const again = await syncDirectory({ ...base, root, owner, previousInventory: out.inventory });
    const secondMs = performance.now() - started;
    assert.equal(again.results.filter((r) => r.action === "unchanged").length, 501);
    const list = await admin.request<{ items: unknown[] }>(`/api/v1/namespaces/${ns}/configmaps`, {
      query: { labelSelector: `airlift.dev/owner-name=${owner.name}` },
    });
    assert.equal(list.items.length, 500);
    t.diagnostic(
      `500 ConfigMaps + 1 Namespace: first sync ${firstMs.toFixed(0)} ms, unchanged re-sync ${secondMs.toFixed(0)} ms`,
    );
    await admin.close();
  });

  it("applies a change, prunes what was dropped, keeps prune: disabled and IfNotPresent objects as they are", async () => {
    const { base, admin } = await setup();
    const s = suffix();
    const ns = `prune-${s}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "apps" };
    const v1 = writeTree({
      "changed.json": configMap(ns, "changed", { v: "1" }),
      "dropped.json": configMap(ns, "dropped", { v: "1" }),
      "kept.json": configMap(ns, "kept", { v: "1" }, { "airlift.dev/prune": "disabled" }),
      "once.json": configMap(ns, "once", { v: "1" }, { "airlift.dev/apply": "IfNotPresent" }),
    });
    const first = await syncDirectory({ ...base, root: v1, owner, previousInventory: [] });
    assert.deepEqual(first.errors, []);
    assert.equal(first.inventory.length, 4);
    // Someone edits the IfNotPresent object: the next sync must leave it.
    await admin.request(`/api/v1/namespaces/${ns}/configmaps/once`, {
      method: "PATCH",
      patchType: "merge",
      body: { data: { v: "edited" } },
    });
    const v2 = writeTree({
      "changed.json": configMap(ns, "changed", { v: "2" }),
      "once.json": configMap(ns, "once", { v: "2" }, { "airlift.dev/apply": "IfNotPresent" }),
    });
    const second = await syncDirectory({ ...base, root: v2, owner, previousInventory: first.inventory });
    assert.deepEqual(second.errors, []);
    const byName = new Map(second.results.map((r) => [r.identity.name, r.action]));
    assert.equal(byName.get("changed"), "configured");
    assert.equal(byName.get("once"), "skipped");
    assert.deepEqual(
      second.pruned.map((e) => e.name),
      ["dropped"],
    );
    assert.deepEqual(
      second.abandoned.map((a) => [a.entry.name, a.reason]),
      [["kept", "airlift.dev/prune is disabled"]],
    );
    assert.deepEqual(
      second.inventory.map((e) => e.name),
      ["changed", "once"],
    );
    const cm = (name: string): Promise<KubeObject | undefined> =>
      getOrUndefined(admin, `/api/v1/namespaces/${ns}/configmaps/${name}`);
    assert.deepEqual((await cm("changed"))?.data, { v: "2" });
    assert.equal(await cm("dropped"), undefined);
    assert.deepEqual((await cm("kept"))?.data, { v: "1" });
    assert.deepEqual((await cm("once"))?.data, { v: "edited" });
    await admin.close();
  });

  it("reports a management conflict between two owners and leaves the object to the first", async () => {
    const { base, admin } = await setup();
    const ns = `conflict-${suffix()}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const first: SyncOwner = { kind: "OciSync", namespace: ns, name: "first" };
    const second: SyncOwner = { kind: "OciSync", namespace: ns, name: "second" };
    const a = await syncDirectory({
      ...base,
      root: writeTree({ "c.json": configMap(ns, "shared", { from: "first" }) }),
      owner: first,
      previousInventory: [],
    });
    assert.deepEqual(a.errors, []);
    const b = await syncDirectory({
      ...base,
      root: writeTree({
        "c.json": configMap(ns, "shared", { from: "second" }),
        "own.json": configMap(ns, "own", { from: "second" }),
      }),
      owner: second,
      previousInventory: [],
    });
    const shared = b.results.find((r) => r.identity.name === "shared")!;
    assert.equal(shared.action, "failed");
    assert.equal(shared.error?.code, "ManagementConflict");
    assert.match(shared.error.message, new RegExp(`managed by OciSync ${ns}/first`));
    assert.equal(b.results.find((r) => r.identity.name === "own")?.action, "created");
    assert.deepEqual(
      b.inventory.map((e) => e.name),
      ["own"],
    );
    const got = await admin.request<KubeObject>(`/api/v1/namespaces/${ns}/configmaps/shared`);
    assert.deepEqual(got.data, { from: "first" });
    assert.equal(got.metadata.labels?.["airlift.dev/owner-name"], "first");
    await admin.close();
  });

  it("reports a field conflict with another manager on an unowned object instead of forcing it", async () => {
    const { base, admin } = await setup();
    const ns = `ssa-${suffix()}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    await admin.request(`/api/v1/namespaces/${ns}/configmaps/preexisting`, {
      method: "PATCH",
      patchType: "apply",
      query: { fieldManager: "someone-else" },
      body: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "preexisting", namespace: ns },
        data: { k: "theirs" },
      },
    });
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "apps" };
    const out = await syncDirectory({
      ...base,
      root: writeTree({ "p.json": configMap(ns, "preexisting", { k: "ours" }) }),
      owner,
      previousInventory: [],
    });
    assert.equal(out.results[0]?.action, "failed");
    assert.equal(out.results[0]?.error?.code, "ApplyConflict");
    assert.deepEqual((await admin.request<KubeObject>(`/api/v1/namespaces/${ns}/configmaps/preexisting`)).data, {
      k: "theirs",
    });
    await admin.close();
  });

  it("refuses to prune everything when the source becomes empty, unless allowed", async () => {
    const { base, admin } = await setup();
    const ns = `guard-${suffix()}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "apps" };
    const full = await syncDirectory({
      ...base,
      root: writeTree({ "a.json": configMap(ns, "a", {}), "b.json": configMap(ns, "b", {}) }),
      owner,
      previousInventory: [],
    });
    const empty = writeTree({ "README.yaml": "# nothing here\n" });
    const refused = await syncDirectory({ ...base, root: empty, owner, previousInventory: full.inventory });
    assert.equal(refused.errors.length, 1);
    assert.equal(refused.errors[0]?.code, "PruneRefused");
    assert.deepEqual(refused.pruned, []);
    assert.deepEqual(refused.inventory, full.inventory);
    assert.ok(await getOrUndefined(admin, `/api/v1/namespaces/${ns}/configmaps/a`));
    const allowed = await syncDirectory({
      ...base,
      root: empty,
      owner,
      previousInventory: refused.inventory,
      safeguards: { allowPruneAll: true },
    });
    assert.deepEqual(allowed.errors, []);
    assert.deepEqual(
      allowed.pruned.map((e) => e.name),
      ["a", "b"],
    );
    assert.deepEqual(allowed.inventory, []);
    assert.equal(await getOrUndefined(admin, `/api/v1/namespaces/${ns}/configmaps/a`), undefined);
    rmSync(empty, { recursive: true });
    await admin.close();
  });

  it("computes health from status the test writes (no controllers run here)", async () => {
    const { base, admin } = await setup();
    const ns = `health-${suffix()}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const owner: SyncOwner = { kind: "OciSync", namespace: ns, name: "apps" };
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "registry.invalid/web:1" }] },
        },
      },
    };
    const out = await syncDirectory({
      ...base,
      root: writeTree({ "web.json": JSON.stringify(deployment) }),
      owner,
      previousInventory: [],
    });
    assert.deepEqual(out.errors, []);
    const missing: InventoryEntry = {
      group: "",
      kind: "ConfigMap",
      namespace: ns,
      name: "never-created",
      version: "v1",
    };
    let health = await computeHealth([...out.inventory, missing], { kubeConfig: base.kubeConfig });
    assert.deepEqual(
      health.map((h) => h.status),
      ["InProgress", "NotFound"],
    );
    const statusPath = `/apis/apps/v1/namespaces/${ns}/deployments/web/status`;
    await admin.request(statusPath, {
      method: "PATCH",
      patchType: "merge",
      body: {
        status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
      },
    });
    health = await computeHealth(out.inventory, { kubeConfig: base.kubeConfig });
    assert.equal(health[0]?.status, "Current", health[0]?.message);
    await admin.close();
  });
});
