// Sharding on the real API server (Flux's model): a main instance watching `!sharding.airlift.dev/key` and two shards
// each watching `sharding.airlift.dev/key=<shard>`, each with its own leader Lease. Every object is reconciled by
// exactly one of them; moving the label moves the object; a stopped shard's objects wait for it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SHARD_LABEL } from "../../src/cli/operator-config.ts";
import type { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import type { ResourceType } from "../../src/kube/resource.ts";
import { loadKubeConfig, testEnv } from "../env/index.ts";
import {
  RecordingReconciler,
  createNamespace,
  eventually,
  installWidgetCrd,
  testManager,
  unique,
  widgetController,
  type Call,
} from "./kube-support.ts";

const group = `${unique("shard")}.kubetest.airlift.dev`;
let client: KubeClient;
let type: ResourceType;
let ns: string;
const calls: Call[] = [];
const running: Manager[] = [];

before(async () => {
  client = new KubeClient(loadKubeConfig((await testEnv()).kube.kubeconfigPath));
  type = await installWidgetCrd(client, group);
  ns = unique("sharding");
  await createNamespace(client, ns);
});

after(async () => {
  for (const m of running) await m.stop();
  await client.close();
});

/** An operator instance: its own client, informers and Lease, reconciling what `selector` matches. */
async function instance(id: string, selector: string): Promise<Manager> {
  const env = await testEnv();
  const rec = new RecordingReconciler(id);
  const { manager } = testManager(loadKubeConfig(env.kube.kubeconfigPath), {
    namespace: ns,
    watchNamespace: ns,
    watchLabelSelector: selector,
    identity: id,
    leaderElection: {
      name: `airlift-leader-${id}`,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    },
  });
  manager.add(
    widgetController(type, {
      reconcile: (req, ctx) => rec.reconcile(req, ctx).finally(() => calls.push(...rec.calls.splice(0))),
    }),
  );
  await manager.start();
  await eventually(`${id} leads`, () => manager.isLeader);
  running.push(manager);
  return manager;
}

async function widget(name: string, shard: string | undefined): Promise<void> {
  await client.request(`/apis/${group}/v1/namespaces/${ns}/widgets`, {
    method: "POST",
    body: {
      apiVersion: `${group}/v1`,
      kind: "Widget",
      metadata: { name, namespace: ns, ...(shard ? { labels: { [SHARD_LABEL]: shard } } : {}) },
      spec: { size: 1 },
    },
  });
}

async function patch(name: string, body: Record<string, unknown>): Promise<void> {
  await client.request(`/apis/${group}/v1/namespaces/${ns}/widgets/${name}`, {
    method: "PATCH",
    patchType: "merge",
    body,
  });
}

const who = (name: string, since = 0): string[] => [
  ...new Set(calls.filter((c) => c.key === `${ns}/${name}` && c.at >= since).map((c) => c.manager)),
];
const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("sharding by label selector", () => {
  it("reconciles each object in exactly one instance, moves it with its label, and keeps a stopped shard's", async () => {
    await instance("main", `!${SHARD_LABEL}`);
    await instance("shard1", `${SHARD_LABEL}=shard1`);
    const shard2 = await instance("shard2", `${SHARD_LABEL}=shard2`);
    await widget("plain", undefined);
    await widget("one", "shard1");
    await widget("two", "shard2");
    await eventually("all three reconciled", () => ["plain", "one", "two"].every((n) => who(n).length > 0));
    await settle(2_000);
    assert.deepEqual(who("plain"), ["main"]);
    assert.deepEqual(who("one"), ["shard1"]);
    assert.deepEqual(who("two"), ["shard2"]);

    // Moving the label: shard1's watch sees the object leave, shard2's sees it arrive.
    const movedAt = Date.now();
    await patch("one", { metadata: { labels: { [SHARD_LABEL]: "shard2" } } });
    await eventually("shard2 takes 'one'", () => who("one", movedAt).includes("shard2"));
    await patch("one", { spec: { size: 2 } });
    await settle(2_000);
    assert.deepEqual(who("one", movedAt), ["shard2"]);

    // A stopped shard: its objects change, nobody else touches them; the shard back takes them up.
    await shard2.stop();
    running.splice(running.indexOf(shard2), 1);
    const stoppedAt = Date.now();
    await patch("two", { spec: { size: 3 } });
    await widget("three", "shard2");
    await settle(4_000);
    assert.deepEqual(who("two", stoppedAt), []);
    assert.deepEqual(who("three"), []);
    const backAt = Date.now();
    await instance("shard2", `${SHARD_LABEL}=shard2`);
    await eventually("shard2 back reconciles its objects", () =>
      ["two", "three"].every((n) => who(n, backAt).length > 0),
    );
    for (const n of ["two", "three", "one"])
      assert.deepEqual(who(n, stoppedAt), n === "one" ? who(n, backAt) : ["shard2"]);
    assert.deepEqual(who("plain", stoppedAt), []);
  });
});
