// What an OciSync costs the API server, counted by the API server itself (apiserver-requests.ts): a first sync is
// one apply per object and no read per object (health comes from the apply's answer, ownership from one metadata
// LIST per kind and namespace); with the image unchanged a period lists nothing and writes nothing, not even the
// inventory ConfigMap; drift is repaired through the watches long before a one-hour period; and a source over the
// per-sync object limit stalls with ObjectLimitExceeded and applies nothing.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { KubeObject } from "../../src/kube/resource.ts";
import { startKube, type KubeEnv } from "../env/index.ts";
import { apiRequestCounts, countOf, countsSince, describeCounts } from "./apiserver-requests.ts";
import {
  createOciSync,
  ensureNamespace,
  pushWithCrane,
  startOperator,
  unique,
  waitFor,
  waitReady,
  type TestOperator,
} from "./ocisync-support.ts";

/** `count` ConfigMaps of namespace `ns` in 10 files. */
function configMaps(ns: string, count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let f = 0; f < 10; f++) {
    const docs: string[] = [];
    for (let i = f; i < count; i += 10)
      docs.push(
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n  namespace: ${ns}\ndata:\n  i: "${i}"\n`,
      );
    files[`part-${f}.yaml`] = docs.join("---\n");
  }
  return files;
}

describe("OciSync: requests per object, steady state and drift through watches", () => {
  const opNs = unique("ocis-steady");
  let op: TestOperator;
  // An API server of its own: its request counters are global, and the suite's other files run beside this one.
  let kube: KubeEnv;
  before(async () => {
    kube = await startKube(mkdtempSync(join(tmpdir(), "airlift-steady-kube-")));
    op = await startOperator(opNs, opNs, { syncMaxObjects: 1_500, kube });
  });
  after(async () => {
    await op.stop();
    await kube.stop();
  });

  it("applies 1,100 objects with one request each and reads none back; an unchanged period lists and writes nothing", async () => {
    const count = 1_100; // over 1,000: the inventory lives in a ConfigMap, which must not be re-applied each period
    const ns = unique("steady");
    await ensureNamespace(op.admin, ns);
    const ref = `${op.env.registries.anonymous.host}/${unique("steady/cms")}:v1`;
    await pushWithCrane(ref, configMaps(ns, count));
    const kubeconfig = op.env.kube.kubeconfigPath;
    const before = await apiRequestCounts(kubeconfig);
    await createOciSync(op.admin, opNs, "steady", { oci: { image: ref, period: "5s", plainHTTP: true } });
    const s = await waitReady(op.admin, opNs, "steady", "True/Succeeded", 120_000);
    assert.ok(s.status?.inventoryRef, "the inventory moved to a ConfigMap");
    const cm = await op.admin.request<{ binaryData?: Record<string, string> }>(
      `/api/v1/namespaces/${opNs}/configmaps/${s.status.inventoryRef.name}`,
    );
    // Gzipped: 10,000 entries as plain JSON would pass a ConfigMap's 1 MiB.
    assert.ok(cm.binaryData?.["inventory.json.gz"]);
    const first = countsSince(before, await apiRequestCounts(kubeconfig));
    process.stdout.write(`# first sync of ${count} ConfigMaps: ${describeCounts(first)}\n`);
    // One apply per object (and its validation dry-run, validate.ts), plus the inventory ConfigMap's writes; no GET
    // per object (before: 2 per object).
    assert.ok(countOf(first, "APPLY", "configmaps") >= count);
    assert.ok(countOf(first, "APPLY", "configmaps") <= count + 5, describeCounts(first));
    assert.ok(countOf(first, "APPLY(dry-run)", "configmaps") <= count + 5, describeCounts(first));
    assert.ok(countOf(first, "GET", "configmaps") <= 10, describeCounts(first));
    assert.ok(countOf(first, "LIST", "configmaps") <= 10, describeCounts(first));

    // Steady state: two 5s periods with the image unchanged.
    await sleep(3_000);
    const quiet = await apiRequestCounts(kubeconfig);
    await sleep(11_000);
    const steady = countsSince(quiet, await apiRequestCounts(kubeconfig));
    process.stdout.write(`# 11 s of steady state (period 5s): ${describeCounts(steady) || "no request"}\n`);
    assert.equal(countOf(steady, "LIST", "configmaps"), 0, describeCounts(steady));
    assert.equal(countOf(steady, "APPLY", "configmaps"), 0, describeCounts(steady));
    assert.equal(countOf(steady, "APPLY(dry-run)", "configmaps"), 0, describeCounts(steady));
    assert.equal(countOf(steady, "PATCH", "configmaps"), 0, describeCounts(steady));
  });

  it("repairs a deleted and an edited object through its watches, long before a one-hour period", async () => {
    const ns = unique("watch");
    await ensureNamespace(op.admin, ns);
    const ref = `${op.env.registries.anonymous.host}/${unique("steady/watch")}:v1`;
    await pushWithCrane(ref, configMaps(ns, 20));
    await createOciSync(op.admin, opNs, "hourly", { oci: { image: ref, period: "1h", plainHTTP: true } });
    await waitReady(op.admin, opNs, "hourly", "True/Succeeded");
    const path = (n: string): string => `/api/v1/namespaces/${ns}/configmaps/${n}`;
    const started = Date.now();
    await op.admin.request(path("cm-3"), { method: "DELETE" });
    await op.admin.request(path("cm-4"), { method: "PATCH", patchType: "merge", body: { data: { i: "edited" } } });
    await waitFor(
      "cm-3 recreated and cm-4 restored",
      async () => {
        const a = await op.admin.request<KubeObject>(path("cm-3")).catch(() => undefined);
        const b = await op.admin.request<KubeObject & { data?: { i?: string } }>(path("cm-4"));
        return a && b.data?.i === "4" ? true : undefined;
      },
      20_000,
    );
    process.stdout.write(`# drift repaired through the watches in ${Date.now() - started} ms (period 1h)\n`);
  });

  it("a source over the per-sync object limit stalls with ObjectLimitExceeded and applies nothing", async () => {
    const ns = unique("limit");
    await ensureNamespace(op.admin, ns);
    const ref = `${op.env.registries.anonymous.host}/${unique("steady/limit")}:v1`;
    await pushWithCrane(ref, configMaps(ns, 1_501));
    await createOciSync(op.admin, opNs, "over", { oci: { image: ref, period: "1h", plainHTTP: true } });
    const s = await waitReady(op.admin, opNs, "over", "False/ObjectLimitExceeded");
    const ready = s.status?.conditions?.find((c) => c.type === "Ready");
    assert.match(ready?.message ?? "", /more than 1500 objects, the per-sync limit/);
    assert.match(ready?.message ?? "", /--sync-max-objects/);
    const listed = await op.admin.request<{ items: unknown[] }>(`/api/v1/namespaces/${ns}/configmaps`, {
      query: { labelSelector: "airlift.dev/owner-kind" },
    });
    assert.equal(listed.items.length, 0);
  });
});
