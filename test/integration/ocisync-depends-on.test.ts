// spec.dependsOn (issue 16) against the real API server and registry: a chain of three syncs becomes Ready in
// dependency order (each waiting with DependencyNotReady until the one it names is Ready at its generation), and
// two syncs naming each other are refused with DependencyCycle naming the cycle.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { OciSync } from "../../src/api/oci-sync.ts";
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

const ns = unique("ocis-dep");
let op: TestOperator;

const cm = (name: string): Record<string, string> => ({
  "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n`,
});

function readySince(s: OciSync): number {
  const ready = s.status?.conditions?.find((c) => c.type === "Ready");
  return Date.parse(ready?.lastTransitionTime ?? "");
}

describe("OciSync dependsOn", () => {
  before(async () => {
    op = await startOperator(ns, ns);
  });
  after(async () => op.stop());

  it("a chain of three becomes Ready in order, the dependants waiting with DependencyNotReady", async () => {
    const host = op.env.registries.anonymous.host;
    const refs = { a: `${host}/${unique("dep/a")}/app:v1`, b: `${host}/${unique("dep/b")}/app:v1` };
    const refC = `${host}/${unique("dep/c")}/app:v1`;
    await pushWithCrane(refs.b, cm("dep-b"));
    await pushWithCrane(refC, cm("dep-c"));
    // c -> b -> a, and a's image does not exist yet: a stalls, b and c wait.
    await createOciSync(op.admin, ns, "c", {
      oci: { image: refC, period: "5s", plainHTTP: true },
      dependsOn: [{ name: "b" }],
    });
    await createOciSync(op.admin, ns, "b", {
      oci: { image: refs.b, period: "5s", plainHTTP: true },
      dependsOn: [{ name: "a", namespace: ns }],
    });
    await createOciSync(op.admin, ns, "a", { oci: { image: refs.a, period: "5s", plainHTTP: true } });
    await waitReady(op.admin, ns, "a", "False/SourceNotFound");
    await waitReady(op.admin, ns, "b", "False/DependencyNotReady");
    // Once a has been reconciled, b's message names a's own failure.
    await waitFor("b naming a's failure", async () => {
      const b = await getOciSync(op.admin, ns, "b");
      const message = b.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "";
      return message === `waiting for OciSync ${ns}/a: Ready=False SourceNotFound` ? b : undefined;
    });
    await waitReady(op.admin, ns, "c", "False/DependencyNotReady");
    await assert.rejects(op.admin.request(`/api/v1/namespaces/${ns}/configmaps/dep-b`), /404/);
    await pushWithCrane(refs.a, cm("dep-a"));
    // a is Stalled; a reconcile request brings it back at once.
    await op.admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/a`, {
      method: "PATCH",
      patchType: "merge",
      body: { metadata: { annotations: { "airlift.dev/reconcile-requested-at": new Date().toISOString() } } },
    });
    const a = await waitReady(op.admin, ns, "a", "True/Succeeded");
    const b2 = await waitReady(op.admin, ns, "b", "True/Succeeded", 30_000);
    const c = await waitReady(op.admin, ns, "c", "True/Succeeded", 30_000);
    assert.ok(readySince(a) <= readySince(b2) && readySince(b2) <= readySince(c));
    const created = async (name: string): Promise<number> =>
      Date.parse(
        (
          await op.admin.request<{ metadata: { creationTimestamp: string } }>(
            `/api/v1/namespaces/${ns}/configmaps/${name}`,
          )
        ).metadata.creationTimestamp,
      );
    assert.ok((await created("dep-a")) <= (await created("dep-b")));
    assert.ok((await created("dep-b")) <= (await created("dep-c")));
    process.stderr.write(`# dependsOn: a Ready -> c Ready in ${readySince(c) - readySince(a)} ms\n`);
  });

  it("a cycle is refused with DependencyCycle naming it", async () => {
    const ref = `${op.env.registries.anonymous.host}/${unique("dep/x")}/app:v1`;
    await pushWithCrane(ref, cm("dep-x"));
    await createOciSync(op.admin, ns, "x", {
      oci: { image: ref, period: "5s", plainHTTP: true },
      dependsOn: [{ name: "y" }],
    });
    await createOciSync(op.admin, ns, "y", {
      oci: { image: ref, period: "5s", plainHTTP: true },
      dependsOn: [{ name: "x" }],
    });
    const x = await waitReady(op.admin, ns, "x", "False/DependencyCycle");
    assert.match(
      x.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "",
      new RegExp(`${ns}/x -> ${ns}/y -> ${ns}/x`),
    );
    assert.ok(x.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True"));
    const y = await getOciSync(op.admin, ns, "y");
    assert.notEqual(y.status?.conditions?.find((c) => c.type === "Ready")?.status, "True");
  });
});
