// The API server unreachable for 30 s, through toxiproxy in front of each of two real operator replicas running with
// leader election: watches and leader election recover, every change made meanwhile is reconciled, and never do two
// replicas reconcile at once. Who worked when is read back from each process's debug log ("reconcile started" /
// "reconcile finished"); a process that dies mid-reconcile is counted as working until its exit.
// A small "kubelet" restarts replicas that exit, as a Deployment would: a replica that loses its lease exits 1 by
// design, and one started while the API server is unreachable exits too.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { LEASES, objectPath } from "../../src/kube/resource.ts";
import { airliftArgs, repoRoot, type EnvironmentConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import { proxiedKubeconfig, startToxiproxy, type Toxiproxy } from "../env/toxiproxy.ts";
import {
  adminOnTestEnv,
  createOciSync,
  ensureNamespace,
  getOciSync,
  pushWithCrane,
  unique,
  waitFor,
} from "./ocisync-support.ts";

const ns = unique("apifault");
const lease = "airlift-apifault";
const work = mkdtempSync(join(tmpdir(), "airlift-apifault-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let toxi: Toxiproxy;

/** One reconcile as a replica's log tells it. */
interface Interval {
  replica: string;
  pid: number;
  key: string;
  start: number;
  end: number | undefined;
}

/** A replica: a proxy of its own to the API server, and a process restarted whenever it exits. */
class Replica {
  readonly intervals = new Map<string, Interval>();
  readonly exits: { pid: number; code: number | null; at: number }[] = [];
  proc: ChildProcess | undefined;
  #stopped = false;

  readonly name: string;
  readonly proxy: string;
  readonly kubeconfig: string;

  constructor(name: string, proxy: string, kubeconfig: string) {
    this.name = name;
    this.proxy = proxy;
    this.kubeconfig = kubeconfig;
  }

  start(): void {
    const [cmd, args] = airliftArgs([
      "operator",
      "--kubeconfig",
      this.kubeconfig,
      "--identity",
      this.name,
      "--namespace",
      ns,
      "--watch-namespace",
      ns,
      "--leader-elect",
      "--leader-election-id",
      lease,
      "--log-level",
      "debug",
      "--allow-loopback-endpoints",
      "--metrics-addr",
      "0",
      "--health-addr",
      "0",
    ]);
    const proc = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    teeToSuiteLog(`faults-apiserver-${this.name}`, proc.stdout, proc.stderr);
    this.proc = proc;
    const pid = proc.pid ?? -1;
    createInterface({ input: proc.stdout }).on("line", (line) => this.#record(pid, line));
    proc.once("exit", (code) => {
      const at = Date.now();
      this.exits.push({ pid, code, at });
      for (const i of this.intervals.values()) if (i.pid === pid && i.end === undefined) i.end = at;
      // The kubelet: restart after a second, as a crash-looping pod would be (without the growing back-off).
      if (!this.#stopped) setTimeout(() => this.start(), 1_000);
    });
  }

  #record(pid: number, line: string): void {
    let entry: { msg?: string; time?: string; reconcileID?: string; controller?: string; name?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (!entry.reconcileID || !entry.time) return;
    const at = Date.parse(entry.time);
    if (entry.msg === "reconcile started")
      this.intervals.set(entry.reconcileID, {
        replica: this.name,
        pid,
        key: `${entry.controller}/${entry.name}`,
        start: at,
        end: undefined,
      });
    if (entry.msg === "reconcile finished") {
      const i = this.intervals.get(entry.reconcileID);
      if (i) i.end = at;
    }
  }

  /** Reconciles started since `t`. */
  workedSince(t: number): Interval[] {
    return [...this.intervals.values()].filter((i) => i.start >= t);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      p.kill("SIGTERM");
      await new Promise((r) => p.once("exit", r));
    }
  }
}

const replicas: Replica[] = [];

const cm = (name: string, value: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n  value: "${value}"\n`;

async function holder(): Promise<string> {
  try {
    const l = await admin.request<{ spec?: { holderIdentity?: string } }>(
      objectPath(LEASES, { namespace: ns, name: lease }),
    );
    return l.spec?.holderIdentity ?? "";
  } catch {
    return "";
  }
}

async function configMapValue(name: string): Promise<string | undefined> {
  try {
    return (await admin.request<{ data?: { value?: string } }>(`/api/v1/namespaces/${ns}/configmaps/${name}`)).data
      ?.value;
  } catch {
    return undefined;
  }
}

/** Waits until every named OciSync is Ready at its current generation and its ConfigMap holds the expected value. */
async function allSynced(expected: Record<string, string>, timeoutMs: number): Promise<void> {
  await waitFor(
    `OciSyncs ${Object.keys(expected).join(", ")} synced`,
    async () => {
      for (const [name, value] of Object.entries(expected)) {
        const s = await getOciSync(admin, ns, name);
        const ready = s.status?.conditions?.find((c) => c.type === "Ready");
        if (ready?.status !== "True" || s.status?.observedGeneration !== s.metadata.generation) return undefined;
        if ((await configMapValue(name)) !== value) return undefined;
      }
      return true;
    },
    timeoutMs,
  );
}

/** No two reconciles of different processes overlap in time (within one process, workers may run in parallel). */
function assertNoOverlap(): void {
  const all = replicas.flatMap((r) => [...r.intervals.values()]).sort((a, b) => a.start - b.start);
  assert.ok(all.length > 0, "no reconciles recorded");
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length && all[j]!.start <= (all[i]!.end ?? Infinity); j++) {
      const [x, y] = [all[i]!, all[j]!];
      if (x.pid !== y.pid) {
        assert.fail(
          `${x.replica}(pid ${x.pid}) reconciled ${x.key} from ${new Date(x.start).toISOString()} to ${x.end ? new Date(x.end).toISOString() : "its exit"} ` +
            `while ${y.replica}(pid ${y.pid}) started ${y.key} at ${new Date(y.start).toISOString()}`,
        );
      }
    }
  }
}

const images: Record<string, string> = {};

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await ensureNamespace(admin, ns);
  const reg = env.registries.anonymous.host;
  for (let i = 0; i < 6; i++) {
    const name = `app-${i}`;
    images[name] = `${reg}/${ns}/${name}`;
    await pushWithCrane(`${images[name]}:v1`, { "cm.yaml": cm(name, "v1") });
    await pushWithCrane(`${images[name]}:v2`, { "cm.yaml": cm(name, "v2") });
  }
  toxi = await startToxiproxy(join(work, "toxiproxy"));
  for (const name of ["a", "b"]) {
    replicas.push(
      new Replica(
        name,
        `api-${name}`,
        await proxiedKubeconfig(toxi, `api-${name}`, env.kube, join(work, `${name}.kubeconfig`)),
      ),
    );
  }
  for (const r of replicas) r.start();
});

after(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await toxi?.stop();
  await admin?.close();
});

describe("API server unreachable", () => {
  it("both replicas cut off for 30 s: the lease is lost and won back, and changes made meanwhile are reconciled", async () => {
    for (let i = 0; i < 3; i++)
      await createOciSync(admin, ns, `app-${i}`, {
        oci: { image: `${images[`app-${i}`]}:v1`, period: "5s", plainHTTP: true },
      });
    await allSynced({ "app-0": "v1", "app-1": "v1", "app-2": "v1" }, 90_000);
    const leaderBefore = await holder();
    assert.match(leaderBefore, /^[ab]_/);

    await Promise.all(replicas.map((r) => toxi.setEnabled(r.proxy, false)));
    const cutAt = Date.now();
    // Meanwhile: a new OciSync, one moved to a new tag, one deleted-and-recreated source. Only the operator is cut off.
    await createOciSync(admin, ns, "app-3", { oci: { image: `${images["app-3"]}:v1`, period: "5s", plainHTTP: true } });
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/app-0`, {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { oci: { image: `${images["app-0"]}:v2` } } },
    });
    await admin.request(`/api/v1/namespaces/${ns}/configmaps/app-1`, { method: "DELETE" });
    await sleep(30_000 - (Date.now() - cutAt));
    // A leader that cannot renew gives up within the renew deadline (10 s) and exits, restarted by the kubelet.
    const leaderExits = replicas.flatMap((r) => r.exits.filter((e) => e.at > cutAt));
    assert.ok(
      leaderExits.some((e) => e.code === 1),
      `no replica exited after losing the lease: ${JSON.stringify(leaderExits)}`,
    );
    await Promise.all(replicas.map((r) => toxi.setEnabled(r.proxy, true)));
    const restoredAt = Date.now();

    await allSynced({ "app-0": "v2", "app-1": "v1", "app-2": "v1", "app-3": "v1" }, 120_000);
    const recoveredMs = Date.now() - restoredAt;
    assert.match(await holder(), /^[ab]_/);
    assertNoOverlap();
    console.log(
      `# API server back: all OciSyncs reconciled in ${(recoveredMs / 1000).toFixed(1)} s; leader before ${leaderBefore}, after ${await holder()}`,
    );
  });

  it("the leader cut off for 30 s: it exits by its renew deadline, the other replica takes over, and the old one rejoins as a follower", async () => {
    // Wait until both are up again after the first scenario (the follower keeps retrying the lease).
    await waitFor("a leader", async () => ((await holder()) ? true : undefined), 60_000);
    const leaderId = await holder();
    const leader = replicas.find((r) => leaderId.startsWith(`${r.name}_`))!;
    const other = replicas.find((r) => r !== leader)!;
    await toxi.setEnabled(leader.proxy, false);
    const cutAt = Date.now();
    await createOciSync(admin, ns, "app-4", { oci: { image: `${images["app-4"]}:v1`, period: "5s", plainHTTP: true } });
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/app-2`, {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { oci: { image: `${images["app-2"]}:v2` } } },
    });
    const taken = await waitFor(
      "the other replica holds the lease",
      async () => ((await holder()).startsWith(`${other.name}_`) ? Date.now() : undefined),
      40_000,
    );
    const exit = leader.exits.find((e) => e.at > cutAt);
    assert.ok(
      exit && exit.code === 1,
      `the cut-off leader did not exit 1 before the takeover: ${JSON.stringify(leader.exits)}`,
    );
    assert.ok(exit.at < taken, "the old leader exited after the new one took over");
    // The new leader reconciles while the old one is still cut off.
    await allSynced({ "app-2": "v2", "app-4": "v1" }, 60_000);
    await sleep(Math.max(0, 30_000 - (Date.now() - cutAt)));
    await toxi.setEnabled(leader.proxy, true);
    const rejoinAt = Date.now();
    // The old leader's next incarnation starts, syncs its caches and waits as a follower.
    await waitFor(
      "the old leader running again",
      async () => (leader.proc?.exitCode === null && Date.now() - rejoinAt > 15_000 ? true : undefined),
      60_000,
    );
    await createOciSync(admin, ns, "app-5", { oci: { image: `${images["app-5"]}:v1`, period: "5s", plainHTTP: true } });
    await allSynced(
      { "app-0": "v2", "app-1": "v1", "app-2": "v2", "app-3": "v1", "app-4": "v1", "app-5": "v1" },
      60_000,
    );
    assert.ok((await holder()).startsWith(`${other.name}_`), `leadership moved back: ${await holder()}`);
    assert.deepEqual(leader.workedSince(rejoinAt), [], "the rejoined replica reconciled while a follower");
    assertNoOverlap();
    console.log(
      `# leader cut off: takeover ${((taken - cutAt) / 1000).toFixed(1)} s after the cut, old leader exited ${((exit.at - cutAt) / 1000).toFixed(1)} s after`,
    );
  });
});
