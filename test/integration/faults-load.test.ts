// Load: LOAD_IMPORTS (200) ImageImports of small archives and LOAD_SYNCS (100) OciSyncs created at once
// (bench/load-fixture.ts, the load `npm run bench:load` times against a peer), reconciled by one real operator process
// with the Deployment's defaults (2 workers per controller). All reach Ready, the operator's peak RSS stays under the
// Deployment's memory limit (deploy/deployment.yaml: 512Mi), and every workqueue drains (workqueue_depth back to 0
// on /metrics). Times and peak memory are printed; speed targets live in the bench, not here.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { createLoad, seedLoad, waitLoadReady, type LoadPlan } from "../../bench/load-fixture.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { airliftArgs, freePort, repoRoot, s3Client, type EnvironmentConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import { adminOnTestEnv, namespaceWithS3Keys, unique, waitFor } from "./ocisync-support.ts";

const IMPORTS = Number(process.env.LOAD_IMPORTS ?? 200);
const SYNCS = Number(process.env.LOAD_SYNCS ?? 100);
/** The Deployment's memory limit. */
const LIMIT_MIB = 512;
const ns = unique("load");
const work = mkdtempSync(join(tmpdir(), "airlift-load-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let plan: LoadPlan;
let operator: ChildProcess | undefined;

/** The operator's peak resident set (VmHWM) in MiB. */
function peakRssMiB(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(hwm?.[1] ?? 0) / 1024;
}

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  plan = {
    namespace: ns,
    imports: IMPORTS,
    syncs: SYNCS,
    bucket: unique("load"),
    s3Endpoint: env.minio.endpoint,
    registry: env.registries.anonymous.host,
  };
  await namespaceWithS3Keys(admin, ns, env.minio);
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: plan.bucket }));
  await seedLoad(plan, s3, work);
  s3.destroy();
});

after(async () => {
  if (operator && operator.exitCode === null) {
    operator.kill("SIGTERM");
    await new Promise((r) => operator?.once("exit", r));
  }
  await admin?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("load", () => {
  it(`${IMPORTS} ImageImports and ${SYNCS} OciSyncs at once: all Ready, RSS under ${LIMIT_MIB} MiB, workqueues drained`, async () => {
    const metricsPort = await freePort();
    const [cmd, args] = airliftArgs([
      "operator",
      "--kubeconfig",
      env.kube.kubeconfigPath,
      "--namespace",
      ns,
      "--watch-namespace",
      ns,
      "--metrics-addr",
      `127.0.0.1:${metricsPort}`,
      "--health-addr",
      "0",
      "--log-level",
      "warn",
      "--allow-loopback-endpoints",
    ]);
    operator = spawn(cmd, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    teeToSuiteLog("faults-load", operator.stdout, operator.stderr);
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    await waitFor(
      "the operator's metrics",
      async () => ((await metrics()).includes("workqueue_depth") ? true : undefined),
      30_000,
    );

    const started = Date.now();
    await createLoad(admin, plan);
    const createdMs = Date.now() - started;
    const { importsMs, syncsMs } = await waitLoadReady(admin, plan, started);

    // Every workqueue drains: no item waiting (period requeues sit in the delay heap, not in the queue).
    const depths = await waitFor(
      "workqueues drained",
      async () => {
        const lines = (await metrics()).split("\n").filter((l) => l.startsWith("workqueue_depth{"));
        return lines.length > 0 && lines.every((l) => l.endsWith(" 0")) ? lines : undefined;
      },
      30_000,
    );
    const rss = peakRssMiB(operator.pid!);
    const applied = await admin.request<{ items: unknown[] }>(`/api/v1/namespaces/${ns}/configmaps`, {
      query: { labelSelector: "" },
    });
    assert.ok(applied.items.length >= SYNCS * 3, `${applied.items.length} ConfigMaps applied, expected ${SYNCS * 3}`);
    assert.ok(
      rss < LIMIT_MIB,
      `operator peak RSS ${rss.toFixed(0)} MiB is over the Deployment's ${LIMIT_MIB} MiB limit`,
    );
    assert.ok(depths.length >= 3, `workqueue gauges: ${depths.join(", ")}`);
    console.log(
      `# load: created ${IMPORTS} ImageImports + ${SYNCS} OciSyncs in ${(createdMs / 1000).toFixed(1)} s; ` +
        `imports all Ready after ${(importsMs / 1000).toFixed(1)} s, syncs after ${(syncsMs / 1000).toFixed(1)} s; operator peak RSS ${rss.toFixed(0)} MiB`,
    );
  });
});
