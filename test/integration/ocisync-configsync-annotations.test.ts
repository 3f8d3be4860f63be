// Config Sync's lifecycle annotations in a synced repo (issue 16), as Config Sync documents them
// (https://cloud.google.com/kubernetes-engine/enterprise/config-sync/docs/how-to/managing-objects):
// `client.lifecycle.config.k8s.io/mutation: ignore` creates the object once and then neither the cluster's nor the
// source's changes are applied; `client.lifecycle.config.k8s.io/deletion: detach` leaves the object in the cluster
// when it leaves the source, while an unannotated object is pruned.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
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
    await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/cs`, {
      method: "PATCH",
      patchType: "merge",
      body: { metadata: { annotations: { [ANNOTATION_RECONCILE_REQUESTED_AT]: new Date().toISOString() } } },
    });
    await waitFor("the second digest synced", async () => {
      const s = await getOciSync(op.admin, ns, "cs");
      const ready = s.status?.conditions?.find((c) => c.type === "Ready");
      return s.status?.sync?.digest === second && ready?.status === "True" ? s : undefined;
    });
    const ignored = await op.admin.request<{ data: { value: string } }>(cmPath("cs-ignore"));
    assert.equal(ignored.data.value, "by-hand");
    const detached = await op.admin.request<{ data: { value: string } }>(cmPath("cs-detach"));
    assert.equal(detached.data.value, "1");
    await assert.rejects(op.admin.request(cmPath("cs-plain")), /404/);
  });
});
