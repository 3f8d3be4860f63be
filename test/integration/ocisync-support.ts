// Shared pieces of the ocisync-* integration tests: the real OciSync controller in a real Manager (in-process,
// watching one namespace so files and tests do not reconcile each other's objects), images made with the real
// crane and oras, and polling helpers.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import type { OciSync } from "../../src/api/oci-sync.ts";
import { resolveDefaults } from "../../src/controllers/defaults.ts";
import { createOciSyncController } from "../../src/controllers/oci-sync.ts";
import { Manager } from "../../src/kube/manager.ts";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { sharedConnections } from "../../src/net/connection-cache.ts";
import { EndpointPolicy } from "../../src/net/endpoint-policy.ts";
import { createLogger } from "../../src/observability/logger.ts";
import type { KustomizeLimits } from "../../src/sync/index.ts";
import {
  loadKubeConfig,
  run,
  testEnv,
  toolPath,
  type EnvironmentConnection,
  type KubeConnection,
} from "../env/index.ts";
import { suiteLog } from "../env/suite-logs.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";

export const unique = (prefix: string): string => `${prefix}-${randomBytes(3).toString("hex")}`;

/** A running operator (only the OciSync controller) watching `watchNamespace`. */
export interface TestOperator {
  env: EnvironmentConnection;
  admin: KubeClient;
  kubeConfig: KubeConfig;
  /** Registry requests seen, as `METHOD url`. */
  requests: string[];
  stop(): Promise<void>;
}

let crdsInstalled: Promise<unknown> | undefined;

/** Starts a Manager with the OciSync controller; `operatorNamespace` decides root vs tenant scope. */
export async function startOperator(
  operatorNamespace: string,
  watchNamespace: string,
  options: {
    defaultRegistry?: string;
    dnsSuffix?: string;
    kustomizeLimits?: Partial<KustomizeLimits>;
    syncMaxObjects?: number;
    /** An API server of the test's own instead of the shared one (a test that counts its requests). */
    kube?: KubeConnection;
  } = {},
): Promise<TestOperator> {
  const shared = await testEnv();
  const env = options.kube ? { ...shared, kube: options.kube } : shared;
  if (options.kube) await installCrds(kubeClient(env));
  else {
    crdsInstalled ??= installCrds(kubeClient(env));
    await crdsInstalled;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfigPath);
  const admin = new KubeClient(kubeConfig);
  for (const ns of new Set([operatorNamespace, watchNamespace])) await ensureNamespace(admin, ns);
  const log = createLogger({ level: "debug", destination: suiteLog(`ocisync-${watchNamespace}`) });
  // Reconciles share connection pools as in the operator (which also closes them on shutdown; a test process exits).
  sharedConnections.enable();
  const manager = new Manager({ kubeConfig, log, namespace: operatorNamespace, watchNamespace, workers: 2 });
  const requests: string[] = [];
  manager.add(
    createOciSyncController(
      {
        client: manager.client,
        log,
        metrics: manager.metrics,
        events: manager.events,
        secrets: manager.secrets,
        operatorNamespace,
        identity: manager.identity,
        defaults: resolveDefaults({
          registry: options.defaultRegistry,
          dnsSuffix: options.dnsSuffix,
          workDir: mkdtempSync(join(tmpdir(), "airlift-ocisync-work-")),
        }),
        // What the real operator builds with --allow-loopback-endpoints (the test registries are on 127.0.0.1).
        endpointPolicy: new EndpointPolicy({ allowLoopback: true }),
        kustomize: toolPath("kustomize"),
        kustomizeLimits: options.kustomizeLimits,
        syncMaxObjects: options.syncMaxObjects,
      },
      { onRegistryRequest: (method, url) => requests.push(`${method} ${url}`) },
    ),
  );
  await manager.start();
  return {
    env,
    admin,
    kubeConfig,
    requests,
    stop: async () => {
      await manager.stop();
      await admin.close();
    },
  };
}

/** The shared environment with airlift's CRDs installed, and an admin client on it (close it after). */
export async function adminOnTestEnv(): Promise<{ env: EnvironmentConnection; admin: KubeClient }> {
  const env = await testEnv();
  crdsInstalled ??= installCrds(kubeClient(env));
  await crdsInstalled;
  return { env, admin: new KubeClient(loadKubeConfig(env.kube.kubeconfigPath)) };
}

/** Creates a namespace unless it exists. */
export async function ensureNamespace(admin: KubeClient, name: string): Promise<void> {
  await admin.request(`/api/v1/namespaces/${name}`, {
    method: "PATCH",
    patchType: "apply",
    query: { fieldManager: "ocisync-test", force: true },
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
}

/** Creates the namespace and a Secret `name` in it with the harness MinIO's keys, as users store S3 credentials. */
export async function namespaceWithS3Keys(
  admin: KubeClient,
  namespace: string,
  minio: EnvironmentConnection["minio"],
  name = "keys",
): Promise<void> {
  await ensureNamespace(admin, namespace);
  await admin.request(`/api/v1/namespaces/${namespace}/secrets`, {
    method: "POST",
    body: {
      metadata: { name },
      stringData: { "access-key-id": minio.accessKeyId, "secret-access-key": minio.secretAccessKey },
    },
  });
}

/** Writes files into a fresh folder and returns it. */
export function writeFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "airlift-ocisync-src-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The seed's crane workflow: `tar -cf x.tar files; crane append -f x.tar -t ref`. Returns the digest. */
export async function pushWithCrane(ref: string, files: Record<string, string>): Promise<string> {
  const dir = writeFiles(files);
  const tarball = join(dir, "..", `${randomBytes(4).toString("hex")}.tar`);
  await run("tar", ["-C", dir, "-cf", tarball, ...Object.keys(files)]);
  await run("crane", ["append", "--insecure", "-f", tarball, "-t", ref]);
  return (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
}

/** The seed's oras workflow: `tar -czf x.tar.gz files; oras push ref x.tar.gz`. Returns the digest. */
export async function pushWithOras(
  ref: string,
  files: Record<string, string>,
  name = "manifests.tar.gz",
): Promise<string> {
  const dir = writeFiles(files);
  const out = mkdtempSync(join(tmpdir(), "airlift-ocisync-oras-"));
  await run("tar", ["-C", dir, "-czf", join(out, name), ...Object.keys(files)]);
  await run("oras", ["push", "--plain-http", ref, name], { cwd: out });
  return (await run("crane", ["digest", "--insecure", ref])).stdout.trim();
}

/** Creates an OciSync. */
export async function createOciSync(
  admin: KubeClient,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${namespace}/ocisyncs`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "OciSync",
      metadata: { name, namespace, ...(annotations ? { annotations } : {}) },
      spec,
    },
  });
}

/** Reads an OciSync. */
export async function getOciSync(admin: KubeClient, namespace: string, name: string): Promise<OciSync> {
  return admin.request<OciSync>(`/apis/airlift.dev/v1alpha1/namespaces/${namespace}/ocisyncs/${name}`);
}

/** Polls until `check` returns a value (not undefined); fails with the last observation after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ""}`,
      );
    await sleep(200);
  }
}

/** The reason of the Ready condition, or undefined. */
export function readyReason(sync: OciSync): string | undefined {
  const ready = sync.status?.conditions?.find((c) => c.type === "Ready");
  return ready ? `${ready.status}/${ready.reason}` : undefined;
}

/** Waits until the OciSync's Ready condition is `status/reason` for the current generation. */
export async function waitReady(
  admin: KubeClient,
  namespace: string,
  name: string,
  expected: string,
  timeoutMs = 60_000,
): Promise<OciSync> {
  let seen: string | undefined;
  try {
    return await waitFor(
      `OciSync ${namespace}/${name} Ready ${expected}`,
      async () => {
        const s = await getOciSync(admin, namespace, name);
        const ready = s.status?.conditions?.find((c) => c.type === "Ready");
        seen = `${readyReason(s)} ${ready?.message ?? ""}`;
        return readyReason(s) === expected && s.status?.observedGeneration === s.metadata.generation ? s : undefined;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last Ready: ${seen}`);
  }
}
