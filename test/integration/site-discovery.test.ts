// Site discovery of the DNS suffix through the real `airlift operator` process: the suffix ConfigMap (GDC's
// gpc-system/dnssuffix, here a unique namespace named by --site-dns-suffix-configmap so runs do not collide) gives
// objectstorage.<suffix> and harbor.<suffix> as defaults, the operator logs them with their origin at start and on
// change, and a changed suffix redirects the next import without a restart. The site's names do not resolve in the
// test environment (*.localhost does not either), so the redirect is observed in the endpoint each import tried,
// which status.endpoints records with its origin and the status message names; name resolution is not overridden
// here (gdc-site.test.ts reaches the site's names through the test-only AIRLIFT_TEST_HOSTS).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/rest-client.ts";
import { loadKubeConfig, testEnv, type EnvironmentConnection } from "../env/index.ts";
import { installCrds, kubeClient } from "./api-kube-support.ts";
import { ensureNamespace, unique, waitFor } from "./ocisync-support.ts";
import { applyHarborClusterCrd, SiteOperator } from "./site-support.ts";

const tenant = unique("site-disc");
const siteNs = unique("gpc-system");
const harborNs = unique("harbor-system");
const opNs = unique("site-disc-op");
let env: EnvironmentConnection;
let admin: KubeClient;
let operator: SiteOperator;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

async function setSuffix(dnsSuffix: string, method: "POST" | "PUT"): Promise<void> {
  const path =
    method === "POST" ? `/api/v1/namespaces/${siteNs}/configmaps` : `/api/v1/namespaces/${siteNs}/configmaps/dnssuffix`;
  await admin.request(path, {
    method,
    body: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "dnssuffix", namespace: siteNs },
      data: { dnsSuffix },
    },
  });
}

/** An import as the runbook's user writes it: no endpoints, the bucket keys by name. */
async function importWithoutEndpoints(name: string): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${tenant}/imageimports`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ImageImport",
      metadata: { name },
      spec: {
        source: { s3: { bucket: "images", key: "g/app.tar", credentialsSecretRef: { name: "keys" } } },
        destination: { repository: "library/app", tags: ["1"] },
      },
    },
  });
}

interface Failed {
  ready: Condition;
  endpoints?: Record<string, { value: string; origin: string }>;
}

/** The status once the object has failed on `host` at least once (the site's names do not resolve here). */
async function failed(plural: string, name: string, host: RegExp): Promise<Failed> {
  return waitFor(
    `${plural}/${name} failed`,
    async () => {
      const o = await admin.request<{ status?: { conditions?: Condition[]; endpoints?: Failed["endpoints"] } }>(
        `/apis/airlift.dev/v1alpha1/namespaces/${tenant}/${plural}/${name}`,
      );
      const ready = o.status?.conditions?.find((c) => c.type === "Ready");
      return ready?.status === "False" && host.test(ready.message)
        ? { ready, endpoints: o.status?.endpoints }
        : undefined;
    },
    60_000,
  );
}

/** An ArtifactPull without a registry, into an S3 endpoint of its own. */
async function createPull(name: string): Promise<void> {
  await admin.request(`/apis/airlift.dev/v1alpha1/namespaces/${tenant}/artifactpulls`, {
    method: "POST",
    body: {
      apiVersion: "airlift.dev/v1alpha1",
      kind: "ArtifactPull",
      metadata: { name },
      spec: {
        source: { project: "library", repository: "config", tag: "v1" },
        destination: {
          s3: {
            endpoint: "https://s3.zone-b.site.invalid",
            bucket: "pulls",
            prefix: "p/",
            credentialsSecretRef: { name: "keys" },
          },
        },
      },
    },
  });
}

/** status.endpoints as the site's suffix gives them. */
function fromSuffix(suffix: string): Failed["endpoints"] {
  const origin = `from ConfigMap ${siteNs}/dnssuffix`;
  return { registry: { value: `harbor.${suffix}`, origin }, s3: { value: `https://objectstorage.${suffix}`, origin } };
}

function logLines(msg: string): Record<string, unknown>[] {
  return operator.logs
    .split("\n")
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

before(async () => {
  env = await testEnv();
  await installCrds(kubeClient(env));
  admin = new KubeClient(loadKubeConfig(env.kube.kubeconfigPath));
  for (const ns of [tenant, siteNs, harborNs, opNs]) await ensureNamespace(admin, ns);
  await applyHarborClusterCrd(admin, "site-discovery-test");
  await admin.request(`/api/v1/namespaces/${tenant}/secrets`, {
    method: "POST",
    body: {
      metadata: { name: "keys" },
      stringData: { "access-key-id": env.minio.accessKeyId, "secret-access-key": env.minio.secretAccessKey },
    },
  });
  await setSuffix("zone-a.site.invalid", "POST");
  operator = new SiteOperator({
    name: "site-discovery",
    env,
    operatorNamespace: opNs,
    watchNamespace: tenant,
    args: ["--site-dns-suffix-configmap", `${siteNs}/dnssuffix`, "--site-harbor-cluster", `${harborNs}/harbor`],
  });
});

after(async () => {
  await operator?.stop();
  await admin.close();
});

describe("site discovery of the DNS suffix", () => {
  it("starts with the defaults of the site's ConfigMap and logs their origin", async () => {
    const origin = `from ConfigMap ${siteNs}/dnssuffix`;
    const start = await waitFor("the start log line", async () => logLines("starting operator")[0], 30_000);
    assert.deepEqual(start.siteDiscovery, [`ConfigMap ${siteNs}/dnssuffix`, `HarborCluster ${harborNs}/harbor`]);
    assert.deepEqual(start.defaults, {
      registry: { value: "harbor.zone-a.site.invalid", origin },
      s3Endpoint: { value: "https://objectstorage.zone-a.site.invalid", origin },
    });
  });

  it("sends an import without endpoints to the site's object storage", async () => {
    await importWithoutEndpoints("first");
    const r = await failed("imageimports", "first", /objectstorage\.zone-a\.site\.invalid/);
    assert.deepEqual(r.endpoints, fromSuffix("zone-a.site.invalid"));
  });

  it("redirects the next import when the suffix changes, without a restart, and logs the change", async () => {
    await setSuffix("zone-b.site.invalid", "PUT");
    const change = await waitFor(
      "the change log line",
      async () => logLines("site defaults changed").find((l) => JSON.stringify(l.defaults).includes("zone-b")),
      30_000,
    );
    const origin = `from ConfigMap ${siteNs}/dnssuffix`;
    assert.deepEqual(change.defaults, {
      registry: { value: "harbor.zone-b.site.invalid", origin },
      s3Endpoint: { value: "https://objectstorage.zone-b.site.invalid", origin },
    });
    await importWithoutEndpoints("second");
    const r = await failed("imageimports", "second", /objectstorage\.zone-b\.site\.invalid/);
    assert.deepEqual(r.endpoints, fromSuffix("zone-b.site.invalid"));
    assert.equal(operator.proc.exitCode, null, "the operator kept running");
  });

  it("records an ArtifactPull's endpoints and their origin: the site's Harbor, and its own S3 endpoint from the spec", async () => {
    await createPull("pull");
    const r = await failed("artifactpulls", "pull", /harbor\.zone-b\.site\.invalid/);
    assert.deepEqual(r.endpoints, {
      registry: { value: "harbor.zone-b.site.invalid", origin: `from ConfigMap ${siteNs}/dnssuffix` },
      s3: { value: "https://s3.zone-b.site.invalid", origin: "from spec.destination.s3.endpoint" },
    });
  });

  it("takes the registry from the HarborCluster's externalURL while it exists, the suffix's otherwise", async () => {
    const path = `/apis/goharbor.io/v1beta1/namespaces/${harborNs}/harborclusters`;
    await admin.request(path, {
      method: "POST",
      body: {
        apiVersion: "goharbor.io/v1beta1",
        kind: "HarborCluster",
        metadata: { name: "harbor" },
        spec: { externalURL: "https://harbor-core.zone-b.site.invalid:8443/" },
      },
    });
    const origin = `from HarborCluster ${harborNs}/harbor`;
    await waitFor(
      "the Harbor change log line",
      async () => logLines("site defaults changed").find((l) => JSON.stringify(l.defaults).includes(origin)),
      30_000,
    );
    await createPull("pull-harbor");
    const r = await failed("artifactpulls", "pull-harbor", /harbor-core\.zone-b\.site\.invalid/);
    assert.deepEqual(r.endpoints?.registry, { value: "harbor-core.zone-b.site.invalid:8443", origin });
    const seen = logLines("site defaults changed").length;
    await admin.request(`${path}/harbor`, { method: "DELETE" });
    const fallback = await waitFor(
      "the fallback log line",
      async () => logLines("site defaults changed")[seen],
      30_000,
    );
    assert.deepEqual(
      (fallback.defaults as { registry: unknown }).registry,
      fromSuffix("zone-b.site.invalid")?.registry,
    );
  });
});
