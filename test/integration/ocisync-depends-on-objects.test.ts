// Config Sync's `config.kubernetes.io/depends-on` between the objects of one OciSync (issue 16), against the real
// API server and registry. Apply order is read back from the API server itself: resourceVersion is etcd's revision
// at the write, so a dependency created before its dependant has the smaller one. The objects' names run against
// the dependency order (the stage order sorts by name), and a ClusterRole depends on a ConfigMap (the stage order
// applies cluster-scoped objects first), so the test fails without the annotation being honoured. Also: a cycle
// and a dependency outside the source are refused by name while the rest applies; a dependant of a Deployment that
// never becomes Current (no controller-manager here) is not applied within spec.timeout; and prune deletes a
// dependant first, keeping its dependency while a finalizer holds the dependant.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OciSync } from "../../src/api/oci-sync.ts";
import { ANNOTATION_RECONCILE_REQUESTED_AT } from "../../src/kube/reconcile-request.ts";
import {
  createOciSync,
  getOciSync,
  pushWithCrane,
  readyReason,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

const ns = unique("ocis-objdep");
const role = `${ns}-reader`;
let op: TestOperator;

interface Live {
  metadata: { resourceVersion: string; creationTimestamp: string; deletionTimestamp?: string; finalizers?: string[] };
}

const dependsOn = (value?: string): string =>
  value ? `\n  annotations:\n    config.kubernetes.io/depends-on: ${value}` : "";
const cm = (name: string, on?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}${dependsOn(on)}\n`;
const cmRef = (name: string): string => `/namespaces/${ns}/ConfigMap/${name}`;
const cmPath = (name: string): string => `/api/v1/namespaces/${ns}/configmaps/${name}`;
const rolePath = `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`;
const clusterRole = `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${role}${dependsOn(cmRef("c-first"))}\nrules: []\n`;
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: slow
  namespace: ${ns}
spec:
  selector: { matchLabels: { app: slow } }
  template:
    metadata: { labels: { app: slow } }
    spec: { containers: [{ name: c, image: registry.invalid/none:1 }] }
`;

async function requestReconcile(name: string): Promise<void> {
  await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/${name}`, {
    method: "PATCH",
    patchType: "merge",
    body: { metadata: { annotations: { [ANNOTATION_RECONCILE_REQUESTED_AT]: new Date().toISOString() } } },
  });
}

const rv = (o: Live): number => Number(o.metadata.resourceVersion);
const errorsOf = (s: OciSync): { code: string; message: string }[] => s.status?.sync?.errors ?? [];

describe("OciSync: config.kubernetes.io/depends-on inside one source", () => {
  before(async () => {
    op = await startOperator(ns, ns);
  });
  after(async () => op.stop());

  it("applies dependencies first (resourceVersion order), and prunes dependants first", async (t) => {
    const ref = `${op.env.registries.anonymous.host}/${unique("config/objdep")}/app:v1`;
    await pushWithCrane(ref, {
      "a.yaml": cm("a-last", cmRef("b-mid")),
      "b.yaml": cm("b-mid", cmRef("c-first")),
      "c.yaml": cm("c-first"),
      "role.yaml": clusterRole,
    });
    await createOciSync(op.admin, ns, "order", {
      oci: { image: ref, period: "1h", plainHTTP: true },
      timeout: "4s",
      pruneSafeguard: { maxFraction: 1 },
    });
    await waitReady(op.admin, ns, "order", "True/Succeeded");
    const [a, b, c] = await Promise.all(["a-last", "b-mid", "c-first"].map((n) => op.admin.request<Live>(cmPath(n))));
    const r = await op.admin.request<Live>(rolePath);
    t.diagnostic(`resourceVersion c-first=${rv(c!)} b-mid=${rv(b!)} a-last=${rv(a!)} ClusterRole=${rv(r)}`);
    assert.ok(rv(c!) < rv(b!) && rv(b!) < rv(a!), "the chain is created dependency first");
    assert.ok(rv(c!) < rv(r), "the ClusterRole waits for the ConfigMap it depends on");
    assert.ok(c!.metadata.creationTimestamp <= b!.metadata.creationTimestamp);
    assert.ok(b!.metadata.creationTimestamp <= a!.metadata.creationTimestamp);

    // A finalizer holds the dependant: prune deletes it first and keeps its dependencies while it is there.
    await op.admin.request(cmPath("a-last"), {
      method: "PATCH",
      patchType: "merge",
      body: { metadata: { finalizers: ["test.airlift.dev/hold"] } },
    });
    await pushWithCrane(ref, { "keep.yaml": cm("keeper") });
    await requestReconcile("order");
    const held = await waitFor("prune held by the dependant", async () => {
      const s = await getOciSync(op.admin, ns, "order");
      return readyReason(s) === "False/DependencyNotReconciled" ? s : undefined;
    });
    assert.ok(
      errorsOf(held).some((e) =>
        /ConfigMap .*\/b-mid is not pruned yet: its dependant ConfigMap .*\/a-last/.test(e.message),
      ),
    );
    assert.ok(
      (await op.admin.request<Live>(cmPath("a-last"))).metadata.deletionTimestamp,
      "the dependant is deleted first",
    );
    for (const n of ["b-mid", "c-first"])
      assert.equal((await op.admin.request<Live>(cmPath(n))).metadata.deletionTimestamp, undefined, `${n} is kept`);
    await assert.rejects(op.admin.request(rolePath), /404/, "the ClusterRole (no dependant) is pruned");

    await op.admin.request(cmPath("a-last"), {
      method: "PATCH",
      patchType: "merge",
      body: { metadata: { finalizers: null } },
    });
    await requestReconcile("order");
    await waitReady(op.admin, ns, "order", "True/Succeeded");
    for (const n of ["a-last", "b-mid", "c-first"]) await assert.rejects(op.admin.request(cmPath(n)), /404/);
  });

  it("refuses a cycle and a dependency outside the source by name, waits for Current, applies the rest", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("config/objdep-bad")}/app:v1`;
    await pushWithCrane(ref, {
      "x.yaml": cm("cyc-x", cmRef("cyc-y")),
      "y.yaml": cm("cyc-y", cmRef("cyc-x")),
      "ext.yaml": cm("ext", cmRef("nowhere")),
      "slow.yaml": deployment,
      "after-slow.yaml": cm("after-slow", `apps/namespaces/${ns}/Deployment/slow`),
      "fine.yaml": cm("fine"),
    });
    await createOciSync(op.admin, ns, "refused", {
      oci: { image: ref, period: "1h", plainHTTP: true },
      timeout: "3s",
    });
    const s = await waitFor("the refusals in status", async () => {
      const got = await getOciSync(op.admin, ns, "refused");
      return errorsOf(got).length >= 4 ? got : undefined;
    });
    const byCode = (code: string): string[] =>
      errorsOf(s)
        .filter((e) => e.code === code)
        .map((e) => e.message);
    assert.equal(readyReason(s), "False/InvalidDependsOn");
    assert.equal(byCode("DependsOnCycle").length, 2);
    assert.match(byCode("DependsOnCycle")[0] ?? "", /ConfigMap .*\/cyc-(x|y) -> ConfigMap .*\/cyc-(x|y) -> /);
    assert.match(byCode("InvalidDependsOn")[0] ?? "", /ConfigMap .*\/nowhere, which this source does not declare/);
    assert.match(
      byCode("DependencyNotReconciled")[0] ?? "",
      /after-slow is not applied: it depends on Deployment.apps .*\/slow, which is InProgress/,
    );
    for (const n of ["cyc-x", "cyc-y", "ext", "after-slow"])
      await assert.rejects(op.admin.request(cmPath(n)), /404/, n);
    await op.admin.request(cmPath("fine"));
    await op.admin.request(`/apis/apps/v1/namespaces/${ns}/deployments/slow`);
  });
});
