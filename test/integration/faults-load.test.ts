// Load: LOAD_IMPORTS (200) ImageImports of small archives and LOAD_SYNCS (100) OciSyncs created at once, reconciled
// by one real operator process with the Deployment's defaults (2 workers per controller). All reach Ready, the
// operator's peak RSS stays under the Deployment's memory limit (deploy/deployment.yaml: 512Mi), and every
// workqueue drains (workqueue_depth back to 0 on /metrics). Times and peak memory are printed.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { generateDockerArchive } from "../../bench/generate-archive.ts";
import { putFile } from "../../bench/peers.ts";
import type { KubeClient } from "../../src/kube/rest-client.ts";
import { airliftArgs, freePort, repoRoot, s3Client, type EnvironmentConnection } from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import {
  adminOnTestEnv,
  createOciSync,
  namespaceWithS3Keys,
  pushWithCrane,
  unique,
  waitFor,
} from "./ocisync-support.ts";

const IMPORTS = Number(process.env.LOAD_IMPORTS ?? 200);
const SYNCS = Number(process.env.LOAD_SYNCS ?? 100);
/** The Deployment's memory limit. */
const LIMIT_MIB = 512;
const ns = unique("load");
const bucket = unique("load");
const work = mkdtempSync(join(tmpdir(), "airlift-load-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let operator: ChildProcess | undefined;

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T>(
  items: T[],
  width: number,
  fn: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

interface Listed {
  items: {
    metadata: { name: string; generation?: number };
    status?: {
      observedGeneration?: number;
      conditions?: { type: string; status: string; reason?: string; message?: string }[];
    };
  }[];
}

/** Names of the listed objects that are Ready at their generation; throws on the first Stalled one. */
async function readyNames(plural: string): Promise<Set<string>> {
  const list = await admin.request<Listed>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}`);
  const ready = new Set<string>();
  for (const o of list.items) {
    const stalled = o.status?.conditions?.find((c) => c.type === "Stalled" && c.status === "True");
    if (stalled) throw new Error(`${plural}/${o.metadata.name} stalled: ${stalled.reason}: ${stalled.message}`);
    if (
      o.status?.observedGeneration === o.metadata.generation &&
      o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
    )
      ready.add(o.metadata.name);
  }
  return ready;
}

/** The operator's peak resident set (VmHWM) in MiB. */
function peakRssMiB(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(hwm?.[1] ?? 0) / 1024;
}

before(async () => {
  ({ env, admin } = await adminOnTestEnv());
  await namespaceWithS3Keys(admin, ns, env.minio);
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await inBatches(
    Array.from({ length: IMPORTS }, (_, i) => i),
    8,
    async (i) => {
      const path = join(work, `small-${i}.tar`);
      await generateDockerArchive(path, 2 << 20, 3, `load/small${i}:v1`);
      await putFile(s3, bucket, `small-${i}.tar`, path);
      rmSync(path);
    },
  );
  s3.destroy();
  const cm = (sync: number, j: number): string =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s${sync}-cm-${j}\n  namespace: ${ns}\ndata:\n  sync: "${sync}"\n`;
  await inBatches(
    Array.from({ length: SYNCS }, (_, i) => i),
    6,
    (i) =>
      pushWithCrane(`${env.registries.anonymous.host}/${ns}/config-${i}:v1`, {
        "a.yaml": cm(i, 0),
        "b.yaml": cm(i, 1),
        "c.yaml": cm(i, 2),
      }),
  );
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
    const creates: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < IMPORTS; i++) {
      creates.push(() =>
        admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/imageimports`, {
          method: "POST",
          body: {
            apiVersion: "airlift.dev/v1alpha1",
            kind: "ImageImport",
            metadata: { name: `imp-${i}` },
            spec: {
              source: {
                s3: {
                  endpoint: env.minio.endpoint,
                  bucket,
                  key: `small-${i}.tar`,
                  credentialsSecretRef: { name: "keys" },
                },
              },
              destination: {
                registry: env.registries.anonymous.host,
                plainHTTP: true,
                repository: `${ns}/small-${i}`,
                tags: ["v1"],
              },
            },
          },
        }),
      );
    }
    for (let i = 0; i < SYNCS; i++) {
      creates.push(() =>
        createOciSync(admin, ns, `sync-${i}`, {
          oci: { image: `${env.registries.anonymous.host}/${ns}/config-${i}:v1`, period: "30s", plainHTTP: true },
        }),
      );
    }
    await inBatches(creates, 16, (create) => create());
    const createdMs = Date.now() - started;

    let importsMs = 0;
    let syncsMs = 0;
    await waitFor(
      "every resource Ready",
      async () => {
        const imports = await readyNames("imageimports");
        const syncs = await readyNames("ocisyncs");
        if (!importsMs && imports.size === IMPORTS) importsMs = Date.now() - started;
        if (!syncsMs && syncs.size === SYNCS) syncsMs = Date.now() - started;
        return importsMs && syncsMs ? true : undefined;
      },
      600_000,
    );

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
