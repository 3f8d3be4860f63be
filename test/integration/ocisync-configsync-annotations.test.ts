// Config Sync's lifecycle annotations in a synced repo (issue 16), as Config Sync documents them
// (https://cloud.google.com/kubernetes-engine/enterprise/config-sync/docs/how-to/managing-objects):
// `client.lifecycle.config.k8s.io/mutation: ignore` creates the object once and then neither the cluster's nor the
// source's changes are applied; `client.lifecycle.config.k8s.io/deletion: detach` leaves the object in the cluster
// when it leaves the source, while an unannotated object is pruned; `configmanagement.gke.io/managed: disabled` leaves
// the object alone: not created, not updated, not pruned once it leaves the source, and out of the inventory.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OciSync } from "../../src/api/oci-sync.ts";
import { ANNOTATION_RECONCILE_REQUESTED_AT } from "../../src/kube/reconcile-request.ts";
import {
  createOciSync,
  getOciSync,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("ocis-cs");
let op: TestOperator;

function cm(name: string, value: string, annotations: Record<string, string> = {}): string {
  const ann = Object.entries(annotations)
    .map(([k, v]) => `\n    ${k}: ${v}`)
    .join("");
  const meta = `  name: ${name}\n  namespace: ${ns}${ann ? `\n  annotations:${ann}` : ""}`;
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n${meta}\ndata:\n  value: "${value}"\n`;
}

const cmPath = (name: string): string => `/api/v1/namespaces/${ns}/configmaps/${name}`;

async function requestReconcile(name: string): Promise<void> {
  await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/${name}`, {
    method: "PATCH",
    patchType: "merge",
    body: { metadata: { annotations: { [ANNOTATION_RECONCILE_REQUESTED_AT]: new Date().toISOString() } } },
  });
}

async function waitSynced(name: string, digest: string): Promise<OciSync> {
  return waitFor(`digest ${digest} synced`, async () => {
    const s = await getOciSync(op.admin, ns, name);
    const ready = s.status?.conditions?.find((c) => c.type === "Ready");
    return s.status?.sync?.digest === digest && ready?.status === "True" ? s : undefined;
  });
}

describe("OciSync: Config Sync lifecycle annotations", () => {
  before(async () => {
    op = await startOperator(ns, ns);
  });
  after(async () => op.stop());

  it("mutation: ignore is never overwritten, deletion: detach stays after leaving the source", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("config/cs")}/app:v1`;
    await pushWithCrane(ref, {
      "ignore.yaml": cm("cs-ignore", "1", { "client.lifecycle.config.k8s.io/mutation": "ignore" }),
      "detach.yaml": cm("cs-detach", "1", { "client.lifecycle.config.k8s.io/deletion": "detach" }),
      "plain.yaml": cm("cs-plain", "1"),
    });
    await createOciSync(op.admin, ns, "cs", {
      oci: { image: ref, period: "1h", plainHTTP: true },
      pruneSafeguard: { maxFraction: 1 },
    });
    await waitReady(op.admin, ns, "cs", "True/Succeeded");
    await op.admin.request(cmPath("cs-ignore"), {
      method: "PATCH",
      patchType: "merge",
      body: { data: { value: "by-hand" } },
    });
    const second = await pushWithCrane(ref, {
      "ignore.yaml": cm("cs-ignore", "2", { "client.lifecycle.config.k8s.io/mutation": "ignore" }),
    });
    await requestReconcile("cs");
    await waitSynced("cs", second);
    const ignored = await op.admin.request<{ data: { value: string } }>(cmPath("cs-ignore"));
    assert.equal(ignored.data.value, "by-hand");
    const detached = await op.admin.request<{ data: { value: string } }>(cmPath("cs-detach"));
    assert.equal(detached.data.value, "1");
    await assert.rejects(op.admin.request(cmPath("cs-plain")), /404/);
  });

  it("managed: disabled is neither applied nor pruned, and leaves the inventory", async () => {
    const disabled = { "configmanagement.gke.io/managed": "disabled" };
    const ref = `${op.env.registries.anonymous.host}/${unique("config/cs-managed")}/app:v1`;
    await pushWithCrane(ref, { "kept.yaml": cm("cs-kept", "1"), "later.yaml": cm("cs-later", "1") });
    await createOciSync(op.admin, ns, "managed", {
      oci: { image: ref, period: "1h", plainHTTP: true },
      pruneSafeguard: { maxFraction: 1 },
    });
    await waitReady(op.admin, ns, "managed", "True/Succeeded");
    const second = await pushWithCrane(ref, {
      "kept.yaml": cm("cs-kept", "1"),
      "later.yaml": cm("cs-later", "2", disabled),
      "never.yaml": cm("cs-never", "1", disabled),
    });
    await requestReconcile("managed");
    const synced = await waitSynced("managed", second);
    assert.deepEqual(
      (synced.status?.inventory ?? []).map((e) => e.name),
      ["cs-kept"],
      "only the managed ConfigMap stays in the inventory",
    );
    const later = await op.admin.request<{ data: { value: string } }>(cmPath("cs-later"));
    assert.equal(later.data.value, "1", "the disabled object was not updated");
    await assert.rejects(op.admin.request(cmPath("cs-never")), /404/, "a disabled object is never created");
    const third = await pushWithCrane(ref, { "kept.yaml": cm("cs-kept", "1") });
    await requestReconcile("managed");
    await waitSynced("managed", third);
    const still = await op.admin.request<{ data: { value: string } }>(cmPath("cs-later"));
    assert.equal(still.data.value, "1", "left the source after managed: disabled, and was not pruned");
  });
});
