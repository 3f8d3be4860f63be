// spec.deletionPolicy (issue 16) against the real API server: deleting an OciSync leaves its objects by default
// (Orphan), deletes them with Delete or with the Foreground deletion-propagation annotation (airlift's key and
// Config Sync's `configsync.gke.io/deletion-propagation-policy`), and with WaitForTermination the OciSync stays until
// its objects are really gone: a finalizer on one of them holds the OciSync, while Delete lets it go at once.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
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

const ns = unique("ocis-delpol");
let op: TestOperator;

interface Live {
  metadata: { deletionTimestamp?: string };
}

const cmPath = (name: string): string => `/api/v1/namespaces/${ns}/configmaps/${name}`;
const syncPath = (name: string): string => `/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/${name}`;

/** A synced OciSync `name` owning ConfigMap `name`-cm; returns the ConfigMap's path. */
async function synced(
  name: string,
  spec: Record<string, unknown> = {},
  annotations?: Record<string, string>,
): Promise<string> {
  const ref = `${op.env.registries.anonymous.host}/${unique(`config/${name}`)}/app:v1`;
  await pushWithCrane(ref, {
    "cm.yaml": `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-cm\n  namespace: ${ns}\n`,
  });
  await createOciSync(op.admin, ns, name, { oci: { image: ref, period: "1h", plainHTTP: true }, ...spec }, annotations);
  await waitReady(op.admin, ns, name, "True/Succeeded");
  return cmPath(`${name}-cm`);
}

async function deleteAndWaitGone(name: string): Promise<void> {
  await op.admin.request(syncPath(name), { method: "DELETE" });
  await waitFor(`OciSync ${name} gone`, async () => {
    try {
      await getOciSync(op.admin, ns, name);
      return undefined;
    } catch (err) {
      return /404/.test(String(err)) ? true : undefined;
    }
  });
}

async function hold(path: string, finalizers: string[] | null): Promise<void> {
  await op.admin.request(path, { method: "PATCH", patchType: "merge", body: { metadata: { finalizers } } });
}

describe("OciSync deletionPolicy", () => {
  before(async () => {
    op = await startOperator(ns, ns);
  });
  after(async () => op.stop());

  it("Orphan (the default) leaves the objects", async () => {
    const cm = await synced("orphan");
    await deleteAndWaitGone("orphan");
    await op.admin.request(cm);
  });

  it("Delete deletes them, and so do both Foreground annotations", async () => {
    const cases: [string, Record<string, unknown>, Record<string, string> | undefined][] = [
      ["delete", { deletionPolicy: "Delete" }, undefined],
      ["fg-airlift", {}, { "airlift.dev/deletion-propagation": "Foreground" }],
      ["fg-configsync", {}, { "configsync.gke.io/deletion-propagation-policy": "Foreground" }],
    ];
    for (const [name, spec, annotations] of cases) {
      const cm = await synced(name, spec, annotations);
      await deleteAndWaitGone(name);
      await assert.rejects(op.admin.request(cm), /404/, name);
    }
  });

  it("spec.deletionPolicy Orphan wins over the Foreground annotation", async () => {
    const cm = await synced(
      "orphan-wins",
      { deletionPolicy: "Orphan" },
      { "configsync.gke.io/deletion-propagation-policy": "Foreground" },
    );
    await deleteAndWaitGone("orphan-wins");
    await op.admin.request(cm);
  });

  it("WaitForTermination keeps the OciSync until its objects are gone; Delete does not wait", async () => {
    const held = await synced("wait", { deletionPolicy: "WaitForTermination" });
    const notWaited = await synced("nowait", { deletionPolicy: "Delete" });
    for (const path of [held, notWaited]) await hold(path, ["test.airlift.dev/hold"]);

    await deleteAndWaitGone("nowait");
    assert.ok((await op.admin.request<Live>(notWaited)).metadata.deletionTimestamp, "Delete deleted it, not waiting");

    await op.admin.request(syncPath("wait"), { method: "DELETE" });
    await waitFor("the held object deleted", async () =>
      (await op.admin.request<Live>(held)).metadata.deletionTimestamp ? true : undefined,
    );
    await sleep(4_000);
    const waiting = await getOciSync(op.admin, ns, "wait");
    assert.ok(waiting.metadata.deletionTimestamp, "the OciSync still waits for its object");

    await hold(held, null);
    await hold(notWaited, null);
    await deleteAndWaitGone("wait");
    await assert.rejects(op.admin.request(held), /404/);
  });
});
