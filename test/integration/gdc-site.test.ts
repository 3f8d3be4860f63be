// A GDC site end to end through the real `airlift operator` process, with nothing wired by hand: the site's own
// objects (ConfigMap gpc-system/dnssuffix, HarborCluster harbor-system/harbor, the bucket keys Secret in
// object-storage-access-keys, harbor-admin with its password under `secret`) and an operator run with only
// `--site-profile gdc` and the site's CA given operator-wide (`--ca-bundle`: a ConfigMap shaped as trust-manager's
// Bundle writes it, the only trust beside the system roots). An ImageImport and an ArtifactPull written as the
// runbook's user writes them (no endpoints, the site's Secrets by name and namespace, no per-resource CA) reach Ready
// against the TLS registry and MinIO through the site's names; a tenant's OciSync whose image names no registry
// host syncs from the site's Harbor; a changed suffix sends the next import to the other
// site's object storage; a wrong CA in the bundle fails the next import with a message naming the trust, and the
// restored bundle lets the one after it through, all without a restart. The site names resolve to
// loopback fronts on :443 (site-fronts.ts) through the test-only AIRLIFT_TEST_HOSTS override, which sits in the
// connectors' one lookup: the endpoint policy checks its answers (the operator allows loopback here).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { listPrefix } from "../../src/storage/s3-sink.ts";
import { loadKubeConfig, run, s3Client, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { makeCA } from "../env/pki.ts";
import { TLS_SITE_SUFFIXES } from "../env/registry.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { createOciSync, ensureNamespace, pushWithCrane, unique, waitFor, waitReady } from "./ocisync-support.ts";
import { startSiteFronts, type SiteFront } from "./site-fronts.ts";
import { applyHarborClusterCrd, tlsCraneEnv, SiteOperator } from "./site-support.ts";

const [siteA, siteB] = TLS_SITE_SUFFIXES;
const tenant = unique("gdc-project");
const opNs = unique("gdc-op");
const bucket = unique("gdc-images");
const keyName = "object-storage-key-std-user-7";
const keysNs = "object-storage-access-keys";
let env: EnvironmentConnection;
let admin: KubeClient;
let s3: S3Client;
let operator: SiteOperator;
let scratch: string;
const fronts: Record<string, SiteFront> = {};
/** The site's CA bundle: a ConfigMap in the operator's namespace, under trust-manager's usual target key. */
const CA_BUNDLE = { name: "site-trust", key: "trust-bundle.pem" };
const caOrigin = (): string => `ConfigMap ${opNs}/${CA_BUNDLE.name} (key ${CA_BUNDLE.key}, 1 cert)`;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

interface Settled {
  ready: Condition;
  endpoints?: Record<string, { value: string; origin: string }>;
  seconds: number;
}

/** The Ready condition once True, or False with Stalled; and the seconds since `started`. */
async function settled(plural: string, name: string, started: number): Promise<Settled> {
  return waitFor(
    `${plural}/${name} settled`,
    async () => {
      const o = await admin.request<{
        status?: { conditions?: Condition[]; endpoints?: Settled["endpoints"] };
      }>(`/apis/airlift.dev/v1alpha1/namespaces/${tenant}/${plural}/${name}`);
      const ready = o.status?.conditions?.find((c) => c.type === "Ready");
      const stalled = o.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True");
      if (!ready || (ready.status !== "True" && !stalled)) return undefined;
      return { ready, endpoints: o.status?.endpoints, seconds: (Date.now() - started) / 1000 };
    },
    120_000,
  );
}

async function object(key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString()) ?? "";
}

/** harbor-admin as the runbook's user names it: the password under `secret`, the user by convention. */
function harborAdmin(): Record<string, string> {
  return {
    name: "harbor-admin",
    namespace: "harbor-system",
    passwordKey: "secret",
    username: env.registries["basic-tls"].username ?? "",
  };
}

async function create(plural: string, kind: string, name: string, spec: unknown): Promise<number> {
  const started = Date.now();
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${tenant}/${plural}`, {
    method: "POST",
    body: { apiVersion: "airlift.dev/v1alpha1", kind, metadata: { name }, spec },
  });
  return started;
}

/** An ImageImport as the runbook's user writes it: no endpoints, no CA, the site's Secrets by name and namespace. */
function importSpec(tag: string, ownCa?: string): unknown {
  const ca = ownCa ? { caBundleSecretRef: { name: ownCa } } : {};
  return {
    source: { s3: { bucket, key: "app.tar", credentialsSecretRef: { name: keyName, namespace: keysNs }, ...ca } },
    destination: { repository: "gdc/app", tags: [tag], credentialsSecretRef: harborAdmin(), ...ca },
  };
}

async function secret(namespace: string, name: string, data: Record<string, string>): Promise<void> {
  await admin.request(`/api/v1/namespaces/${namespace}/secrets`, {
    method: "POST",
    body: {
      metadata: { name, annotations: { "airlift.dev/allowed-namespaces": "gdc-project-*" } },
      stringData: data,
    },
  });
}

async function setSuffix(dnsSuffix: string, method: "POST" | "PUT"): Promise<void> {
  const base = "/api/v1/namespaces/gpc-system/configmaps";
  await admin.request(method === "POST" ? base : `${base}/dnssuffix`, {
    method,
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "dnssuffix" }, data: { dnsSuffix } },
  });
}

/** The environment without NODE_EXTRA_CA_CERTS: the site's bundle must be the only trust beside the system roots. */
function withoutExtraCas(processEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...processEnv };
  delete copy.NODE_EXTRA_CA_CERTS;
  return copy;
}

async function setCaBundle(pem: string, method: "POST" | "PUT"): Promise<void> {
  const base = `/api/v1/namespaces/${opNs}/configmaps`;
  await admin.request(method === "POST" ? base : `${base}/${CA_BUNDLE.name}`, {
    method,
    body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: CA_BUNDLE.name }, data: { [CA_BUNDLE.key]: pem } },
  });
}

/** Waits until the operator has logged `times` bundle changes (its first read counts as one). */
async function bundleLogged(times: number): Promise<void> {
  await waitFor(
    "the CA bundle log line",
    async () =>
      operator.logs.split("\n").filter((l) => l.includes('"msg":"site CA bundle set"')).length >= times
        ? true
        : undefined,
    30_000,
  );
}

/** The registry's tags of `repo`, read with crane over the registry's TLS (its CA) and basic auth. */
async function tags(repo: string): Promise<string[]> {
  const tls = env.registries["basic-tls"];
  const r = await run("crane", ["ls", `${tls.host}/${repo}`], { env: tlsCraneEnv(env) });
  return r.stdout.trim().split("\n").sort();
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  admin = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  for (const ns of [tenant, opNs, "gpc-system", keysNs, "harbor-system"]) await ensureNamespace(admin, ns);
  await applyHarborClusterCrd(admin, "gdc-site-test");
  await admin.request("/apis/goharbor.io/v1beta1/namespaces/harbor-system/harborclusters", {
    method: "POST",
    body: {
      apiVersion: "goharbor.io/v1beta1",
      kind: "HarborCluster",
      metadata: { name: "harbor" },
      spec: { externalURL: `https://harbor.${siteA}` },
    },
  });
  await setSuffix(siteA ?? "", "POST");
  await secret(keysNs, keyName, {
    "access-key-id": env.minio.accessKeyId,
    "secret-access-key": env.minio.secretAccessKey,
  });
  await secret("harbor-system", "harbor-admin", { secret: env.registries["basic-tls"].password ?? "" });

  // The image tarball in the bucket, and a config image in the site's registry for the ArtifactPull.
  scratch = mkdtempSync(join(tmpdir(), "airlift-gdc-"));
  const seed = `${env.registries.anonymous.host}/gdc/seed:v1`;
  await pushWithCrane(seed, { "hello.txt": "hello from the site\n" });
  await run("crane", ["pull", "--insecure", "--format=tarball", seed, join(scratch, "app.tar")]);
  s3 = s3Client(env.minio);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "app.tar", Body: readFileSync(join(scratch, "app.tar")) }));
  writeFileSync(join(scratch, "site.yaml"), "zone: a\n");
  await run("tar", ["-C", scratch, "-cf", join(scratch, "config.tar"), "site.yaml"]);
  const config = `${env.registries["basic-tls"].host}/gdc/config:v1`;
  await run("crane", ["append", "-f", join(scratch, "config.tar"), "-t", config], { env: tlsCraneEnv(env) });
  // The one config image every site syncs: a ConfigMap manifest, referenced without a registry host.
  mkdirSync(join(scratch, "manifests"));
  writeFileSync(
    join(scratch, "manifests", "cm.yaml"),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: site-config\n  namespace: ${tenant}\ndata:\n  zone: a\n`,
  );
  await run("tar", ["-C", join(scratch, "manifests"), "-cf", join(scratch, "manifests.tar"), "cm.yaml"]);
  const manifests = `${env.registries["basic-tls"].host}/gdc/manifests:v1`;
  await run("crane", ["append", "-f", join(scratch, "manifests.tar"), "-t", manifests], { env: tlsCraneEnv(env) });

  await setCaBundle(readFileSync(env.registries["basic-tls"].caFile ?? "", "utf8"), "POST");
  const site = await startSiteFronts(env);
  Object.assign(fronts, site.fronts);
  operator = new SiteOperator({
    name: "gdc-site",
    env,
    operatorNamespace: opNs,
    watchNamespace: tenant,
    args: [
      ...["--allow-loopback-endpoints", "--site-profile", "gdc"],
      ...["--ca-bundle", `configmap:${CA_BUNDLE.name}#${CA_BUNDLE.key}`],
    ],
    processEnv: { ...withoutExtraCas(process.env), AIRLIFT_TEST_HOSTS: site.testHosts },
  });
});

after(async () => {
  await operator?.stop();
  await Promise.all(Object.values(fronts).map((f) => f.close()));
  s3?.destroy();
  await admin?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("a GDC site with nothing wired by hand", () => {
  it("imports from the site's object storage into its Harbor, both found from the site's own objects", async (t) => {
    const started = await create("imageimports", "ImageImport", "first", importSpec("1"));
    const r = await settled("imageimports", "first", started);
    assert.equal(r.ready.status, "True", `${r.ready.reason}: ${r.ready.message}`);
    assert.deepEqual(r.endpoints, {
      registry: { value: `harbor.${siteA}`, origin: "from HarborCluster harbor-system/harbor" },
      s3: { value: `https://objectstorage.${siteA}`, origin: "from ConfigMap gpc-system/dnssuffix" },
    });
    assert.ok((fronts[`objectstorage.${siteA}`]?.connections ?? 0) > 0, "the site's object storage was reached");
    assert.ok((fronts[`harbor.${siteA}`]?.connections ?? 0) > 0, "the site's Harbor was reached");
    assert.deepEqual(await tags("gdc/app"), ["1"]);
    t.diagnostic(`ImageImport Ready through discovered endpoints in ${r.seconds.toFixed(1)} s`);
  });

  it("pulls an artifact from the site's Harbor into its object storage", async (t) => {
    const started = await create("artifactpulls", "ArtifactPull", "config", {
      source: { project: "gdc", repository: "config", tag: "v1", credentialsSecretRef: harborAdmin() },
      destination: {
        s3: { bucket, prefix: "config/", credentialsSecretRef: { name: keyName, namespace: keysNs } },
      },
    });
    const r = await settled("artifactpulls", "config", started);
    assert.equal(r.ready.status, "True", `${r.ready.reason}: ${r.ready.message}`);
    assert.deepEqual(r.endpoints, {
      registry: { value: `harbor.${siteA}`, origin: "from HarborCluster harbor-system/harbor" },
      s3: { value: `https://objectstorage.${siteA}`, origin: "from ConfigMap gpc-system/dnssuffix" },
    });
    // A plain image (not an ORAS artifact) lands as an OCI layout whose index names the registry's manifest.
    const keys = (await listPrefix(s3, bucket, "config/")).map((o) => o.key);
    assert.ok(keys.includes("config/oci-layout"), keys.join(", "));
    const index = JSON.parse(await object("config/index.json")) as { manifests: { digest: string }[] };
    const tls = env.registries["basic-tls"];
    const digest = (
      await run("crane", ["digest", `${tls.host}/gdc/config:v1`], { env: tlsCraneEnv(env) })
    ).stdout.trim();
    assert.deepEqual(
      index.manifests.map((m) => m.digest),
      [digest],
    );
    t.diagnostic(`ArtifactPull Ready through discovered endpoints in ${r.seconds.toFixed(1)} s`);
  });

  it("syncs an OciSync whose image names no registry from the site's Harbor", async (t) => {
    // The tenant's OciSync applies as its own ServiceAccount, allowed ConfigMaps in its namespace.
    const rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces/" + tenant;
    await admin.request(`/api/v1/namespaces/${tenant}/serviceaccounts`, {
      method: "POST",
      body: { metadata: { name: "syncer" } },
    });
    await admin.request(`${rbac}/roles`, {
      method: "POST",
      body: {
        metadata: { name: "syncer" },
        rules: [
          {
            apiGroups: [""],
            resources: ["configmaps"],
            verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
          },
        ],
      },
    });
    await admin.request(`${rbac}/rolebindings`, {
      method: "POST",
      body: {
        metadata: { name: "syncer" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "syncer" },
        subjects: [{ kind: "ServiceAccount", name: "syncer", namespace: tenant }],
      },
    });
    // Bytes, not connections: the operator keeps its pooled connection to the site's Harbor from the import before.
    const before = fronts[`harbor.${siteA}`]?.bytesToClients ?? 0;
    const started = Date.now();
    await createOciSync(admin, tenant, "site-config", {
      oci: { image: "gdc/manifests:v1", auth: "secret", credentialsSecretRef: harborAdmin(), period: "5s" },
      serviceAccountName: "syncer",
    });
    const synced = await waitReady(admin, tenant, "site-config", "True/Succeeded", 120_000);
    assert.equal(synced.status?.source?.image, `harbor.${siteA}/gdc/manifests:v1`);
    assert.ok((fronts[`harbor.${siteA}`]?.bytesToClients ?? 0) > before, "pulled through the site's Harbor");
    const cm = await admin.request<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${tenant}/configmaps/site-config`,
    );
    assert.equal(cm.data?.zone, "a");
    t.diagnostic(`host-less OciSync synced from the site's Harbor in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("sends the next import to the new suffix's object storage once the ConfigMap changes", async (t) => {
    const before = fronts[`objectstorage.${siteB}`]?.connections ?? 0;
    assert.equal(before, 0);
    const changed = Date.now();
    await setSuffix(siteB ?? "", "PUT");
    await waitFor(
      "the change log line",
      async () =>
        operator.logs
          .split("\n")
          .some((l) => l.includes('"msg":"site defaults changed"') && l.includes(`objectstorage.${siteB}`))
          ? true
          : undefined,
      30_000,
    );
    const seen = Date.now() - changed;
    const started = await create("imageimports", "ImageImport", "second", importSpec("2"));
    const r = await settled("imageimports", "second", started);
    assert.equal(r.ready.status, "True", `${r.ready.reason}: ${r.ready.message}`);
    assert.deepEqual(r.endpoints?.s3, {
      value: `https://objectstorage.${siteB}`,
      origin: "from ConfigMap gpc-system/dnssuffix",
    });
    assert.ok((fronts[`objectstorage.${siteB}`]?.connections ?? 0) > 0, "the new site's object storage was reached");
    assert.deepEqual(await tags("gdc/app"), ["1", "2"]);
    assert.equal(operator.proc.exitCode, null, "the operator kept running");
    t.diagnostic(
      `suffix change seen by the operator in ${seen} ms; next import Ready ${((Date.now() - changed) / 1000).toFixed(1)} s after the change (import alone ${r.seconds.toFixed(1)} s)`,
    );
  });

  it("trusts what the site's CA bundle says, a change reaching the next import without a restart", async (t) => {
    await bundleLogged(1);
    assert.ok(
      operator.logs.includes(`"caBundle":"ConfigMap ${opNs}/${CA_BUNDLE.name} (key ${CA_BUNDLE.key})"`),
      "the start log names the bundle's origin",
    );
    const right = readFileSync(env.registries["basic-tls"].caFile ?? "", "utf8");
    const wrong = await makeCA(scratch, "not-the-site-ca");
    const changed = Date.now();
    await setCaBundle(wrong.certPem, "PUT");
    await bundleLogged(2);
    const seen = Date.now() - changed;
    const refused = await settled(
      "imageimports",
      "untrusted",
      await create("imageimports", "ImageImport", "untrusted", importSpec("3")),
    );
    assert.equal(refused.ready.status, "False");
    assert.equal(refused.ready.reason, "UntrustedCertificate", refused.ready.message);
    assert.ok(
      refused.ready.message.endsWith(`trusted: system roots + ${caOrigin()}`),
      `the message names the trust: ${refused.ready.message}`,
    );
    // A resource's own CA Secret adds to the site's bundle: the right one gets through, a wrong one is named.
    for (const [name, pem] of [
      ["own-ca", right],
      ["own-wrong-ca", wrong.certPem],
    ] as const)
      await admin.request(`/api/v1/namespaces/${tenant}/secrets`, {
        method: "POST",
        body: { metadata: { name }, stringData: { "ca.crt": pem } },
      });
    const own = await settled(
      "imageimports",
      "own-ca",
      await create("imageimports", "ImageImport", "own-ca", importSpec("5", "own-ca")),
    );
    assert.equal(own.ready.status, "True", `${own.ready.reason}: ${own.ready.message}`);
    const ownWrong = await settled(
      "imageimports",
      "own-wrong-ca",
      await create("imageimports", "ImageImport", "own-wrong-ca", importSpec("6", "own-wrong-ca")),
    );
    assert.equal(ownWrong.ready.reason, "UntrustedCertificate", ownWrong.ready.message);
    assert.ok(
      ownWrong.ready.message.endsWith(
        `trusted: system roots + ${caOrigin()} + Secret ${tenant}/own-wrong-ca (key ca.crt, 1 cert)`,
      ),
      `the message names both: ${ownWrong.ready.message}`,
    );

    await setCaBundle(right, "PUT");
    await bundleLogged(3);
    const started = await create("imageimports", "ImageImport", "trusted-again", importSpec("4"));
    const r = await settled("imageimports", "trusted-again", started);
    assert.equal(r.ready.status, "True", `${r.ready.reason}: ${r.ready.message}`);
    assert.deepEqual(await tags("gdc/app"), ["1", "2", "4", "5"]);
    assert.equal(operator.proc.exitCode, null, "the operator kept running");
    t.diagnostic(
      `CA bundle change seen by the operator in ${seen} ms; the next import refused (${refused.ready.reason}) in ${refused.seconds.toFixed(1)} s; with the bundle restored, Ready in ${r.seconds.toFixed(1)} s`,
    );
  });
});
