// Security end to end through the real `airlift operator` process (debug logging on): resources whose endpoints
// point at the API server or the operator's own metrics are refused by the SSRF policy; and after imports and syncs
// with real credentials (S3 keys, registry passwords), no secret value appears in the operator's logs, in any
// status or in any Event.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { listPrefix } from "../../src/storage/s3-sink.ts";
import {
  freePort,
  loadKubeConfig,
  repoRoot,
  run,
  s3Client,
  testEnv,
  type EnvironmentConnection,
} from "../env/index.ts";
import { teeToSuiteLog } from "../env/suite-logs.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { ensureNamespace, pushWithCrane, unique, waitFor } from "./ocisync-support.ts";

const ns = unique("security");
const opNs = unique("security-op");
const scratch = mkdtempSync(join(tmpdir(), "airlift-sec-"));
let env: EnvironmentConnection;
let admin: KubeClient;
let operator: ChildProcess;
let logs = "";
let metricsPort = 0;

async function create(plural: string, kind: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}`, {
    method: "POST",
    body: { apiVersion: "airlift.dev/v1alpha1", kind, metadata: { name }, spec },
  });
}

async function ready(plural: string, name: string): Promise<{ status: string; reason: string; message: string }> {
  return waitFor(
    `${plural}/${name} settled`,
    async () => {
      const o = await admin.request<{
        status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
      }>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}/${name}`);
      const r = o.status?.conditions?.find((c) => c.type === "Ready");
      const settled =
        r && (r.status === "True" || o.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True"));
      return settled ? r : undefined;
    },
    90_000,
  );
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  admin = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  await ensureNamespace(admin, ns);
  await ensureNamespace(admin, opNs);
  const tls = env.registries["basic-tls"];
  const auth = Buffer.from(`${tls.username}:${tls.password}`).toString("base64");
  const secret = (name: string, type: string, data: Record<string, string>): Promise<unknown> =>
    admin.request(`/api/v1/namespaces/${ns}/secrets`, {
      method: "POST",
      body: { metadata: { name }, type, stringData: data },
    });
  await secret("keys", "Opaque", {
    "access-key-id": env.minio.accessKeyId,
    "secret-access-key": env.minio.secretAccessKey,
  });
  await secret("harbor", "kubernetes.io/dockerconfigjson", {
    ".dockerconfigjson": JSON.stringify({ auths: { [tls.host]: { auth } } }),
  });
  await secret("harbor-wrong", "kubernetes.io/basic-auth", {
    username: tls.username ?? "",
    password: "wrong-password-value-123",
  });
  await secret("ca", "Opaque", { "ca.crt": tls.caPem ?? "" });
  // The OciSync here is a tenant sync: it applies as the namespace's airlift-sync ServiceAccount.
  await admin.request(`/api/v1/namespaces/${ns}/serviceaccounts`, {
    method: "POST",
    body: { metadata: { name: "airlift-sync" } },
  });
  await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`, {
    method: "POST",
    body: { metadata: { name: "sync" }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }] },
  });
  await admin.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`, {
    method: "POST",
    body: {
      metadata: { name: "sync" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "sync" },
      subjects: [{ kind: "ServiceAccount", name: "airlift-sync", namespace: ns }],
    },
  });

  const dir = mkdtempSync(join(scratch, "img-"));
  writeFileSync(
    join(dir, "cm.yaml"),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: synced\n  namespace: ${ns}\ndata:\n  a: b\n`,
  );
  await run("tar", ["-C", dir, "-cf", join(dir, "l.tar"), "cm.yaml"]);
  const dockerDir = mkdtempSync(join(scratch, "docker-"));
  writeFileSync(join(dockerDir, "config.json"), JSON.stringify({ auths: { [tls.host]: { auth } } }));
  await run("crane", ["append", "-f", join(dir, "l.tar"), "-t", `${tls.host}/sec/config:v1`], {
    env: { DOCKER_CONFIG: dockerDir, SSL_CERT_FILE: tls.caFile ?? "" },
  });
  await run("crane", ["pull", "--format=tarball", `${tls.host}/sec/config:v1`, join(scratch, "img.tar")], {
    env: { DOCKER_CONFIG: dockerDir, SSL_CERT_FILE: tls.caFile ?? "" },
  });
  const s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: "security" }));
  await s3.send(
    new PutObjectCommand({ Bucket: "security", Key: "g/img.tar", Body: readFileSync(join(scratch, "img.tar")) }),
  );
  s3.destroy();

  metricsPort = await freePort();
  operator = spawn(
    process.execPath,
    [
      join(repoRoot, "src/cli/main.ts"),
      "operator",
      "--kubeconfig",
      env.kube.kubeconfigPath,
      "--namespace",
      opNs,
      "--watch-namespace",
      ns,
      "--metrics-addr",
      `127.0.0.1:${metricsPort}`,
      "--health-addr",
      "0",
      "--log-level",
      "debug",
      "--allow-loopback-endpoints",
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  operator.stdout?.on("data", (c: Buffer) => (logs += c.toString()));
  operator.stderr?.on("data", (c: Buffer) => (logs += c.toString()));
  teeToSuiteLog("security-operator", operator.stdout, operator.stderr);
});

after(async () => {
  const exited = new Promise((r) => operator.once("exit", r));
  operator.kill("SIGTERM");
  await exited;
  await admin.close();
});

describe("operator security", () => {
  it("refuses endpoints that point at the API server or the operator's own metrics, even with loopback allowed", async () => {
    const api = new URL(env.kube.server).host;
    await create("imageimports", "ImageImport", "to-apiserver", {
      source: {
        s3: {
          endpoint: env.minio.endpoint,
          bucket: "security",
          key: "g/img.tar",
          credentialsSecretRef: { name: "keys" },
        },
      },
      destination: { registry: api, repository: "x/y", tags: ["1"] },
    });
    await create("ocisyncs", "OciSync", "to-metrics", {
      oci: { image: `127.0.0.1:${metricsPort}/x/y:1`, plainHTTP: true, period: "5s" },
    });
    const a = await ready("imageimports", "to-apiserver");
    assert.equal(a.reason, "EndpointRefused");
    assert.match(a.message, /endpoint of the cluster or of the operator itself/);
    const b = await ready("ocisyncs", "to-metrics");
    assert.equal(b.status, "False");
    assert.match(b.message, /refused to connect/);
  });

  it("never writes a credential into logs, status or events", async () => {
    const tls = env.registries["basic-tls"];
    const s3 = {
      s3: {
        endpoint: env.minio.endpoint,
        bucket: "security",
        key: "g/img.tar",
        credentialsSecretRef: { name: "keys" },
      },
    };
    await create("imageimports", "ImageImport", "good", {
      source: s3,
      destination: {
        registry: tls.host,
        repository: "sec/imported",
        tags: ["1"],
        credentialsSecretRef: { name: "harbor" },
        caBundleSecretRef: { name: "ca" },
      },
    });
    await create("imageimports", "ImageImport", "bad-password", {
      source: s3,
      destination: {
        registry: tls.host,
        repository: "sec/denied",
        tags: ["1"],
        credentialsSecretRef: { name: "harbor-wrong" },
        caBundleSecretRef: { name: "ca" },
      },
    });
    await create("ocisyncs", "OciSync", "sync", {
      oci: {
        image: `${tls.host}/sec/config:v1`,
        period: "5s",
        auth: "secret",
        credentialsSecretRef: { name: "harbor" },
        caCertSecretRef: { name: "ca" },
      },
    });
    assert.equal((await ready("imageimports", "good")).reason, "Succeeded");
    assert.equal((await ready("imageimports", "bad-password")).reason, "Unauthorized");
    const synced = await ready("ocisyncs", "sync");
    assert.equal(synced.status, "True", synced.message);
    const secrets = [
      env.minio.secretAccessKey,
      tls.password ?? "",
      "wrong-password-value-123",
      Buffer.from(`${tls.username}:${tls.password}`).toString("base64"),
      env.kube.adminToken,
    ];
    const statuses = JSON.stringify(
      await Promise.all(
        ["imageimports", "ocisyncs"].map((p) => admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${p}`)),
      ),
    );
    const events = JSON.stringify(await admin.request(`/apis/events.k8s.io/v1/namespaces/${ns}/events`));
    assert.ok(logs.length > 1000, "the operator logged at debug level");
    for (const value of secrets) {
      assert.ok(value.length >= 8);
      assert.ok(!logs.includes(value), "a secret value is in the operator's logs");
      assert.ok(!statuses.includes(value), "a secret value is in a status");
      assert.ok(!events.includes(value), "a secret value is in an Event");
    }
  });
  it("refuses a Secret of another namespace for every kind, and says so in status", async () => {
    // The operator's own namespace is the most tempting target; the operator runs without the allowance.
    await admin.request(`/api/v1/namespaces/${opNs}/secrets`, {
      method: "POST",
      body: {
        metadata: { name: "operator-keys" },
        stringData: { "access-key-id": env.minio.accessKeyId, "secret-access-key": env.minio.secretAccessKey },
      },
    });
    const foreign = { name: "operator-keys", namespace: opNs };
    await pushWithCrane(`${env.registries.anonymous.host}/sec/config:v1`, {
      "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    });
    await create("imageimports", "ImageImport", "foreign-secret", {
      source: {
        s3: { endpoint: env.minio.endpoint, bucket: "security", key: "g/img.tar", credentialsSecretRef: foreign },
      },
      destination: { registry: env.registries.anonymous.host, plainHTTP: true, repository: "sec/foreign", tags: ["1"] },
    });
    await create("artifactpulls", "ArtifactPull", "foreign-secret", {
      source: {
        registry: env.registries.anonymous.host,
        plainHTTP: true,
        project: "sec",
        repository: "config",
        tag: "v1",
      },
      destination: {
        s3: { endpoint: env.minio.endpoint, bucket: "security", prefix: "foreign/", credentialsSecretRef: foreign },
      },
    });
    await create("ocisyncs", "OciSync", "foreign-secret", {
      oci: {
        image: `${env.registries["basic-tls"].host}/sec/config:v1`,
        period: "5s",
        auth: "secret",
        credentialsSecretRef: { name: "harbor", namespace: opNs },
      },
    });
    for (const plural of ["imageimports", "artifactpulls", "ocisyncs"]) {
      const r = await waitFor(
        `${plural}/foreign-secret refused`,
        async () => {
          const o = await admin.request<{
            status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
          }>(`/apis/airlift.dev/v1alpha1/namespaces/${ns}/${plural}/foreign-secret`);
          const ready = o.status?.conditions?.find((c) => c.type === "Ready");
          return ready?.status === "False" && ready.reason !== "Reconciling" && ready.reason !== "Progressing"
            ? ready
            : undefined;
        },
        60_000,
      );
      assert.equal(r.reason, "CrossNamespaceRefNotAllowed", `${plural}: ${r.reason}: ${r.message}`);
      assert.match(r.message, new RegExp(`${opNs}/(operator-keys|harbor)`), `${plural}: ${r.message}`);
    }
    assert.ok(!logs.includes(env.minio.secretAccessKey));
    const s3 = s3Client(env.minio);
    assert.deepEqual(await listPrefix(s3, "security", "foreign/"), [], "the refused pull wrote nothing");
    s3.destroy();
  });
});
