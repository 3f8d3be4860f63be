// Leader election on a real Lease: only the leader reconciles; a graceful stop releases the lease so the standby
// takes over at its next retry; a killed leader (lease abandoned, not released) is replaced once the lease expires.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { LEASES, objectPath, type ResourceType } from "../../src/kube/resource.ts";
import { loadKubeConfig, repoRoot, testEnv } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import {
  RecordingReconciler,
  createNamespace,
  createWidget,
  eventually,
  installWidgetCrd,
  testManager,
  unique,
  widgetController,
  type Call,
} from "./kube-support.ts";

const group = `${unique("lead")}.kubetest.airlift.dev`;
let client: KubeClient;
let type: ResourceType;
const children: ChildProcess[] = [];

before(async () => {
  const env = await testEnv();
  client = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  type = await installWidgetCrd(client, group);
  // The operator processes this file starts refuse to run without airlift's own CRDs: do not rely on another file.
  await installCrds(kubeClient(env));
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await client.close();
});

interface LeaseDoc {
  spec?: { holderIdentity?: string; leaseTransitions?: number };
}

async function holder(ns: string, name: string): Promise<string> {
  try {
    const lease = await client.request<LeaseDoc>(objectPath(LEASES, { namespace: ns, name }));
    return lease.spec?.holderIdentity ?? "";
  } catch {
    return "";
  }
}

describe("leader election", () => {
  it("only the leader reconciles, and a graceful stop hands over well within the lease duration", async () => {
    const env = await testEnv();
    const ns = unique("le-inproc");
    const lease = unique("lease");
    await createNamespace(client, ns);
    const calls: Call[] = [];
    const make = (id: string): ReturnType<typeof testManager> => {
      const rec = new RecordingReconciler(id);
      const made = testManager(loadKubeConfig(env.kube.kubeconfigPath), {
        namespace: ns,
        watchNamespace: ns,
        identity: id,
        leaderElection: { name: lease, leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
        onLeadershipLost: () => assert.fail(`${id} lost its lease`),
      });
      made.manager.add(
        widgetController(type, {
          reconcile: (req, ctx) => rec.reconcile(req, ctx).finally(() => calls.push(...rec.calls.splice(0))),
        }),
      );
      return made;
    };
    const a = make("replica-a").manager;
    const b = make("replica-b").manager;
    await a.start();
    await eventually("a leads", () => a.isLeader);
    await b.start();
    assert.equal(b.isLeader, false, "the lease is held, so b waits");
    const status = async (m: typeof a): Promise<string> =>
      m.metrics.registry.getSingleMetricAsString("leader_election_master_status");
    assert.match(await status(a), new RegExp(`leader_election_master_status\\{name="${lease}"\\} 1`));
    assert.match(await status(b), new RegExp(`leader_election_master_status\\{name="${lease}"\\} 0`));
    for (const name of ["w1", "w2", "w3"]) await createWidget(client, type, ns, name);
    await eventually("three reconciles", () => calls.length >= 3);
    // Give the standby time to misbehave: a few of its retry periods.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual([...new Set(calls.map((c) => c.manager))], ["replica-a"]);
    assert.equal(await holder(ns, lease), "replica-a");

    const stoppedAt = Date.now();
    await a.stop();
    await eventually("b leads", () => b.isLeader, 15_000);
    const handover = Date.now() - stoppedAt;
    process.stderr.write(`# graceful handover took ${handover} ms\n`);
    assert.ok(handover < 15_000, `handover took ${handover} ms; a released lease must not be waited out`);
    assert.equal(await holder(ns, lease), "replica-b");
    assert.match(await status(b), new RegExp(`leader_election_master_status\\{name="${lease}"\\} 1`));
    await createWidget(client, type, ns, "w4");
    await eventually("b reconciles w4", () => calls.some((c) => c.key === `${ns}/w4`));
    assert.deepEqual([...new Set(calls.filter((c) => c.at > stoppedAt).map((c) => c.manager))], ["replica-b"]);
    await b.stop();
    assert.equal(await holder(ns, lease), "", "a graceful stop clears holderIdentity");
  });

  it("a killed leader's lease is taken over after it expires; SIGTERM exits 0 and releases", async () => {
    const env = await testEnv();
    const ns = unique("le-proc");
    const lease = unique("lease");
    await createNamespace(client, ns);
    const operator = (id: string): ChildProcess => {
      const child = spawn(
        process.execPath,
        [
          "src/cli/main.ts",
          "operator",
          "--kubeconfig",
          env.kube.kubeconfigPath,
          "--namespace",
          ns,
          // Only this test's namespace: other files' ImageImports and OciSyncs in the shared cluster are not ours.
          "--watch-namespace",
          ns,
          "--leader-elect",
          "--leader-election-id",
          lease,
          "--identity",
          id,
          "--metrics-addr",
          "127.0.0.1:0",
          "--health-addr",
          "127.0.0.1:0",
          "--log-level",
          "warn",
        ],
        { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] },
      );
      children.push(child);
      return child;
    };
    const a = operator("proc-a");
    await eventually("proc-a holds the lease", async () => (await holder(ns, lease)).startsWith("proc-a_"), 30_000);
    const b = operator("proc-b");
    await new Promise((r) => setTimeout(r, 3_000));
    assert.match(await holder(ns, lease), /^proc-a_/, "the standby does not take a live lease");

    const killedAt = Date.now();
    a.kill("SIGKILL");
    await eventually("proc-b takes over", async () => (await holder(ns, lease)).startsWith("proc-b_"), 30_000);
    const takeover = Date.now() - killedAt;
    process.stderr.write(`# takeover after SIGKILL took ${takeover} ms\n`);
    // Not before the abandoned lease (15 s) has expired, as b measures it; and not long after.
    assert.ok(takeover >= 10_000 && takeover < 15_000 + 2_000 + 5_000, `takeover took ${takeover} ms`);

    const exit = once(b, "exit");
    b.kill("SIGTERM");
    const [code] = (await exit) as [number | null];
    assert.equal(code, 0);
    assert.equal(await holder(ns, lease), "");
  });
});
