// A real control plane for tests: etcd and kube-apiserver built from Go modules (scripts/install-tools.sh),
// started on free loopback ports with RBAC on, a static admin token and ServiceAccount token signing.
// There is no controller-manager: namespaces are not finalized and nothing garbage-collects.
import { randomBytes, generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "undici";
import { KubeConfig } from "../../src/kube/kube-config.ts";
import { freePort } from "./ports.ts";
import { startProcess, waitUntil, type ManagedProcess } from "./process.ts";
import { toolPath } from "./tools.ts";

export interface KubeConnection {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Admin (system:masters) kubeconfig file. */
  kubeconfigPath: string;
  adminToken: string;
  /** PEM of the serving certificate's issuer, for clients that verify TLS. */
  caFile: string;
}

export interface KubeEnv extends KubeConnection {
  kubeConfig(): KubeConfig;
  /** Stops kube-apiserver only (etcd keeps the data). */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits until it is ready. */
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

/** Writes a kubeconfig for `server` authenticating with a bearer token. */
export function writeTokenKubeconfig(
  path: string,
  conn: Pick<KubeConnection, "server" | "caFile">,
  user: string,
  token: string,
): string {
  const ca = readFileSync(conn.caFile).toString("base64");
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "airlift-test", cluster: { server: conn.server, "certificate-authority-data": ca } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "airlift-test", context: { cluster: "airlift-test", user, namespace: "default" } }],
    "current-context": "airlift-test",
  };
  writeFileSync(path, JSON.stringify(doc, null, 2), { mode: 0o600 });
  return path;
}

export function loadKubeConfig(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

export async function startKube(workDir: string): Promise<KubeEnv> {
  mkdirSync(workDir, { recursive: true });
  const etcdPort = await freePort();
  const etcdPeerPort = await freePort();
  const apiPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcd = startProcess(
    "etcd",
    toolPath("etcd"),
    [
      "--data-dir",
      join(workDir, "etcd"),
      "--listen-client-urls",
      etcdUrl,
      "--advertise-client-urls",
      etcdUrl,
      "--listen-peer-urls",
      `http://127.0.0.1:${etcdPeerPort}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${etcdPeerPort}`,
      "--initial-cluster",
      `default=http://127.0.0.1:${etcdPeerPort}`,
      "--unsafe-no-fsync",
      "--log-level",
      "warn",
    ],
    join(workDir, "etcd.log"),
  );
  await waitUntil(etcd, "etcd health", async () => {
    const res = await request(`${etcdUrl}/health`);
    const body = await res.body.text();
    return res.statusCode === 200 && body.includes("true");
  });

  const adminToken = randomBytes(24).toString("hex");
  writeFileSync(join(workDir, "tokens.csv"), `${adminToken},airlift-admin,airlift-admin,"system:masters"\n`, {
    mode: 0o600,
  });
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(workDir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(join(workDir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  const certDir = join(workDir, "certs");
  const server = `https://127.0.0.1:${apiPort}`;
  const apiArgs = [
    "--etcd-servers",
    etcdUrl,
    "--bind-address",
    "127.0.0.1",
    "--advertise-address",
    "127.0.0.1",
    "--secure-port",
    String(apiPort),
    "--cert-dir",
    certDir,
    "--token-auth-file",
    join(workDir, "tokens.csv"),
    "--authorization-mode",
    "RBAC",
    "--service-account-issuer",
    "https://kubernetes.default.svc.cluster.local",
    "--service-account-key-file",
    join(workDir, "sa.pub"),
    "--service-account-signing-key-file",
    join(workDir, "sa.key"),
    "--service-cluster-ip-range",
    "10.96.0.0/16",
    "--allow-privileged=true",
    "--disable-admission-plugins",
    "ServiceAccount",
    "--v",
    "1",
  ];
  const agent = new Agent({ connect: { rejectUnauthorized: false } });
  let api: ManagedProcess | undefined;
  const startApiServer = async (): Promise<void> => {
    api = startProcess("kube-apiserver", toolPath("kube-apiserver"), apiArgs, join(workDir, "kube-apiserver.log"));
    await waitUntil(
      api,
      "kube-apiserver /readyz",
      async () => {
        const res = await request(`${server}/readyz`, {
          dispatcher: agent,
          headers: { authorization: `Bearer ${adminToken}` },
        });
        await res.body.dump();
        return res.statusCode === 200;
      },
      120_000,
    );
  };
  await startApiServer();
  const caFile = join(certDir, "apiserver.crt");
  const kubeconfigPath = writeTokenKubeconfig(
    join(workDir, "admin.kubeconfig"),
    { server, caFile },
    "airlift-admin",
    adminToken,
  );
  return {
    server,
    kubeconfigPath,
    adminToken,
    caFile,
    kubeConfig: () => loadKubeConfig(kubeconfigPath),
    startApiServer,
    async stopApiServer(): Promise<void> {
      await api?.stop();
    },
    async stop(): Promise<void> {
      await api?.stop();
      await etcd.stop();
      await agent.close();
    },
  };
}
