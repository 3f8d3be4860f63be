// A GDC site whose Harbor is published in the ADMIN cluster, as the runbook reads it (`kubectl --kubeconfig
// ${ADMIN_KUBECONFIG} get harborcluster harbor -n harbor-system`): a second, real kube-apiserver started here holds
// HarborCluster harbor-system/harbor; the operator's own cluster holds only a Secret with the admin kubeconfig (named
// by --site-admin-kubeconfig-secret) and the DNS suffix ConfigMap. An ImageImport written with no endpoint pushes to
// the admin cluster's Harbor URL, its status naming that origin; a changed HarborCluster redirects the next import;
// a kubeconfig replaced by one with an exec plugin is refused (nothing runs) and the registry falls back to
// harbor.<suffix>. The own cluster's objects have names of their own, so the other site tests' stay untouched.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { loadKubeConfig, run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { startKube, type KubeEnv } from "../env/kube.ts";
import { TLS_SITE_SUFFIXES } from "../env/registry.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { ensureNamespace, pushWithCrane, unique, waitFor } from "./ocisync-support.ts";
import { airlift } from "./cli-support.ts";
import { startSiteFronts, type SiteFront } from "./site-fronts.ts";
import { applyHarborClusterCrd, tlsCraneEnv, SiteOperator } from "./site-support.ts";

const [siteA, siteB] = TLS_SITE_SUFFIXES;
const tenant = unique("gdc-admin-project");
const opNs = unique("gdc-admin-op");
const keysNs = unique("gdc-admin-keys");
const suffixNs = unique("gdc-admin-gpc");
const bucket = unique("gdc-admin-images");
const ADMIN_SECRET = "admin-kubeconfig";
const adminOrigin = (): string =>
  `from HarborCluster harbor-system/harbor in admin cluster (Secret ${opNs}/${ADMIN_SECRET})`;
let env: EnvironmentConnection;
let own: KubeClient;
let adminKube: KubeEnv;
let adminCluster: KubeClient;
let s3: S3Client;
let operator: SiteOperator;
let scratch: string;
const fronts: Record<string, SiteFront> = {};

interface Status {
  conditions?: { type: string; status: string; reason: string; message: string }[];
  endpoints?: Record<string, { value: string; origin: string }>;
}

/** The import's status once Ready is True or Stalled; and the seconds it took. */
async function imported(name: string, tag: string): Promise<{ status: Status; seconds: number }> {
  const started = Date.now();
  await own.request(`/apis/airlift.dev/v1alpha1/namespaces/${tenant}/imageimports`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ImageImport",
      metadata: { name },
      spec: {
        source: { s3: { bucket, key: "app.tar", credentialsSecretRef: { name: "bucket-keys", namespace: keysNs } } },
        destination: {
          repository: "gdc-admin/app",
          tags: [tag],
          credentialsSecretRef: {
            name: "harbor-admin",
            namespace: keysNs,
            passwordKey: "secret",
            username: env.registries["basic-tls"].username ?? "",
          },
        },
      },
    },
  });
  return waitFor(
    `imageimports/${name} settled`,
    async () => {
      const o = await own.request<{ status?: Status }>(
        `/apis/airlift.dev/v1alpha1/namespaces/${tenant}/imageimports/${name}`,
      );
      const c = o.status?.conditions ?? [];
      const done = c.some((x) => x.type === "Ready" && x.status === "True") || c.some((x) => x.type === "Stalled");
      return done && o.status ? { status: o.status, seconds: (Date.now() - started) / 1000 } : undefined;
    },
    120_000,
  );
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

const ready = (s: Status): string => {
  const r = s.conditions?.find((c) => c.type === "Ready");
  return `${r?.status} ${r?.reason}: ${r?.message}`;
};

/**
 * Waits for a "site defaults changed" line naming `registry` with `origin`, logged after `from` (a logs length);
 * the milliseconds since `since`.
 */
async function defaultsChanged(registry: string, origin: string, from: number, since = Date.now()): Promise<number> {
  await waitFor(
    `defaults: ${registry}`,
    async () =>
      operator.logs
        .slice(from)
        .split("\n")
        .some(
          (l) =>
            l.includes('"msg":"site defaults changed"') && l.includes(`"value":"${registry}","origin":"${origin}"`),
        )
        ? true
        : undefined,
    30_000,
  );
  return Date.now() - since;
}

async function setHarborUrl(url: string, method: "POST" | "PUT"): Promise<void> {
  const base = "/apis/goharbor.io/v1beta1/namespaces/harbor-system/harborclusters";
  await adminCluster.request(method === "POST" ? base : `${base}/harbor`, {
    method,
    body: {
      apiVersion: "goharbor.io/v1beta1",
      kind: "HarborCluster",
      metadata: {
        name: "harbor",
        ...(method === "PUT" ? { resourceVersion: await harborVersion() } : {}),
      },
      spec: { externalURL: url },
    },
  });
}

async function harborVersion(): Promise<string> {
  const o = await adminCluster.request<{ metadata: { resourceVersion: string } }>(
    "/apis/goharbor.io/v1beta1/namespaces/harbor-system/harborclusters/harbor",
  );
  return o.metadata.resourceVersion;
}

async function putSecret(
  namespace: string,
  name: string,
  data: Record<string, string>,
  method: "POST" | "PUT" = "POST",
): Promise<void> {
  const base = `/api/v1/namespaces/${namespace}/secrets`;
  await own.request(method === "POST" ? base : `${base}/${name}`, {
    method,
    body: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, annotations: { "airlift.dev/allowed-namespaces": tenant } },
      stringData: data,
    },
  });
}

async function tags(): Promise<string[]> {
  const tls = env.registries["basic-tls"];
  const r = await run("crane", ["ls", `${tls.host}/gdc-admin/app`], { env: tlsCraneEnv(env) });
  return r.stdout.trim().split("\n").sort();
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  own = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  scratch = mkdtempSync(join(tmpdir(), "airlift-gdc-admin-"));

  // The admin cluster: its own etcd and kube-apiserver, serving the HarborCluster kind and object.
  adminKube = await startKube(join(scratch, "admin-cluster"));
  adminCluster = new KubeClient(loadKubeConfig(adminKube.kubeconfigPath));
  await ensureNamespace(adminCluster, "harbor-system");
  await applyHarborClusterCrd(adminCluster, "gdc-site-admin-test");
  await setHarborUrl(`https://harbor.${siteB}`, "POST");

  for (const ns of [tenant, opNs, keysNs, suffixNs]) await ensureNamespace(own, ns);
  await putSecret(opNs, ADMIN_SECRET, { value: readFileSync(adminKube.kubeconfigPath, "utf8") });
  await own.request(`/api/v1/namespaces/${suffixNs}/configmaps`, {
    method: "POST",
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dnssuffix" }, data: { dnsSuffix: siteA } },
  });
  await own.request(`/api/v1/namespaces/${opNs}/configmaps`, {
    method: "POST",
    body: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "site-trust" },
      data: { "ca.crt": readFileSync(env.registries["basic-tls"].caFile ?? "", "utf8") },
    },
  });
  await putSecret(keysNs, "bucket-keys", {
    "access-key-id": env.minio.accessKeyId,
    "secret-access-key": env.minio.secretAccessKey,
  });
  await putSecret(keysNs, "harbor-admin", { secret: env.registries["basic-tls"].password ?? "" });

  const seed = `${env.registries.anonymous.host}/gdc-admin/seed:v1`;
  await pushWithCrane(seed, { "hello.txt": "hello from the admin cluster's Harbor\n" });
  await run("crane", ["pull", "--insecure", "--format=tarball", seed, join(scratch, "app.tar")]);
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "app.tar", Body: readFileSync(join(scratch, "app.tar")) }));

  const site = await startSiteFronts(env, 14); // gdc-site.test.ts has 127.0.13.x
  Object.assign(fronts, site.fronts);
  const processEnv: NodeJS.ProcessEnv = { ...process.env, AIRLIFT_TEST_HOSTS: site.testHosts };
  delete processEnv.NODE_EXTRA_CA_CERTS;
  operator = new SiteOperator({
    name: "gdc-site-admin",
    env,
    operatorNamespace: opNs,
    watchNamespace: tenant,
    args: [
      ...["--allow-loopback-endpoints", "--secret-source-namespaces", keysNs],
      ...["--site-dns-suffix-configmap", `${suffixNs}/dnssuffix`, "--site-admin-kubeconfig-secret", ADMIN_SECRET],
      ...["--ca-bundle", "configmap:site-trust"],
    ],
    processEnv,
  });
});

after(async () => {
  await operator?.stop();
  await Promise.all(Object.values(fronts).map((f) => f.close()));
  s3?.destroy();
  await own?.close();
  await adminCluster?.close();
  await adminKube?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("Harbor's URL from the admin cluster named by a kubeconfig Secret", () => {
  it("pushes to the admin cluster's Harbor and says so in status", async (t) => {
    const r = await imported("first", "1");
    assert.equal(r.status.conditions?.find((c) => c.type === "Ready")?.status, "True", ready(r.status));
    assert.deepEqual(r.status.endpoints, {
      registry: { value: `harbor.${siteB}`, origin: adminOrigin() },
      s3: { value: `https://objectstorage.${siteA}`, origin: `from ConfigMap ${suffixNs}/dnssuffix` },
    });
    assert.ok((fronts[`harbor.${siteB}`]?.connections ?? 0) > 0, "the admin cluster's Harbor was reached");
    assert.equal(fronts[`harbor.${siteA}`]?.connections ?? 0, 0, "not harbor.<suffix>");
    assert.deepEqual(await tags(), ["1"]);
    t.diagnostic(`ImageImport Ready through the admin cluster's HarborCluster in ${r.seconds.toFixed(1)} s`);
  });

  it("shows the site profile in airlift status, read with the user's kubeconfig", async () => {
    const args = ["status", "--kubeconfig", env.kube.kubeconfigPath, "-n", tenant, "--root-namespace", opNs];
    const text = await waitFor(
      "the published site profile",
      async () => {
        const r = airlift(args, {});
        return r.code === 0 && r.stdout.includes("Site (") ? r.stdout : undefined;
      },
      30_000,
    );
    assert.match(text, new RegExp(`Registry +${escape(`harbor.${siteB}`)} +${escape(adminOrigin())}`));
    assert.match(text, new RegExp(`DNS suffix +${escape(siteA)} +from ConfigMap ${suffixNs}/dnssuffix`));
    assert.match(text, new RegExp(`Trust +system roots.* \\+ ConfigMap ${opNs}/site-trust \\(key ca\\.crt, 1 cert\\)`));
    const json = JSON.parse(airlift([...args, "--json"], {}).stdout) as { site?: { s3Endpoint?: unknown } };
    assert.deepEqual(json.site?.s3Endpoint, {
      value: `https://objectstorage.${siteA}`,
      origin: `from ConfigMap ${suffixNs}/dnssuffix`,
    });
  });

  it("follows a changed HarborCluster in the admin cluster to the next import", async (t) => {
    const [from, changed] = [operator.logs.length, Date.now()];
    await setHarborUrl(`https://harbor.${siteA}/`, "PUT");
    const seen = await defaultsChanged(`harbor.${siteA}`, adminOrigin(), from, changed);
    const r = await imported("second", "2");
    assert.equal(r.status.conditions?.find((c) => c.type === "Ready")?.status, "True", ready(r.status));
    assert.deepEqual(r.status.endpoints?.registry, { value: `harbor.${siteA}`, origin: adminOrigin() });
    assert.ok((fronts[`harbor.${siteA}`]?.connections ?? 0) > 0, "the new Harbor was reached");
    assert.deepEqual(await tags(), ["1", "2"]);
    t.diagnostic(
      `admin cluster's HarborCluster change seen in ${seen} ms; next import Ready in ${r.seconds.toFixed(1)} s`,
    );
  });

  it("refuses a kubeconfig with an exec plugin and falls back to harbor.<suffix>, keeping tokens out of its logs", async () => {
    const marker = join(scratch, "exec-ran");
    const execConfig = JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "admin", cluster: { server: adminKube.server } }],
      users: [
        {
          name: "root",
          user: {
            exec: { apiVersion: "client.authentication.k8s.io/v1", command: "touch", args: [marker] },
          },
        },
      ],
      contexts: [{ name: "admin", context: { cluster: "admin", user: "root" } }],
      "current-context": "admin",
    });
    const from = operator.logs.length;
    await putSecret(opNs, ADMIN_SECRET, { value: execConfig }, "PUT");
    await defaultsChanged(`harbor.${siteA}`, `from ConfigMap ${suffixNs}/dnssuffix`, from);
    assert.ok(operator.logs.includes(`users[root].exec (a plugin or a local file)`), "the refusal names the plugin");
    assert.throws(() => readFileSync(marker), "the plugin never ran");
    assert.ok(!operator.logs.includes(adminKube.adminToken), "the admin kubeconfig's token is in no log line");
    assert.equal(operator.proc.exitCode, null, "the operator kept running");
  });

  it("lets the CLI take the site's registry from the cluster: airlift pull --site-registry", async (t) => {
    // The admin kubeconfig restored, and the HarborCluster moved to the registry's own address (which this
    // process reaches without the test-only name override the operator uses).
    const tls = env.registries["basic-tls"];
    const from = operator.logs.length;
    await putSecret(opNs, ADMIN_SECRET, { value: readFileSync(adminKube.kubeconfigPath, "utf8") }, "PUT");
    await defaultsChanged(`harbor.${siteA}`, adminOrigin(), from);
    await setHarborUrl(`https://${tls.host}`, "PUT");
    const statusArgs = ["status", "--kubeconfig", env.kube.kubeconfigPath, "--root-namespace", opNs, "--json"];
    await waitFor(
      "the new registry published",
      async () => {
        const site = (JSON.parse(airlift(statusArgs, {}).stdout || "{}") as { site?: { registry?: { value: string } } })
          .site;
        return site?.registry?.value === tls.host ? true : undefined;
      },
      30_000,
    );
    const docker = join(scratch, "docker");
    mkdirSync(docker);
    const auth = Buffer.from(`${tls.username}:${tls.password}`).toString("base64");
    writeFileSync(join(docker, "config.json"), JSON.stringify({ auths: { [tls.host]: { auth } } }));
    const out = join(scratch, "pulled");
    const started = Date.now();
    const r = airlift(
      [
        ...["pull", "gdc-admin/app:2", out, "--site-registry", "--kubeconfig", env.kube.kubeconfigPath],
        ...["--root-namespace", opNs, "--ca-file", tls.caFile ?? "", "--progress", "none"],
      ],
      { DOCKER_CONFIG: docker },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^pulled ${escape(`${tls.host}/gdc-admin/app:2`)} `));
    assert.ok(JSON.parse(readFileSync(join(out, "index.json"), "utf8")), "an OCI layout was written");
    t.diagnostic(`airlift pull --site-registry in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const nowhere = unique("no-operator");
    const none = airlift(
      [
        ...["pull", "gdc-admin/app:2", out, "--site-registry", "--kubeconfig", env.kube.kubeconfigPath],
        ...["--root-namespace", nowhere],
      ],
      { DOCKER_CONFIG: docker },
    );
    assert.equal(none.code, 2, "no operator there: nothing published");
    assert.match(none.stderr, new RegExp(`no default registry published in ${nowhere}`));
  });
});
