// An OciSync whose operator is killed after it created new objects but before it recorded them in status: the
// objects must not be orphaned. The operator talks to the API server through toxiproxy with added latency, so the
// window between the first new object appearing and the status write is wide enough to SIGKILL it in; then the
// source shrinks back and the restarted operator must prune what the killed one created.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { KubeClient } from "../../src/kube/rest-client.ts";
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
  waitReady,
} from "./ocisync-support.ts";

const ns = unique("synccrash");
const work = mkdtempSync(join(tmpdir(), "airlift-synccrash-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let toxi: Toxiproxy;
let slowKubeconfig = "";
const images = { small: "", big: "" };
let operator: ChildProcess | undefined;

function startOperator(kubeconfig: string): ChildProcess {
  const [cmd, args] = airliftArgs([
    "operator",
    "--kubeconfig",
    kubeconfig,
    "--namespace",
    ns,
    "--watch-namespace",
    ns,
    "--metrics-addr",
    "0",
    "--health-addr",
    "0",
    "--log-level",
    "debug",
    "--allow-loopback-endpoints",
    "--work-dir",
    join(work, "operator"),
  ]);
  const proc = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  teeToSuiteLog("faults-sync-crash", proc.stdout, proc.stderr);
  return proc;
}

async function stop(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill(signal);
  await exited;
}

const cms = (count: number): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `o-${i}.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o-${i}\n  namespace: ${ns}\ndata:\n  i: "${i}"\n`,
    ]),
  );

async function ownedNames(): Promise<string[]> {
  const list = await admin.request<{ items: { metadata: { name: string } }[] }>(`/api/v1/namespaces/${ns}/configmaps`, {
    query: { labelSelector: "airlift.dev/owner-kind=OciSync,airlift.dev/owner-name=crash" },
  });
  return list.items.map((o) => o.metadata.name).sort();
}

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await ensureNamespace(admin, ns);
  const reg = env.registries.anonymous.host;
  images.small = `${reg}/${ns}/config:small`;
  images.big = `${reg}/${ns}/config:big`;
  await pushWithCrane(images.small, cms(10));
  await pushWithCrane(images.big, cms(15));
  toxi = await startToxiproxy(join(work, "toxiproxy"));
  slowKubeconfig = await proxiedKubeconfig(toxi, "api", env.kube, join(work, "slow.kubeconfig"));
});

after(async () => {
  await stop(operator, "SIGKILL");
  await toxi?.stop();
  await admin?.close();
});

describe("OciSync killed mid-apply", () => {
  it("objects created by a killed operator are pruned by the next one once they leave the source", async () => {
    operator = startOperator(slowKubeconfig);
    await createOciSync(admin, ns, "crash", { oci: { image: images.small, period: "5s", plainHTTP: true } });
    await waitReady(admin, ns, "crash", "True/Succeeded", 90_000);
    // Every API answer 200 ms late: the apply of 5 new objects and the status write after it take well over a second.
    await toxi.addToxic("api", {
      name: "slow",
      type: "latency",
      stream: "downstream",
      attributes: { latency: 200, jitter: 0 },
    });
    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/crash`, {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { oci: { image: images.big } } },
    });
    await waitFor(
      "a new object applied",
      async () => ((await ownedNames()).some((n) => Number(n.slice(2)) >= 10) ? true : undefined),
      60_000,
    );
    await stop(operator, "SIGKILL");
    const atKill = await getOciSync(admin, ns, "crash");
    const created = (await ownedNames()).filter((n) => Number(n.slice(2)) >= 10);
    const synced =
      atKill.status?.sync?.digest !== undefined && atKill.status.observedGeneration === atKill.metadata.generation;
    console.log(
      `# killed with ${created.length} new object(s) applied; status inventory ${atKill.status?.inventory?.length} entries; sync recorded: ${synced}`,
    );
    assert.equal(synced, false, "the kill came after the sync was recorded; the window was missed");

    await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/ocisyncs/crash`, {
      method: "PATCH",
      patchType: "merge",
      body: { spec: { oci: { image: images.small } } },
    });
    // The next incarnation talks to the API server directly (the slow proxy only served to widen the window).
    operator = startOperator(env.kube.kubeconfigPath);
    await waitReady(admin, ns, "crash", "True/Succeeded", 90_000);
    assert.deepEqual(
      await ownedNames(),
      Array.from({ length: 10 }, (_, i) => `o-${i}`).sort(),
      "objects the killed operator created stayed behind",
    );
    await stop(operator, "SIGTERM");
  });
});
