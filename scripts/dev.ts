// `npm run dev`: a local playground. Starts the test environment (kube-apiserver, registries, MinIO), installs the
// CRDs, creates sample Secrets for the local MinIO and registries, runs `airlift operator` against it, applies
// examples/*.yaml and prints the resources' status as it changes, until Ctrl-C.
//   --once           exit when every sample has settled (Ready=True or Stalled=True): 0 if all Ready, else 1
//   --timeout 5m     with --once, give up after this long (exit 1)
//   --examples DIR   apply the YAML of DIR instead of examples/
// Examples use placeholders filled from the environment: ${REGISTRY} (the plain-HTTP registry), ${PLAIN_HTTP},
// ${S3_ENDPOINT}, ${S3_ACCESS_KEY_ID}, ${S3_SECRET_ACCESS_KEY}; also ${REGISTRY_BASIC_TLS}, ${REGISTRY_TOKEN} and
// ${DEMO_NAMESPACE}. The content they refer to is seeded by scripts/dev-seed.ts.
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { parseDuration } from "../src/cli/command.ts";
import { KubeClient } from "../src/kube/rest-client.ts";
import { asKubeObject, type KubeObject } from "../src/kube/resource.ts";
import { seedBuckets, seedRegistry } from "./dev-seed.ts";
import {
  airliftArgs,
  freePort,
  loadKubeConfig,
  repoRoot,
  startEnvironment,
  toolPath,
  type Environment,
} from "../test/env/index.ts";

const DEMO_NS = "airlift-demo";
const OPERATOR_NS = "airlift-system";
const FIELD_MANAGER = "airlift-dev";

const { values: flags } = parseArgs({
  options: {
    once: { type: "boolean" },
    timeout: { type: "string", default: "5m" },
    examples: { type: "string", default: join(repoRoot, "examples") },
  },
});

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function readYamlDir(dir: string, vars: Record<string, string>): KubeObject[] {
  if (!existsSync(dir)) return [];
  const out: KubeObject[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const text = readFileSync(join(dir, file), "utf8").replace(/\$\{([A-Z0-9_]+)\}/g, (m, k: string) => vars[k] ?? m);
    for (const doc of parseAllDocuments(text)) {
      const value: unknown = doc.toJS();
      // kustomization.yaml and the like sit beside the manifests: only Kubernetes objects count.
      if (value && typeof value === "object" && "metadata" in value) out.push(asKubeObject(value));
    }
  }
  return out;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

/** Server-side apply of any object; the plural is found through discovery. */
async function apply(client: KubeClient, obj: KubeObject): Promise<void> {
  const apiVersion = obj.apiVersion ?? "v1";
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  const discovery = await client.request<{ resources: ApiResource[] }>(base);
  const res = discovery.resources.find((r) => r.kind === obj.kind && !r.name.includes("/"));
  if (!res) throw new Error(`failed to apply ${obj.kind}: not served by ${apiVersion}`);
  const ns = res.namespaced ? (obj.metadata.namespace ?? DEMO_NS) : undefined;
  if (ns) obj.metadata.namespace = ns;
  const path = `${base}${ns ? `/namespaces/${ns}` : ""}/${res.name}/${encodeURIComponent(obj.metadata.name ?? "")}`;
  await client.request(path, {
    method: "PATCH",
    patchType: "apply",
    query: { fieldManager: FIELD_MANAGER, force: true },
    body: obj,
  });
}

function dockerConfig(host: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [host]: { username, password, auth } } });
}

function sampleSecrets(env: Environment): KubeObject[] {
  const secret = (name: string, type: string, stringData: Record<string, string>): KubeObject => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: DEMO_NS },
    type,
    stringData,
  });
  const basic = env.registries["basic-tls"];
  const token = env.registries.token;
  return [
    secret("minio-credentials", "Opaque", {
      accessKeyId: env.minio.accessKeyId,
      secretAccessKey: env.minio.secretAccessKey,
      AWS_ACCESS_KEY_ID: env.minio.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.minio.secretAccessKey,
    }),
    secret("registry-basic-tls", "kubernetes.io/dockerconfigjson", {
      ".dockerconfigjson": dockerConfig(basic.host, basic.username ?? "", basic.password ?? ""),
    }),
    secret("registry-basic-tls-ca", "Opaque", { "ca.crt": basic.caPem ?? "" }),
    secret("registry-token", "kubernetes.io/dockerconfigjson", {
      ".dockerconfigjson": dockerConfig(token.host, token.username ?? "", token.password ?? ""),
    }),
  ];
}

async function installCrds(client: KubeClient, crds: KubeObject[]): Promise<void> {
  for (const crd of crds) await apply(client, crd);
  for (const crd of crds) {
    for (let i = 0; ; i++) {
      const got = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
      );
      if (got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (i > 300) throw new Error(`CRD ${crd.metadata.name} not established`);
      await sleep(100);
    }
  }
}

interface Row {
  kind: string;
  name: string;
  ready: string;
  reason: string;
  message: string;
  settled: boolean;
}

function rowOf(obj: KubeObject): Row {
  type Cond = { type: string; status: string; reason?: string; message?: string; observedGeneration?: number };
  const status = (obj.status ?? {}) as { observedGeneration?: number; conditions?: Cond[] };
  const cond = (t: string): Cond | undefined => status.conditions?.find((c) => c.type === t);
  const ready = cond("Ready");
  // Settled only for the current spec: a condition left from an older generation says nothing yet.
  const observed = status.observedGeneration ?? ready?.observedGeneration;
  const current = observed !== undefined && observed >= (obj.metadata.generation ?? 0);
  const settled = current && (ready?.status === "True" || cond("Stalled")?.status === "True");
  return {
    kind: obj.kind ?? "",
    name: `${obj.metadata.namespace ?? ""}/${obj.metadata.name ?? ""}`,
    ready: ready?.status ?? "-",
    reason: ready?.reason ?? "-",
    message: (ready?.message ?? "").slice(0, 80),
    settled,
  };
}

function table(rows: Row[]): string {
  const head = ["KIND", "NAME", "READY", "REASON", "MESSAGE"];
  const cells = [head, ...rows.map((r) => [r.kind, r.name, r.ready, r.reason, r.message])];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? "").length)));
  return cells
    .map((c) =>
      c
        .map((v, i) => v.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function statusRows(client: KubeClient, samples: KubeObject[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const s of samples) {
    const apiVersion = s.apiVersion ?? "v1";
    const discovery = await client.request<{ resources: ApiResource[] }>(`/apis/${apiVersion}`);
    const plural = discovery.resources.find((r) => r.kind === s.kind && !r.name.includes("/"))?.name ?? "";
    try {
      const path = `/apis/${apiVersion}/namespaces/${s.metadata.namespace ?? DEMO_NS}/${plural}/${s.metadata.name ?? ""}`;
      rows.push(rowOf(asKubeObject(await client.request(path))));
    } catch (err) {
      rows.push({
        kind: s.kind ?? "",
        name: s.metadata.name ?? "",
        ready: "-",
        reason: "NotFound",
        message: String(err),
        settled: false,
      });
    }
  }
  return rows;
}

async function main(): Promise<number> {
  say("# starting the environment (kube-apiserver, registries, MinIO)...");
  const env = await startEnvironment();
  const client = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  let operator: ReturnType<typeof spawn> | undefined;
  const stopAll = async (): Promise<void> => {
    if (operator && operator.exitCode === null) {
      const exited = new Promise((r) => operator?.once("exit", r));
      operator.kill("SIGTERM");
      await exited;
    }
    await client.close();
    await env.stop();
  };
  try {
    const vars: Record<string, string> = {
      REGISTRY: env.registries.anonymous.host,
      PLAIN_HTTP: "true",
      S3_ENDPOINT: env.minio.endpoint,
      S3_ACCESS_KEY_ID: env.minio.accessKeyId,
      S3_SECRET_ACCESS_KEY: env.minio.secretAccessKey,
      REGISTRY_BASIC_TLS: env.registries["basic-tls"].host,
      REGISTRY_TOKEN: env.registries.token.host,
      DEMO_NAMESPACE: DEMO_NS,
    };
    const crds = readYamlDir(join(repoRoot, "crds"), vars);
    await installCrds(client, crds);
    say(`# installed ${crds.length} CRDs`);
    for (const name of [DEMO_NS, OPERATOR_NS])
      await apply(client, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    for (const s of sampleSecrets(env)) await apply(client, s);
    say(`# sample Secrets in ${DEMO_NS}: minio-credentials, registry-basic-tls, registry-basic-tls-ca, registry-token`);
    for (const [k, v] of Object.entries(vars)) if (!k.includes("SECRET")) say(`#   ${k}=${v}`);
    await seedBuckets(env);
    await seedRegistry(env.registries.anonymous.host);
    say("# seeded s3://airgap/g/oracle_db.tar, apps/demo:1.0.0 and :1.1.0, config/test-namespace:v1");

    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const logFile = join(env.workDir, "operator.log");
    operator = spawn(
      ...airliftArgs([
        "operator",
        "--kubeconfig",
        env.kube.kubeconfigPath,
        "--namespace",
        OPERATOR_NS,
        "--metrics-addr",
        `127.0.0.1:${metricsPort}`,
        "--health-addr",
        `127.0.0.1:${healthPort}`,
        "--log-level",
        "debug",
        // Everything here listens on loopback, which the operator refuses by default (its SSRF policy).
        "--allow-loopback-endpoints",
        // kustomize as install-tools built it (the image has it at the default path).
        "--kustomize",
        toolPath("kustomize"),
      ]),
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    const log = createWriteStream(logFile);
    operator.stdout?.pipe(log);
    operator.stderr?.pipe(log);
    say(
      `# operator running (log ${logFile}); metrics http://127.0.0.1:${metricsPort}/metrics, probes http://127.0.0.1:${healthPort}/readyz`,
    );

    const applied = readYamlDir(flags.examples, vars);
    for (const s of applied) await apply(client, s);
    const samples = applied.filter((s) => s.apiVersion?.startsWith("airlift.dev/"));
    say(`# applied ${samples.length} examples${samples.length ? "" : " (examples/ is empty)"}; Ctrl-C to stop`);

    const stop = new AbortController();
    process.once("SIGINT", () => stop.abort());
    process.once("SIGTERM", () => stop.abort());
    const deadline = Date.now() + parseDuration(flags.timeout);
    let last = "";
    while (!stop.signal.aborted) {
      if (operator.exitCode !== null) throw new Error(`the operator exited with ${operator.exitCode}; see ${logFile}`);
      const rows = await statusRows(client, samples);
      const text = table(rows);
      if (text !== last) say(`\n${new Date().toISOString()}\n${text}`);
      last = text;
      if (flags.once && rows.every((r) => r.settled)) return rows.every((r) => r.ready === "True") ? 0 : 1;
      if (flags.once && Date.now() > deadline) {
        say(`# not settled after ${flags.timeout}`);
        return 1;
      }
      await sleep(1_000, undefined, { signal: stop.signal }).catch(() => undefined);
    }
    return 0;
  } finally {
    say("# stopping...");
    await stopAll();
  }
}

process.exitCode = await main().catch((err: unknown) => {
  process.stderr.write(`dev: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
});
