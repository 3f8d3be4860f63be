// spec.validation: Schema on a real API server: objects are checked against the cluster's OpenAPI v3 schemas (and
// the revision's own CRDs) in the operator, so a wrong type or an unknown field stops the revision with nothing but
// its CRDs applied, without a dry-run per object; what only the server judges (label syntax) is refused by the apply
// of that one object while the rest is applied, as the operators' guide says.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { syncDirectory, type SyncOwner } from "../../src/sync/index.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";
import { objectExists, widgetCrd } from "./kube-support.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function writeTree(files: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "airlift-sync-schema-"));
  roots.push(root);
  for (const [path, obj] of Object.entries(files)) writeFileSync(join(root, path), JSON.stringify(obj));
  return root;
}

const configMap = (ns: string, name: string, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: ns },
  data: { a: "1" },
  ...extra,
});

describe("spec.validation Schema", () => {
  it("refuses wrong types and unknown fields before anything but the revision's CRDs is applied", async () => {
    const env = await testEnv();
    const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
    const admin = new KubeClient(kubeConfig);
    const s = randomBytes(3).toString("hex");
    const ns = `valschema-${s}`;
    const group = `s${s}.example.com`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const owner: SyncOwner = { kind: "OciSync", namespace: "airlift-system", name: `valschema-${s}` };
    const root = writeTree({
      "crd.json": widgetCrd(group),
      "good.json": configMap(ns, "good"),
      "unknown.json": configMap(ns, "unknown", { spec: { replicas: 1 } }),
      "deploy.json": {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: ns },
        spec: {
          replicas: "three",
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
        },
      },
      "widget.json": {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: { name: "w", namespace: ns },
        spec: { size: "big" },
      },
    });
    const base = {
      root,
      owner,
      kubeConfig,
      scope: { kind: "cluster" as const },
      prune: true,
      validation: "Schema" as const,
    };
    const out = await syncDirectory({ ...base, sourceDigest: "sha256:" + "a".repeat(64), previousInventory: [] });
    assert.equal(out.loaded, false);
    const messages = out.errors.map((e) => `${e.code} ${e.message}`).sort();
    assert.equal(messages.length, 3, messages.join("\n"));
    assert.match(
      messages[0] ?? "",
      new RegExp(
        `^ValidationFailed failed to validate ConfigMap ${ns}/unknown against the cluster's schema: unknown field "spec" \\(from unknown\\.json\\)`,
      ),
    );
    assert.match(
      messages[1] ?? "",
      new RegExp(`^ValidationFailed failed to validate Deployment.apps ${ns}/web .*spec\\.replicas: .*integer`),
    );
    assert.match(
      messages[2] ?? "",
      new RegExp(`^ValidationFailed failed to validate Widget.${group} ${ns}/w .*spec\\.size: .*integer`),
    );
    assert.deepEqual(
      out.inventory.map((e) => `${e.kind}/${e.name}`),
      [`CustomResourceDefinition/widgets.${group}`],
      "only the revision's CRD was applied (it is what the Widget's schema comes from)",
    );
    assert.equal(await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/good`), false, "nothing else applied");

    // Fixed: everything is applied, with strict field validation on the apply.
    const fixedRoot = writeTree({
      "crd.json": widgetCrd(group),
      "good.json": configMap(ns, "good"),
      "widget.json": {
        apiVersion: `${group}/v1`,
        kind: "Widget",
        metadata: { name: "w", namespace: ns },
        spec: { size: 3 },
      },
    });
    const fixed = await syncDirectory({
      ...base,
      root: fixedRoot,
      sourceDigest: "sha256:" + "b".repeat(64),
      previousInventory: out.inventory,
    });
    assert.deepEqual(fixed.errors, []);
    assert.equal(await objectExists(admin, `/apis/${group}/v1/namespaces/${ns}/widgets/w`), true);
    await admin.request(`/api/v1/namespaces/${ns}`, { method: "DELETE" });
    await admin.request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`, {
      method: "DELETE",
    });
    await admin.close();
  });

  it("leaves what no schema says (label syntax) to the apply: that object fails, the rest is applied", async () => {
    const env = await testEnv();
    const kubeConfig = loadKubeConfig(env.kube.kubeconfigPath);
    const admin = new KubeClient(kubeConfig);
    const s = randomBytes(3).toString("hex");
    const ns = `valschema2-${s}`;
    await admin.request("/api/v1/namespaces", { method: "POST", body: { metadata: { name: ns } } });
    const owner: SyncOwner = { kind: "OciSync", namespace: "airlift-system", name: `valschema2-${s}` };
    const bad = configMap(ns, "b") as { metadata: Record<string, unknown> };
    bad.metadata.labels = { broken: "not a valid label value!" };
    const root = writeTree({ "a.json": configMap(ns, "a"), "b.json": bad, "c.json": configMap(ns, "c") });
    const out = await syncDirectory({
      root,
      owner,
      kubeConfig,
      scope: { kind: "cluster" },
      prune: true,
      validation: "Schema",
      sourceDigest: "sha256:" + "c".repeat(64),
      previousInventory: [],
    });
    assert.equal(out.loaded, true);
    assert.equal(out.errors.length, 1);
    assert.match(out.errors[0]?.message ?? "", new RegExp(`ConfigMap ${ns}/b.*422`));
    assert.equal(await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/a`), true);
    assert.equal(await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/b`), false);
    assert.equal(await objectExists(admin, `/api/v1/namespaces/${ns}/configmaps/c`), true);
    await admin.request(`/api/v1/namespaces/${ns}`, { method: "DELETE" });
    await admin.close();
  });
});
