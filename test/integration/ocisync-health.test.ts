// spec.healthChecks and spec.healthCheckExprs (issue 16) against the real API server and registry. The test API
// server runs no controllers, so the test writes the status subresources itself, as a Deployment controller or a
// custom resource's operator would: the OciSync's Ready follows a Deployment it does not own, and a custom resource
// judged by CEL moves InProgress -> Failed -> Current as its status.phase does. A tenant naming another namespace is
// refused with ScopeViolation before anything is applied.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { OciSync } from "../../src/api/oci-sync.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import {
  createOciSync,
  ensureNamespace,
  getOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("ocis-health");
const tenantNs = unique("ocis-health-t");
const group = `h${randomBytes(3).toString("hex")}.example.com`;
let op: TestOperator;
let tenantOp: TestOperator;

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`;
const widget = `apiVersion: ${group}/v1
kind: Widget
metadata:
  name: w
  namespace: ${ns}
spec:
  size: 1
`;

async function setStatus(admin: KubeClient, path: string, status: Record<string, unknown>): Promise<void> {
  await admin.request(`${path}/status`, { method: "PATCH", patchType: "merge", body: { status } });
}

const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/web`;
const widgetPath = `/apis/${group}/v1/namespaces/${ns}/widgets/w`;

/** Waits until the inventory entry of the Widget and the health check of the Deployment have these statuses. */
async function waitHealth(admin: KubeClient, widgetStatus: string, webStatus: string): Promise<OciSync> {
  return waitFor(`Widget ${widgetStatus}, Deployment ${webStatus}`, async () => {
    const s = await getOciSync(admin, ns, "health");
    const w = s.status?.inventory?.find((e) => e.kind === "Widget");
    const web = s.status?.healthChecks?.find((c) => c.name === "web");
    return w?.status === widgetStatus && web?.status === webStatus ? s : undefined;
  });
}

describe("OciSync healthChecks and healthCheckExprs", () => {
  before(async () => {
    op = await startOperator(ns, ns);
    tenantOp = await startOperator(`${tenantNs}-op`, tenantNs);
  });
  after(async () => {
    await op.stop();
    await tenantOp.stop();
    await op.admin
      .request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`, { method: "DELETE" })
      .catch(() => undefined);
  });

  it("Ready waits for a Deployment it does not own and for a CEL-judged custom resource", async () => {
    const { admin } = op;
    await admin.request(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      method: "POST",
      body: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "nginx" }] } },
        },
      },
    });
    const image = `${op.env.registries.anonymous.host}/${unique("health")}/app:v1`;
    await pushWithCrane(image, { "crd.yaml": crd, "widget.yaml": widget });
    await createOciSync(admin, ns, "health", {
      oci: { image, period: "5s", plainHTTP: true },
      timeout: "10m",
      healthChecks: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web" }],
      healthCheckExprs: [
        {
          apiVersion: `${group}/v1`,
          kind: "Widget",
          inProgress: "status.phase == 'Pending'",
          failed: "status.phase == 'Failed'",
          current: "status.phase == 'Ready'",
        },
      ],
    });
    // No status yet: the expression names a missing field (Unknown), the Deployment has no replicas available.
    let s = await waitHealth(admin, "Unknown", "InProgress");
    assert.equal(s.status?.healthChecks?.[0]?.namespace, ns);
    assert.equal((await waitReady(admin, ns, "health", "Unknown/HealthPending")).status?.healthChecks?.length, 1);

    await setStatus(admin, widgetPath, { phase: "Pending" });
    await waitHealth(admin, "InProgress", "InProgress");
    await setStatus(admin, widgetPath, { phase: "Failed" });
    await waitHealth(admin, "Failed", "InProgress");
    s = await waitReady(admin, ns, "health", "False/HealthTimeout");
    assert.match(s.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /Widget .*\/w \(Failed/);
    await setStatus(admin, widgetPath, { phase: "Ready" });
    s = await waitHealth(admin, "Current", "InProgress");
    const ready = await waitReady(admin, ns, "health", "Unknown/HealthPending");
    assert.match(ready.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /Deployment .*\/web/);

    // The Deployment's controller would write this: the rollout is done.
    await setStatus(admin, deploymentPath, {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
    });
    await waitHealth(admin, "Current", "Current");
    await waitReady(admin, ns, "health", "True/Succeeded");

    // A new rollout: the Deployment is in progress again and so is the sync.
    await setStatus(admin, deploymentPath, { updatedReplicas: 0, availableReplicas: 0 });
    await waitHealth(admin, "Current", "InProgress");
    await waitReady(admin, ns, "health", "Unknown/HealthPending");
  });

  it("a bad expression stalls with InvalidHealthCheckExpr naming the field", async () => {
    const image = `${op.env.registries.anonymous.host}/${unique("health-bad")}/app:v1`;
    await pushWithCrane(image, {
      "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad-expr\n  namespace: ${ns}\n`,
    });
    await createOciSync(op.admin, ns, "bad-expr", {
      oci: { image, period: "5s", plainHTTP: true },
      healthCheckExprs: [{ apiVersion: `${group}/v1`, kind: "Widget", current: "status.phase ==" }],
    });
    const s = await waitReady(op.admin, ns, "bad-expr", "False/InvalidHealthCheckExpr");
    const message = s.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "";
    assert.match(message, /spec\.healthCheckExprs\[0\]\.current: does not parse/);
    await assert.rejects(op.admin.request(`/api/v1/namespaces/${ns}/configmaps/bad-expr`), /404/);
  });

  it("a tenant may not check an object of another namespace, nor a cluster-scoped one", async () => {
    await ensureNamespace(tenantOp.admin, tenantNs);
    const image = `${op.env.registries.anonymous.host}/${unique("health-t")}/app:v1`;
    await pushWithCrane(image, {
      "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tenant-cm\n  namespace: ${tenantNs}\n`,
    });
    await createOciSync(tenantOp.admin, tenantNs, "foreign", {
      oci: { image, period: "5s", plainHTTP: true },
      healthChecks: [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: ns }],
    });
    await createOciSync(tenantOp.admin, tenantNs, "cluster", {
      oci: { image, period: "5s", plainHTTP: true },
      healthChecks: [{ apiVersion: "v1", kind: "Namespace", name: ns }],
    });
    const foreign = await waitReady(tenantOp.admin, tenantNs, "foreign", "False/ScopeViolation");
    assert.match(
      foreign.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
      new RegExp(`spec.healthChecks entry Deployment ${ns}/web .*names in namespace ${ns}`),
    );
    const cluster = await waitReady(tenantOp.admin, tenantNs, "cluster", "False/ScopeViolation");
    assert.match(cluster.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "", /a cluster-scoped object/);
    assert.equal(cluster.status?.healthChecks, undefined);
    // Refused before the sync stage: nothing applied.
    await assert.rejects(tenantOp.admin.request(`/api/v1/namespaces/${tenantNs}/configmaps/tenant-cm`), /404/);
  });
});
